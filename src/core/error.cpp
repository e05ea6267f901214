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
