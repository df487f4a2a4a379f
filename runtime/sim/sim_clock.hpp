#pragma once
// The wall clock of one simulated node: virtual time, shifted by a fixed offset (skew) and
// running a little fast or slow (drift, in parts per million). Integer arithmetic only, so the
// same seed gives the same wall-clock readings on every machine.

#include <cstdint>

#include "runtime/assert.hpp"
#include "runtime/rng.hpp"
#include "runtime/types.hpp"

namespace eyrie::sim {

// Wall-clock reading of every node at virtual time zero before skew: 2024-01-01T00:00:00Z.
// A fixed epoch (not the host's clock) keeps runs reproducible.
inline constexpr std::int64_t kSimWallEpochNs = 1'704'067'200'000'000'000;

struct ClockModel {
  // |drift| is bounded so the wall clock never runs backwards or absurdly fast.
  static constexpr std::int64_t kDriftPpmMax = 100'000;

  Duration offset{};          // skew: wall clock minus true time, at time zero
  std::int64_t drift_ppm = 0;  // +100 = gains 100 µs per simulated second

  WallTime wall_at(Time now) const {
    EYRIE_ASSERT(drift_ppm >= -kDriftPpmMax && drift_ppm <= kDriftPpmMax);
    const std::int64_t elapsed_ns = to_ns(now);
    // 128-bit product: elapsed (up to ~292 years in ns) times ppm would overflow 64 bits.
    const auto drift_ns =
        static_cast<std::int64_t>(static_cast<__int128>(elapsed_ns) * drift_ppm / 1'000'000);
    return WallTime{Duration{kSimWallEpochNs + to_ns(offset) + elapsed_ns + drift_ns}};
  }

  // A clock with skew uniform in [-offset_max, offset_max] and drift in [-drift_max, drift_max].
  static ClockModel random(Rng& rng, Duration offset_max, std::int64_t drift_ppm_max) {
    EYRIE_ASSERT(drift_ppm_max >= 0 && drift_ppm_max <= kDriftPpmMax);
    return ClockModel{.offset = rng.range(-offset_max, offset_max),
                      .drift_ppm = rng.range(-drift_ppm_max, drift_ppm_max)};
  }
};

}  // namespace eyrie::sim
