// weft-proxy: reads the configuration from the environment, starts the proxy, and drains it on
// SIGTERM or SIGINT. The only proxy code not linked into the tests.
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string_view>

#include "weft/app/proxy.hpp"
#include "weft/build_info.hpp"
#include "weft/core/config.hpp"
#include "weft/core/log.hpp"
#include "weft/metrics/labels.hpp"

namespace {

constexpr int kExitUsage = 64;  // EX_USAGE, as Linkerd's proxy for a bad environment value

void print_help() {
  std::cout << "weft-proxy " << weft::build_info::version
            << ": the weft service-mesh sidecar.\n\n"
               "Configured by environment variables (see docs/config.md):\n\n";
  for (const auto& var : weft::core::proxy_env_vars()) {
    std::cout << "  " << var.name << "\n      " << var.help
              << "\n      default: " << (var.default_value.empty() ? "(unset)" : var.default_value)
              << "\n";
  }
  std::cout << "\nSIGTERM or SIGINT: stop accepting, let open connections finish within\n"
               "WEFT_PROXY_SHUTDOWN_GRACE_PERIOD, then exit 0.\n";
}

// Many proxied connections need many descriptors: use all the hard limit allows.
void raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_help();
      return 0;
    }
    if (arg == "--version" || arg == "-V") {
      std::cout << "weft-proxy " << weft::build_info::version << " (" << weft::build_info::git_sha
                << ", " << weft::build_info::profile << ", " << weft::build_info::date << ")\n";
      return 0;
    }
    std::cerr << "weft-proxy: unknown argument '" << arg
              << "'; configuration comes from WEFT_PROXY_* variables (see --help)\n";
    return kExitUsage;
  }

  weft::core::ProxyConfig config;
  try {
    config = weft::core::load_proxy_config(weft::core::process_env());
  } catch (const weft::core::ConfigError& e) {
    std::cerr << "weft-proxy: " << e.what() << "\n";
    return kExitUsage;
  }
  weft::core::init_logging(config.log, config.log_format);
  raise_fd_limit();

  // Block the shutdown signals before any thread starts, so every thread inherits the mask and
  // main alone receives them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    weft::app::Proxy proxy(config);
    spdlog::info("Admin interface on {}",
                 weft::metrics::format_target_addr(proxy.admin_endpoint()));
    spdlog::info("Inbound interface on {}",
                 weft::metrics::format_target_addr(proxy.inbound_endpoint()));
    for (const auto& outbound : proxy.outbound_endpoints()) {
      spdlog::info("Outbound interface on {}", weft::metrics::format_target_addr(outbound));
    }
    spdlog::info("weft-proxy {} running with {} worker(s)", weft::build_info::version,
                 config.cores);
    proxy.start();

    int signal = 0;
    sigwait(&signals, &signal);
    spdlog::info("received {}, starting shutdown", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    proxy.drain();
    if (!proxy.wait_idle(config.shutdown_grace_period)) {
      spdlog::warn("Graceful shutdown did not complete in {}ms, terminating now",
                   config.shutdown_grace_period.count());
    }
    proxy.stop();
    spdlog::info("shutdown complete");
  } catch (const weft::core::ConfigError& e) {
    // A configuration file named by a variable (WEFT_PROXY_DESTINATIONS) is read here.
    spdlog::critical("weft-proxy: {}", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    spdlog::critical("weft-proxy failed to start: {}", e.what());
    return 1;
  }
  return 0;
}
