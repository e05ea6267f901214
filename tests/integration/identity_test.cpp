// The identity files as the proxy follows them: IdentitySource on a real io_context, reading
// certificates that the real `weft identity` made, through rotation, bad files and recovery.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/identity_tools.hpp"
#include "weft/tls/identity_source.hpp"

namespace weft::tls {
namespace {

using namespace std::chrono_literals;
using test::Pki;

// Runs the admin-thread side (polls) until `done` or 10 s; false on timeout.
template <class Pred>
bool poll_until(boost::asio::io_context& io, Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.run_for(20ms);
  }
  return true;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_text(const std::string& path, const std::string& text) {
  const auto tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  std::filesystem::rename(tmp, path);
}

TEST(IdentitySource, LoadsTheFilesAndFollowsARotation) {
  Pki pki;
  const auto dir = pki.issue("web", "emojivoto", "web");
  boost::asio::io_context io;
  IdentityStore store;
  IdentitySource source(io, dir, "", 50ms);
  source.start(store);
  ASSERT_TRUE(poll_until(io, [&] { return source.ready(); }));
  IdentityStore::View view(store);
  const IdentityPtr first = view.current();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->id.uri, pki.id("emojivoto", "web"));
  EXPECT_EQ(first->server_name, pki.server_name("emojivoto", "web"));
  EXPECT_EQ(source.refreshes(), 1u);
  EXPECT_GT(source.expiration_seconds(),
            std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count());

  // A new certificate written over the old one, as a CSI driver rotates: a new identity object
  // with new contexts; the old one stays valid for whoever holds it.
  pki.issue("web", "emojivoto", "web", {"--lifetime", "48h"});
  ASSERT_TRUE(poll_until(io, [&] { return source.refreshes() == 2; }));
  const IdentityPtr second = view.current();
  EXPECT_NE(second, first);
  EXPECT_GT(second->not_after, first->not_after);
  EXPECT_EQ(source.refresh_errors(), 0u);
}

TEST(IdentitySource, ABadRotationIsCountedAndTheLastGoodIdentityStays) {
  Pki pki;
  const auto dir = pki.issue("web", "emojivoto", "web");
  const auto other = pki.issue("other", "emojivoto", "other");
  boost::asio::io_context io;
  IdentityStore store;
  IdentitySource source(io, dir, "", 50ms);
  source.start(store);
  ASSERT_TRUE(poll_until(io, [&] { return source.ready(); }));
  IdentityStore::View view(store);
  const IdentityPtr good = view.current();
  const auto key = read_text(dir + "/tls.key");

  // Another workload's key: the pair does not match.
  write_text(dir + "/tls.key", read_text(other + "/tls.key"));
  ASSERT_TRUE(poll_until(io, [&] { return source.refresh_errors() == 1; }));
  EXPECT_EQ(view.current(), good);
  EXPECT_TRUE(source.ready());
  // Polls of the unchanged bad files count no further errors.
  io.run_for(300ms);
  EXPECT_EQ(source.refresh_errors(), 1u);

  // The matching key comes back: loaded again.
  write_text(dir + "/tls.key", key);
  ASSERT_TRUE(poll_until(io, [&] { return source.refreshes() == 2; }));
  EXPECT_NE(view.current(), good);
  EXPECT_EQ(view.current()->id.uri, good->id.uri);
}

TEST(IdentitySource, RefusesExpiredAndForeignCertificates) {
  Pki pki;
  Pki foreign("cluster.local");
  const auto expired = pki.issue("expired", "emojivoto", "web", {"--valid-from", "-48h", "--lifetime", "24h"});
  const auto future = pki.issue("future", "emojivoto", "web", {"--valid-from", "+24h", "--lifetime", "24h"});
  const auto stranger = foreign.issue("stranger", "emojivoto", "web");
  for (const auto& [dir, anchors] : {std::pair{expired, std::string()}, {future, std::string()},
                                     {stranger, pki.anchor_pem()}}) {
    boost::asio::io_context io;
    IdentityStore store;
    IdentitySource source(io, dir, anchors, 50ms);
    source.start(store);
    EXPECT_TRUE(poll_until(io, [&] { return source.refresh_errors() == 1; })) << dir;
    EXPECT_FALSE(source.ready()) << dir;
    EXPECT_EQ(IdentityStore::View(store).current(), nullptr) << dir;
  }
}

TEST(IdentitySource, StartsUnreadyWithoutFilesAndLoadsThemWhenTheyCome) {
  Pki pki;
  const auto dir = pki.root() + "/later";
  boost::asio::io_context io;
  IdentityStore store;
  IdentitySource source(io, dir, "", 50ms);
  source.start(store);
  EXPECT_FALSE(source.ready());
  pki.issue("later", "emojivoto", "web");
  ASSERT_TRUE(poll_until(io, [&] { return source.ready(); }));
  EXPECT_EQ(IdentityStore::View(store).current()->id.uri, pki.id("emojivoto", "web"));
}

TEST(IdentitySource, InlineTrustAnchorsReplaceCaCrt) {
  Pki pki;
  Pki foreign;
  const auto dir = pki.issue("web", "emojivoto", "web");
  // ca.crt is the foreign anchor, which does not sign this certificate; the inline bundle does.
  write_text(dir + "/ca.crt", foreign.anchor_pem());
  boost::asio::io_context io;
  IdentityStore store;
  IdentitySource source(io, dir, pki.anchor_pem(), 50ms);
  source.start(store);
  EXPECT_TRUE(poll_until(io, [&] { return source.ready(); }));
  EXPECT_THROW(IdentitySource(io, dir, "-----BEGIN CERTIFICATE-----\nnot base64\n", 50ms),
               std::invalid_argument);
}

}  // namespace
}  // namespace weft::tls
