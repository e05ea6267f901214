#include "weft/metrics/labels.hpp"

namespace weft::metrics {

std::string_view to_string(Direction d) noexcept {
  switch (d) {
    case Direction::inbound: return "inbound";
    case Direction::outbound: return "outbound";
  }
  return "unknown";
}

std::string_view to_string(Peer p) noexcept {
  switch (p) {
    case Peer::src: return "src";
    case Peer::dst: return "dst";
  }
  return "unknown";
}

std::string_view to_string(TlsStatus s) noexcept {
  switch (s) {
    case TlsStatus::no_identity: return "no_identity";
    case TlsStatus::established: return "true";
    case TlsStatus::opaque: return "opaque";
  }
  return "unknown";
}

std::string_view tls_value_label(TlsStatus s, TlsSide side) noexcept {
  switch (s) {
    case TlsStatus::no_identity: return "no_tls_reason";
    case TlsStatus::established: return side == TlsSide::client ? "client_id" : "server_id";
    case TlsStatus::opaque: return "sni";
  }
  return "no_tls_reason";
}

TcpKey TcpKey::from(const TcpKeyRef& ref) {
  return TcpKey{ref.direction, ref.peer, ref.target, TlsLabels::from(ref.tls),
                std::string(ref.dst_labels)};
}

std::string format_target_addr(const boost::asio::ip::tcp::endpoint& ep) {
  const auto addr = ep.address();
  std::string out;
  if (addr.is_v6()) {
    out += '[';
    out += addr.to_string();
    out += ']';
  } else {
    out += addr.to_string();
  }
  out += ':';
  out += std::to_string(ep.port());
  return out;
}

}  // namespace weft::metrics
