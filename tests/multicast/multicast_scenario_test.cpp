// The `multicast` scenarios end to end: determinism, batches of seeds, and proof that the
// checker catches a broken merge and a broken Phase 2 when they are injected.
//
// Seed counts: EYRIE_MULTICAST_SEEDS_FROM/TO (environment) choose the range of the soak test;
// the ctest registration runs 1000 seeds in ten slices (label soak), and 30 seeds under the
// sanitizers (label sim). One seed is 35 simulated seconds, 600 multicasts (see
// `eyrie sim --help`), about 0.25 s in a RelWithDebInfo build.

#include "tests/checkers/multicast_scenario.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace eyrie::check {
namespace {

sim::ScenarioResult run(const sim::Scenario& scenario, std::uint64_t seed) {
  return scenario.run(sim::ScenarioRun{.seed = seed});
}

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value ? std::strtoull(value, nullptr, 10) : fallback;
}

TEST(MulticastScenario, sameSeedSameTraceAndOtherSeedsDiffer) {
  const MulticastScenario scenario;
  const auto a = run(scenario, 7);
  const auto b = run(scenario, 7);
  const auto c = run(scenario, 8);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_NE(a.trace, c.trace);
}

TEST(MulticastScenario, passesASliceOfSeeds) {
  const MulticastScenario scenario;  // acceptor storage, memory or disk, chosen by each seed
  const std::uint64_t from = env_or("EYRIE_MULTICAST_SEEDS_FROM", 1);
  const std::uint64_t to = env_or("EYRIE_MULTICAST_SEEDS_TO", 30);
  for (std::uint64_t seed = from; seed <= to; ++seed) {
    const auto result = run(scenario, seed);
    ASSERT_TRUE(result.passed) << "seed " << seed << ": " << result.reason
                               << "\nreplay: eyrie sim multicast --seed " << seed << " --verbose";
  }
}

TEST(MulticastScenario, restartedLearnersResumeFromCheckpointsAndFromScratch) {
  // Both kinds of restart happen within a few seeds (the summary line counts them), so the
  // seeds above exercise resumed incarnations and the checker judges them.
  const MulticastScenario scenario;
  std::size_t from_checkpoint = 0, from_scratch = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const auto result = run(scenario, seed);
    ASSERT_TRUE(result.passed) << "seed " << seed << ": " << result.reason;
    for (const std::string& line : result.summary) {
      std::size_t checkpoint = 0, scratch = 0;
      if (std::sscanf(line.c_str(), "learner restarts: %zu from a checkpoint, %zu from scratch", &checkpoint, &scratch) == 2) {
        from_checkpoint += checkpoint;
        from_scratch += scratch;
      }
    }
  }
  EXPECT_GT(from_checkpoint, 0u);
  EXPECT_GT(from_scratch, 0u);
}

// A fault must be caught on some seed of a small range; each seed returns its verdict.
std::string first_failure(const MulticastScenario& scenario, std::uint64_t seeds) {
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    const auto result = run(scenario, seed);
    if (!result.passed) return "seed " + std::to_string(seed) + ": " + result.reason;
  }
  return "";
}

TEST(MulticastScenarioNegative, aMergeThatIgnoresTimestampOrderIsCaught) {
  const MulticastScenario broken({.groups_max = 3, .acceptor_storage = std::nullopt, .break_merge = true}, "broken-merge");
  const std::string failure = first_failure(broken, 10);
  ASSERT_FALSE(failure.empty()) << "the checker missed a broken merge on 10 seeds";
  EXPECT_TRUE(failure.find("order") != std::string::npos || failure.find("timestamp") != std::string::npos)
      << failure;
}

TEST(MulticastScenarioNegative, aPhase2WithoutAQuorumIsCaught) {
  const MulticastScenario broken({.acceptor_storage = multicast::AcceptorStorage::disk, .break_phase2 = true},
                                 "broken-phase2");
  const std::string failure = first_failure(broken, 40);
  ASSERT_FALSE(failure.empty()) << "the checker missed decisions without a quorum on 40 seeds";
}

}  // namespace
}  // namespace eyrie::check
