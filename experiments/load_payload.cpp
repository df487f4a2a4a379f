#include "experiments/load_payload.hpp"

#include <algorithm>
#include <cstring>

namespace eyrie::experiments {

Payload make_load_payload(std::uint64_t seq, std::size_t size, std::uint8_t phase) {
  std::byte header[kPhaseOffset + 1];
  for (std::size_t i = 0; i < kPhaseOffset; ++i) header[i] = static_cast<std::byte>(seq >> (8 * i));
  header[kPhaseOffset] = static_cast<std::byte>(phase);
  std::byte* out = nullptr;
  Payload payload = Payload::allocate(size, out);
  const std::size_t head = std::min(size, sizeof header);
  std::memcpy(out, header, head);
  if (size > head) std::memset(out + head, static_cast<int>((seq * 0x9e3779b97f4a7c15ULL) >> 56), size - head);
  return payload;
}

std::optional<std::uint8_t> load_payload_phase(const Payload& payload) {
  if (payload.size() <= kPhaseOffset) return std::nullopt;
  return static_cast<std::uint8_t>(payload.data()[kPhaseOffset]);
}

}  // namespace eyrie::experiments
