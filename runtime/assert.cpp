#include "runtime/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace eyrie {

void assertion_failed(std::string_view expression, std::string_view message, std::source_location where) {
  std::fprintf(stderr, "%s:%u: %s: assertion failed: %.*s%s%.*s\n", where.file_name(),
               static_cast<unsigned>(where.line()), where.function_name(), static_cast<int>(expression.size()),
               expression.data(), message.empty() ? "" : ": ", static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace eyrie
