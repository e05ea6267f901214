#include "weft/app/proxy.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <csignal>
#include <numeric>

#include "weft/core/clock.hpp"

namespace weft::app {

namespace {

std::unique_ptr<net::OrigDst> orig_dst_for(
    const std::optional<boost::asio::ip::tcp::endpoint>& fixed) {
  if (fixed) return std::make_unique<net::FixedOrigDst>(*fixed);
  return std::make_unique<net::SocketOrigDst>();
}

}  // namespace

Proxy::Proxy(core::ProxyConfig config)
    : Proxy(config, orig_dst_for(config.inbound_orig_dst), orig_dst_for(config.outbound_orig_dst)) {
}

Proxy::Proxy(core::ProxyConfig config, std::unique_ptr<net::OrigDst> inbound_orig_dst,
             std::unique_ptr<net::OrigDst> outbound_orig_dst)
    : config_(std::move(config)),
      inbound_orig_dst_(std::move(inbound_orig_dst)),
      outbound_orig_dst_(std::move(outbound_orig_dst)),
      registry_(std::make_unique<metrics::Registry>(config_.cores, config_.metrics_retain_idle)) {
  // splice(2) into a socket whose peer has gone raises SIGPIPE (it has no MSG_NOSIGNAL); the
  // proxy handles EPIPE as a value instead, wherever it runs (its binary or a test process).
  std::signal(SIGPIPE, SIG_IGN);
  // The first worker resolves port-0 addresses; the others bind the ports it got, so that all
  // share one SO_REUSEPORT group per address.
  auto inbound = config_.inbound_listen;
  auto outbound = config_.outbound_listen;
  for (unsigned i = 0; i < config_.cores; ++i) {
    workers_.push_back(std::make_unique<Worker>(
        WorkerSetup{&config_, inbound_orig_dst_.get(), outbound_orig_dst_.get(),
                    &registry_->shard(i), inbound, outbound, &destinations_, config_.cores,
                    config_.identity_dir.empty() ? nullptr : &identity_}));
    inbound = inbound_endpoint();
    outbound = outbound_endpoints();
  }
  admin_ = std::make_unique<admin::Server>(admin_ioc_, config_.admin_listen, *registry_, ready_);
  if (!config_.destinations_path.empty()) {
    // Read once now (a missing or bad file stops the startup), then polled: a change is seen
    // within a second and a half of being written.
    destination_file_ = std::make_unique<discovery::FileSource>(
        admin_ioc_, config_.destinations_path, std::chrono::milliseconds(1000));
    try {
      destination_file_->start(destinations_);
    } catch (const std::exception& e) {
      throw core::ConfigError("WEFT_PROXY_DESTINATIONS", config_.destinations_path,
                              fmt::format("a readable destination file ({})", e.what()));
    }
  }
  if (!config_.identity_dir.empty()) {
    // Missing or bad files do not stop the startup (a CSI driver may write them a moment after
    // the container starts): the proxy stays unready, keeps looking, and says why in the log.
    try {
      identity_files_ = std::make_unique<tls::IdentitySource>(
          admin_ioc_, config_.identity_dir, config_.identity_trust_anchors,
          std::chrono::milliseconds(1000));
    } catch (const std::exception& e) {
      throw core::ConfigError("WEFT_PROXY_IDENTITY_TRUST_ANCHORS", "(inline PEM)", e.what());
    }
    identity_files_->on_load([this] {
      if (started_.load()) ready_.store(true, std::memory_order_release);
    });
    identity_files_->start(identity_);
  }
  registry_->set_extra_families([this](metrics::TextWriter& w) { render_control_metrics(w); });
}

void Proxy::render_control_metrics(metrics::TextWriter& w) const {
  if (destination_file_) {
    constexpr std::string_view kName = "destination_reloads_total";
    w.family(kName, "Reads of the destination file (WEFT_PROXY_DESTINATIONS) by outcome",
             metrics::MetricType::counter);
    const metrics::Label ok{"result", "ok"};
    const metrics::Label error{"result", "error"};
    // The read at startup counts as the first good one.
    w.sample(kName, std::span(&ok, 1), destination_file_->reloads() + 1);
    w.sample(kName, std::span(&error, 1), destination_file_->reload_errors());
  }
  if (identity_files_) {
    constexpr std::string_view kExpiry = "identity_cert_expiration_timestamp_seconds";
    w.family(kExpiry, "When the loaded workload certificate expires (UNIX seconds; 0 before one)",
             metrics::MetricType::gauge);
    w.sample(kExpiry, {}, identity_files_->expiration_seconds());
    constexpr std::string_view kRefresh = "identity_cert_refresh_total";
    w.family(kRefresh, "Loads of the identity files (WEFT_PROXY_IDENTITY_DIR) by outcome",
             metrics::MetricType::counter);
    const metrics::Label ok{"result", "ok"};
    const metrics::Label error{"result", "error"};
    w.sample(kRefresh, std::span(&ok, 1), identity_files_->refreshes());
    w.sample(kRefresh, std::span(&error, 1), identity_files_->refresh_errors());
  }
}

Proxy::~Proxy() { stop(); }

boost::asio::ip::tcp::endpoint Proxy::inbound_endpoint() const {
  return workers_.front()->endpoints(metrics::Direction::inbound).front();
}
boost::asio::ip::tcp::endpoint Proxy::outbound_endpoint() const {
  return outbound_endpoints().front();
}
std::vector<boost::asio::ip::tcp::endpoint> Proxy::outbound_endpoints() const {
  return workers_.front()->endpoints(metrics::Direction::outbound);
}
boost::asio::ip::tcp::endpoint Proxy::admin_endpoint() const { return admin_->local_endpoint(); }

void Proxy::start() {
  admin_->start();
  admin_thread_ = std::thread([this] {
    auto work = boost::asio::make_work_guard(admin_ioc_);
    admin_ioc_.run();
  });
  for (auto& worker : workers_) worker->start();
  started_.store(true);
  if (!identity_files_ || identity_files_->ready()) ready_.store(true, std::memory_order_release);
}

void Proxy::drain() {
  for (auto& worker : workers_) worker->stop_accepting();
}

bool Proxy::wait_idle(core::duration grace) const {
  // Polled rather than signalled: drain happens once per process and 10 ms is far below any
  // grace period worth configuring.
  const auto deadline = Clock::now() + grace;
  while (active_connections() != 0) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void Proxy::stop() {
  ready_.store(false, std::memory_order_release);
  for (auto& worker : workers_) worker->stop();
  if (admin_thread_.joinable()) {
    admin_ioc_.stop();
    admin_thread_.join();
    admin_->stop();  // the admin loop is no longer running, so this thread may touch it
  }
  if (destination_file_) destination_file_->stop();
  if (identity_files_) identity_files_->stop();
}

std::size_t Proxy::active_connections() const noexcept {
  return std::accumulate(workers_.begin(), workers_.end(), std::size_t{0},
                         [](std::size_t n, const auto& w) { return n + w->active_connections(); });
}

}  // namespace weft::app
