// Names the `errno` label of tcp_close_total: "" for a clean close, else an errno name such as
// "ECONNRESET". Connection handles map their close error_code here; the common errnos get a
// fixed counter slot so that closing a connection stays lock-free.
#pragma once

#include <array>
#include <boost/system/error_code.hpp>
#include <cerrno>
#include <cstddef>
#include <optional>
#include <string_view>

namespace weft::metrics {

/// The errno a close carries: 0 for success (and for end-of-stream), the value itself for the
/// system and generic categories, ETIMEDOUT for weft's timeouts, ENOENT for a missing original
/// destination, ELOOP for a forwarding loop, ESHUTDOWN when draining, EPROTO for TLS errors and
/// EIO for anything else.
int close_errno(const boost::system::error_code& ec) noexcept;

/// The symbolic name of an errno ("ECONNRESET"); "" for 0; "EUNKNOWN" when glibc has no name.
std::string_view errno_to_name(int err) noexcept;

/// errno_to_name(close_errno(ec)). (A separate name: asio error enums convert to int.)
inline std::string_view errno_name(const boost::system::error_code& ec) noexcept {
  return errno_to_name(close_errno(ec));
}

/// Errnos with their own lock-free counter slot in every tcp series. Slot 0 is the clean close;
/// slot i+1 is kCommonCloseErrnos[i]. Others go through a rare, mutex-guarded path.
inline constexpr std::array<int, 9> kCommonCloseErrnos{ECONNRESET,  ECONNREFUSED, ETIMEDOUT,
                                                       EPIPE,       ECONNABORTED, EHOSTUNREACH,
                                                       ENETUNREACH, ECANCELED,    EIO};
inline constexpr std::size_t kCloseSlots = 1 + kCommonCloseErrnos.size();

/// The slot for `err`, or nullopt when it takes the rare path.
std::optional<std::size_t> close_slot(int err) noexcept;

/// The errno counted in slot `slot` (0 for slot 0).
int slot_errno(std::size_t slot) noexcept;

}  // namespace weft::metrics
