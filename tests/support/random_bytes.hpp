// Reproducible random payloads for byte-exact transfer tests: a seed names the bytes, so a
// failure can be replayed.
#pragma once

#include <cstddef>
#include <random>
#include <string>

namespace weft::test {

inline std::string random_bytes(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

}  // namespace weft::test
