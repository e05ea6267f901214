#include "support/h2_test_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace weft::test {

namespace {

struct Stream {
  std::string path;
  std::string body;  // request body (echo) or response body (size)
  std::vector<std::pair<std::string, std::string>> trailers;
  std::string request_headers;  // "name: value\n" for each regular request field (GET /headers)
  std::string response;
  std::size_t sent = 0;
  bool echo_trailers = false;
};

struct Conn {
  H2TestServer* server = nullptr;
  bool die = false;  // close the socket after the next write (GET /die)
  nghttp2_session* session = nullptr;
  std::map<std::int32_t, std::unique_ptr<Stream>> streams;
};

nghttp2_nv nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

Stream* find(Conn& c, std::int32_t id) {
  auto it = c.streams.find(id);
  return it == c.streams.end() ? nullptr : it->second.get();
}

ssize_t read_cb(nghttp2_session* session, std::int32_t id, std::uint8_t* buf, std::size_t len,
                std::uint32_t* flags, nghttp2_data_source*, void* user) {
  auto& conn = *static_cast<Conn*>(user);
  auto* s = find(conn, id);
  if (s == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  if (s->path == "/die") {
    if (conn.die) return NGHTTP2_ERR_DEFERRED;
    conn.die = true;
    std::memset(buf, 'd', std::min<std::size_t>(len, 1000));
    return static_cast<ssize_t>(std::min<std::size_t>(len, 1000));
  }
  const std::size_t n = std::min(len, s->response.size() - s->sent);
  std::memcpy(buf, s->response.data() + s->sent, n);
  s->sent += n;
  conn.server->add_body_bytes_sent(n);
  if (s->sent == s->response.size()) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (s->echo_trailers) {
      std::vector<nghttp2_nv> nva;
      for (const auto& [k, v] : s->trailers) nva.push_back(nv(k, v));
      nva.push_back(nv("x-echo-trailer", "1"));
      nghttp2_submit_trailer(session, id, nva.data(), nva.size());
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    }
  }
  return static_cast<ssize_t>(n);
}

void respond(Conn& c, std::int32_t id) {
  const nghttp2_nv nva[] = {nv(":status", "200"), nv("content-type", "application/octet-stream")};
  nghttp2_data_provider prd{};
  prd.read_callback = read_cb;
  nghttp2_submit_response(c.session, id, nva, 2, &prd);
}

int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    static_cast<Conn*>(user)->streams[frame->hd.stream_id] = std::make_unique<Stream>();
  }
  return 0;
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
              std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
              void* user) {
  auto* s = find(*static_cast<Conn*>(user), frame->hd.stream_id);
  if (s == nullptr) return 0;
  std::string k(reinterpret_cast<const char*>(name), namelen);
  std::string v(reinterpret_cast<const char*>(value), valuelen);
  if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    if (k == ":path") s->path = v;
    if (!k.starts_with(":")) s->request_headers += k + ": " + v + "\n";
  } else {
    s->trailers.emplace_back(std::move(k), std::move(v));
  }
  return 0;
}

int on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
  auto& c = *static_cast<Conn*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  auto* s = find(c, frame->hd.stream_id);
  if (s == nullptr) return 0;
  const std::int32_t id = frame->hd.stream_id;
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    c.server->count_request();
    if (s->path == "/reset") {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_ENHANCE_YOUR_CALM);
      return 0;
    }
    if (s->path.rfind("/size/", 0) == 0) {
      s->response = pattern_bytes(std::stoull(s->path.substr(6)));
      respond(c, id);
      return 0;
    }
    if (s->path == "/die") {
      respond(c, id);
      return 0;
    }
    if (s->path == "/headers") {
      s->response = s->request_headers;
      respond(c, id);
      return 0;
    }
    if (s->path == "/goaway") {
      s->response = "bye";
      respond(c, id);
      nghttp2_submit_goaway(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR, nullptr, 0);
      return 0;
    }
    if (s->path == "/grpc-fail") {
      const nghttp2_nv nva[] = {nv(":status", "200"), nv("content-type", "application/grpc"),
                                nv("grpc-status", "14"), nv("grpc-message", "test unavailable")};
      nghttp2_submit_response(session, id, nva, 4, nullptr);
      return 0;
    }
  }
  if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0 && s->path == "/echo") {
    s->response = std::move(s->body);
    s->echo_trailers = true;
    respond(c, id);
  }
  return 0;
}

int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                  std::size_t len, void* user) {
  if (auto* s = find(*static_cast<Conn*>(user), id)) {
    s->body.append(reinterpret_cast<const char*>(data), len);
  }
  return 0;
}

int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t code, void* user) {
  auto& c = *static_cast<Conn*>(user);
  auto* s = find(c, id);
  if (s != nullptr && s->path == "/hang") c.server->record_hang_reset(code);
  c.streams.erase(id);
  return 0;
}

bool write_all(int fd, const std::uint8_t* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

std::string pattern_bytes(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 131 + (i >> 12)) & 0xff);
  return out;
}

H2TestServer::H2TestServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 128) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("H2TestServer: cannot listen");
  }
  endpoint_ = {boost::asio::ip::address_v4::loopback(), ntohs(addr.sin_port)};
  acceptor_ = std::thread([this] { accept_loop(); });
}

H2TestServer::~H2TestServer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  for (int fd : fds_) ::close(fd);
}

int H2TestServer::wait_hang_reset(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (hang_reset_.load() < 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return hang_reset_.load();
}

void H2TestServer::accept_loop() {
  while (!stopping_) {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    ++connections_;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mu_);
    fds_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void H2TestServer::serve(int fd) {
  static const nghttp2_session_callbacks* callbacks = [] {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    return cbs;
  }();
  Conn conn;
  conn.server = this;
  nghttp2_session_server_new(&conn.session, callbacks, &conn);
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 1000},
                                             {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20}};
  nghttp2_submit_settings(conn.session, NGHTTP2_FLAG_NONE, settings, 2);
  std::vector<std::uint8_t> buf(64 * 1024);
  for (;;) {
    bool ok = true;
    for (;;) {
      const std::uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(conn.session, &data);
      if (n < 0) ok = false;
      if (n <= 0) break;
      if (!write_all(fd, data, static_cast<std::size_t>(n))) {
        ok = false;
        break;
      }
    }
    if (!ok || conn.die) break;
    if (nghttp2_session_want_read(conn.session) == 0 &&
        nghttp2_session_want_write(conn.session) == 0) {
      break;
    }
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    if (nghttp2_session_mem_recv(conn.session, buf.data(), static_cast<std::size_t>(n)) < 0) break;
  }
  nghttp2_session_del(conn.session);
  std::lock_guard lock(mu_);
  ::shutdown(fd, SHUT_RDWR);
  // The descriptor stays open (listed in fds_) until the destructor, so a shutdown() there
  // never hits a reused number; closed here only when stopping.
}

}  // namespace weft::test
