#include "weft/admin/routes.hpp"

#include "weft/metrics/text_writer.hpp"

namespace weft::admin {

Response handle_request(const Request& req, const metrics::Registry& registry, bool ready) {
  Response r;
  if (req.path == "/live") {
    r.body = "live\n";
  } else if (req.path == "/ready") {
    r.status = ready ? 200 : 503;
    r.body = ready ? "ready\n" : "not ready\n";
  } else if (req.path == "/metrics") {
    if (req.method != "GET" && req.method != "HEAD") {
      r.status = 405;
      r.allow = "GET, HEAD";
      r.body = "method not allowed\n";
    } else {
      r.content_type = metrics::kTextContentType;
      r.body = registry.render();
    }
  } else {
    r.status = 404;
    r.body = "not found\n";
  }
  return r;
}

}  // namespace weft::admin
