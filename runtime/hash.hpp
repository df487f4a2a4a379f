#pragma once
// A 64-bit content fingerprint (FNV-1a) for checkers and tests: quick and deterministic, not a
// defence against anyone. Use libsodium's generichash where an adversary matters.

#include <cstdint>
#include <span>

namespace eyrie {

inline std::uint64_t fnv1a64(std::span<const std::byte> bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::byte b : bytes) {
    h ^= static_cast<std::uint64_t>(b);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace eyrie
