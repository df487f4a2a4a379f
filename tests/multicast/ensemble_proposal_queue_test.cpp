// ProposalQueue: batching thresholds and duplicate suppression of the coordinator.

#include "multicast/proposal_queue.hpp"

#include <gtest/gtest.h>

namespace eyrie::multicast {
namespace {

MulticastMessage message(std::uint64_t seq, std::size_t bytes = 10, std::uint64_t acked_below = 0) {
  MulticastMessage m;
  m.id = MessageId{NodeId{70001}, seq};
  m.destinations = {GroupId{1}};
  m.payload = Payload::copy_of(std::string(bytes, 'x'));
  m.sender_acked_below = acked_below;
  return m;
}

TEST(ProposalQueue, takeBatchStopsAtTheCountAndByteThresholds) {
  ProposalQueue q({});
  for (std::uint64_t s = 1; s <= 10; ++s) q.add(message(s, 100), Time{});
  BatchingOptions batching{.batch_bytes_max = 250, .batch_messages_max = 3};
  EXPECT_TRUE(q.batch_full(batching));
  EXPECT_EQ(q.take_batch(batching).messages.size(), 2u) << "a third message would pass 250 bytes";
  batching.batch_bytes_max = 10'000;
  EXPECT_EQ(q.take_batch(batching).messages.size(), 3u);
  EXPECT_EQ(q.pending(), 5u);
  EXPECT_EQ(q.in_flight(), 5u);
}

TEST(ProposalQueue, aMessageLargerThanTheByteLimitStillLeavesAlone) {
  ProposalQueue q({});
  q.add(message(1, 1000), Time{});
  EXPECT_EQ(q.take_batch(BatchingOptions{.batch_bytes_max = 10}).messages.size(), 1u);
}

TEST(ProposalQueue, duplicatesOfPendingInFlightAndDecidedMessagesAreRecognised) {
  ProposalQueue q({});
  EXPECT_EQ(q.add(message(1), Time{}), ProposalQueue::Admit::queued);
  EXPECT_EQ(q.add(message(1), Time{}), ProposalQueue::Admit::duplicate);
  const Batch b = q.take_batch({});
  EXPECT_EQ(q.add(message(1), Time{}), ProposalQueue::Admit::duplicate);
  EXPECT_EQ(q.decided(b).size(), 1u);
  EXPECT_EQ(q.add(message(1), Time{}), ProposalQueue::Admit::already_decided);
  // Once the sender says everything below 2 was acknowledged, the id can be forgotten.
  EXPECT_EQ(q.add(message(2, 10, 2), Time{}), ProposalQueue::Admit::queued);
  q.check_invariants();
}

TEST(ProposalQueue, refusesBeyondItsPendingBoundAndForgetsOldestDecidedIds) {
  ProposalQueue q({.pending_messages_max = 2, .decided_ids_max = 2});
  EXPECT_EQ(q.add(message(1), Time{}), ProposalQueue::Admit::queued);
  EXPECT_EQ(q.add(message(2), Time{}), ProposalQueue::Admit::queued);
  EXPECT_EQ(q.add(message(3), Time{}), ProposalQueue::Admit::full);
  q.decided(q.take_batch({}));
  q.add(message(3), Time{});
  q.decided(q.take_batch({}));
  EXPECT_EQ(q.add(message(1), Time{}), ProposalQueue::Admit::queued) << "the oldest decided id was forgotten";
  EXPECT_EQ(q.add(message(3), Time{}), ProposalQueue::Admit::already_decided);
  q.check_invariants();
}

TEST(ProposalQueue, requeuedMessagesGoFirstAndAdoptedOnesLeavePending) {
  ProposalQueue q({});
  q.add(message(1), Time{});
  const Batch lost = q.take_batch({});
  q.add(message(2), Time{});
  q.requeue(lost, Time{});
  EXPECT_EQ(q.take_batch({}).messages.front().id.seq, 1u);
  q.add(message(5), Time{});
  Batch adopted;
  adopted.messages.push_back(message(5));
  q.adopt(adopted);
  EXPECT_TRUE(q.empty()) << "an adopted message is proposed in the adopted value only";
  q.check_invariants();
}

}  // namespace
}  // namespace eyrie::multicast
