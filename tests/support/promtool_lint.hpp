// What `promtool check metrics` may say about weft's exposition: exactly one lint, on
// `response_latency_ms`, whose Linkerd name the issue keeps for dashboards (promtool wants base
// units). Shared by the unit and integration tests that run promtool.
#pragma once

#include <string>
#include <string_view>

namespace weft::test {

inline constexpr std::string_view kExpectedPromtoolLint =
    "response_latency_ms metric names should not contain abbreviated units";

/// promtool's output without the expected lint lines (and blank lines): "" when nothing else
/// was found.
inline std::string unexpected_promtool_findings(std::string_view output) {
  std::string rest;
  while (!output.empty()) {
    const auto eol = output.find('\n');
    const std::string_view line = output.substr(0, eol);
    if (!line.empty() && line != kExpectedPromtoolLint) {
      rest += line;
      rest += '\n';
    }
    output.remove_prefix(eol == std::string_view::npos ? output.size() : eol + 1);
  }
  return rest;
}

/// Whether promtool's exit status and output mean "accepted": 0 with no findings, or 3 (lint
/// problems only) when every finding is the expected lint. Status 1 is a parse error.
inline bool promtool_accepted(int exit_code, std::string_view output) {
  if (!unexpected_promtool_findings(output).empty()) return false;
  return exit_code == 0 ? output.find_first_not_of('\n') == std::string_view::npos : exit_code == 3;
}

}  // namespace weft::test
