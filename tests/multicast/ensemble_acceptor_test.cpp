// Acceptor rules on a hand-driven Env (Bezerra, §5.2 Algorithm 2 Task 2; §5.3.2 Algorithm 3
// Task 4): promises, rounds, the chain, durability before sending, restart from disk.

#include "multicast/acceptor.hpp"

#include <gtest/gtest.h>

#include "tests/multicast/ensemble_fake_env.hpp"

namespace eyrie::multicast {
namespace {

using testing::FakeEnv;
using testing::Sent;

constexpr NodeId kCandidate0{1}, kCandidate1{2};
constexpr NodeId kA{3}, kB{4}, kC{5};

EnsembleTopology topology() {
  return EnsembleTopology{.id = EnsembleId{1},
                          .candidates = {kCandidate0, kCandidate1},
                          .acceptors = {kA, kB, kC},
                          .learners = {kA, kB, kC, NodeId{6}, NodeId{7}}};
}

AcceptorOptions options(bool durable) {
  return AcceptorOptions{.durable = durable, .retained_instances = 100, .votes_max = 200};
}

Batch batch(std::string_view body) {
  Batch b;
  b.messages.push_back(MulticastMessage{.id = MessageId{NodeId{70000}, 1}, .destinations = {GroupId{1}},
                                        .payload = Payload::copy_of(body)});
  return b;
}

template <typename M>
M decode_as(const Sent& sent) {
  std::string error;
  auto decoded = decode_ensemble_message(sent.type, sent.payload, &error);
  EXPECT_TRUE(decoded) << error;
  return std::get<M>(*decoded);
}

std::vector<Sent> of_type(const std::vector<Sent>& sent, MessageType type) {
  std::vector<Sent> out;
  for (const Sent& s : sent) {
    if (s.type == type) out.push_back(s);
  }
  return out;
}

struct AcceptorTest : ::testing::Test {
  FakeEnv env{kB};
  EnsembleTopology topo = topology();
};

TEST_F(AcceptorTest, onPhase2_rejectsALowerRoundAfterPromisingAHigherOne) {
  Acceptor acceptor(env, topo, options(false), {});
  acceptor.on_phase1a(kCandidate1, Phase1A{topo.id, Round::make(2, 1), Instance{0}, Instance{16}});
  ASSERT_EQ(decode_as<Phase1B>(env.take_sent().at(0)).promised, true);
  acceptor.on_phase2(kA, Phase2{topo.id, Round::make(1, 0), Instance{0}, batch("x"), {kA, kB}, 1});
  const auto sent = env.take_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].type, kNack);
  EXPECT_EQ(sent[0].to, kCandidate0) << "the Nack goes to the owner of the rejected round";
  EXPECT_EQ(decode_as<Nack>(sent[0]).promised, Round::make(2, 1));
  EXPECT_EQ(acceptor.vote(Instance{0}), nullptr);
  acceptor.on_phase1a(kCandidate0, Phase1A{topo.id, Round::make(1, 0), Instance{0}, Instance{16}});
  EXPECT_FALSE(decode_as<Phase1B>(env.take_sent().at(0)).promised);
}

TEST_F(AcceptorTest, onPhase1a_reportsVotesOfTheRangeAndStopsEarlyWhenTheReplyIsFull) {
  AcceptorOptions small = options(false);
  small.reply_bytes_max = 1;
  Acceptor acceptor(env, topo, small, {});
  for (std::uint64_t i = 0; i < 3; ++i) {
    acceptor.on_phase2(kCandidate0, Phase2{topo.id, Round::make(1, 0), Instance{i}, batch("v"), {kB, kC}, 0});
  }
  env.take_sent();
  acceptor.on_phase1a(kCandidate1, Phase1A{topo.id, Round::make(2, 1), Instance{0}, Instance{10}});
  const Phase1B reply = decode_as<Phase1B>(env.take_sent().at(0));
  EXPECT_TRUE(reply.promised);
  ASSERT_EQ(reply.votes.size(), 1u);
  EXPECT_EQ(reply.reported_end, Instance{1}) << "votes are complete only below the reported end";
}

TEST_F(AcceptorTest, onPhase2_forwardsAlongTheChainWithOneMoreVote) {
  Acceptor acceptor(env, topo, options(false), {});
  acceptor.on_phase2(kCandidate0, Phase2{topo.id, Round::make(1, 0), Instance{4}, batch("x"), {kB, kC}, 0});
  const auto sent = env.take_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kC);
  EXPECT_EQ(decode_as<Phase2>(sent[0]).votes, 1u);
  ASSERT_NE(acceptor.vote(Instance{4}), nullptr);
  EXPECT_EQ(acceptor.vote(Instance{4})->round, Round::make(1, 0));
}

TEST_F(AcceptorTest, onPhase2_refusesAChainMessageFromTheWrongSender) {
  Acceptor acceptor(env, topo, options(false), {});
  acceptor.on_phase2(kC, Phase2{topo.id, Round::make(1, 0), Instance{4}, batch("x"), {kA, kB}, 1});
  EXPECT_TRUE(env.take_sent().empty());
  EXPECT_EQ(acceptor.vote(Instance{4}), nullptr);
}

TEST_F(AcceptorTest, lastOfTheChain_announcesTheDecisionAndPicksTheLeastLoadedOutsideLearner) {
  Acceptor acceptor(env, topo, options(false), {});
  std::vector<NodeId> distributors;
  for (std::uint64_t i = 0; i < 4; ++i) {
    acceptor.on_phase2(kA, Phase2{topo.id, Round::make(1, 0), Instance{i}, batch("x"), {kA, kB}, 1});
    const auto sent = env.take_sent();
    const auto decisions = of_type(sent, kDecision);
    // Learners, candidates and the other acceptors; not itself (acceptor and learner here is
    // kB, which learns through its own vote and keeps its Decision copy via self-send).
    EXPECT_EQ(decisions.size(), 7u);
    const auto distribute = of_type(sent, kDistribute);
    ASSERT_EQ(distribute.size(), 1u);
    distributors.push_back(distribute[0].to);
    EXPECT_EQ(decode_as<Distribute>(distribute[0]).quorum, (std::vector<NodeId>{kA, kB}));
    EXPECT_TRUE(acceptor.vote(Instance{i})->decided);
  }
  // Never a learner in the chain; rotation by bytes distributed among kC, 6, 7.
  EXPECT_EQ(distributors, (std::vector<NodeId>{kC, NodeId{6}, NodeId{7}, kC}));
}

TEST_F(AcceptorTest, diskMode_sendsNothingBeforeTheVoteIsDurable) {
  Acceptor acceptor(env, topo, options(true), {});
  acceptor.on_phase2(kCandidate0, Phase2{topo.id, Round::make(1, 0), Instance{0}, batch("x"), {kB, kC}, 0});
  EXPECT_TRUE(env.sent.empty());
  EXPECT_EQ(env.pending_syncs(), 1u);
  acceptor.on_phase1a(kCandidate1, Phase1A{topo.id, Round::make(2, 1), Instance{0}, Instance{8}});
  EXPECT_TRUE(env.sent.empty()) << "a promise also waits for the disk";
  env.complete_syncs();
  ASSERT_EQ(env.sent.size(), 2u);
  EXPECT_EQ(env.sent[0].type, kPhase2);
  EXPECT_EQ(env.sent[1].type, kPhase1B);
}

TEST_F(AcceptorTest, diskMode_aRestartedAcceptorKeepsItsPromiseAndVotes) {
  {
    Acceptor acceptor(env, topo, options(true), {});
    acceptor.on_phase2(kA, Phase2{topo.id, Round::make(1, 0), Instance{0}, batch("kept"), {kA, kB}, 1});
    acceptor.on_phase1a(kCandidate1, Phase1A{topo.id, Round::make(3, 1), Instance{1}, Instance{8}});
    env.complete_syncs();
  }
  env.take_sent();
  Acceptor restarted(env, topo, options(true), {});
  restarted.load();
  EXPECT_EQ(restarted.promised(), Round::make(3, 1));
  ASSERT_NE(restarted.vote(Instance{0}), nullptr);
  EXPECT_EQ(restarted.vote(Instance{0})->value.messages.at(0).payload, Payload::copy_of("kept"));
  EXPECT_TRUE(restarted.vote(Instance{0})->decided) << "it was the last of its chain";
  restarted.on_phase2(kCandidate0, Phase2{topo.id, Round::make(2, 0), Instance{1}, batch("late"), {kB, kC}, 0});
  EXPECT_EQ(restarted.vote(Instance{1}), nullptr) << "round 2 is below the promise of round 3";
}

TEST_F(AcceptorTest, fetch_answersVotesFlaggedDecidedAndTrimsKeepRetainedInstances) {
  AcceptorOptions few = options(false);
  few.retained_instances = 3;
  few.votes_max = 10;
  Acceptor acceptor(env, topo, few, {});
  for (std::uint64_t i = 0; i < 6; ++i) {
    acceptor.on_phase2(kCandidate0, Phase2{topo.id, Round::make(1, 0), Instance{i}, batch("v"), {kB, kC}, 0});
  }
  for (std::uint64_t i = 0; i < 5; ++i) acceptor.on_decision(Decision{topo.id, Instance{i}, Round::make(1, 0), batch_digest(batch("v"))});
  // Six votes, five decided: trimmed down to the three newest, keeping the undecided one.
  EXPECT_EQ(acceptor.votes_held(), 3u);
  EXPECT_EQ(acceptor.trimmed_below(), Instance{3});
  env.take_sent();
  acceptor.on_fetch(NodeId{7}, Fetch{topo.id, Instance{0}, 100});
  const FetchReply reply = decode_as<FetchReply>(env.take_sent().at(0));
  EXPECT_EQ(reply.trimmed_below, Instance{3});
  ASSERT_EQ(reply.votes.size(), 3u);
  EXPECT_EQ(reply.votes[0].instance, Instance{3});
  EXPECT_TRUE(reply.votes[1].decided);
  EXPECT_FALSE(reply.votes[2].decided) << "instance 5 is voted, not known decided";
  acceptor.trim_below(Instance{5});
  EXPECT_EQ(acceptor.votes_held(), 1u);
  acceptor.check_invariants();
}


// The trim call (RidgeNode::trim): instances go only once every learner released them.
struct AcceptorTrimTest : ::testing::Test {
  FakeEnv env{kA};
  EnsembleTopology topo = topology();
  Acceptor acceptor{env, topo, options(false), {}};

  void vote(std::uint64_t instance) {
    acceptor.on_phase2(kCandidate0, Phase2{topo.id, Round::make(1, 0), Instance{instance}, batch("v"), {kA, kB}, 0});
  }
};

TEST_F(AcceptorTrimTest, onTrim_dropsOnlyWhatEveryLearnerReleased) {
  for (std::uint64_t i = 0; i < 10; ++i) vote(i);
  for (NodeId learner : {kA, kB, kC, NodeId{6}}) acceptor.on_trim(learner, Trim{topo.id, Instance{8}});
  EXPECT_EQ(acceptor.trimmed_below(), Instance{0}) << "learner n7 has released nothing";
  acceptor.on_trim(NodeId{7}, Trim{topo.id, Instance{5}});
  EXPECT_EQ(acceptor.trimmed_below(), Instance{5}) << "the lowest release wins";
  acceptor.on_trim(NodeId{7}, Trim{topo.id, Instance{3}});
  EXPECT_EQ(acceptor.trimmed_below(), Instance{5}) << "releases only grow";
  acceptor.on_trim(NodeId{7}, Trim{topo.id, Instance{9}});
  EXPECT_EQ(acceptor.trimmed_below(), Instance{8});
  acceptor.check_invariants();
}

TEST_F(AcceptorTrimTest, onTrim_fromANonLearnerChangesNothing) {
  for (std::uint64_t i = 0; i < 4; ++i) vote(i);
  const std::uint64_t rejected = env.metrics().counter_value("ridge.acceptor.rejected");
  for (NodeId learner : {kA, kB, kC, NodeId{6}}) acceptor.on_trim(learner, Trim{topo.id, Instance{3}});
  acceptor.on_trim(kCandidate0, Trim{topo.id, Instance{3}});  // a candidate, not a learner
  EXPECT_EQ(acceptor.trimmed_below(), Instance{0});
  EXPECT_GT(env.metrics().counter_value("ridge.acceptor.rejected"), rejected);
}

TEST_F(AcceptorTrimTest, onTrim_refusesVotesBelowTheTrimPoint) {
  for (std::uint64_t i = 0; i < 4; ++i) vote(i);
  for (NodeId learner : {kA, kB, kC, NodeId{6}, NodeId{7}}) acceptor.on_trim(learner, Trim{topo.id, Instance{3}});
  env.take_sent();
  vote(2);  // decided and released long ago: nothing to vote on
  EXPECT_TRUE(of_type(env.take_sent(), kPhase2).empty());
}


}  // namespace
}  // namespace eyrie::multicast
