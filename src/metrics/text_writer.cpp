#include "weft/metrics/text_writer.hpp"

#include <charconv>
#include <cmath>
#include <system_error>

namespace weft::metrics {

void append_escaped_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void append_escaped_help(std::string& out, std::string_view help) {
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void TextWriter::family(std::string_view name, std::string_view help, MetricType type) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped_help(out_, help);
  out_ += "\n# TYPE ";
  out_ += name;
  switch (type) {
    case MetricType::counter: out_ += " counter\n"; break;
    case MetricType::gauge: out_ += " gauge\n"; break;
    case MetricType::histogram: out_ += " histogram\n"; break;
  }
}

void TextWriter::labels(std::span<const Label> labels) {
  const std::size_t open = out_.size();
  for (const Label& l : labels) {
    if (l.name.empty() && l.value.empty()) continue;  // an empty pre-rendered fragment
    out_ += out_.size() == open ? '{' : ',';
    if (l.name.empty()) {
      out_ += l.value;  // pre-rendered and escaped by its producer
      continue;
    }
    out_ += l.name;
    out_ += "=\"";
    append_escaped_label_value(out_, l.value);
    out_ += '"';
  }
  if (out_.size() != open) out_ += '}';
}

namespace {

template <class T>
void append_number(std::string& out, T value) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec == std::errc{}) out.append(buf, end);
}

}  // namespace

void TextWriter::sample(std::string_view name, std::span<const Label> ls, std::uint64_t value) {
  out_ += name;
  labels(ls);
  out_ += ' ';
  append_number(out_, value);
  out_ += '\n';
}

void TextWriter::sample(std::string_view name, std::span<const Label> ls, std::int64_t value) {
  out_ += name;
  labels(ls);
  out_ += ' ';
  append_number(out_, value);
  out_ += '\n';
}

void TextWriter::sample(std::string_view name, std::span<const Label> ls, double value) {
  out_ += name;
  labels(ls);
  out_ += ' ';
  if (std::isnan(value)) {
    out_ += "NaN";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    append_number(out_, value);
  }
  out_ += '\n';
}

}  // namespace weft::metrics
