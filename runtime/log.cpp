#include "runtime/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace eyrie {

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::trace: return "trace";
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
    case LogLevel::off: return "off";
  }
  return "?";
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  for (auto level : {LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error,
                     LogLevel::off}) {
    if (text == to_string(level)) return level;
  }
  return std::nullopt;
}

void StderrLogSink::write(LogLevel level, std::string_view component, std::string_view text) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &utc);
  // One fwrite per line keeps lines whole when several processes share a terminal.
  const std::string line = fmt::format("{}.{:03d} {:<5} {} {}: {}\n", stamp, millis, to_string(level), node_,
                                       component, text);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

Logger Logger::child(std::string_view name) const {
  return Logger(*sink_, component_.empty() ? std::string(name) : component_ + "." + std::string(name), level_);
}

}  // namespace eyrie
