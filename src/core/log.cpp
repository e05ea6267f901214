#include "weft/core/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/system/errc.hpp>

#include "weft/core/config.hpp"

namespace weft::core {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool level_from(std::string_view s, spdlog::level::level_enum& out) {
  using L = spdlog::level::level_enum;
  static constexpr std::pair<std::string_view, L> kLevels[] = {
      {"trace", L::trace}, {"debug", L::debug}, {"info", L::info},
      {"warn", L::warn},   {"error", L::err},   {"off", L::off}};
  for (const auto& [name, level] : kLevels) {
    if (s == name) {
      out = level;
      return true;
    }
  }
  return false;
}

// Escapes the message for a JSON string value, so any log text yields one valid JSON object.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      switch (c) {
        case '"': dest.append(std::string_view("\\\"")); break;
        case '\\': dest.append(std::string_view("\\\\")); break;
        case '\n': dest.append(std::string_view("\\n")); break;
        case '\r': dest.append(std::string_view("\\r")); break;
        case '\t': dest.append(std::string_view("\\t")); break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            static constexpr char kHex[] = "0123456789abcdef";
            const char esc[] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xf], kHex[c & 0xf]};
            dest.append(esc, esc + sizeof(esc));
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

}  // namespace

result<spdlog::level::level_enum> parse_log_filter(std::string_view filter) {
  auto level = spdlog::level::warn;
  std::optional<spdlog::level::level_enum> weft_level;
  bool any = false;
  while (!filter.empty()) {
    const auto comma = filter.find(',');
    const auto item = trim(filter.substr(0, comma));
    filter = comma == std::string_view::npos ? std::string_view{} : filter.substr(comma + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    spdlog::level::level_enum parsed{};
    if (eq == std::string_view::npos) {
      if (!level_from(item, parsed)) return make_error_code(boost::system::errc::invalid_argument);
      level = parsed;
    } else {
      if (!level_from(trim(item.substr(eq + 1)), parsed)) {
        return make_error_code(boost::system::errc::invalid_argument);
      }
      const auto target = trim(item.substr(0, eq));
      if (target.empty()) return make_error_code(boost::system::errc::invalid_argument);
      if (target == "weft" || target.starts_with("weft::")) weft_level = parsed;
    }
    any = true;
  }
  if (!any) return make_error_code(boost::system::errc::invalid_argument);
  return weft_level.value_or(level);
}

void init_logging(std::string_view filter, LogFormat format) {
  auto logger =
      std::make_shared<spdlog::logger>("weft", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == LogFormat::json) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonEscapedMessage>('*').set_pattern(
        R"({"timestamp":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","thread":%t,"message":"%*"})");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ [%t] %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(parse_log_filter(filter).value());
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace weft::core
