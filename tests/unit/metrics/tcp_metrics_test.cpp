// Unit tests for the tcp_* families: rendering, sums over shards, handle semantics, errno names.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/error.hpp>
#include <thread>

#include "weft/core/error.hpp"
#include "weft/metrics/errno_name.hpp"
#include "weft/metrics/tcp.hpp"

namespace weft::metrics {
namespace {

namespace asio = boost::asio;
using asio::ip::make_address;
using asio::ip::tcp;

TcpTarget inbound_src(const char* ip, unsigned short port) {
  return TcpTarget{Direction::inbound, Peer::src, tcp::endpoint(make_address(ip), port),
                   TlsRef::no_identity("no_tls_from_remote")};
}

std::string render_tcp(const Registry& r) {
  std::string out;
  r.render_tcp(out);
  return out;
}

constexpr const char* kEmpty =
    "# HELP tcp_open_total Total count of opened connections\n"
    "# TYPE tcp_open_total counter\n"
    "# HELP tcp_close_total Total count of closed connections\n"
    "# TYPE tcp_close_total counter\n"
    "# HELP tcp_open_connections Number of currently-open connections\n"
    "# TYPE tcp_open_connections gauge\n"
    "# HELP tcp_read_bytes_total Total count of bytes read from peers\n"
    "# TYPE tcp_read_bytes_total counter\n"
    "# HELP tcp_write_bytes_total Total count of bytes written to peers\n"
    "# TYPE tcp_write_bytes_total counter\n";

TEST(TcpMetrics, EmptyRegistryRendersHeadersOnly) {
  Registry r(2);
  EXPECT_EQ(render_tcp(r), kEmpty);
}

TEST(TcpMetrics, RendersEveryFamilyWithLinkerdLabels) {
  Registry r(1);
  {
    TcpConnMetrics a = r.shard(0).open_tcp(inbound_src("10.1.2.3", 4143));
    a.add_read(100);
    a.add_write(7);
    a.close(asio::error::connection_reset);
  }
  TcpConnMetrics b = r.shard(0).open_tcp(inbound_src("10.1.2.3", 4143));
  b.add_read(5);
  const std::string L =
      R"({direction="inbound",peer="src",target_addr="10.1.2.3:4143",target_ip="10.1.2.3",)"
      R"(target_port="4143",tls="no_identity",no_tls_reason="no_tls_from_remote"})";
  const std::string E =
      R"({direction="inbound",peer="src",target_addr="10.1.2.3:4143",target_ip="10.1.2.3",)"
      R"(target_port="4143",tls="no_identity",no_tls_reason="no_tls_from_remote",errno=)";
  const std::string expected =
      "# HELP tcp_open_total Total count of opened connections\n"
      "# TYPE tcp_open_total counter\n"
      "tcp_open_total" +
      L +
      " 2\n"
      "# HELP tcp_close_total Total count of closed connections\n"
      "# TYPE tcp_close_total counter\n"
      "tcp_close_total" +
      E +
      "\"ECONNRESET\"} 1\n"
      "# HELP tcp_open_connections Number of currently-open connections\n"
      "# TYPE tcp_open_connections gauge\n"
      "tcp_open_connections" +
      L +
      " 1\n"
      "# HELP tcp_read_bytes_total Total count of bytes read from peers\n"
      "# TYPE tcp_read_bytes_total counter\n"
      "tcp_read_bytes_total" +
      L +
      " 105\n"
      "# HELP tcp_write_bytes_total Total count of bytes written to peers\n"
      "# TYPE tcp_write_bytes_total counter\n"
      "tcp_write_bytes_total" +
      L + " 7\n";
  EXPECT_EQ(render_tcp(r), expected);
}

TEST(TcpMetrics, Ipv6TargetIsBracketedInTargetAddrOnly) {
  Registry r(1);
  auto h = r.shard(0).open_tcp(TcpTarget{Direction::outbound, Peer::dst,
                                         tcp::endpoint(make_address("fd00::1"), 8080),
                                         TlsRef::no_identity("not_provided_by_service_discovery")});
  const std::string out = render_tcp(r);
  EXPECT_NE(
      out.find(R"(tcp_open_total{direction="outbound",peer="dst",target_addr="[fd00::1]:8080",)"
               R"(target_ip="fd00::1",target_port="8080",tls="no_identity",)"
               R"(no_tls_reason="not_provided_by_service_discovery"} 1)"),
      std::string::npos)
      << out;
}

TEST(TcpMetrics, LabelValuesAreEscaped) {
  Registry r(1);
  auto h = r.shard(0).open_tcp(TcpTarget{Direction::inbound, Peer::src,
                                         tcp::endpoint(make_address("127.0.0.1"), 1),
                                         TlsRef::no_identity("a\\b\"c\nd")});
  const std::string out = render_tcp(r);
  EXPECT_NE(out.find(R"(no_tls_reason="a\\b\"c\nd"} 1)"), std::string::npos) << out;
}

TEST(TcpMetrics, SumsEachLabelSetOverShards) {
  Registry r(2);
  auto a = r.shard(0).open_tcp(inbound_src("10.0.0.1", 80));
  auto b = r.shard(1).open_tcp(inbound_src("10.0.0.1", 80));
  auto c = r.shard(1).open_tcp(inbound_src("10.0.0.2", 80));
  a.add_read(10);
  b.add_read(32);
  a.add_write(1);
  b.add_write(2);
  c.add_write(1000);
  a.close({});
  const std::string out = render_tcp(r);
  const std::string one =
      R"({direction="inbound",peer="src",target_addr="10.0.0.1:80",target_ip="10.0.0.1",)"
      R"(target_port="80",tls="no_identity",no_tls_reason="no_tls_from_remote"})";
  const std::string two =
      R"({direction="inbound",peer="src",target_addr="10.0.0.2:80",target_ip="10.0.0.2",)"
      R"(target_port="80",tls="no_identity",no_tls_reason="no_tls_from_remote"})";
  for (const std::string& line :
       {"tcp_open_total" + one + " 2\n", "tcp_open_total" + two + " 1\n",
        "tcp_open_connections" + one + " 1\n", "tcp_open_connections" + two + " 1\n",
        "tcp_read_bytes_total" + one + " 42\n", "tcp_write_bytes_total" + one + " 3\n",
        "tcp_write_bytes_total" + two + " 1000\n",
        "tcp_close_total" + one.substr(0, one.size() - 1) + ",errno=\"\"} 1\n"}) {
    EXPECT_NE(out.find(line), std::string::npos) << "missing " << line << "in\n" << out;
  }
  // One line per label set: sorted, 10.0.0.1 before 10.0.0.2.
  EXPECT_LT(out.find("tcp_open_total" + one), out.find("tcp_open_total" + two));
}

TEST(TcpMetrics, SeriesAreSortedByDirectionPeerAddressPort) {
  Registry r(1);
  auto h1 =
      r.shard(0).open_tcp({Direction::outbound, Peer::dst,
                           tcp::endpoint(make_address("10.0.0.1"), 1), TlsRef::no_identity("x")});
  auto h2 =
      r.shard(0).open_tcp({Direction::inbound, Peer::dst,
                           tcp::endpoint(make_address("10.0.0.9"), 9), TlsRef::no_identity("x")});
  auto h3 =
      r.shard(0).open_tcp({Direction::inbound, Peer::src,
                           tcp::endpoint(make_address("10.0.0.9"), 10), TlsRef::no_identity("x")});
  auto h4 =
      r.shard(0).open_tcp({Direction::inbound, Peer::src,
                           tcp::endpoint(make_address("10.0.0.9"), 9), TlsRef::no_identity("x")});
  const std::string out = render_tcp(r);
  const auto p4 =
      out.find("tcp_open_total{direction=\"inbound\",peer=\"src\",target_addr=\"10.0.0.9:9\"");
  const auto p3 =
      out.find("tcp_open_total{direction=\"inbound\",peer=\"src\",target_addr=\"10.0.0.9:10\"");
  const auto p2 = out.find("tcp_open_total{direction=\"inbound\",peer=\"dst\"");
  const auto p1 = out.find("tcp_open_total{direction=\"outbound\"");
  ASSERT_NE(p1, std::string::npos);
  EXPECT_LT(p4, p3);
  EXPECT_LT(p3, p2);
  EXPECT_LT(p2, p1);
}

TEST(TcpMetrics, CloseIsIdempotentAndDestructorClosesCleanly) {
  Registry r(1);
  {
    auto h = r.shard(0).open_tcp(inbound_src("10.0.0.1", 80));
    EXPECT_TRUE(h.is_open());
    h.close(make_error_code(weft::errc::idle_timeout));
    EXPECT_FALSE(h.is_open());
    h.close(asio::error::connection_reset);                       // ignored
    h.add_read(99);                                               // ignored after close
  }                                                               // destructor: no second close
  { auto h = r.shard(0).open_tcp(inbound_src("10.0.0.1", 80)); }  // clean close
  const std::string out = render_tcp(r);
  EXPECT_NE(out.find("errno=\"ETIMEDOUT\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("errno=\"\"} 1\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("ECONNRESET"), std::string::npos) << out;
  EXPECT_NE(
      out.find(
          "tcp_open_connections{direction=\"inbound\",peer=\"src\",target_addr=\"10.0.0.1:80\","
          "target_ip=\"10.0.0.1\",target_port=\"80\",tls=\"no_identity\","
          "no_tls_reason=\"no_tls_from_remote\"} 0\n"),
      std::string::npos)
      << out;
  EXPECT_NE(
      out.find(
          "tcp_read_bytes_total{direction=\"inbound\",peer=\"src\",target_addr=\"10.0.0.1:80\","
          "target_ip=\"10.0.0.1\",target_port=\"80\",tls=\"no_identity\","
          "no_tls_reason=\"no_tls_from_remote\"} 0\n"),
      std::string::npos)
      << out;
}

TEST(TcpMetrics, MovedFromHandleIsEmptyAndMoveAssignClosesTheOld) {
  Registry r(1);
  TcpConnMetrics a = r.shard(0).open_tcp(inbound_src("10.0.0.1", 1));
  TcpConnMetrics b = std::move(a);
  EXPECT_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move): documented to be empty
  a.add_read(1);
  a.close(asio::error::connection_reset);
  EXPECT_TRUE(b.is_open());
  b.add_read(3);
  TcpConnMetrics c = r.shard(0).open_tcp(inbound_src("10.0.0.2", 2));
  c = std::move(b);  // closes the 10.0.0.2 handle cleanly, takes over the 10.0.0.1 one
  c.close(asio::error::broken_pipe);
  TcpConnMetrics empty;
  empty.add_write(1);
  empty.close(asio::error::connection_reset);
  const std::string out = render_tcp(r);
  EXPECT_NE(
      out.find("target_addr=\"10.0.0.1:1\",target_ip=\"10.0.0.1\",target_port=\"1\","
               "tls=\"no_identity\",no_tls_reason=\"no_tls_from_remote\",errno=\"EPIPE\"} 1\n"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("target_addr=\"10.0.0.2:2\",target_ip=\"10.0.0.2\",target_port=\"2\","
                     "tls=\"no_identity\",no_tls_reason=\"no_tls_from_remote\",errno=\"\"} 1\n"),
            std::string::npos)
      << out;
  EXPECT_NE(
      out.find("tcp_read_bytes_total{direction=\"inbound\",peer=\"src\",target_addr=\"10.0.0.1:1\","
               "target_ip=\"10.0.0.1\",target_port=\"1\",tls=\"no_identity\","
               "no_tls_reason=\"no_tls_from_remote\"} 3\n"),
      std::string::npos)
      << out;
  EXPECT_EQ(out.find("ECONNRESET"), std::string::npos) << out;
}

TEST(TcpMetrics, RareErrnoTakesTheLockedPathAndIsSortedByName) {
  Registry r(1);
  for (auto ec : {asio::error::connection_refused, asio::error::network_down,
                  asio::error::connection_reset, asio::error::network_down}) {
    auto h = r.shard(0).open_tcp(inbound_src("10.0.0.1", 80));
    h.close(ec);
  }
  const std::string out = render_tcp(r);
  const auto refused = out.find("errno=\"ECONNREFUSED\"} 1\n");
  const auto reset = out.find("errno=\"ECONNRESET\"} 1\n");
  const auto down = out.find("errno=\"ENETDOWN\"} 2\n");
  ASSERT_NE(refused, std::string::npos) << out;
  ASSERT_NE(reset, std::string::npos) << out;
  ASSERT_NE(down, std::string::npos) << out;
  EXPECT_LT(refused, reset);
  EXPECT_LT(reset, down);
  EXPECT_NE(
      out.find(
          "tcp_open_connections{direction=\"inbound\",peer=\"src\",target_addr=\"10.0.0.1:80\","
          "target_ip=\"10.0.0.1\",target_port=\"80\",tls=\"no_identity\","
          "no_tls_reason=\"no_tls_from_remote\"} 0\n"),
      std::string::npos)
      << out;
}

TEST(ErrnoName, MapsSystemAsioAndWeftErrors) {
  using boost::system::error_code;
  EXPECT_EQ(errno_name(error_code{}), "");
  EXPECT_EQ(errno_name(asio::error::eof), "");
  EXPECT_EQ(errno_name(asio::error::connection_reset), "ECONNRESET");
  EXPECT_EQ(errno_name(asio::error::connection_refused), "ECONNREFUSED");
  EXPECT_EQ(errno_name(asio::error::timed_out), "ETIMEDOUT");
  EXPECT_EQ(errno_name(asio::error::broken_pipe), "EPIPE");
  EXPECT_EQ(errno_name(asio::error::host_unreachable), "EHOSTUNREACH");
  EXPECT_EQ(errno_name(asio::error::operation_aborted), "ECANCELED");
  EXPECT_EQ(errno_name(error_code(EMFILE, boost::system::generic_category())), "EMFILE");
  EXPECT_EQ(errno_name(make_error_code(weft::errc::connect_timeout)), "ETIMEDOUT");
  EXPECT_EQ(errno_name(make_error_code(weft::errc::idle_timeout)), "ETIMEDOUT");
  EXPECT_EQ(errno_name(make_error_code(weft::errc::detect_timeout)), "ETIMEDOUT");
  EXPECT_EQ(errno_name(make_error_code(weft::errc::no_original_dst)), "ENOENT");
  EXPECT_EQ(errno_name(make_error_code(weft::errc::forwarding_loop)), "ELOOP");
  EXPECT_EQ(errno_name(make_error_code(weft::errc::shutting_down)), "ESHUTDOWN");
  EXPECT_EQ(errno_name(asio::error::host_not_found), "EIO");  // netdb category: no errno
  EXPECT_EQ(errno_to_name(99999), "EUNKNOWN");
}

TEST(ErrnoName, CommonErrnosHaveSlotsAndRoundTrip) {
  EXPECT_EQ(close_slot(0), 0u);
  for (std::size_t i = 0; i < kCommonCloseErrnos.size(); ++i) {
    const auto slot = close_slot(kCommonCloseErrnos[i]);
    ASSERT_TRUE(slot.has_value());
    EXPECT_EQ(slot_errno(*slot), kCommonCloseErrnos[i]);
  }
  EXPECT_FALSE(close_slot(ENETDOWN).has_value());
}

// The worker increments while the admin thread renders: values only grow and the gauge is never
// negative. Run under TSan to check the memory-order argument.
TEST(TcpMetrics, RenderWhileAWorkerCounts) {
  Registry r(1);
  std::atomic<bool> done{false};
  std::thread worker([&] {
    for (int i = 0; i < 20000; ++i) {
      auto h = r.shard(0).open_tcp(inbound_src("10.0.0.1", static_cast<unsigned short>(i % 4)));
      h.add_read(1);
      h.close(i % 2 ? asio::error::connection_reset : asio::error::network_down);
    }
    done = true;
  });
  int renders = 0;
  while (!done || renders < 1) {
    const std::string out = r.render();
    EXPECT_EQ(out.find("} -"), std::string::npos);
    ++renders;
  }
  worker.join();
  const std::string out = render_tcp(r);
  EXPECT_NE(
      out.find(
          "target_port=\"0\",tls=\"no_identity\",no_tls_reason=\"no_tls_from_remote\"} 5000\n"),
      std::string::npos)
      << out;
}

}  // namespace
}  // namespace weft::metrics
