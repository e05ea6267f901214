// weft-init's entry point: parse flags, then either print the rules (--simulate) or read the
// current nat table, apply the rendered rules atomically with <mode>-restore --noflush, and print
// the resulting nat table, for IPv4 and (unless --ipv6=false) IPv6.
#include <sys/stat.h>

#include <iostream>
#include <vector>

#include "weft/build_info.hpp"
#include "weft/init/options.hpp"
#include "weft/init/rules.hpp"
#include "weft/init/runner.hpp"
#include "weft/init/state.hpp"

namespace weft::init {
namespace {

std::vector<Family> families(const InitConfig& config) {
  if (config.ipv6) return {Family::v4, Family::v6};
  return {Family::v4};
}

std::string rendered(const InitConfig& config, Family family, const ExistingState& state) {
  return config.cleanup ? render_cleanup(state) : render_rules(config, family, state);
}

void explain(const InitConfig& config, Family family, const ExistingState& state) {
  if (config.cleanup) return;
  if (!state.prerouting_jumps.empty()) {
    std::cerr << "weft-init: " << to_string(family) << ": PREROUTING already jumps to "
              << kInboundChain << "; not adding another jump\n";
  }
  if (!state.output_jumps.empty()) {
    std::cerr << "weft-init: " << to_string(family) << ": OUTPUT already jumps to "
              << kOutboundChain << "; not adding another jump\n";
  }
}

outcome<void> apply_family(const InitConfig& config, Family family, const Programs& programs) {
  auto before = save_nat(programs);
  if (!before) return before.error();
  const auto state = parse_saved_nat(*before);
  explain(config, family, state);
  const auto rules = rendered(config, family, state);
  if (rules.empty()) {
    std::cerr << "weft-init: " << to_string(family)
              << ": no weft-init rules present; nothing to remove\n";
  } else {
    std::cerr << "weft-init: " << to_string(family) << ": applying with " << programs.restore
              << " -w 5 --noflush\n";
    auto applied = restore(programs, rules);
    if (!applied) return applied.error();
  }
  auto after = save_nat(programs);
  if (!after) return after.error();
  std::cout << *after << std::flush;
  return {};
}

outcome<void> apply(const InitConfig& config) {
  std::vector<std::pair<Family, Programs>> plan;
  for (const auto family : families(config)) {
    auto programs = locate(config.mode, family);
    if (!programs) return programs.error();
    plan.emplace_back(family, *programs);
  }
  if (auto caps = check_capabilities(plan.front().second); !caps) return caps.error();
  if (!config.netns.empty()) {
    if (auto entered = enter_netns(config.netns); !entered) return entered.error();
  }
  for (const auto& [family, programs] : plan) {
    if (auto done = apply_family(config, family, programs); !done) return done.error();
  }
  return {};
}

/// --simulate runs no command and enters no namespace, so it needs no privileges and cannot
/// touch anything: it shows the rules for a namespace without weft-init's rules or, with
/// --cleanup, for one where weft-init installed them.
outcome<void> simulate(const InitConfig& config) {
  struct stat st {};
  if (!config.netns.empty() && ::stat(config.netns.c_str(), &st) != 0) {
    return Failure{kExitNoInput, "--netns " + config.netns + " does not exist"};
  }
  const ExistingState assumed = config.cleanup ? installed_state() : ExistingState{};
  for (const auto family : families(config)) {
    const auto program = binaries_for(config.mode, family).restore;
    if (!find_program(program)) {
      std::cerr << "weft-init: --simulate: note: " << program << " is not installed here\n";
    }
    const auto rules = rendered(config, family, assumed);
    std::cout << "# weft-init --simulate: " << to_string(family) << ": would apply with `"
              << program << " -w 5 --noflush`"
              << (config.cleanup ? " if weft-init's rules are installed" : "") << ":\n"
              << rules;
  }
  return {};
}

int run(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  auto invocation = parse_args(args);
  if (!invocation) {
    std::cerr << "weft-init: " << invocation.error().message << "\n";
    return invocation.error().exit_code;
  }
  if (invocation->action == Action::help) {
    std::cout << usage();
    return 0;
  }
  if (invocation->action == Action::version) {
    std::cout << "weft-init " << build_info::version << " (" << build_info::git_sha << ", "
              << build_info::profile << ", built " << build_info::date << ")\n";
    return 0;
  }
  const auto& config = invocation->config;
  auto done = config.simulate ? simulate(config) : apply(config);
  if (!done) {
    std::cerr << "weft-init: " << done.error().message << "\n";
    return done.error().exit_code;
  }
  return 0;
}

}  // namespace
}  // namespace weft::init

int main(int argc, char** argv) { return weft::init::run(argc, argv); }
