// What `promtool check metrics` may say about weft's exposition: one lint per histogram whose
// Linkerd name ends in `_ms` (`response_latency_ms`, `route_response_latency_ms`), kept for
// dashboards although promtool wants base units. Shared by the unit and integration tests that
// run promtool.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace weft::test {

inline constexpr std::array<std::string_view, 2> kExpectedPromtoolLints = {
    "response_latency_ms metric names should not contain abbreviated units",
    "route_response_latency_ms metric names should not contain abbreviated units",
};

/// promtool's output without the expected lint lines (and blank lines): "" when nothing else
/// was found.
inline std::string unexpected_promtool_findings(std::string_view output) {
  std::string rest;
  while (!output.empty()) {
    const auto eol = output.find('\n');
    const std::string_view line = output.substr(0, eol);
    bool expected = line.empty();
    for (const auto lint : kExpectedPromtoolLints) expected = expected || line == lint;
    if (!expected) {
      rest += line;
      rest += '\n';
    }
    output.remove_prefix(eol == std::string_view::npos ? output.size() : eol + 1);
  }
  return rest;
}

/// Whether promtool's exit status and output mean "accepted": 0 with no findings, or 3 (lint
/// problems only) when every finding is an expected lint. Status 1 is a parse error.
inline bool promtool_accepted(int exit_code, std::string_view output) {
  if (!unexpected_promtool_findings(output).empty()) return false;
  return exit_code == 0 ? output.find_first_not_of('\n') == std::string_view::npos : exit_code == 3;
}

}  // namespace weft::test
