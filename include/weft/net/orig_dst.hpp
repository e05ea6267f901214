// Where an accepted connection was going before iptables redirected it to the proxy. The seam
// lets tests and the loopback reverse-proxy mode (WEFT_PROXY_*_ORIG_DST_ADDR) supply the answer
// instead of the kernel's SO_ORIGINAL_DST.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "weft/core/result.hpp"

namespace weft::net {

class OrigDst {
 public:
  virtual ~OrigDst() = default;
  /// The original destination of `accepted`. Called on the worker that owns the socket.
  /// Errors: errc::no_original_dst when the connection was not redirected.
  virtual result<boost::asio::ip::tcp::endpoint> resolve(
      const boost::asio::ip::tcp::socket& accepted) const = 0;
};

/// Reads SO_ORIGINAL_DST (IPv4) or IP6T_SO_ORIGINAL_DST (IPv6) from the socket.
class SocketOrigDst final : public OrigDst {
 public:
  result<boost::asio::ip::tcp::endpoint> resolve(
      const boost::asio::ip::tcp::socket& accepted) const override;
};

/// Always answers the configured address, as older Linkerd proxies' *_ORIG_DST_ADDR did.
class FixedOrigDst final : public OrigDst {
 public:
  explicit FixedOrigDst(boost::asio::ip::tcp::endpoint target) : target_(target) {}
  result<boost::asio::ip::tcp::endpoint> resolve(
      const boost::asio::ip::tcp::socket&) const override {
    return target_;
  }

 private:
  boost::asio::ip::tcp::endpoint target_;
};

}  // namespace weft::net
