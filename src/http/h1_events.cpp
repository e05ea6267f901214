// The HTTP/1 proxy's parser events: each request and response is serialized for the next hop as
// it is parsed (head without hop-by-hop fields, body re-chunked or passed through), into the
// connection's reused output strings. The views in a MessageHead die with on_head, so everything
// kept past it is copied here.
#include <spdlog/fmt/fmt.h>

#include "weft/http/h1_proxy.hpp"
#include "weft/metrics/labels.hpp"

namespace weft::http {
namespace {

bool is_idempotent(std::string_view method) noexcept {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
         method == "PUT" || method == "DELETE";
}

void append_body(std::string& out, std::span<const std::byte> bytes, bool chunked) {
  if (bytes.empty()) return;  // an empty chunk would end a chunked body
  if (chunked) append_chunk_header(out, bytes.size());
  out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (chunked) out.append("\r\n");
}

}  // namespace

void H1ProxyConnection::RequestEvents::on_head(const MessageHead& head) { conn.request_head(head); }

void H1ProxyConnection::RequestEvents::on_body(std::span<const std::byte> bytes) {
  append_body(conn.to_endpoint_, bytes, conn.request_.chunked);
}

void H1ProxyConnection::RequestEvents::on_trailers(std::span<const Header> trailers) {
  // Only a chunked body has trailers, and it goes on chunked.
  append_last_chunk(conn.to_endpoint_, trailers);
  conn.request_.last_chunk_written = true;
}

void H1ProxyConnection::RequestEvents::on_message_complete() {
  if (conn.request_.chunked && !conn.request_.last_chunk_written) {
    conn.to_endpoint_.append(kLastChunk);
  }
  conn.request_.complete = true;
}

void H1ProxyConnection::ResponseEvents::on_head(const MessageHead& head) {
  conn.response_head(head);
}

void H1ProxyConnection::ResponseEvents::on_body(std::span<const std::byte> bytes) {
  conn.response_body(bytes);
}

void H1ProxyConnection::ResponseEvents::on_trailers(std::span<const Header> trailers) {
  // An HTTP/1.0 client gets the body close-delimited, which has no place for trailers.
  if (conn.response_.framing != BodyFraming::chunked) return;
  append_last_chunk(conn.to_client_, trailers);
  conn.response_.last_chunk_written = true;
}

void H1ProxyConnection::ResponseEvents::on_message_complete() { conn.response_complete(); }

void H1ProxyConnection::request_head(const MessageHead& head) {
  request_ = {};
  request_.head_seen = true;
  request_.started = Clock::now();
  request_.head_method = head.method == "HEAD";
  request_.connect = head.method == "CONNECT";
  request_.idempotent = is_idempotent(head.method);
  request_.http10 = head.version_major == 1 && head.version_minor == 0;
  request_.keep_alive = head.keep_alive;
  request_.upgrade = head.upgrade;
  request_.chunked = head.chunked;
  request_.expect_continue = head.expect_continue;
  const auto host = head.find("host");
  authority_.assign(host.value_or(std::string_view{}));
  if (ctx_.router) route_request(head);
  const BodyFraming framing = head.chunked ? BodyFraming::chunked
                              : head.content_length && *head.content_length > 0
                                  ? BodyFraming::content_length
                                  : BodyFraming::none;
  to_endpoint_.clear();
  // The endpoint is always asked with HTTP/1.1 (so its connection can be pooled); an HTTP/1.0
  // request without Host gets the original destination as its Host.
  if (!host && request_.http10) {
    append_request_head(to_endpoint_, head, framing, metrics::format_target_addr(target_),
                        client_id(ctx_, client_tls_));
  } else {
    append_request_head(to_endpoint_, head, framing, {}, client_id(ctx_, client_tls_));
  }
}

void H1ProxyConnection::response_head(const MessageHead& head) {
  if (head.status >= 100 && head.status < 200 && head.status != 101) {
    // 100 Continue, 103 Early Hints: relayed to HTTP/1.1 clients; the final response follows.
    response_.informational = true;
    if (!request_.http10) append_response_head(to_client_, head, {.framing = BodyFraming::none});
    return;
  }
  response_.status = head.status;
  if (lease_) lease_.first_byte(Clock::now());  // the balancer's RTT sample
  response_.endpoint_keep_alive = head.keep_alive;
  response_.upgrade = request_.upgrade && ((head.status == 101 && head.upgrade) ||
                                           (request_.connect && head.status / 100 == 2));
  BodyFraming framing = BodyFraming::none;
  if (head.no_body || response_.upgrade) {
    framing = BodyFraming::none;
  } else if (!head.chunked && head.content_length) {
    framing = BodyFraming::content_length;
  } else {
    // Chunked, or delimited by the endpoint's close: an HTTP/1.1 client gets it chunked (so its
    // connection stays usable); an HTTP/1.0 client, which knows no chunks, gets it close-delimited.
    framing = request_.http10 ? BodyFraming::close_delimited : BodyFraming::chunked;
  }
  response_.framing = framing;
  // Close after this response when the client asked, when the body is close-delimited, when
  // draining, when the request body was not all read (the next request's start is unknown), and
  // when an upgrade was refused (the client may already be sending the other protocol).
  if (!request_.keep_alive || framing == BodyFraming::close_delimited || ctx_.drain->draining() ||
      !request_.complete || (request_.upgrade && !response_.upgrade)) {
    close_after_ = true;
  }
  append_response_head(to_client_, head,
                       {.framing = framing,
                        .close = close_after_,
                        .keep_alive_10 = request_.http10 && !close_after_});
}

void H1ProxyConnection::response_body(std::span<const std::byte> bytes) {
  if (!response_.latency_observed) observe_latency();
  append_body(to_client_, bytes, response_.framing == BodyFraming::chunked);
}

void H1ProxyConnection::response_complete() {
  if (response_.informational) {
    response_.informational = false;
    // The parser forgets "this answers HEAD" after each message; the final response needs it.
    response_parser_.set_response_to_head(request_.head_method || request_.connect);
    return;
  }
  if (response_.framing == BodyFraming::chunked && !response_.last_chunk_written) {
    to_client_.append(kLastChunk);
  }
  response_.complete = true;
  if (!response_.latency_observed) observe_latency();
}

void H1ProxyConnection::observe_latency() noexcept {
  response_.latency_observed = true;
  route_.observe_latency(response_.status, Clock::now() - request_.started);
}

}  // namespace weft::http
