// Label sets of the transport (tcp_*) metric families, in Linkerd's order: direction, peer,
// target_addr, target_ip, target_port, the two TLS labels, then the endpoint's dst_* labels. The
// registry keys its series by TcpKey; workers look series up through TcpKeyRef so that finding an
// existing series allocates nothing. Also the TLS label of a connection (TlsRef), which the HTTP
// families carry too.
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

/// The `tls` label (Linkerd's values): no_identity -> "no_identity", established -> "true",
/// opaque -> "opaque" (TLS that the proxy forwards without terminating it).
enum class TlsStatus : std::uint8_t { no_identity, established, opaque };

/// Which side of the proxy a connection is on, which names the label that carries a peer's
/// identity: the client side (the accepted connection; inbound HTTP series) shows the client's
/// identity as `client_id`, the endpoint side (the opened connection; outbound HTTP series) the
/// server's as `server_id`.
enum class TlsSide : std::uint8_t { client, endpoint };

/// A connection's TLS label, as a view: `status` and the value of the label that goes with it
/// (`no_tls_reason` for no_identity, the peer's identity for established, the SNI for opaque).
/// Rendered (tls_value_label) as
///   no_identity: tls="no_identity",no_tls_reason="<value>"
///   established: tls="true",client_id="<value>" (client side) or tls="true",server_id="<value>"
///                (endpoint side); an empty value is a TLS client without a certificate
///   opaque:      tls="opaque",sni="<value>"
/// The viewed string must outlive every lookup made with it; series keys copy it (TlsLabels).
struct TlsRef {
  TlsStatus status = TlsStatus::no_identity;
  std::string_view value;

  /// tls="no_identity",no_tls_reason="<reason>" ("no_tls_from_remote", "loopback", ...).
  static constexpr TlsRef no_identity(std::string_view reason) noexcept {
    return {TlsStatus::no_identity, reason};
  }
  /// tls="true" with the peer's identity ("spiffe://...", or "" for a client without a
  /// certificate).
  static constexpr TlsRef established(std::string_view peer_id) noexcept {
    return {TlsStatus::established, peer_id};
  }
  /// tls="opaque",sni="<sni>".
  static constexpr TlsRef opaque(std::string_view sni) noexcept { return {TlsStatus::opaque, sni}; }

  friend bool operator==(const TlsRef&, const TlsRef&) = default;
};

/// The owning form of a TLS label, in series keys.
struct TlsLabels {
  TlsStatus status = TlsStatus::no_identity;
  std::string value;

  TlsRef ref() const noexcept { return {status, value}; }
  /// Copies the view (allocates when the value is longer than the small-string buffer).
  static TlsLabels from(TlsRef tls) { return {tls.status, std::string(tls.value)}; }
};

/// "inbound" / "outbound".
std::string_view to_string(Direction d) noexcept;
/// "src" / "dst".
std::string_view to_string(Peer p) noexcept;
/// The value of the `tls` label: "no_identity", "true" or "opaque".
std::string_view to_string(TlsStatus s) noexcept;

/// The side a tcp series is on: src is the client side, dst the endpoint side.
constexpr TlsSide tls_side(Peer p) noexcept {
  return p == Peer::src ? TlsSide::client : TlsSide::endpoint;
}
/// The side an HTTP series is labelled by: inbound series by the client's connection, outbound
/// ones by the endpoint's (as Linkerd does).
constexpr TlsSide tls_side(Direction d) noexcept {
  return d == Direction::inbound ? TlsSide::client : TlsSide::endpoint;
}

/// The name of the label after `tls`: "no_tls_reason", "client_id" / "server_id" (by side) or
/// "sni".
std::string_view tls_value_label(TlsStatus s, TlsSide side) noexcept;

/// A non-owning view of a tcp label set, for lookups on the worker's connection path.
struct TcpKeyRef {
  Direction direction;
  Peer peer;
  const boost::asio::ip::tcp::endpoint& target;
  TlsRef tls;
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
/// finds a series from a TcpKeyRef. Orders by direction, peer, address, port, TLS status and
/// value, then dst labels: this is also the deterministic order in which series are rendered.
struct TcpKeyLess {
  using is_transparent = void;

  static auto tie(const TcpKey& k) noexcept {
    return std::make_tuple(k.direction, k.peer, k.target.address(), k.target.port(), k.tls.status,
                           std::string_view(k.tls.value), std::string_view(k.dst_labels));
  }
  static auto tie(const TcpKeyRef& k) noexcept {
    return std::make_tuple(k.direction, k.peer, k.target.address(), k.target.port(), k.tls.status,
                           k.tls.value, k.dst_labels);
  }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return tie(a) < tie(b);
  }
};

/// `target_addr`: "10.0.0.1:80" or "[fd00::1]:80".
std::string format_target_addr(const boost::asio::ip::tcp::endpoint& ep);

}  // namespace weft::metrics
