// Ensemble wire messages: every message survives a round trip; malformed ones are refused.

#include <gtest/gtest.h>

#include "multicast/ensemble_wire.hpp"

namespace eyrie::multicast {
namespace {

Batch batch_of(std::initializer_list<std::string_view> bodies) {
  Batch batch;
  std::uint64_t seq = 1;
  for (std::string_view body : bodies) {
    batch.messages.push_back(MulticastMessage{.id = MessageId{NodeId{70000}, seq++},
                                              .destinations = {GroupId{1}},
                                              .timestamp = WallTime{Duration{1000 + seq}},
                                              .payload = Payload::copy_of(body)});
  }
  return batch;
}

template <typename M>
M round_trip(const M& m) {
  std::string error;
  auto decoded = decode_ensemble_message(M::kType, encode(m), &error);
  EXPECT_TRUE(decoded.has_value()) << error;
  return std::get<M>(*decoded);
}

TEST(EnsembleWire, phase2RoundTripKeepsValueChainAndCount) {
  const Phase2 m{EnsembleId{3}, Round::make(7, 2), Instance{42}, batch_of({"a", "bc"}), {NodeId{4}, NodeId{5}}, 1};
  const Phase2 out = round_trip(m);
  EXPECT_EQ(out.ensemble, m.ensemble);
  EXPECT_EQ(out.round, m.round);
  EXPECT_EQ(out.instance, m.instance);
  EXPECT_EQ(out.chain, m.chain);
  EXPECT_EQ(out.votes, 1u);
  EXPECT_EQ(batch_digest(out.value), batch_digest(m.value));
}

TEST(EnsembleWire, phase1bRoundTripKeepsVotesInOrder) {
  Phase1B m{.ensemble = EnsembleId{1}, .round = Round::make(2, 0), .promised = true, .promised_round = Round::make(2, 0),
            .first = Instance{10}, .reported_end = Instance{20}, .trimmed_below = Instance{5}};
  m.votes.push_back(Vote{Instance{11}, Round::make(1, 1), batch_of({"x"}), true});
  m.votes.push_back(Vote{Instance{15}, Round::make(1, 0), Batch{}, false});
  const Phase1B out = round_trip(m);
  ASSERT_EQ(out.votes.size(), 2u);
  EXPECT_TRUE(out.votes[0].decided);
  EXPECT_EQ(out.votes[1].instance, Instance{15});
  EXPECT_EQ(out.trimmed_below, Instance{5});
}

TEST(EnsembleWire, distributeAndValueShareASchemaButNotATypeOrQuorum) {
  const Distribute d{EnsembleId{1}, Instance{3}, Round::make(1, 0), batch_of({"v"}), {NodeId{1}, NodeId{2}}};
  EXPECT_EQ(round_trip(d).quorum, d.quorum);
  const Value v{EnsembleId{1}, Instance{3}, Round::make(1, 0), batch_of({"v"})};
  EXPECT_EQ(batch_digest(round_trip(v).value), batch_digest(v.value));
}

TEST(EnsembleWire, smallMessagesRoundTrip) {
  EXPECT_EQ(round_trip(Decision{EnsembleId{2}, Instance{9}, Round{77}, 0xabcdef}).digest, 0xabcdefu);
  EXPECT_EQ(round_trip(Heartbeat{EnsembleId{2}, Round{5}, true, Instance{8}}).decided_below, Instance{8});
  EXPECT_EQ(round_trip(Nack{EnsembleId{2}, Round{5}, Round{9}}).promised, Round{9});
  EXPECT_EQ(round_trip(Redecide{EnsembleId{2}, Instance{17}}).instance, Instance{17});
  EXPECT_EQ(round_trip(Fetch{EnsembleId{2}, Instance{4}, 16}).count_max, 16u);
  EXPECT_EQ(round_trip(Phase1A{EnsembleId{2}, Round{5}, Instance{0}, Instance{64}}).end, Instance{64});
}

TEST(EnsembleWire, refusesMalformedAndInvalidMessages) {
  std::string error;
  EXPECT_FALSE(decode_ensemble_message(kPhase2, Payload::copy_of("12345678"), &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(decode_ensemble_message(kPhase1A, encode(Phase1A{EnsembleId{1}, Round{1}, Instance{5}, Instance{5}}), &error))
      << "an empty Phase 1 range";
  EXPECT_FALSE(decode_ensemble_message(kFetch, encode(Fetch{EnsembleId{1}, Instance{0}, 0}), &error));
  EXPECT_FALSE(decode_ensemble_message(kPhase2, encode(Phase2{EnsembleId{1}, Round{1}, Instance{0}, {}, {NodeId{0}}, 0}), &error))
      << "node 0 in a chain";
  FetchReply unordered{.ensemble = EnsembleId{1}, .trimmed_below = Instance{0}};
  unordered.votes = {Vote{Instance{5}, Round{1}, {}, true}, Vote{Instance{4}, Round{1}, {}, true}};
  EXPECT_FALSE(decode_ensemble_message(kFetchReply, encode(unordered), &error));
  EXPECT_FALSE(decode_ensemble_message(MessageType{1079}, encode(Nack{}), &error));
}

TEST(EnsembleWire, digestDependsOnContentsAndNullTimestamps) {
  Batch a = batch_of({"a"}), b = batch_of({"b"});
  EXPECT_NE(batch_digest(a), batch_digest(b));
  Batch n1, n2;
  n1.null_timestamp = WallTime{Duration{1}};
  n2.null_timestamp = WallTime{Duration{2}};
  EXPECT_NE(batch_digest(n1), batch_digest(n2));
  EXPECT_EQ(batch_digest(a), batch_digest(batch_of({"a"})));
}

TEST(EnsembleWire, proposeRoundTrip) {
  std::string error;
  const auto out = decode_propose(encode(Propose{EnsembleId{4}, batch_of({"p", "q"}).messages}), &error);
  ASSERT_TRUE(out) << error;
  EXPECT_EQ(out->ensemble, EnsembleId{4});
  EXPECT_EQ(out->messages.size(), 2u);
}

}  // namespace
}  // namespace eyrie::multicast
