#include "weft/tls/identity_source.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <array>
#include <stdexcept>

#include "weft/core/file.hpp"

namespace weft::tls {

namespace {

// Certificates, keys and bundles are a few KiB; a trust bundle of a large federation a few
// hundred.
constexpr std::size_t kMaxFileBytes = 1 << 20;

bool is_inline_pem(const std::string& s) { return s.find("-----BEGIN") != std::string::npos; }

}  // namespace

IdentitySource::IdentitySource(boost::asio::io_context& io, std::string dir,
                               std::string trust_anchors, core::duration poll)
    : io_(io),
      cert_path_(dir + "/tls.crt"),
      key_path_(dir + "/tls.key"),
      poll_(std::max(poll, core::duration{1})),
      timer_(io),
      alive_(std::make_shared<bool>(false)) {
  if (is_inline_pem(trust_anchors)) {
    if (!read_pem_certs(trust_anchors)) {
      throw std::invalid_argument("an inline PEM bundle that does not parse");
    }
    inline_anchors_ = std::move(trust_anchors);
  } else {
    anchors_path_ = trust_anchors.empty() ? dir + "/ca.crt" : std::move(trust_anchors);
  }
}

IdentitySource::~IdentitySource() { stop(); }

void IdentitySource::start(IdentityStore& store) {
  store_ = &store;
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  poll_once();
  arm();
}

void IdentitySource::stop() {
  *alive_ = false;
  timer_.cancel();
}

void IdentitySource::arm() {
  timer_.expires_after(poll_);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    poll_once();
    arm();
  });
}

void IdentitySource::poll_once() {
  // The stamps are taken before the reads: a write that lands after them changes them again, so
  // a set caught half-rotated (new certificate, old key) is read once more when the writer is
  // done, and counted as one error at most.
  std::array<const std::string*, 3> paths{&cert_path_, &key_path_, &anchors_path_};
  std::string stamp;
  for (const auto* path : paths) {
    if (path->empty()) continue;
    struct stat st {};
    if (::stat(path->c_str(), &st) != 0) {
      stamp += fmt::format("{}: {};", *path, core::errno_text(errno));
      continue;
    }
    if (core::still_settling(st)) return;
    stamp += core::stat_stamp(st) + ";";
  }
  if (stamp == last_stamp_) return;
  last_stamp_ = stamp;

  IdentityFiles files;
  std::string error;
  const auto read_one = [&error](const std::string& path, std::string& text) {
    if (core::read_small_file(path, kMaxFileBytes, text, error)) return true;
    error = fmt::format("{}: {}", path, error);
    return false;
  };
  const bool read = read_one(cert_path_, files.cert_pem) && read_one(key_path_, files.key_pem) &&
                    (!inline_anchors_.empty() || read_one(anchors_path_, files.anchors_pem));
  if (!inline_anchors_.empty()) files.anchors_pem = inline_anchors_;
  auto identity = read ? make_identity(files, std::chrono::system_clock::now())
                       : boost::system::result<IdentityPtr, std::string>(error);
  if (!identity) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("identity: {} not loaded{}: {}", cert_path_,
                 ready() ? " (keeping the current identity)" : "", identity.error());
    return;
  }
  const auto& loaded = **identity;
  expiration_.store(std::chrono::duration_cast<std::chrono::seconds>(
                        loaded.not_after.time_since_epoch())
                        .count(),
                    std::memory_order_relaxed);
  spdlog::info("identity: {} (server name {}), valid until {:%FT%TZ}", loaded.id.uri,
               loaded.server_name, fmt::gmtime(std::chrono::system_clock::to_time_t(loaded.not_after)));
  store_->publish(std::move(*identity));
  refreshes_.fetch_add(1, std::memory_order_relaxed);
  ready_.store(true, std::memory_order_release);
  if (on_load_) on_load_();
}

}  // namespace weft::tls
