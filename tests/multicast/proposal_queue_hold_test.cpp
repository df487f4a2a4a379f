// ProposalQueue in hold mode (optimistic delivery, §5.3.4 (b)): messages wait until the wall
// clock passes their timestamp plus the hold, or until held that long, and leave in timestamp
// order; held messages count for duplicates and the pending bound. And sender lives: a
// restarted sender's watermark does not make an earlier life's message "already decided".

#include "multicast/proposal_queue.hpp"

#include <gtest/gtest.h>

namespace eyrie::multicast {
namespace {

using namespace std::chrono_literals;
using Admit = ProposalQueue::Admit;

constexpr Duration kHold = 10ms;

Time at(Duration d) { return Time{d}; }
WallTime wall(Duration d) { return WallTime{d}; }

MulticastMessage message(std::uint64_t seq, Duration timestamp, std::uint64_t acked_below = 0,
                         std::uint64_t sender = 70001) {
  MulticastMessage m;
  m.id = MessageId{NodeId{sender}, seq};
  m.destinations = {GroupId{1}};
  m.timestamp = WallTime{timestamp};
  m.payload = Payload::copy_of("x");
  m.sender_acked_below = acked_below;
  return m;
}

std::vector<std::uint64_t> seqs_of(const Batch& batch) {
  std::vector<std::uint64_t> out;
  for (const MulticastMessage& m : batch.messages) out.push_back(m.id.seq);
  return out;
}

Batch batch_of(std::vector<MulticastMessage> messages) {
  Batch b;
  b.messages = std::move(messages);
  return b;
}

TEST(ProposalQueueHold, add_holdsAMessageThatIsNotLateYet) {
  ProposalQueue q({.hold = kHold});
  EXPECT_EQ(q.add(message(1, 95ms), at(0ms), wall(100ms)), Admit::queued);
  EXPECT_EQ(q.held(), 1u);
  EXPECT_EQ(q.pending(), 0u);
  EXPECT_TRUE(q.empty()) << "a held message is not proposable";
  EXPECT_FALSE(q.oldest_arrival().has_value());
  q.check_invariants();
}

TEST(ProposalQueueHold, release_movesHeldMessagesInTimestampOrderOnceTheWallClockPassesTimestampPlusHold) {
  ProposalQueue q({.hold = kHold});
  q.add(message(1, 95ms), at(0ms), wall(100ms));
  q.add(message(2, 92ms), at(0ms), wall(100ms));
  q.add(message(3, 99ms), at(0ms), wall(100ms));
  q.release(at(1ms), wall(101ms));
  EXPECT_EQ(q.pending(), 0u) << "seq 2 (timestamp 92) is due at 102";
  q.release(at(2ms), wall(102ms));
  EXPECT_EQ(q.pending(), 1u);
  EXPECT_EQ(q.held(), 2u);
  q.release(at(5ms), wall(105ms));
  EXPECT_EQ(q.pending(), 2u);
  EXPECT_EQ(q.held(), 1u);
  EXPECT_EQ(seqs_of(q.take_batch({})), (std::vector<std::uint64_t>{2, 1}));
  q.release(at(8ms), wall(108ms));
  EXPECT_EQ(q.held(), 1u) << "seq 3 (timestamp 99) is due at 109";
  q.release(at(9ms), wall(109ms));
  EXPECT_EQ(q.held(), 0u);
  EXPECT_EQ(seqs_of(q.take_batch({})), (std::vector<std::uint64_t>{3}));
  q.check_invariants();
}

TEST(ProposalQueueHold, release_letsAMessageGoOnceHeldForTheHoldEvenIfItsSendersClockRunsAhead) {
  ProposalQueue q({.hold = kHold});
  q.add(message(1, 1100ms), at(50ms), wall(100ms));  // a second ahead
  q.release(at(59ms), wall(109ms));
  EXPECT_EQ(q.held(), 1u);
  q.release(at(60ms), wall(110ms));
  EXPECT_EQ(q.held(), 0u);
  EXPECT_EQ(q.pending(), 1u);
  q.check_invariants();
}

TEST(ProposalQueueHold, release_stopsAtTheFirstMessageStillWaiting) {
  ProposalQueue q({.hold = kHold});
  // Seq 2 (timestamp 90) arrived first; seq 1 (timestamp 80) later, but comes first in order.
  q.add(message(2, 90ms), at(0ms), wall(85ms));
  q.add(message(1, 80ms), at(5ms), wall(85ms));
  ASSERT_EQ(q.held(), 2u);
  // Seq 2 has been held for the hold, but seq 1 still waits (wall 89 < 80 + 10, held 5 ms).
  q.release(at(10ms), wall(89ms));
  EXPECT_EQ(q.held(), 2u) << "releasing seq 2 first would break timestamp order";
  EXPECT_EQ(q.pending(), 0u);
  q.release(at(11ms), wall(90ms));
  EXPECT_EQ(q.held(), 0u);
  EXPECT_EQ(seqs_of(q.take_batch({})), (std::vector<std::uint64_t>{1, 2}));
  q.check_invariants();
}

TEST(ProposalQueueHold, release_ordersEqualTimestampsById) {
  ProposalQueue q({.hold = kHold});
  q.add(message(2, 90ms, 0, 5), at(0ms), wall(90ms));
  q.add(message(9, 90ms, 0, 4), at(0ms), wall(90ms));
  q.add(message(1, 90ms, 0, 5), at(0ms), wall(90ms));
  q.release(at(0ms), wall(100ms));
  const Batch b = q.take_batch({});
  ASSERT_EQ(b.messages.size(), 3u);
  EXPECT_EQ(b.messages[0].id, (MessageId{NodeId{4}, 9}));
  EXPECT_EQ(b.messages[1].id, (MessageId{NodeId{5}, 1}));
  EXPECT_EQ(b.messages[2].id, (MessageId{NodeId{5}, 2}));
}

TEST(ProposalQueueHold, add_aLateMessageGoesStraightToPending) {
  ProposalQueue q({.hold = kHold});
  q.add(message(1, 85ms), at(0ms), wall(90ms));  // held until 95
  EXPECT_EQ(q.add(message(2, 80ms), at(0ms), wall(90ms)), Admit::queued);
  EXPECT_EQ(q.pending(), 1u) << "timestamp 80 + hold 10 <= wall 90: nothing earlier can still come";
  EXPECT_EQ(q.held(), 1u);
  EXPECT_EQ(seqs_of(q.take_batch({})), (std::vector<std::uint64_t>{2}));
  q.check_invariants();
}

TEST(ProposalQueueHold, add_withoutHoldNeverHolds) {
  ProposalQueue q({});
  q.add(message(1, 1000ms), at(0ms), wall(0ms));
  EXPECT_EQ(q.held(), 0u);
  EXPECT_EQ(q.pending(), 1u);
  EXPECT_FALSE(q.next_release(at(0ms), wall(0ms)).has_value());
}

TEST(ProposalQueueHold, nextRelease_isTheFirstHeldMessagesEarlierDeadline) {
  ProposalQueue q({.hold = kHold});
  EXPECT_FALSE(q.next_release(at(0ms), wall(95ms)).has_value()) << "nothing held";
  q.add(message(1, 100ms), at(0ms), wall(95ms));
  // By the clock at wall 110 (15 ms away); by arrival at 10 ms: the earlier wins.
  EXPECT_EQ(q.next_release(at(0ms), wall(95ms)), Duration{10ms});
  // Later, the clock deadline is the nearer one: wall 104 -> 6 ms; arrival -> 7 ms.
  EXPECT_EQ(q.next_release(at(3ms), wall(104ms)), Duration{6ms});
  EXPECT_EQ(q.next_release(at(30ms), wall(130ms)), Duration{0}) << "overdue: now";
  q.add(message(2, 90ms), at(3ms), wall(95ms));  // now first in order
  EXPECT_EQ(q.next_release(at(3ms), wall(95ms)), Duration{5ms});
  q.release(at(10ms), wall(110ms));
  EXPECT_FALSE(q.next_release(at(10ms), wall(110ms)).has_value());
}

TEST(ProposalQueueHold, add_aHeldMessageAgainIsADuplicate) {
  ProposalQueue q({.hold = kHold});
  ASSERT_EQ(q.add(message(1, 100ms), at(0ms), wall(100ms)), Admit::queued);
  EXPECT_EQ(q.add(message(1, 100ms), at(1ms), wall(101ms)), Admit::duplicate);
  EXPECT_EQ(q.held(), 1u);
  q.check_invariants();
}

TEST(ProposalQueueHold, add_heldMessagesCountForThePendingBound) {
  ProposalQueue q({.pending_messages_max = 2, .hold = kHold});
  EXPECT_EQ(q.add(message(1, 100ms), at(0ms), wall(100ms)), Admit::queued);
  EXPECT_EQ(q.add(message(2, 100ms), at(0ms), wall(100ms)), Admit::queued);
  EXPECT_EQ(q.add(message(3, 100ms), at(0ms), wall(100ms)), Admit::full);
  EXPECT_EQ(q.add(message(4, 50ms), at(0ms), wall(100ms)), Admit::full)
      << "a late message too";
  EXPECT_EQ(q.held(), 2u);
  q.check_invariants();
}

TEST(ProposalQueueHold, add_heldAndPendingMessagesTogetherCountForThePendingBound) {
  ProposalQueue q({.pending_messages_max = 2, .hold = kHold});
  q.add(message(1, 100ms), at(0ms), wall(100ms));  // held
  q.add(message(2, 50ms), at(0ms), wall(100ms));   // late: pending
  EXPECT_EQ(q.add(message(3, 100ms), at(0ms), wall(100ms)), Admit::full);
  q.check_invariants();
}

TEST(ProposalQueueHold, decided_removesAHeldMessage) {
  ProposalQueue q({.hold = kHold});
  q.add(message(1, 100ms), at(0ms), wall(100ms));
  q.add(message(2, 101ms), at(0ms), wall(100ms));
  // Seq 1 was decided through another coordinator's value while held here.
  EXPECT_EQ(q.decided(batch_of({message(1, 100ms)})), (std::vector<MessageId>{MessageId{NodeId{70001}, 1}}));
  EXPECT_EQ(q.held(), 1u);
  q.check_invariants();
  EXPECT_EQ(q.add(message(1, 100ms), at(1ms), wall(101ms)), Admit::already_decided);
  q.release(at(20ms), wall(120ms));
  EXPECT_EQ(seqs_of(q.take_batch({})), (std::vector<std::uint64_t>{2})) << "seq 1 is not proposed again";
  q.check_invariants();
}

TEST(ProposalQueueHold, adopt_takesAHeldMessageOutOfTheHold) {
  ProposalQueue q({.hold = kHold});
  q.add(message(1, 100ms), at(0ms), wall(100ms));
  q.adopt(batch_of({message(1, 100ms)}));
  EXPECT_EQ(q.held(), 0u);
  EXPECT_EQ(q.in_flight(), 1u);
  EXPECT_EQ(q.add(message(1, 100ms), at(1ms), wall(101ms)), Admit::duplicate);
  q.check_invariants();
}

TEST(ProposalQueueHold, clear_emptiesTheHold) {
  ProposalQueue q({.hold = kHold});
  q.add(message(1, 100ms), at(0ms), wall(100ms));
  q.add(message(2, 50ms), at(0ms), wall(100ms));
  q.clear();
  EXPECT_EQ(q.held(), 0u);
  EXPECT_EQ(q.pending(), 0u);
  EXPECT_FALSE(q.next_release(at(0ms), wall(100ms)).has_value());
  q.check_invariants();
  EXPECT_EQ(q.add(message(1, 100ms), at(1ms), wall(101ms)), Admit::queued)
      << "a retransmission to the next leader is new again";
}

// Sender lives (SenderClaims) in the coordinator's queue.

constexpr std::uint64_t base(std::uint64_t life) { return SenderClaims::life_base(life); }

TEST(ProposalQueueLives, add_aNewLifesWatermarkDoesNotMakeAnEarlierLifesMessageAlreadyDecided) {
  ProposalQueue q({});
  EXPECT_EQ(q.add(message(1, 1ms, 1), at(0ms)), Admit::queued);
  q.decided(q.take_batch({}));
  EXPECT_EQ(q.add(message(2, 2ms, 2), at(0ms)), Admit::queued);  // claims 1
  q.decided(q.take_batch({}));
  // The sender restarts; its new life acknowledges base(1) .. base(1)+4.
  EXPECT_EQ(q.add(message(base(1) + 5, 3ms, base(1) + 5), at(0ms)), Admit::queued);
  // Life 0's seq 3 was pushed before the crash and never reached a coordinator; a learner
  // re-proposes it with its original watermark.
  EXPECT_EQ(q.add(message(3, 2ms, 2), at(1ms)), Admit::queued);
  EXPECT_EQ(q.add(message(1, 1ms, 0), at(1ms)), Admit::already_decided) << "claimed by life 0";
  EXPECT_EQ(q.add(message(2, 2ms, 0), at(1ms)), Admit::already_decided) << "remembered";
  EXPECT_EQ(q.add(message(base(1) + 4, 3ms, 0), at(1ms)), Admit::already_decided)
      << "claimed by life 1";
  q.check_invariants();
}

TEST(ProposalQueueLives, add_aNewLifesWatermarkKeepsAnEarlierLifesDecidedIds) {
  ProposalQueue q({});
  q.add(message(4, 1ms, 1), at(0ms));
  q.decided(q.take_batch({}));
  q.add(message(base(1) + 9, 2ms, base(1) + 9), at(0ms));
  EXPECT_EQ(q.add(message(4, 1ms, 1), at(1ms)), Admit::already_decided)
      << "life 1's claim must not forget life 0's decided seq 4 (its own life never claimed it)";
}

// BUG (reported): a sender's first message of a new life carries sender_acked_below ==
// life_base(life) (Multicaster: min(acked_below(), seq)), a claim that does not grow.
// ProposalQueue::forget_acked emplaces a SenderClaims entry for a new sender and then returns
// early when raise() reports no growth, skipping the senders_max eviction, so claims_ outgrows
// senders_max and check_invariants() fails.
TEST(ProposalQueueLives, add_aRestartedSendersFirstMessageKeepsTheSendersBound) {
  ProposalQueue q({.senders_max = 1});
  q.add(message(5, 1ms, 5, 1), at(0ms));  // sender 1 claims 1..4
  q.add(message(base(1), 1ms, base(1), 2), at(0ms));  // sender 2, new life
  q.add(message(base(1), 1ms, base(1), 3), at(0ms));  // sender 3, new life
  q.check_invariants();  // claims_.size() <= senders_max
}

}  // namespace
}  // namespace eyrie::multicast
