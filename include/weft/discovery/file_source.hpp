// The first discovery source: a destination file (YAML, or JSON, which YAML reads too) named by
// WEFT_PROXY_DESTINATIONS, re-read when it changes. The format is in docs/config.md. A file that
// does not parse or validate is logged and counted, and the last good table stays in use.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>
#include "weft/discovery/source.hpp"
#include "weft/discovery/table.hpp"

namespace weft::discovery {

/// Parses and validates a destination document. On error, the message names the place
/// ("services[1].endpoints[0].addr: expected ip:port, got \"x\"").
boost::system::result<TablePtr, std::string> parse_destinations(std::string_view text);

/// Watches one file by polling its status (path, inode, size, mtime; a ConfigMap's symlink swap
/// changes them too) every `poll` and publishes each new good table to the store.
class FileSource final : public Source {
 public:
  FileSource(boost::asio::io_context& io, std::string path, core::duration poll);
  ~FileSource() override;

  /// Reads the file once, synchronously: startup fails (exception) when it is missing or bad,
  /// because a proxy must not start with a table the operator did not mean. Then polls on `io`.
  void start(DestinationStore& store) override;
  void stop() override;

  /// Reloads that failed since start (the gauge behind destination_reload_errors_total).
  std::uint64_t reload_errors() const noexcept { return errors_.load(std::memory_order_relaxed); }

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
  bool stopped_ = false;
};

}  // namespace weft::discovery
