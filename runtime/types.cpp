#include "runtime/types.hpp"

#include <fmt/format.h>

namespace eyrie {

std::string to_string(NodeId id) {
  return id.is_external() ? fmt::format("x{:x}", id.value) : fmt::format("n{}", id.value);
}

std::string to_string(Duration d) {
  const std::int64_t ns = d.count();
  const std::int64_t magnitude = ns < 0 ? -ns : ns;
  if (magnitude < 1'000) return fmt::format("{}ns", ns);
  if (magnitude < 1'000'000) return fmt::format("{:.1f}us", static_cast<double>(ns) / 1e3);
  if (magnitude < 1'000'000'000) return fmt::format("{:.2f}ms", static_cast<double>(ns) / 1e6);
  return fmt::format("{:.2f}s", static_cast<double>(ns) / 1e9);
}

}  // namespace eyrie
