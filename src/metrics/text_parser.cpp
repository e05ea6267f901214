#include "weft/metrics/text_parser.hpp"

#include <algorithm>
#include <array>
#include <boost/system/errc.hpp>
#include <charconv>

namespace weft::metrics {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// A metric name allows ':' (recording rules); a label name does not.
bool is_name_char(char c, bool first, bool metric) {
  return is_alpha(c) || (metric && c == ':') || (!first && is_digit(c));
}

bool is_valid_name(std::string_view s, bool metric) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!is_name_char(s[i], i == 0, metric)) return false;
  }
  return true;
}

/// Go's strconv.ParseFloat as Prometheus uses it: decimals, exponents, [+-]Inf, Infinity, NaN.
std::optional<double> parse_float(std::string_view s) {
  if (s.size() > 1 && s.front() == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

/// A cursor over one line. Each parse_* returns false and sets reason_ on malformed input.
class LineParser {
 public:
  explicit LineParser(std::string_view line) : s_(line) {}

  const std::string& reason() const { return reason_; }

  bool parse_comment() {
    pos_ = 1;  // past '#'
    skip_blanks();
    const auto keyword = take_token();
    if (keyword != "HELP" && keyword != "TYPE") return true;  // a plain comment
    skip_blanks();
    const auto name = take_token();
    if (!is_valid_name(name, true)) return fail("invalid metric name in # " + std::string(keyword));
    skip_blanks();
    if (keyword == "HELP") return true;  // the docstring is free text
    static constexpr std::array<std::string_view, 5> kTypes{"counter", "gauge", "histogram",
                                                            "summary", "untyped"};
    const auto type = take_token();
    if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
      return fail("unknown metric type '" + std::string(type) + "'");
    }
    skip_blanks();
    return at_end() || fail("unexpected text after # TYPE");
  }

  bool parse_sample(Sample& out) {
    out.name = std::string(take_name(true));
    if (out.name.empty()) return fail("expected a metric name");
    if (!at_end() && s_[pos_] != '{' && !is_blank(s_[pos_]))
      return fail("invalid character in metric name");
    skip_blanks();
    if (!at_end() && s_[pos_] == '{' && !parse_labels(out)) return false;
    skip_blanks();
    const auto value_text = take_token();
    if (value_text.empty()) return fail("missing value");
    const auto value = parse_float(value_text);
    if (!value) return fail("invalid value '" + std::string(value_text) + "'");
    out.value = *value;
    skip_blanks();
    if (!at_end()) {
      const auto ts_text = take_token();
      out.timestamp_ms = parse_int(ts_text);
      if (!out.timestamp_ms) return fail("invalid timestamp '" + std::string(ts_text) + "'");
      skip_blanks();
    }
    return at_end() || fail("unexpected text after the sample");
  }

 private:
  bool parse_labels(Sample& out) {
    ++pos_;  // past '{'
    skip_blanks();
    while (!at_end() && s_[pos_] != '}') {
      std::string name(take_name(false));
      if (name.empty()) return fail("expected a label name");
      skip_blanks();
      if (!consume('=')) return fail("expected '=' after label " + name);
      skip_blanks();
      if (!consume('"')) return fail("expected '\"' to open the value of label " + name);
      std::string value;
      if (!take_label_value(value)) return fail("unterminated value of label " + name);
      if (out.label(name)) return fail("duplicate label " + name);
      out.labels.emplace_back(std::move(name), std::move(value));
      skip_blanks();
      if (consume(',')) {
        skip_blanks();
      } else if (at_end() || s_[pos_] != '}') {
        return fail("expected ',' or '}' after a label");
      }
    }
    return consume('}') || fail("unterminated label set");
  }

  /// Reads up to the closing quote, unescaping \\, \" and \n. Other escapes are kept as written,
  /// as Prometheus does.
  bool take_label_value(std::string& out) {
    while (!at_end()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (at_end()) return false;
      const char e = s_[pos_++];
      if (e == 'n')
        out.push_back('\n');
      else if (e == '\\' || e == '"')
        out.push_back(e);
      else
        out.append({'\\', e});
    }
    return false;
  }

  std::string_view take_name(bool metric) {
    const auto start = pos_;
    while (!at_end() && is_name_char(s_[pos_], pos_ == start, metric)) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  std::string_view take_token() {
    const auto start = pos_;
    while (!at_end() && !is_blank(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  bool consume(char c) {
    if (at_end() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  void skip_blanks() {
    while (!at_end() && is_blank(s_[pos_])) ++pos_;
  }
  bool at_end() const { return pos_ >= s_.size(); }
  bool fail(std::string reason) {
    reason_ = std::move(reason);
    return false;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string reason_;
};

std::string_view trim_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
  while (!line.empty() && is_blank(line.back())) line.remove_suffix(1);
  return line;
}

}  // namespace

std::optional<std::string_view> Sample::label(std::string_view key) const noexcept {
  for (const auto& [k, v] : labels) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

result<std::vector<Sample>> parse_text(std::string_view text, ParseError* error) {
  std::vector<Sample> samples;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    const auto line = trim_line(text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    if (line.empty()) continue;
    LineParser parser(line);
    bool ok = true;
    if (line.front() == '#') {
      ok = parser.parse_comment();
    } else {
      Sample sample;
      ok = parser.parse_sample(sample);
      if (ok) samples.push_back(std::move(sample));
    }
    if (!ok) {
      if (error) *error = ParseError{line_number, parser.reason()};
      return make_error_code(boost::system::errc::bad_message);
    }
  }
  return samples;
}

}  // namespace weft::metrics
