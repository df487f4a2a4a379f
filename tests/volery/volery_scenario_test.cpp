// The `volery` scenario end to end (Volery on S-SMR over Ridge, under faults, judged by the
// linearizability checker against the znode-tree model and by the WatchChecker): determinism,
// slices of seeds, and proof that the checkers catch a Volery broken on purpose.
//
// Seed counts: EYRIE_VOLERY_SEEDS_FROM/TO choose the range of the slice test; the ctest
// registration runs 300 seeds in three slices (label soak) and 10 under the sanitizers (label
// sim). One seed is 35 simulated seconds, ~430 operations, about 0.45 s in a RelWithDebInfo build.

#include "tests/checkers/volery_scenario.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace eyrie::check {
namespace {

sim::ScenarioResult run(std::uint64_t seed, std::vector<std::string> flags = {}) {
  const VoleryScenario scenario;
  return scenario.run(sim::ScenarioRun{.seed = seed, .flags = std::move(flags)});
}

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value ? std::strtoull(value, nullptr, 10) : fallback;
}

TEST(VoleryScenario, sameSeedSameTraceAndOtherSeedsDiffer) {
  const auto a = run(3);
  const auto b = run(3);
  const auto c = run(4);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_NE(a.trace, c.trace);
}

TEST(VoleryScenario, passesASliceOfSeeds) {
  const std::uint64_t from = env_or("EYRIE_VOLERY_SEEDS_FROM", 1);
  const std::uint64_t to = env_or("EYRIE_VOLERY_SEEDS_TO", 10);
  for (std::uint64_t seed = from; seed <= to; ++seed) {
    const auto result = run(seed);
    ASSERT_TRUE(result.passed) << "seed " << seed << ": " << result.reason
                               << "\nreplay: eyrie sim volery --seed " << seed << " --verbose";
  }
}

// Each broken Volery must be caught on most seeds, with the reason its checker gives.
void expect_caught(const std::string& flag, const std::string& reason_part) {
  std::size_t caught = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const auto result = run(seed, {flag});
    if (result.passed) continue;
    ++caught;
    EXPECT_NE(result.reason.find(reason_part), std::string::npos) << "seed " << seed << ": " << result.reason;
  }
  EXPECT_GE(caught, 4u) << "--" << flag << " was caught on " << caught << " of 6 seeds";
}

TEST(VoleryScenarioNegative, skippingTheFifoCheckIsCaught) {
  expect_caught("unsafe-skip-fifo-check", "not after its predecessor");
}

// Events then come after replies that reflect them, or are lost with the session that ended first.
TEST(VoleryScenarioNegative, ignoringEventMarksIsCaught) { expect_caught("unsafe-ignore-marks", "session "); }

}  // namespace
}  // namespace eyrie::check
