// The ensemble layer's protocol rules, one test per rule, on real EnsembleHosts in the
// simulator (Bezerra, Scalable State Machine Replication, §5.3.2-5.3.3).

#include <gtest/gtest.h>

#include "tests/multicast/ensemble_sim_support.hpp"
#include "tests/sim/probe_role.hpp"

namespace eyrie::multicast::testing {
namespace {

using namespace std::chrono_literals;

// Three candidates on acceptor nodes, two more learners: every node learns.
Topology small() {
  return Topology{.candidates = {NodeId{1}, NodeId{2}, NodeId{3}},
                  .acceptors = {NodeId{1}, NodeId{2}, NodeId{3}},
                  .learners = {NodeId{1}, NodeId{2}, NodeId{3}, NodeId{4}, NodeId{5}}};
}

// Coordinators apart from acceptors, so that each can fail alone.
Topology split() {
  return Topology{.candidates = {NodeId{1}, NodeId{2}},
                  .acceptors = {NodeId{3}, NodeId{4}, NodeId{5}},
                  .learners = {NodeId{3}, NodeId{4}, NodeId{5}, NodeId{6}, NodeId{7}}};
}

std::size_t messages_emitted(const EnsembleJournal& journal, NodeId node) {
  std::size_t n = 0;
  for (const Emitted& e : journal.emitted.at(node)) n += e.ids.size();
  return n;
}

std::optional<Instance> instance_of(const EnsembleJournal& journal, NodeId node, const MessageId& id) {
  for (const Emitted& e : journal.emitted.at(node)) {
    if (std::find(e.ids.begin(), e.ids.end(), id) != e.ids.end()) return e.instance;
  }
  return std::nullopt;
}

TEST(EnsembleChain, decidesAndEveryLearnerEmitsTheSameBatchesGapFreeInOrder) {
  Cluster c(sim::testing::quiet_options(1), small(), test_config(small()));
  c.boot_all();
  for (int i = 0; i < 30; ++i) c.multicast_at(at_ms(10 + i), "m" + std::to_string(i));
  c.sim.run_until(at_ms(200));
  const auto decided = check_learners_agree(c.journal);
  EXPECT_EQ(c.journal.acked, c.journal.sent);
  EXPECT_EQ(decided.size(), 30u);
  for (const auto& [id, count] : decided) EXPECT_EQ(count, 1) << to_string(id);
  for (NodeId learner : small().learners) EXPECT_EQ(messages_emitted(c.journal, learner), 30u);
  EXPECT_EQ(c.host(NodeId{1}).coordinator(kEnsemble)->mode(), Coordinator::Mode::leading);
}

TEST(EnsembleBatching, aLoneMessageAtLowLoadIsProposedWithoutWaitingForABatch) {
  RidgeConfig config = test_config(small());
  config.batching.batch_delay_max = 100ms;  // a waiting batch would be obvious
  config.null_interval = 1s;
  Cluster c(sim::testing::quiet_options(2), small(), config);
  c.boot_all();
  c.multicast_at(at_ms(50), "alone");
  c.sim.run_until(at_ms(60));
  // Sender -> coordinator, two chain hops, decision -> learner: 1 ms each, nothing waits.
  EXPECT_EQ(c.journal.acked.size(), 1u);
  EXPECT_EQ(messages_emitted(c.journal, NodeId{5}), 1u);
}

TEST(EnsembleBatching, messagesAccumulateOnlyWhileEveryInFlightSlotIsBusy) {
  RidgeConfig config = test_config(small());
  config.inflight_instances_max = 1;
  config.null_interval = 1s;
  Cluster c(sim::testing::quiet_options(3), small(), config);
  c.boot_all();
  c.sim.at(at_ms(50), "burst", [&] {
    for (int i = 0; i < 10; ++i) c.sender().multicast("burst" + std::to_string(i));
  });
  c.sim.run_until(at_ms(150));
  std::vector<std::size_t> sizes;
  for (const Emitted& e : c.journal.emitted.at(NodeId{4})) {
    if (!e.ids.empty()) sizes.push_back(e.ids.size());
  }
  // The first message finds a free slot; the other nine arrive while it is in flight and
  // leave together, one batch, once batch_delay_max lets a second instance start.
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[0], 1u);
  EXPECT_EQ(sizes[1], 9u);
  EXPECT_EQ(c.journal.acked.size(), 10u);
}

TEST(EnsembleNullMessages, anIdleEnsembleProposesANullBatchEveryDelta) {
  Cluster c(sim::testing::quiet_options(4), small(), test_config(small()));
  c.boot_all();
  c.sim.run_until(at_ms(205));
  const auto& seq = c.journal.emitted.at(NodeId{5});
  // Δ = 5 ms over ~200 ms, minus start-up (Phase 1, first chain).
  EXPECT_GE(seq.size(), 35u);
  EXPECT_LE(seq.size(), 41u);
  for (std::size_t i = 0; i < seq.size(); ++i) {
    EXPECT_TRUE(seq[i].ids.empty());
    if (i > 0) {
      EXPECT_GT(seq[i].null_timestamp, seq[i - 1].null_timestamp);
    }
  }
  check_learners_agree(c.journal);
}

TEST(EnsembleFailover, coordinatorCrashCandidateTakesOverAndVotedValuesSurvive) {
  RidgeConfig config = test_config(split(), AcceptorStorage::disk);
  config.null_interval = 10s;  // instance numbers follow the messages only
  Cluster c(sim::testing::quiet_options(5), split(), config);
  c.boot_all();
  c.multicast_at(at_ms(20), "before");
  // The chain is [3, 4]: cut 3 -> 4 so that the next value gets one vote and no decision,
  // and keep 5 from answering candidate 2, so that 2's Phase 1 must hear acceptor 3's vote.
  c.sim.at(at_ms(40), "cut", [&] {
    c.sim.network().block(NodeId{3}, NodeId{4});
    c.sim.network().block(NodeId{5}, NodeId{2});
  });
  c.multicast_at(at_ms(50), "voted");
  c.sim.at(at_ms(55), "crash coordinator", [&] { c.sim.crash(NodeId{1}); });
  Round voted_round;
  c.sim.at(at_ms(56), "inspect", [&] {
    const Acceptor::AcceptedVote* vote = c.host(NodeId{3}).acceptor(kEnsemble)->vote(Instance{1});
    ASSERT_NE(vote, nullptr) << "acceptor 3 voted for the second message";
    EXPECT_EQ(vote->value.messages.at(0).payload, sim::testing::text("voted"));
    voted_round = vote->round;
    EXPECT_EQ(c.host(NodeId{4}).acceptor(kEnsemble)->vote(Instance{1}), nullptr);
  });
  c.sim.run_until(at_ms(600));
  const MessageId before{kSender, 1}, voted{kSender, 2};
  EXPECT_EQ(instance_of(c.journal, NodeId{7}, before), Instance{0});
  EXPECT_EQ(instance_of(c.journal, NodeId{7}, voted), Instance{1}) << "the voted value keeps its instance";
  Coordinator* next = c.host(NodeId{2}).coordinator(kEnsemble);
  EXPECT_EQ(next->mode(), Coordinator::Mode::leading);
  EXPECT_GT(next->round(), voted_round);
  EXPECT_EQ(c.journal.acked, c.journal.sent);
  check_learners_agree(c.journal);
}

TEST(EnsembleDurability, aDiskAcceptorKeepsItsPromiseAndVotesAcrossACrash) {
  Cluster c(sim::testing::quiet_options(13), split(), test_config(split(), AcceptorStorage::disk));
  c.boot_all();
  for (int i = 0; i < 5; ++i) c.multicast_at(at_ms(20 + i), "m" + std::to_string(i));
  Round promised;
  std::vector<std::uint64_t> digests;
  c.sim.at(at_ms(60), "crash acceptor", [&] {
    Acceptor* a = c.host(NodeId{4}).acceptor(kEnsemble);
    promised = a->promised();
    for (std::uint64_t i = 0; i < 5; ++i) digests.push_back(a->vote(Instance{i}) ? a->vote(Instance{i})->digest : 0);
    c.sim.crash(NodeId{4});
  });
  c.sim.at(at_ms(80), "restart acceptor", [&] {
    c.sim.boot(NodeId{4});
    Acceptor* a = c.host(NodeId{4}).acceptor(kEnsemble);
    EXPECT_EQ(a->promised(), promised);
    for (std::uint64_t i = 0; i < 5; ++i) {
      ASSERT_NE(a->vote(Instance{i}), nullptr) << i;
      EXPECT_EQ(a->vote(Instance{i})->digest, digests[i]);
    }
  });
  for (int i = 5; i < 10; ++i) c.multicast_at(at_ms(100 + i), "m" + std::to_string(i));
  c.sim.run_until(at_ms(300));
  EXPECT_NE(promised, Round{});
  EXPECT_EQ(c.journal.acked, c.journal.sent);
  check_learners_agree(c.journal);
}

TEST(EnsembleFailover, aCoordinatorThatSeesAHigherRoundStepsDown) {
  Cluster c(sim::testing::quiet_options(6), small(), test_config(small()));
  c.boot_all();
  // Candidate 1 cannot reach candidate 2 for a while: 2 takes over; once healed, 1 hears the
  // higher round (from heartbeats or acceptors' Nacks) and follows.
  c.sim.at(at_ms(30), "isolate 1", [&] {
    const std::vector<NodeId> one{NodeId{1}}, rest{NodeId{2}, NodeId{3}, NodeId{4}, NodeId{5}};
    c.sim.network().partition(one, rest, sim::PartitionKind::symmetric);
  });
  c.sim.at(at_ms(200), "heal", [&] { c.sim.network().heal(); });
  for (int i = 0; i < 20; ++i) c.multicast_at(at_ms(250 + 5 * i), "after" + std::to_string(i));
  c.sim.run_until(at_ms(700));
  EXPECT_EQ(c.host(NodeId{1}).coordinator(kEnsemble)->mode(), Coordinator::Mode::follower);
  EXPECT_EQ(c.host(NodeId{2}).coordinator(kEnsemble)->mode(), Coordinator::Mode::leading);
  EXPECT_EQ(c.host(NodeId{1}).coordinator(kEnsemble)->leader(), NodeId{2});
  EXPECT_EQ(c.journal.acked, c.journal.sent);
  check_learners_agree(c.journal);
}

TEST(EnsembleFailover, aCrashedChainAcceptorMakesTheInstanceFallBackToClassicPaxos) {
  RidgeConfig config = test_config(split());
  config.null_interval = 1s;
  Cluster c(sim::testing::quiet_options(7), split(), config);
  c.boot_all();
  c.sim.at(at_ms(30), "crash chain acceptor", [&] { c.sim.crash(NodeId{4}); });
  for (int i = 0; i < 10; ++i) c.multicast_at(at_ms(40 + 10 * i), "m" + std::to_string(i));
  bool suspected = false;
  c.sim.at(at_ms(150), "inspect", [&] { suspected = c.host(NodeId{1}).coordinator(kEnsemble)->suspected().contains(NodeId{4}); });
  c.sim.run_until(at_ms(400));
  EXPECT_GE(c.sim.node(NodeId{1}).metrics().counter_value("ridge.coordinator.classic_fallbacks"), 1u);
  EXPECT_TRUE(suspected) << "later chains avoid the silent acceptor (until suspicion_expiry)";
  // Only the instances in flight when 4 crashed needed the fallback; later chains skip it.
  EXPECT_LE(c.sim.node(NodeId{1}).metrics().counter_value("ridge.coordinator.classic_fallbacks"), 3u);
  EXPECT_EQ(c.journal.acked, c.journal.sent);
  for (NodeId learner : {NodeId{3}, NodeId{5}, NodeId{6}, NodeId{7}}) EXPECT_EQ(messages_emitted(c.journal, learner), 10u);
  check_learners_agree(c.journal);
}

TEST(EnsembleLearners, learnersStillGetValuesWhenADistributorCrashes) {
  Cluster c(sim::testing::quiet_options(8), split(), test_config(split()));
  c.boot_all();
  // Learners outside the chain [3, 4] are 5, 6, 7: each distributes a third of the values.
  c.sim.at(at_ms(30), "crash distributor", [&] { c.sim.crash(NodeId{6}); });
  for (int i = 0; i < 30; ++i) c.multicast_at(at_ms(40 + 3 * i), "m" + std::to_string(i));
  c.sim.run_until(at_ms(400));
  for (NodeId learner : {NodeId{3}, NodeId{4}, NodeId{5}, NodeId{7}}) EXPECT_EQ(messages_emitted(c.journal, learner), 30u);
  EXPECT_GE(c.sim.node(NodeId{7}).metrics().counter_value("ridge.learner.fetches"), 1u);
  check_learners_agree(c.journal);
}

TEST(EnsembleLearners, aLearnerThatMissedDecisionsFillsTheGapFromAcceptors) {
  Cluster c(sim::testing::quiet_options(9), split(), test_config(split()));
  c.boot_all();
  const std::vector<NodeId> seven{NodeId{7}};
  const std::vector<NodeId> rest{NodeId{1}, NodeId{2}, NodeId{3}, NodeId{4}, NodeId{5}, NodeId{6}};
  c.sim.at(at_ms(30), "cut 7 off", [&] { c.sim.network().partition(rest, seven, sim::PartitionKind::one_way); });
  for (int i = 0; i < 20; ++i) c.multicast_at(at_ms(40 + 5 * i), "m" + std::to_string(i));
  c.sim.at(at_ms(200), "heal", [&] { c.sim.network().heal(); });
  c.sim.run_until(at_ms(400));
  EXPECT_EQ(messages_emitted(c.journal, NodeId{7}), 20u);
  EXPECT_GE(c.sim.node(NodeId{7}).metrics().counter_value("ridge.learner.fetches"), 1u);
  EXPECT_GE(c.journal.emitted.at(NodeId{7}).size(), c.journal.emitted.at(NodeId{5}).size() - 5);
  check_learners_agree(c.journal);
}

// The chain [3, 4] decides instance 1, but 4's Decision reaches neither acceptor 3 nor acceptor
// 5 nor the cut-off learner 7, and 4 crashes for good (memory acceptors never return). Fetches
// now find 3's undecided vote and nothing at 5: no live acceptor can tell that it is decided,
// and the coordinator knows it decided, so only a re-decision in its round can finish it.
TEST(EnsembleRedecision, anInstanceWhoseDecisionNoLiveAcceptorHeardIsDecidedAgain) {
  RidgeConfig config = test_config(split());
  config.null_interval = 10s;  // instance numbers follow the messages only
  Cluster c(sim::testing::quiet_options(14), split(), config);
  c.boot_all();
  c.multicast_at(at_ms(20), "before");
  const std::vector<NodeId> seven{NodeId{7}};
  const std::vector<NodeId> rest{NodeId{1}, NodeId{2}, NodeId{3}, NodeId{4}, NodeId{5}, NodeId{6}};
  c.sim.at(at_ms(30), "lose 4's decisions", [&] {
    c.sim.network().block(NodeId{4}, NodeId{3});
    c.sim.network().block(NodeId{4}, NodeId{5});
    c.sim.network().partition(rest, seven, sim::PartitionKind::one_way);
  });
  c.multicast_at(at_ms(40), "decided");
  c.sim.at(at_ms(60), "crash 4 for good", [&] {
    const Acceptor::AcceptedVote* vote = c.host(NodeId{3}).acceptor(kEnsemble)->vote(Instance{1});
    ASSERT_NE(vote, nullptr);
    EXPECT_FALSE(vote->decided) << "acceptor 3 never heard the Decision";
    EXPECT_EQ(c.host(NodeId{5}).acceptor(kEnsemble)->vote(Instance{1}), nullptr);
    EXPECT_EQ(c.host(NodeId{1}).coordinator(kEnsemble)->decided_below(), Instance{2});
    c.sim.crash(NodeId{4});
  });
  c.sim.at(at_ms(80), "heal", [&] { c.sim.network().heal(); });
  for (int i = 0; i < 5; ++i) c.multicast_at(at_ms(100 + 5 * i), "after" + std::to_string(i));
  c.sim.run_until(at_ms(600));
  for (NodeId learner : {NodeId{3}, NodeId{5}, NodeId{6}, NodeId{7}}) {
    EXPECT_EQ(messages_emitted(c.journal, learner), 7u) << to_string(learner);
    EXPECT_EQ(instance_of(c.journal, learner, MessageId{kSender, 2}), Instance{1}) << to_string(learner);
  }
  EXPECT_GE(c.sim.node(NodeId{1}).metrics().counter_value("ridge.coordinator.redecided_instances"), 1u);
  EXPECT_GE(c.sim.node(NodeId{7}).metrics().counter_value("ridge.learner.redecide_requests"), 1u);
  EXPECT_EQ(c.host(NodeId{1}).coordinator(kEnsemble)->redecisions(), 0u);
  EXPECT_EQ(c.journal.acked, c.journal.sent);
  check_learners_agree(c.journal);
}

TEST(EnsembleLearners, aRestartedLearnerResumesFromItsPosition) {
  Cluster c(sim::testing::quiet_options(10), split(), test_config(split()));
  c.boot_all();
  for (int i = 0; i < 20; ++i) c.multicast_at(at_ms(20 + 10 * i), "m" + std::to_string(i));
  c.sim.at(at_ms(80), "crash learner", [&] { c.sim.crash(NodeId{7}); });
  c.sim.at(at_ms(120), "restart learner", [&] { c.sim.boot(NodeId{7}); });
  c.sim.run_until(at_ms(400));
  EXPECT_EQ(messages_emitted(c.journal, NodeId{7}), 20u);
  check_learners_agree(c.journal);
}

TEST(EnsembleHost, candidatesThatDoNotCoordinateAnswerNotLeader) {
  Cluster c(sim::testing::quiet_options(11), small(), test_config(small()));
  c.boot_all();
  c.sim.at(at_ms(20), "propose to 3", [&] {
    c.sim.node(kSender).send(NodeId{3}, kPropose, encode(Propose{kEnsemble, {}}));
  });
  c.sim.run_until(at_ms(40));
  EXPECT_EQ(c.journal.not_leader_replies, 1u);
}

TEST(EnsembleHost, malformedPayloadsAreDroppedAndCountedWithoutChangingState) {
  Cluster c(sim::testing::quiet_options(12), small(), test_config(small()));
  c.boot_all();
  c.sim.run_until(at_ms(30));
  const Round promised = c.host(NodeId{2}).acceptor(kEnsemble)->promised();
  c.sim.at(at_ms(31), "garbage", [&] {
    for (MessageType type : {kPhase1A, kPhase2, kDecision, kPropose, MessageType{1070}}) {
      c.sim.node(kSender).send(NodeId{2}, type, sim::testing::text("not a capnp message!"));
    }
    // Well-formed but invalid: a vote count beyond its chain.
    c.sim.node(kSender).send(NodeId{2}, kPhase2, encode(Phase2{kEnsemble, Round::make(9, 0), Instance{0}, {}, {NodeId{2}}, 3}));
  });
  c.sim.run_until(at_ms(40));
  EXPECT_EQ(c.sim.node(NodeId{2}).metrics().counter_value("ridge.ensemble.malformed"), 6u);
  EXPECT_EQ(c.host(NodeId{2}).acceptor(kEnsemble)->promised(), promised);
}

}  // namespace
}  // namespace eyrie::multicast::testing
