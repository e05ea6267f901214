// Opening the proxy's side of a connection: a TCP connect bounded by a timeout, with the socket
// options every proxied connection wants (TCP_NODELAY, non-blocking for speculative reads).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "weft/core/parse.hpp"
#include "weft/core/result.hpp"

namespace weft::net {

/// Connects to `target` within `timeout`. Runs on the calling coroutine's executor.
/// Errors: errc::connect_timeout, or the socket error (connection_refused, network_unreachable...).
boost::asio::awaitable<result<boost::asio::ip::tcp::socket>> connect(
    const boost::asio::ip::tcp::endpoint& target, core::duration timeout);

/// Sets TCP_NODELAY and non-blocking mode on an accepted or connected socket.
void prepare_socket(boost::asio::ip::tcp::socket& socket);

/// Closes the socket so that the peer sees a reset (RST), not an orderly end of stream. Used
/// when the other side of a proxied connection failed, so that failure is not mistaken for EOF.
void reset(boost::asio::ip::tcp::socket& socket) noexcept;

}  // namespace weft::net
