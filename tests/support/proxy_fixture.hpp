// The whole proxy in-process on 127.0.0.1 with every port bound to 0, and helpers to read its
// /metrics the way Prometheus does (a real HTTP scrape with curl) and assert on the samples.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "weft/app/proxy.hpp"
#include "weft/core/config.hpp"
#include "weft/metrics/text_parser.hpp"

namespace weft::test {

/// Defaults for tests: loopback, port 0 everywhere, one worker, short timeouts.
core::ProxyConfig loopback_config();

/// Starts a proxy whose inbound and outbound original destinations come from the given resolvers.
std::unique_ptr<app::Proxy> start_proxy(core::ProxyConfig config,
                                        std::unique_ptr<net::OrigDst> inbound,
                                        std::unique_ptr<net::OrigDst> outbound);

/// Both listeners forward to `target`.
std::unique_ptr<app::Proxy> start_proxy_to(const boost::asio::ip::tcp::endpoint& target,
                                           core::ProxyConfig config = loopback_config());

/// GET http://<admin>/<path> with curl; returns the body ("" and a test failure on error).
std::string http_get(const boost::asio::ip::tcp::endpoint& admin, const std::string& path,
                     int* status = nullptr);

/// Sum of every sample named `name` whose labels include all of `labels`.
double metric_value(const std::string& exposition, const std::string& name,
                    const std::map<std::string, std::string>& labels = {});

/// Scrapes until metric_value(...) == expected or the timeout passes (counters settle as
/// connections close on the proxy's threads).
testing::AssertionResult wait_for_metric(
    const app::Proxy& proxy, const std::string& name,
    const std::map<std::string, std::string>& labels, double expected,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Waits until the proxy has no open connection (counts drop when a connection's coroutine ends,
/// which may be just after its client saw the close).
testing::AssertionResult wait_for_no_connections(
    const app::Proxy& proxy, std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// "ip:port" as the target_addr label writes it.
std::string addr_label(const boost::asio::ip::tcp::endpoint& e);

}  // namespace weft::test
