// weft: the operator's command-line tool. It reads proxies' admin servers (`weft stat`,
// `weft stat tcp`) and makes mTLS certificates (`weft identity`); inject, top, tap and check come
// later.
// Exit codes: 0 success, 1 the operation failed, 64 bad usage.
#include <exception>
#include <iostream>
#include <span>
#include <string_view>
#include <vector>

#include "identity.hpp"
#include "stat_golden.hpp"
#include "stat_tcp.hpp"
#include "weft/build_info.hpp"

namespace {

constexpr int kExitUsage = 64;

void print_usage(std::ostream& out) {
  out << "weft: the operator's CLI for the weft service mesh\n"
         "\n"
         "Usage: weft COMMAND [ARGS...]\n"
         "\n"
         "Commands:\n"
         "  stat [NAME=]ADMIN_ADDR... [--interval 5s]   golden metrics per workload, as linkerd viz "
         "stat\n"
         "  stat tcp ADMIN_ADDR[,...] [--interval 2s]   TCP connections and bytes each proxy has "
         "seen\n"
         "  identity trust-anchor|issuer|issue|show     make a trust anchor, an issuer and "
         "workload\n"
         "                                              certificates (SPIFFE IDs); show one\n"
         "  version                                     print the version and build of this "
         "binary\n"
         "  help                                        print this help\n"
         "\n"
         "Run 'weft stat --help' or 'weft identity --help' for the details of a command.\n";
}

void print_version(std::ostream& out) {
  namespace bi = weft::build_info;
  out << "weft " << bi::version << " (git " << bi::git_sha << ", " << bi::profile << " build, "
      << bi::date << ")\n";
}

int run_stat(std::span<const std::string_view> args) {
  if (args.empty()) {
    std::cerr << "weft stat: which proxies? (NAME=ADMIN_ADDR ...)\n";
    weft::cli::print_golden_usage(std::cerr);
    return kExitUsage;
  }
  if (args[0] == "tcp") return weft::cli::run_stat_tcp(args.subspan(1), std::cout, std::cerr);
  return weft::cli::run_stat_golden(args, std::cout, std::cerr);
}

int run(std::span<const std::string_view> args) {
  if (args.empty()) {
    print_usage(std::cerr);
    return kExitUsage;
  }
  const auto command = args[0];
  if (command == "-h" || command == "--help" || command == "help") {
    print_usage(std::cout);
    return 0;
  }
  if (command == "version" || command == "--version") {
    print_version(std::cout);
    return 0;
  }
  if (command == "stat") return run_stat(args.subspan(1));
  if (command == "identity") return weft::cli::run_identity(args.subspan(1), std::cout, std::cerr);
  std::cerr << "weft: unknown command '" << command << "'\n\n";
  print_usage(std::cerr);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  try {
    return run(args);
  } catch (const std::exception& e) {
    std::cerr << "weft: " << e.what() << "\n";
    return 1;
  }
}
