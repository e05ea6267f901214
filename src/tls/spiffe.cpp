#include "weft/tls/spiffe.hpp"

#include <fmt/format.h>

#include <vector>

#include "weft/core/error.hpp"

namespace weft::tls {
namespace {

constexpr std::string_view kScheme = "spiffe://";
constexpr std::size_t kMaxIdBytes = 2048;          // spiffe-id.md, "Maximum SPIFFE ID Length"
constexpr std::size_t kMaxTrustDomainBytes = 255;  // spiffe-id.md, "Trust Domain"
constexpr std::size_t kMaxDnsLabel = 63;           // RFC 1035
constexpr std::size_t kMaxDnsName = 253;           // RFC 1035, without the final dot
constexpr std::string_view kServerNameMiddle = ".serviceaccount.identity.";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

/// The character itself when it prints, else its code: for messages.
std::string show_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", u);
}

std::vector<std::string_view> split_path(std::string_view path) {
  // `path` starts with '/'; each segment follows one.
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    path.remove_prefix(1);
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return segments;
}

std::string path_segment_problem(std::string_view segment) {
  if (segment.empty()) return "path has an empty segment ('//')";
  if (segment == "." || segment == "..") return "path has a '.' or '..' segment";
  for (const char c : segment) {
    if (is_lower_alnum(c) || is_upper(c) || c == '.' || c == '-' || c == '_') continue;
    return fmt::format("path segment '{}' has {}: only A-Z, a-z, 0-9, '.', '-' and '_' are allowed",
                       segment, show_char(c));
  }
  return {};
}

/// A Kubernetes DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters. `what`
/// names the field in the message.
std::string dns_label_problem(std::string_view label, std::string_view what) {
  if (label.empty()) return fmt::format("{} is empty", what);
  if (label.size() > kMaxDnsLabel) return fmt::format("{} is longer than 63 characters", what);
  for (const char c : label) {
    if (is_lower_alnum(c) || c == '-') continue;
    if (is_upper(c)) return fmt::format("{} has an upper-case letter", what);
    return fmt::format("{} has {}: only a-z, 0-9 and '-' are allowed", what, show_char(c));
  }
  if (label.front() == '-' || label.back() == '-')
    return fmt::format("{} starts or ends with '-'", what);
  return {};
}

/// The trust domain ends the server name, so it must be a DNS name too; SPIFFE alone would allow
/// '_' and empty labels ("a..b"), which no resolver or SNI parser takes.
std::string trust_domain_dns_problem(std::string_view td) {
  while (true) {
    const auto dot = td.find('.');
    const auto label = td.substr(0, dot);
    if (auto p = dns_label_problem(label, "a trust domain label"); !p.empty()) {
      return fmt::format("trust domain is not a DNS name, which the server name needs ({})", p);
    }
    if (dot == std::string_view::npos) return {};
    td.remove_prefix(dot + 1);
  }
}

}  // namespace

std::string WorkloadId::server_name() const {
  return fmt::format("{}.{}{}{}", sa, ns, kServerNameMiddle, trust_domain);
}

std::string trust_domain_problem(std::string_view td) {
  if (td.empty()) return "trust domain is empty";
  if (td.size() > kMaxTrustDomainBytes) return "trust domain is longer than 255 bytes";
  for (const char c : td) {
    if (is_lower_alnum(c) || c == '.' || c == '-' || c == '_') continue;
    if (is_upper(c)) return "trust domain has an upper-case letter";
    if (c == '@') return "trust domain has userinfo ('@')";
    if (c == ':') return "trust domain has a port (':')";
    return fmt::format("trust domain has {}: only a-z, 0-9, '.', '-' and '_' are allowed",
                       show_char(c));
  }
  return {};
}

std::string spiffe_id_problem(std::string_view uri) {
  if (uri.empty()) return "the SPIFFE ID is empty";
  if (!uri.starts_with(kScheme)) {
    if (uri.size() >= kScheme.size()) {
      bool same_but_case = true;
      for (std::size_t i = 0; i < kScheme.size(); ++i) {
        const char c = uri[i];
        same_but_case = same_but_case && (is_upper(c) ? char(c - 'A' + 'a') : c) == kScheme[i];
      }
      if (same_but_case) return "the scheme must be written in lower case: 'spiffe://'";
    }
    return "does not start with 'spiffe://'";
  }
  if (uri.size() > kMaxIdBytes) return "the SPIFFE ID is longer than 2048 bytes";
  if (uri.find('?') != std::string_view::npos) return "has a query ('?')";
  if (uri.find('#') != std::string_view::npos) return "has a fragment ('#')";
  if (uri.find('%') != std::string_view::npos) return "has percent-encoding ('%')";
  const auto rest = uri.substr(kScheme.size());
  const auto slash = rest.find('/');
  if (auto p = trust_domain_problem(rest.substr(0, slash)); !p.empty()) return p;
  if (slash == std::string_view::npos) return {};
  const auto path = rest.substr(slash);
  if (path.back() == '/') return "path has a trailing slash";
  for (const auto segment : split_path(path)) {
    if (auto p = path_segment_problem(segment); !p.empty()) return p;
  }
  return {};
}

std::string workload_id_problem(std::string_view uri) {
  if (auto p = spiffe_id_problem(uri); !p.empty()) return p;
  const auto rest = uri.substr(kScheme.size());
  const auto slash = rest.find('/');
  const auto td = rest.substr(0, slash);
  const auto segments = slash == std::string_view::npos ? std::vector<std::string_view>{}
                                                        : split_path(rest.substr(slash));
  if (segments.size() != 4 || segments[0] != "ns" || segments[2] != "sa") {
    return "path is not /ns/<namespace>/sa/<service-account>";
  }
  if (auto p = dns_label_problem(segments[1], "namespace"); !p.empty()) return p;
  // Kubernetes allows '.' in service account names (they are DNS-1123 subdomains), but then the
  // server name no longer has the SA in its first label and the namespace in its second: SA "a.b"
  // in namespace "c" gives "a.b.c.serviceaccount.identity.<td>", which reads as SA "a" in
  // namespace "b" to anything that splits labels. So weft takes a service account only when it is
  // one DNS label (which also bounds it to 63 characters rather than 253).
  if (segments[3].find('.') != std::string_view::npos) {
    return "service account has a '.', which would make the server name ambiguous";
  }
  if (auto p = dns_label_problem(segments[3], "service account"); !p.empty()) return p;
  if (auto p = trust_domain_dns_problem(td); !p.empty()) return p;
  const auto name_size =
      segments[3].size() + 1 + segments[1].size() + kServerNameMiddle.size() + td.size();
  if (name_size > kMaxDnsName) {
    return fmt::format("the server name would be {} characters, more than DNS allows (253)",
                       name_size);
  }
  return {};
}

result<WorkloadId> parse_workload_id(std::string_view uri) {
  if (!workload_id_problem(uri).empty()) return make_error_code(errc::bad_certificate);
  const auto path = split_path(uri.substr(uri.find('/', kScheme.size())));
  const auto rest = uri.substr(kScheme.size());
  return WorkloadId{std::string(uri), std::string(rest.substr(0, rest.find('/'))),
                    std::string(path[1]), std::string(path[3])};
}

}  // namespace weft::tls
