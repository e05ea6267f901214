// Writes the Prometheus text exposition format 0.0.4: `# HELP`/`# TYPE` headers and sample lines
// with escaped label values. Used by the Registry when the admin server renders /metrics.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace weft::metrics {

/// The Content-Type of what TextWriter produces.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

/// One `name="value"` pair. Names are the caller's constants; values are escaped on output.
/// A label with an empty name is a pre-rendered, already escaped fragment of one or more pairs
/// (`dst_namespace="x",dst_pod="y"`, as discovery renders an endpoint's labels once), written
/// as is; an empty fragment writes nothing.
struct Label {
  std::string_view name;
  std::string_view value;
};

enum class MetricType { counter, gauge, histogram };

/// Appends to a string the caller owns. Not thread-safe; one writer per render.
class TextWriter {
 public:
  explicit TextWriter(std::string& out) noexcept : out_(out) {}

  /// Writes `# HELP name help` and `# TYPE name type`. Call once per family, before its samples.
  void family(std::string_view name, std::string_view help, MetricType type);

  /// Writes `name{l1="v1",...} value`; no braces when `labels` is empty.
  void sample(std::string_view name, std::span<const Label> labels, std::uint64_t value);
  void sample(std::string_view name, std::span<const Label> labels, std::int64_t value);
  /// Doubles are written in the shortest form that reads back exactly (e.g. 0.25, 1.7e+09).
  void sample(std::string_view name, std::span<const Label> labels, double value);

 private:
  void labels(std::span<const Label> labels);

  std::string& out_;
};

/// Appends `value` escaped for a label value: backslash, double quote and newline.
void append_escaped_label_value(std::string& out, std::string_view value);

/// Appends `help` escaped for a HELP line: backslash and newline.
void append_escaped_help(std::string& out, std::string_view help);

}  // namespace weft::metrics
