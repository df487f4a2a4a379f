// Fault plans stay inside the fault model they are given, and are a function of the seed.

#include "runtime/sim/fault_plan.hpp"

#include <gtest/gtest.h>

#include <set>

namespace eyrie::sim {
namespace {

using namespace std::chrono_literals;

const std::vector<NodeId> kNodes{NodeId{1}, NodeId{2}, NodeId{3}, NodeId{4}, NodeId{5}};

TEST(FaultPlan, respectsItsLimitsAndIsSortedByTime) {
  const FaultPlanOptions options{.duration = 60s, .down_max = 2};
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    Rng rng(seed);
    const std::vector<Fault> plan = plan_faults(rng, kNodes, options);
    std::set<NodeId> down;
    bool partitioned = false;
    Time previous{};
    for (const Fault& fault : plan) {
      ASSERT_GE(fault.at, previous);
      ASSERT_LT(fault.at, Time{60s});
      previous = fault.at;
      switch (fault.kind) {
        case Fault::Kind::crash:
          ASSERT_TRUE(down.insert(fault.node).second) << "crashed a node that was down";
          ASSERT_LE(down.size(), 2u);
          ASSERT_EQ(fault.disk, DiskFate::keep) << "disk loss was not allowed";
          break;
        case Fault::Kind::restart: ASSERT_EQ(down.erase(fault.node), 1u); break;
        case Fault::Kind::partition:
          ASSERT_FALSE(partitioned) << "one partition at a time";
          ASSERT_FALSE(fault.side_a.empty());
          ASSERT_FALSE(fault.side_b.empty());
          ASSERT_EQ(fault.side_a.size() + fault.side_b.size(), kNodes.size());
          partitioned = true;
          break;
        case Fault::Kind::heal: partitioned = false; break;
      }
    }
  }
}

TEST(FaultPlan, theSameSeedGivesTheSamePlan) {
  const auto describe = [](std::uint64_t seed) {
    Rng rng(seed);
    std::string text;
    for (const Fault& fault : plan_faults(rng, kNodes, FaultPlanOptions{})) text += fault.describe() + "\n";
    return text;
  };
  EXPECT_EQ(describe(9), describe(9));
  EXPECT_NE(describe(9), describe(10));
  EXPECT_NE(describe(9).find("crash"), std::string::npos);
  EXPECT_NE(describe(9).find("partition"), std::string::npos);
}

}  // namespace
}  // namespace eyrie::sim
