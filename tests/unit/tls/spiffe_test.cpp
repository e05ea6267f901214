// SPIFFE IDs: the spec's syntax rules, weft's /ns/<ns>/sa/<sa> workload IDs and the server name.
#include "weft/tls/spiffe.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "weft/core/error.hpp"

namespace weft::tls {
namespace {

TEST(SpiffeId, ParsesAWorkloadId) {
  const auto id = parse_workload_id("spiffe://cluster.local/ns/emojivoto/sa/web");
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(id->uri, "spiffe://cluster.local/ns/emojivoto/sa/web");
  EXPECT_EQ(id->trust_domain, "cluster.local");
  EXPECT_EQ(id->ns, "emojivoto");
  EXPECT_EQ(id->sa, "web");
  EXPECT_EQ(id->server_name(), "web.emojivoto.serviceaccount.identity.cluster.local");
}

TEST(SpiffeId, ServerNameMapping) {
  const WorkloadId id{"spiffe://example.org/ns/default/sa/default", "example.org", "default",
                      "default"};
  EXPECT_EQ(id.server_name(), "default.default.serviceaccount.identity.example.org");
  const auto parsed = parse_workload_id("spiffe://td-1/ns/a-b/sa/0x9");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->server_name(), "0x9.a-b.serviceaccount.identity.td-1");
}

TEST(SpiffeId, ValidWorkloadIds) {
  for (const std::string& uri : std::vector<std::string>{
           "spiffe://cluster.local/ns/default/sa/default",
           "spiffe://a/ns/b/sa/c",
           "spiffe://example.org/ns/0/sa/9",
           "spiffe://prod.example.org/ns/team-a/sa/api-server-2",
           "spiffe://cluster.local/ns/" + std::string(63, 'n') + "/sa/" + std::string(63, 's'),
       }) {
    EXPECT_EQ(workload_id_problem(uri), "") << uri;
    EXPECT_TRUE(parse_workload_id(uri)) << uri;
  }
}

TEST(SpiffeId, ValidSpiffeIdsThatAreNotWorkloadIds) {
  // The spec allows these; weft's workload IDs do not.
  for (const std::string uri : {
           "spiffe://example.org",
           "spiffe://example.org/service",
           "spiffe://example.org/ns/default/sa/default/extra",
           "spiffe://example.org/NS/default/sa/default",
           "spiffe://example.org/ns/Default/sa/default",
           "spiffe://example.org/ns/default/sa/web.v2",
           "spiffe://example.org/ns/default/sa/a_b",
           "spiffe://my_domain/ns/default/sa/default",
           "spiffe://example..org/ns/default/sa/default",
       }) {
    EXPECT_EQ(spiffe_id_problem(uri), "") << uri;
    EXPECT_NE(workload_id_problem(uri), "") << uri;
    const auto r = parse_workload_id(uri);
    ASSERT_FALSE(r) << uri;
    EXPECT_EQ(r.error(), make_error_code(errc::bad_certificate));
  }
}

struct Invalid {
  std::string uri;
  std::string problem;  // a part of the message
};

TEST(SpiffeId, EachInvalidCaseSaysWhy) {
  const std::string long_path(2048, 'a');
  const std::vector<Invalid> cases = {
      {"", "empty"},
      {"cluster.local/ns/a/sa/b", "does not start with 'spiffe://'"},
      {"https://cluster.local/ns/a/sa/b", "does not start with 'spiffe://'"},
      {"spiffe:/cluster.local/ns/a/sa/b", "does not start with 'spiffe://'"},
      {"SPIFFE://cluster.local/ns/a/sa/b", "lower case"},
      {"spiffe://", "trust domain is empty"},
      {"spiffe:///ns/a/sa/b", "trust domain is empty"},
      {"spiffe://Cluster.local/ns/a/sa/b", "trust domain has an upper-case letter"},
      {"spiffe://cluster.local:8443/ns/a/sa/b", "trust domain has a port"},
      {"spiffe://user@cluster.local/ns/a/sa/b", "trust domain has userinfo"},
      {"spiffe://clu ster/ns/a/sa/b", "trust domain has byte 0x20"},
      {"spiffe://cluster+local/ns/a/sa/b", "trust domain has '+'"},
      {"spiffe://" + std::string(256, 'a'), "trust domain is longer than 255 bytes"},
      {"spiffe://cluster.local/ns/a/sa/b?x=1", "query"},
      {"spiffe://cluster.local/ns/a/sa/b#frag", "fragment"},
      {"spiffe://cluster.local/ns/a/sa/b%20", "percent-encoding"},
      {"spiffe://cluster.local/ns/a/sa/b/", "trailing slash"},
      {"spiffe://cluster.local/", "trailing slash"},
      {"spiffe://cluster.local/ns//sa/b", "empty segment"},
      {"spiffe://cluster.local/ns/./sa/b", "'.' or '..' segment"},
      {"spiffe://cluster.local/ns/../sa/b", "'.' or '..' segment"},
      {"spiffe://cluster.local/ns/a*/sa/b", "path segment 'a*' has '*'"},
      {"spiffe://cluster.local/" + long_path, "longer than 2048 bytes"},
      // weft's own rules
      {"spiffe://cluster.local", "path is not /ns/<namespace>/sa/<service-account>"},
      {"spiffe://cluster.local/ns/a", "path is not /ns/<namespace>/sa/<service-account>"},
      {"spiffe://cluster.local/sa/b/ns/a", "path is not /ns/<namespace>/sa/<service-account>"},
      {"spiffe://cluster.local/ns/A/sa/b", "namespace has an upper-case letter"},
      {"spiffe://cluster.local/ns/a_b/sa/b", "namespace has '_'"},
      {"spiffe://cluster.local/ns/a.b/sa/b", "namespace has '.'"},
      {"spiffe://cluster.local/ns/-a/sa/b", "namespace starts or ends with '-'"},
      {"spiffe://cluster.local/ns/a-/sa/b", "namespace starts or ends with '-'"},
      {"spiffe://cluster.local/ns/" + std::string(64, 'n') + "/sa/b",
       "namespace is longer than 63"},
      {"spiffe://cluster.local/ns/a/sa/B", "service account has an upper-case letter"},
      {"spiffe://cluster.local/ns/a/sa/b.c",
       "service account has a '.', which would make the "
       "server name ambiguous"},
      {"spiffe://cluster.local/ns/a/sa/" + std::string(64, 's'),
       "service account is longer than 63"},
      {"spiffe://cluster.local/ns/a/sa/b-", "service account starts or ends with '-'"},
      {"spiffe://cluster_local/ns/a/sa/b", "trust domain is not a DNS name"},
      {"spiffe://.cluster.local/ns/a/sa/b", "trust domain is not a DNS name"},
      {"spiffe://cluster.local./ns/a/sa/b", "trust domain is not a DNS name"},
      {"spiffe://" + std::string(64, 't') + "/ns/a/sa/b", "trust domain is not a DNS name"},
      {"spiffe://" + std::string(60, 't') + "." + std::string(60, 't') + "/ns/" +
           std::string(63, 'n') + "/sa/" + std::string(63, 's'),
       "more than DNS allows"},
  };
  for (const auto& c : cases) {
    const auto problem = workload_id_problem(c.uri);
    EXPECT_NE(problem.find(c.problem), std::string::npos)
        << "uri: " << c.uri << "\nproblem: '" << problem << "'\nwant: " << c.problem;
    EXPECT_FALSE(parse_workload_id(c.uri)) << c.uri;
  }
}

TEST(SpiffeId, TrustDomainProblem) {
  EXPECT_EQ(trust_domain_problem("cluster.local"), "");
  EXPECT_EQ(trust_domain_problem("my_td-1.example"), "");
  EXPECT_EQ(trust_domain_problem(std::string(255, 'a')), "");
  EXPECT_EQ(trust_domain_problem(""), "trust domain is empty");
  EXPECT_EQ(trust_domain_problem("Example.org"), "trust domain has an upper-case letter");
  EXPECT_NE(trust_domain_problem("example.org/ns"), "");
}

TEST(SpiffeId, EqualityComparesEveryField) {
  const auto a = parse_workload_id("spiffe://cluster.local/ns/a/sa/b");
  const auto b = parse_workload_id("spiffe://cluster.local/ns/a/sa/b");
  const auto c = parse_workload_id("spiffe://cluster.local/ns/a/sa/c");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

}  // namespace
}  // namespace weft::tls
