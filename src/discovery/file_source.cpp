#include "weft/discovery/file_source.hpp"

#include "weft/core/file.hpp"

#include <fcntl.h>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <stdexcept>
#include <system_error>

namespace weft::discovery {
namespace {

// A destination file for a large cluster is a few MiB; anything far larger is a mistake, and
// must not make the proxy allocate without bound.
constexpr std::size_t kMaxFileBytes = 64 << 20;

boost::system::result<TablePtr, std::string> load(const std::string& path) {
  std::string text;
  std::string error;
  if (!core::read_small_file(path, kMaxFileBytes, text, error)) return error;
  return parse_destinations(text);
}

void log_loaded(const DestinationTable& table, const std::string& path) {
  spdlog::info("destinations: {} services from {}", table.services().size(), path);
}

}  // namespace

FileSource::FileSource(boost::asio::io_context& io, std::string path, core::duration poll)
    : io_(io),
      path_(std::move(path)),
      poll_(std::max(poll, core::duration{1})),
      timer_(io),
      alive_(std::make_shared<bool>(false)) {}

FileSource::~FileSource() { stop(); }

void FileSource::start(DestinationStore& store) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    throw std::runtime_error(
        fmt::format("WEFT_PROXY_DESTINATIONS={}: {}", path_, core::errno_text(errno)));
  }
  auto table = load(path_);
  if (!table) {
    throw std::runtime_error(fmt::format("WEFT_PROXY_DESTINATIONS={}: {}", path_, table.error()));
  }
  store_ = &store;
  last_stamp_ = core::stat_stamp(st);
  log_loaded(**table, path_);
  store.publish(std::move(*table));
  *alive_ = false;  // completions of an earlier start() stay stopped
  alive_ = std::make_shared<bool>(true);
  arm();
}

void FileSource::stop() {
  *alive_ = false;
  timer_.cancel();
}

void FileSource::arm() {
  timer_.expires_after(poll_);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    poll_once();
    arm();
  });
}

void FileSource::poll_once() {
  // The status is taken before the read: a write that lands after it changes the status again,
  // so a half-written file that failed to parse is read once more when the writer is done.
  struct stat st {};
  const bool present = ::stat(path_.c_str(), &st) == 0;
  const int stat_errno = errno;
  auto stamp = present ? core::stat_stamp(st) : fmt::format("stat failed: {}", stat_errno);
  if (stamp == last_stamp_ || (present && core::still_settling(st))) return;
  last_stamp_ = std::move(stamp);
  auto table =
      present ? load(path_) : boost::system::result<TablePtr, std::string>(core::errno_text(stat_errno));
  if (!table) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("destinations: {}: {}; keeping the last good table", path_, table.error());
    return;
  }
  reloads_.fetch_add(1, std::memory_order_relaxed);
  log_loaded(**table, path_);
  store_->publish(std::move(*table));
}

}  // namespace weft::discovery
