#pragma once
// TraceHash: a running BLAKE2b (libsodium crypto_generichash) over every event the simulator
// processes. Two runs of one (scenario, seed) must end with the same hash; any difference —
// an extra message, a timer firing a nanosecond later, one payload byte — changes it. This is
// how determinism itself is tested, and how a replayed seed is confirmed to be the same run.

#include <sodium.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace eyrie::sim {

class TraceHash {
 public:
  static constexpr std::size_t kDigestBytes = 32;

  TraceHash();

  // Integers are hashed as 8 little-endian bytes, so the hash is the same on every platform.
  void add(std::uint64_t value);
  void add_signed(std::int64_t value) { add(static_cast<std::uint64_t>(value)); }
  // Byte strings are length-prefixed so that ("ab","c") and ("a","bc") differ.
  void add_bytes(std::span<const std::byte> bytes);
  void add_text(std::string_view text);

  // Hex of the digest of everything added so far; adding more afterwards is allowed.
  std::string hex() const;

 private:
  crypto_generichash_state state_;
};

}  // namespace eyrie::sim
