// parse_destinations: the destination file's document, checked field by field. Every error
// names its place (services[1].endpoints[0].addr) and what was expected, and an unknown key is
// an error, so that a typo cannot silently turn a retry or a timeout off.
#include <spdlog/fmt/fmt.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <initializer_list>
#include <map>

#include "weft/discovery/file_source.hpp"
#include "weft/discovery/retry_conditions.hpp"
#include "weft/metrics/text_writer.hpp"
#include "weft/tls/spiffe.hpp"

namespace weft::discovery {
namespace {

using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;

// The first error found. Thrown inside this file only and caught in parse_destinations (which
// must catch yaml-cpp's exceptions anyway), so callers get a result, never an exception.
struct Invalid {
  std::string message;
};

[[noreturn]] void fail(const std::string& path, std::string_view what) {
  throw Invalid{fmt::format("{}: {}", path.empty() ? "document" : path, what)};
}

std::string field(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::string item(const std::string& path, std::size_t i) { return fmt::format("{}[{}]", path, i); }

// A value quoted for a message, control characters escaped and long values cut.
std::string quoted(std::string_view s) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "\"";
  for (char c : s.substr(0, kMaxShown)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  out += s.size() > kMaxShown ? "\"..." : "\"";
  return out;
}

// Checks that `node` is a mapping whose keys are all in `allowed`, each once.
void check_keys(const YAML::Node& node, const std::string& path,
                std::initializer_list<std::string_view> allowed) {
  if (!node.IsMap()) fail(path, "expected a mapping");
  std::vector<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) fail(path, "expected text keys");
    const auto& key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      fail(path, fmt::format("unknown key {} (expected one of: {})", quoted(key),
                             fmt::join(allowed, ", ")));
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      fail(path, fmt::format("duplicate key {}", quoted(key)));
    }
    seen.push_back(key);
  }
}

const std::string& text(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) fail(path, "expected a string");
  return node.Scalar();
}

// A sequence (absent or null: empty).
std::vector<YAML::Node> list(const YAML::Node& node, const std::string& path) {
  if (!node.IsDefined() || node.IsNull()) return {};
  if (!node.IsSequence()) fail(path, "expected a list");
  return {node.begin(), node.end()};
}

// The optional key's node, or nullopt when it is absent or null.
std::optional<YAML::Node> present(const YAML::Node& map, std::string_view key) {
  const YAML::Node n = map[std::string(key)];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  return n;
}

core::duration duration_at(const YAML::Node& node, const std::string& path, bool positive) {
  const auto& s = text(node, path);
  const auto d = core::parse_duration(s);
  if (!d) fail(path, fmt::format("expected a duration such as 500ms or 10s, got {}", quoted(s)));
  if (positive && d->count() == 0) fail(path, "must be more than 0");
  return *d;
}

std::uint64_t number_at(const YAML::Node& node, const std::string& path, std::uint64_t min,
                        std::uint64_t max) {
  const auto& s = text(node, path);
  const auto n = core::parse_uint(s, min, max);
  if (!n)
    fail(path, fmt::format("expected a whole number from {} to {}, got {}", min, max, quoted(s)));
  return *n;
}

double ratio_at(const YAML::Node& node, const std::string& path) {
  const auto& s = text(node, path);
  double d = -1;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  // Linkerd (tower's budget) allows 0 to 1000: a ratio above 1 lets retries outnumber requests.
  if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size() || !(d >= 0 && d <= 1000)) {
    fail(path, fmt::format("expected a number from 0 to 1000, got {}", quoted(s)));
  }
  return d;
}

bool flag_at(const YAML::Node& node, const std::string& path) {
  const auto& s = text(node, path);
  const auto b = core::parse_bool(s);
  if (!b) fail(path, fmt::format("expected true or false, got {}", quoted(s)));
  return *b;
}

tcp::endpoint addr_at(const YAML::Node& node, const std::string& path) {
  const auto& s = text(node, path);
  const auto addr = core::parse_socket_addr(s);
  if (!addr) fail(path, fmt::format("expected ip:port, got {}", quoted(s)));
  if (addr->address().is_unspecified() || addr->port() == 0) {
    fail(path, fmt::format("expected a concrete ip:port (not 0.0.0.0, [::] or port 0), got {}",
                           quoted(s)));
  }
  return canonical_addr(*addr);
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// A DNS name: labels of [A-Za-z0-9_-] joined by single dots, at most 253 characters.
std::string name_at(const YAML::Node& node, const std::string& path) {
  const auto& s = text(node, path);
  bool ok = !s.empty() && s.size() <= 253 && s.front() != '.' && s.back() != '.' &&
            s.find("..") == std::string::npos;
  ok = ok && std::all_of(s.begin(), s.end(), [](char c) { return c == '.' || is_name_char(c); });
  if (!ok) {
    fail(path,
         fmt::format("expected a DNS name such as web-svc.emojivoto.svc.cluster.local, got {}",
                     quoted(s)));
  }
  return s;
}

std::string show(const tcp::endpoint& e) {
  const auto a = e.address();
  return a.is_v6() ? fmt::format("[{}]:{}", a.to_string(), e.port())
                   : fmt::format("{}:{}", a.to_string(), e.port());
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Keys become Prometheus label names: dst_ + the key with every other character as '_'.
std::string label_name(std::string_view key) {
  std::string out = "dst_";
  for (char c : key) out += is_name_char(c) && c != '-' ? c : '_';
  return out;
}

void parse_labels(const YAML::Node& node, const std::string& path, Endpoint& ep) {
  if (!node.IsMap()) fail(path, "expected a mapping of label names to values");
  std::vector<std::string> names;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar() || kv.first.Scalar().empty()) fail(path, "expected text keys");
    const auto& key = kv.first.Scalar();
    const auto& value = text(kv.second, field(path, key));
    auto name = label_name(key);
    if (const auto it = std::find(names.begin(), names.end(), name); it != names.end()) {
      fail(path, fmt::format("{} and {} both become the metric label {}",
                             quoted(ep.labels[static_cast<std::size_t>(it - names.begin())].first),
                             quoted(key), name));
    }
    if (!ep.metric_labels.empty()) ep.metric_labels += ',';
    ep.metric_labels += fmt::format("{}=\"", name);
    metrics::append_escaped_label_value(ep.metric_labels, value);
    ep.metric_labels += '"';
    ep.labels.emplace_back(key, value);
    names.push_back(std::move(name));
  }
}

Endpoint parse_endpoint(const YAML::Node& node, const std::string& path) {
  check_keys(node, path, {"addr", "weight", "identity", "labels"});
  Endpoint ep;
  const YAML::Node addr = node["addr"];
  if (!addr.IsDefined()) fail(path, "missing addr");
  ep.addr = addr_at(addr, field(path, "addr"));
  if (auto n = present(node, "weight")) {
    ep.weight = static_cast<std::uint32_t>(number_at(*n, field(path, "weight"), 1, 1'000'000));
  }
  if (auto n = present(node, "identity")) {
    ep.identity = text(*n, field(path, "identity"));
    if (!ep.identity.empty()) {
      auto id = tls::parse_workload_id(ep.identity);
      if (!id) {
        fail(field(path, "identity"),
             fmt::format("expected a workload SPIFFE ID (spiffe://<trust-domain>/ns/<ns>/sa/<sa>), "
                         "got {}: {}",
                         quoted(ep.identity), tls::workload_id_problem(ep.identity)));
      }
      ep.server_name = id->server_name();
    }
  }
  if (auto n = present(node, "labels")) parse_labels(*n, field(path, "labels"), ep);
  return ep;
}

RouteMatch parse_match(const YAML::Node& node, const std::string& path) {
  check_keys(node, path, {"path_prefix", "method"});
  RouteMatch match;
  if (auto n = present(node, "path_prefix")) {
    match.path_prefix = text(*n, field(path, "path_prefix"));
    if (!match.path_prefix.empty() && match.path_prefix.front() != '/') {
      fail(field(path, "path_prefix"),
           fmt::format("expected a path starting with /, got {}", quoted(match.path_prefix)));
    }
  }
  if (auto n = present(node, "method")) {
    match.method = text(*n, field(path, "method"));
    // Methods are case-sensitive; a lower-case "get" would never match, so it is refused.
    const bool ok =
        !match.method.empty() && std::all_of(match.method.begin(), match.method.end(), [](char c) {
          return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
        });
    if (!ok) {
      fail(field(path, "method"),
           fmt::format("expected an HTTP method in upper case, such as GET, got {}",
                       quoted(match.method)));
    }
  }
  return match;
}

RetryPolicy parse_retry(const YAML::Node& node, const std::string& path) {
  check_keys(node, path, {"http", "grpc", "limit", "per_try_timeout"});
  RetryPolicy retry;
  using Parser = bool (*)(std::string_view, RetryConditions&);
  const auto conditions = [&](std::string_view key, Parser parse, std::string_view expected) {
    if (auto n = present(node, key)) {
      const auto& s = text(*n, field(path, key));
      if (!parse(s, retry.on))
        fail(field(path, key), fmt::format("expected {}, got {}", expected, quoted(s)));
    }
  };
  conditions("http", parse_http_conditions,
             "statuses, ranges and classes such as 5xx,429,500-504,gateway-error");
  conditions("grpc", parse_grpc_conditions,
             "gRPC codes among cancelled, deadline-exceeded, internal, resource-exhausted and "
             "unavailable");
  if (retry.on.empty())
    fail(path, "needs http or grpc conditions: without them nothing is retried");
  if (auto n = present(node, "limit")) {
    retry.limit = static_cast<std::uint32_t>(number_at(*n, field(path, "limit"), 0, 10));
  }
  if (auto n = present(node, "per_try_timeout")) {
    retry.per_try_timeout = duration_at(*n, field(path, "per_try_timeout"), false);
  }
  return retry;
}

Route parse_route(const YAML::Node& node, const std::string& path) {
  check_keys(node, path, {"name", "match", "timeout", "idle_timeout", "retry"});
  Route route;
  if (auto n = present(node, "name")) route.name = text(*n, field(path, "name"));
  if (auto n = present(node, "match")) route.match = parse_match(*n, field(path, "match"));
  if (auto n = present(node, "timeout"))
    route.timeout = duration_at(*n, field(path, "timeout"), false);
  if (auto n = present(node, "idle_timeout")) {
    route.idle_timeout = duration_at(*n, field(path, "idle_timeout"), false);
  }
  if (auto n = present(node, "retry")) route.retry = parse_retry(*n, field(path, "retry"));
  return route;
}

RetryBudgetConfig parse_budget(const YAML::Node& node, const std::string& path) {
  check_keys(node, path, {"ratio", "min_per_second", "ttl"});
  RetryBudgetConfig budget;
  if (auto n = present(node, "ratio")) budget.ratio = ratio_at(*n, field(path, "ratio"));
  if (auto n = present(node, "min_per_second")) {
    budget.min_per_second =
        static_cast<std::uint32_t>(number_at(*n, field(path, "min_per_second"), 0, 1'000'000));
  }
  if (auto n = present(node, "ttl")) {
    budget.ttl = duration_at(*n, field(path, "ttl"), true);
    // tower's budget (Linkerd's) accepts 1 s to 60 s.
    if (budget.ttl < 1s || budget.ttl > 60s) fail(field(path, "ttl"), "must be from 1s to 60s");
  }
  return budget;
}

BalancerParams parse_balancer(const YAML::Node& node, const std::string& path) {
  check_keys(node, path, {"default_rtt", "decay"});
  BalancerParams params;
  if (auto n = present(node, "default_rtt")) {
    params.default_rtt = duration_at(*n, field(path, "default_rtt"), true);
  }
  if (auto n = present(node, "decay")) params.decay = duration_at(*n, field(path, "decay"), true);
  return params;
}

void parse_endpoints(const YAML::Node& node, const std::string& path, Service& service) {
  const auto items = list(node, path);
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto ep = parse_endpoint(items[i], item(path, i));
    for (std::size_t j = 0; j < service.endpoints.size(); ++j) {
      if (service.endpoints[j].addr == ep.addr) {
        fail(field(item(path, i), "addr"),
             fmt::format("{} is already endpoints[{}]; use weight for a larger share",
                         show(ep.addr), j));
      }
    }
    service.endpoints.push_back(std::move(ep));
  }
}

Service parse_service(const YAML::Node& node, const std::string& path) {
  check_keys(node, path,
             {"name", "addresses", "opaque", "endpoints", "routes", "retry_budget", "balancer"});
  Service service;
  const YAML::Node name = node["name"];
  if (!name.IsDefined()) fail(path, "missing name");
  service.name = name_at(name, field(path, "name"));
  const auto addresses = list(node["addresses"], field(path, "addresses"));
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    service.addresses.push_back(addr_at(addresses[i], item(field(path, "addresses"), i)));
  }
  if (auto n = present(node, "opaque")) service.opaque = flag_at(*n, field(path, "opaque"));
  parse_endpoints(node["endpoints"], field(path, "endpoints"), service);
  const auto routes = list(node["routes"], field(path, "routes"));
  for (std::size_t i = 0; i < routes.size(); ++i) {
    service.routes.push_back(parse_route(routes[i], item(field(path, "routes"), i)));
  }
  if (auto n = present(node, "retry_budget")) {
    service.retry_budget = parse_budget(*n, field(path, "retry_budget"));
  }
  if (auto n = present(node, "balancer"))
    service.balancer = parse_balancer(*n, field(path, "balancer"));
  return service;
}

// What no single service can see: names and virtual addresses that two services claim.
void check_unique(const std::vector<Service>& services) {
  std::map<std::string, std::size_t> names;
  std::map<tcp::endpoint, std::size_t> addresses;
  for (std::size_t i = 0; i < services.size(); ++i) {
    const auto path = item("services", i);
    const auto [n, fresh_name] = names.emplace(lower(services[i].name), i);
    if (!fresh_name) {
      fail(field(path, "name"), fmt::format("{} is already the name of services[{}]",
                                            quoted(services[i].name), n->second));
    }
    for (std::size_t j = 0; j < services[i].addresses.size(); ++j) {
      const auto& addr = services[i].addresses[j];
      const auto [a, fresh_addr] = addresses.emplace(addr, i);
      if (fresh_addr) continue;
      const auto owner = a->second == i ? std::string("this service")
                                        : fmt::format("services[{}] ({})", a->second,
                                                      quoted(services[a->second].name));
      fail(item(field(path, "addresses"), j),
           fmt::format("{} is already an address of {}", show(addr), owner));
    }
  }
}

TablePtr parse_document(const YAML::Node& doc) {
  if (!doc.IsDefined() || doc.IsNull()) return std::make_shared<const DestinationTable>();
  check_keys(doc, "", {"services"});
  const auto items = list(doc["services"], "services");
  std::vector<Service> services;
  services.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    services.push_back(parse_service(items[i], item("services", i)));
  }
  check_unique(services);
  return std::make_shared<const DestinationTable>(std::move(services));
}

}  // namespace

boost::system::result<TablePtr, std::string> parse_destinations(std::string_view text) {
  try {
    const auto docs = YAML::LoadAll(std::string(text));
    if (docs.size() > 1) return std::string("expected one YAML document, found several (---)");
    return parse_document(docs.empty() ? YAML::Node() : docs.front());
  } catch (const Invalid& e) {
    return e.message;
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return std::string(e.msg);
    return fmt::format("line {}, column {}: {}", e.mark.line + 1, e.mark.column + 1, e.msg);
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

}  // namespace weft::discovery
