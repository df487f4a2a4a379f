// OptimisticLearner (§5.3.4) on a hand-driven Env whose wall clock is its monotonic clock:
// opt-delivery in (timestamp, ensemble, id) order after the wait, late messages at once,
// forced opt-delivery before a conservative one, mistake counting, re-proposal, lean-value
// completion, refused pushes, the bound, and the wait estimate. check_invariants() runs after
// every step (push, conservative delivery, advance).

#include "multicast/optimistic_learner.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <stdexcept>

#include "multicast/ensemble_wire.hpp"
#include "multicast/message_types.hpp"
#include "tests/multicast/ensemble_fake_env.hpp"

namespace eyrie::multicast {
namespace {

using namespace std::chrono_literals;
using testing::FakeEnv;

constexpr NodeId kSelf{6};
constexpr GroupId kMine{1}, kOther{2}, kUnknown{99};
constexpr EnsembleId kMineEnsemble{1}, kShared{10};
constexpr std::uint64_t kSender = 500, kProbeSender = 900;

// Group 1 = {4, 5, 6} (this node is 6), group 2 = {7, 8, 9}; an ensemble each and the shared one.
RidgeConfig two_groups() {
  RidgeConfig config;
  config.groups = {GroupConfig{kMine, {NodeId{4}, NodeId{5}, NodeId{6}}},
                   GroupConfig{kOther, {NodeId{7}, NodeId{8}, NodeId{9}}}};
  const std::vector<NodeId> acceptors{NodeId{1}, NodeId{2}, NodeId{3}};
  config.ensembles = {EnsembleConfig{kMineEnsemble, kMine, {NodeId{1}}, acceptors},
                      EnsembleConfig{EnsembleId{2}, kOther, {NodeId{2}}, acceptors},
                      EnsembleConfig{kShared, std::nullopt, {NodeId{3}}, acceptors}};
  return config;
}

struct OptimisticLearnerTest : ::testing::Test {
  FakeEnv env{kSelf};
  RidgeConfig config = two_groups();
  std::vector<OptDelivery> opt;
  std::vector<MulticastMessage> reproposed;
  std::set<std::pair<EnsembleId, MessageId>> delivered;  // conservatively, as the pipeline reports
  std::unique_ptr<OptimisticLearner> learner;

  // The quantile 1.0 makes the wait the largest delay seen: tests set it with one probe push.
  static OptimisticLearner::Options options() {
    return OptimisticLearner::Options{.wait_max = 2ms, .repropose_after = 100ms, .delay_quantile = 1.0};
  }
  OptimisticLearnerTest() {
    env.advance(1s);  // timestamps below "now" stay positive
    make(options());
  }
  void make(OptimisticLearner::Options o) {
    learner = std::make_unique<OptimisticLearner>(
        env, config, std::vector<GroupId>{kMine}, o, [this](const OptDelivery& d) { opt.push_back(d); },
        [this](const MulticastMessage& m) { reproposed.push_back(m); },
        [this](EnsembleId e, const MessageId& id) { return delivered.contains({e, id}); });
  }

  WallTime wall() const { return env.wall_clock(); }
  static MulticastMessage message(std::uint64_t seq, WallTime timestamp, std::vector<GroupId> to = {kMine},
                                  std::uint64_t sender = kSender) {
    MulticastMessage m;
    m.id = MessageId{NodeId{sender}, seq};
    m.destinations = std::move(to);
    m.timestamp = timestamp;
    m.payload = Payload::copy_of("payload " + std::to_string(seq));
    m.sender_acked_below = seq;
    return m;
  }
  void push_raw(Payload payload) {
    learner->on_push(Message{NodeId{kSender}, kOptPush, std::move(payload)});
    learner->check_invariants();
  }
  // The ensemble a sender names in its Propose (the learner works it out again itself).
  EnsembleId proposed_ensemble(const std::vector<GroupId>& to) const {
    try {
      return config.ensemble_for(to);
    } catch (const std::invalid_argument&) {
      return kMineEnsemble;  // a push to an unknown group
    }
  }
  void push(const std::vector<MulticastMessage>& messages) {
    push_raw(encode(Propose{proposed_ensemble(messages.front().destinations), messages}));
  }
  void push(const MulticastMessage& m) { push(std::vector<MulticastMessage>{m}); }
  // The pipeline delivers `m` conservatively.
  void conservative(const MulticastMessage& m) {
    Delivery d;
    d.id = m.id;
    d.destinations = m.destinations;
    d.timestamp = m.timestamp;
    d.final_timestamp = m.timestamp;
    d.ensemble = config.ensemble_for(m.destinations);
    d.payload = m.payload;
    delivered.insert({d.ensemble, d.id});  // the pipeline's filter admits it first
    learner->before_conservative(d);
    learner->check_invariants();
  }
  void advance(Duration d) {
    env.advance(d);
    learner->check_invariants();
  }
  // Makes the wait `d`: a probe pushed with that delay, delivered both ways, then forgotten.
  void set_wait(Duration d) {
    const MulticastMessage probe = message(1, wall() - d, {kMine}, kProbeSender);
    push(probe);
    ASSERT_EQ(opt.size(), 1u) << "a push as late as the wait is ready at once";
    conservative(probe);
    ASSERT_EQ(learner->wait(), d);
    opt.clear();
  }
  std::vector<std::uint64_t> opt_seqs() const {
    std::vector<std::uint64_t> out;
    for (const OptDelivery& d : opt) out.push_back(d.id.seq);
    return out;
  }
  std::uint64_t counter(std::string_view name) { return env.metrics().counter_value(name); }
};

TEST_F(OptimisticLearnerTest, onPush_optDeliversInTimestampEnsembleIdOrderOnceTheWaitIsOver) {
  set_wait(1ms);
  const WallTime t = wall();
  const MulticastMessage a = message(2, t);
  const MulticastMessage shared = message(3, t, {kMine, kOther});
  const MulticastMessage early = message(4, t - 500us);
  const MulticastMessage b = message(1, t);
  for (const MulticastMessage& m : {a, shared, early, b}) push(m);
  EXPECT_TRUE(opt.empty()) << "nothing before the wait";
  advance(400us);
  EXPECT_TRUE(opt.empty());
  advance(100us);
  EXPECT_EQ(opt_seqs(), (std::vector<std::uint64_t>{4})) << "timestamp t - 0.5 ms, due at t + 0.5 ms";
  advance(499us);
  EXPECT_EQ(opt.size(), 1u);
  advance(1us);
  // Same timestamp: ensemble 1 before the shared ensemble 10, then by id.
  EXPECT_EQ(opt_seqs(), (std::vector<std::uint64_t>{4, 1, 2, 3}));
  ASSERT_EQ(opt.size(), 4u);
  EXPECT_EQ(opt[3].ensemble, kShared);
  EXPECT_EQ(opt[3].destinations, (std::vector<GroupId>{kMine, kOther}));
  EXPECT_EQ(opt[3].timestamp, t);
  EXPECT_EQ(opt[3].payload, shared.payload);
  EXPECT_EQ(opt[1].ensemble, kMineEnsemble);
  EXPECT_EQ(learner->held(), 4u) << "held until delivered conservatively";
}

TEST_F(OptimisticLearnerTest, onPush_aLateMessageWithAnEarlierTimestampIsDeliveredAtOnceOutOfOrder) {
  set_wait(1ms);
  const WallTime t = wall();
  push(message(2, t));
  advance(1ms);
  ASSERT_EQ(opt_seqs(), (std::vector<std::uint64_t>{2}));
  push(message(1, t - 500us));  // 1.5 ms late: nothing earlier can be waited for
  EXPECT_EQ(opt_seqs(), (std::vector<std::uint64_t>{2, 1}));
  EXPECT_LT(opt[1].timestamp, opt[0].timestamp);
  EXPECT_EQ(opt[1].position, opt[0].position + 1);
}

TEST_F(OptimisticLearnerTest, onPush_aSenderWhoseClockRunsAheadWaitsWaitMaxSinceArrival) {
  set_wait(1ms);
  push(message(1, wall() + 1s));
  advance(1999us);
  EXPECT_TRUE(opt.empty());
  advance(1us);
  EXPECT_EQ(opt_seqs(), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(learner->wait(), 1ms) << "a clock ahead of ours counts as no delay";
}

TEST_F(OptimisticLearnerTest, optDelivery_positionsCountFromOneAcrossPushedAndForcedDeliveries) {
  for (std::uint64_t seq = 1; seq <= 3; ++seq) push(message(seq, wall()));  // no delay seen: wait 0
  conservative(message(9, wall()));                                         // never pushed: forced
  ASSERT_EQ(opt.size(), 4u);
  for (std::size_t i = 0; i < opt.size(); ++i) EXPECT_EQ(opt[i].position, i + 1);
  EXPECT_EQ(learner->opt_delivered(), 4u);
  EXPECT_EQ(counter("ridge.opt.delivered"), 4u);
}

TEST_F(OptimisticLearnerTest, beforeConservative_ofANeverPushedMessageOptDeliversItFirst) {
  const MulticastMessage m = message(1, wall() - 5ms);
  conservative(m);
  ASSERT_EQ(opt.size(), 1u);
  EXPECT_EQ(opt[0].id, m.id);
  EXPECT_EQ(opt[0].position, 1u);
  EXPECT_EQ(opt[0].payload, m.payload) << "taken from the conservative delivery";
  EXPECT_EQ(opt[0].ensemble, kMineEnsemble);
  EXPECT_EQ(counter("ridge.opt.forced"), 1u);
  EXPECT_EQ(counter("ridge.opt.compared"), 1u);
  EXPECT_EQ(counter("ridge.opt.mistakes"), 0u);
  EXPECT_EQ(learner->held(), 0u);
}

TEST_F(OptimisticLearnerTest, beforeConservative_ofAWaitingMessageDeliversItAtOnceAndOnlyOnce) {
  set_wait(1ms);
  const MulticastMessage m = message(2, wall());
  const MulticastMessage n = message(3, wall());
  push(m);
  push(n);
  ASSERT_TRUE(opt.empty());
  conservative(n);
  EXPECT_EQ(opt_seqs(), (std::vector<std::uint64_t>{3}));
  EXPECT_EQ(counter("ridge.opt.forced"), 1u);
  advance(2ms);
  EXPECT_EQ(opt_seqs(), (std::vector<std::uint64_t>{3, 2})) << "the forced one is not delivered again";
  EXPECT_EQ(learner->held(), 1u);
  EXPECT_EQ(counter("ridge.opt.mistakes"), 0u) << "1st optimistic = 1st conservative (probe aside)";
}

TEST_F(OptimisticLearnerTest, onPush_ofAMessageAlreadyDeliveredConservativelyIsIgnored) {
  const MulticastMessage m = message(1, wall());
  delivered.insert({kMineEnsemble, m.id});
  push(m);
  advance(5ms);
  EXPECT_TRUE(opt.empty());
  EXPECT_EQ(learner->held(), 0u);
  EXPECT_EQ(counter("ridge.opt.push_duplicates"), 1u);
  EXPECT_EQ(learner->wait(), options().wait_max) << "an ignored push is no delay sample";
}

TEST_F(OptimisticLearnerTest, onPush_againAfterBothDeliveriesOrWhileHeldIsIgnored) {
  const MulticastMessage m = message(1, wall());
  push(m);
  push(m);  // while held
  ASSERT_EQ(opt.size(), 1u);
  conservative(m);
  push(m);  // after its conservative delivery
  advance(5ms);
  EXPECT_EQ(opt.size(), 1u);
  EXPECT_EQ(learner->held(), 0u);
  EXPECT_EQ(counter("ridge.opt.push_duplicates"), 2u);
}

TEST_F(OptimisticLearnerTest, counters_aSwappedPairCountsTwoMistakes) {
  const MulticastMessage a = message(1, wall());
  const MulticastMessage b = message(2, wall());
  push(a);
  push(b);
  ASSERT_EQ(opt_seqs(), (std::vector<std::uint64_t>{1, 2}));
  // Optimistic a, b; conservative b, a: 1st a vs b and 2nd b vs a both differ.
  conservative(b);
  EXPECT_EQ(counter("ridge.opt.compared"), 1u);
  EXPECT_EQ(counter("ridge.opt.mistakes"), 1u);
  conservative(a);
  EXPECT_EQ(counter("ridge.opt.compared"), 2u);
  EXPECT_EQ(counter("ridge.opt.mistakes"), 2u);
  const MulticastMessage c = message(3, wall());
  push(c);
  conservative(c);
  EXPECT_EQ(counter("ridge.opt.compared"), 3u);
  EXPECT_EQ(counter("ridge.opt.mistakes"), 2u) << "3rd and 3rd agree";
  EXPECT_EQ(counter("ridge.opt.forced"), 0u);
}

TEST_F(OptimisticLearnerTest, reproposal_afterReproposeAfterAndAgainUntilDecided) {
  learner->start();  // ticks every 50 ms from now (t0)
  advance(10ms);
  const MulticastMessage m = message(1, wall());
  push(m);
  ASSERT_EQ(opt.size(), 1u);  // opt-delivered at t0 + 10 ms
  advance(99ms);              // t0 + 109 ms: less than 100 ms since
  EXPECT_TRUE(reproposed.empty());
  advance(41ms);  // the tick at t0 + 150 ms
  ASSERT_EQ(reproposed.size(), 1u);
  EXPECT_EQ(reproposed[0].id, m.id);
  EXPECT_EQ(reproposed[0].payload, m.payload);
  EXPECT_EQ(reproposed[0].timestamp, m.timestamp);
  EXPECT_EQ(reproposed[0].destinations, m.destinations);
  EXPECT_EQ(reproposed[0].sender_acked_below, m.sender_acked_below);
  advance(99ms);  // t0 + 249 ms
  EXPECT_EQ(reproposed.size(), 1u) << "not again before another period";
  advance(1ms);  // t0 + 250 ms
  EXPECT_EQ(reproposed.size(), 2u);
  conservative(m);
  advance(1s);
  EXPECT_EQ(reproposed.size(), 2u) << "never after its conservative delivery";
  EXPECT_EQ(counter("ridge.opt.reproposed"), 2u);
}

TEST_F(OptimisticLearnerTest, reproposal_onlyForOptDeliveredMessagesNotYetDelivered) {
  learner->start();
  const MulticastMessage m = message(1, wall());
  push(m);                           // opt-delivered at t0, never decided here
  conservative(message(2, wall()));  // forced and delivered at once
  advance(1s);
  // Ticks every 50 ms; m is proposed again at t0 + 100 ms, 200 ms, ..., 1000 ms.
  ASSERT_EQ(reproposed.size(), 10u);
  for (const MulticastMessage& r : reproposed) EXPECT_EQ(r.id, m.id);
}

TEST_F(OptimisticLearnerTest, complete_fillsThePayloadFromAHeldPush) {
  set_wait(1ms);
  const MulticastMessage waiting = message(2, wall());
  push(waiting);
  MulticastMessage lean = waiting;
  lean.payload = Payload{};
  EXPECT_TRUE(learner->complete(kMineEnsemble, lean)) << "held, not yet opt-delivered";
  EXPECT_EQ(lean.payload, waiting.payload);
  advance(1ms);
  ASSERT_EQ(opt.size(), 1u);
  lean.payload = Payload{};
  EXPECT_TRUE(learner->complete(kMineEnsemble, lean)) << "opt-delivered, not yet conservatively";
  EXPECT_EQ(lean.payload, waiting.payload);
}

TEST_F(OptimisticLearnerTest, complete_isTrueWithoutPayloadForAMessageNotDeliveredHere) {
  MulticastMessage elsewhere = message(1, wall(), {kOther});
  elsewhere.payload = Payload{};
  EXPECT_TRUE(learner->complete(EnsembleId{2}, elsewhere)) << "not addressed to this node's groups";
  EXPECT_EQ(elsewhere.payload.size(), 0u);
  MulticastMessage again = message(2, wall());
  conservative(again);
  again.payload = Payload{};
  EXPECT_TRUE(learner->complete(kMineEnsemble, again)) << "a duplicate decision of a delivered message";
  EXPECT_EQ(again.payload.size(), 0u);
}

TEST_F(OptimisticLearnerTest, complete_isFalseForAMissingPayload) {
  MulticastMessage missing = message(1, wall(), {kMine, kOther});
  missing.payload = Payload{};
  EXPECT_FALSE(learner->complete(kShared, missing));
  EXPECT_EQ(missing.payload.size(), 0u);
}

TEST_F(OptimisticLearnerTest, onPush_rejectsMalformedAndMisaddressedPushesAndChangesNothing) {
  push_raw(Payload::copy_of("certainly not a Propose"));
  push(message(1, wall() - 1ms, {kUnknown}));
  push(message(2, wall() - 1ms, {kOther}));
  EXPECT_EQ(counter("ridge.opt.push_rejected"), 3u);
  advance(5ms);
  EXPECT_TRUE(opt.empty());
  EXPECT_EQ(learner->held(), 0u);
  EXPECT_EQ(learner->opt_delivered(), 0u);
  EXPECT_EQ(learner->wait(), options().wait_max) << "no delay sample was taken";
  EXPECT_TRUE(env.sent.empty());
}

TEST_F(OptimisticLearnerTest, onPush_keepsTheGoodMessagesOfAPushWithABadOne) {
  push(std::vector<MulticastMessage>{message(1, wall()), message(2, wall(), {kOther}), message(3, wall())});
  EXPECT_EQ(counter("ridge.opt.push_rejected"), 1u);
  EXPECT_EQ(opt_seqs(), (std::vector<std::uint64_t>{1, 3}));
}

TEST_F(OptimisticLearnerTest, onPush_beyondMessagesMaxIsDroppedAndArrivesWithItsDecision) {
  OptimisticLearner::Options o = options();
  o.messages_max = 2;
  make(o);
  const MulticastMessage a = message(1, wall()), b = message(2, wall()), c = message(3, wall());
  push(a);
  push(b);
  push(c);
  EXPECT_EQ(counter("ridge.opt.push_dropped"), 1u);
  EXPECT_EQ(learner->held(), 2u);
  EXPECT_EQ(opt_seqs(), (std::vector<std::uint64_t>{1, 2}));
  MulticastMessage lean = c;
  lean.payload = Payload{};
  EXPECT_FALSE(learner->complete(kMineEnsemble, lean)) << "its payload was not kept";
  conservative(a);
  conservative(b);
  conservative(c);
  EXPECT_EQ(opt_seqs(), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(counter("ridge.opt.forced"), 1u);
  push(message(4, wall()));
  EXPECT_EQ(learner->held(), 1u) << "room again";
}

TEST_F(OptimisticLearnerTest, wait_convergesToThePushDelayAndNeverExceedsWaitMax) {
  OptimisticLearner::Options o = options();
  o.delay_samples = 128;
  o.delay_quantile = 0.99;
  make(o);
  EXPECT_EQ(learner->wait(), 2ms) << "no samples: the most careful wait";
  std::uint64_t seq = 0;
  const auto pushes = [&](Duration delay, int count) {
    for (int i = 0; i < count; ++i) {
      push(message(++seq, wall() - delay));
      ASSERT_LE(learner->wait(), 2ms);
      advance(10us);
    }
  };
  pushes(1500us, 300);
  EXPECT_EQ(learner->wait(), 1500us);
  pushes(300us, 300);
  EXPECT_EQ(learner->wait(), 300us);
  pushes(5ms, 300);
  EXPECT_EQ(learner->wait(), 2ms) << "capped at wait_max";
  advance(10ms);
  EXPECT_EQ(learner->opt_delivered(), 900u);
}

}  // namespace
}  // namespace eyrie::multicast
