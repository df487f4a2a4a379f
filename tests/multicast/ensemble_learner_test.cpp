// EnsembleLearner rules on a hand-driven Env: gap-free emission in instance order, values
// matched to decisions by digest, quorum-backed fetched votes, back-pressure, the window.

#include "multicast/ensemble_learner.hpp"

#include <gtest/gtest.h>

#include "tests/multicast/ensemble_fake_env.hpp"

namespace eyrie::multicast {
namespace {

using testing::FakeEnv;

constexpr NodeId kA{3}, kB{4}, kC{5}, kSelf{6};

struct LearnerTest : ::testing::Test {
  FakeEnv env{kSelf};
  EnsembleTopology topo{.id = EnsembleId{1}, .candidates = {NodeId{1}}, .acceptors = {kA, kB, kC}, .learners = {kA, kSelf}};
  std::vector<std::uint64_t> emitted;  // instances, in emission order
  EnsembleLearner learner{env, topo, LearnerOptions{.window_instances = 8}, Instance{0},
                          [this](EnsembleId, Instance i, const Batch&) { emitted.push_back(i.value); }};

  static Batch value(std::uint64_t n) {
    Batch b;
    b.null_timestamp = WallTime{Duration{static_cast<std::int64_t>(n + 1)}};
    return b;
  }
  Value decided(std::uint64_t i) { return Value{topo.id, Instance{i}, Round{65536}, value(i)}; }
};

TEST_F(LearnerTest, emitsGapFreeInInstanceOrderWhateverTheArrivalOrder) {
  learner.on_value(decided(2));
  learner.on_value(decided(1));
  EXPECT_TRUE(emitted.empty());
  learner.on_value(decided(0));
  EXPECT_EQ(emitted, (std::vector<std::uint64_t>{0, 1, 2}));
  learner.on_value(decided(1));  // a duplicate of an emitted instance changes nothing
  EXPECT_EQ(emitted.size(), 3u);
  learner.check_invariants();
}

TEST_F(LearnerTest, aDecisionCompletesAValueVotedByTheLocalAcceptorOnlyWhenDigestsMatch) {
  learner.offer_vote(Instance{0}, Round{65536}, value(7));
  learner.on_decision(Decision{topo.id, Instance{0}, Round{65536}, batch_digest(value(0))});
  EXPECT_TRUE(emitted.empty()) << "the decided value is another one";
  learner.offer_vote(Instance{0}, Round{131073}, value(0));
  EXPECT_EQ(emitted, (std::vector<std::uint64_t>{0}));
}

TEST_F(LearnerTest, fetchedVotesCountOnlyWhenAMajorityReportsTheSameRoundAndValue) {
  const Vote vote{Instance{0}, Round{65536}, value(0), false};
  learner.on_fetch_reply(kA, FetchReply{topo.id, Instance{0}, {vote}});
  learner.on_fetch_reply(kA, FetchReply{topo.id, Instance{0}, {vote}});
  EXPECT_TRUE(emitted.empty()) << "one acceptor twice is not a majority";
  learner.on_fetch_reply(kB, FetchReply{topo.id, Instance{0}, {Vote{Instance{0}, Round{131073}, value(0), false}}});
  EXPECT_TRUE(emitted.empty()) << "votes of different rounds do not add up";
  learner.on_fetch_reply(kC, FetchReply{topo.id, Instance{0}, {vote}});
  EXPECT_EQ(emitted, (std::vector<std::uint64_t>{0}));
}

TEST_F(LearnerTest, aPausedLearnerHoldsDecidedValuesUntilResumed) {
  learner.set_paused(true);
  learner.on_value(decided(0));
  learner.on_value(decided(1));
  EXPECT_TRUE(emitted.empty());
  learner.check_invariants();
  learner.set_paused(false);
  EXPECT_EQ(emitted, (std::vector<std::uint64_t>{0, 1}));
}

TEST_F(LearnerTest, dropsInstancesBeyondItsWindowAndFetchesAfterTheGapTimeout) {
  learner.start();
  learner.on_value(decided(8));  // window is [0, 8)
  EXPECT_EQ(learner.buffered(), 0u);
  EXPECT_EQ(env.metrics().counter_value("ridge.learner.dropped_ahead"), 1u);
  env.advance(std::chrono::milliseconds(100));
  const auto sent = env.take_sent();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent[0].type, kFetch);
  EXPECT_EQ(sent[0].to, kA);
}

TEST_F(LearnerTest, onGapTimer_asksCandidatesToRedecideOnlyAfterEveryFetchRoundFailed) {
  learner.start();
  const auto redecides = [](const std::vector<testing::Sent>& sent) {
    return std::count_if(sent.begin(), sent.end(), [](const testing::Sent& s) { return s.type == kRedecide; });
  };
  env.advance(std::chrono::milliseconds(200));  // two fetches for instance 0
  EXPECT_EQ(redecides(env.take_sent()), 0);
  env.advance(std::chrono::milliseconds(100));  // the third: every acceptor was asked
  auto sent = env.take_sent();
  ASSERT_EQ(redecides(sent), 1);
  const auto it = std::find_if(sent.begin(), sent.end(), [](const testing::Sent& s) { return s.type == kRedecide; });
  EXPECT_EQ(it->to, NodeId{1});
  env.advance(std::chrono::milliseconds(200));
  EXPECT_EQ(redecides(env.take_sent()), 0) << "rate-limited to one request per three fetches";
  learner.on_value(decided(0));  // progress: the count starts over for instance 1
  env.advance(std::chrono::milliseconds(200));
  EXPECT_EQ(redecides(env.take_sent()), 0);
  env.advance(std::chrono::milliseconds(100));
  EXPECT_EQ(redecides(env.take_sent()), 1);
}

TEST_F(LearnerTest, aDistributorForwardsToLearnersOutsideTheChainOnlyOnce) {
  const Distribute d{topo.id, Instance{0}, Round{65536}, value(0), {kB, kC}};
  learner.on_distribute(kC, d);
  learner.on_distribute(kC, d);
  const auto sent = env.take_sent();
  ASSERT_EQ(sent.size(), 1u) << "kA is outside the chain; kSelf is the distributor";
  EXPECT_EQ(sent[0].to, kA);
  EXPECT_EQ(sent[0].type, kValue);
  EXPECT_EQ(emitted, (std::vector<std::uint64_t>{0}));
}

}  // namespace
}  // namespace eyrie::multicast
