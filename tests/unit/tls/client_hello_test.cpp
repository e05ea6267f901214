#include "weft/tls/client_hello.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace weft::tls {
namespace {

using Bytes = std::vector<std::uint8_t>;

HelloParse parse(const Bytes& b) { return parse_client_hello(std::as_bytes(std::span(b))); }

HelloParse parse(std::string_view s) {
  return parse_client_hello(std::as_bytes(std::span(s.data(), s.size())));
}

// Captured by tests/unit/tls/data/capture.py from openssl s_client and python3's ssl module.
Bytes fixture(const std::string& name) {
  std::ifstream in(std::string(WEFT_SOURCE_DIR) + "/tests/unit/tls/data/" + name, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

struct Fixture {
  const char* file;
  std::string_view sni;
  std::string_view alpn_first;
  bool alpn_present;
};

constexpr Fixture kFixtures[] = {
    {"openssl_tls13_sni_alpn.bin", "web.default.serviceaccount.identity.cluster.local", "h2", true},
    {"openssl_tls12_sni_alpn.bin", "x.y", "h2", true},
    {"openssl_no_sni.bin", "", "", false},
    {"python_sni_alpn.bin", "api.example.test", "h2", true},
    {"openssl_fragmented.bin", "frag.example.test", "h2", true},
};

// --- building hellos -------------------------------------------------------------------------

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes u8(std::size_t v) { return {static_cast<std::uint8_t>(v)}; }
Bytes u16(std::size_t v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}
Bytes u24(std::size_t v) { return cat({u8(v >> 16), u16(v)}); }
Bytes str(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes ext(std::uint16_t type, const Bytes& data) {
  return cat({u16(type), u16(data.size()), data});
}
Bytes sni_ext(std::string_view host) {
  return ext(0, cat({u16(host.size() + 3), u8(0), u16(host.size()), str(host)}));
}
Bytes alpn_ext(std::initializer_list<std::string_view> protocols) {
  Bytes list;
  for (auto p : protocols) list = cat({list, u8(p.size()), str(p)});
  return ext(16, cat({u16(list.size()), list}));
}

// legacy_version, random, session_id (32 bytes), two cipher suites, null compression.
Bytes body_start() {
  return cat({u16(0x0303),
              Bytes(32, 0x5a),
              u8(32),
              Bytes(32, 0xab),
              u16(4),
              {0x13, 0x01, 0x13, 0x02},
              u8(1),
              u8(0)});
}
Bytes body_with(std::initializer_list<Bytes> extensions) {
  const Bytes exts = cat(extensions);
  return cat({body_start(), u16(exts.size()), exts});
}
Bytes handshake(const Bytes& body) { return cat({u8(1), u24(body.size()), body}); }

// The handshake bytes in TLS records, a new record starting at each cut (offsets into `hs`).
Bytes records(const Bytes& hs, std::vector<std::size_t> cuts = {}) {
  cuts.push_back(hs.size());
  Bytes out;
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    out =
        cat({out, {0x16, 0x03, 0x01}, u16(cut - from), Bytes(hs.begin() + from, hs.begin() + cut)});
    from = cut;
  }
  return out;
}
Bytes hello_record(const Bytes& body) { return records(handshake(body)); }

// The handshake bytes of captured records, without their record headers.
Bytes handshake_of(const Bytes& recs) {
  Bytes hs;
  for (std::size_t i = 0; i + 5 <= recs.size();) {
    const std::size_t len = std::size_t{recs[i + 3]} << 8 | recs[i + 4];
    hs.insert(hs.end(), recs.begin() + i + 5, recs.begin() + i + 5 + len);
    i += 5 + len;
  }
  return hs;
}

bool inside(std::string_view v, const void* base, std::size_t size) {
  const auto* b = static_cast<const char*>(base);
  return v.empty() ||
         (std::less_equal<>()(b, v.data()) && std::less_equal<>()(v.data() + v.size(), b + size));
}

// The views lie in the input or in the result's own storage.
::testing::AssertionResult views_are_sound(const HelloParse& p, const Bytes& in) {
  for (auto [v, storage] : {std::pair{p.hello.sni, std::span<const char>(p.sni_storage)},
                            std::pair{p.hello.alpn_first, std::span<const char>(p.alpn_storage)}}) {
    if (!inside(v, in.data(), in.size()) && !inside(v, storage.data(), storage.size())) {
      return ::testing::AssertionFailure() << "view '" << v << "' points outside input and storage";
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult parses_as(const Bytes& in, const Fixture& f) {
  const HelloParse p = parse(in);
  if (p.status != HelloStatus::hello) return ::testing::AssertionFailure() << to_string(p.status);
  if (p.hello.sni != f.sni || p.hello.alpn_first != f.alpn_first ||
      p.hello.alpn_present != f.alpn_present) {
    return ::testing::AssertionFailure() << "sni '" << p.hello.sni << "' alpn '"
                                         << p.hello.alpn_first << "' " << p.hello.alpn_present;
  }
  return views_are_sound(p, in);
}

// --- captured hellos -------------------------------------------------------------------------

TEST(ClientHello, CapturedHellosGiveTheirSniAndAlpn) {
  for (const auto& f : kFixtures) {
    const Bytes in = fixture(f.file);
    ASSERT_GT(in.size(), 100u) << f.file;
    EXPECT_TRUE(parses_as(in, f)) << f.file;
    EXPECT_EQ(parse(in).record_bytes, in.size()) << f.file;
  }
}

TEST(ClientHello, CapturedOpensslHelloSpansThreeRecords) {
  const Bytes in = fixture("openssl_fragmented.bin");
  std::size_t n = 0;
  for (std::size_t i = 0; i + 5 <= in.size(); i += 5 + (std::size_t{in[i + 3]} << 8 | in[i + 4]))
    ++n;
  EXPECT_EQ(n, 3u);
}

TEST(ClientHello, BytesAfterTheHelloRecordsAreLeftAlone) {
  for (const auto& f : kFixtures) {
    const Bytes hello = fixture(f.file);
    // A ChangeCipherSpec record, then garbage: what a client may send before the server answers.
    const Bytes in = cat({hello, {0x14, 0x03, 0x03, 0x00, 0x01, 0x01}, str("GET / HTTP/1.1\r\n")});
    const HelloParse p = parse(in);
    EXPECT_EQ(p.status, HelloStatus::hello) << f.file;
    EXPECT_EQ(p.record_bytes, hello.size()) << f.file;
    EXPECT_TRUE(parses_as(in, f)) << f.file;
  }
}

TEST(ClientHello, EveryPrefixOfEveryCapturedHelloNeedsMore) {
  for (const auto& f : kFixtures) {
    const Bytes in = fixture(f.file);
    for (std::size_t n = 0; n < in.size(); ++n) {
      const Bytes prefix(in.begin(), in.begin() + n);
      const HelloParse p = parse(prefix);
      ASSERT_EQ(p.status, HelloStatus::need_more) << f.file << " prefix " << n;
      EXPECT_TRUE(p.hello.sni.empty() && p.hello.alpn_first.empty() && !p.hello.alpn_present);
    }
  }
}

TEST(ClientHello, CapturedHellosRefragmentedAtEveryByteStillParse) {
  for (const auto& f : kFixtures) {
    const Bytes hs = handshake_of(fixture(f.file));
    for (std::size_t cut = 1; cut < hs.size(); ++cut) {
      const Bytes in = records(hs, {cut});
      ASSERT_TRUE(parses_as(in, f)) << f.file << " cut " << cut;
      ASSERT_EQ(parse(in).record_bytes, in.size());
    }
  }
}

TEST(ClientHello, OneByteRecordsCopyTheFieldsIntoStorage) {
  const Fixture& f = kFixtures[0];
  const Bytes hs = handshake_of(fixture(f.file));
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < hs.size(); ++i) cuts.push_back(i);
  const Bytes in = records(hs, cuts);
  ASSERT_TRUE(parses_as(in, f));
  const HelloParse p = parse(in);
  EXPECT_EQ(p.hello.sni.data(), p.sni_storage.data());
  EXPECT_EQ(p.hello.alpn_first.data(), p.alpn_storage.data());
  for (std::size_t n = 0; n < in.size(); n += 7) {
    ASSERT_EQ(parse(Bytes(in.begin(), in.begin() + n)).status, HelloStatus::need_more) << n;
  }
}

TEST(ClientHello, CopiesRepointViewsAtTheirOwnStorage) {
  const Bytes hs = handshake_of(fixture(kFixtures[0].file));
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < hs.size(); ++i) cuts.push_back(i);
  const Bytes in = records(hs, cuts);
  const HelloParse original = parse(in);
  const HelloParse copy = original;
  HelloParse assigned;
  assigned = original;
  for (const HelloParse* p : {&copy, static_cast<const HelloParse*>(&assigned)}) {
    EXPECT_EQ(p->hello.sni, kFixtures[0].sni);
    EXPECT_EQ(p->hello.sni.data(), p->sni_storage.data());
    EXPECT_EQ(p->hello.alpn_first.data(), p->alpn_storage.data());
  }
  // Views into the input stay there.
  const Bytes whole = fixture(kFixtures[0].file);
  const HelloParse direct = parse(whole);
  const HelloParse direct_copy = direct;
  EXPECT_EQ(direct_copy.hello.sni.data(), direct.hello.sni.data());
}

// --- not TLS ---------------------------------------------------------------------------------

TEST(ClientHello, PlaintextIsNotTls) {
  EXPECT_EQ(parse(std::string_view("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).status,
            HelloStatus::not_tls);
  EXPECT_EQ(parse(std::string_view("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")).status,
            HelloStatus::not_tls);
  EXPECT_EQ(parse(std::string_view("G")).status, HelloStatus::not_tls);
  EXPECT_EQ(parse(std::string_view("SSH-2.0-OpenSSH_9.2\r\n")).status, HelloStatus::not_tls);
  EXPECT_EQ(parse(Bytes{0x80, 0x2e, 0x01, 0x03, 0x01}).status, HelloStatus::not_tls);  // SSLv2
  EXPECT_EQ(parse(Bytes{}).status, HelloStatus::need_more);
}

TEST(ClientHello, OtherRecordTypesAndVersionsAreNotTls) {
  const Bytes good = hello_record(body_with({sni_ext("a.b")}));
  ASSERT_EQ(parse(good).status, HelloStatus::hello);
  // (offset, value): record type, record version major and minor, handshake type.
  const std::initializer_list<std::pair<std::size_t, std::uint8_t>> changes = {
      {0, 0x17}, {0, 0x15}, {1, 0x02}, {2, 0x00}, {2, 0x05}, {5, 0x02}};
  for (auto [at, value] : changes) {
    Bytes in = good;
    in[at] = value;
    EXPECT_EQ(parse(in).status, HelloStatus::not_tls) << at << " " << int{value};
    EXPECT_EQ(parse(Bytes(in.begin(), in.begin() + at + 1)).status, HelloStatus::not_tls) << at;
  }
  // A hello whose legacy_version is not 3.x.
  Bytes body = body_with({});
  body[0] = 2;
  EXPECT_EQ(parse(hello_record(body)).status, HelloStatus::not_tls);
}

TEST(ClientHello, RecordLengthsOutOfBoundsAreNotTls) {
  EXPECT_EQ(parse(Bytes{0x16, 0x03, 0x01, 0xff, 0xff}).status, HelloStatus::not_tls);
  EXPECT_EQ(parse(Bytes{0x16, 0x03, 0x01, 0x40, 0x01}).status, HelloStatus::not_tls);
  EXPECT_EQ(parse(Bytes{0x16, 0x03, 0x01, 0x00, 0x00}).status, HelloStatus::not_tls);
  // A second record that is empty, or of another type, in the middle of a fragmented hello.
  const Bytes hs = handshake(body_with({sni_ext("a.b")}));
  Bytes split = records(hs, {10});
  Bytes empty_record = cat({Bytes(split.begin(), split.begin() + 15),
                            {0x16, 0x03, 0x01, 0, 0},
                            Bytes(split.begin() + 15, split.end())});
  EXPECT_EQ(parse(empty_record).status, HelloStatus::not_tls);
  split[15] = 0x17;
  EXPECT_EQ(parse(split).status, HelloStatus::not_tls);
}

TEST(ClientHello, HandshakeHeaderOutOfBoundsIsNotTls) {
  EXPECT_EQ(parse(cat({{0x16, 0x03, 0x01}, u16(4), u8(1), u24(0xffffff)})).status,
            HelloStatus::not_tls);
  EXPECT_EQ(parse(cat({{0x16, 0x03, 0x01}, u16(4), u8(2), u24(100)})).status, HelloStatus::not_tls);
}

TEST(ClientHello, SessionIdAndCipherSuiteRules) {
  auto body = [](std::size_t sid, const Bytes& suites) {
    return cat({u16(0x0303), Bytes(32, 1), u8(sid), Bytes(sid, 2), u16(suites.size()), suites,
                u8(1), u8(0)});
  };
  EXPECT_EQ(parse(hello_record(body(0, {0x13, 0x01}))).status, HelloStatus::hello);
  EXPECT_EQ(parse(hello_record(body(32, {0x13, 0x01}))).status, HelloStatus::hello);
  EXPECT_EQ(parse(hello_record(body(33, {0x13, 0x01}))).status, HelloStatus::not_tls);
  EXPECT_EQ(parse(hello_record(body(0, {}))).status, HelloStatus::not_tls);
  EXPECT_EQ(parse(hello_record(body(0, {0x13, 0x01, 0x13}))).status, HelloStatus::not_tls);
  // No compression methods at all.
  EXPECT_EQ(
      parse(hello_record(cat({u16(0x0303), Bytes(32, 1), u8(0), u16(2), {0x13, 0x01}, u8(0)})))
          .status,
      HelloStatus::not_tls);
}

TEST(ClientHello, LengthsOverrunningTheirContainerAreNotTls) {
  // The session id runs past the hello.
  EXPECT_EQ(parse(hello_record(cat({u16(0x0303), Bytes(32, 1), u8(20), Bytes(5, 0)}))).status,
            HelloStatus::not_tls);
  // The extensions block runs past the hello.
  EXPECT_EQ(parse(hello_record(cat({body_start(), u16(100), ext(10, {0, 2, 0, 29})}))).status,
            HelloStatus::not_tls);
  // An extension runs past the extensions block.
  EXPECT_EQ(parse(hello_record(cat({body_start(), u16(6), u16(10), u16(50), {0, 0}}))).status,
            HelloStatus::not_tls);
  // The server_name list, then the host name, run past the extension.
  EXPECT_EQ(
      parse(hello_record(body_with({ext(0, cat({u16(20), u8(0), u16(3), str("a.b")}))}))).status,
      HelloStatus::not_tls);
  EXPECT_EQ(
      parse(hello_record(body_with({ext(0, cat({u16(6), u8(0), u16(10), str("a.b")}))}))).status,
      HelloStatus::not_tls);
  // The ALPN list, then a protocol name, run past the extension.
  EXPECT_EQ(parse(hello_record(body_with({ext(16, cat({u16(9), u8(2), str("h2")}))}))).status,
            HelloStatus::not_tls);
  EXPECT_EQ(parse(hello_record(body_with({ext(16, cat({u16(3), u8(7), str("h2")}))}))).status,
            HelloStatus::not_tls);
  // Each is decided from the bytes up to the bad length, without waiting for the rest.
  const Bytes in = hello_record(body_with({ext(0, cat({u16(20), u8(0), u16(3), str("a.b")}))}));
  EXPECT_EQ(parse(Bytes(in.begin(), in.end() - 6)).status, HelloStatus::not_tls);
}

TEST(ClientHello, TrailingBytesInsideTheHelloOrItsRecordAreNotTls) {
  const Bytes exts = sni_ext("a.b");
  EXPECT_EQ(parse(hello_record(cat({body_start(), u16(exts.size()), exts, {0, 0, 0}}))).status,
            HelloStatus::not_tls);
  // A well-formed hello followed by more bytes inside the same record.
  const Bytes hs = cat({handshake(body_with({exts})), {0x01, 0x02}});
  EXPECT_EQ(parse(records(hs)).status, HelloStatus::not_tls);
}

TEST(ClientHello, ServerNameRules) {
  EXPECT_EQ(parse(hello_record(body_with({sni_ext("")}))).status, HelloStatus::not_tls);
  EXPECT_EQ(parse(hello_record(body_with({ext(0, u16(0))}))).status, HelloStatus::not_tls);
  EXPECT_EQ(parse(hello_record(body_with({ext(0, {})}))).status, HelloStatus::not_tls);
  const std::string longest(kMaxHostName, 'a');
  EXPECT_EQ(parse(hello_record(body_with({sni_ext(longest)}))).hello.sni, longest);
  EXPECT_EQ(parse(hello_record(body_with({sni_ext(longest + "a")}))).status, HelloStatus::not_tls);
  // Another name type is skipped; two host names are not allowed.
  const Bytes other_then_host = cat({u8(7), u16(2), str("zz"), u8(0), u16(3), str("a.b")});
  const HelloParse p =
      parse(hello_record(body_with({ext(0, cat({u16(other_then_host.size()), other_then_host}))})));
  EXPECT_EQ(p.status, HelloStatus::hello);
  EXPECT_EQ(p.hello.sni, "a.b");
  const Bytes two_hosts = cat({u8(0), u16(3), str("a.b"), u8(0), u16(3), str("c.d")});
  EXPECT_EQ(
      parse(hello_record(body_with({ext(0, cat({u16(two_hosts.size()), two_hosts}))}))).status,
      HelloStatus::not_tls);
}

TEST(ClientHello, AlpnRules) {
  const HelloParse p = parse(hello_record(body_with({alpn_ext({"http/1.1", "h2"})})));
  EXPECT_EQ(p.status, HelloStatus::hello);
  EXPECT_EQ(p.hello.alpn_first, "http/1.1");
  EXPECT_TRUE(p.hello.alpn_present);
  EXPECT_TRUE(p.hello.sni.empty());
  EXPECT_EQ(parse(hello_record(body_with({ext(16, u16(0))}))).status, HelloStatus::not_tls);
  EXPECT_EQ(parse(hello_record(body_with({alpn_ext({"h2", ""})}))).status, HelloStatus::not_tls);
}

TEST(ClientHello, DuplicateExtensionsAreNotTls) {
  const Bytes groups = ext(10, {0, 2, 0, 29});
  EXPECT_EQ(parse(hello_record(body_with({groups, sni_ext("a.b")}))).status, HelloStatus::hello);
  EXPECT_EQ(parse(hello_record(body_with({groups, sni_ext("a.b"), groups}))).status,
            HelloStatus::not_tls);
  EXPECT_EQ(parse(hello_record(body_with({sni_ext("a.b"), sni_ext("a.b")}))).status,
            HelloStatus::not_tls);
  EXPECT_EQ(parse(hello_record(body_with({alpn_ext({"h2"}), alpn_ext({"h2"})}))).status,
            HelloStatus::not_tls);
}

TEST(ClientHello, HelloWithoutExtensionsParses) {
  const HelloParse p = parse(hello_record(body_start()));
  EXPECT_EQ(p.status, HelloStatus::hello);
  EXPECT_TRUE(p.hello.sni.empty());
  EXPECT_FALSE(p.hello.alpn_present);
}

TEST(ClientHello, HellosOverTheCapAreNotTlsAndTheCapAlwaysDecides) {
  // A padding extension sized so that the one record is exactly kMaxClientHello bytes.
  const std::size_t fixed = 5 + 4 + body_start().size() + 2 + sni_ext("a.b").size() + 4;
  const Bytes at_cap =
      hello_record(body_with({sni_ext("a.b"), ext(21, Bytes(kMaxClientHello - fixed, 0))}));
  ASSERT_EQ(at_cap.size(), kMaxClientHello);
  EXPECT_EQ(parse(at_cap).status, HelloStatus::hello);
  EXPECT_EQ(parse(at_cap).hello.sni, "a.b");
  const Bytes over =
      hello_record(body_with({sni_ext("a.b"), ext(21, Bytes(kMaxClientHello - fixed + 1, 0))}));
  EXPECT_EQ(parse(over).status, HelloStatus::not_tls);
  // The same hello in two records no longer fits: its records take five more bytes.
  EXPECT_EQ(parse(records(handshake_of(at_cap), {100})).status, HelloStatus::not_tls);
  // Many small records: a hello whose records would pass the cap is refused once the cap is read.
  const Bytes hs = handshake(body_with({ext(21, Bytes(4000, 0))}));
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < hs.size(); ++i) cuts.push_back(i);
  const Bytes tiny = records(hs, cuts);
  ASSERT_GT(tiny.size(), kMaxClientHello);
  EXPECT_EQ(parse(Bytes(tiny.begin(), tiny.begin() + kMaxClientHello)).status,
            HelloStatus::not_tls);
}

TEST(ClientHello, StatusNames) {
  EXPECT_EQ(to_string(HelloStatus::need_more), "need_more");
  EXPECT_EQ(to_string(HelloStatus::not_tls), "not_tls");
  EXPECT_EQ(to_string(HelloStatus::hello), "hello");
}

}  // namespace
}  // namespace weft::tls
