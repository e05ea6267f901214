// `weft identity` arguments: subcommands, required flags, validity periods (--lifetime,
// --valid-from) and RFC 3339 times, with the usage errors that name the bad flag.
#include "cli/identity_args.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace weft::cli {
namespace {

using namespace std::chrono_literals;

// 2025-03-01T12:00:00Z
const Seconds kNow = std::chrono::sys_days{std::chrono::year{2025} / 3 / 1} + 12h;

std::optional<IdentityOptions> parse(std::vector<std::string_view> args,
                                     std::string* err_text = nullptr) {
  std::ostringstream err;
  auto options = parse_identity_options(args, kNow, err);
  if (err_text) *err_text = err.str();
  return options;
}

/// The error line of a bad command line (and that it is one).
std::string error_of(std::vector<std::string_view> args) {
  std::string err;
  EXPECT_FALSE(parse(std::move(args), &err));
  return err;
}

TEST(IdentityArgs, TrustAnchorDefaults) {
  const auto o = parse({"trust-anchor", "--dir", "/tmp/ca"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->command, IdentityCommand::trust_anchor);
  EXPECT_EQ(o->dir, "/tmp/ca");
  EXPECT_EQ(o->trust_domain, "cluster.local");
  EXPECT_FALSE(o->force);
  // One minute back for clock skew, a year ahead.
  EXPECT_EQ(o->validity.not_before, kNow - 1min);
  EXPECT_EQ(o->validity.not_after, kNow + 8760h);
}

TEST(IdentityArgs, TrustAnchorFlags) {
  const auto o = parse(
      {"trust-anchor", "--dir=/d", "--trust-domain=example.org", "--lifetime", "30d", "--force"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->trust_domain, "example.org");
  EXPECT_TRUE(o->force);
  EXPECT_EQ(o->validity.not_after, kNow + 30 * 24h);
}

TEST(IdentityArgs, IssuerDefaults) {
  const auto o = parse({"issuer", "--ca-dir", "/ca", "--dir", "/issuer"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->command, IdentityCommand::issuer);
  EXPECT_EQ(o->ca_dir, "/ca");
  EXPECT_EQ(o->dir, "/issuer");
  EXPECT_EQ(o->validity.not_after, kNow + 4380h);
}

TEST(IdentityArgs, Issue) {
  const auto o = parse({"issue", "--issuer-dir", "/i", "--id",
                        "spiffe://cluster.local/ns/emojivoto/sa/web", "--dir", "/out"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->command, IdentityCommand::issue);
  EXPECT_EQ(o->issuer_dir, "/i");
  ASSERT_TRUE(o->id);
  EXPECT_EQ(o->id->ns, "emojivoto");
  EXPECT_EQ(o->id->sa, "web");
  EXPECT_EQ(o->validity.not_before, kNow - 1min);
  EXPECT_EQ(o->validity.not_after, kNow + 24h);
}

TEST(IdentityArgs, ValidFromInThePastGivesAnExpiredCertificate) {
  const auto o = parse({"issue", "--issuer-dir", "/i", "--id", "spiffe://td/ns/a/sa/b", "--dir",
                        "/o", "--valid-from", "-48h", "--lifetime", "24h"});
  ASSERT_TRUE(o);
  // No skew allowance when the start is given: the period is exactly what was asked for.
  EXPECT_EQ(o->validity.not_before, kNow - 48h);
  EXPECT_EQ(o->validity.not_after, kNow - 24h);
}

TEST(IdentityArgs, ValidFromInTheFutureGivesANotYetValidCertificate) {
  const auto o = parse({"issue", "--issuer-dir", "/i", "--id", "spiffe://td/ns/a/sa/b", "--dir",
                        "/o", "--valid-from=+1h"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->validity.not_before, kNow + 1h);
  EXPECT_EQ(o->validity.not_after, kNow + 25h);
}

TEST(IdentityArgs, ValidFromRfc3339) {
  const auto o = parse(
      {"trust-anchor", "--dir", "/d", "--valid-from", "2020-01-01T00:00:00Z", "--lifetime", "1h"});
  ASSERT_TRUE(o);
  EXPECT_EQ(format_rfc3339(o->validity.not_before), "2020-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(o->validity.not_after), "2020-01-01T01:00:00Z");
}

TEST(IdentityArgs, Show) {
  const auto o = parse({"show", "--dir", "/x"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->command, IdentityCommand::show);
  EXPECT_EQ(o->dir, "/x");
}

TEST(IdentityArgs, UsageErrorsNameTheFlag) {
  EXPECT_NE(error_of({}).find("which command"), std::string::npos);
  EXPECT_NE(error_of({"mint"}).find("unknown command 'mint'"), std::string::npos);
  EXPECT_EQ(error_of({"trust-anchor"}), "weft identity trust-anchor: --dir is required\n");
  EXPECT_EQ(error_of({"issuer", "--dir", "/i"}), "weft identity issuer: --ca-dir is required\n");
  EXPECT_EQ(error_of({"issue", "--dir", "/o", "--id", "spiffe://td/ns/a/sa/b"}),
            "weft identity issue: --issuer-dir is required\n");
  EXPECT_EQ(error_of({"issue", "--dir", "/o", "--issuer-dir", "/i"}),
            "weft identity issue: --id is required\n");
  EXPECT_EQ(error_of({"trust-anchor", "--dir"}),
            "weft identity trust-anchor: --dir needs a value\n");
  EXPECT_EQ(error_of({"trust-anchor", "--dir="}),
            "weft identity trust-anchor: --dir needs a value\n");
  EXPECT_EQ(error_of({"show", "--dir", "/x", "--lifetime", "1h"}),
            "weft identity show: unknown flag --lifetime for 'show'\n");
  EXPECT_EQ(error_of({"issue", "--trust-domain", "x"}),
            "weft identity issue: unknown flag --trust-domain for 'issue'\n");
  EXPECT_EQ(error_of({"show", "--dir", "/x", "--dir", "/y"}),
            "weft identity show: --dir is given twice\n");
  EXPECT_EQ(error_of({"show", "/x"}),
            "weft identity show: unexpected argument '/x' (flags are --name value)\n");
  EXPECT_EQ(error_of({"trust-anchor", "--dir", "/d", "--force=yes"}),
            "weft identity trust-anchor: --force takes no value\n");
  EXPECT_NE(error_of({"trust-anchor", "--dir", "/d", "--lifetime", "1y"})
                .find("--lifetime: invalid duration '1y'"),
            std::string::npos);
  EXPECT_NE(error_of({"trust-anchor", "--dir", "/d", "--lifetime", "-1h"})
                .find("--lifetime: invalid duration '-1h'"),
            std::string::npos);
  EXPECT_NE(error_of({"trust-anchor", "--dir", "/d", "--lifetime", "0"})
                .find("--lifetime must be at least 1s"),
            std::string::npos);
  EXPECT_NE(error_of({"trust-anchor", "--dir", "/d", "--valid-from", "yesterday"})
                .find("--valid-from: invalid time 'yesterday'"),
            std::string::npos);
  EXPECT_NE(error_of({"trust-anchor", "--dir", "/d", "--valid-from", "9999-12-31T00:00:00Z"})
                .find("outside the years 0000-9999"),
            std::string::npos);
  EXPECT_EQ(error_of({"trust-anchor", "--dir", "/d", "--trust-domain", "Cluster.local"}),
            "weft identity trust-anchor: --trust-domain 'Cluster.local': trust domain has an "
            "upper-case letter\n");
  EXPECT_NE(error_of({"trust-anchor", "--dir", "/d", "--trust-domain", "my_td"})
                .find("trust domain is not a DNS name"),
            std::string::npos);
  EXPECT_EQ(
      error_of({"issue", "--issuer-dir", "/i", "--dir", "/o", "--id", "spiffe://td/ns/a/sa/b.c"}),
      "weft identity issue: --id 'spiffe://td/ns/a/sa/b.c' is not a workload ID "
      "(spiffe://<trust-domain>/ns/<ns>/sa/<sa>): service account has a '.', which would "
      "make the server name ambiguous\n");
}

TEST(IdentityArgs, ValidFrom) {
  EXPECT_EQ(parse_valid_from("now", kNow), kNow);
  EXPECT_EQ(parse_valid_from("-90m", kNow), kNow - 90min);
  EXPECT_EQ(parse_valid_from("+2d", kNow), kNow + 48h);
  EXPECT_EQ(parse_valid_from("-1500ms", kNow), kNow - 1s);  // whole seconds
  EXPECT_FALSE(parse_valid_from("48h", kNow));              // a relative time carries its sign
  EXPECT_FALSE(parse_valid_from("-", kNow));
  EXPECT_FALSE(parse_valid_from("--1h", kNow));
  EXPECT_FALSE(parse_valid_from("", kNow));
}

TEST(IdentityArgs, Rfc3339) {
  const auto at = [](std::string_view s) {
    const auto t = parse_rfc3339(s);
    return t ? format_rfc3339(*t) : std::string("invalid");
  };
  EXPECT_EQ(at("2025-03-01T12:00:00Z"), "2025-03-01T12:00:00Z");
  EXPECT_EQ(at("2025-03-01t12:00:00z"), "2025-03-01T12:00:00Z");
  EXPECT_EQ(at("2025-03-01 12:00:00Z"), "2025-03-01T12:00:00Z");
  EXPECT_EQ(at("2025-03-01T12:00:00.999Z"), "2025-03-01T12:00:00Z");
  EXPECT_EQ(at("2025-03-01T12:00:00+02:00"), "2025-03-01T10:00:00Z");
  EXPECT_EQ(at("2025-03-01T00:30:00-01:00"), "2025-03-01T01:30:00Z");
  EXPECT_EQ(at("2024-02-29T00:00:00Z"), "2024-02-29T00:00:00Z");
  EXPECT_EQ(at("1969-07-20T20:17:40Z"), "1969-07-20T20:17:40Z");
  EXPECT_EQ(at("2025-02-29T00:00:00Z"), "invalid");
  EXPECT_EQ(at("2025-13-01T00:00:00Z"), "invalid");
  EXPECT_EQ(at("2025-03-01T24:00:00Z"), "invalid");
  EXPECT_EQ(at("2025-03-01T12:00:00"), "invalid");  // the zone is required
  EXPECT_EQ(at("2025-03-01T12:00:00.Z"), "invalid");
  EXPECT_EQ(at("2025-03-01T12:00:00+0200"), "invalid");
  EXPECT_EQ(at("2025-03-01T12:00:00Zjunk"), "invalid");
  EXPECT_EQ(at("2025-3-1T12:00:00Z"), "invalid");
  EXPECT_EQ(at("2025-03-01"), "invalid");
}

}  // namespace
}  // namespace weft::cli
