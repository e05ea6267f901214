// The admin endpoints: /live, /ready, /metrics, and 404/405 for the rest. Decides a Response
// from a parsed Request; the server does the I/O. Same semantics as Linkerd's admin server.
#pragma once

#include "weft/admin/http.hpp"
#include "weft/metrics/tcp.hpp"

namespace weft::admin {

/// Answers one request:
/// - `/live`, any method: 200 "live\n".
/// - `/ready`, any method: 200 "ready\n" when `ready`, else 503 "not ready\n".
/// - `/metrics`: GET or HEAD renders `registry` (text format 0.0.4); other methods 405.
/// - anything else: 404.
/// The body is produced for HEAD too; the server does not send it. Runs on the admin thread.
Response handle_request(const Request& req, const metrics::Registry& registry, bool ready);

}  // namespace weft::admin
