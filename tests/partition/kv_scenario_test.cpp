// The `kv` scenario end to end (S-SMR over Ridge, judged by the linearizability checker):
// determinism, batches of seeds, and proof that the checker catches replicas that skip the
// signal exchange (execution atomicity) on the atomicity workload, which passes with it.
//
// Seed counts: EYRIE_KV_SEEDS_FROM/TO choose the range of the soak test; the ctest
// registration runs 500 seeds in five slices (label soak) and 10 under the sanitizers (label
// sim). One seed is 35 simulated seconds, ~390 commands, about 0.4 s in a RelWithDebInfo build.

#include "tests/checkers/kv_scenario.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace eyrie::check {
namespace {

sim::ScenarioResult run(std::uint64_t seed, std::vector<std::string> flags = {}) {
  const KvScenario scenario;
  return scenario.run(sim::ScenarioRun{.seed = seed, .flags = std::move(flags)});
}

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value ? std::strtoull(value, nullptr, 10) : fallback;
}

TEST(KvScenario, sameSeedSameTraceAndOtherSeedsDiffer) {
  const auto a = run(3);
  const auto b = run(3);
  const auto c = run(4);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_NE(a.trace, c.trace);
}

TEST(KvScenario, passesASliceOfSeeds) {
  const std::uint64_t from = env_or("EYRIE_KV_SEEDS_FROM", 1);
  const std::uint64_t to = env_or("EYRIE_KV_SEEDS_TO", 10);
  for (std::uint64_t seed = from; seed <= to; ++seed) {
    const auto result = run(seed);
    ASSERT_TRUE(result.passed) << "seed " << seed << ": " << result.reason
                               << "\nreplay: eyrie sim kv --seed " << seed << " --verbose";
  }
}

TEST(KvScenario, theAtomicityWorkloadPassesWithSignals) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    const auto result = run(seed, {"atomicity-workload"});
    ASSERT_TRUE(result.passed) << "seed " << seed << ": " << result.reason
                               << "\nreplay: eyrie sim kv --seed " << seed << " --atomicity-workload --verbose";
  }
}

TEST(KvScenarioNegative, skippingSignalsIsCaughtAsNotLinearizable) {
  std::size_t caught = 0;
  std::string first;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    const auto result = run(seed, {"unsafe-skip-signals"});
    if (result.passed) continue;
    ++caught;
    if (first.empty()) first = "seed " + std::to_string(seed) + ": " + result.reason;
    EXPECT_NE(result.reason.find("not linearizable"), std::string::npos) << result.reason;
  }
  EXPECT_GE(caught, 1u) << "the checker missed execution-atomicity violations on 8 seeds";
  std::printf("caught on %zu of 8 seeds; %s\n", caught, first.substr(0, 300).c_str());
}

}  // namespace
}  // namespace eyrie::check
