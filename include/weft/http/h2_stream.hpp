// The bridge between one client stream (on a server session) and its endpoint stream (on a client
// session): the header blocks waiting to be submitted on the other side, the body bytes in flight
// each way (bounded by the windows the proxy advertised, because it consumes bytes only when the
// other side's session took them), trailers, and how each side ended. Pooled per worker by
// H2ClientPool, so a stream costs no allocation once the pool is warm.
#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/intrusive/list.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/balance/balancer.hpp"
#include "weft/core/clock.hpp"
#include "weft/http/request_policy.hpp"
#include "weft/http/router.hpp"
#include "weft/metrics/http.hpp"
#include "weft/metrics/route.hpp"
#include "weft/net/buffer_pool.hpp"

namespace weft::http {

class H2Server;
class H2Client;

/// Body bytes in flight in one direction: a queue of pooled 16 KiB chunks.
class BodyQueue {
 public:
  void append(net::BufferPool& pool, std::span<const std::uint8_t> bytes);
  /// Moves up to `max` bytes into `out`; returns how many.
  std::size_t read(std::uint8_t* out, std::size_t max) noexcept;
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  void clear() noexcept;

 private:
  std::vector<net::BufferPool::Lease> chunks_;
  std::size_t head_ = 0;  // read offset in chunks_.front()
  std::size_t tail_ = 0;  // fill of chunks_.back()
  std::size_t size_ = 0;
};

/// Header fields received on one side, kept to be submitted on the other. nghttp2 copies the
/// fields when they are submitted, so the block may be reused right after.
class HeaderBlock {
 public:
  void add(std::string_view name, std::string_view value);
  /// RFC 9113 §6.5.2 size: names, values and 32 octets per field.
  std::size_t list_size() const noexcept { return list_size_; }
  std::size_t count() const noexcept { return fields_.size(); }
  /// The value of the first field called `name` ("" when absent). Names arrive lower-case.
  std::string_view get(std::string_view name) const noexcept;
  /// Removes every field whose name `drop` accepts (the weft-* policy fields before forwarding).
  template <class Pred>
  void drop_if(Pred drop) {
    std::erase_if(fields_, [&](const Field& f) {
      if (!drop(std::string_view(storage_.data() + f.name_at, f.name_len))) return false;
      list_size_ -= f.name_len + f.value_len + 32;
      return true;
    });
  }
  /// The fields as nghttp2 takes them; valid until the next add() or clear().
  std::span<const nghttp2_nv> nva();
  void clear() noexcept;

 private:
  struct Field {
    std::uint32_t name_at, name_len, value_at, value_len;
  };
  std::string storage_;
  std::vector<Field> fields_;
  std::vector<nghttp2_nv> nv_;
  std::size_t list_size_ = 0;
};

using ListHook =
    boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

/// One proxied stream. Fields are public: the server and client connections are its two halves.
struct H2Stream {
  // The client half, until the client stream closes.
  H2Server* server = nullptr;
  std::int32_t client_id = 0;
  ListHook server_hook;
  // The endpoint half: `endpoint` is set once the stream is given to a connection, and
  // endpoint_id once the request is submitted there (-1 before).
  H2Client* endpoint = nullptr;
  std::int32_t endpoint_id = -1;
  ListHook endpoint_hook;

  HeaderBlock request;
  HeaderBlock request_trailers;
  BodyQueue request_body;
  bool request_end = false;       // the client sent END_STREAM
  bool request_deferred = false;  // the endpoint's data provider waits for bytes
  bool request_body_started = false;  // body bytes went to an endpoint session (no retry after)
  bool retried = false;               // sent again after REFUSED_STREAM (once at most)

  HeaderBlock response;
  HeaderBlock response_trailers;
  BodyQueue response_body;
  bool response_headers_done = false;  // the final response head arrived (or was synthesized)
  bool response_submitted = false;     // ... and was submitted to the client
  bool response_end = false;           // the endpoint sent END_STREAM (or the proxy answered)
  bool response_deferred = false;      // the client's data provider waits for bytes
  bool request_too_large = false;      // header list above the limit: answered 431

  // Metrics.
  bool grpc = false;
  unsigned status = 0;
  int grpc_status = -1;
  bool latency_observed = false;
  bool counted = false;
  std::string_view error;  // response_total's error label when the proxy answered or reset
  Clock::time_point started{};
  metrics::HttpRoute* route = nullptr;
  metrics::HttpRoute own_route;  // when the connection's route cache is full

  // Routing, for an outbound request to a service in the destination table (h2_route.cpp).
  Destination dest;
  RequestPolicy policy;
  balance::Lease lease;
  metrics::RouteMetrics* route_metrics = nullptr;  // the server connection's cached handle
  metrics::RouteMetrics own_route_metrics;          // when the connection's cache is full
  std::string replay;            // the request body so far, for another try (up to 64 KiB)
  bool replay_overflow = false;  // the body outgrew the replay buffer: no more tries
  std::size_t replay_credited = 0;  // replayed bytes the client's window was credited for already
  std::uint32_t tries = 0;       // tries after the first
  Clock::time_point last_activity{};  // the last DATA either way (kept only for an idle timeout)
  /// Bumped whenever the bridge is handed out again: a coroutine waiting on behalf of a stream
  /// (for an endpoint, a backoff, a deadline) checks that its stream is still the same one.
  std::uint64_t serial = 0;

  /// Back to a fresh state, keeping capacity (called when the pool hands it out again).
  void reset() noexcept;
};

using ServerStreamList = boost::intrusive::list<
    H2Stream, boost::intrusive::member_hook<H2Stream, ListHook, &H2Stream::server_hook>,
    boost::intrusive::constant_time_size<false>>;
using EndpointStreamList = boost::intrusive::list<
    H2Stream, boost::intrusive::member_hook<H2Stream, ListHook, &H2Stream::endpoint_hook>,
    boost::intrusive::constant_time_size<false>>;

}  // namespace weft::http
