#include "weft/net/orig_dst.hpp"

#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "weft/core/error.hpp"

namespace weft::net {

result<boost::asio::ip::tcp::endpoint> SocketOrigDst::resolve(
    const boost::asio::ip::tcp::socket& accepted) const {
  // The const_cast is for the native handle only; reading an option does not change the socket.
  const int fd = const_cast<boost::asio::ip::tcp::socket&>(accepted).native_handle();
  sockaddr_storage storage{};
  socklen_t len = sizeof(storage);
  boost::system::error_code local_ec;
  const auto local = accepted.local_endpoint(local_ec);
  if (local_ec) return local_ec;
  // A v4-mapped local address means the redirect happened in the IPv4 table.
  const bool v6 = local.address().is_v6() && !local.address().to_v6().is_v4_mapped();
  const int rc = v6 ? ::getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &storage, &len)
                    : ::getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &storage, &len);
  if (rc != 0) return make_error_code(errc::no_original_dst);
  // The kernel does not update `len` for SO_ORIGINAL_DST, so size the address by its family.
  std::size_t size = 0;
  if (storage.ss_family == AF_INET)
    size = sizeof(sockaddr_in);
  else if (storage.ss_family == AF_INET6)
    size = sizeof(sockaddr_in6);
  else
    return make_error_code(errc::no_original_dst);
  boost::asio::ip::tcp::endpoint target;
  std::memcpy(target.data(), &storage, size);
  target.resize(size);
  return target;
}

}  // namespace weft::net
