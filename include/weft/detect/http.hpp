// HTTP protocol detection over the first bytes a client sends: the HTTP/2 client preface means
// h2, an HTTP/1 request line means h1, anything else means opaque TCP. Pure logic over a byte
// span, called again as more bytes arrive; the connection code owns the reads and the timeout.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace weft::detect {

enum class Protocol { http1, http2, not_http };

/// How many bytes detection may read before it must decide: a request line longer than this is
/// still HTTP/1 (as Linkerd decides on a partial parse of its one 1 KiB read).
inline constexpr std::size_t kMaxDetectBytes = 1024;

/// The protocol the bytes read so far show, or nullopt when they are a proper prefix of both an
/// HTTP request and something else (read more, within the detect timeout). Never nullopt once
/// `bytes.size() >= kMaxDetectBytes`.
std::optional<Protocol> detect_http(std::span<const std::byte> bytes) noexcept;

/// The `result` label of the detection metrics: "http/1", "http/2", "not_http".
std::string_view to_string(Protocol p) noexcept;

}  // namespace weft::detect
