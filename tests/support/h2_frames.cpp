#include "support/h2_frames.hpp"

namespace weft::test::h2 {

std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream_id,
                  std::string_view payload, std::optional<std::uint32_t> length) {
  const std::uint32_t len = length.value_or(static_cast<std::uint32_t>(payload.size()));
  std::string out;
  out.push_back(static_cast<char>((len >> 16) & 0xff));
  out.push_back(static_cast<char>((len >> 8) & 0xff));
  out.push_back(static_cast<char>(len & 0xff));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((stream_id >> shift) & 0xff));
  }
  out.append(payload);
  return out;
}

namespace {
// HPACK integer with a 7-bit prefix (string lengths, H bit clear).
void put_length(std::string& out, std::size_t n) {
  if (n < 127) {
    out.push_back(static_cast<char>(n));
    return;
  }
  out.push_back(static_cast<char>(127));
  n -= 127;
  while (n >= 128) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}
}  // namespace

std::string header_block(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    out.push_back(0);  // literal without indexing, new name
    put_length(out, name.size());
    out.append(name);
    put_length(out, value.size());
    out.append(value);
  }
  return out;
}

std::uint32_t be32(std::string_view s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(s[at + i]);
  return v;
}

std::optional<Frame> read_frame(Client& c) {
  const std::string head = c.read_exactly(9);
  if (head.size() != 9) return std::nullopt;
  Frame f;
  f.length = (static_cast<std::uint8_t>(head[0]) << 16) |
             (static_cast<std::uint8_t>(head[1]) << 8) | static_cast<std::uint8_t>(head[2]);
  f.type = static_cast<std::uint8_t>(head[3]);
  f.flags = static_cast<std::uint8_t>(head[4]);
  f.stream_id = be32(head, 5) & 0x7fffffffu;
  f.payload = c.read_exactly(f.length);
  if (f.payload.size() != f.length) return std::nullopt;
  return f;
}

std::optional<Frame> read_until(Client& c, std::uint8_t type) {
  for (;;) {
    auto f = read_frame(c);
    if (!f || f->type == type) return f;
  }
}

}  // namespace weft::test::h2
