#include "identity_args.hpp"

#include <fmt/format.h>

#include <array>
#include <map>
#include <sstream>

#include "weft/core/parse.hpp"

namespace weft::cli {
namespace {

using namespace std::chrono_literals;

struct CommandSpec {
  IdentityCommand command;
  std::string_view name;
  std::array<std::string_view, 6> flags;  // the flags it takes ("" pads)
  std::chrono::hours default_lifetime;
};

constexpr std::array<CommandSpec, 4> kCommands{{
    {IdentityCommand::trust_anchor,
     "trust-anchor",
     {"dir", "trust-domain", "lifetime", "valid-from", "force"},
     8760h},
    {IdentityCommand::issuer,
     "issuer",
     {"ca-dir", "dir", "lifetime", "valid-from", "force"},
     4380h},
    {IdentityCommand::issue, "issue", {"issuer-dir", "id", "dir", "lifetime", "valid-from"}, 24h},
    {IdentityCommand::show, "show", {"dir"}, 0h},
}};

bool takes(const CommandSpec& spec, std::string_view flag) {
  for (const auto f : spec.flags) {
    if (!f.empty() && f == flag) return true;
  }
  return false;
}

/// Exactly `n` digits at `s[at]`, as a number; -1 when they are not digits.
int digits(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

// Years 0000-9999 are what X.509's GeneralizedTime can say.
constexpr Seconds kEarliest = std::chrono::sys_days{std::chrono::year{0} / 1 / 1};
constexpr Seconds kLatest =
    std::chrono::sys_days{std::chrono::year{9999} / 12 / 31} + 23h + 59min + 59s;

/// The flags' values after the loop that reads them, by name.
using FlagValues = std::map<std::string, std::string, std::less<>>;

std::optional<std::string_view> value_of(const FlagValues& values, std::string_view flag) {
  const auto it = values.find(flag);
  if (it == values.end()) return std::nullopt;
  return std::string_view(it->second);
}

/// Reads `--flag value` / `--flag=value` pairs into `values`. False after saying why.
bool read_flags(const CommandSpec& spec, std::span<const std::string_view> args, FlagValues& values,
                std::ostream& err) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto arg = args[i];
    if (!arg.starts_with("--") || arg.size() == 2) {
      err << "unexpected argument '" << arg << "' (flags are --name value)\n";
      return false;
    }
    const auto eq = arg.find('=');
    const auto name = arg.substr(2, eq == std::string_view::npos ? arg.npos : eq - 2);
    if (!takes(spec, name)) {
      err << "unknown flag --" << name << " for '" << spec.name << "'\n";
      return false;
    }
    if (values.contains(name)) {
      err << "--" << name << " is given twice\n";
      return false;
    }
    if (name == "force") {
      if (eq != std::string_view::npos) {
        err << "--force takes no value\n";
        return false;
      }
      values.emplace(name, "");
      continue;
    }
    std::string_view value;
    if (eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      err << "--" << name << " needs a value\n";
      return false;
    }
    if (value.empty()) {
      err << "--" << name << " needs a value\n";
      return false;
    }
    values.emplace(name, value);
  }
  return true;
}

bool require(const CommandSpec& spec, const FlagValues& values, std::string_view flag,
             std::ostream& err) {
  if (!takes(spec, flag) || values.contains(flag)) return true;
  err << "--" << flag << " is required\n";
  return false;
}

/// The checks of --trust-domain: a SPIFFE trust domain that can end a server name.
std::string trust_domain_flag_problem(std::string_view td) {
  if (auto p = tls::trust_domain_problem(td); !p.empty()) return p;
  return tls::workload_id_problem(fmt::format("spiffe://{}/ns/n/sa/s", td));
}

bool read_validity(const CommandSpec& spec, const FlagValues& values, Seconds now,
                   Validity& validity, std::ostream& err) {
  std::chrono::seconds lifetime = spec.default_lifetime;
  if (const auto text = value_of(values, "lifetime")) {
    const auto d = core::parse_duration(*text);
    if (!d) {
      err << "--lifetime: invalid duration '" << *text << "' (use e.g. 24h, 90m, 365d)\n";
      return false;
    }
    lifetime = std::chrono::floor<std::chrono::seconds>(*d);
    if (lifetime <= 0s) {
      err << "--lifetime must be at least 1s (for an expired certificate, use --valid-from "
             "in the past)\n";
      return false;
    }
  }
  if (const auto text = value_of(values, "valid-from")) {
    const auto from = parse_valid_from(*text, now);
    if (!from) {
      err << "--valid-from: invalid time '" << *text
          << "' (use now, a signed duration such as -48h or +1h, or RFC 3339 such as "
             "2025-03-01T00:00:00Z)\n";
      return false;
    }
    validity = {*from, *from + lifetime};
  } else {
    validity = {now - kClockSkewAllowance, now + lifetime};
  }
  if (validity.not_before < kEarliest || validity.not_after > kLatest) {
    err << "--valid-from and --lifetime put the certificate outside the years 0000-9999\n";
    return false;
  }
  return true;
}

std::optional<IdentityOptions> parse_options(std::span<const std::string_view> args, Seconds now,
                                             std::ostream& err) {
  if (args.empty()) {
    err << "which command? (trust-anchor, issuer, issue or show)\n";
    return std::nullopt;
  }
  const CommandSpec* spec = nullptr;
  for (const auto& c : kCommands) {
    if (c.name == args[0]) spec = &c;
  }
  if (spec == nullptr) {
    err << "unknown command '" << args[0] << "' (trust-anchor, issuer, issue or show)\n";
    return std::nullopt;
  }
  FlagValues values;
  if (!read_flags(*spec, args.subspan(1), values, err)) return std::nullopt;
  for (const auto flag : {"dir", "ca-dir", "issuer-dir", "id"}) {
    if (!require(*spec, values, flag, err)) return std::nullopt;
  }
  IdentityOptions options;
  options.command = spec->command;
  options.dir = value_of(values, "dir").value_or("");
  options.ca_dir = value_of(values, "ca-dir").value_or("");
  options.issuer_dir = value_of(values, "issuer-dir").value_or("");
  options.force = values.contains("force");
  if (const auto td = value_of(values, "trust-domain")) {
    if (auto p = trust_domain_flag_problem(*td); !p.empty()) {
      err << "--trust-domain '" << *td << "': " << p << "\n";
      return std::nullopt;
    }
    options.trust_domain = std::string(*td);
  }
  if (const auto id = value_of(values, "id")) {
    if (auto p = tls::workload_id_problem(*id); !p.empty()) {
      err << "--id '" << *id
          << "' is not a workload ID (spiffe://<trust-domain>/ns/<ns>/sa/<sa>): " << p << "\n";
      return std::nullopt;
    }
    options.id = tls::parse_workload_id(*id).value();
  }
  if (spec->command != IdentityCommand::show &&
      !read_validity(*spec, values, now, options.validity, err)) {
    return std::nullopt;
  }
  return options;
}

}  // namespace

std::optional<IdentityOptions> parse_identity_options(std::span<const std::string_view> args,
                                                      Seconds now, std::ostream& err) {
  // The reasons above are bare; the prefix names the command, when there is one.
  std::ostringstream why;
  auto options = parse_options(args, now, why);
  if (!options) {
    err << "weft identity";
    if (!args.empty() && !args[0].starts_with('-')) err << " " << args[0];
    err << ": " << why.str();
  }
  return options;
}

std::optional<Seconds> parse_valid_from(std::string_view text, Seconds now) {
  if (text == "now") return now;
  if (text.starts_with('-') || text.starts_with('+')) {
    const auto d = core::parse_duration(text.substr(1));
    if (!d) return std::nullopt;
    const auto offset = std::chrono::floor<std::chrono::seconds>(*d);
    return text.front() == '-' ? now - offset : now + offset;
  }
  return parse_rfc3339(text);
}

std::optional<Seconds> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  const int year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
  const int hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
  if (s.size() < 20 || year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 ||
      s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  std::size_t at = 19;
  if (s[at] == '.') {
    const auto end = s.find_first_not_of("0123456789", at + 1);
    if (end == at + 1 || end == std::string_view::npos) return std::nullopt;
    at = end;
  }
  std::chrono::minutes offset{0};
  const char zone = s[at];
  if (zone == 'Z' || zone == 'z') {
    if (at + 1 != s.size()) return std::nullopt;
  } else if (zone == '+' || zone == '-') {
    const int oh = digits(s, at + 1, 2), om = digits(s, at + 4, 2);
    if (at + 6 != s.size() || oh < 0 || om < 0 || s[at + 3] != ':' || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = std::chrono::hours{oh} + std::chrono::minutes{om};
    if (zone == '-') offset = -offset;
  } else {
    return std::nullopt;
  }
  const Seconds local = std::chrono::sys_days{date} + std::chrono::hours{hour} +
                        std::chrono::minutes{minute} + std::chrono::seconds{second};
  return Seconds{local - offset};
}

std::string format_rfc3339(Seconds t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{t - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

void print_identity_usage(std::ostream& out) {
  out << R"(Usage: weft identity COMMAND FLAGS...

Makes the certificates of weft's mutual TLS on a laptop or in tests: a trust anchor, an issuer
(intermediate CA) and workload certificates whose URI SAN is a SPIFFE ID, in the files that
cert-manager's csi-driver-spiffe writes (tls.crt, tls.key, ca.crt). Keys are ECDSA P-256.

Commands:
  trust-anchor --dir D [--trust-domain cluster.local] [--lifetime 8760h] [--force]
      a self-signed root CA: D/ca.crt and D/ca.key
  issuer --ca-dir D --dir I [--lifetime 4380h] [--force]
      an issuer signed by the trust anchor in D: I/issuer.crt, I/issuer.key and I/ca.crt
  issue --issuer-dir I --id spiffe://TD/ns/NS/sa/SA --dir OUT [--lifetime 24h]
      a workload certificate for the ID, signed by the issuer in I: OUT/tls.crt (the
      certificate, then the issuer's), OUT/tls.key (PKCS#8) and OUT/ca.crt (the trust anchor)
  show --dir D
      the identity, server name, issuer and validity of D/tls.crt (else D/issuer.crt, else
      D/ca.crt), and whether it chains to D/ca.crt

Validity (trust-anchor, issuer, issue):
  --lifetime DURATION  how long the certificate is valid (units s, m, h, d)
  --valid-from TIME    when it starts: now, relative to now (-48h, +1h) or RFC 3339
                       (2025-03-01T00:00:00Z). It then ends at TIME + lifetime, so
                       "--valid-from -48h --lifetime 24h" has expired and "--valid-from +1h" is
                       not valid yet: for tests. Without it, a certificate is valid from one
                       minute ago (for clock skew) until now + lifetime.

trust-anchor and issuer refuse to replace an existing key unless given --force. Keys are
written with mode 0600. Each file is replaced atomically (a temporary file, then rename), and
tls.crt comes last, so a proxy that watches OUT never reads half a file.

Exit codes: 0 success; 1 a file or certificate error (show: the certificate does not verify);
64 bad usage.
)";
}

}  // namespace weft::cli
