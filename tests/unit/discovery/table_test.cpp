// DestinationTable lookups (by address, v4 and v6; by authority, every rule) and route choice.
#include "weft/discovery/table.hpp"

#include <gtest/gtest.h>

#include <string>

#include "weft/discovery/file_source.hpp"

namespace weft::discovery {
namespace {

namespace ip = boost::asio::ip;
using tcp = ip::tcp;

tcp::endpoint ep(const char* address, unsigned short port) {
  return {ip::make_address(address), port};
}

TablePtr table_of(const char* yaml) {
  auto table = parse_destinations(yaml);
  EXPECT_TRUE(table) << (table ? "" : table.error());
  return table ? *table : std::make_shared<const DestinationTable>();
}

constexpr const char* kServices = R"(
services:
  - name: web-svc.emojivoto.svc.cluster.local
    addresses: ["10.96.0.10:80", "10.96.0.10:8080", "[fd00:10:96::a]:80"]
  - name: voting-svc.emojivoto.svc.cluster.local
    addresses: ["10.96.0.11:8080"]
  - name: web-svc.other.svc.cluster.local
    addresses: ["10.96.0.12:80"]
  - name: web-svc
  - name: Emoji.Example.COM
)";

class DiscoveryTable : public ::testing::Test {
 protected:
  TablePtr table_ = table_of(kServices);
  const Service* web_ = &table_->services()[0];
  const Service* voting_ = &table_->services()[1];
  const Service* other_web_ = &table_->services()[2];
  const Service* short_web_ = &table_->services()[3];
  const Service* emoji_ = &table_->services()[4];
};

TEST_F(DiscoveryTable, FindsServicesByAddress) {
  EXPECT_EQ(table_->by_address(ep("10.96.0.10", 80)), web_);
  EXPECT_EQ(table_->by_address(ep("10.96.0.10", 8080)), web_);
  EXPECT_EQ(table_->by_address(ep("fd00:10:96::a", 80)), web_);
  EXPECT_EQ(table_->by_address(ep("10.96.0.11", 8080)), voting_);
  EXPECT_EQ(table_->by_address(ep("10.96.0.12", 80)), other_web_);
  // The IPv4 address as an IPv6 socket reports it.
  EXPECT_EQ(table_->by_address(ep("::ffff:10.96.0.11", 8080)), voting_);
}

TEST_F(DiscoveryTable, MissesUnknownAddressesAndPorts) {
  EXPECT_EQ(table_->by_address(ep("10.96.0.10", 81)), nullptr);
  EXPECT_EQ(table_->by_address(ep("10.96.0.13", 80)), nullptr);
  EXPECT_EQ(table_->by_address(ep("fd00:10:96::a", 8080)), nullptr);
  EXPECT_EQ(table_->by_address(ep("fd00:10:96::b", 80)), nullptr);
}

TEST_F(DiscoveryTable, FindsTheExactName) {
  EXPECT_EQ(table_->by_authority("web-svc.emojivoto.svc.cluster.local"), web_);
  EXPECT_EQ(table_->by_authority("voting-svc.emojivoto.svc.cluster.local"), voting_);
  EXPECT_EQ(table_->by_authority("web-svc.emojivoto.svc.cluster.local."), web_);  // rooted
}

TEST_F(DiscoveryTable, NamesAreCaseInsensitive) {
  EXPECT_EQ(table_->by_authority("Web-Svc.EMOJIVOTO.svc.cluster.local"), web_);
  EXPECT_EQ(table_->by_authority("emoji.example.com"), emoji_);
  EXPECT_EQ(table_->by_authority("EMOJI.example.com:443"), nullptr);  // no address on 443
  EXPECT_EQ(table_->by_authority("EMOJI"), emoji_);
}

TEST_F(DiscoveryTable, NameWithPortMatchesOnlyTheServicePorts) {
  EXPECT_EQ(table_->by_authority("web-svc.emojivoto.svc.cluster.local:80"), web_);
  EXPECT_EQ(table_->by_authority("web-svc.emojivoto.svc.cluster.local:8080"), web_);
  EXPECT_EQ(table_->by_authority("web-svc.emojivoto.svc.cluster.local:9090"), nullptr);
  EXPECT_EQ(table_->by_authority("voting-svc.emojivoto:8080"), voting_);
  EXPECT_EQ(table_->by_authority("voting-svc:80"), nullptr);
  // A service with no address has no port to match.
  EXPECT_EQ(table_->by_authority("web-svc:80"), nullptr);
}

TEST_F(DiscoveryTable, DotPrefixesOfTheNameMatch) {
  EXPECT_EQ(table_->by_authority("voting-svc.emojivoto.svc"), voting_);
  EXPECT_EQ(table_->by_authority("voting-svc.emojivoto"), voting_);
  EXPECT_EQ(table_->by_authority("voting-svc"), voting_);
  EXPECT_EQ(table_->by_authority("web-svc.emojivoto"), web_);
  EXPECT_EQ(table_->by_authority("web-svc.other"), other_web_);
  // Not at a dot: no match.
  EXPECT_EQ(table_->by_authority("voting-sv"), nullptr);
  EXPECT_EQ(table_->by_authority("voting-svc.emojivo"), nullptr);
  // A suffix is not a prefix.
  EXPECT_EQ(table_->by_authority("emojivoto.svc.cluster.local"), nullptr);
}

TEST_F(DiscoveryTable, AFullNameWinsOverAnotherServicesPrefix) {
  // "web-svc" is a prefix of two services and the full name of a third.
  EXPECT_EQ(table_->by_authority("web-svc"), short_web_);
}

TEST(DiscoveryTableAmbiguity, APrefixSharedByTwoServicesMatchesNeither) {
  auto table = table_of(R"(
services:
  - {name: web.a.svc.cluster.local, addresses: ["10.0.0.1:80"]}
  - {name: web.b.svc.cluster.local, addresses: ["10.0.0.2:80"]}
)");
  EXPECT_EQ(table->by_authority("web"), nullptr);
  EXPECT_EQ(table->by_authority("web:80"), nullptr);
  EXPECT_EQ(table->by_authority("web.svc"), nullptr);
  EXPECT_EQ(table->by_authority("web.a"), &table->services()[0]);
  EXPECT_EQ(table->by_authority("web.b:80"), &table->services()[1]);
}

TEST_F(DiscoveryTable, MalformedAuthoritiesMatchNothing) {
  for (const char* bad :
       {"", ":80", "voting-svc:", "voting-svc:0", "voting-svc:65536", "voting-svc:8o",
        "voting-svc:+80", "[fd00:10:96::a]:80", "10.96.0.11:8080", ".", "voting-svc:8080:8080"}) {
    EXPECT_EQ(table_->by_authority(bad), nullptr) << bad;
  }
  EXPECT_EQ(table_->by_authority(std::string(300, 'a')), nullptr);
}

TEST(DiscoveryTableEmpty, FindsNothing) {
  const DestinationTable table;
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.by_address(ep("10.0.0.1", 80)), nullptr);
  EXPECT_EQ(table.by_authority("web"), nullptr);
}

TEST(DiscoveryRoutes, FirstMatchWins) {
  auto table = table_of(R"(
services:
  - name: books
    routes:
      - {name: post-api, match: {path_prefix: /api/, method: POST}}
      - {name: api, match: {path_prefix: /api/}}
      - {name: gets, match: {method: GET}}
      - {name: rest}
)");
  const Service& svc = table->services()[0];
  auto name_for = [&](std::string_view method, std::string_view path) {
    const Route* r = svc.route_for(method, path);
    return r ? r->name : std::string("<none>");
  };
  EXPECT_EQ(name_for("POST", "/api/books"), "post-api");
  EXPECT_EQ(name_for("GET", "/api/books"), "api");
  EXPECT_EQ(name_for("GET", "/api/"), "api");
  EXPECT_EQ(name_for("GET", "/api"), "gets");        // the prefix is "/api/", with its slash
  EXPECT_EQ(name_for("post", "/api/books"), "api");  // methods are case-sensitive
  EXPECT_EQ(name_for("DELETE", "/books/1"), "rest");
}

TEST(DiscoveryRoutes, NoRouteMatchesWithoutACatchAll) {
  Service svc;
  Route r;
  r.match.path_prefix = "/api/";
  r.match.method = "GET";
  svc.routes.push_back(r);
  EXPECT_EQ(svc.route_for("GET", "/other"), nullptr);
  EXPECT_EQ(svc.route_for("PUT", "/api/x"), nullptr);
  EXPECT_EQ(svc.route_for("GET", "/api/x"), &svc.routes[0]);
  EXPECT_TRUE(Route{}.matches("ANY", ""));
}

TEST(DiscoveryTableBuilt, IndexesServicesBuiltInCode) {
  Service a;
  a.name = "a.ns";
  a.addresses = {ep("::ffff:10.1.1.1", 80)};
  std::vector<Service> services;
  services.push_back(a);
  const DestinationTable table(std::move(services));
  EXPECT_EQ(table.by_address(ep("10.1.1.1", 80)), &table.services()[0]);
  EXPECT_EQ(table.by_authority("A:80"), &table.services()[0]);
  EXPECT_EQ(canonical_addr(ep("::ffff:10.1.1.1", 80)), ep("10.1.1.1", 80));
  EXPECT_EQ(canonical_addr(ep("fd00::1", 80)), ep("fd00::1", 80));
}

}  // namespace
}  // namespace weft::discovery
