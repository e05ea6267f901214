#include "scrape.hpp"

namespace weft::cli {

std::optional<ScrapedSamples> scrape_metrics(const AdminAddr& addr,
                                             std::chrono::milliseconds timeout,
                                             std::ostream& err) {
  const auto url = "http://" + addr.to_string() + "/metrics";
  const auto at = StatClock::now();
  const auto response = http_get(addr, "/metrics", timeout);
  if (!response) {
    err << "weft: cannot scrape " << url << ": " << response.error().message() << "\n";
    return std::nullopt;
  }
  if (response->status != 200) {
    err << "weft: cannot scrape " << url << ": HTTP status " << response->status << "\n";
    return std::nullopt;
  }
  metrics::ParseError parse_error;
  auto samples = metrics::parse_text(response->body, &parse_error);
  if (!samples) {
    err << "weft: " << url << " is not Prometheus text: line " << parse_error.line << ": "
        << parse_error.reason << "\n";
    return std::nullopt;
  }
  return ScrapedSamples{std::move(*samples), at};
}

}  // namespace weft::cli
