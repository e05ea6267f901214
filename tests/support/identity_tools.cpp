#include "support/identity_tools.hpp"

#include <fmt/format.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/process.hpp"

namespace weft::test {

namespace {

void weft_identity(std::vector<std::string> args) {
  args.insert(args.begin(), {WEFT_CLI_BIN, "identity"});
  const auto r = run_command(args);
  if (r.exit_code != 0) {
    throw std::runtime_error(fmt::format("weft identity {} failed ({}): {}", args[2], r.exit_code,
                                         r.err));
  }
}

}  // namespace

Pki::Pki(std::string trust_domain) : trust_domain_(std::move(trust_domain)) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "weft-pki-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  root_ = tmpl;
  weft_identity({"trust-anchor", "--dir", root_ + "/anchor", "--trust-domain", trust_domain_});
  weft_identity({"issuer", "--ca-dir", root_ + "/anchor", "--dir", root_ + "/issuer"});
}

Pki::~Pki() {
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

std::string Pki::id(const std::string& ns, const std::string& sa) const {
  return fmt::format("spiffe://{}/ns/{}/sa/{}", trust_domain_, ns, sa);
}

std::string Pki::server_name(const std::string& ns, const std::string& sa) const {
  return fmt::format("{}.{}.serviceaccount.identity.{}", sa, ns, trust_domain_);
}

std::string Pki::issue(const std::string& name, const std::string& ns, const std::string& sa,
                       const std::vector<std::string>& flags) const {
  const std::string dir = root_ + "/" + name;
  std::vector<std::string> args = {"issue", "--issuer-dir", root_ + "/issuer", "--id", id(ns, sa),
                                   "--dir", dir};
  args.insert(args.end(), flags.begin(), flags.end());
  weft_identity(args);
  return dir;
}

std::string Pki::anchor_pem() const {
  std::ifstream in(root_ + "/anchor/ca.crt");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace weft::test
