// Emitted messages (partition/emitter.*): at least once, one replica at a time, failover to the
// next replica when no acknowledgement comes, and receivers that drop duplicates.

#include "partition/emitter.hpp"

#include <gtest/gtest.h>

#include "partition/message_types.hpp"
#include "tests/multicast/ensemble_fake_env.hpp"

namespace eyrie::partition {
namespace {

using multicast::testing::FakeEnv;
using namespace std::chrono_literals;

const PartitionConfig kPartition{PartitionId{1}, {NodeId{1}, NodeId{2}, NodeId{3}}};
constexpr NodeId kClient{70000};

std::size_t emitted_to_client(FakeEnv& env) {
  std::size_t n = 0;
  for (const auto& s : env.take_sent()) {
    if (s.type == kEmitted && s.to == kClient) ++n;
  }
  return n;
}

TEST(Emitter, theFirstReplicaSendsAtOnceAndAgainEachPeriodUntilAcknowledged) {
  FakeEnv env{NodeId{1}};
  Emitter emitter(env, kPartition, Emitter::Options{.failover = 1s});
  emitter.start();
  const EmitId id{PartitionId{1}, 7, 0};
  emitter.add(kClient, id, Payload::copy_of(std::string_view("hello")));
  EXPECT_EQ(emitted_to_client(env), 1u);
  env.advance(1100ms);
  EXPECT_EQ(emitted_to_client(env), 1u) << "resent after a period without acknowledgement";
  emitter.on_ack(id);
  env.advance(3s);
  EXPECT_EQ(emitted_to_client(env), 0u);
  EXPECT_EQ(emitter.pending(), 0u);
}

TEST(Emitter, laterReplicasWaitTheirTurnAndStopOnAcknowledgement) {
  FakeEnv env{NodeId{3}};  // rank 2: two failover periods
  Emitter emitter(env, kPartition, Emitter::Options{.failover = 1s});
  emitter.start();
  const EmitId id{PartitionId{1}, 7, 1};
  emitter.add(kClient, id, Payload::copy_of(std::string_view("x")));
  env.advance(1500ms);
  EXPECT_EQ(emitted_to_client(env), 0u) << "the first replicas are expected to send";
  env.advance(800ms);
  EXPECT_EQ(emitted_to_client(env), 1u) << "the first two stayed silent: this one takes over";
  emitter.on_ack(id);
  env.advance(5s);
  EXPECT_EQ(emitted_to_client(env), 0u);
}

TEST(Emitter, theSentMessageCarriesItsIdAndBody) {
  FakeEnv env{NodeId{1}};
  Emitter emitter(env, kPartition, Emitter::Options{});
  emitter.add(kClient, EmitId{PartitionId{1}, 9, 2}, Payload::copy_of(std::string_view("body")));
  const auto sent = env.take_sent();
  ASSERT_EQ(sent.size(), 1u);
  std::string error;
  const auto decoded = decode_emitted(sent[0].payload, &error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->id, (EmitId{PartitionId{1}, 9, 2}));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(decoded->body.data()), decoded->body.size()), "body");
}

TEST(Emitter, givesUpAfterItsLimitsAndCountsIt) {
  FakeEnv env{NodeId{1}};
  Emitter emitter(env, kPartition, Emitter::Options{.failover = 1s, .give_up_after = 10s, .pending_max = 2});
  emitter.start();
  for (std::uint32_t i = 0; i < 3; ++i) emitter.add(kClient, EmitId{PartitionId{1}, 1, i}, Payload{});
  EXPECT_EQ(emitter.pending(), 2u);
  EXPECT_EQ(env.metrics().counter_value("ssmr.emitted_given_up"), 1u);
  env.advance(11s);
  EXPECT_EQ(emitter.pending(), 0u);
  EXPECT_EQ(env.metrics().counter_value("ssmr.emitted_given_up"), 3u);
  emitter.check_invariants();
}

TEST(EmitFilter, admitsEachIdOncePerPartition) {
  EmitFilter filter;
  EXPECT_TRUE(filter.admit(EmitId{PartitionId{1}, 5, 0}));
  EXPECT_FALSE(filter.admit(EmitId{PartitionId{1}, 5, 0}));
  EXPECT_TRUE(filter.admit(EmitId{PartitionId{1}, 5, 1}));
  EXPECT_TRUE(filter.admit(EmitId{PartitionId{2}, 5, 0})) << "another partition's position 5";
  EXPECT_TRUE(filter.admit(EmitId{PartitionId{1}, 3, 0})) << "ids need not arrive in order";
}

TEST(EmitFilter, forgettingRaisesAWatermarkBelowWhichEverythingCountsAsSeen) {
  EmitFilter filter(2);
  EXPECT_TRUE(filter.admit(EmitId{PartitionId{1}, 1, 0}));
  EXPECT_TRUE(filter.admit(EmitId{PartitionId{1}, 2, 0}));
  EXPECT_TRUE(filter.admit(EmitId{PartitionId{1}, 3, 0}));  // forgets (1, 0)
  EXPECT_FALSE(filter.admit(EmitId{PartitionId{1}, 1, 0})) << "below the watermark";
  EXPECT_FALSE(filter.admit(EmitId{PartitionId{1}, 2, 0}));
  EXPECT_FALSE(filter.admit(EmitId{PartitionId{1}, 3, 0}));
}

TEST(EmitWire, malformedAcksAndMessagesAreRejected) {
  std::string error;
  EXPECT_FALSE(decode_emit_ack(Payload::copy_of(std::string_view("garbage!")), &error));
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_FALSE(decode_emitted(encode(Emitted{EmitId{PartitionId{1}, 0, 0}, Payload{}}), &error)) << "position 0";
  EXPECT_FALSE(error.empty());
  const auto ack = decode_emit_ack(encode_emit_ack(EmitId{PartitionId{4}, 8, 3}), &error);
  ASSERT_TRUE(ack) << error;
  EXPECT_EQ(*ack, (EmitId{PartitionId{4}, 8, 3}));
}

}  // namespace
}  // namespace eyrie::partition
