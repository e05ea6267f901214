// Label sets of the transport (tcp_*) metric families, in Linkerd's order: direction, peer,
// target_addr, target_ip, target_port, tls, no_tls_reason, then the endpoint's dst_* labels. The registry keys its series by TcpKey;
// workers look series up through TcpKeyRef so that finding an existing series allocates nothing.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

namespace weft::metrics {

enum class Direction { inbound, outbound };

/// src: the connection the proxy accepted; dst: the one it opened.
enum class Peer { src, dst };

/// The `tls` label. Only no_identity exists so far; mTLS adds `established` (tls="true" with
/// client_id or server_id), and opaque/disabled may follow. Extend TlsLabels alongside.
enum class TlsStatus { no_identity };

/// The TLS part of a label set: `tls="no_identity",no_tls_reason="loopback"`.
struct TlsLabels {
  TlsStatus status = TlsStatus::no_identity;
  std::string no_tls_reason;
};

/// "inbound" / "outbound".
std::string_view to_string(Direction d) noexcept;
/// "src" / "dst".
std::string_view to_string(Peer p) noexcept;
/// The value of the `tls` label: "no_identity".
std::string_view to_string(TlsStatus s) noexcept;

/// A non-owning view of a tcp label set, for lookups on the worker's connection path.
struct TcpKeyRef {
  Direction direction;
  Peer peer;
  const boost::asio::ip::tcp::endpoint& target;
  TlsStatus tls_status;
  std::string_view no_tls_reason;
  std::string_view dst_labels{};  // pre-rendered `dst_k="v",...`; "" for none
};

/// An owning tcp label set: the key of one series.
struct TcpKey {
  Direction direction = Direction::inbound;
  Peer peer = Peer::src;
  boost::asio::ip::tcp::endpoint target;
  TlsLabels tls;
  std::string dst_labels;  // pre-rendered `dst_k="v",...`; "" for none

  /// Copies the view into an owning key (allocates the strings).
  static TcpKey from(const TcpKeyRef& ref);
};

/// Strict weak order over TcpKey and TcpKeyRef alike (transparent), so std::map<TcpKey, ...>
/// finds a series from a TcpKeyRef. Orders by direction, peer, address, port, TLS, then dst
/// labels: this is also the deterministic order in which series are rendered.
struct TcpKeyLess {
  using is_transparent = void;

  static auto tie(const TcpKey& k) noexcept {
    return std::make_tuple(k.direction, k.peer, k.target.address(), k.target.port(), k.tls.status,
                           std::string_view(k.tls.no_tls_reason), std::string_view(k.dst_labels));
  }
  static auto tie(const TcpKeyRef& k) noexcept {
    return std::make_tuple(k.direction, k.peer, k.target.address(), k.target.port(), k.tls_status,
                           k.no_tls_reason, k.dst_labels);
  }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return tie(a) < tie(b);
  }
};

/// `target_addr`: "10.0.0.1:80" or "[fd00::1]:80".
std::string format_target_addr(const boost::asio::ip::tcp::endpoint& ep);

}  // namespace weft::metrics
