#include "weft/metrics/text_parser.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace weft::metrics {
namespace {

std::vector<Sample> parse_ok(std::string_view text) {
  ParseError error;
  auto samples = parse_text(text, &error);
  EXPECT_TRUE(samples.has_value()) << "line " << error.line << ": " << error.reason;
  return samples ? *samples : std::vector<Sample>{};
}

ParseError parse_fails(std::string_view text) {
  ParseError error;
  const auto samples = parse_text(text, &error);
  EXPECT_FALSE(samples.has_value()) << "parsed: " << text;
  if (!samples) {
    EXPECT_EQ(samples.error(), boost::system::errc::bad_message);
  }
  return error;
}

TEST(TextParser, EmptyInputHasNoSamples) {
  EXPECT_TRUE(parse_ok("").empty());
  EXPECT_TRUE(parse_ok("\n\n  \n").empty());
}

TEST(TextParser, SampleWithoutLabels) {
  const auto s = parse_ok("process_open_fds 12\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].name, "process_open_fds");
  EXPECT_TRUE(s[0].labels.empty());
  EXPECT_EQ(s[0].value, 12);
  EXPECT_FALSE(s[0].timestamp_ms);
}

TEST(TextParser, LabelsKeepTheirOrder) {
  const auto s = parse_ok(
      R"(tcp_open_total{direction="outbound",peer="dst",target_addr="10.77.0.3:8080",tls="no_identity",no_tls_reason="not_provided_by_service_discovery"} 3)");
  ASSERT_EQ(s.size(), 1u);
  ASSERT_EQ(s[0].labels.size(), 5u);
  EXPECT_EQ(s[0].labels[0].first, "direction");
  EXPECT_EQ(s[0].labels[2].second, "10.77.0.3:8080");
  EXPECT_EQ(s[0].label("peer"), "dst");
  EXPECT_EQ(s[0].label("tls"), "no_identity");
  EXPECT_FALSE(s[0].label("errno"));
  EXPECT_EQ(s[0].value, 3);
}

TEST(TextParser, EmptyLabelValueIsPresent) {
  const auto s = parse_ok(R"(tcp_close_total{direction="inbound",errno=""} 4)");
  ASSERT_EQ(s.size(), 1u);
  ASSERT_TRUE(s[0].label("errno"));
  EXPECT_EQ(*s[0].label("errno"), "");
}

TEST(TextParser, UnescapesLabelValues) {
  const auto s = parse_ok(R"(m{a="quote \" backslash \\ newline \n end",b="\t kept"} 1)");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].label("a"), "quote \" backslash \\ newline \n end");
  EXPECT_EQ(s[0].label("b"), "\\t kept");
}

TEST(TextParser, CommasAndBracesInsideValuesAreText) {
  const auto s = parse_ok(R"(m{path="/a,b}c",x="y"} 2)");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].label("path"), "/a,b}c");
  EXPECT_EQ(s[0].label("x"), "y");
}

TEST(TextParser, ToleratesBlanksAndTrailingComma) {
  const auto s = parse_ok("m{ a = \"1\" ,\tb=\"2\", }   5   \r\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].label("a"), "1");
  EXPECT_EQ(s[0].label("b"), "2");
  EXPECT_EQ(s[0].value, 5);
  EXPECT_TRUE(parse_ok("m{} 1\n").at(0).labels.empty());
}

TEST(TextParser, SkipsCommentsHelpAndType) {
  const auto s = parse_ok(
      "# HELP tcp_open_total Total count of opened connections.\n"
      "# TYPE tcp_open_total counter\n"
      "# just a comment\n"
      "#\n"
      "tcp_open_total{direction=\"inbound\"} 7\n"
      "# HELP empty_help\n"
      "# TYPE tcp_open_connections gauge\n"
      "tcp_open_connections{direction=\"inbound\"} 1\n"
      "# EOF\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name, "tcp_open_total");
  EXPECT_EQ(s[1].name, "tcp_open_connections");
}

TEST(TextParser, SpecialFloatValues) {
  const auto s = parse_ok(
      "response_latency_ms_bucket{le=\"+Inf\"} 42\n"
      "a +Inf\n"
      "b -Inf\n"
      "c NaN\n"
      "d 1.5e3\n"
      "e -0.25\n"
      "f +7\n");
  ASSERT_EQ(s.size(), 7u);
  EXPECT_EQ(s[0].label("le"), "+Inf");
  EXPECT_EQ(s[0].value, 42);
  EXPECT_EQ(s[1].value, std::numeric_limits<double>::infinity());
  EXPECT_EQ(s[2].value, -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(s[3].value));
  EXPECT_EQ(s[4].value, 1500);
  EXPECT_EQ(s[5].value, -0.25);
  EXPECT_EQ(s[6].value, 7);
}

TEST(TextParser, LargeCountersKeepPrecision) {
  const auto s = parse_ok("tcp_read_bytes_total 9007199254740992\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].value, 9007199254740992.0);
}

TEST(TextParser, Timestamps) {
  const auto s = parse_ok("m 1 1712345678901\nn{a=\"b\"} 2 -5\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].timestamp_ms, 1712345678901);
  EXPECT_EQ(s[1].timestamp_ms, -5);
}

TEST(TextParser, MetricNamesMayContainColons) {
  const auto s = parse_ok("job:request_total:rate5m 0.5\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].name, "job:request_total:rate5m");
}

TEST(TextParser, LastLineWithoutNewline) {
  const auto s = parse_ok("a 1\nb 2");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].name, "b");
}

TEST(TextParser, ReportsTheFailingLine) {
  const auto e = parse_fails("a 1\n# TYPE a counter\nb{x=\"1\" 2\n");
  EXPECT_EQ(e.line, 3u);
  EXPECT_FALSE(e.reason.empty());
}

TEST(TextParser, RejectsMalformedSamples) {
  parse_fails("a\n");                     // no value
  parse_fails("a{} \n");                  // no value after labels
  parse_fails("a one\n");                 // not a number
  parse_fails("a 1 2 3\n");               // trailing text
  parse_fails("a 1 1.5\n");               // timestamp must be an integer
  parse_fails("1a 1\n");                  // name starts with a digit
  parse_fails("a-b 1\n");                 // invalid name character
  parse_fails("a{x=\"1} 1\n");            // unterminated value
  parse_fails("a{x=1} 1\n");              // unquoted value
  parse_fails("a{x=\"1\" y=\"2\"} 1\n");  // missing comma
  parse_fails("a{x=\"1\",x=\"2\"} 1\n");  // duplicate label
  parse_fails("a{1x=\"1\"} 1\n");         // invalid label name
  parse_fails("a{x:y=\"1\"} 1\n");        // ':' is not allowed in label names
  parse_fails("a{x=\"1\\");               // escape at end of input
}

TEST(TextParser, RejectsMalformedHelpAndType) {
  parse_fails("# TYPE a countr\n");
  parse_fails("# TYPE a\n");
  parse_fails("# TYPE 1a counter\n");
  parse_fails("# TYPE a counter extra\n");
  parse_fails("# HELP\n");
}

}  // namespace
}  // namespace weft::metrics
