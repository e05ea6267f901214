// The admin server driven by real clients: curl for the endpoints and keep-alive, promtool on the
// scraped exposition, and raw sockets for malformed, oversized and idle connections.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "support/promtool_lint.hpp"
#include "weft/admin/server.hpp"
#include "weft/metrics/tcp.hpp"

extern char** environ;

namespace weft::admin {
namespace {

namespace asio = boost::asio;
using asio::ip::make_address;
using asio::ip::tcp;
using namespace std::chrono_literals;

// ---- running real programs ------------------------------------------------------------------

struct ProcessResult {
  int exit_code = -1;  // -1 when killed or not started
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs argv[0] (a path) with `input` on stdin; kills it after `timeout`.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input,
                          std::chrono::milliseconds timeout) {
  ProcessResult result;
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    return result;
  }
  posix_spawn_file_actions_t fa;
  ::posix_spawn_file_actions_init(&fa);
  ::posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  ::posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  ::posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    result.err = "posix_spawn failed: " + std::string(std::strerror(rc));
    return result;
  }
  ::signal(SIGPIPE, SIG_IGN);
  std::size_t written = 0;
  auto close_stdin = [&] {
    ::close(in[1]);
    in[1] = -1;
  };
  if (input.empty()) close_stdin();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int open_outputs = 2;
  while (open_outputs > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    std::array<pollfd, 3> fds{{{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}}};
    ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      } else {
        ::close(fds[i].fd);
        (i == 0 ? out[0] : err[0]) = -1;
        --open_outputs;
      }
    }
    if (in[1] >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = ::write(in[1], input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n <= 0 || written == input.size()) close_stdin();
    }
  }
  for (int fd : {in[1], out[0], err[0]}) {
    if (fd >= 0) ::close(fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!result.timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

bool have(const char* path) { return ::access(path, X_OK) == 0; }

bool ci() {
  const char* v = std::getenv("CI");
  return v != nullptr && std::string(v) == "true";
}

#define REQUIRE_TOOL(path)                                   \
  do {                                                       \
    if (!have(path)) {                                       \
      if (ci()) FAIL() << path << " is missing and CI=true"; \
      GTEST_SKIP() << path << " is not installed";           \
    }                                                        \
  } while (0)

struct CurlResult {
  int status = 0;  // HTTP status, 0 when curl failed
  std::string content_type;
  std::string body;
  std::string stderr_text;
};

// One curl invocation; `extra` go before the URL.
CurlResult curl(const std::string& url, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{
      "/usr/bin/curl", "-sS", "--max-time", "10", "-w", "\n@@%{http_code} %{content_type}"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  const ProcessResult p = run_process(argv, "", 20s);
  CurlResult r;
  r.stderr_text = p.err;
  const auto marker = p.out.rfind("\n@@");
  if (marker == std::string::npos) return r;
  r.body = p.out.substr(0, marker);
  const std::string tail = p.out.substr(marker + 3);
  r.status = std::atoi(tail.c_str());
  const auto sp = tail.find(' ');
  if (sp != std::string::npos) r.content_type = tail.substr(sp + 1);
  return r;
}

// ---- raw sockets ------------------------------------------------------------------------------

// A blocking client socket whose reads give up after `timeout`.
tcp::socket connect_raw(asio::io_context& ioc, const tcp::endpoint& ep,
                        std::chrono::milliseconds timeout = 5s) {
  tcp::socket s(ioc);
  s.connect(ep);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return s;
}

// Reads until the server closes (or the receive timeout). `eof` says whether it closed.
std::string read_to_close(tcp::socket& s, bool& eof) {
  std::string data;
  std::array<char, 4096> buf;
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = s.read_some(asio::buffer(buf), ec);
    data.append(buf.data(), n);
    if (ec) {
      eof = ec == asio::error::eof || ec == asio::error::connection_reset;
      return data;
    }
  }
}

// ---- the fixture ------------------------------------------------------------------------------

class AdminServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    server_ = std::make_unique<Server>(ioc_, tcp::endpoint(make_address("127.0.0.1"), 0), registry_,
                                       ready_, options);
    server_->start();
    done_ = std::async(std::launch::async, [this] { ioc_.run(); });
    base_ = "http://127.0.0.1:" + std::to_string(server_->local_endpoint().port());
  }

  void TearDown() override {
    if (!server_) return;
    server_->stop();
    // With the acceptor and connections closed the io_context runs out of work.
    if (done_.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "admin server did not stop within 10s";
      ioc_.stop();
      done_.wait();
    }
    server_.reset();
  }

  std::string url(const std::string& path) const { return base_ + path; }

  asio::io_context ioc_;
  asio::io_context client_ioc_;
  metrics::Registry registry_{2};
  std::atomic<bool> ready_{false};
  std::unique_ptr<Server> server_;
  std::future<void> done_;
  std::string base_;
};

TEST_F(AdminServerTest, LiveAnswersAnyMethod) {
  REQUIRE_TOOL("/usr/bin/curl");
  start();
  CurlResult r = curl(url("/live"));
  EXPECT_EQ(r.status, 200) << r.stderr_text;
  EXPECT_EQ(r.body, "live\n");
  r = curl(url("/live"), {"-X", "POST", "--data", "ignored body"});
  EXPECT_EQ(r.status, 200) << r.stderr_text;
  EXPECT_EQ(r.body, "live\n");
}

TEST_F(AdminServerTest, ReadyFollowsTheFlag) {
  REQUIRE_TOOL("/usr/bin/curl");
  start();
  CurlResult r = curl(url("/ready"));
  EXPECT_EQ(r.status, 503) << r.stderr_text;
  EXPECT_EQ(r.body, "not ready\n");
  ready_.store(true);
  r = curl(url("/ready"));
  EXPECT_EQ(r.status, 200) << r.stderr_text;
  EXPECT_EQ(r.body, "ready\n");
}

TEST_F(AdminServerTest, UnknownPathIs404AndPostMetricsIs405) {
  REQUIRE_TOOL("/usr/bin/curl");
  start();
  EXPECT_EQ(curl(url("/no/such/path")).status, 404);
  EXPECT_EQ(curl(url("/metrics"), {"-X", "POST"}).status, 405);
}

TEST_F(AdminServerTest, MetricsScrapePassesPromtool) {
  REQUIRE_TOOL("/usr/bin/curl");
  REQUIRE_TOOL("/usr/bin/promtool");
  using metrics::Direction;
  using metrics::Peer;
  // The handles are used on this thread only: it plays both workers.
  const tcp::endpoint app(make_address("10.1.0.7"), 8080);
  auto a = registry_.shard(0).open_tcp(
      {Direction::inbound, Peer::src, app, metrics::TlsRef::no_identity("no_tls_from_remote")});
  auto b = registry_.shard(1).open_tcp(
      {Direction::inbound, Peer::src, app, metrics::TlsRef::no_identity("no_tls_from_remote")});
  auto c = registry_.shard(1).open_tcp(
      {Direction::outbound, Peer::dst, tcp::endpoint(make_address("fd00::2"), 443),
       metrics::TlsRef::no_identity("not_provided_by_service_discovery")});
  a.add_read(100);
  b.add_read(23);
  c.add_write(9);
  b.close(asio::error::connection_reset);
  start();

  const CurlResult r = curl(url("/metrics"));
  ASSERT_EQ(r.status, 200) << r.stderr_text;
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string labels =
      R"({direction="inbound",peer="src",target_addr="10.1.0.7:8080",target_ip="10.1.0.7",)"
      R"(target_port="8080",tls="no_identity",no_tls_reason="no_tls_from_remote")";
  EXPECT_NE(r.body.find("tcp_open_total" + labels + "} 2\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("tcp_open_connections" + labels + "} 1\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("tcp_read_bytes_total" + labels + "} 123\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("tcp_close_total" + labels + ",errno=\"ECONNRESET\"} 1\n"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("target_addr=\"[fd00::2]:443\""), std::string::npos) << r.body;
  for (const char* family :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
        "process_max_fds ", "process_threads ", "process_start_time_seconds ",
        "process_virtual_memory_bytes ", "proxy_build_info{version="}) {
    EXPECT_NE(r.body.find(std::string("\n") + family), std::string::npos) << family;
  }

  const ProcessResult check = run_process({"/usr/bin/promtool", "check", "metrics"}, r.body, 60s);
  EXPECT_TRUE(test::promtool_accepted(check.exit_code, check.out + check.err))
      << "promtool status " << check.exit_code << ":\n"
      << check.out << check.err;
}

TEST_F(AdminServerTest, HeadMetricsHasHeadersAndNoBody) {
  REQUIRE_TOOL("/usr/bin/curl");
  start();
  const CurlResult r = curl(url("/metrics"), {"--head"});
  EXPECT_EQ(r.status, 200) << r.stderr_text;
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("Content-Length: "), std::string::npos) << r.body;  // curl prints headers
  EXPECT_EQ(r.body.find("# TYPE"), std::string::npos) << r.body;
}

TEST_F(AdminServerTest, CurlReusesTheConnection) {
  REQUIRE_TOOL("/usr/bin/curl");
  start();
  const CurlResult r = curl(url("/ready"), {"-v", url("/live"), url("/metrics")});
  EXPECT_EQ(r.status, 503) << r.stderr_text;  // the last URL's status
  EXPECT_NE(r.stderr_text.find("Re-using existing connection"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.body.find("live\n"), std::string::npos);
  EXPECT_NE(r.body.find("# TYPE tcp_open_total counter"), std::string::npos);
}

TEST_F(AdminServerTest, OversizedHeadGets431AndOthersAreStillServed) {
  REQUIRE_TOOL("/usr/bin/curl");
  start();
  const CurlResult big = curl(url("/live"), {"-H", "X-Big: " + std::string(9000, 'a')});
  EXPECT_EQ(big.status, 431) << big.stderr_text;

  tcp::socket s = connect_raw(client_ioc_, server_->local_endpoint());
  asio::write(s, asio::buffer("GET /live HTTP/1.1\r\nX-Big: " + std::string(10000, 'b')));
  bool eof = false;
  const std::string reply = read_to_close(s, eof);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n")) << reply;
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << reply;
  EXPECT_TRUE(eof) << "server did not close";

  const CurlResult live = curl(url("/live"));
  EXPECT_EQ(live.status, 200) << live.stderr_text;
}

TEST_F(AdminServerTest, MalformedRequestGets400AndClose) {
  start();
  tcp::socket s = connect_raw(client_ioc_, server_->local_endpoint());
  asio::write(s, asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
  bool eof = false;
  const std::string reply = read_to_close(s, eof);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 400 Bad Request\r\n")) << reply;
  EXPECT_TRUE(eof);
}

TEST_F(AdminServerTest, PipelinedRequestsWithBodiesAreAnsweredInOrder) {
  start();
  tcp::socket s = connect_raw(client_ioc_, server_->local_endpoint());
  asio::write(s, asio::buffer(std::string("POST /live HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
                                          "GET /ready HTTP/1.1\r\n\r\n"
                                          "GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n")));
  bool eof = false;
  const std::string reply = read_to_close(s, eof);
  EXPECT_TRUE(eof);
  const auto p1 = reply.find("HTTP/1.1 200 OK");
  const auto p2 = reply.find("HTTP/1.1 503 Service Unavailable");
  const auto p3 = reply.find("HTTP/1.1 404 Not Found");
  ASSERT_NE(p3, std::string::npos) << reply;
  EXPECT_LT(p1, p2);
  EXPECT_LT(p2, p3);
}

TEST_F(AdminServerTest, IdleConnectionIsClosed) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  start(options);
  tcp::socket s = connect_raw(client_ioc_, server_->local_endpoint(), 10s);
  const auto t0 = std::chrono::steady_clock::now();
  bool eof = false;
  const std::string reply = read_to_close(s, eof);
  EXPECT_TRUE(eof) << "not closed within 10s";
  EXPECT_EQ(reply, "");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
}

TEST_F(AdminServerTest, StopClosesOpenConnections) {
  start();
  tcp::socket s = connect_raw(client_ioc_, server_->local_endpoint());
  asio::write(s, asio::buffer(std::string("GET /live HTTP/1.1\r\n\r\n")));
  std::string head(200, '\0');
  const std::size_t n = s.read_some(asio::buffer(head));
  EXPECT_TRUE(head.substr(0, n).starts_with("HTTP/1.1 200 OK")) << head;
  server_->stop();  // from this thread: dispatched to the admin thread
  bool eof = false;
  read_to_close(s, eof);
  EXPECT_TRUE(eof) << "keep-alive connection not closed by stop()";
  EXPECT_EQ(done_.wait_for(10s), std::future_status::ready);
}

TEST_F(AdminServerTest, BindFailureThrowsSystemError) {
  start();
  asio::io_context other;
  try {
    Server clash(other, server_->local_endpoint(), registry_, ready_);
    ADD_FAILURE() << "bound the same port twice";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::address_in_use) << e.what();
  }
}

}  // namespace
}  // namespace weft::admin
