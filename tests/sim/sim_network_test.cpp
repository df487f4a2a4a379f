// Network rules: partitions (symmetric, one-way, in flight), healing, loss, duplication,
// reordering by jitter.

#include "runtime/sim/simulator.hpp"

#include <gtest/gtest.h>

#include "tests/sim/probe_role.hpp"

namespace eyrie::sim {
namespace {

using namespace std::chrono_literals;
using testing::Journal;
using testing::kProbe;
using testing::probe;
using testing::quiet_options;
using testing::text;

constexpr NodeId n1{1};
constexpr NodeId n2{2};
constexpr NodeId n3{3};

Time at(Duration d) { return Time{d}; }

// Two (or three) probes on a 1 ms, lossless network; `say` sends from one node at a given time.
class NetworkTest : public ::testing::Test {
 protected:
  explicit NetworkTest(SimOptions options = quiet_options()) : sim_(options) {
    for (NodeId id : {n1, n2, n3}) {
      sim_.add_node({.id = id, .make_roles = probe(journal_)});
      sim_.boot(id);
    }
  }
  void say(Time when, NodeId from, NodeId to, std::string body) {
    sim_.at(when, "say", [this, from, to, body] { sim_.node(from).send(to, kProbe, text(body)); });
  }
  std::vector<std::string> heard_by(NodeId id) const {
    std::vector<std::string> bodies;
    for (const auto& seen : journal_.seen) {
      if (seen.node == id) bodies.push_back(seen.body);
    }
    return bodies;
  }

  Journal journal_;
  Simulator sim_;
};

using Bodies = std::vector<std::string>;

TEST_F(NetworkTest, symmetricPartitionBlocksBothWaysUntilHealed) {
  const std::vector<NodeId> a{n1};
  const std::vector<NodeId> b{n2};
  sim_.network().partition(a, b, PartitionKind::symmetric);
  say(at(1ms), n1, n2, "lost 1->2");
  say(at(1ms), n2, n1, "lost 2->1");
  say(at(1ms), n1, n3, "3 is not partitioned");
  sim_.at(at(5ms), "heal", [this] { sim_.network().heal(); });
  say(at(6ms), n1, n2, "after heal 1->2");
  say(at(6ms), n2, n1, "after heal 2->1");
  sim_.run_until(at(20ms));
  EXPECT_EQ(heard_by(n2), Bodies{"after heal 1->2"});
  EXPECT_EQ(heard_by(n1), Bodies{"after heal 2->1"});
  EXPECT_EQ(heard_by(n3), Bodies{"3 is not partitioned"});
  EXPECT_EQ(sim_.stats().messages_partitioned, 2u);
}

TEST_F(NetworkTest, oneWayPartitionBlocksOnlyFromSideAToSideB) {
  const std::vector<NodeId> a{n1};
  const std::vector<NodeId> b{n2, n3};
  sim_.network().partition(a, b, PartitionKind::one_way);
  say(at(1ms), n1, n2, "blocked");
  say(at(1ms), n2, n1, "2 still reaches 1");
  say(at(1ms), n3, n1, "3 still reaches 1");
  sim_.run_until(at(20ms));
  EXPECT_TRUE(heard_by(n2).empty());
  EXPECT_EQ(heard_by(n1), (Bodies{"2 still reaches 1", "3 still reaches 1"}));
  EXPECT_TRUE(sim_.network().blocked(n1, n3));
  EXPECT_FALSE(sim_.network().blocked(n3, n1));
}

TEST_F(NetworkTest, aMessageInFlightIntoAPartitionIsLost) {
  sim_.network().set_latency(n1, n2, LatencyModel{.base = 10ms, .jitter = Duration::zero()});
  say(at(0ms), n1, n2, "sent before the partition");
  sim_.at(at(5ms), "partition", [this] {
    const std::vector<NodeId> a{n1};
    const std::vector<NodeId> b{n2};
    sim_.network().partition(a, b, PartitionKind::symmetric);
  });
  sim_.at(at(20ms), "heal", [this] { sim_.network().heal(); });
  sim_.run_until(at(50ms));
  EXPECT_TRUE(heard_by(n2).empty());
  EXPECT_EQ(sim_.stats().messages_partitioned, 1u);
  EXPECT_EQ(sim_.network().in_flight(n1, n2), 0u);
}

TEST_F(NetworkTest, messagesToACrashedNodeAreLost) {
  sim_.crash(n2);
  say(at(1ms), n1, n2, "nobody home");
  sim_.run_until(at(10ms));
  EXPECT_TRUE(heard_by(n2).empty());
  EXPECT_EQ(sim_.stats().messages_to_down_nodes, 1u);
}

TEST(Network, jitterReordersMessagesOnOneLink) {
  Network network(NetworkOptions{.latency = {.base = 1ms, .jitter = 10ms}}, Rng(3));
  bool reordered = false;
  Duration previous = Duration::zero();
  for (int i = 0; i < 100; ++i) {
    // Sent 1 ms apart: message i arrives at i ms + its delay.
    const MessageFate fate = network.route(n1, n2);
    ASSERT_EQ(fate.outcome, MessageFate::Outcome::delivered);
    const Duration arrival = i * 1ms + fate.delays[0];
    if (i > 0 && arrival < previous) reordered = true;
    previous = arrival;
    EXPECT_GE(fate.delays[0], 1ms);
    EXPECT_LE(fate.delays[0], 11ms);
  }
  EXPECT_TRUE(reordered);
}

TEST(Network, dropAndDuplicateRatesAreApplied) {
  Network network(NetworkOptions{.drop_ppm = 250'000, .duplicate_ppm = 250'000}, Rng(4));
  int dropped = 0;
  int duplicated = 0;
  for (int i = 0; i < 10'000; ++i) {
    const MessageFate fate = network.route(n1, n2);
    dropped += fate.outcome == MessageFate::Outcome::dropped;
    duplicated += fate.copies == 2;
  }
  // 25 % each (duplicates only among the 75 % kept): wide margins, the draw is fixed anyway.
  EXPECT_NEAR(dropped, 2500, 300);
  EXPECT_NEAR(duplicated, 1875, 300);
}

TEST(Network, aFullLinkDropsInsteadOfGrowingWithoutBound) {
  Network network(NetworkOptions{.in_flight_per_link_max = 3}, Rng(5));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(network.route(n1, n2).outcome, MessageFate::Outcome::delivered);
  EXPECT_EQ(network.route(n1, n2).outcome, MessageFate::Outcome::link_full);
  network.arrived(n1, n2);
  EXPECT_EQ(network.route(n1, n2).outcome, MessageFate::Outcome::delivered);
}

TEST(LatencyModel, longTailAddsRareLargeDelays) {
  const LatencyModel model{.base = 1ms, .jitter = Duration::zero(), .tail_ppm = 100'000, .tail = 1s};
  Rng rng(6);
  int slow = 0;
  for (int i = 0; i < 1000; ++i) slow += model.sample(rng) > 2ms;
  EXPECT_GT(slow, 50);
  EXPECT_LT(slow, 150);
}

}  // namespace
}  // namespace eyrie::sim
