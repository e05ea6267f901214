// histogram_quantile against the real one: Prometheus' own evaluator (`promtool test rules`) must
// compute exactly the values weft stat prints, over random histograms with Linkerd's buckets.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <spdlog/fmt/fmt.h>
#include <string>

#include "cli/golden_stats.hpp"
#include "weft/metrics/http.hpp"

namespace weft::cli {
namespace {

bool ci() {
  const char* v = std::getenv("CI");
  return v != nullptr && std::string(v) == "true";
}

/// Runs `promtool test rules` on a test file; returns its exit status and output.
std::pair<int, std::string> promtool_test_rules(const std::string& yaml) {
  char path[] = "/tmp/weft-quantile-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return {-1, "mkstemp failed"};
  ::close(fd);
  { std::ofstream(path) << yaml; }
  const std::string cmd = fmt::format("timeout 60 /usr/bin/promtool test rules {} 2>&1", path);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::string output;
  std::array<char, 512> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) output.append(buf.data(), n);
  const int status = ::pclose(p);
  ::unlink(path);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

/// A random cumulative histogram over Linkerd's bounds: most buckets empty, a few busy, some
/// observations above the last bound now and then.
LatencyBuckets random_histogram(std::mt19937& rng) {
  std::uniform_int_distribution<int> busy(0, 3);
  std::uniform_int_distribution<int> count(1, 500);
  LatencyBuckets buckets;
  double total = 0;
  for (const auto bound : metrics::kLatencyBucketsMs) {
    if (busy(rng) == 0) total += count(rng);
    buckets[bound] = total;
  }
  if (busy(rng) == 0) total += count(rng);
  buckets[std::numeric_limits<double>::infinity()] = total;
  return buckets;
}

#define REQUIRE_PROMTOOL()                                                               \
  do {                                                                                   \
    if (::access("/usr/bin/promtool", X_OK) != 0) {                                      \
      if (ci()) FAIL() << "promtool is missing (Debian package prometheus) and CI=true"; \
      GTEST_SKIP() << "promtool not installed (Debian package prometheus)";              \
    }                                                                                    \
  } while (0)

// The harness itself: a wrong expected value must fail, else agreement proves nothing.
TEST(HistogramQuantile, PromtoolRejectsAWrongQuantile) {
  REQUIRE_PROMTOOL();
  const auto [status, output] = promtool_test_rules(
      "rule_files: []\ntests:\n  - interval: 1m\n    input_series:\n"
      "      - series: 'h{le=\"1\"}'\n        values: '10'\n"
      "      - series: 'h{le=\"+Inf\"}'\n        values: '10'\n"
      "    promql_expr_test:\n"
      "      - expr: histogram_quantile(0.5, sum by (le) (h))\n        eval_time: 0\n"
      "        exp_samples: [{labels: '{}', value: 0.50000000000000011}]\n");
  EXPECT_NE(status, 0) << output;
}

TEST(HistogramQuantile, AgreesWithPrometheus) {
  REQUIRE_PROMTOOL();
  std::mt19937 rng(20261126);
  std::string series, exprs;
  int compared = 0;
  for (int h = 0; h < 40; ++h) {
    const auto buckets = random_histogram(rng);
    for (const auto& [le, n] : buckets) {
      const auto le_text = std::isinf(le) ? std::string("+Inf") : fmt::format("{}", le);
      series += fmt::format("      - series: 'h{}{{le=\"{}\"}}'\n        values: '{}'\n", h,
                            le_text, n);
    }
    for (const double q : {0.5, 0.95, 0.99}) {
      const auto ours = histogram_quantile(q, buckets);
      if (!ours) continue;  // no observations: Prometheus says NaN, weft stat says "-"
      exprs += fmt::format(
          "      - expr: histogram_quantile({}, sum by (le) (h{}))\n        eval_time: 0\n"
          "        exp_samples: [{{labels: '{{}}', value: {:.17g}}}]\n",
          q, h, *ours);
      ++compared;
    }
  }
  ASSERT_GT(compared, 60);
  const std::string yaml = "rule_files: []\ntests:\n  - interval: 1m\n    input_series:\n" + series +
                           "    promql_expr_test:\n" + exprs;
  const auto [status, output] = promtool_test_rules(yaml);
  EXPECT_EQ(status, 0) << output;
}

}  // namespace
}  // namespace weft::cli
