// Parser for the Prometheus text exposition format (0.0.4): turns a /metrics scrape into samples.
// The weft CLI (`weft stat`) reads proxies with it; tests use it to assert on scraped counters.
// It reads what any Prometheus-compatible exporter writes: comments, HELP/TYPE, escapes, +Inf, NaN.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/core/result.hpp"

namespace weft::metrics {

/// One `name{labels} value [timestamp]` line. Labels keep the order in which they were written.
struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0.0;
  std::optional<std::int64_t> timestamp_ms;

  /// The value of label `key`, or nullopt when the sample does not carry it.
  std::optional<std::string_view> label(std::string_view key) const noexcept;
};

/// Where and why parse_text failed, for error messages ("line 12: unterminated label value").
struct ParseError {
  std::size_t line = 0;
  std::string reason;
};

/// Parses a whole exposition. Blank lines and comments are skipped; `# HELP` and `# TYPE` lines are
/// checked for well-formedness (TYPE must be counter, gauge, histogram, summary or untyped) but
/// produce no samples. Label values are unescaped (`\\`, `\"`, `\n`). Values accept Go's float
/// syntax, including `+Inf`, `-Inf` and `NaN`. Lines may end in "\r\n".
/// Errors: boost::system::errc::bad_message; when `error` is given it receives the line and reason.
result<std::vector<Sample>> parse_text(std::string_view text, ParseError* error = nullptr);

}  // namespace weft::metrics
