#include "support/mesh_fixture.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <thread>

#include "support/h1_client.hpp"
#include "weft/discovery/file_source.hpp"
#include "weft/net/orig_dst.hpp"

namespace weft::test {

using namespace std::chrono_literals;

std::string mesh_service_yaml(const boost::asio::ip::tcp::endpoint& endpoint,
                              const std::string& identity, bool opaque) {
  std::string doc = fmt::format(
      "services:\n"
      "  - name: voting.emojivoto.svc.cluster.local\n"
      "    addresses: [\"{}\"]\n"
      "    opaque: {}\n"
      "    endpoints:\n"
      "      - addr: \"{}\"\n"
      "        labels: {{namespace: emojivoto, pod: voting-0}}\n",
      addr_label(kMeshVip), opaque ? "true" : "false", addr_label(endpoint));
  if (!identity.empty()) doc += fmt::format("        identity: \"{}\"\n", identity);
  return doc;
}

testing::AssertionResult publish_destinations(app::Proxy& proxy, const std::string& yaml) {
  auto table = discovery::parse_destinations(yaml);
  if (!table) return testing::AssertionFailure() << table.error() << "\n" << yaml;
  proxy.destinations().publish(*table);
  return testing::AssertionSuccess();
}

testing::AssertionResult wait_for_ready(const app::Proxy& proxy, int status,
                                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int last = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    (void)http_get(proxy.admin_endpoint(), "/ready", &last);
    if (last == status) return testing::AssertionSuccess();
    std::this_thread::sleep_for(20ms);
  }
  return testing::AssertionFailure() << "/ready answers " << last << ", expected " << status;
}

testing::AssertionResult wait_for_metric_at_least(const app::Proxy& proxy, const std::string& name,
                                                  const std::map<std::string, std::string>& labels,
                                                  double at_least,
                                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  double last = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    last = metric_value(proxy.registry().render(), name, labels);
    if (last >= at_least) return testing::AssertionSuccess();
    std::this_thread::sleep_for(10ms);
  }
  return testing::AssertionFailure()
         << name << " is " << last << ", expected at least " << at_least << "\n"
         << dump_metric(proxy, name);
}

std::string dump_metric(const app::Proxy& proxy, const std::string& name) {
  std::string out;
  auto samples = metrics::parse_text(proxy.registry().render());
  if (!samples) return "(unparseable exposition)";
  for (const auto& s : *samples) {
    if (s.name != name) continue;
    out += s.name + "{";
    for (const auto& [k, v] : s.labels) out += fmt::format("{}=\"{}\",", k, v);
    out += fmt::format("}} {}\n", s.value);
  }
  return out.empty() ? "(no " + name + " sample)\n" : out;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::size_t count_of(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

bool HttpReply::has_header(std::string_view name) const {
  return lowercase(head).find(fmt::format("\n{}:", lowercase(std::string(name)))) !=
         std::string::npos;
}

HttpReply curl_reply(const std::vector<std::string>& args, const std::string& url) {
  std::vector<std::string> argv = {"-i"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  const auto r = curl(argv);
  HttpReply reply;
  if (r.exit_code != 0) {
    reply.error = fmt::format("curl exit {}: {}", r.exit_code, r.err);
    return reply;
  }
  // With -i, interim (1xx) heads come first; the last head is the response's.
  std::size_t at = 0;
  while (true) {
    const auto end = r.out.find("\r\n\r\n", at);
    if (end == std::string::npos) {
      reply.error = "no response head in: " + r.out;
      return reply;
    }
    reply.head = r.out.substr(at, end - at);
    at = end + 4;
    const auto space = reply.head.find(' ');
    reply.status = space == std::string::npos ? 0 : std::atoi(reply.head.c_str() + space + 1);
    if (reply.status >= 200 || reply.status == 0) break;
  }
  reply.body = r.out.substr(at);
  return reply;
}

LoadRun run_h2load(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"h2load"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = run_command(argv, {}, 120s);
  LoadRun run;
  run.output = r.out + r.err;
  std::smatch m;
  if (std::regex_search(run.output, m,
                        std::regex(R"(requests: (\d+) total, \d+ started, \d+ done, (\d+) )"
                                   R"(succeeded, (\d+) failed, (\d+) errored)"))) {
    run.total = std::stoi(m[1]);
    run.succeeded = std::stoi(m[2]);
    run.failed = std::stoi(m[3]);
    run.errored = std::stoi(m[4]);
  }
  if (std::regex_search(run.output, m, std::regex(R"(status codes: (\d+) 2xx)"))) {
    run.ok_2xx = std::stoi(m[1]);
  }
  return run;
}

MeshTest::MeshTest()
    : web_dir_(pki_.issue("web", kNs, "web")), voting_dir_(pki_.issue("voting", kNs, "voting")) {}

std::unique_ptr<app::Proxy> MeshTest::start_server_pod(const boost::asio::ip::tcp::endpoint& app,
                                                       core::ProxyConfig config,
                                                       std::string identity_dir) {
  config.identity_dir = identity_dir.empty() ? voting_dir_ : std::move(identity_dir);
  auto proxy = start_proxy_to(app, std::move(config));
  const auto ready = wait_for_ready(*proxy);
  if (!ready) {
    ADD_FAILURE() << "server pod: " << ready.message();
    return nullptr;
  }
  return proxy;
}

std::unique_ptr<app::Proxy> MeshTest::start_client_pod(
    const boost::asio::ip::tcp::endpoint& endpoint, const std::string& identity, bool opaque,
    core::ProxyConfig config) {
  if (config.identity_dir.empty()) config.identity_dir = web_dir_;
  auto proxy = start_proxy_to(kMeshVip, std::move(config));
  const auto published =
      publish_destinations(*proxy, mesh_service_yaml(endpoint, identity, opaque));
  const auto ready = wait_for_ready(*proxy);
  if (!published || !ready) {
    ADD_FAILURE() << "client pod: " << published.message() << " " << ready.message();
    return nullptr;
  }
  return proxy;
}

}  // namespace weft::test
