// FileSource against real files in a temporary directory: the first load, changes written in
// place, renamed over, or swapped behind a symlink (as a ConfigMap volume does), a bad or
// vanished file keeping the last table, and startup errors. The io_context is driven until a
// condition holds or a deadline passes; there are no fixed sleeps.
#include "weft/discovery/file_source.hpp"

#include <gtest/gtest.h>
#include <spdlog/fmt/fmt.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>

namespace weft::discovery {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr core::duration kPoll = 20ms;

std::string services_doc(std::initializer_list<const char*> names) {
  std::string doc = "services:\n";
  for (const char* name : names) doc += fmt::format("  - name: {}\n", name);
  return doc;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

class DiscoveryFileSource : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "weft-discovery-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ / "destinations.yaml";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs the io_context until `done` holds, for at most 5 s.
  [[nodiscard]] testing::AssertionResult run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return testing::AssertionFailure() << "condition not met within 5s";
      }
      io_.run_one_for(50ms);
    }
    return testing::AssertionSuccess();
  }

  // What start() throws, or "" when it does not.
  std::string start_error() {
    FileSource source(io_, path_.string(), kPoll);
    try {
      source.start(store_);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }

  std::string first_name() { return store_.load().first->services().at(0).name; }

  fs::path dir_;
  fs::path path_;
  boost::asio::io_context io_;
  DestinationStore store_;
};

TEST_F(DiscoveryFileSource, LoadsTheFileAtStart) {
  write_file(path_, services_doc({"a", "b"}));
  FileSource source(io_, path_.string(), kPoll);
  source.start(store_);
  EXPECT_EQ(store_.version(), 2U);
  EXPECT_EQ(store_.load().first->services().size(), 2U);
  EXPECT_EQ(source.reloads(), 0U);
  EXPECT_EQ(source.reload_errors(), 0U);
}

TEST_F(DiscoveryFileSource, AMissingFileAtStartIsAStartupError) {
  EXPECT_EQ(start_error(),
            fmt::format("WEFT_PROXY_DESTINATIONS={}: No such file or directory", path_.string()));
  EXPECT_EQ(store_.version(), 1U);
}

TEST_F(DiscoveryFileSource, ABadFileAtStartIsAStartupError) {
  write_file(path_, "services: [{name: a, endpoints: [{addr: x}]}]\n");
  EXPECT_EQ(start_error(),
            fmt::format("WEFT_PROXY_DESTINATIONS={}: services[0].endpoints[0].addr: expected "
                        "ip:port, got \"x\"",
                        path_.string()));
  EXPECT_EQ(store_.version(), 1U);
}

TEST_F(DiscoveryFileSource, SeesAChangeWrittenInPlace) {
  write_file(path_, services_doc({"a"}));
  FileSource source(io_, path_.string(), kPoll);
  source.start(store_);
  write_file(path_, services_doc({"b", "c"}));
  ASSERT_TRUE(run_until([&] { return store_.version() == 3; }));
  EXPECT_EQ(store_.load().first->services().size(), 2U);
  EXPECT_EQ(first_name(), "b");
  EXPECT_EQ(source.reloads(), 1U);
  EXPECT_EQ(source.reload_errors(), 0U);
}

TEST_F(DiscoveryFileSource, ABadFileKeepsTheLastTableAndCountsAnError) {
  write_file(path_, services_doc({"a"}));
  FileSource source(io_, path_.string(), kPoll);
  source.start(store_);
  write_file(path_, "services: [{name: a, routes: [{retry: {http: 5xx, limt: 2}}]}]\n");
  ASSERT_TRUE(run_until([&] { return source.reload_errors() == 1; }));
  EXPECT_EQ(store_.version(), 2U);
  EXPECT_EQ(first_name(), "a");
  // The error counts once per change, not once per poll; a fixed file is read again.
  write_file(path_, services_doc({"fixed"}));
  ASSERT_TRUE(run_until([&] { return store_.version() == 3; }));
  EXPECT_EQ(first_name(), "fixed");
  EXPECT_EQ(source.reload_errors(), 1U);
  EXPECT_EQ(source.reloads(), 1U);
}

TEST_F(DiscoveryFileSource, SeesAFileRenamedOverTheOldOne) {
  write_file(path_, services_doc({"a"}));
  FileSource source(io_, path_.string(), kPoll);
  source.start(store_);
  // Same size, written elsewhere: only the inode tells the change.
  write_file(dir_ / "next.yaml", services_doc({"b"}));
  fs::rename(dir_ / "next.yaml", path_);
  ASSERT_TRUE(run_until([&] { return store_.version() == 3; }));
  EXPECT_EQ(first_name(), "b");
}

TEST_F(DiscoveryFileSource, FollowsASymlinkSwapAsAConfigMapVolumeDoes) {
  fs::create_directory(dir_ / "v1");
  fs::create_directory(dir_ / "v2");
  write_file(dir_ / "v1" / "d.yaml", services_doc({"a"}));
  write_file(dir_ / "v2" / "d.yaml", services_doc({"b"}));
  fs::create_directory_symlink("v1", dir_ / "..data");
  fs::create_symlink("..data/d.yaml", path_);
  FileSource source(io_, path_.string(), kPoll);
  source.start(store_);
  EXPECT_EQ(first_name(), "a");
  fs::create_directory_symlink("v2", dir_ / "..data_tmp");
  fs::rename(dir_ / "..data_tmp", dir_ / "..data");
  ASSERT_TRUE(run_until([&] { return store_.version() == 3; }));
  EXPECT_EQ(first_name(), "b");
}

TEST_F(DiscoveryFileSource, AFileThatDisappearsIsAReloadErrorUntilItReturns) {
  write_file(path_, services_doc({"a"}));
  FileSource source(io_, path_.string(), kPoll);
  source.start(store_);
  fs::remove(path_);
  ASSERT_TRUE(run_until([&] { return source.reload_errors() == 1; }));
  EXPECT_EQ(first_name(), "a");
  write_file(path_, services_doc({"back"}));
  ASSERT_TRUE(run_until([&] { return store_.version() == 3; }));
  EXPECT_EQ(first_name(), "back");
  EXPECT_EQ(source.reload_errors(), 1U);
}

TEST_F(DiscoveryFileSource, StopLeavesNoWorkOnTheIoContext) {
  write_file(path_, services_doc({"a"}));
  FileSource source(io_, path_.string(), kPoll);
  source.start(store_);
  source.stop();
  io_.run_for(5s);  // returns at once when no timer is armed
  EXPECT_TRUE(io_.stopped());
  EXPECT_EQ(store_.version(), 2U);
}

TEST_F(DiscoveryFileSource, DestroyingItWithATimerPendingIsSafe) {
  write_file(path_, services_doc({"a"}));
  {
    FileSource source(io_, path_.string(), kPoll);
    source.start(store_);
  }
  io_.run_for(5s);
  EXPECT_TRUE(io_.stopped());
}

}  // namespace
}  // namespace weft::discovery
