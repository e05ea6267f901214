// Process-wide logging on spdlog: the filter syntax of WEFT_PROXY_LOG ("warn,weft=info", as
// Linkerd's LINKERD2_PROXY_LOG) and the plain or JSON line format. Configured once at startup;
// logging calls are safe from any thread.
#pragma once

#include <spdlog/common.h>

#include <string_view>

#include "weft/core/result.hpp"

namespace weft::core {

enum class LogFormat;

/// The level weft's own messages log at. A bare level sets the default; `weft=<level>` overrides
/// it (other targets are accepted and ignored, so Linkerd-style filters parse).
/// Errors: invalid_argument for an unknown level or a malformed item.
result<spdlog::level::level_enum> parse_log_filter(std::string_view filter);

/// Installs the stderr logger. Precondition: `filter` parsed by parse_log_filter.
void init_logging(std::string_view filter, LogFormat format);

}  // namespace weft::core
