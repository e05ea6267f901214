// parse_destinations: the issue's document, its JSON form, the optional keys, and one test per
// kind of validation error, each checking the message (path and expectation).
#include <gtest/gtest.h>

#include <string>

#include "weft/discovery/file_source.hpp"

namespace weft::discovery {
namespace {

using namespace std::chrono_literals;
namespace ip = boost::asio::ip;

// The core format, exactly as issue 4 gives it (comments included).
constexpr const char* kIssueDocument = R"(services:
  - name: web-svc.emojivoto.svc.cluster.local   # logical name; authorities that match it route here
    addresses: ["10.96.0.10:80"]                 # virtual IP:port(s) an application connects to
    opaque: false                                # true: no protocol detection for this service
    endpoints:
      - addr: "10.244.1.5:8080"
        weight: 1                                # optional
        identity: "spiffe://cluster.local/ns/emojivoto/sa/web"   # optional: endpoint is meshed
        labels: {namespace: emojivoto, deployment: web, pod: web-5f86}  # become dst_* metric labels
    routes:                                      # optional, first match wins
      - match: {path_prefix: "/api/", method: GET}
        timeout: 2s                              # whole request
        retry: {http: "5xx", grpc: "unavailable,deadline-exceeded", limit: 2, per_try_timeout: 500ms}
    retry_budget: {ratio: 0.2, min_per_second: 10, ttl: 10s}
)";

TablePtr parse_ok(const std::string& text) {
  auto table = parse_destinations(text);
  EXPECT_TRUE(table) << (table ? "" : table.error());
  return table ? *table : nullptr;
}

std::string parse_error(const std::string& text) {
  auto table = parse_destinations(text);
  EXPECT_FALSE(table) << "parsed: " << text;
  return table ? std::string() : table.error();
}

void expect_issue_service(const DestinationTable& table) {
  ASSERT_EQ(table.services().size(), 1U);
  const Service& svc = table.services()[0];
  EXPECT_EQ(svc.name, "web-svc.emojivoto.svc.cluster.local");
  ASSERT_EQ(svc.addresses.size(), 1U);
  EXPECT_EQ(svc.addresses[0], ip::tcp::endpoint(ip::make_address("10.96.0.10"), 80));
  EXPECT_FALSE(svc.opaque);
  ASSERT_EQ(svc.endpoints.size(), 1U);
  const Endpoint& ep = svc.endpoints[0];
  EXPECT_EQ(ep.addr, ip::tcp::endpoint(ip::make_address("10.244.1.5"), 8080));
  EXPECT_EQ(ep.weight, 1U);
  EXPECT_EQ(ep.identity, "spiffe://cluster.local/ns/emojivoto/sa/web");
  EXPECT_EQ(ep.server_name, "web.emojivoto.serviceaccount.identity.cluster.local");
  const std::vector<std::pair<std::string, std::string>> labels{
      {"namespace", "emojivoto"}, {"deployment", "web"}, {"pod", "web-5f86"}};
  EXPECT_EQ(ep.labels, labels);
  EXPECT_EQ(ep.metric_labels,
            R"(dst_namespace="emojivoto",dst_deployment="web",dst_pod="web-5f86")");
  ASSERT_EQ(svc.routes.size(), 1U);
  const Route& route = svc.routes[0];
  EXPECT_EQ(route.name, "");
  EXPECT_EQ(route.match.path_prefix, "/api/");
  EXPECT_EQ(route.match.method, "GET");
  EXPECT_EQ(route.timeout, 2s);
  EXPECT_EQ(route.idle_timeout, 0ms);
  ASSERT_TRUE(route.retry);
  EXPECT_EQ(route.retry->limit, 2U);
  EXPECT_EQ(route.retry->per_try_timeout, 500ms);
  EXPECT_EQ(route.retry->on.http,
            (std::vector<std::pair<std::uint16_t, std::uint16_t>>{{500, 599}}));
  EXPECT_EQ(route.retry->on.grpc_mask, (1U << 14) | (1U << 4));
  EXPECT_DOUBLE_EQ(svc.retry_budget.ratio, 0.2);
  EXPECT_EQ(svc.retry_budget.min_per_second, 10U);
  EXPECT_EQ(svc.retry_budget.ttl, 10s);
  EXPECT_EQ(svc.balancer.default_rtt, 30ms);
  EXPECT_EQ(svc.balancer.decay, 10s);
}

TEST(DiscoveryParse, ReadsTheIssueDocument) {
  auto table = parse_ok(kIssueDocument);
  ASSERT_TRUE(table);
  expect_issue_service(*table);
}

TEST(DiscoveryParse, ReadsTheSameDocumentAsJson) {
  // Pretty-printed with tabs, as some JSON writers do.
  auto table = parse_ok(R"({
	"services": [{
		"name": "web-svc.emojivoto.svc.cluster.local",
		"addresses": ["10.96.0.10:80"],
		"opaque": false,
		"endpoints": [{"addr": "10.244.1.5:8080", "weight": 1,
			"identity": "spiffe://cluster.local/ns/emojivoto/sa/web",
			"labels": {"namespace": "emojivoto", "deployment": "web", "pod": "web-5f86"}}],
		"routes": [{"match": {"path_prefix": "/api/", "method": "GET"}, "timeout": "2s",
			"retry": {"http": "5xx", "grpc": "unavailable,deadline-exceeded", "limit": 2,
				"per_try_timeout": "500ms"}}],
		"retry_budget": {"ratio": 0.2, "min_per_second": 10, "ttl": "10s"}
	}]
})");
  ASSERT_TRUE(table);
  expect_issue_service(*table);
}

TEST(DiscoveryParse, ReadsTheOptionalKeys) {
  auto table = parse_ok(R"(
services:
  - name: api.prod
    addresses: ["[fd00::10]:443", "10.96.0.11:443"]
    opaque: true
    balancer: {default_rtt: 5ms, decay: 2s}
    retry_budget: {ratio: 2.5}
    endpoints:
      - addr: "[fd00::1]:8443"
        weight: 1000000
      - addr: 10.0.0.2:8443
    routes:
      - name: reads
        match: {method: GET}
        idle_timeout: 30s
      - retry: {grpc: UNAVAILABLE, limit: 0}
)");
  ASSERT_TRUE(table);
  const Service& svc = table->services()[0];
  EXPECT_TRUE(svc.opaque);
  EXPECT_EQ(svc.addresses[0], ip::tcp::endpoint(ip::make_address("fd00::10"), 443));
  EXPECT_EQ(svc.balancer.default_rtt, 5ms);
  EXPECT_EQ(svc.balancer.decay, 2s);
  EXPECT_DOUBLE_EQ(svc.retry_budget.ratio, 2.5);
  EXPECT_EQ(svc.retry_budget.min_per_second, 10U);  // the default
  EXPECT_EQ(svc.retry_budget.ttl, 10s);
  EXPECT_EQ(svc.endpoints[0].weight, 1'000'000U);
  EXPECT_EQ(svc.endpoints[1].weight, 1U);
  EXPECT_EQ(svc.endpoints[1].identity, "");
  EXPECT_EQ(svc.endpoints[1].metric_labels, "");
  EXPECT_EQ(svc.routes[0].name, "reads");
  EXPECT_EQ(svc.routes[0].idle_timeout, 30s);
  EXPECT_FALSE(svc.routes[0].retry);
  ASSERT_TRUE(svc.routes[1].retry);
  EXPECT_EQ(svc.routes[1].retry->limit, 0U);
  EXPECT_EQ(svc.routes[1].retry->on.grpc_mask, 1U << 14);
  EXPECT_EQ(svc.routes[1].retry->per_try_timeout, 0ms);
}

TEST(DiscoveryParse, EmptyDocumentsAreEmptyTables) {
  for (const char* text :
       {"", "  \n# nothing yet\n", "services: []", "services:", "{}", R"({"services": []})"}) {
    auto table = parse_ok(text);
    ASSERT_TRUE(table) << text;
    EXPECT_TRUE(table->empty()) << text;
  }
}

TEST(DiscoveryParse, RendersLabelsEscapedWithSanitizedKeys) {
  auto table = parse_ok(R"(
services:
  - name: a
    endpoints:
      - addr: 10.0.0.1:80
        labels: {z: last, "app.kubernetes.io/name": web, quote: "say \"hi\"\\n", lines: "a
          b", count: 3}
)");
  ASSERT_TRUE(table);
  EXPECT_EQ(table->services()[0].endpoints[0].metric_labels,
            R"(dst_z="last",dst_app_kubernetes_io_name="web",dst_quote="say \"hi\"\\n",)"
            R"(dst_lines="a b",dst_count="3")");
}

TEST(DiscoveryParse, CanonicalisesV4MappedAddresses) {
  auto table = parse_ok("services: [{name: a, addresses: ['[::ffff:10.96.0.1]:80']}]");
  ASSERT_TRUE(table);
  EXPECT_EQ(table->services()[0].addresses[0],
            ip::tcp::endpoint(ip::make_address("10.96.0.1"), 80));
}

struct BadCase {
  const char* document;
  const char* message;
};

// One document per rule; each message is checked whole.
const BadCase kBadCases[] = {
    {"services: {name: a}", "services: expected a list"},
    {"- a", "document: expected a mapping"},
    {"services: []\nservice: []", R"(document: unknown key "service" (expected one of: services))"},
    {"services: [{addresses: ['10.0.0.1:80']}]", "services[0]: missing name"},
    {"services: [{name: 'web svc'}]",
     R"(services[0].name: expected a DNS name such as web-svc.emojivoto.svc.cluster.local, got "web svc")"},
    {"services: [{name: a..b}]",
     R"(services[0].name: expected a DNS name such as web-svc.emojivoto.svc.cluster.local, got "a..b")"},
    {"services: [{name: a, adresses: []}]",
     R"(services[0]: unknown key "adresses" (expected one of: name, addresses, opaque, endpoints, routes, retry_budget, balancer))"},
    {"services: [{name: a, name: b}]", R"(services[0]: duplicate key "name")"},
    {"services: [{name: a}, {name: b, endpoints: [{addr: x}]}]",
     R"(services[1].endpoints[0].addr: expected ip:port, got "x")"},
    {"services: [{name: a, addresses: ['10.0.0.1']}]",
     R"(services[0].addresses[0]: expected ip:port, got "10.0.0.1")"},
    {"services: [{name: a, addresses: ['fd00::1:80']}]",
     R"(services[0].addresses[0]: expected ip:port, got "fd00::1:80")"},
    {"services: [{name: a, addresses: ['web:80']}]",
     R"(services[0].addresses[0]: expected ip:port, got "web:80")"},
    {"services: [{name: a, addresses: ['0.0.0.0:80']}]",
     R"(services[0].addresses[0]: expected a concrete ip:port (not 0.0.0.0, [::] or port 0), got "0.0.0.0:80")"},
    {"services: [{name: a, endpoints: [{addr: '10.0.0.1:0'}]}]",
     R"(services[0].endpoints[0].addr: expected a concrete ip:port (not 0.0.0.0, [::] or port 0), got "10.0.0.1:0")"},
    {"services: [{name: a, addresses: '10.0.0.1:80'}]", "services[0].addresses: expected a list"},
    {"services: [{name: a, endpoints: [{weight: 2}]}]", "services[0].endpoints[0]: missing addr"},
    {"services: [{name: a, endpoints: [{addr: '10.0.0.1:80', weight: 0}]}]",
     R"(services[0].endpoints[0].weight: expected a whole number from 1 to 1000000, got "0")"},
    {"services: [{name: a, endpoints: [{addr: '10.0.0.1:80', weight: 1000001}]}]",
     R"(services[0].endpoints[0].weight: expected a whole number from 1 to 1000000, got "1000001")"},
    {"services: [{name: a, endpoints: [{addr: '10.0.0.1:80', weight: 1.5}]}]",
     R"(services[0].endpoints[0].weight: expected a whole number from 1 to 1000000, got "1.5")"},
    {"services: [{name: a, endpoints: [{addr: '10.0.0.1:80', identity: web}]}]",
     R"(services[0].endpoints[0].identity: expected a workload SPIFFE ID (spiffe://<trust-domain>/ns/<ns>/sa/<sa>), got "web": does not start with 'spiffe://')"},
    {"services: [{name: a, endpoints: [{addr: '10.0.0.1:80', identity: 'spiffe://td/x/y'}]}]",
     R"(services[0].endpoints[0].identity: expected a workload SPIFFE ID (spiffe://<trust-domain>/ns/<ns>/sa/<sa>), got "spiffe://td/x/y": path is not /ns/<namespace>/sa/<service-account>)"},
    {"services: [{name: a, endpoints: [{addr: '10.0.0.1:80', labels: [a]}]}]",
     "services[0].endpoints[0].labels: expected a mapping of label names to values"},
    {"services: [{name: a, endpoints: [{addr: '10.0.0.1:80', labels: {pod: {x: 1}}}]}]",
     "services[0].endpoints[0].labels.pod: expected a string"},
    {"services: [{name: a, endpoints: [{addr: '10.0.0.1:80', labels: {a-b: 1, a_b: 2}}]}]",
     R"(services[0].endpoints[0].labels: "a-b" and "a_b" both become the metric label dst_a_b)"},
    {"services: [{name: a, endpoints: [{addr: '10.0.0.1:80'}, {addr: '10.0.0.1:80'}]}]",
     "services[0].endpoints[1].addr: 10.0.0.1:80 is already endpoints[0]; use weight for a larger "
     "share"},
    {"services: [{name: a, endpoints: [{addr: '10.0.0.1:80', wieght: 2}]}]",
     R"(services[0].endpoints[0]: unknown key "wieght" (expected one of: addr, weight, identity, labels))"},
    {"services: [{name: a, opaque: maybe}]",
     R"(services[0].opaque: expected true or false, got "maybe")"},
    {"services: [{name: a, routes: [{timeout: 2}]}]",
     R"(services[0].routes[0].timeout: expected a duration such as 500ms or 10s, got "2")"},
    {"services: [{name: a, routes: [{idle_timeout: 1.5s}]}]",
     R"(services[0].routes[0].idle_timeout: expected a duration such as 500ms or 10s, got "1.5s")"},
    {"services: [{name: a, routes: [{match: {path: /api}}]}]",
     R"(services[0].routes[0].match: unknown key "path" (expected one of: path_prefix, method))"},
    {"services: [{name: a, routes: [{match: {path_prefix: api/}}]}]",
     R"(services[0].routes[0].match.path_prefix: expected a path starting with /, got "api/")"},
    {"services: [{name: a, routes: [{match: {method: get}}]}]",
     R"(services[0].routes[0].match.method: expected an HTTP method in upper case, such as GET, got "get")"},
    {"services: [{name: a, routes: [{retry: {http: 5xx, limt: 3}}]}]",
     R"(services[0].routes[0].retry: unknown key "limt" (expected one of: http, grpc, limit, per_try_timeout))"},
    {"services: [{name: a, routes: [{retry: {http: '5xx,600'}}]}]",
     R"(services[0].routes[0].retry.http: expected statuses, ranges and classes such as 5xx,429,500-504,gateway-error, got "5xx,600")"},
    {"services: [{name: a, routes: [{retry: {http: '504-500'}}]}]",
     R"(services[0].routes[0].retry.http: expected statuses, ranges and classes such as 5xx,429,500-504,gateway-error, got "504-500")"},
    {"services: [{name: a, routes: [{retry: {grpc: 'unavailable,not-found'}}]}]",
     R"(services[0].routes[0].retry.grpc: expected gRPC codes among cancelled, deadline-exceeded, internal, resource-exhausted and unavailable, got "unavailable,not-found")"},
    {"services: [{name: a, routes: [{retry: {limit: 2}}]}]",
     "services[0].routes[0].retry: needs http or grpc conditions: without them nothing is retried"},
    {"services: [{name: a, routes: [{retry: {http: 5xx, limit: 11}}]}]",
     R"(services[0].routes[0].retry.limit: expected a whole number from 0 to 10, got "11")"},
    {"services: [{name: a, routes: [{retry: {http: 5xx, per_try_timeout: soon}}]}]",
     R"(services[0].routes[0].retry.per_try_timeout: expected a duration such as 500ms or 10s, got "soon")"},
    {"services: [{name: a, retry_budget: {ratio: 1001}}]",
     R"(services[0].retry_budget.ratio: expected a number from 0 to 1000, got "1001")"},
    {"services: [{name: a, retry_budget: {ratio: -0.1}}]",
     R"(services[0].retry_budget.ratio: expected a number from 0 to 1000, got "-0.1")"},
    {"services: [{name: a, retry_budget: {ratio: .nan}}]",
     R"(services[0].retry_budget.ratio: expected a number from 0 to 1000, got ".nan")"},
    {"services: [{name: a, retry_budget: {min_per_second: -1}}]",
     R"(services[0].retry_budget.min_per_second: expected a whole number from 0 to 1000000, got "-1")"},
    {"services: [{name: a, retry_budget: {ttl: 500ms}}]",
     "services[0].retry_budget.ttl: must be from 1s to 60s"},
    {"services: [{name: a, retry_budget: {ttl: 2m}}]",
     "services[0].retry_budget.ttl: must be from 1s to 60s"},
    {"services: [{name: a, retry_budget: {ttl: 0}}]",
     "services[0].retry_budget.ttl: must be more than 0"},
    {"services: [{name: a, retry_budget: {ratio: 0.2, min_per_sec: 5}}]",
     R"(services[0].retry_budget: unknown key "min_per_sec" (expected one of: ratio, min_per_second, ttl))"},
    {"services: [{name: a, balancer: {default_rtt: 0}}]",
     "services[0].balancer.default_rtt: must be more than 0"},
    {"services: [{name: a, balancer: {decay: 0ms}}]",
     "services[0].balancer.decay: must be more than 0"},
    {"services: [{name: a, balancer: {rtt: 1s}}]",
     R"(services[0].balancer: unknown key "rtt" (expected one of: default_rtt, decay))"},
    {"services: [{name: web}, {name: api}, {name: WEB}]",
     R"(services[2].name: "WEB" is already the name of services[0])"},
    {"services: [{name: a, addresses: ['10.0.0.1:80']}, {name: b, addresses: ['10.0.0.2:80', "
     "'[::ffff:10.0.0.1]:80']}]",
     R"(services[1].addresses[1]: 10.0.0.1:80 is already an address of services[0] ("a"))"},
    {"services: [{name: a, addresses: ['[fd00::1]:80', '[fd00::1]:80']}]",
     "services[0].addresses[1]: [fd00::1]:80 is already an address of this service"},
    {"services: [{name: a}]\n---\nservices: []", "expected one YAML document, found several (---)"},
    {"services: [{name: a", "line 1, column 1: end of map flow not found"},
    {"services:\n  - name: a\n   endpoints: []", "line 3, column 4: end of sequence not found"},
};

TEST(DiscoveryParse, RejectsEachInvalidFieldWithItsPath) {
  for (const auto& c : kBadCases) {
    EXPECT_EQ(parse_error(c.document), c.message) << c.document;
  }
}

}  // namespace
}  // namespace weft::discovery
