// weft's own TLS ClientHello parser, for inbound detection: from the first bytes a client sends
// it tells TLS from not-TLS and reads the SNI host name (which decides terminate vs opaque) and the
// first ALPN protocol. Pure logic over a byte span, called again as more bytes arrive; the
// connection code owns the reads and the detect timeout. Fuzzed by
// tests/fuzz/client_hello_fuzz.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

namespace weft::tls {

/// The most bytes the TLS records holding a ClientHello may take, record headers included. A hello
/// that needs more is not_tls, so a caller that has read this many bytes always has an answer.
/// Large post-quantum hellos (X25519Kyber768: about 1.8 KiB) are far below it.
inline constexpr std::size_t kMaxClientHello = 16384;

/// The longest SNI host name accepted (a DNS name is at most 253 characters); longer is not_tls.
inline constexpr std::size_t kMaxHostName = 255;

enum class HelloStatus {
  need_more,  ///< the bytes are a proper prefix of a valid ClientHello: read more
  not_tls,    ///< the bytes cannot begin a valid ClientHello (plaintext, or malformed TLS)
  hello,      ///< a complete, well-formed ClientHello
};

struct ClientHello {
  std::string_view sni;         ///< host_name of the server_name extension; empty if none
  std::string_view alpn_first;  ///< first protocol of the ALPN extension; empty if none
  bool alpn_present = false;    ///< the hello carries an ALPN extension
};

/// The outcome of parse_client_hello. `hello.sni` and `hello.alpn_first` point into the parsed
/// bytes when the field lies within one TLS record. A field that straddles two records (a hello
/// fragmented over several records, which is legal) is copied into `sni_storage` /
/// `alpn_storage` and the view points there instead; copying a HelloParse re-points such views at
/// the copy's own storage. So the views live as long as both the input and this object.
struct HelloParse {
  HelloStatus status = HelloStatus::need_more;
  ClientHello hello;
  /// Bytes of the TLS records holding the ClientHello, headers included (status == hello only).
  /// Bytes after them (early data, a ChangeCipherSpec) are not looked at.
  std::size_t record_bytes = 0;
  std::array<char, kMaxHostName> sni_storage{};
  std::array<char, 255> alpn_storage{};  // an ALPN protocol name is at most 255 bytes

  HelloParse() = default;
  HelloParse(const HelloParse& other) noexcept;
  HelloParse& operator=(const HelloParse& other) noexcept;
};

/// Parses the first bytes a client sent as TLS records carrying a ClientHello (record type 22,
/// record version 3.1 to 3.4, handshake type 1), reassembling a hello spread over several records.
/// Checks every length against its container, the session id (at most 32 bytes), the cipher
/// suites (an even number of bytes, at least one suite), the compression methods, the extensions
/// (no duplicates, no trailing bytes), the server_name list (host_name non-empty, at most one) and
/// the ALPN list (non-empty names). Never need_more once `bytes.size() >= kMaxClientHello`.
/// No allocation; reads only within `bytes`. Thread-safe (no shared state).
HelloParse parse_client_hello(std::span<const std::byte> bytes) noexcept;

/// The name of a status, for logs and test messages.
std::string_view to_string(HelloStatus s) noexcept;

}  // namespace weft::tls
