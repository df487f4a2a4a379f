// The logs of multi-process runs: what the writers append is what the readers return, a
// process killed mid-write costs only its torn last line, and malformed files are refused with
// their file and line.

#include "experiments/run_logs.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "experiments/load_payload.hpp"
#include "runtime/hash.hpp"
#include "tests/multicast/ensemble_fake_env.hpp"
#include "tests/net/test_cluster.hpp"

namespace eyrie::experiments {
namespace {

using multicast::GroupId;
using multicast::MessageId;
using net::testing::TempDir;

constexpr NodeId kSender{70000};

multicast::Delivery delivery(std::uint64_t seq, std::uint64_t position) {
  multicast::Delivery d;
  d.id = MessageId{kSender, seq};
  d.destinations = {GroupId{1}, GroupId{2}};
  d.timestamp = WallTime{Duration{1000 + seq}};
  d.final_timestamp = WallTime{Duration{2000 + seq}};
  d.ensemble = multicast::EnsembleId{3};
  d.instance = multicast::Instance{40 + seq};
  d.position = position;
  d.payload = make_load_payload(seq, 32, 0);
  return d;
}

multicast::OptDelivery opt_delivery(std::uint64_t seq, std::uint64_t position) {
  const multicast::Delivery d = delivery(seq, position);
  return multicast::OptDelivery{d.id, d.destinations, d.timestamp, d.ensemble, position, d.payload};
}

void append_raw(const std::filesystem::path& path, std::string_view text) {
  std::ofstream(path, std::ios::app | std::ios::binary) << text;
}

TEST(DeliveryLog, readerReturnsWhatTheWriterAppended) {
  TempDir dir;
  const auto path = dir.path() / "d.log";
  multicast::testing::FakeEnv env(NodeId{4});
  {
    DeliveryLogWriter writer(env, path, {GroupId{1}, GroupId{2}}, true);
    writer.start();
    writer.optimistic(opt_delivery(1, 1));
    writer.conservative(delivery(1, 1));
    writer.conservative(delivery(2, 2));
  }
  const std::vector<RecordedLearner> logs = read_delivery_log(path);
  ASSERT_EQ(logs.size(), 1u);
  const check::LearnerLog& log = logs[0].log;
  EXPECT_EQ(log.node, NodeId{4});
  EXPECT_EQ(log.incarnation, 1u);
  EXPECT_EQ(log.groups, (std::vector<GroupId>{GroupId{1}, GroupId{2}}));
  ASSERT_EQ(log.conservative.size(), 2u);
  const check::ConservativeDelivery& c = log.conservative[1];
  EXPECT_EQ(c.id, (MessageId{kSender, 2}));
  EXPECT_EQ(c.destinations, (std::vector<GroupId>{GroupId{1}, GroupId{2}}));
  EXPECT_EQ(c.payload_hash, fnv1a64(make_load_payload(2, 32, 0).bytes()));
  EXPECT_EQ(c.final_timestamp, WallTime{Duration{2002}});
  EXPECT_EQ(c.ensemble, multicast::EnsembleId{3});
  EXPECT_EQ(c.position, 2u);
  ASSERT_TRUE(log.optimistic.has_value());
  EXPECT_EQ(*log.optimistic, (std::vector<MessageId>{MessageId{kSender, 1}}));
  EXPECT_EQ(logs[0].delivered_at.size(), 2u);
}

TEST(DeliveryLog, flushTimerWritesWithoutWaitingForTheBufferToFill) {
  TempDir dir;
  const auto path = dir.path() / "d.log";
  multicast::testing::FakeEnv env(NodeId{4});
  DeliveryLogWriter writer(env, path, {GroupId{1}}, false);
  writer.start();
  writer.conservative(delivery(1, 1));
  EXPECT_TRUE(read_delivery_log(path).at(0).log.conservative.empty()) << "buffered until the flush";
  env.advance(kFlushInterval);
  EXPECT_EQ(read_delivery_log(path).at(0).log.conservative.size(), 1u);
  EXPECT_FALSE(read_delivery_log(path).at(0).log.optimistic.has_value());
}

TEST(DeliveryLog, tornLastLineIsDroppedAndCutByTheNextIncarnation) {
  TempDir dir;
  const auto path = dir.path() / "d.log";
  multicast::testing::FakeEnv env(NodeId{4});
  {
    DeliveryLogWriter writer(env, path, {GroupId{1}}, false);
    writer.conservative(delivery(1, 1));
  }
  append_raw(path, "c 70000 2 1,2 00");  // killed in the middle of a line
  EXPECT_EQ(read_delivery_log(path).at(0).log.conservative.size(), 1u);
  {
    DeliveryLogWriter restarted(env, path, {GroupId{1}}, false);
    restarted.conservative(delivery(1, 1));
    restarted.conservative(delivery(2, 2));
  }
  const std::vector<RecordedLearner> logs = read_delivery_log(path);
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(logs[0].log.conservative.size(), 1u);
  EXPECT_EQ(logs[1].log.incarnation, 2u);
  EXPECT_EQ(logs[1].log.conservative.size(), 2u);
}

TEST(DeliveryLog, malformedLineIsRefusedWithFileAndLine) {
  TempDir dir;
  const auto path = dir.path() / "d.log";
  append_raw(path, "incarnation node=4 groups=1 optimistic=0 pid=1\nc 1 2 1 zz 5 1 1 1 5 6\n");
  try {
    read_delivery_log(path);
    FAIL() << "accepted a malformed hash";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("d.log:2: expected an unsigned integer, got \"zz\""), std::string::npos) << e.what();
  }
  append_raw(path, "o 1 2 1 1 1 5 6\n");
  EXPECT_THROW(read_delivery_log(path), std::runtime_error);
}

TEST(SentLog, messagesAreOwedOnlyWhenTheirSectionEndedAndTheyWereAcknowledged) {
  TempDir dir;
  const auto path = dir.path() / "sent.log";
  {
    SentLogWriter finished(path, kSender);
    finished.sent(MessageId{kSender, 1}, {GroupId{1}}, make_load_payload(1, 16, 0));
    finished.sent(MessageId{kSender, 2}, {GroupId{1}, GroupId{2}}, make_load_payload(2, 16, 0));
    finished.finish(2, {2});
  }
  {
    SentLogWriter crashed(path, NodeId{70001});  // no finish(): its sender did not end
    crashed.sent(MessageId{NodeId{70001}, 1}, {GroupId{2}}, make_load_payload(1, 16, 0));
  }
  const std::vector<check::SentMulticast> sent = read_sent_log(path);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].id, (MessageId{kSender, 1}));
  EXPECT_EQ(sent[0].payload_hash, fnv1a64(make_load_payload(1, 16, 0).bytes()));
  EXPECT_TRUE(sent[0].sender_correct);
  EXPECT_EQ(sent[1].destinations, (std::vector<GroupId>{GroupId{1}, GroupId{2}}));
  EXPECT_FALSE(sent[1].sender_correct) << "never acknowledged";
  EXPECT_EQ(sent[2].id, (MessageId{NodeId{70001}, 1}));
  EXPECT_FALSE(sent[2].sender_correct) << "its section has no end";
}

TEST(RunHistory, incarnationsAreNumberedAcrossFilesAndOnlyTheLastIsCorrect) {
  TempDir dir;
  multicast::testing::FakeEnv env(NodeId{4});
  { DeliveryLogWriter first(env, dir.path() / "a.log", {GroupId{1}}, false); }
  { DeliveryLogWriter second(env, dir.path() / "a.log", {GroupId{1}}, false); }
  { DeliveryLogWriter third(env, dir.path() / "b.log", {GroupId{1}}, false); }
  { SentLogWriter(dir.path() / "sent.log", kSender).finish(0, {}); }
  const check::MulticastHistory h =
      read_history({dir.path() / "sent.log"}, {dir.path() / "a.log", dir.path() / "b.log"}, false);
  ASSERT_EQ(h.logs.size(), 3u);
  EXPECT_FALSE(h.settled);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(h.logs[i].incarnation, i + 1);
  EXPECT_FALSE(h.logs[0].correct);
  EXPECT_FALSE(h.logs[1].correct);
  EXPECT_TRUE(h.logs[2].correct);
}

TEST(LoadPayload, isAFunctionOfSeqSizeAndPhase) {
  const Payload a = make_load_payload(7, 100, 1);
  EXPECT_EQ(a.size(), 100u);
  EXPECT_EQ(fnv1a64(a.bytes()), fnv1a64(make_load_payload(7, 100, 1).bytes()));
  EXPECT_NE(fnv1a64(a.bytes()), fnv1a64(make_load_payload(8, 100, 1).bytes()));
  EXPECT_NE(fnv1a64(a.bytes()), fnv1a64(make_load_payload(7, 100, 2).bytes()));
  EXPECT_EQ(load_payload_phase(a), std::optional<std::uint8_t>(1));
  EXPECT_EQ(load_payload_phase(make_load_payload(7, 9, 2)), std::optional<std::uint8_t>(2));
  EXPECT_EQ(load_payload_phase(make_load_payload(7, 8, 2)), std::nullopt) << "too short to carry a phase";
  EXPECT_EQ(make_load_payload(7, 3, 0).size(), 3u);
}

}  // namespace
}  // namespace eyrie::experiments
