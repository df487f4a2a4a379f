// MulticastChecker on synthetic delivery logs: consistent histories pass (with crashes,
// restarts and optimistic mistakes), and each property fails on a log built to break it.

#include "tests/checkers/multicast_checker.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace eyrie::check {
namespace {

using multicast::EnsembleId;
using multicast::GroupId;
using multicast::MessageId;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr NodeId kSender{70000};
MessageId id(std::uint64_t seq) { return MessageId{kSender, seq}; }

// Groups 1 and 2. Message k has final timestamp 10k; the shared ensemble (100) orders the
// multi-group ones, ensemble g the messages to group g alone. Merged order: m1, m2, ..., m6.
class MulticastCheckerTest : public ::testing::Test {
 protected:
  MulticastCheckerTest() {
    add(1, {1});
    add(2, {2});
    add(3, {1, 2});
    add(4, {1});
    add(5, {1, 2});
    add(6, {2});
  }

  void add(std::uint64_t seq, std::vector<std::uint32_t> groups) {
    SentMulticast m{.id = id(seq), .destinations = {}, .payload_hash = seq * 7919};
    for (const std::uint32_t g : groups) m.destinations.push_back(GroupId{g});
    history.sent.push_back(m);
  }

  const SentMulticast& sent(std::uint64_t seq) const { return history.sent.at(seq - 1); }

  // A log of `node` in `groups` that delivered `seqs` in this order, from first_position on.
  LearnerLog& log(std::uint64_t node, std::vector<std::uint32_t> groups, std::vector<std::uint64_t> seqs,
                  std::uint64_t incarnation = 1, bool correct = true, std::uint64_t first_position = 1) {
    LearnerLog l{.node = NodeId{node}, .incarnation = incarnation, .groups = {}, .correct = correct,
                 .first_position = first_position, .conservative = {}, .optimistic = std::nullopt};
    for (const std::uint32_t g : groups) l.groups.push_back(GroupId{g});
    for (const std::uint64_t seq : seqs) l.conservative.push_back(delivery(seq, first_position + l.conservative.size()));
    history.logs.push_back(std::move(l));
    return history.logs.back();
  }

  ConservativeDelivery delivery(std::uint64_t seq, std::uint64_t position) const {
    const SentMulticast& m = sent(seq);
    return ConservativeDelivery{
        .id = m.id,
        .destinations = m.destinations,
        .payload_hash = m.payload_hash,
        .final_timestamp = WallTime(Duration(10 * static_cast<std::int64_t>(seq))),
        .ensemble = m.destinations.size() > 1 ? EnsembleId{100} : EnsembleId{m.destinations.front().value},
        .position = position};
  }

  // The logs of a run without faults: nodes 1, 2 in group 1, node 3 in group 2, node 4 in both.
  void all_deliver() {
    log(1, {1}, {1, 3, 4, 5});
    log(2, {1}, {1, 3, 4, 5});
    log(3, {2}, {2, 3, 5, 6});
    log(4, {1, 2}, {1, 2, 3, 4, 5, 6});
  }

  // Final timestamps as [ridge] unique_timestamps makes them: message k at 1024k plus the tag
  // of its ensemble (1 -> 0, 2 -> 1, 100 -> 2).
  void tag_final_timestamps() {
    history.timestamp_tags = {{EnsembleId{1}, 0}, {EnsembleId{2}, 1}, {EnsembleId{100}, 2}};
    for (LearnerLog& l : history.logs) {
      for (ConservativeDelivery& d : l.conservative) {
        const auto k = static_cast<std::int64_t>(d.id.seq);
        d.final_timestamp = WallTime(Duration(1024 * k + history.timestamp_tags.at(d.ensemble)));
      }
    }
  }

  MulticastReport check() const { return MulticastChecker::check(history); }

  // Fails unless the check fails with a violation mentioning `what` (among the first few).
  void expect_violation(std::string_view what) const {
    const MulticastReport r = check();
    EXPECT_FALSE(r.result.passed());
    EXPECT_THAT(r.first_violations, Contains(HasSubstr(std::string(what)))) << r.result.reason();
  }

  MulticastHistory history;
};

// --- consistent histories pass ---

TEST_F(MulticastCheckerTest, check_passesAFaultFreeRunAndCounts) {
  all_deliver();
  const MulticastReport r = check();
  EXPECT_TRUE(r.result.passed()) << r.result.reason();
  EXPECT_EQ(r.messages_sent, 6u);
  EXPECT_EQ(r.logs, 4u);
  EXPECT_EQ(r.conservative_deliveries, 18u);
  EXPECT_EQ(r.messages_delivered, 6u);
  EXPECT_EQ(r.order_edges, 14u);
  EXPECT_EQ(r.violations, 0u);
}

TEST_F(MulticastCheckerTest, check_passesACrashedPrefixAndRestartedIncarnations) {
  all_deliver();
  history.logs[1].incarnation = 3;
  log(2, {1}, {1, 3}, 1, false);                // crashed after two deliveries
  log(2, {1}, {1}, 2, false);                   // restarted from scratch, crashed again
  log(3, {2}, {5, 6}, 2, true, 3).correct = true;  // resumed from a checkpoint of positions 1..2
  history.logs[2].correct = false;              // node 3's first incarnation crashed
  const MulticastReport r = check();
  EXPECT_TRUE(r.result.passed()) << r.result.reason();
  EXPECT_EQ(r.logs_not_judged, 0u);
}

TEST_F(MulticastCheckerTest, check_passesAMessageFromACrashedSenderThatNobodyDelivered) {
  all_deliver();
  add(7, {1});
  history.sent.back().sender_correct = false;
  EXPECT_TRUE(check().result.passed());
}

TEST_F(MulticastCheckerTest, check_passesAnUnsettledRunWithMissingDeliveries) {
  all_deliver();
  history.logs[0].conservative.pop_back();  // node 1 has not delivered m5 yet
  history.settled = false;
  EXPECT_TRUE(check().result.passed());
  history.settled = true;
  expect_violation("uniform agreement: n2 incarnation 1 delivered x11170#5");
}

TEST_F(MulticastCheckerTest, check_passesEqualFinalTimestampsOrderedByEnsemble) {
  LearnerLog& l = log(1, {1}, {1, 4, 3});
  l.conservative[1].final_timestamp = WallTime(Duration(30));  // m3's timestamp: (30, 1) before (30, 100)
  history.settled = false;
  const MulticastReport r = check();
  EXPECT_TRUE(r.result.passed()) << r.result.reason();
}

TEST_F(MulticastCheckerTest, check_reportsTheOptimisticMistakeRate) {
  all_deliver();
  history.logs[3].optimistic = std::vector<MessageId>{id(1), id(3), id(2), id(4), id(5), id(6)};  // 2 and 3 swapped
  history.logs[0].optimistic = std::vector<MessageId>{id(1), id(3), id(4), id(5)};
  const MulticastReport r = check();
  EXPECT_TRUE(r.result.passed()) << r.result.reason();
  EXPECT_EQ(r.optimistic_deliveries, 10u);
  EXPECT_EQ(r.optimistic_compared, 10u);
  EXPECT_EQ(r.optimistic_mistakes, 2u);
  EXPECT_DOUBLE_EQ(r.mistake_rate(), 0.2);
}

// --- each property can fail ---

TEST_F(MulticastCheckerTest, integrity_failsOnADuplicate) {
  all_deliver();
  history.logs[0].conservative.push_back(delivery(5, 5));
  expect_violation("integrity: n1 incarnation 1 delivered x11170#5 at position 5 a second time");
}

TEST_F(MulticastCheckerTest, integrity_failsOnAnInventedOrAlteredMessage) {
  all_deliver();
  history.sent.pop_back();  // m6 delivered but never sent
  expect_violation("integrity: n3 incarnation 1 delivered x11170#6 at position 4, which was never sent");
  history.sent.push_back(SentMulticast{.id = id(6), .destinations = {GroupId{2}}, .payload_hash = 1});
  expect_violation("payload hash");
}

TEST_F(MulticastCheckerTest, integrity_failsOnADeliveryToANonMember) {
  all_deliver();
  history.logs[0].conservative.push_back(delivery(6, 5));
  expect_violation("addressed to {2}, but the learner belongs to {1}");
}

TEST_F(MulticastCheckerTest, integrity_failsOnAPositionGap) {
  all_deliver();
  history.logs[0].conservative[2].position = 9;
  expect_violation("expected position 3");
}

TEST_F(MulticastCheckerTest, validity_failsOnAMissingDelivery) {
  all_deliver();
  add(7, {2});  // sent by a correct sender, delivered by nobody
  expect_violation("validity: x11170#7 (to {2}) from a correct sender was never delivered by correct n3");
}

TEST_F(MulticastCheckerTest, uniformAgreement_failsWhenOnlyACrashedIncarnationDelivered) {
  all_deliver();
  add(7, {1});
  history.sent.back().sender_correct = false;
  history.logs[1].incarnation = 2;
  log(2, {1}, {1, 3, 4, 5, 7}, 1, false);
  expect_violation("uniform agreement: n2 incarnation 1 delivered x11170#7 (to {1}), but correct n1");
}

TEST_F(MulticastCheckerTest, atomicOrder_failsOnACycleBetweenTwoLearners) {
  history.settled = false;
  log(1, {1}, {3, 5});
  log(3, {2}, {5, 3});
  expect_violation("atomic order: the delivery order has a cycle: ");
  const MulticastReport r = check();
  EXPECT_THAT(r.first_violations, Contains(HasSubstr("x11170#3 before x11170#5 at n1 incarnation 1")));
  EXPECT_THAT(r.first_violations, Contains(HasSubstr("x11170#5 before x11170#3 at n3 incarnation 1")));
}

TEST_F(MulticastCheckerTest, prefixOrder_failsWhenAGroupSubsequenceSkipsAMessage) {
  history.settled = false;
  log(1, {1}, {1, 4});  // skipped m3, which node 4 delivered between m1 and m4
  log(4, {1, 2}, {1, 2, 3, 4});
  expect_violation("prefix order: the messages of group 1 differ at their 2th");
}

TEST_F(MulticastCheckerTest, prefixOrder_failsWhenIncarnationsOfANodeDisagreeByPosition) {
  history.settled = false;
  log(1, {1}, {1, 3}, 1, false);
  log(1, {1}, {4, 5}, 2, true, 2);  // resumed at position 2 with a different message
  expect_violation("prefix order: n1 incarnation 2 delivered x11170#4 at position 2, but n1 incarnation 1");
}

TEST_F(MulticastCheckerTest, finalTimestamps_failOnDisagreementOrNoIncrease) {
  all_deliver();
  history.logs[3].conservative[2].final_timestamp = WallTime(Duration(31));
  expect_violation("final timestamps: n4 incarnation 1 delivered x11170#3 at position 3 with final timestamp 31");
  history.logs[3].conservative[2].final_timestamp = WallTime(Duration(30));
  history.logs[3].conservative[2].ensemble = EnsembleId{1};
  expect_violation("from ensemble 1, but n1 incarnation 1 gave it 30 from ensemble 100");
  for (LearnerLog& l : history.logs) {
    for (ConservativeDelivery& d : l.conservative) {
      if (d.id == id(4)) d.final_timestamp = WallTime(Duration(30));  // m3's, and ensemble 1 sorts before 100
    }
  }
  history.logs[3].conservative[2].ensemble = EnsembleId{100};
  expect_violation("expected strictly increasing");
}

TEST_F(MulticastCheckerTest, finalTimestamps_withTagsFailOnWrongLowBitsOrARepeat) {
  all_deliver();
  tag_final_timestamps();
  EXPECT_TRUE(check().result.passed()) << check().result.reason();
  history.logs[3].conservative[2].final_timestamp += Duration(1);  // m3 from the shared ensemble, tag 2
  expect_violation("n4 incarnation 1 delivered x11170#3 at position 3 with final timestamp 3075, whose low bits are 3, "
                   "but ensemble 100 has tag 2");
  tag_final_timestamps();
  // m1 and m4, both of ensemble 1, with one final timestamp in every log that delivers them.
  for (LearnerLog& l : history.logs) {
    for (ConservativeDelivery& d : l.conservative) {
      if (d.id == id(4)) d.final_timestamp = WallTime(Duration(1024));
    }
  }
  expect_violation("final timestamps: x11170#1 and x11170#4 share final timestamp 1024, expected unique ones");
}

TEST_F(MulticastCheckerTest, equivalence_failsOnOptWithoutConsAndTheConverse) {
  all_deliver();
  history.logs[0].optimistic = std::vector<MessageId>{id(1), id(3), id(4), id(5), id(6)};
  expect_violation("equivalence: correct n1 incarnation 1 opt-delivered x11170#6 but never cons-delivered it");
  history.logs[0].optimistic = std::vector<MessageId>{id(1), id(3), id(4)};
  expect_violation("equivalence: n1 incarnation 1 cons-delivered x11170#5 without opt-delivering it");
  history.logs[0].optimistic = std::vector<MessageId>{id(1), id(3), id(3), id(4), id(5)};
  expect_violation("opt-delivered x11170#3 twice");
}

TEST_F(MulticastCheckerTest, history_failsWhenACorrectIncarnationIsNotTheLast) {
  all_deliver();
  log(1, {1}, {1, 3, 4, 5}, 2, false);
  expect_violation("history: n1 incarnation 1 is marked correct but is not its node's last incarnation");
}

}  // namespace
}  // namespace eyrie::check
