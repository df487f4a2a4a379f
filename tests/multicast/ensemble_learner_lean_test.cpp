// EnsembleLearner with lean values (optimistic delivery): payloads come from the PayloadSource
// (the pushes this node received); a missing one makes the learner fetch the decided value
// from f+1 acceptors at once, once; the digest still guards against a mismatched decision; a
// lean Distribute is forwarded lean.

#include "multicast/ensemble_learner.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/multicast/ensemble_fake_env.hpp"

namespace eyrie::multicast {
namespace {

using testing::FakeEnv;
using testing::Sent;

constexpr NodeId kA{3}, kB{4}, kC{5}, kSelf{6}, kD{7};
constexpr Round kRound{65536};

struct LeanLearnerTest : ::testing::Test {
  FakeEnv env{kSelf};
  EnsembleTopology topo{.id = EnsembleId{1}, .candidates = {NodeId{1}}, .acceptors = {kA, kB, kC},
                        .learners = {kA, kSelf, kD}};
  std::vector<std::pair<std::uint64_t, Batch>> emitted;  // (instance, value), in emission order
  std::map<MessageId, Payload> pushes;                   // what senders pushed to this node
  std::set<MessageId> not_here;                          // messages this node will not deliver
  EnsembleLearner learner{env, topo, LearnerOptions{.window_instances = 8}, Instance{0},
                          [this](EnsembleId, Instance i, const Batch& b) { emitted.emplace_back(i.value, b); }};

  LeanLearnerTest() {
    learner.set_payload_source([this](EnsembleId ensemble, MulticastMessage& m) {
      EXPECT_EQ(ensemble, topo.id);
      if (not_here.contains(m.id)) return true;
      const auto it = pushes.find(m.id);
      if (it == pushes.end()) return false;
      m.payload = it->second;
      return true;
    });
  }

  // Instance i's decided value: two messages with payloads.
  static Batch full(std::uint64_t i) {
    Batch b;
    for (std::uint64_t k = 1; k <= 2; ++k) {
      MulticastMessage m;
      m.id = MessageId{NodeId{500}, 10 * i + k};
      m.destinations = {GroupId{1}};
      m.timestamp = WallTime{Duration{static_cast<std::int64_t>(1000 * i + k)}};
      m.payload = Payload::copy_of("payload " + std::to_string(10 * i + k));
      b.messages.push_back(std::move(m));
    }
    return b;
  }
  static Batch without_payloads(Batch b) {
    for (MulticastMessage& m : b.messages) m.payload = Payload{};
    return b;
  }
  Value lean(std::uint64_t i) const {
    return Value{topo.id, Instance{i}, kRound, without_payloads(full(i)), true, batch_digest(full(i))};
  }
  void push_all_of(std::uint64_t i) {
    for (const MulticastMessage& m : full(i).messages) pushes[m.id] = m.payload;
  }
  std::vector<Sent> sent_of(MessageType type) {
    std::vector<Sent> out;
    for (Sent& s : env.take_sent()) {
      if (s.type == type) out.push_back(std::move(s));
    }
    return out;
  }
  std::uint64_t counter(std::string_view name) { return env.metrics().counter_value(name); }
};

TEST_F(LeanLearnerTest, onValue_aLeanValueIsEmittedWithThePayloadsItsSourceSupplies) {
  push_all_of(0);
  learner.on_value(lean(0));
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(emitted[0].first, 0u);
  EXPECT_EQ(batch_digest(emitted[0].second), batch_digest(full(0))) << "the full decided value";
  EXPECT_EQ(emitted[0].second.messages[1].payload, full(0).messages[1].payload);
  EXPECT_TRUE(env.sent.empty()) << "nothing to fetch";
  EXPECT_EQ(counter("ridge.learner.lean_incomplete"), 0u);
  learner.check_invariants();
}

TEST_F(LeanLearnerTest, onValue_aMessageThisNodeWillNotDeliverNeedsNoPayload) {
  const Batch value = full(0);
  pushes[value.messages[0].id] = value.messages[0].payload;
  not_here.insert(value.messages[1].id);
  learner.on_value(lean(0));
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(emitted[0].second.messages[0].payload, value.messages[0].payload);
  EXPECT_EQ(emitted[0].second.messages[1].payload.size(), 0u);
  EXPECT_EQ(emitted[0].second.messages[1].id, value.messages[1].id);
  EXPECT_TRUE(env.sent.empty());
}

TEST_F(LeanLearnerTest, onValue_aMissingPayloadFetchesFromFPlusOneAcceptorsAtOnceAndOnlyOnce) {
  const Batch value = full(0);
  pushes[value.messages[0].id] = value.messages[0].payload;  // the second push was lost
  learner.on_value(lean(0));
  EXPECT_TRUE(emitted.empty());
  const std::vector<Sent> fetches = sent_of(kFetch);
  ASSERT_EQ(fetches.size(), topo.quorum()) << "f+1 = 2 acceptors: one of them voted in the deciding round";
  EXPECT_NE(fetches[0].to, fetches[1].to);
  for (const Sent& s : fetches) {
    EXPECT_TRUE(topo.is_acceptor(s.to));
    std::string error;
    const auto decoded = decode_ensemble_message(kFetch, s.payload, &error);
    ASSERT_TRUE(decoded.has_value()) << error;
    const Fetch& f = std::get<Fetch>(*decoded);
    EXPECT_EQ(f.ensemble, topo.id);
    EXPECT_EQ(f.first, Instance{0});
    EXPECT_EQ(f.count_max, 1u);
  }
  EXPECT_EQ(counter("ridge.learner.fetches"), 2u);
  EXPECT_GE(counter("ridge.learner.lean_incomplete"), 1u);
  learner.on_value(lean(0));  // the same lean value again (another forwarder)
  learner.on_distribute(kC, Distribute{topo.id, Instance{0}, kRound, without_payloads(value), {kA, kB}, true,
                                       batch_digest(value)});
  EXPECT_TRUE(sent_of(kFetch).empty()) << "fetched once already";
  EXPECT_TRUE(emitted.empty());
  learner.check_invariants();
}

TEST_F(LeanLearnerTest, onFetchReply_theDecidedVoteCompletesALeanValueMissingAPayload) {
  learner.on_value(lean(0));  // no pushes at all
  ASSERT_EQ(sent_of(kFetch).size(), 2u);
  // A reply with another, undecided value does not complete it.
  learner.on_fetch_reply(kB, FetchReply{topo.id, Instance{0}, {Vote{Instance{0}, Round{1}, full(5), false}}});
  EXPECT_TRUE(emitted.empty());
  learner.on_fetch_reply(kA, FetchReply{topo.id, Instance{0}, {Vote{Instance{0}, kRound, full(0), true}}});
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(batch_digest(emitted[0].second), batch_digest(full(0)));
  EXPECT_EQ(emitted[0].second.messages[0].payload, full(0).messages[0].payload);
  EXPECT_EQ(counter("ridge.learner.digest_mismatches"), 0u);
  learner.check_invariants();
}

TEST_F(LeanLearnerTest, onValue_aLeanValueWaitsForTheInstancesBeforeIt) {
  push_all_of(0);
  push_all_of(1);
  learner.on_value(lean(1));
  EXPECT_TRUE(emitted.empty());
  learner.on_value(lean(0));
  ASSERT_EQ(emitted.size(), 2u);
  EXPECT_EQ(emitted[0].first, 0u);
  EXPECT_EQ(emitted[1].first, 1u);
  EXPECT_EQ(batch_digest(emitted[1].second), batch_digest(full(1)));
}

TEST_F(LeanLearnerTest, onValue_aDecisionDigestThatDisagreesWithALeanValuesIsCounted) {
  push_all_of(0);
  learner.on_decision(Decision{topo.id, Instance{0}, kRound, batch_digest(full(9))});
  learner.on_value(lean(0));
  EXPECT_EQ(counter("ridge.learner.digest_mismatches"), 1u);
  EXPECT_TRUE(emitted.empty()) << "neither value is trusted";
  EXPECT_TRUE(sent_of(kFetch).empty());
  learner.check_invariants();
}

TEST_F(LeanLearnerTest, onValue_aLeanValueIsCompletedByTheLocalAcceptorsVote) {
  learner.offer_vote(Instance{0}, kRound, full(0));  // this node's acceptor holds the whole value
  learner.on_value(lean(0));                         // and nothing was pushed
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(batch_digest(emitted[0].second), batch_digest(full(0)));
  EXPECT_TRUE(sent_of(kFetch).empty());
}

TEST_F(LeanLearnerTest, onDistribute_aLeanDistributeIsForwardedLeanToTheLearnersOutsideTheQuorum) {
  push_all_of(0);
  const std::uint64_t digest = batch_digest(full(0));
  const Distribute lean_distribute{topo.id, Instance{0}, kRound, without_payloads(full(0)), {kA, kB}, true, digest};
  learner.on_distribute(kC, lean_distribute);
  const std::vector<Sent> values = sent_of(kValue);
  ASSERT_EQ(values.size(), 1u) << "kA is in the quorum; this node is the distributor";
  EXPECT_EQ(values[0].to, kD);
  std::string error;
  const auto decoded = decode_ensemble_message(kValue, values[0].payload, &error);
  ASSERT_TRUE(decoded.has_value()) << error;
  const Value& forwarded = std::get<Value>(*decoded);
  EXPECT_TRUE(forwarded.lean);
  EXPECT_EQ(forwarded.digest, digest);
  EXPECT_EQ(forwarded.instance, Instance{0});
  ASSERT_EQ(forwarded.value.messages.size(), 2u);
  EXPECT_EQ(forwarded.value.messages[0].payload.size(), 0u) << "still lean";
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(batch_digest(emitted[0].second), digest);
}

}  // namespace
}  // namespace eyrie::multicast
