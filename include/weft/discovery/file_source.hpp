// The first discovery source: a destination file (YAML, or JSON, which YAML reads too) named by
// WEFT_PROXY_DESTINATIONS, re-read when it changes. The format is in docs/config.md. A file that
// does not parse or validate is logged and counted, and the last good table stays in use.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "weft/discovery/source.hpp"
#include "weft/discovery/table.hpp"

namespace weft::discovery {

/// Parses and validates a destination document. On error, the message names the place
/// ("services[1].endpoints[0].addr: expected ip:port, got \"x\"").
boost::system::result<TablePtr, std::string> parse_destinations(std::string_view text);

/// Watches one file by polling its status (stat, following symlinks: device, inode, size, mtime
/// and ctime in ns; a ConfigMap's symlink swap and an atomic rename change them too) every
/// `poll`, and publishes each new good table to the store. A changed file is read once it has
/// been still for 100 ms (so that a write in place is not caught half-done): a change is seen
/// within `poll` + 100 ms, plus the time to read and parse. start, stop and the destructor run on
/// `io`'s thread, or while `io` is not running; the counters may be read from any thread.
class FileSource final : public Source {
 public:
  FileSource(boost::asio::io_context& io, std::string path, core::duration poll);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  /// Reads the file once, synchronously: startup fails (std::runtime_error naming
  /// WEFT_PROXY_DESTINATIONS and the path) when it is missing or bad, because a proxy must not
  /// start with a table the operator did not mean. Then polls on `io`.
  void start(DestinationStore& store) override;
  void stop() override;

  /// Reloads that failed since start (the gauge behind destination_reload_errors_total): a file
  /// that does not parse or validate, or that cannot be read (gone, unreadable). Each change of
  /// the file's status counts once, not each poll.
  std::uint64_t reload_errors() const noexcept { return errors_.load(std::memory_order_relaxed); }
  /// Tables published since start, after the first one.
  std::uint64_t reloads() const noexcept { return reloads_.load(std::memory_order_relaxed); }

 private:
  void poll_once();
  void arm();

  boost::asio::io_context& io_;
  std::string path_;
  core::duration poll_;
  boost::asio::steady_timer timer_;
  DestinationStore* store_ = nullptr;
  std::string last_stamp_;  // what the last stat saw; a change triggers a read
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> reloads_{0};
  // Cleared by stop(): a timer completion already queued when the source stops or is destroyed
  // checks it before it touches `this`.
  std::shared_ptr<bool> alive_;
};

}  // namespace weft::discovery
