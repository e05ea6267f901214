#include "weft/core/parse.hpp"

#include <algorithm>
#include <boost/system/errc.hpp>
#include <cctype>
#include <charconv>
#include <limits>

namespace weft::core {
namespace {

const boost::system::error_code kInvalid = make_error_code(boost::system::errc::invalid_argument);

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

template <class F>
void for_each_item(std::string_view text, F&& f) {
  while (true) {
    const auto comma = text.find(',');
    f(trim(text.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    text.remove_prefix(comma + 1);
  }
}

bool parse_number(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

result<std::uint16_t> parse_port(std::string_view s) {
  std::uint64_t n = 0;
  if (!parse_number(s, n) || n == 0 || n > 65535) return kInvalid;
  return static_cast<std::uint16_t>(n);
}

}  // namespace

result<duration> parse_duration(std::string_view text) {
  text = trim(text);
  const auto unit_at = std::find_if(text.begin(), text.end(), [](char c) {
    return !std::isdigit(static_cast<unsigned char>(c));
  });
  const auto digits = text.substr(0, static_cast<std::size_t>(unit_at - text.begin()));
  const auto unit = text.substr(digits.size());
  std::uint64_t n = 0;
  if (!parse_number(digits, n)) return kInvalid;
  std::uint64_t ms_per_unit = 0;
  if (unit == "ms")
    ms_per_unit = 1;
  else if (unit == "s")
    ms_per_unit = 1000;
  else if (unit == "m")
    ms_per_unit = 60'000;
  else if (unit == "h")
    ms_per_unit = 3'600'000;
  else if (unit == "d")
    ms_per_unit = 86'400'000;
  else if (unit.empty() && n == 0)
    ms_per_unit = 1;
  else
    return kInvalid;
  if (n > std::numeric_limits<std::int64_t>::max() / ms_per_unit) return kInvalid;
  return duration{static_cast<std::int64_t>(n * ms_per_unit)};
}

result<boost::asio::ip::tcp::endpoint> parse_socket_addr(std::string_view text) {
  text = trim(text);
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return kInvalid;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return kInvalid;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return kInvalid;  // IPv6 needs brackets
  }
  std::uint64_t port_number = 0;
  if (!parse_number(port, port_number) || port_number > 65535) return kInvalid;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return kInvalid;
  return boost::asio::ip::tcp::endpoint{address, static_cast<std::uint16_t>(port_number)};
}

result<std::vector<PortRange>> parse_port_ranges(std::string_view text) {
  std::vector<PortRange> ranges;
  if (trim(text).empty()) return ranges;
  bool ok = true;
  for_each_item(text, [&](std::string_view item) {
    if (!ok) return;
    const auto dash = item.find('-');
    auto first = parse_port(trim(item.substr(0, dash)));
    auto last = dash == std::string_view::npos ? first : parse_port(trim(item.substr(dash + 1)));
    if (!first || !last || *first > *last) {
      ok = false;
      return;
    }
    ranges.push_back({*first, *last});
  });
  if (!ok) return kInvalid;
  return ranges;
}

bool contains_port(const std::vector<PortRange>& ranges, std::uint16_t port) noexcept {
  return std::any_of(ranges.begin(), ranges.end(),
                     [port](const PortRange& r) { return r.contains(port); });
}

std::string Cidr::to_string() const { return address.to_string() + "/" + std::to_string(prefix); }

result<Cidr> parse_cidr(std::string_view text) {
  text = trim(text);
  const auto slash = text.find('/');
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(text.substr(0, slash)), ec);
  if (ec) return kInvalid;
  const unsigned max_prefix = address.is_v4() ? 32 : 128;
  std::uint64_t prefix = max_prefix;
  if (slash != std::string_view::npos &&
      (!parse_number(text.substr(slash + 1), prefix) || prefix > max_prefix)) {
    return kInvalid;
  }
  return Cidr{address, static_cast<unsigned>(prefix)};
}

result<std::vector<Cidr>> parse_cidrs(std::string_view text) {
  std::vector<Cidr> cidrs;
  if (trim(text).empty()) return cidrs;
  bool ok = true;
  for_each_item(text, [&](std::string_view item) {
    if (!ok) return;
    auto cidr = parse_cidr(item);
    if (!cidr) {
      ok = false;
      return;
    }
    cidrs.push_back(*cidr);
  });
  if (!ok) return kInvalid;
  return cidrs;
}

result<bool> parse_bool(std::string_view text) {
  std::string lower(trim(text));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  // Go's strconv.ParseBool forms too (t, f), since Linkerd's proxy-init flags take them.
  if (lower == "true" || lower == "t" || lower == "1" || lower == "yes") return true;
  if (lower == "false" || lower == "f" || lower == "0" || lower == "no") return false;
  return result<bool>(boost::system::in_place_error, kInvalid);
}

result<std::uint64_t> parse_uint(std::string_view text, std::uint64_t min, std::uint64_t max) {
  std::uint64_t n = 0;
  if (!parse_number(trim(text), n) || n < min || n > max) return kInvalid;
  return n;
}

result<double> parse_fraction(std::string_view text) {
  const auto t = trim(text);
  double d = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
  if (t.empty() || ec != std::errc{} || ptr != t.data() + t.size() || !(d >= 0.0 && d <= 1.0)) {
    return result<double>(boost::system::in_place_error, kInvalid);
  }
  return d;
}

}  // namespace weft::core
