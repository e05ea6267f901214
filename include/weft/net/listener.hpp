// Listening sockets for the workers: each worker binds its own SO_REUSEPORT acceptor on the same
// address, so the kernel spreads new connections over the workers and no accept lock is shared.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace weft::net {

/// Opens, binds and listens with SO_REUSEADDR and SO_REUSEPORT. Startup only: throws
/// boost::system::system_error when the address cannot be bound.
boost::asio::ip::tcp::acceptor make_listener(boost::asio::io_context& ioc,
                                             const boost::asio::ip::tcp::endpoint& addr);

}  // namespace weft::net
