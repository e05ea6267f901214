// `weft identity` arguments: the subcommands' flags, validity periods (--lifetime, --valid-from
// as RFC 3339 or relative to now) and RFC 3339 times. Pure: no files, no OpenSSL, the clock
// passed in, so that the unit tests cover every usage error.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "weft/tls/spiffe.hpp"

namespace weft::cli {

/// Certificates carry whole seconds.
using Seconds = std::chrono::sys_seconds;

enum class IdentityCommand { trust_anchor, issuer, issue, show };

/// A certificate's notBefore and notAfter.
struct Validity {
  Seconds not_before;
  Seconds not_after;
  bool operator==(const Validity&) const = default;
};

/// How far back notBefore goes when --valid-from is not given, so that a peer whose clock is a
/// little behind ours accepts a certificate issued just now.
inline constexpr std::chrono::seconds kClockSkewAllowance{60};

struct IdentityOptions {
  IdentityCommand command = IdentityCommand::show;
  std::string dir;                             ///< --dir: where the command writes (show: reads)
  std::string ca_dir;                          ///< --ca-dir (issuer): the trust anchor's directory
  std::string issuer_dir;                      ///< --issuer-dir (issue): the issuer's directory
  std::string trust_domain = "cluster.local";  ///< --trust-domain (trust-anchor)
  std::optional<tls::WorkloadId> id;           ///< --id (issue)
  Validity validity;                           ///< from --lifetime and --valid-from
  bool force = false;  ///< --force: replace an existing trust anchor or issuer key
};

/// Parses the arguments after `weft identity`: a subcommand and its flags (`--flag value` or
/// `--flag=value`). `now` anchors relative times and the default validity:
/// [now - kClockSkewAllowance, now + lifetime] without --valid-from, [from, from + lifetime]
/// with it. Returns nullopt after writing one line that names the bad flag to `err`.
std::optional<IdentityOptions> parse_identity_options(std::span<const std::string_view> args,
                                                      Seconds now, std::ostream& err);

/// --valid-from's value: "now", a signed duration relative to `now` ("-48h", "+30m") or an
/// RFC 3339 time. nullopt when it is none of these.
std::optional<Seconds> parse_valid_from(std::string_view text, Seconds now);

/// "2025-03-01T12:00:00Z", "2025-03-01t12:00:00.5+02:00": RFC 3339 date-time, years
/// 0000-9999, fractions of a second dropped. nullopt when malformed or out of range.
std::optional<Seconds> parse_rfc3339(std::string_view text);

/// "2025-03-01T12:00:00Z".
std::string format_rfc3339(Seconds t);

/// The usage of `weft identity`, all subcommands.
void print_identity_usage(std::ostream& out);

}  // namespace weft::cli
