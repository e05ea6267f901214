// Micro benchmark of inbound TLS detection: parsing a real ClientHello (captured from
// openssl s_client, SNI and ALPN) as every inbound connection of a meshed pod does before the
// handshake, and the answer for plaintext (an HTTP/1 request line), which every unmeshed client
// pays.
#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>
#include <string>

#include "weft/tls/client_hello.hpp"

namespace {

std::string fixture(const char* name) {
  std::ifstream in(std::string(WEFT_SOURCE_DIR "/tests/unit/tls/data/") + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void run(benchmark::State& state, const std::string& bytes) {
  const auto span = std::as_bytes(std::span(bytes.data(), bytes.size()));
  for (auto _ : state) {
    auto parsed = weft::tls::parse_client_hello(span);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

void BM_ClientHelloOpenssl(benchmark::State& state) {
  static const std::string hello = fixture("openssl_tls13_sni_alpn.bin");
  run(state, hello);
}
BENCHMARK(BM_ClientHelloOpenssl);

void BM_ClientHelloFragmented(benchmark::State& state) {
  static const std::string hello = fixture("openssl_fragmented.bin");
  run(state, hello);
}
BENCHMARK(BM_ClientHelloFragmented);

void BM_ClientHelloPlaintext(benchmark::State& state) {
  static const std::string request = "GET /api/v1/users HTTP/1.1\r\nHost: web\r\n\r\n";
  run(state, request);
}
BENCHMARK(BM_ClientHelloPlaintext);

}  // namespace
