#include "weft/net/listener.hpp"

#include <boost/asio/detail/socket_option.hpp>

#include <sys/socket.h>

namespace weft::net {

boost::asio::ip::tcp::acceptor make_listener(boost::asio::io_context& ioc,
                                             const boost::asio::ip::tcp::endpoint& addr) {
  using reuse_port = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
  boost::asio::ip::tcp::acceptor acceptor(ioc);
  acceptor.open(addr.protocol());
  acceptor.set_option(boost::asio::socket_base::reuse_address(true));
  acceptor.set_option(reuse_port(true));
  acceptor.bind(addr);
  acceptor.listen(boost::asio::socket_base::max_listen_connections);
  return acceptor;
}

}  // namespace weft::net
