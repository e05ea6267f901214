// libFuzzer target for weft's TLS ClientHello parser (weft::tls::parse_client_hello). Its seed
// corpus is the captured hellos of the unit tests (tests/unit/tls/data/*.bin); `make fuzz` runs it
// (docs/testing.md). Besides ASan/UBSan's checks, it traps when a result breaks the parser's
// contract.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "weft/tls/client_hello.hpp"

namespace {

using weft::tls::HelloParse;
using weft::tls::HelloStatus;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool inside(std::string_view v, const void* base, std::size_t size) {
  const auto* b = static_cast<const char*>(base);
  return v.empty() ||
         (std::less_equal<>()(b, v.data()) && std::less_equal<>()(v.data() + v.size(), b + size));
}

// Every view lies in the input or in the result's own storage.
void check_views(const HelloParse& p, std::span<const std::byte> in) {
  check(inside(p.hello.sni, in.data(), in.size()) ||
        inside(p.hello.sni, p.sni_storage.data(), p.sni_storage.size()));
  check(inside(p.hello.alpn_first, in.data(), in.size()) ||
        inside(p.hello.alpn_first, p.alpn_storage.data(), p.alpn_storage.size()));
}

bool same_hello(const HelloParse& a, const HelloParse& b) {
  return a.status == b.status && a.record_bytes == b.record_bytes && a.hello.sni == b.hello.sni &&
         a.hello.alpn_first == b.hello.alpn_first && a.hello.alpn_present == b.hello.alpn_present;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = std::as_bytes(std::span(data, size));
  const HelloParse p = weft::tls::parse_client_hello(in);
  check_views(p, in);
  switch (p.status) {
    case HelloStatus::need_more:
      // The cap always decides, and a prefix of a prefix is still one.
      check(size < weft::tls::kMaxClientHello);
      check(weft::tls::parse_client_hello(in.first(size / 2)).status == HelloStatus::need_more);
      [[fallthrough]];
    case HelloStatus::not_tls:
      check(p.record_bytes == 0 && p.hello.sni.empty() && p.hello.alpn_first.empty() &&
            !p.hello.alpn_present);
      break;
    case HelloStatus::hello: {
      check(p.record_bytes > 0 && p.record_bytes <= size);
      check(p.record_bytes <= weft::tls::kMaxClientHello);
      check(p.hello.sni.size() <= weft::tls::kMaxHostName);
      check(p.hello.alpn_present || p.hello.alpn_first.empty());
      // The records alone give the same hello; one byte fewer is a prefix of it.
      const HelloParse records_only = weft::tls::parse_client_hello(in.first(p.record_bytes));
      check(same_hello(records_only, p));
      check(weft::tls::parse_client_hello(in.first(p.record_bytes - 1)).status ==
            HelloStatus::need_more);
      // A copy's views point into the input or into the copy's own storage.
      const HelloParse copy = p;
      check_views(copy, in);
      check(same_hello(copy, p));
      break;
    }
  }
  return 0;
}
