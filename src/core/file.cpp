#include "weft/core/file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <system_error>

namespace weft::core {

namespace {
constexpr std::chrono::milliseconds kSettle{100};
}

std::string errno_text(int err) { return std::generic_category().message(err); }

std::string stat_stamp(const struct stat& st) {
  return fmt::format("{}:{}:{}:{}.{:09}:{}.{:09}", st.st_dev, st.st_ino, st.st_size,
                     st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

bool read_small_file(const std::string& path, std::size_t max_bytes, std::string& text,
                     std::string& error) {
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
    if (text.size() > max_bytes) {
      error = fmt::format("larger than {} KiB", max_bytes >> 10);
      break;
    }
  }
  ::close(fd);
  return error.empty();
}

bool still_settling(const struct stat& st) {
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const auto age = std::chrono::seconds(now.tv_sec - st.st_mtim.tv_sec) +
                   std::chrono::nanoseconds(now.tv_nsec - st.st_mtim.tv_nsec);
  return age >= std::chrono::nanoseconds(0) && age < kSettle;
}

}  // namespace weft::core
