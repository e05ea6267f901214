#include "weft/metrics/errno_name.hpp"

#include <string.h>  // strerrorname_np (glibc >= 2.32)

#include <boost/asio/error.hpp>
#include <cstring>

#include "weft/core/error.hpp"

namespace weft::metrics {
namespace {

int weft_errno(weft::errc e) noexcept {
  switch (e) {
    case weft::errc::detect_timeout:
    case weft::errc::connect_timeout:
    case weft::errc::idle_timeout: return ETIMEDOUT;
    case weft::errc::no_original_dst: return ENOENT;  // what getsockopt(SO_ORIGINAL_DST) says
    case weft::errc::forwarding_loop: return ELOOP;
    case weft::errc::shutting_down: return ESHUTDOWN;
    default: return EIO;  // a newer weft::errc without a closer errno
  }
}

}  // namespace

int close_errno(const boost::system::error_code& ec) noexcept {
  if (!ec) return 0;
  const auto& cat = ec.category();
  if (cat == boost::system::system_category() || cat == boost::system::generic_category()) {
    return ec.value();
  }
  if (cat == weft::weft_category()) return weft_errno(static_cast<weft::errc>(ec.value()));
  if (ec == boost::asio::error::eof) return 0;  // the peer finished: a clean close
  if (ec == boost::asio::error::not_found) return ENOENT;
  const std::string_view name = cat.name();
  if (name.starts_with("asio.ssl")) return EPROTO;
  return EIO;
}

std::string_view errno_to_name(int err) noexcept {
  if (err == 0) return "";
  const char* name = ::strerrorname_np(err);
  return name != nullptr ? std::string_view(name) : std::string_view("EUNKNOWN");
}

std::optional<std::size_t> close_slot(int err) noexcept {
  if (err == 0) return 0;
  for (std::size_t i = 0; i < kCommonCloseErrnos.size(); ++i) {
    if (kCommonCloseErrnos[i] == err) return i + 1;
  }
  return std::nullopt;
}

int slot_errno(std::size_t slot) noexcept {
  return slot == 0 || slot > kCommonCloseErrnos.size() ? 0 : kCommonCloseErrnos[slot - 1];
}

}  // namespace weft::metrics
