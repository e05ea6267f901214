// Certificate rotation under load: h2load runs through the client pod's proxy to the server pod's
// while both pods' identities are issued again, twice, over the same files (as a CSI driver
// rotates them). Two client pods share web's identity: one routes HTTP over its pooled mesh
// connection (which lives through the rotations), the other routes the service as opaque TCP, so
// that every client connection makes a new mTLS handshake with whatever certificates are current.
// No request may fail, both proxies count three good loads, and B serves the newest certificate.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "support/h2_test_server.hpp"
#include "support/h2_tools.hpp"
#include "support/mesh_fixture.hpp"
#include "support/openssl_tools.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

/// Runs h2load batches against `url` on its own thread until stop(); keeps every batch's result.
class LoadLoop {
 public:
  LoadLoop(std::string url, std::vector<std::string> args)
      : url_(std::move(url)), args_(std::move(args)), thread_([this] { run(); }) {}
  ~LoadLoop() { stop(); }

  /// Waits until `n` batches have finished (60 s at most).
  [[nodiscard]] testing::AssertionResult wait_batches(std::size_t n) const {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (batches_done() < n) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return testing::AssertionFailure()
               << "only " << batches_done() << " of " << n << " load batches finished";
      }
      std::this_thread::sleep_for(10ms);
    }
    return testing::AssertionSuccess();
  }
  std::size_t batches_done() const {
    std::lock_guard lock(mutex_);
    return runs_.size();
  }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  /// After stop(): every batch.
  const std::vector<LoadRun>& runs() const { return runs_; }

 private:
  void run() {
    while (!stopping_) {
      auto argv = args_;
      argv.push_back(url_);
      auto run = run_h2load(argv);
      std::lock_guard lock(mutex_);
      runs_.push_back(std::move(run));
    }
  }

  std::string url_;
  std::vector<std::string> args_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<LoadRun> runs_;  // guarded by mutex_
  std::thread thread_;
};

using MtlsRotation = MeshTest;

TEST_F(MtlsRotation, NoRequestFailsWhileBothIdentitiesRotateTwice) {
  H2TestServer app;
  auto b = start_server_pod(app.endpoint());
  ASSERT_TRUE(b);
  auto a_http = start_client_pod(b->inbound_endpoint(), id("voting"));
  ASSERT_TRUE(a_http);
  auto a_tcp = start_client_pod(b->inbound_endpoint(), id("voting"), /*opaque=*/true);
  ASSERT_TRUE(a_tcp);

  // Pooled: 4 clients, 10 streams each, over A's one mesh connection. Opaque: 8 new mesh
  // connections per batch.
  LoadLoop pooled(h2_url(a_http->outbound_endpoint(), "/size/1000"),
                  {"-n", "2000", "-c", "4", "-m", "10"});
  LoadLoop fresh(h2_url(a_tcp->outbound_endpoint(), "/size/1000"),
                 {"-n", "400", "-c", "8", "-m", "4"});
  ASSERT_TRUE(pooled.wait_batches(1));
  ASSERT_TRUE(fresh.wait_batches(1));

  for (int round = 2; round <= 3; ++round) {
    // Each round's certificates live an hour longer than the last, so that the expiry gauge says
    // when a proxy has loaded them (a half-written set may be caught and counted once as an
    // error before the whole set is read).
    const auto lifetime = std::chrono::hours(23 + round);
    const auto issued_at = std::chrono::system_clock::now();
    const auto lifetime_flag = std::to_string(lifetime.count()) + "h";
    pki_.issue("voting", kNs, "voting", {"--lifetime", lifetime_flag});
    pki_.issue("web", kNs, "web", {"--lifetime", lifetime_flag});
    const double new_expiry = static_cast<double>(
        std::chrono::duration_cast<std::chrono::seconds>((issued_at + lifetime).time_since_epoch())
            .count());
    for (const auto* proxy : {b.get(), a_http.get(), a_tcp.get()}) {
      EXPECT_TRUE(wait_for_metric_at_least(*proxy, "identity_cert_expiration_timestamp_seconds", {},
                                           new_expiry - 60, 15s))
          << "round " << round;
      EXPECT_TRUE(wait_for_metric_at_least(*proxy, "identity_cert_refresh_total",
                                           {{"result", "ok"}}, round, 15s))
          << "round " << round;
    }
    // Load that started after the rotation: new connections meet the new certificates.
    const auto pooled_seen = pooled.batches_done();
    const auto fresh_seen = fresh.batches_done();
    EXPECT_TRUE(pooled.wait_batches(pooled_seen + 1));
    EXPECT_TRUE(fresh.wait_batches(fresh_seen + 1));
  }
  pooled.stop();
  fresh.stop();

  double requests = 0;
  for (const auto* loop : {&pooled, &fresh}) {
    for (std::size_t i = 0; i < loop->runs().size(); ++i) {
      EXPECT_TRUE(loop->runs()[i].clean()) << "batch " << i << "\n" << loop->runs()[i].output;
      requests += std::max(loop->runs()[i].total, 0);
    }
  }
  // Every request crossed the mesh hop as mTLS from web.
  EXPECT_TRUE(wait_for_metric(*b, "request_total",
                              {{"direction", "inbound"}, {"tls", "true"}, {"client_id", id("web")}},
                              requests))
      << dump_metric(*b, "request_total");
  for (const auto* proxy : {b.get(), a_http.get(), a_tcp.get()}) {
    const auto text = proxy->registry().render();
    // Three loads: the first and one per round (more would mean a set read twice).
    EXPECT_EQ(metric_value(text, "identity_cert_refresh_total", {{"result", "ok"}}), 3)
        << dump_metric(*proxy, "identity_cert_refresh_total");
    EXPECT_EQ(metric_value(text, "outbound_http_errors_total"), 0);
    EXPECT_EQ(metric_value(text, "inbound_http_errors_total"), 0);
  }

  // B now serves the certificate written last.
  if (!have_program("openssl")) return;
  const auto served = run_s_client(
      b->inbound_endpoint(),
      {"-servername", pki_.server_name(kNs, "voting"), "-CAfile", voting_dir_ + "/ca.crt", "-cert",
       web_dir_ + "/tls.crt", "-key", web_dir_ + "/tls.key", "-cert_chain",
       write_intermediates(web_dir_ + "/tls.crt", pki_.root() + "/web-chain.pem"), "-tls1_3"},
      "");
  const auto served_certs = pem_certificates(served.out);
  const auto written = pem_certificates(file_text(voting_dir_ + "/tls.crt"));
  ASSERT_FALSE(served_certs.empty()) << served.out << served.err;
  ASSERT_FALSE(written.empty());
  EXPECT_EQ(served_certs.front(), written.front());
}

}  // namespace
}  // namespace weft::test
