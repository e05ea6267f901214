#include "weft/tls/client_hello.hpp"

#include <algorithm>
#include <bitset>
#include <cstdint>

namespace weft::tls {
namespace {

constexpr std::size_t kRecordHeader = 5;
constexpr std::size_t kMaxRecordFragment = 16384;  // RFC 8446 §5.1: 2^14 bytes
constexpr std::uint8_t kHandshakeRecord = 22;
constexpr std::uint8_t kClientHelloType = 1;
constexpr std::size_t kRandom = 32;
constexpr std::size_t kMaxSessionId = 32;
constexpr std::uint32_t kServerNameExt = 0;  // RFC 6066 §3
constexpr std::uint32_t kAlpnExt = 16;       // RFC 7301 §3.1
constexpr std::uint32_t kHostName = 0;

// The outcome of one parsing step. Everything returns `bad` as soon as the bytes seen cannot
// belong to a valid hello, and `need_more` only when they ran out first.
enum class Step { ok, need_more, bad };

#define WEFT_HELLO_TRY(expr)                                        \
  do {                                                              \
    if (const Step step_ = (expr); step_ != Step::ok) return step_; \
  } while (0)

// The handshake bytes that consecutive handshake records carry, read as one stream (a hello may be
// fragmented over several records). Each record header is checked when the stream reaches it.
// offset() counts handshake bytes only, so container bounds hold across record boundaries.
class HandshakeStream {
 public:
  explicit HandshakeStream(std::span<const std::byte> in) noexcept : in_(in) {}

  std::size_t offset() const noexcept { return offset_; }
  std::size_t input_pos() const noexcept { return pos_; }
  bool record_done() const noexcept { return left_ == 0; }

  // A big-endian integer of `width` bytes (at most 4).
  Step read_uint(std::size_t width, std::uint32_t& v) noexcept {
    v = 0;
    for (std::size_t i = 0; i < width; ++i) {
      WEFT_HELLO_TRY(ensure_record());
      if (pos_ == in_.size()) return Step::need_more;
      v = (v << 8) | byte_at(pos_);
      advance(1);
    }
    return Step::ok;
  }

  Step skip(std::size_t n) noexcept {
    while (n > 0) {
      WEFT_HELLO_TRY(ensure_record());
      const std::size_t k = std::min({n, left_, in_.size() - pos_});
      if (k == 0) return Step::need_more;
      advance(k);
      n -= k;
    }
    return Step::ok;
  }

  // `n` bytes (1 <= n <= storage.size()) as a view into the input when they lie within one record;
  // when they straddle records, copied into `storage` and viewed there.
  Step read_string(std::size_t n, std::span<char> storage, std::string_view& out) noexcept {
    WEFT_HELLO_TRY(ensure_record());
    if (n <= left_) {
      if (in_.size() - pos_ < n) return Step::need_more;
      out = std::string_view(reinterpret_cast<const char*>(in_.data() + pos_), n);
      advance(n);
      return Step::ok;
    }
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t c = 0;
      WEFT_HELLO_TRY(read_uint(1, c));
      storage[i] = static_cast<char>(c);
    }
    out = std::string_view(storage.data(), n);
    return Step::ok;
  }

 private:
  std::uint8_t byte_at(std::size_t i) const noexcept {
    return std::to_integer<std::uint8_t>(in_[i]);
  }

  void advance(std::size_t n) noexcept {
    pos_ += n;
    left_ -= n;
    offset_ += n;
  }

  // Moves to the next record when the current one is used up. Called only when the hello needs
  // more bytes, so a record that follows a finished hello is never looked at.
  Step ensure_record() noexcept {
    if (left_ > 0) return Step::ok;
    // The next record carries at least one byte, and every record must end within the cap.
    if (pos_ + kRecordHeader + 1 > kMaxClientHello) return Step::bad;
    const std::size_t have = std::min(in_.size() - pos_, kRecordHeader);
    if (have >= 1 && byte_at(pos_) != kHandshakeRecord) return Step::bad;
    if (have >= 2 && byte_at(pos_ + 1) != 3) return Step::bad;
    if (have >= 3 && (byte_at(pos_ + 2) < 1 || byte_at(pos_ + 2) > 4)) return Step::bad;
    if (have < kRecordHeader) return Step::need_more;
    const std::size_t len = std::size_t{byte_at(pos_ + 3)} << 8 | byte_at(pos_ + 4);
    // RFC 8446 §5.1: no zero-length handshake fragments, none over 2^14 bytes.
    if (len == 0 || len > kMaxRecordFragment) return Step::bad;
    if (pos_ + kRecordHeader + len > kMaxClientHello) return Step::bad;
    pos_ += kRecordHeader;
    left_ = len;
    return Step::ok;
  }

  std::span<const std::byte> in_;
  std::size_t pos_ = 0;     // next unread input byte
  std::size_t left_ = 0;    // bytes left in the current record's fragment
  std::size_t offset_ = 0;  // handshake bytes read so far
};

// Walks one ClientHello message (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2) and fills `out`. Each
// container is given as the stream offset where it ends; a length that passes its container's end
// is bad before its bytes are read, so hostile lengths fail without waiting for more input.
class HelloParser {
 public:
  HelloParser(std::span<const std::byte> in, HelloParse& out) noexcept : s_(in), out_(out) {}

  Step run() noexcept {
    std::uint32_t type = 0;
    WEFT_HELLO_TRY(s_.read_uint(1, type));
    if (type != kClientHelloType) return Step::bad;
    std::uint32_t len = 0;
    WEFT_HELLO_TRY(s_.read_uint(3, len));
    // The message and one record header at least must fit under the cap.
    if (std::size_t{len} + 4 + kRecordHeader > kMaxClientHello) return Step::bad;
    const std::size_t end = s_.offset() + len;
    WEFT_HELLO_TRY(body(end));
    // Another message, or anything else, in the hello's last record is not a client's first flight.
    if (!s_.record_done()) return Step::bad;
    out_.record_bytes = s_.input_pos();
    return Step::ok;
  }

 private:
  Step body(std::size_t end) noexcept {
    std::uint32_t version = 0;
    WEFT_HELLO_TRY(field(2, end, version));
    if (version >> 8 != 3) return Step::bad;
    std::size_t n = 0;
    WEFT_HELLO_TRY(skip_within(kRandom, end));
    WEFT_HELLO_TRY(length(1, end, n));
    if (n > kMaxSessionId) return Step::bad;
    WEFT_HELLO_TRY(s_.skip(n));
    WEFT_HELLO_TRY(length(2, end, n));
    if (n < 2 || n % 2 != 0) return Step::bad;
    WEFT_HELLO_TRY(s_.skip(n));
    WEFT_HELLO_TRY(length(1, end, n));
    if (n < 1) return Step::bad;
    WEFT_HELLO_TRY(s_.skip(n));
    if (s_.offset() == end) return Step::ok;  // TLS 1.2 and older may send no extensions at all
    WEFT_HELLO_TRY(length(2, end, n));
    if (s_.offset() + n != end) return Step::bad;
    return extensions(end);
  }

  Step extensions(std::size_t end) noexcept {
    // 8 KiB on the stack: duplicates found in constant time per extension, with no allocation
    // and no quadratic walk that a hello with thousands of extensions could exploit.
    std::bitset<65536> seen;
    while (s_.offset() < end) {
      std::uint32_t type = 0;
      std::size_t n = 0;
      WEFT_HELLO_TRY(field(2, end, type));
      WEFT_HELLO_TRY(length(2, end, n));
      if (seen[type]) return Step::bad;
      seen[type] = true;
      const std::size_t ext_end = s_.offset() + n;
      if (type == kServerNameExt) {
        WEFT_HELLO_TRY(server_name(ext_end));
      } else if (type == kAlpnExt) {
        WEFT_HELLO_TRY(alpn(ext_end));
      } else {
        WEFT_HELLO_TRY(s_.skip(n));
      }
    }
    return Step::ok;
  }

  // RFC 6066 §3: a non-empty list of (name_type, opaque<1..2^16-1>); at most one host_name.
  // Other name types are skipped: none is defined, and OpenSSL clients never send one.
  Step server_name(std::size_t ext_end) noexcept {
    std::size_t n = 0;
    WEFT_HELLO_TRY(length(2, ext_end, n));
    if (n == 0 || s_.offset() + n != ext_end) return Step::bad;
    bool host_seen = false;
    while (s_.offset() < ext_end) {
      std::uint32_t name_type = 0;
      WEFT_HELLO_TRY(field(1, ext_end, name_type));
      WEFT_HELLO_TRY(length(2, ext_end, n));
      if (name_type != kHostName) {
        WEFT_HELLO_TRY(s_.skip(n));
        continue;
      }
      if (host_seen || n == 0 || n > kMaxHostName) return Step::bad;
      host_seen = true;
      WEFT_HELLO_TRY(s_.read_string(n, out_.sni_storage, out_.hello.sni));
    }
    return Step::ok;
  }

  // RFC 7301 §3.1: a non-empty list of non-empty protocol names, each opaque<1..2^8-1>.
  Step alpn(std::size_t ext_end) noexcept {
    std::size_t n = 0;
    WEFT_HELLO_TRY(length(2, ext_end, n));
    if (n < 2 || s_.offset() + n != ext_end) return Step::bad;
    out_.hello.alpn_present = true;
    bool first = true;
    while (s_.offset() < ext_end) {
      WEFT_HELLO_TRY(length(1, ext_end, n));
      if (n == 0) return Step::bad;
      if (first) {
        WEFT_HELLO_TRY(s_.read_string(n, out_.alpn_storage, out_.hello.alpn_first));
        first = false;
      } else {
        WEFT_HELLO_TRY(s_.skip(n));
      }
    }
    return Step::ok;
  }

  // An integer field of `width` bytes that must end within the container ending at `end`.
  Step field(std::size_t width, std::size_t end, std::uint32_t& v) noexcept {
    if (s_.offset() + width > end) return Step::bad;
    return s_.read_uint(width, v);
  }

  // A length prefix of `width` bytes whose counted bytes must also end within `end`.
  Step length(std::size_t width, std::size_t end, std::size_t& n) noexcept {
    std::uint32_t v = 0;
    WEFT_HELLO_TRY(field(width, end, v));
    if (s_.offset() + v > end) return Step::bad;
    n = v;
    return Step::ok;
  }

  Step skip_within(std::size_t n, std::size_t end) noexcept {
    if (s_.offset() + n > end) return Step::bad;
    return s_.skip(n);
  }

  HandshakeStream s_;
  HelloParse& out_;
};

#undef WEFT_HELLO_TRY

// `v` re-pointed at `to` when it views `from` (the storage of the HelloParse being copied).
std::string_view repoint(std::string_view v, std::span<const char> from, std::span<const char> to) {
  if (!v.empty() && v.data() == from.data()) return {to.data(), v.size()};
  return v;
}

}  // namespace

HelloParse::HelloParse(const HelloParse& other) noexcept
    : status(other.status),
      hello(other.hello),
      record_bytes(other.record_bytes),
      sni_storage(other.sni_storage),
      alpn_storage(other.alpn_storage) {
  hello.sni = repoint(other.hello.sni, other.sni_storage, sni_storage);
  hello.alpn_first = repoint(other.hello.alpn_first, other.alpn_storage, alpn_storage);
}

HelloParse& HelloParse::operator=(const HelloParse& other) noexcept {
  if (this != &other) {
    status = other.status;
    hello = other.hello;
    record_bytes = other.record_bytes;
    sni_storage = other.sni_storage;
    alpn_storage = other.alpn_storage;
    hello.sni = repoint(other.hello.sni, other.sni_storage, sni_storage);
    hello.alpn_first = repoint(other.hello.alpn_first, other.alpn_storage, alpn_storage);
  }
  return *this;
}

HelloParse parse_client_hello(std::span<const std::byte> bytes) noexcept {
  HelloParse out;
  switch (HelloParser(bytes, out).run()) {
    case Step::ok: out.status = HelloStatus::hello; return out;
    case Step::need_more: out.status = HelloStatus::need_more; break;
    case Step::bad: out.status = HelloStatus::not_tls; break;
  }
  out.hello = ClientHello{};  // a partial walk's findings mean nothing
  return out;
}

std::string_view to_string(HelloStatus s) noexcept {
  switch (s) {
    case HelloStatus::need_more: return "need_more";
    case HelloStatus::not_tls: return "not_tls";
    case HelloStatus::hello: return "hello";
  }
  return "not_tls";
}

}  // namespace weft::tls
