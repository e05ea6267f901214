#include "identity_show.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/err.h>

#include "cert_chain.hpp"
#include "identity_files.hpp"
#include "weft/tls/spiffe.hpp"

namespace weft::cli {
namespace {

namespace fs = std::filesystem;

/// The certificate file `show` reads and its key: the most specific one the directory has.
struct Shown {
  fs::path cert;
  fs::path key;
};

Shown pick_files(const fs::path& dir) {
  for (const auto& [cert, key] :
       {std::pair{"tls.crt", "tls.key"}, std::pair{"issuer.crt", "issuer.key"},
        std::pair{"ca.crt", "ca.key"}}) {
    if (fs::exists(dir / cert)) return {dir / cert, dir / key};
  }
  throw FileError(fmt::format("{}: has no tls.crt, issuer.crt or ca.crt", dir.string()));
}

std::string server_name_line(const std::vector<std::string>& uris) {
  if (uris.empty()) return "-";
  const auto id = tls::parse_workload_id(uris.front());
  if (id) return id->server_name();
  return fmt::format("- (not a workload ID: {})", tls::workload_id_problem(uris.front()));
}

std::string expiry_note(const Validity& v, Seconds now) {
  if (now < v.not_before)
    return fmt::format("not valid for another {}", format_span(v.not_before - now));
  if (now > v.not_after) return fmt::format("expired {} ago", format_span(now - v.not_after));
  return fmt::format("expires in {}", format_span(v.not_after - now));
}

}  // namespace

int show_identity(const fs::path& dir, Seconds now, std::ostream& out) {
  const auto files = pick_files(dir);
  auto certs = read_cert_file(files.cert);
  X509* cert = certs.front().get();
  const auto uris = tls::uri_sans(cert);
  const auto validity = validity_of(cert);
  bool ok = true;

  out << fmt::format("file:         {} ({} certificate{})\n", files.cert.string(), certs.size(),
                     certs.size() == 1 ? "" : "s");
  out << fmt::format("identity:     {}\n",
                     uris.empty() ? "-" : fmt::format("{}", fmt::join(uris, ", ")));
  out << fmt::format("server name:  {}\n", server_name_line(uris));
  const auto subject = name_text(X509_get_subject_name(cert));
  out << fmt::format("subject:      {}\n", subject.empty() ? "(empty)" : subject);
  out << fmt::format("issuer:       {}\n", name_text(X509_get_issuer_name(cert)));
  out << fmt::format("not before:   {}\n", format_rfc3339(validity.not_before));
  out << fmt::format("not after:    {} ({})\n", format_rfc3339(validity.not_after),
                     expiry_note(validity, now));
  out << fmt::format("public key:   {}\n", key_description(cert));

  if (fs::exists(files.key)) {
    const auto key = read_key_file(files.key);
    const bool matches = X509_check_private_key(cert, key.get()) == 1;
    ERR_clear_error();
    ok = ok && matches;
    out << fmt::format("private key:  {} ({})\n", files.key.string(),
                       matches ? "matches" : "DOES NOT MATCH the certificate");
  } else {
    out << fmt::format("private key:  none ({} is missing)\n", files.key.string());
  }

  const auto anchors_path = dir / "ca.crt";
  if (!fs::exists(anchors_path)) {
    out << fmt::format("chain:        not checked ({} is missing)\n", anchors_path.string());
    return 1;
  }
  const auto anchors = read_cert_file(anchors_path);
  std::vector<tls::X509Ptr> intermediates;
  for (std::size_t i = 1; i < certs.size(); ++i) intermediates.push_back(std::move(certs[i]));
  const auto chain = check_chain(cert, intermediates, anchors);
  if (chain.problem.empty()) {
    out << fmt::format("chain:        ok, to {} in {}\n", chain.anchor, anchors_path.string());
  } else {
    out << fmt::format("chain:        FAILED against {}: {}\n", anchors_path.string(),
                       chain.problem);
    ok = false;
  }
  return ok ? 0 : 1;
}

}  // namespace weft::cli
