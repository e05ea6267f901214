#include "weft/http/h2_stream.hpp"

#include <algorithm>
#include <cstring>

namespace weft::http {

void BodyQueue::append(net::BufferPool& pool, std::span<const std::uint8_t> bytes) {
  constexpr std::size_t kChunk = net::BufferPool::kBufferSize;
  while (!bytes.empty()) {
    if (chunks_.empty() || tail_ == kChunk) {
      chunks_.push_back(pool.acquire());
      tail_ = 0;
    }
    const std::size_t n = std::min(bytes.size(), kChunk - tail_);
    std::memcpy(chunks_.back().bytes().data() + tail_, bytes.data(), n);
    tail_ += n;
    size_ += n;
    bytes = bytes.subspan(n);
  }
}

std::size_t BodyQueue::read(std::uint8_t* out, std::size_t max) noexcept {
  constexpr std::size_t kChunk = net::BufferPool::kBufferSize;
  std::size_t copied = 0;
  while (copied < max && size_ > 0) {
    const std::size_t end = chunks_.size() == 1 ? tail_ : kChunk;
    const std::size_t n = std::min(max - copied, end - head_);
    std::memcpy(out + copied, chunks_.front().bytes().data() + head_, n);
    copied += n;
    head_ += n;
    size_ -= n;
    if (head_ == end) {
      // A drained chunk goes back to the pool at once: a stream holds buffers only while bytes
      // wait in it.
      chunks_.erase(chunks_.begin());
      head_ = 0;
      if (chunks_.empty()) tail_ = 0;
    }
  }
  return copied;
}

void BodyQueue::clear() noexcept {
  chunks_.clear();
  head_ = tail_ = size_ = 0;
}

void HeaderBlock::add(std::string_view name, std::string_view value) {
  const auto at = static_cast<std::uint32_t>(storage_.size());
  storage_.append(name);
  storage_.append(value);
  fields_.push_back({at, static_cast<std::uint32_t>(name.size()),
                     static_cast<std::uint32_t>(at + name.size()),
                     static_cast<std::uint32_t>(value.size())});
  list_size_ += name.size() + value.size() + 32;
}

std::string_view HeaderBlock::get(std::string_view name) const noexcept {
  for (const auto& f : fields_) {
    if (std::string_view(storage_.data() + f.name_at, f.name_len) == name) {
      return {storage_.data() + f.value_at, f.value_len};
    }
  }
  return {};
}

std::span<const nghttp2_nv> HeaderBlock::nva() {
  nv_.clear();
  auto* base = reinterpret_cast<std::uint8_t*>(storage_.data());
  for (const auto& f : fields_) {
    nv_.push_back({base + f.name_at, base + f.value_at, f.name_len, f.value_len,
                   NGHTTP2_NV_FLAG_NONE});
  }
  return nv_;
}

void HeaderBlock::clear() noexcept {
  storage_.clear();
  fields_.clear();
  nv_.clear();
  list_size_ = 0;
}

void H2Stream::reset() noexcept {
  server = nullptr;
  client_id = 0;
  endpoint = nullptr;
  endpoint_id = -1;
  request.clear();
  request_trailers.clear();
  request_body.clear();
  request_end = request_deferred = request_body_started = retried = false;
  response.clear();
  response_trailers.clear();
  response_body.clear();
  response_headers_done = response_submitted = response_end = response_deferred = false;
  request_too_large = false;
  grpc = false;
  status = 0;
  grpc_status = -1;
  latency_observed = counted = false;
  error = {};
  started = {};
  route = nullptr;
  own_route = {};
  dest = {};
  policy = {};
  lease = {};
  route_metrics = nullptr;
  own_route_metrics = {};
  replay.clear();
  replay_overflow = false;
  replay_credited = 0;
  tries = 0;
  last_activity = {};
  ++serial;
}

}  // namespace weft::http
