#include "support/proxy_fixture.hpp"

#include <sys/resource.h>

#include <thread>

#include "support/process.hpp"
#include "weft/metrics/labels.hpp"

namespace weft::test {

namespace {

// 1,000 proxied connections take ~4,000 descriptors in one test process.
[[maybe_unused]] const bool kFdLimitRaised = [] {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  return true;
}();

}  // namespace

core::ProxyConfig loopback_config() {
  auto config = core::load_proxy_config([](std::string_view) { return std::nullopt; });
  const auto lo = boost::asio::ip::make_address("127.0.0.1");
  config.inbound_listen = {lo, 0};
  config.outbound_listen = {{lo, 0}};
  config.admin_listen = {lo, 0};
  config.inbound_connect_timeout = std::chrono::seconds(2);
  config.outbound_connect_timeout = std::chrono::seconds(2);
  // Many tests have clients that wait for the endpoint before sending: they wait out detection.
  config.inbound_detect_timeout = std::chrono::milliseconds(300);
  config.outbound_detect_timeout = std::chrono::milliseconds(300);
  return config;
}

std::unique_ptr<app::Proxy> start_proxy(core::ProxyConfig config,
                                        std::unique_ptr<net::OrigDst> inbound,
                                        std::unique_ptr<net::OrigDst> outbound) {
  auto proxy =
      std::make_unique<app::Proxy>(std::move(config), std::move(inbound), std::move(outbound));
  proxy->start();
  return proxy;
}

std::unique_ptr<app::Proxy> start_proxy_to(const boost::asio::ip::tcp::endpoint& target,
                                           core::ProxyConfig config) {
  return start_proxy(std::move(config), std::make_unique<net::FixedOrigDst>(target),
                     std::make_unique<net::FixedOrigDst>(target));
}

std::string addr_label(const boost::asio::ip::tcp::endpoint& e) {
  return metrics::format_target_addr(e);
}

std::string http_get(const boost::asio::ip::tcp::endpoint& admin, const std::string& path,
                     int* status) {
  const auto r = run_command({"curl", "-sS", "--max-time", "10", "-w", "\n%{http_code}",
                              "http://" + addr_label(admin) + path});
  if (r.exit_code != 0) {
    ADD_FAILURE() << "curl " << path << " failed: " << r.err;
    return {};
  }
  const auto nl = r.out.rfind('\n');
  if (status != nullptr) *status = std::stoi(r.out.substr(nl + 1));
  return r.out.substr(0, nl);
}

double metric_value(const std::string& exposition, const std::string& name,
                    const std::map<std::string, std::string>& labels) {
  auto samples = metrics::parse_text(exposition);
  if (!samples) {
    ADD_FAILURE() << "unparseable exposition";
    return -1;
  }
  double sum = 0;
  for (const auto& s : *samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) match = match && s.label(k) == std::string_view(v);
    if (match) sum += s.value;
  }
  return sum;
}

testing::AssertionResult wait_for_metric(const app::Proxy& proxy, const std::string& name,
                                         const std::map<std::string, std::string>& labels,
                                         double expected, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  double last = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    last = metric_value(proxy.registry().render(), name, labels);
    if (last == expected) return testing::AssertionSuccess();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return testing::AssertionFailure() << name << " is " << last << ", expected " << expected;
}

testing::AssertionResult wait_for_no_connections(const app::Proxy& proxy,
                                                 std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (proxy.active_connections() != 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return testing::AssertionFailure() << proxy.active_connections() << " connections still open";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return testing::AssertionSuccess();
}

}  // namespace weft::test
