// A basic gRPC check of the HTTP/2 path with Debian's python3-grpcio on both ends: a 4 MB unary
// call with metadata and trailers, and an error status with its message, through the proxy; then
// the golden metrics' gRPC classification. (The full gRPC suite lives in the grpc tests.)
#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/proxy_fixture.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kServer = R"(
import sys, grpc
from concurrent import futures
def echo(req, ctx):
    md = dict(ctx.invocation_metadata())
    if req == b'fail':
        ctx.abort(grpc.StatusCode.PERMISSION_DENIED, 'denied by test')
    ctx.set_trailing_metadata((('x-echo-md', md.get('x-md', '')),))
    return req
opts = [('grpc.max_receive_message_length', 8 << 20), ('grpc.max_send_message_length', 8 << 20)]
s = grpc.server(futures.ThreadPoolExecutor(4), options=opts)
s.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
    'test.Echo', {'Echo': grpc.unary_unary_rpc_method_handler(echo)}),))
port = s.add_insecure_port('127.0.0.1:0')
s.start()
print('PORT', port, file=sys.stderr, flush=True)
s.wait_for_termination()
)";

constexpr const char* kClient = R"(
import sys, grpc
opts = [('grpc.max_receive_message_length', 8 << 20), ('grpc.max_send_message_length', 8 << 20)]
ch = grpc.insecure_channel(sys.argv[1], options=opts)
f = ch.unary_unary('/test.Echo/Echo')
big = bytes(range(256)) * (4 * 1024 * 1024 // 256)
resp, call = f.with_call(big, metadata=(('x-md', 'hello'),), timeout=30)
assert resp == big, 'body differs'
tm = dict(call.trailing_metadata())
assert tm.get('x-echo-md') == 'hello', tm
try:
    f(b'fail', timeout=10)
    sys.exit('no error')
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.PERMISSION_DENIED, e.code()
    assert e.details() == 'denied by test', e.details()
print('ok')
)";

TEST(H2GrpcSmoke, UnaryCallsAndStatusesPassThrough) {
  if (run_command({"/usr/bin/python3", "-c", "import grpc"}).exit_code != 0) {
    GTEST_SKIP() << "python3-grpcio not installed";
  }
  ChildProcess server({"/usr/bin/python3", "-c", kServer}, {});
  const auto port = server.wait_for_log("PORT ", 20s);
  ASSERT_TRUE(port.has_value()) << server.stderr_text();
  const boost::asio::ip::tcp::endpoint target(boost::asio::ip::address_v4::loopback(),
                                              static_cast<unsigned short>(std::stoi(*port)));
  auto proxy = start_proxy_to(target);
  const auto via = addr_label(proxy->outbound_endpoint());
  const auto r = run_command({"/usr/bin/python3", "-c", kClient, via}, {}, 60s);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                              {{"direction", "outbound"},
                               {"status_code", "200"},
                               {"grpc_status", "0"},
                               {"classification", "success"}},
                              1));
  EXPECT_TRUE(wait_for_metric(*proxy, "response_total",
                              {{"direction", "outbound"},
                               {"status_code", "200"},
                               {"grpc_status", "7"},
                               {"classification", "failure"}},
                              1));
}

}  // namespace
}  // namespace weft::test
