#include "identity_files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace weft::cli {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, int err) {
  throw FileError(fmt::format("{}: {}", path.string(), std::strerror(err)));
}

/// Closes the descriptor and removes the temporary file unless it was renamed into place.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) { fd_ = ::mkstemp(path_.data()); }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!kept_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const noexcept { return fd_; }
  const std::string& path() const noexcept { return path_; }
  int close() {
    const int r = ::close(fd_);
    fd_ = -1;
    return r;
  }
  void keep() noexcept { kept_ = true; }

 private:
  std::string path_;
  int fd_ = -1;
  bool kept_ = false;
};

}  // namespace

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, errno);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail(path, errno);
  return std::move(text).str();
}

std::vector<tls::X509Ptr> read_cert_file(const std::filesystem::path& path) {
  auto certs = tls::read_pem_certs(read_file(path));
  if (!certs) throw FileError(fmt::format("{}: not a PEM certificate file", path.string()));
  return std::move(*certs);
}

tls::EvpPkeyPtr read_key_file(const std::filesystem::path& path) {
  auto key = tls::read_pem_key(read_file(path));
  if (!key) throw FileError(fmt::format("{}: not a PEM private key", path.string()));
  return std::move(*key);
}

void make_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw FileError(fmt::format("{}: {}", dir.string(), ec.message()));
}

void write_file_atomic(const std::filesystem::path& path, std::string_view data, mode_t mode) {
  // The temporary name starts with '.' so that directory listings and globs skip it.
  const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  TempFile temp((dir / fmt::format(".{}.tmp-XXXXXX", path.filename().string())).string());
  if (temp.fd() < 0) fail(path, errno);
  if (::fchmod(temp.fd(), mode) != 0) fail(temp.path(), errno);
  while (!data.empty()) {
    const auto n = ::write(temp.fd(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(temp.path(), errno);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  // Durable before visible: after a crash the name holds the old file or the whole new one.
  if (::fsync(temp.fd()) != 0 || temp.close() != 0) fail(temp.path(), errno);
  if (::rename(temp.path().c_str(), path.c_str()) != 0) fail(path, errno);
  temp.keep();
}

}  // namespace weft::cli
