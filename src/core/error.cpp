#include "weft/core/error.hpp"

#include <string>

namespace weft {
namespace {

class WeftCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "weft"; }

  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::detect_timeout: return "protocol detection timed out";
      case errc::connect_timeout: return "connect timed out";
      case errc::idle_timeout: return "connection idle timeout";
      case errc::no_original_dst: return "no original destination";
      case errc::forwarding_loop: return "original destination is the proxy itself";
      case errc::shutting_down: return "proxy is shutting down";
      case errc::endpoint_closed: return "endpoint closed the connection before responding";
      case errc::bad_response: return "endpoint sent a malformed HTTP response";
      case errc::h2_protocol_error: return "HTTP/2 protocol error";
      case errc::stream_reset: return "stream reset by peer";
      case errc::unexpected: return "unexpected error";
      case errc::failfast: return "service in fail-fast: no endpoint became ready";
      case errc::loadshed: return "service unavailable: too many requests waiting for an endpoint";
      case errc::request_timeout: return "request timed out";
      case errc::response_timeout: return "response timed out";
      case errc::retry_response: return "response to be retried";
      case errc::bad_certificate: return "certificate, key or trust bundle is not valid";
      case errc::tls_handshake: return "TLS handshake failed";
      case errc::tls_unknown_ca: return "peer certificate is not signed by a trust anchor";
      case errc::tls_cert_expired: return "peer certificate has expired or is not yet valid";
      case errc::tls_identity_mismatch: return "peer identity is not the expected one";
      case errc::tls_identity_required: return "port requires an authenticated client";
      case errc::identity_not_ready: return "this proxy's identity is not loaded";
    }
    return "unknown weft error";
  }
};

}  // namespace

const boost::system::error_category& weft_category() noexcept {
  static const WeftCategory category;
  return category;
}

}  // namespace weft
