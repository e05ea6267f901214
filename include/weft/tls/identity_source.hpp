// Where the identity comes from: the files in WEFT_PROXY_IDENTITY_DIR (and the trust anchors,
// inline or from a file), polled on the admin thread. A new, valid set is built into an Identity
// and published; an invalid one is logged and counted, and the last good identity stays. This is
// rotation: cert-manager's csi-driver-spiffe (or SPIRE's helper) rewrites the files, the next poll
// swaps the TLS contexts, open connections keep theirs and new ones use the new certificate.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "weft/core/parse.hpp"
#include "weft/tls/identity.hpp"

namespace weft::tls {

class IdentitySource {
 public:
  /// `trust_anchors`: inline PEM, a path, or "" for `dir`/ca.crt. Inline PEM that does not parse
  /// throws std::invalid_argument: it cannot get better by waiting.
  IdentitySource(boost::asio::io_context& io, std::string dir, std::string trust_anchors,
                 core::duration poll);
  ~IdentitySource();
  IdentitySource(const IdentitySource&) = delete;
  IdentitySource& operator=(const IdentitySource&) = delete;

  /// Reads the files once now and publishes the identity when they are good (when they are
  /// missing or bad, the proxy starts unready and keeps looking), then polls on `io`. start, stop
  /// and the destructor run on `io`'s thread, or while `io` is not running.
  void start(IdentityStore& store);
  void stop();
  /// Called on `io`'s thread (or in start) after each identity is published. Set before start.
  void on_load(std::function<void()> callback) { on_load_ = std::move(callback); }

  /// An identity is loaded: /ready may say yes.
  bool ready() const noexcept { return ready_.load(std::memory_order_acquire); }
  /// identity_cert_refresh_total{result="ok"}: identities published, the first one included.
  std::uint64_t refreshes() const noexcept { return refreshes_.load(std::memory_order_relaxed); }
  /// identity_cert_refresh_total{result="error"}: changed files that were refused (each change
  /// once, not each poll), missing files included.
  std::uint64_t refresh_errors() const noexcept { return errors_.load(std::memory_order_relaxed); }
  /// identity_cert_expiration_timestamp_seconds: the loaded leaf's notAfter (0 before one).
  std::int64_t expiration_seconds() const noexcept {
    return expiration_.load(std::memory_order_relaxed);
  }

 private:
  void poll_once();
  void arm();

  boost::asio::io_context& io_;
  std::string cert_path_, key_path_, anchors_path_;
  std::string inline_anchors_;  // when the anchors were given inline
  core::duration poll_;
  boost::asio::steady_timer timer_;
  IdentityStore* store_ = nullptr;
  std::string last_stamp_;  // the three files' stat stamps at the last read
  std::atomic<bool> ready_{false};
  std::atomic<std::uint64_t> refreshes_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::int64_t> expiration_{0};
  std::function<void()> on_load_;
  std::shared_ptr<bool> alive_;  // cleared by stop(), for timer completions already queued
};

}  // namespace weft::tls
