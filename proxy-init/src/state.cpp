#include "weft/init/state.hpp"

namespace weft::init {
namespace {

/// Splits a saved rule into words; a double-quoted word (a comment) is one word, backslash escapes
/// kept as iptables-save writes them, so "-j X" inside a comment is never taken for a target.
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    const std::size_t start = i;
    bool quoted = false;
    for (; i < line.size() && (quoted || line[i] != ' '); ++i) {
      if (line[i] == '\\' && i + 1 < line.size())
        ++i;
      else if (line[i] == '"')
        quoted = !quoted;
    }
    out.push_back(line.substr(start, i - start));
  }
  return out;
}

/// The chain a rule jumps or goes to, or empty.
std::string_view target_of(const std::vector<std::string_view>& w) {
  for (std::size_t i = 0; i + 1 < w.size(); ++i) {
    if (w[i] == "-j" || w[i] == "--jump" || w[i] == "-g" || w[i] == "--goto") return w[i + 1];
  }
  return {};
}

void note_chain(std::string_view line, ExistingState& state) {
  const auto name = line.substr(1, line.find(' ') - 1);
  if (name == kInboundChain) state.inbound_chain = true;
  if (name == kOutboundChain) state.outbound_chain = true;
}

void note_rule(std::string_view line, ExistingState& state) {
  const auto w = words(line);
  if (w.size() < 2 || w[0] != "-A") return;
  const auto target = target_of(w);
  const std::string spec(line.substr(3));
  if (w[1] == "PREROUTING" && target == kInboundChain) state.prerouting_jumps.push_back(spec);
  if (w[1] == "OUTPUT" && target == kOutboundChain) state.output_jumps.push_back(spec);
}

}  // namespace

ExistingState parse_saved_nat(std::string_view save_output) {
  ExistingState state;
  bool in_nat = false;
  while (!save_output.empty()) {
    const auto eol = save_output.find('\n');
    auto line = save_output.substr(0, eol);
    save_output.remove_prefix(eol == std::string_view::npos ? save_output.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("*"))
      in_nat = line == "*nat";
    else if (!in_nat)
      continue;
    else if (line == "COMMIT")
      in_nat = false;
    else if (line.starts_with(":"))
      note_chain(line, state);
    else if (line.starts_with("-A "))
      note_rule(line, state);
  }
  return state;
}

ExistingState installed_state() {
  ExistingState state;
  state.inbound_chain = true;
  state.outbound_chain = true;
  state.prerouting_jumps.emplace_back(kPreroutingJump);
  state.output_jumps.emplace_back(kOutputJump);
  return state;
}

}  // namespace weft::init
