// docs/config.md is the operator's reference: every variable the proxy reads must be in it.
#include <gtest/gtest.h>
#include <spdlog/fmt/fmt.h>

#include <fstream>
#include <sstream>

#include "weft/core/config.hpp"

namespace weft::core {
namespace {

TEST(ConfigDocs, EveryVariableIsInDocsConfigMd) {
  std::ifstream in(WEFT_SOURCE_DIR "/docs/config.md");
  ASSERT_TRUE(in) << "docs/config.md missing";
  std::stringstream text;
  text << in.rdbuf();
  for (const auto& var : proxy_env_vars()) {
    EXPECT_NE(text.str().find(fmt::format("`{}`", var.name)), std::string::npos) << var.name;
    if (!var.default_value.empty()) {
      EXPECT_NE(text.str().find(fmt::format("`{}`", var.default_value)), std::string::npos)
          << var.name << " default " << var.default_value;
    }
  }
}

}  // namespace
}  // namespace weft::core
