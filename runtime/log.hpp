#pragma once
// Leveled logging. A Logger is a (sink, component, level) triple passed to whoever logs; there
// is no global logger. The sink decides where lines go and what prefix they get: the real
// runtime writes "wall-time level node component: text" to stderr, the simulator prefixes
// virtual time and keeps lines only when asked (so a run of many seeds stays quiet).

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

namespace eyrie {

enum class LogLevel { trace = 0, debug = 1, info = 2, warn = 3, error = 4, off = 5 };

std::string_view to_string(LogLevel level);
// Parses "trace".."error"/"off"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view text);

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void write(LogLevel level, std::string_view component, std::string_view text) = 0;
};

// Writes to stderr with a wall-clock prefix; `node` names the process in every line.
class StderrLogSink final : public LogSink {
 public:
  explicit StderrLogSink(std::string node) : node_(std::move(node)) {}
  void write(LogLevel level, std::string_view component, std::string_view text) override;

 private:
  std::string node_;
};

// Discards everything.
class NullLogSink final : public LogSink {
 public:
  void write(LogLevel, std::string_view, std::string_view) override {}
};

class Logger {
 public:
  Logger(LogSink& sink, std::string component, LogLevel level = LogLevel::info)
      : sink_(&sink), component_(std::move(component)), level_(level) {}

  // A logger for a sub-component ("node1" -> "node1.echo") with the same sink and level.
  Logger child(std::string_view name) const;

  bool enabled(LogLevel level) const { return level >= level_; }
  LogLevel level() const { return level_; }
  void set_level(LogLevel level) { level_ = level; }
  const std::string& component() const { return component_; }

  template <typename... Args>
  void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
    if (!enabled(level)) return;
    sink_->write(level, component_, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void trace(fmt::format_string<Args...> f, Args&&... a) { log(LogLevel::trace, f, std::forward<Args>(a)...); }
  template <typename... Args>
  void debug(fmt::format_string<Args...> f, Args&&... a) { log(LogLevel::debug, f, std::forward<Args>(a)...); }
  template <typename... Args>
  void info(fmt::format_string<Args...> f, Args&&... a) { log(LogLevel::info, f, std::forward<Args>(a)...); }
  template <typename... Args>
  void warn(fmt::format_string<Args...> f, Args&&... a) { log(LogLevel::warn, f, std::forward<Args>(a)...); }
  template <typename... Args>
  void error(fmt::format_string<Args...> f, Args&&... a) { log(LogLevel::error, f, std::forward<Args>(a)...); }

 private:
  LogSink* sink_;
  std::string component_;
  LogLevel level_;
};

// Logs the first `burst` events, then one in every `every_nth`, and says how many it skipped.
// For events that an attacker or a broken peer can repeat at will (malformed frames).
class LogLimiter {
 public:
  LogLimiter(std::uint64_t burst = 10, std::uint64_t every_nth = 1000) : burst_(burst), every_nth_(every_nth) {}
  // True when this occurrence should be logged.
  bool should_log() {
    ++seen_;
    return seen_ <= burst_ || (seen_ - burst_) % every_nth_ == 0;
  }
  std::uint64_t seen() const { return seen_; }

 private:
  std::uint64_t burst_;
  std::uint64_t every_nth_;
  std::uint64_t seen_ = 0;
};

}  // namespace eyrie
