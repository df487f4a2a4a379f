// DuplicateFilter: one rule per test, and a property check against a naive reference that
// remembers every id forever.

#include "multicast/duplicate_filter.hpp"

#include <gtest/gtest.h>

#include <set>

#include "runtime/rng.hpp"

namespace eyrie::multicast {
namespace {

MulticastMessage msg(std::uint64_t sender, std::uint64_t seq, std::uint64_t acked_below = 0) {
  MulticastMessage m;
  m.id = MessageId{NodeId{sender}, seq};
  m.sender_acked_below = acked_below;
  return m;
}

TEST(DuplicateFilter, admitsFirstAndDropsRepeats) {
  DuplicateFilter f;
  EXPECT_TRUE(f.admit(msg(1, 1)));
  EXPECT_FALSE(f.admit(msg(1, 1)));
  EXPECT_TRUE(f.admit(msg(2, 1)));  // same seq, other sender
  EXPECT_TRUE(f.admit(msg(1, 2)));
}

TEST(DuplicateFilter, watermarkForgetsSeqsBelowItAndStillDropsThem) {
  DuplicateFilter f;
  for (std::uint64_t s = 1; s <= 5; ++s) EXPECT_TRUE(f.admit(msg(7, s, 1)));
  EXPECT_TRUE(f.admit(msg(7, 6, 6)));  // 1..5 acknowledged
  for (std::uint64_t s = 1; s <= 6; ++s) EXPECT_FALSE(f.admit(msg(7, s, 0))) << s;
  f.check_invariants();
}

TEST(DuplicateFilter, boundsSendersAndSeqs) {
  DuplicateFilter f(DuplicateFilter::Limits{.senders_max = 4, .seqs_per_sender_max = 8});
  for (std::uint64_t sender = 1; sender <= 10; ++sender) {
    for (std::uint64_t s = 1; s <= 20; ++s) EXPECT_TRUE(f.admit(msg(sender, s)));
    f.check_invariants();
  }
  EXPECT_EQ(f.senders(), 4u);
  // The most recent sender's latest seqs are still remembered.
  EXPECT_FALSE(f.admit(msg(10, 20)));
}

TEST(DuplicateFilter, agreesWithRememberEverythingForCorrectSenders) {
  // A correct sender: increasing seqs, retransmissions of outstanding ones, acked_below only
  // covering seqs already admitted.
  Rng rng(99);
  for (int trial = 0; trial < 50; ++trial) {
    DuplicateFilter f(DuplicateFilter::Limits{.senders_max = 8, .seqs_per_sender_max = 64});
    std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
    std::map<std::uint64_t, std::uint64_t> next, acked;
    for (int step = 0; step < 2000; ++step) {
      const std::uint64_t sender = rng.range(1, 6);
      std::uint64_t& n = next[sender];
      std::uint64_t& a = acked[sender];
      if (n == 0) n = a = 1;
      std::uint64_t seq = n;
      if (n > a && rng.chance(1, 3)) {
        seq = static_cast<std::uint64_t>(rng.range(static_cast<std::int64_t>(a), static_cast<std::int64_t>(n - 1)));
      } else {
        ++n;
      }
      const bool fresh = seen.insert({sender, seq}).second;
      EXPECT_EQ(f.admit(msg(sender, seq, a)), fresh) << "sender " << sender << " seq " << seq;
      // The sender learns acknowledgements for admitted seqs in order, within its window.
      while (a < n && seen.count({sender, a}) && rng.chance(1, 2)) ++a;
      if (n - a > 32) a = n - 32;  // window: older ones were acknowledged long ago
      for (std::uint64_t s = 1; s < a; ++s) seen.insert({sender, s});
    }
  }
}

}  // namespace
}  // namespace eyrie::multicast
