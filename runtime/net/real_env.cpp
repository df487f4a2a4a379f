#include "runtime/net/real_env.hpp"

#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <system_error>

namespace eyrie::net {

std::uint64_t os_random_u64() {
  std::uint64_t value = 0;
  auto* out = reinterpret_cast<char*>(&value);
  std::size_t got = 0;
  while (got < sizeof value) {
    const ssize_t n = ::getrandom(out + got, sizeof value - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "getrandom");
    got += static_cast<std::size_t>(n);
  }
  return value;
}

WallTime RealEnv::wall_clock() const {
  return WallTime{std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch())};
}

}  // namespace eyrie::net
