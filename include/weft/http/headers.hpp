// HTTP field helpers shared by the HTTP/1 codec and, later, the proxy's forwarding code: which
// fields are hop-by-hop (RFC 9110 §7.6.1) and must not be forwarded, and case-insensitive matching
// of field names and comma-separated tokens. Pure functions over string_views; no allocation.
#pragma once

#include <string_view>

namespace weft::http {

/// ASCII case-insensitive equality, as field names and most tokens compare.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// Whether the comma-separated list `value` (e.g. a Connection value, "keep-alive, Upgrade")
/// contains `token`, case-insensitively, ignoring optional whitespace around elements.
bool has_token(std::string_view value, std::string_view token) noexcept;

/// Whether `name` is one of the fixed hop-by-hop fields: Connection, Keep-Alive,
/// Proxy-Connection, TE, Transfer-Encoding, Upgrade.
bool is_fixed_hop_by_hop(std::string_view name) noexcept;

/// Whether a field called `name` must be dropped when the message is forwarded: a fixed
/// hop-by-hop field, or a field named by a token in `connection` (the message's Connection
/// values, joined with ", " when there are several; empty when there is none).
bool is_hop_by_hop(std::string_view name, std::string_view connection) noexcept;

}  // namespace weft::http
