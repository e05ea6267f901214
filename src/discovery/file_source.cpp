#include "weft/discovery/file_source.hpp"

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

// A file written in place can be caught just truncated or half-written; a change is read only
// once the file has been still this long. (A file renamed over the old one is complete at
// once, but this costs it no more than one poll.)
constexpr std::chrono::milliseconds kSettle{100};

std::string errno_text(int err) { return std::generic_category().message(err); }

// What stat(2) says of the file, following symlinks. A new inode (rename over, ConfigMap
// symlink swap), a new size or a new mtime or ctime (a write in place, even one that keeps
// the mtime, as cp -p does) each change it.
std::string stamp_of(const struct stat& st) {
  return fmt::format("{}:{}:{}:{}.{:09}:{}.{:09}", st.st_dev, st.st_ino, st.st_size,
                     st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

// The whole file into `text`; false with `error` set when it cannot be read.
bool read_file(const std::string& path, std::string& text, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = fmt::format("cannot open: {}", errno_text(errno));
    return false;
  }
  char buf[16384];
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = fmt::format("cannot read: {}", errno_text(errno));
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxFileBytes) {
      error = fmt::format("larger than {} MiB", kMaxFileBytes >> 20);
      break;
    }
  }
  ::close(fd);
  return error.empty();
}

// Whether the file changed less than kSettle ago. An mtime in the future (a clock step, a
// touch -d) does not count as recent, or the file would never be read.
bool still_settling(const struct stat& st) {
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const auto age = std::chrono::seconds(now.tv_sec - st.st_mtim.tv_sec) +
                   std::chrono::nanoseconds(now.tv_nsec - st.st_mtim.tv_nsec);
  return age >= std::chrono::nanoseconds(0) && age < kSettle;
}

boost::system::result<TablePtr, std::string> load(const std::string& path) {
  std::string text;
  std::string error;
  if (!read_file(path, text, error)) return error;
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
        fmt::format("WEFT_PROXY_DESTINATIONS={}: {}", path_, errno_text(errno)));
  }
  auto table = load(path_);
  if (!table) {
    throw std::runtime_error(fmt::format("WEFT_PROXY_DESTINATIONS={}: {}", path_, table.error()));
  }
  store_ = &store;
  last_stamp_ = stamp_of(st);
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
  auto stamp = present ? stamp_of(st) : fmt::format("stat failed: {}", stat_errno);
  if (stamp == last_stamp_ || (present && still_settling(st))) return;
  last_stamp_ = std::move(stamp);
  auto table =
      present ? load(path_) : boost::system::result<TablePtr, std::string>(errno_text(stat_errno));
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
