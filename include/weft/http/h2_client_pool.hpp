// A worker's HTTP/2 connections to endpoints, for one direction: one multiplexed connection per
// endpoint, replaced by a new one when the current one received GOAWAY or failed. Also the
// worker's free list of stream bridges (H2Stream), so that a request allocates nothing once warm.
// Touched only by its worker's thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <vector>

#include "weft/http/h2_stream.hpp"

#include "weft/discovery/table.hpp"

namespace weft::http {

struct HttpContext;
class H2Client;

class H2ClientPool {
 public:
  explicit H2ClientPool(boost::asio::any_io_executor executor);
  ~H2ClientPool();
  H2ClientPool(const H2ClientPool&) = delete;
  H2ClientPool& operator=(const H2ClientPool&) = delete;

  /// The connection new streams to `target` go on: the current one, or a new one that starts
  /// connecting now (streams given to it wait until it is connected). `endpoint`: the table's
  /// entry for `target` (nullptr for an original destination it does not know); a meshed
  /// endpoint's connection is mTLS.
  H2Client& connection(const HttpContext& ctx, const boost::asio::ip::tcp::endpoint& target,
                       const discovery::Endpoint* endpoint = nullptr);

  /// A fresh stream bridge.
  H2Stream* acquire_stream();
  /// Gives `s` back once neither half refers to it any more.
  void release_if_unused(H2Stream* s) noexcept;

  /// Called by a connection when it stops taking streams or ends: it is no longer handed out.
  void forget(const H2Client* client) noexcept;

  std::size_t connection_count() const noexcept { return current_.size(); }
  const boost::asio::any_io_executor& executor() const noexcept { return executor_; }

 private:
  boost::asio::any_io_executor executor_;
  std::map<boost::asio::ip::tcp::endpoint, H2Client*> current_;
  // Every stream ever made, live or free: the pool owns them, so a worker stopping mid-stream
  // frees them all. Bounded by the worker's peak number of concurrent streams.
  std::vector<std::unique_ptr<H2Stream>> all_;
  std::vector<H2Stream*> free_;
};

}  // namespace weft::http
