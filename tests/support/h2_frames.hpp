// Hand-made HTTP/2 frames for tests that must send what no well-behaved client sends (a frame
// with a bad length) or watch the exact frames the proxy answers with (GOAWAY, RST_STREAM).
// Header blocks use HPACK literals without indexing or Huffman, so no encoder is needed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/client.hpp"

namespace weft::test::h2 {

inline constexpr std::uint8_t kData = 0, kHeaders = 1, kRstStream = 3, kSettings = 4, kPing = 6,
                              kGoaway = 7, kWindowUpdate = 8;
inline constexpr std::uint8_t kEndStream = 1, kAck = 1, kEndHeaders = 4;

inline constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

struct Frame {
  std::uint32_t length = 0;
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint32_t stream_id = 0;
  std::string payload;
};

/// One frame's bytes; `length` overrides the length field (for malformed frames).
std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream_id,
                  std::string_view payload, std::optional<std::uint32_t> length = std::nullopt);

/// An HPACK block of literal fields (no indexing, no Huffman).
std::string header_block(const std::vector<std::pair<std::string, std::string>>& fields);

/// The 32-bit big-endian value at `at` in `s`.
std::uint32_t be32(std::string_view s, std::size_t at);

/// Reads one frame; nullopt when the connection ends first.
std::optional<Frame> read_frame(Client& c);

/// Reads frames until one of `type` arrives (answering nothing); nullopt when the connection ends.
std::optional<Frame> read_until(Client& c, std::uint8_t type);

}  // namespace weft::test::h2
