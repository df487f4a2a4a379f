// Ensemble wire, optimistic delivery: lean Value and Distribute (payloads left out, the full
// value's digest given) survive a round trip, and the push a sender makes (kOptPush) is a
// Propose that keeps every field a learner needs.

#include <gtest/gtest.h>

#include <optional>
#include <variant>

#include "multicast/ensemble_wire.hpp"

namespace eyrie::multicast {
namespace {

// Two messages with payloads, and the same value with the payloads left out.
Batch full_value() {
  Batch batch;
  for (std::uint64_t seq = 1; seq <= 2; ++seq) {
    batch.messages.push_back(MulticastMessage{.id = MessageId{NodeId{70000}, seq},
                                              .destinations = {GroupId{1}, GroupId{3}},
                                              .timestamp = WallTime{Duration{5000 + seq}},
                                              .payload = Payload::copy_of("body " + std::to_string(seq)),
                                              .sender_acked_below = seq});
  }
  return batch;
}
Batch lean_value() {
  Batch batch = full_value();
  for (MulticastMessage& m : batch.messages) m.payload = Payload{};
  return batch;
}

// Encodes and decodes `m`; nullopt (and a test failure) when it does not come back as an M.
template <typename M>
std::optional<M> decoded(const M& m) {
  std::string error;
  const std::optional<EnsembleMessage> out = decode_ensemble_message(M::kType, encode(m), &error);
  if (!out || !std::holds_alternative<M>(*out)) {
    ADD_FAILURE() << "no round trip: " << error;
    return std::nullopt;
  }
  return std::get<M>(*out);
}

void expect_ids_without_payloads(const Batch& out) {
  const Batch expected = full_value();
  ASSERT_EQ(out.messages.size(), expected.messages.size());
  for (std::size_t i = 0; i < out.messages.size(); ++i) {
    EXPECT_EQ(out.messages[i].id, expected.messages[i].id);
    EXPECT_EQ(out.messages[i].destinations, expected.messages[i].destinations);
    EXPECT_EQ(out.messages[i].timestamp, expected.messages[i].timestamp);
    EXPECT_EQ(out.messages[i].payload.size(), 0u);
  }
}

TEST(EnsembleWireLean, leanValueRoundTripKeepsTheFlagTheDigestAndTheIds) {
  const std::uint64_t digest = batch_digest(full_value());
  const Value v{EnsembleId{2}, Instance{41}, Round::make(3, 1), lean_value(), true, digest};
  const std::optional<Value> out = decoded(v);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->lean);
  EXPECT_EQ(out->digest, digest);
  EXPECT_NE(out->digest, batch_digest(out->value)) << "the digest is the full value's, not the lean one's";
  EXPECT_EQ(out->ensemble, EnsembleId{2});
  EXPECT_EQ(out->instance, Instance{41});
  EXPECT_EQ(out->round, Round::make(3, 1));
  expect_ids_without_payloads(out->value);
}

TEST(EnsembleWireLean, leanDistributeRoundTripKeepsTheFlagTheDigestAndTheQuorum) {
  const Distribute d{EnsembleId{2}, Instance{7}, Round::make(1, 0), lean_value(), {NodeId{3}, NodeId{1}}, true,
                     0xfedcba9876543210};
  const std::optional<Distribute> out = decoded(d);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->lean);
  EXPECT_EQ(out->digest, 0xfedcba9876543210u) << "all 64 bits";
  EXPECT_EQ(out->quorum, (std::vector<NodeId>{NodeId{3}, NodeId{1}}));
  EXPECT_EQ(out->instance, Instance{7});
  expect_ids_without_payloads(out->value);
}

TEST(EnsembleWireLean, aFullValueStaysFullAfterARoundTrip) {
  const Value v{EnsembleId{1}, Instance{3}, Round::make(1, 0), full_value()};
  const std::optional<Value> out = decoded(v);
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->lean);
  EXPECT_EQ(out->digest, 0u);
  EXPECT_EQ(batch_digest(out->value), batch_digest(full_value()));
  const std::optional<Distribute> d =
      decoded(Distribute{EnsembleId{1}, Instance{3}, Round::make(1, 0), full_value(), {NodeId{1}}});
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->lean);
}

TEST(EnsembleWireLean, anOptPushIsAProposeThatKeepsEveryField) {
  const Propose push{EnsembleId{10}, full_value().messages};
  std::string error;
  const std::optional<Propose> out = decode_propose(encode(push), &error);
  ASSERT_TRUE(out.has_value()) << error;
  EXPECT_EQ(out->ensemble, EnsembleId{10});
  ASSERT_EQ(out->messages.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(out->messages[i].id, push.messages[i].id);
    EXPECT_EQ(out->messages[i].destinations, push.messages[i].destinations);
    EXPECT_EQ(out->messages[i].timestamp, push.messages[i].timestamp);
    EXPECT_EQ(out->messages[i].payload, push.messages[i].payload);
    EXPECT_EQ(out->messages[i].sender_acked_below, push.messages[i].sender_acked_below);
  }
}

}  // namespace
}  // namespace eyrie::multicast
