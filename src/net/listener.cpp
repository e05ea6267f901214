#include "weft/net/listener.hpp"

#include <sys/socket.h>

#include <boost/asio/detail/socket_option.hpp>
#include <boost/asio/ip/v6_only.hpp>

namespace weft::net {

boost::asio::ip::tcp::acceptor make_listener(boost::asio::io_context& ioc,
                                             const boost::asio::ip::tcp::endpoint& addr) {
  using reuse_port = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
  boost::asio::ip::tcp::acceptor acceptor(ioc);
  acceptor.open(addr.protocol());
  // [::] must take IPv4 too (as v4-mapped addresses): the inbound listener of a dual-stack pod
  // is the only one iptables' IPv4 REDIRECT to 4143 can reach. Say so explicitly: left alone,
  // IPV6_V6ONLY follows the namespace's net.ipv6.bindv6only sysctl, and where that is 1 the
  // pod's IPv4 inbound connections would be refused.
  if (addr.address().is_v6() && addr.address().is_unspecified()) {
    acceptor.set_option(boost::asio::ip::v6_only(false));
  }
  acceptor.set_option(boost::asio::socket_base::reuse_address(true));
  acceptor.set_option(reuse_port(true));
  acceptor.bind(addr);
  acceptor.listen(boost::asio::socket_base::max_listen_connections);
  return acceptor;
}

}  // namespace weft::net
