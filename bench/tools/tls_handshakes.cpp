// weft-tls-handshakes: a load client for TLS 1.3 handshakes, the way a meshed client proxy makes
// them: SNI set, the server's certificate verified against a CA file, a client certificate
// presented, then one HTTP/1.1 request with `Connection: close` and its response read to the end.
// `openssl s_time` cannot set SNI, which weft's inbound needs to terminate TLS. Each thread runs
// one connection at a time, in a closed loop, for the given seconds.
//
//   weft-tls-handshakes --connect 127.0.0.1:4143 --sni NAME --cert tls.crt --key tls.key
//                       --ca ca.crt [--seconds 10] [--threads 1] [--resume]
//
// Prints one line of JSON: {"handshakes":N,"resumed":R,"failed":F,"seconds":S,"rate":N/S}.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string sni, cert, key, ca;
  double seconds = 10;
  int threads = 1;
  bool resume = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "weft-tls-handshakes: %s\nusage: weft-tls-handshakes --connect HOST:PORT --sni NAME "
               "--cert F --key F --ca F [--seconds S] [--threads N] [--resume]\n",
               why);
  std::exit(64);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value of " + a).c_str());
      return argv[++i];
    };
    if (a == "--connect") {
      const auto v = value();
      const auto colon = v.rfind(':');
      if (colon == std::string::npos) usage("--connect wants HOST:PORT");
      o.host = v.substr(0, colon);
      o.port = std::atoi(v.c_str() + colon + 1);
    } else if (a == "--sni") {
      o.sni = value();
    } else if (a == "--cert") {
      o.cert = value();
    } else if (a == "--key") {
      o.key = value();
    } else if (a == "--ca") {
      o.ca = value();
    } else if (a == "--seconds") {
      o.seconds = std::atof(value().c_str());
    } else if (a == "--threads") {
      o.threads = std::atoi(value().c_str());
    } else if (a == "--resume") {
      o.resume = true;
    } else {
      usage(("unknown argument " + a).c_str());
    }
  }
  if (o.port <= 0 || o.sni.empty() || o.cert.empty() || o.key.empty() || o.ca.empty()) {
    usage("--connect, --sni, --cert, --key and --ca are required");
  }
  return o;
}

SSL_CTX* make_ctx(const Options& o) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, o.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_load_verify_locations(ctx, o.ca.c_str(), nullptr) != 1) {
    ERR_print_errors_fp(stderr);
    usage("cannot load the certificate, key or CA file");
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
  return ctx;
}

struct Counts {
  std::atomic<long> handshakes{0}, resumed{0}, failed{0};
};

// One connection: handshake, request, response to EOF. Keeps the session for the next when
// resuming.
bool one(const Options& o, SSL_CTX* ctx, const sockaddr_in& addr, SSL_SESSION*& session,
         Counts& counts) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one_flag = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_flag, sizeof one_flag);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return false;
  }
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, o.sni.c_str());
  if (o.resume && session != nullptr) SSL_set_session(ssl, session);
  bool ok = SSL_connect(ssl) == 1;
  if (ok) {
    counts.handshakes.fetch_add(1, std::memory_order_relaxed);
    if (SSL_session_reused(ssl)) counts.resumed.fetch_add(1, std::memory_order_relaxed);
    static constexpr char kRequest[] = "GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
    ok = SSL_write(ssl, kRequest, sizeof kRequest - 1) > 0;
    char buf[16384];
    std::size_t got = 0;
    while (ok) {
      const int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    ok = ok && got > 0;
    if (o.resume) {
      // TLS 1.3 tickets arrive after the handshake; the reads above took them in.
      if (SSL_SESSION* s = SSL_get1_session(ssl)) {
        if (session != nullptr) SSL_SESSION_free(session);
        session = s;
      }
    }
  }
  if (!ok) {
    counts.failed.fetch_add(1, std::memory_order_relaxed);
    ERR_clear_error();
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  ::close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  SSL_CTX* ctx = make_ctx(o);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
  if (::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) usage("--connect wants an IPv4 address");
  Counts counts;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(o.seconds);
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&] {
      SSL_SESSION* session = nullptr;
      while (std::chrono::steady_clock::now() < end) one(o, ctx, addr, session, counts);
      if (session != nullptr) SSL_SESSION_free(session);
    });
  }
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"handshakes\":%ld,\"resumed\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"rate\":%.1f}\n",
              counts.handshakes.load(), counts.resumed.load(), counts.failed.load(), seconds,
              static_cast<double>(counts.handshakes.load()) / seconds);
  SSL_CTX_free(ctx);
  return counts.handshakes.load() > 0 ? 0 : 1;
}
