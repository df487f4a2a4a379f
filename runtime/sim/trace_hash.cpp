#include "runtime/sim/trace_hash.hpp"

#include <array>

#include "runtime/assert.hpp"

namespace eyrie::sim {

TraceHash::TraceHash() {
  // sodium_init is idempotent and only needed once per process; it returns 1 when already done.
  [[maybe_unused]] const int initialized = sodium_init();
  EYRIE_ASSERT(initialized >= 0, "libsodium failed to initialize");
  crypto_generichash_init(&state_, nullptr, 0, kDigestBytes);
}

void TraceHash::add(std::uint64_t value) {
  std::array<unsigned char, 8> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
  crypto_generichash_update(&state_, bytes.data(), bytes.size());
}

void TraceHash::add_bytes(std::span<const std::byte> bytes) {
  add(bytes.size());
  if (!bytes.empty()) {
    crypto_generichash_update(&state_, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  }
}

void TraceHash::add_text(std::string_view text) {
  add_bytes(std::as_bytes(std::span<const char>(text.data(), text.size())));
}

std::string TraceHash::hex() const {
  // Finalizing consumes the state, so finalize a copy: the trace can keep growing.
  crypto_generichash_state copy = state_;
  std::array<unsigned char, kDigestBytes> digest{};
  crypto_generichash_final(&copy, digest.data(), digest.size());
  std::array<char, kDigestBytes * 2 + 1> text{};
  sodium_bin2hex(text.data(), text.size(), digest.data(), digest.size());
  return std::string(text.data(), kDigestBytes * 2);
}

}  // namespace eyrie::sim
