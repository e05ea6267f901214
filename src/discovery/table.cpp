#include "weft/discovery/table.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace weft::discovery {
namespace {

namespace ip = boost::asio::ip;
using tcp = ip::tcp;

// A DNS name has at most 253 characters; a longer authority names no service, so lookups
// lower-case into a fixed buffer of this size instead of allocating.
constexpr std::size_t kMaxName = 253;

char to_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), to_lower);
  return out;
}

std::size_t mix(std::uint64_t h) noexcept {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<std::size_t>(h);
}

bool has_port(const Service& service, std::uint16_t port) noexcept {
  return std::any_of(service.addresses.begin(), service.addresses.end(),
                     [port](const tcp::endpoint& a) { return a.port() == port; });
}

}  // namespace

tcp::endpoint canonical_addr(const tcp::endpoint& addr) noexcept {
  if (addr.address().is_v6()) {
    const auto v6 = addr.address().to_v6();
    if (v6.is_v4_mapped()) return {ip::make_address_v4(ip::v4_mapped, v6), addr.port()};
  }
  return addr;
}

std::size_t DestinationTable::AddrHash::operator()(const tcp::endpoint& e) const noexcept {
  const auto address = e.address();
  std::uint64_t h = e.port();
  if (address.is_v4()) {
    h ^= std::uint64_t{address.to_v4().to_uint()} << 16;
  } else {
    const auto bytes = address.to_v6().to_bytes();
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
    std::memcpy(&hi, bytes.data(), 8);
    std::memcpy(&lo, bytes.data() + 8, 8);
    h ^= mix(hi) ^ (lo * 0x9e3779b97f4a7c15ULL);
  }
  return mix(h);
}

std::size_t DestinationTable::NameHash::operator()(std::string_view s) const noexcept {
  return std::hash<std::string_view>{}(s);
}

DestinationTable::DestinationTable(std::vector<Service> services) : services_(std::move(services)) {
  for (const auto& service : services_) {
    for (const auto& addr : service.addresses) by_addr_.emplace(canonical_addr(addr), &service);
    by_name_.emplace(lowered_name(service.name), &service);  // the first of equal names wins
  }
  // Prefixes up to a dot, as a pod's DNS search path completes them ("web-svc.emojivoto",
  // "web-svc"). A full name wins over a prefix; a prefix shared by two services stays
  // ambiguous (nullptr) rather than picking one, because the client's namespace is unknown.
  decltype(by_name_) prefixes;
  for (const auto& service : services_) {
    const auto name = lowered_name(service.name);
    for (auto dot = name.rfind('.'); dot != std::string::npos && dot > 0;
         dot = name.rfind('.', dot - 1)) {
      auto prefix = name.substr(0, dot);
      if (by_name_.contains(prefix)) continue;
      const auto [it, inserted] = prefixes.emplace(std::move(prefix), &service);
      if (!inserted && it->second != &service) it->second = nullptr;
    }
  }
  by_name_.merge(prefixes);
}

const Service* DestinationTable::by_address(const tcp::endpoint& addr) const noexcept {
  const auto it = by_addr_.find(canonical_addr(addr));
  return it == by_addr_.end() ? nullptr : it->second;
}

const Service* DestinationTable::by_authority(std::string_view authority) const noexcept {
  std::string_view host = authority;
  std::uint16_t port = 0;
  if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    const auto digits = authority.substr(colon + 1);
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || ptr != digits.data() + digits.size() || port == 0) return nullptr;
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > kMaxName) return nullptr;
  std::array<char, kMaxName> lower;
  std::transform(host.begin(), host.end(), lower.begin(), to_lower);
  const auto it = by_name_.find(std::string_view(lower.data(), host.size()));
  if (it == by_name_.end() || it->second == nullptr) return nullptr;
  if (port != 0 && !has_port(*it->second, port)) return nullptr;
  return it->second;
}

bool Route::matches(std::string_view method, std::string_view path) const noexcept {
  return (match.method.empty() || match.method == method) && path.starts_with(match.path_prefix);
}

const Route* Service::route_for(std::string_view method, std::string_view path) const noexcept {
  for (const auto& route : routes) {
    if (route.matches(method, path)) return &route;
  }
  return nullptr;
}

}  // namespace weft::discovery
