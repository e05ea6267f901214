// Unit tests for the Prometheus text writer and the process_* / proxy_build_info families.
#include "weft/metrics/text_writer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <regex>

#include "weft/build_info.hpp"
#include "weft/metrics/process.hpp"
#include "weft/metrics/tcp.hpp"

namespace weft::metrics {
namespace {

TEST(TextWriter, WritesHelpTypeAndSamples) {
  std::string out;
  TextWriter w(out);
  w.family("x_total", "Help with \\ and\nnewline", MetricType::counter);
  const std::array<Label, 2> labels{{{"a", "1"}, {"b", "q\"\\\n"}}};
  w.sample("x_total", labels, std::uint64_t{18446744073709551615ull});
  w.family("g", "A gauge", MetricType::gauge);
  w.sample("g", {}, std::int64_t{-3});
  w.sample("g", {}, 0.25);
  w.sample("g", {}, 1.7e9);
  EXPECT_EQ(out,
            "# HELP x_total Help with \\\\ and\\nnewline\n"
            "# TYPE x_total counter\n"
            "x_total{a=\"1\",b=\"q\\\"\\\\\\n\"} 18446744073709551615\n"
            "# HELP g A gauge\n"
            "# TYPE g gauge\n"
            "g -3\n"
            "g 0.25\n"
            "g 1.7e+09\n");
}

TEST(TextWriter, EscapesOnlyBackslashQuoteAndNewline) {
  std::string out;
  append_escaped_label_value(out, "plain \t 10.0.0.1:80 ü");
  EXPECT_EQ(out, "plain \t 10.0.0.1:80 ü");
  out.clear();
  append_escaped_label_value(out, "\\\"\n");
  EXPECT_EQ(out, "\\\\\\\"\\n");
}

TEST(TextWriter, NonFiniteDoubles) {
  std::string out;
  TextWriter w(out);
  w.sample("v", {}, std::numeric_limits<double>::infinity());
  w.sample("v", {}, -std::numeric_limits<double>::infinity());
  w.sample("v", {}, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(out, "v +Inf\nv -Inf\nv NaN\n");
}

// /proc/<pid>/stat of a process whose name holds a space and a parenthesis.
constexpr const char* kProcStat =
    "4242 (weft (proxy) x) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 50 0 0 20 0 7 0 "
    "123456 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(Process, ParsesProcStatFieldsAfterTheLastParen) {
  auto st = parse_proc_stat(kProcStat);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->utime_ticks, 250u);
  EXPECT_EQ(st->stime_ticks, 50u);
  EXPECT_EQ(st->num_threads, 7u);
  EXPECT_EQ(st->start_time_ticks, 123456u);
  EXPECT_EQ(st->vsize_bytes, 104857600u);
  EXPECT_EQ(st->rss_pages, 2560u);
}

TEST(Process, RejectsTruncatedProcStat) {
  EXPECT_FALSE(parse_proc_stat("4242 (weft) S 1 2 3").has_value());
  EXPECT_FALSE(parse_proc_stat("no parens at all").has_value());
  EXPECT_FALSE(parse_proc_stat("").has_value());
}

TEST(Process, ParsesBootTime) {
  auto bt = parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n");
  ASSERT_TRUE(bt.has_value());
  EXPECT_EQ(*bt, 1700000000u);
  EXPECT_FALSE(parse_boot_time("cpu 1\n").has_value());
}

TEST(Process, WritesEveryFamily) {
  ProcessStats s;
  s.cpu_seconds = 3;
  s.resident_memory_bytes = 10485760;
  s.virtual_memory_bytes = 104857600;
  s.open_fds = 12;
  s.max_fds = 1048576;
  s.start_time_seconds = 1700001234.5;
  s.threads = 7;
  std::string out;
  TextWriter w(out);
  write_process_metrics(w, s);
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 3\n",
        "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 10485760\n",
        "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes 104857600\n",
        "# TYPE process_open_fds gauge\nprocess_open_fds 12\n",
        "# TYPE process_max_fds gauge\nprocess_max_fds 1048576\n",
        "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds 1700001234.5\n",
        "# TYPE process_threads gauge\nprocess_threads 7\n"}) {
    EXPECT_NE(out.find(line), std::string::npos) << "missing " << line << " in\n" << out;
  }
}

TEST(Process, ReadsThisProcess) {
  const ProcessStats s = read_process_stats();
  EXPECT_GT(s.resident_memory_bytes, 0u);
  EXPECT_GE(s.virtual_memory_bytes, s.resident_memory_bytes);
  EXPECT_GE(s.open_fds, 3u);  // at least stdin, stdout, stderr
  EXPECT_GE(s.max_fds, s.open_fds);
  EXPECT_GE(s.threads, 1u);
  EXPECT_GT(s.start_time_seconds, 1.5e9);  // after 2017, i.e. not 0
}

TEST(BuildInfo, WritesTheGeneratedConstants) {
  std::string out;
  TextWriter w(out);
  write_build_info(w);
  const std::string expected = std::string("# HELP proxy_build_info Proxy build info.\n") +
                               "# TYPE proxy_build_info gauge\n" + "proxy_build_info{version=\"" +
                               build_info::version + "\",git_sha=\"" + build_info::git_sha +
                               "\",profile=\"" + build_info::profile + "\",vendor=\"" +
                               build_info::vendor + "\",date=\"" + build_info::date + "\"} 1\n";
  EXPECT_EQ(out, expected);
}

TEST(Registry, RenderHasEveryFamilyExactlyOnce) {
  Registry r(2);
  auto h = r.shard(1).open_tcp(
      {Direction::inbound, Peer::src,
       boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("10.0.0.1"), 80),
       TlsRef::no_identity("loopback")});
  const std::string out = r.render();
  for (const char* family :
       {"tcp_open_total", "tcp_close_total", "tcp_open_connections", "tcp_read_bytes_total",
        "tcp_write_bytes_total", "process_cpu_seconds_total", "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
        "process_start_time_seconds", "process_threads", "proxy_build_info"}) {
    const std::string type = std::string("# TYPE ") + family + " ";
    const auto first = out.find(type);
    ASSERT_NE(first, std::string::npos) << family;
    EXPECT_EQ(out.find(type, first + 1), std::string::npos) << family << " twice";
    const std::string help = std::string("# HELP ") + family + " ";
    EXPECT_EQ(out.find(help, out.find(help) + 1), std::string::npos) << family << " twice";
  }
  EXPECT_TRUE(out.ends_with("\n"));
}

}  // namespace
}  // namespace weft::metrics
