#include "identity.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <filesystem>

#include "cert_builder.hpp"
#include "cert_chain.hpp"
#include "identity_args.hpp"
#include "identity_files.hpp"
#include "identity_show.hpp"

namespace weft::cli {
namespace {

namespace fs = std::filesystem;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 64;
constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertMode = 0644;

/// A usage error found only after reading the files (the --id's trust domain against the
/// issuer's): exit 64, not 1.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A CA's certificate and key, checked against each other, and the trust anchors it chains to.
struct Signer {
  std::vector<tls::X509Ptr> certs;  // the CA's certificate first
  tls::EvpPkeyPtr key;
  std::vector<tls::X509Ptr> anchors;
  std::string anchors_pem;  // the trust anchor file as read, to copy beside what is signed

  X509* cert() const { return certs.front().get(); }
};

Signer load_signer(const fs::path& cert_path, const fs::path& key_path,
                   const fs::path& anchors_path) {
  Signer s{read_cert_file(cert_path), read_key_file(key_path), {}, read_file(anchors_path)};
  s.anchors = read_cert_file(anchors_path);
  if (X509_check_private_key(s.cert(), s.key.get()) != 1) {
    ERR_clear_error();
    throw FileError(fmt::format("{}: does not match {}", key_path.string(), cert_path.string()));
  }
  if (X509_check_ca(s.cert()) == 0) {
    throw FileError(fmt::format("{}: is not a CA certificate", cert_path.string()));
  }
  // Signature and constraints only: an expired issuer may still sign certificates for tests.
  std::vector<tls::X509Ptr> intermediates;
  for (std::size_t i = 1; i < s.certs.size(); ++i) {
    intermediates.emplace_back(X509_dup(s.certs[i].get()));
  }
  if (const auto chain = check_chain(s.cert(), intermediates, s.anchors, false);
      !chain.problem.empty()) {
    throw FileError(fmt::format("{}: does not chain to {}: {}", cert_path.string(),
                                anchors_path.string(), chain.problem));
  }
  return s;
}

/// Refuses to overwrite a CA key: everything signed under the old one would stop verifying.
void refuse_to_replace(const fs::path& key_path, bool force, std::string_view what) {
  if (!force && fs::exists(key_path)) {
    throw FileError(
        fmt::format("{}: exists; pass --force to replace the {}", key_path.string(), what));
  }
}

void warn_if_outlives(const Validity& v, const X509* signer, std::ostream& err) {
  const auto signer_end = validity_of(signer).not_after;
  if (v.not_after > signer_end) {
    err << fmt::format(
        "weft identity: warning: the certificate is valid until {}, but its issuer only until {}; "
        "peers reject it after that\n",
        format_rfc3339(v.not_after), format_rfc3339(signer_end));
  }
}

std::string validity_text(const Validity& v) {
  return fmt::format("valid {} to {}", format_rfc3339(v.not_before), format_rfc3339(v.not_after));
}

int make_trust_anchor(const IdentityOptions& o, std::ostream& out) {
  const fs::path dir = o.dir;
  refuse_to_replace(dir / "ca.key", o.force, "trust anchor");
  make_dir(dir);
  const auto key = make_p256_key();
  const CertSpec spec{CertKind::trust_anchor, fmt::format("weft trust anchor {}", o.trust_domain),
                      fmt::format("spiffe://{}", o.trust_domain), o.validity};
  const auto cert = make_certificate(spec, key.get(), nullptr, nullptr);
  write_file_atomic(dir / "ca.key", key_pkcs8_pem(key.get()), kKeyMode);
  write_file_atomic(dir / "ca.crt", cert_pem(cert.get()), kCertMode);
  out << fmt::format("trust anchor for {} in {}: ca.crt, ca.key; {}\n", spec.uri_san, dir.string(),
                     validity_text(o.validity));
  return 0;
}

int make_issuer(const IdentityOptions& o, std::ostream& out, std::ostream& err) {
  const fs::path ca_dir = o.ca_dir;
  const fs::path dir = o.dir;
  const auto anchor = load_signer(ca_dir / "ca.crt", ca_dir / "ca.key", ca_dir / "ca.crt");
  refuse_to_replace(dir / "issuer.key", o.force, "issuer");
  const auto td = ca_trust_domain(anchor.cert());
  const CertSpec spec{CertKind::issuer,
                      td.empty() ? std::string("weft issuer") : fmt::format("weft issuer {}", td),
                      td.empty() ? std::string() : fmt::format("spiffe://{}", td), o.validity};
  warn_if_outlives(o.validity, anchor.cert(), err);
  make_dir(dir);
  const auto key = make_p256_key();
  const auto cert = make_certificate(spec, key.get(), anchor.cert(), anchor.key.get());
  write_file_atomic(dir / "issuer.key", key_pkcs8_pem(key.get()), kKeyMode);
  write_file_atomic(dir / "ca.crt", anchor.anchors_pem, kCertMode);
  write_file_atomic(dir / "issuer.crt", cert_pem(cert.get()), kCertMode);
  out << fmt::format("issuer in {}: issuer.crt, issuer.key, ca.crt; {}\n", dir.string(),
                     validity_text(o.validity));
  return 0;
}

int issue(const IdentityOptions& o, std::ostream& out, std::ostream& err) {
  const fs::path issuer_dir = o.issuer_dir;
  const fs::path dir = o.dir;
  const auto& id = *o.id;
  const auto issuer =
      load_signer(issuer_dir / "issuer.crt", issuer_dir / "issuer.key", issuer_dir / "ca.crt");
  if (const auto td = ca_trust_domain(issuer.cert()); !td.empty() && td != id.trust_domain) {
    throw UsageError(
        fmt::format("--id '{}' is in trust domain '{}', but the issuer in {} is for '{}'", id.uri,
                    id.trust_domain, issuer_dir.string(), td));
  }
  warn_if_outlives(o.validity, issuer.cert(), err);
  // The server name as CN is for people reading the certificate; peers check the URI SAN. A CN
  // has at most 64 characters (RFC 5280 ub-common-name), so a longer name leaves the subject empty.
  auto server_name = id.server_name();
  const CertSpec spec{CertKind::workload, server_name.size() <= 64 ? server_name : std::string(),
                      id.uri, o.validity};
  make_dir(dir);
  const auto key = make_p256_key();
  const auto cert = make_certificate(spec, key.get(), issuer.cert(), issuer.key.get());
  std::string chain = cert_pem(cert.get());
  for (const auto& c : issuer.certs) chain += cert_pem(c.get());
  // tls.crt last: a proxy that notices the new certificate then finds its key and anchors in place.
  write_file_atomic(dir / "ca.crt", issuer.anchors_pem, kCertMode);
  write_file_atomic(dir / "tls.key", key_pkcs8_pem(key.get()), kKeyMode);
  write_file_atomic(dir / "tls.crt", chain, kCertMode);
  out << fmt::format("{} in {}: tls.crt, tls.key, ca.crt; server name {}; {}\n", id.uri,
                     dir.string(), server_name, validity_text(o.validity));
  return 0;
}

bool wants_help(std::span<const std::string_view> args) {
  for (const auto a : args) {
    if (a == "-h" || a == "--help" || a == "help") return true;
  }
  return false;
}

std::string_view command_name(IdentityCommand c) {
  switch (c) {
    case IdentityCommand::trust_anchor: return "trust-anchor";
    case IdentityCommand::issuer: return "issuer";
    case IdentityCommand::issue: return "issue";
    case IdentityCommand::show: return "show";
  }
  return "?";
}

}  // namespace

int run_identity(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  if (wants_help(args)) {
    print_identity_usage(out);
    return 0;
  }
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto options = parse_identity_options(args, now, err);
  if (!options) {
    err << "Run 'weft identity --help' for the commands and their flags.\n";
    return kExitUsage;
  }
  const auto prefix = fmt::format("weft identity {}: ", command_name(options->command));
  try {
    switch (options->command) {
      case IdentityCommand::trust_anchor: return make_trust_anchor(*options, out);
      case IdentityCommand::issuer: return make_issuer(*options, out, err);
      case IdentityCommand::issue: return issue(*options, out, err);
      case IdentityCommand::show: return show_identity(options->dir, now, out);
    }
  } catch (const UsageError& e) {
    err << prefix << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    // Files (the message names the path) and OpenSSL failures alike.
    err << prefix << e.what() << "\n";
    return kExitFailed;
  }
  return kExitFailed;
}

}  // namespace weft::cli
