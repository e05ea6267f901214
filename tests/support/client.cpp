#include "support/client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace weft::test {

Client::Client(const boost::asio::ip::tcp::endpoint& target, std::chrono::milliseconds io_timeout) {
  fd_ = ::socket(target.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    connect_errno_ = errno;
    return;
  }
  timeval tv{static_cast<time_t>(io_timeout.count() / 1000),
             static_cast<suseconds_t>((io_timeout.count() % 1000) * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (::connect(fd_, target.data(), static_cast<socklen_t>(target.size())) != 0) {
    connect_errno_ = errno;
  }
}

Client::~Client() { close(); }

Client::Client(Client&& other) noexcept : fd_(other.fd_), connect_errno_(other.connect_errno_) {
  other.fd_ = -1;
}

bool Client::send_all(std::string_view data) {
  while (!data.empty()) {
    const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void Client::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

std::string Client::read_exactly(std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const auto r = ::recv(fd_, out.data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  return out;
}

std::string Client::read_to_end(ReadEnd& end) {
  std::string out;
  char buf[65536];
  for (;;) {
    const auto r = ::recv(fd_, buf, sizeof(buf), 0);
    if (r > 0) {
      out.append(buf, static_cast<std::size_t>(r));
      continue;
    }
    if (r == 0) {
      end = ReadEnd::eof;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == ECONNRESET) {
      end = ReadEnd::reset;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      end = ReadEnd::timeout;
    } else {
      end = ReadEnd::other_error;
    }
    return out;
  }
}

void Client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace weft::test
