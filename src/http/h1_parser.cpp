#include "weft/http/h1_parser.hpp"

#include <charconv>
#include <string>

#include "weft/http/headers.hpp"

namespace weft::http {
namespace {

class H1Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "weft.h1"; }
  std::string message(int ev) const override {
    switch (static_cast<h1_error>(ev)) {
      case h1_error::header_too_large: return "HTTP/1 message head too large";
      case h1_error::too_many_headers: return "too many HTTP/1 header fields";
      case h1_error::malformed: return "malformed HTTP/1 message";
      case h1_error::smuggling: return "ambiguous HTTP/1 message framing";
      case h1_error::unsupported_transfer_encoding: return "unsupported transfer coding";
    }
    return "unknown HTTP/1 error";
  }
};

enum SpanKind { kStart, kUrl, kField, kValue };

// Trampolines: llhttp's C callbacks hand on to the parser that owns the llhttp_t.
H1Parser& self(llhttp_t* p) { return *static_cast<H1Parser*>(p->data); }
int on_message_begin(llhttp_t* p) { return self(p).handle_message_begin(); }
int on_start(llhttp_t* p, const char* at, std::size_t n) {
  return self(p).handle_span(kStart, at, n);
}
int on_url(llhttp_t* p, const char* at, std::size_t n) { return self(p).handle_span(kUrl, at, n); }
int on_field(llhttp_t* p, const char* at, std::size_t n) {
  return self(p).handle_span(kField, at, n);
}
int on_value(llhttp_t* p, const char* at, std::size_t n) {
  return self(p).handle_span(kValue, at, n);
}
int on_headers_complete(llhttp_t* p) { return self(p).handle_headers_complete(); }
int on_body(llhttp_t* p, const char* at, std::size_t n) { return self(p).handle_body(at, n); }
int on_message_complete(llhttp_t* p) { return self(p).handle_message_complete(); }

const llhttp_settings_t& settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = on_message_begin;
    s.on_method = on_start;
    s.on_version = on_start;
    s.on_status = on_start;
    s.on_url = on_url;
    s.on_header_field = on_field;
    s.on_header_value = on_value;
    s.on_headers_complete = on_headers_complete;
    s.on_body = on_body;
    s.on_message_complete = on_message_complete;
    return s;
  }();
  return s;
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether llhttp stopped at a space or tab between a field name and its colon (RFC 9112 §5.1
// says reject: some parsers strip it and read "Transfer-Encoding : chunked" as framing). llhttp
// stops at the colon after a space, and at the tab itself. Looks back only within this feed.
bool whitespace_before_colon(const char* begin, const char* pos) noexcept {
  if (pos == nullptr || pos <= begin) return false;
  const char* p = pos;
  if (*p == ':') --p;
  if (*p != ' ' && *p != '\t') return false;
  while (p > begin && (*p == ' ' || *p == '\t')) --p;
  const char* name_end = p + 1;
  while (p > begin && *p != '\n' && *p != ' ' && *p != ':') --p;
  return *p == '\n' && p + 1 < name_end;
}

}  // namespace

const boost::system::error_category& h1_category() noexcept {
  static const H1Category category;
  return category;
}

unsigned status_for(h1_error e) noexcept {
  switch (e) {
    case h1_error::header_too_large:
    case h1_error::too_many_headers: return 431;
    case h1_error::malformed:
    case h1_error::smuggling: return 400;
    case h1_error::unsupported_transfer_encoding: return 501;
  }
  return 400;
}

bool response_has_no_body(bool request_was_head, unsigned status) noexcept {
  return request_was_head || (status >= 100 && status < 200) || status == 204 || status == 304;
}

std::optional<std::string_view> MessageHead::find(std::string_view name) const noexcept {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

bool MessageHead::is_hop_by_hop(std::string_view name) const noexcept {
  if (is_fixed_hop_by_hop(name)) return true;
  for (const auto& h : headers) {
    if (iequals(h.name, "connection") && has_token(h.value, name)) return true;
  }
  return false;
}

H1Parser::H1Parser(MessageKind kind, H1Handler& handler, H1Limits limits)
    : handler_(handler), limits_(limits), kind_(kind) {
  reset();
}

void H1Parser::reset() noexcept {
  llhttp_init(&parser_, kind_ == MessageKind::request ? HTTP_REQUEST : HTTP_RESPONSE, &settings());
  parser_.data = this;
  block_.clear();
  fields_.clear();
  views_.clear();
  url_off_ = url_len_ = 0;
  last_ = Last::none;
  fed_before_ = 0;
  head_start_.reset();
  pending_.reset();
  failed_.reset();
  trailer_start_.reset();
  paused_ = upgraded_ = in_message_ = response_to_head_ = obs_fold_ = head_done_ = false;
}

result<std::size_t> H1Parser::feed(std::span<const std::byte> bytes) {
  if (failed_) return make_error_code(*failed_);
  if (upgraded_ || bytes.empty()) return std::size_t{0};
  if (paused_) {
    llhttp_resume(&parser_);
    paused_ = false;
  }
  const char* data = reinterpret_cast<const char*>(bytes.data());
  feed_begin_ = data;
  const llhttp_errno_t err = llhttp_execute(&parser_, data, bytes.size());
  std::size_t consumed = bytes.size();
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    consumed = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - data);
    if (err == HPE_PAUSED) {
      paused_ = true;
    } else {
      upgraded_ = true;
    }
  } else if (err != HPE_OK) {
    failed_ = pending_ ? *pending_ : map_llhttp_error(err, llhttp_get_error_pos(&parser_));
    return make_error_code(*failed_);
  }
  fed_before_ += consumed;
  return consumed;
}

result<void> H1Parser::finish() {
  if (failed_) return make_error_code(*failed_);
  if (upgraded_) return {};
  if (paused_) {
    llhttp_resume(&parser_);
    paused_ = false;
  }
  const llhttp_errno_t err = llhttp_finish(&parser_);
  if (err != HPE_OK && err != HPE_PAUSED) {
    failed_ = pending_ ? *pending_ : h1_error::malformed;
    return make_error_code(*failed_);
  }
  paused_ = err == HPE_PAUSED;
  return {};
}

int H1Parser::fail(h1_error e) noexcept {
  pending_ = e;
  return HPE_USER;
}

std::uint64_t H1Parser::stream_pos(const char* at) const noexcept {
  return fed_before_ + static_cast<std::uint64_t>(at - feed_begin_);
}

int H1Parser::handle_message_begin() noexcept {
  block_.clear();
  fields_.clear();
  url_off_ = url_len_ = 0;
  last_ = Last::none;
  head_start_.reset();
  obs_fold_ = false;
  head_done_ = false;
  trailer_start_.reset();
  in_message_ = true;
  return 0;
}

int H1Parser::handle_span(int which, const char* at, std::size_t len) noexcept {
  if (head_done_) return handle_trailer_span(which, at, len);
  // The head starts at the first span llhttp reports: the method of a request, the version of a
  // response (5 bytes after its start; the limit is approximate by that much).
  if (!head_start_) head_start_ = stream_pos(at);
  if (stream_pos(at + len) - *head_start_ > limits_.max_head_bytes) {
    return fail(h1_error::header_too_large);
  }
  if (which == kStart) return 0;
  if (which == kUrl) {
    if (last_ != Last::url) url_off_ = static_cast<std::uint32_t>(block_.size());
    url_len_ += static_cast<std::uint32_t>(len);
    last_ = Last::url;
    block_.append(at, len);
    return 0;
  }
  return record_field_span(which, at, len);
}

int H1Parser::handle_trailer_span(int which, const char* at, std::size_t len) noexcept {
  // Trailer fields (after the last chunk) reuse the head's block, which on_head is done with, and
  // are bounded like the head, counted from their first byte.
  if (!trailer_start_) {
    trailer_start_ = stream_pos(at);
    block_.clear();
    fields_.clear();
    last_ = Last::none;
  }
  if (stream_pos(at + len) - *trailer_start_ > limits_.max_head_bytes) {
    return fail(h1_error::header_too_large);
  }
  return record_field_span(which, at, len);
}

int H1Parser::record_field_span(int which, const char* at, std::size_t len) noexcept {
  if (which == kField) {
    if (last_ != Last::field) {
      if (fields_.size() >= limits_.max_headers) return fail(h1_error::too_many_headers);
      const auto off = static_cast<std::uint32_t>(block_.size());
      fields_.push_back({off, 0, off, 0});
    }
    fields_.back().name_len += static_cast<std::uint32_t>(len);
    fields_.back().value_off = static_cast<std::uint32_t>(block_.size() + len);
    last_ = Last::field;
  } else {  // kValue
    if (fields_.empty()) return fail(h1_error::malformed);
    // llhttp accepts an obs-fold (CRLF then SP/HT) and reports the continuation as a second
    // value span. A value split only by a feed boundary is contiguous in the stream; a fold is
    // not, because the CRLF SP between the spans is not part of either.
    if (last_ == Last::value && stream_pos(at) != value_end_) obs_fold_ = true;
    value_end_ = stream_pos(at + len);
    fields_.back().value_len += static_cast<std::uint32_t>(len);
    last_ = Last::value;
  }
  block_.append(at, len);
  return 0;
}

void H1Parser::fill_views() {
  views_.clear();
  for (const auto& f : fields_) {
    views_.push_back({std::string_view(block_).substr(f.name_off, f.name_len),
                      std::string_view(block_).substr(f.value_off, f.value_len)});
  }
}

std::optional<h1_error> H1Parser::check_framing(MessageHead& head) const noexcept {
  if (obs_fold_) return h1_error::smuggling;
  std::optional<std::uint64_t> length;
  bool has_te = false;
  std::string_view last_coding;
  bool other_coding = false;
  for (const auto& h : head.headers) {
    if (h.name.find_first_of(" \t") != std::string_view::npos) return h1_error::smuggling;
    if (iequals(h.name, "content-length")) {
      // Several Content-Length fields or list elements must all agree (RFC 9112 §6.3).
      std::string_view rest = h.value;
      while (true) {
        const auto comma = rest.find(',');
        const auto item = trim_ows(rest.substr(0, comma));
        std::uint64_t n = 0;
        const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
        if (item.empty() || ec != std::errc{} || ptr != item.data() + item.size()) {
          return h1_error::smuggling;
        }
        if (length && *length != n) return h1_error::smuggling;
        length = n;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    } else if (iequals(h.name, "transfer-encoding")) {
      has_te = true;
      std::string_view rest = h.value;
      while (true) {
        const auto comma = rest.find(',');
        const auto item = trim_ows(rest.substr(0, comma));
        if (!item.empty()) {
          if (!last_coding.empty() && !iequals(last_coding, "chunked")) other_coding = true;
          last_coding = item;
        }
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
  }
  if (has_te && length) return h1_error::smuggling;
  if (has_te && head.kind == MessageKind::request) {
    if (!iequals(last_coding, "chunked")) return h1_error::smuggling;
    if (other_coding) return h1_error::unsupported_transfer_encoding;
  }
  head.content_length = length;
  return std::nullopt;
}

int H1Parser::handle_headers_complete() noexcept {
  head_done_ = true;
  last_ = Last::none;
  fill_views();
  MessageHead head;
  head.kind = kind_;
  head.headers = views_;
  head.version_major = llhttp_get_http_major(&parser_);
  head.version_minor = llhttp_get_http_minor(&parser_);
  if (auto e = check_framing(head)) {
    pending_ = *e;
    return -1;
  }
  if (kind_ == MessageKind::request) {
    head.method = llhttp_method_name(static_cast<llhttp_method_t>(llhttp_get_method(&parser_)));
    head.target = std::string_view(block_).substr(url_off_, url_len_);
    const auto expect = head.find("expect");
    head.expect_continue = head.version_major == 1 && head.version_minor >= 1 && expect &&
                           iequals(trim_ows(*expect), "100-continue");
  } else {
    head.status = static_cast<unsigned>(llhttp_get_status_code(&parser_));
    head.no_body = response_has_no_body(response_to_head_, head.status);
  }
  head.upgrade = llhttp_get_upgrade(&parser_) != 0;
  head.chunked = (parser_.flags & F_CHUNKED) != 0 && !head.no_body;
  head.keep_alive = llhttp_should_keep_alive(&parser_) != 0;
  handler_.on_head(head);
  // 1 tells llhttp the message has no body. A HEAD response carries the length of the body it
  // does not have, and llhttp 8.1 would read Content-Length bytes after a 304 as its body, taking
  // the start of the next response with them (the unit tests pin this).
  return head.no_body ? 1 : 0;
}

int H1Parser::handle_body(const char* at, std::size_t len) noexcept {
  handler_.on_body(std::as_bytes(std::span(at, len)));
  return 0;
}

int H1Parser::handle_message_complete() noexcept {
  if (trailer_start_) {
    // A folded trailer value is the same ambiguity as a folded header value.
    if (obs_fold_) return fail(h1_error::smuggling);
    fill_views();
    handler_.on_trailers(views_);
  }
  in_message_ = false;
  if (kind_ == MessageKind::response) response_to_head_ = false;
  handler_.on_message_complete();
  // An upgrade ends with llhttp's own HPE_PAUSED_UPGRADE; pausing here as well would hide it.
  if (llhttp_get_upgrade(&parser_)) return 0;
  return HPE_PAUSED;
}

h1_error H1Parser::map_llhttp_error(llhttp_errno_t err, const char* pos) const noexcept {
  switch (err) {
    case HPE_UNEXPECTED_CONTENT_LENGTH:
    case HPE_INVALID_CONTENT_LENGTH:
    case HPE_INVALID_TRANSFER_ENCODING:
    case HPE_INVALID_CHUNK_SIZE: return h1_error::smuggling;
    case HPE_INVALID_HEADER_TOKEN:
      return whitespace_before_colon(feed_begin_, pos) ? h1_error::smuggling : h1_error::malformed;
    default: return h1_error::malformed;
  }
}

}  // namespace weft::http
