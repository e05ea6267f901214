// Micro benchmark of the HTTP/1 codec: parsing a typical ~300-byte GET request head with a
// reused parser, the per-request cost once the per-message buffers have their capacity.
#include <benchmark/benchmark.h>

#include <string_view>

#include "weft/http/h1_parser.hpp"

namespace {

using weft::http::H1Handler;
using weft::http::H1Parser;
using weft::http::MessageHead;
using weft::http::MessageKind;

constexpr std::string_view kRequest =
    "GET /api/v1/users/12345/orders?limit=20&offset=40 HTTP/1.1\r\n"
    "Host: orders.shop.svc.cluster.local:8080\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) curl/7.88.1\r\n"
    "Accept: application/json\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "X-Request-Id: 6f1c2a9e-3b7d-4e21-9a55-0c8f7d2b1e44\r\n"
    "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
    "\r\n";

class CountingHandler final : public H1Handler {
 public:
  void on_head(const MessageHead& head) override { headers += head.headers.size(); }
  void on_body(std::span<const std::byte>) override {}
  void on_message_complete() override { ++messages; }
  std::size_t headers = 0, messages = 0;
};

void BM_ParseGetHead(benchmark::State& state) {
  CountingHandler handler;
  H1Parser parser(MessageKind::request, handler);
  const auto bytes = std::as_bytes(std::span(kRequest.data(), kRequest.size()));
  for (auto _ : state) {
    auto n = parser.feed(bytes);
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kRequest.size()));
  state.counters["head_bytes"] = static_cast<double>(kRequest.size());
  if (handler.messages != static_cast<std::size_t>(state.iterations()))
    state.SkipWithError("a request did not complete");
}
BENCHMARK(BM_ParseGetHead);

}  // namespace
