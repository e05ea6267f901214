// Parsers for the value types that configuration is written in: durations with units
// ("100ms", "10s", "2m"), socket addresses ("0.0.0.0:4143", "[::]:4143"), port lists with
// ranges ("25,587,4567-4568") and CIDRs. Shared by weft-proxy's environment and weft-init's flags.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "weft/core/result.hpp"

namespace weft::core {

using duration = std::chrono::milliseconds;

/// "<number><unit>" with unit ms, s, m, h or d ("0" alone is allowed). Errors: invalid_argument.
result<duration> parse_duration(std::string_view text);

/// "ip:port" or "[ipv6]:port"; port 0 lets the kernel choose. Errors: invalid_argument.
result<boost::asio::ip::tcp::endpoint> parse_socket_addr(std::string_view text);

/// An inclusive range of TCP ports; a single port has first == last.
struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  bool contains(std::uint16_t port) const noexcept { return first <= port && port <= last; }
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

/// Comma-separated ports and "a-b" ranges, 1..65535; whitespace around items is ignored and an
/// empty string is an empty list. Order is kept as written. Errors: invalid_argument.
result<std::vector<PortRange>> parse_port_ranges(std::string_view text);

/// True when any range contains the port.
bool contains_port(const std::vector<PortRange>& ranges, std::uint16_t port) noexcept;

/// "a.b.c.d/n" or "x::/n" (a bare address means a host route). Errors: invalid_argument.
struct Cidr {
  boost::asio::ip::address address;
  unsigned prefix = 0;
  bool is_v4() const noexcept { return address.is_v4(); }
  std::string to_string() const;
  friend bool operator==(const Cidr&, const Cidr&) = default;
};
result<Cidr> parse_cidr(std::string_view text);

/// Comma-separated CIDRs; an empty string is an empty list. Errors: invalid_argument.
result<std::vector<Cidr>> parse_cidrs(std::string_view text);

/// "true"/"false"/"t"/"f"/"1"/"0"/"yes"/"no" (case-insensitive). Errors: invalid_argument.
result<bool> parse_bool(std::string_view text);

/// A number from 0 to 1 ("0.1"). Errors: invalid_argument.
result<double> parse_fraction(std::string_view text);

/// A positive integer in [min, max]. Errors: invalid_argument.
result<std::uint64_t> parse_uint(std::string_view text, std::uint64_t min, std::uint64_t max);

}  // namespace weft::core
