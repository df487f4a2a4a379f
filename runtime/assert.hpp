#pragma once
// EYRIE_ASSERT: invariants of protocol code. On in tests, debug and simulator builds
// (EYRIE_ASSERTS_ENABLED), compiled out otherwise. A failed assertion is a bug, never an
// input error: bad input must be rejected with an error before it can reach an assertion.

#include <source_location>
#include <string_view>

namespace eyrie {

[[noreturn]] void assertion_failed(std::string_view expression, std::string_view message,
                                   std::source_location where);

}  // namespace eyrie

#if defined(EYRIE_ASSERTS_ENABLED)
#define EYRIE_ASSERT(cond, ...)                                                              \
  do {                                                                                       \
    if (!(cond)) [[unlikely]]                                                                \
      ::eyrie::assertion_failed(#cond, "" __VA_ARGS__, std::source_location::current());    \
  } while (false)
#else
#define EYRIE_ASSERT(cond, ...) \
  do {                          \
    (void)sizeof(!(cond));      \
  } while (false)
#endif
