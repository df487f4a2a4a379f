#pragma once
// Eyrie's own seeded PRNG and distributions. The simulator's runs must be a pure function of
// the seed on every standard library, so nothing here uses std:: distributions (their output
// is implementation-defined) or floating-point transcendental functions.
//
// Generator: xoshiro256** (Blackman and Vigna), seeded through SplitMix64.

#include <array>
#include <cstdint>

#include "runtime/types.hpp"

namespace eyrie {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t next_u64();
  // Uniform in [0, bound). Precondition: bound > 0. Unbiased (Lemire's method).
  std::uint64_t uniform(std::uint64_t bound);
  // Uniform in [low, high], both inclusive. Precondition: low <= high.
  std::int64_t range(std::int64_t low, std::int64_t high);
  Duration range(Duration low, Duration high) { return Duration{range(low.count(), high.count())}; }
  // True with probability numerator / denominator.
  bool chance(std::uint64_t numerator, std::uint64_t denominator);
  // True with probability ppm / 1'000'000.
  bool chance_ppm(std::uint32_t ppm) { return chance(ppm, 1'000'000); }
  // Uniform in [0, 1) with 53 random bits; only arithmetic, so deterministic everywhere.
  double next_double();
  // An independent generator derived from this one (e.g. one per simulated node).
  Rng fork();

 private:
  std::array<std::uint64_t, 4> state_{};
};

// SplitMix64 step: also a good 64-bit mixer for hashing small keys.
std::uint64_t splitmix64(std::uint64_t& state);

}  // namespace eyrie
