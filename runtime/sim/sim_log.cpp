#include "runtime/sim/sim_log.hpp"

namespace eyrie::sim {

void SimLogSink::write(LogLevel level, std::string_view component, std::string_view text) {
  if (out_ == nullptr) return;
  const std::int64_t ns = to_ns(now_());
  // Seconds with microseconds: "  12.345678s"; wide enough to keep columns aligned for hours.
  const std::string line = fmt::format("{:5}.{:06}s {:<5} {}: {}\n", ns / 1'000'000'000,
                                       (ns % 1'000'000'000) / 1'000, to_string(level), component, text);
  std::fwrite(line.data(), 1, line.size(), out_);
}

}  // namespace eyrie::sim
