#pragma once
// The payloads of Eyrie's load generators: a pure function of (seq, size, phase), so that any
// process can tell what a message must contain from its id alone, and a benchmark can tag the
// messages of a measurement phase without a side channel.
//
// Layout: bytes 0..7 hold the seq (little-endian), byte 8 the phase, every later byte the
// same filler value derived from the seq (memset: a 64 KiB payload costs no more to build than
// to copy). Payloads shorter than 9 bytes hold a prefix of that header and carry no phase.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "runtime/payload.hpp"

namespace eyrie::experiments {

inline constexpr std::size_t kPhaseOffset = 8;

Payload make_load_payload(std::uint64_t seq, std::size_t size, std::uint8_t phase);

// The phase byte of a payload made by make_load_payload, or nullopt when it is too short.
std::optional<std::uint8_t> load_payload_phase(const Payload& payload);

}  // namespace eyrie::experiments
