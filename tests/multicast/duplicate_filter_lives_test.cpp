// DuplicateFilter with sender lives (SenderClaims): a restarted sender's watermark covers only
// its current life, so an earlier life's message that was never decided (an optimistic learner
// re-proposes it) is still admitted once; duplicates of every life are still dropped; seen()
// answers what admit() would; the per-sender bound never lets a duplicate through.

#include "multicast/duplicate_filter.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "runtime/rng.hpp"

namespace eyrie::multicast {
namespace {

constexpr std::uint64_t kSender = 7;
constexpr std::uint64_t base(std::uint64_t life) { return SenderClaims::life_base(life); }

MulticastMessage msg(std::uint64_t seq, std::uint64_t acked_below, std::uint64_t sender = kSender) {
  MulticastMessage m;
  m.id = MessageId{NodeId{sender}, seq};
  m.sender_acked_below = acked_below;
  return m;
}

// Life 0 admitted seqs 1 and 2 (3 was outstanding when the sender crashed); life 1 then
// admitted base(1) .. base(1)+2 with its acknowledgements advancing.
DuplicateFilter restarted_sender() {
  DuplicateFilter f;
  EXPECT_TRUE(f.admit(msg(1, 1)));
  EXPECT_TRUE(f.admit(msg(2, 1)));
  EXPECT_TRUE(f.admit(msg(base(1), base(1))));
  EXPECT_TRUE(f.admit(msg(base(1) + 1, base(1) + 1)));
  EXPECT_TRUE(f.admit(msg(base(1) + 2, base(1) + 2)));
  f.check_invariants();
  return f;
}

TEST(DuplicateFilterLives, admit_aNewLifesWatermarkDoesNotDropAnEarlierLifesUnadmittedMessage) {
  DuplicateFilter f = restarted_sender();
  EXPECT_FALSE(f.seen(MessageId{NodeId{kSender}, 3}));
  EXPECT_TRUE(f.admit(msg(3, 1))) << "life 0's seq 3 was never decided: it must get through once";
  EXPECT_FALSE(f.admit(msg(3, 1))) << "and only once";
  f.check_invariants();
}

TEST(DuplicateFilterLives, admit_stillDropsDuplicatesOfEveryLife) {
  DuplicateFilter f = restarted_sender();
  EXPECT_FALSE(f.admit(msg(1, 1)));
  EXPECT_FALSE(f.admit(msg(2, 1)));
  EXPECT_FALSE(f.admit(msg(base(1), base(1))));
  EXPECT_FALSE(f.admit(msg(base(1) + 1, base(1)))) << "covered by life 1's own claim";
  EXPECT_FALSE(f.admit(msg(base(1) + 2, base(1) + 2))) << "remembered above life 1's claim";
  EXPECT_TRUE(f.admit(msg(base(1) + 3, base(1) + 3)));
  f.check_invariants();
}

TEST(DuplicateFilterLives, admit_anEarlierLifesLateClaimForgetsOnlyThatLife) {
  DuplicateFilter f = restarted_sender();
  EXPECT_TRUE(f.admit(msg(4, 3)));  // a late life-0 message: 1 and 2 decided by its sender's word
  EXPECT_FALSE(f.admit(msg(1, 0)));
  EXPECT_TRUE(f.admit(msg(3, 1))) << "life 0's claim stops below 3";
  EXPECT_TRUE(f.admit(msg(base(1) + 5, base(1) + 3))) << "life 1 is not touched by life 0's claim";
  f.check_invariants();
}

TEST(DuplicateFilterLives, seen_agreesWithAdmitAcrossLives) {
  DuplicateFilter f = restarted_sender();
  const std::vector<MulticastMessage> probes = {
      msg(1, 0),           msg(3, 1),           msg(3, 1),           msg(5, 1),
      msg(base(1), 0),     msg(base(1) + 3, base(1) + 3),            msg(base(1) + 1, base(1) + 1),
      msg(base(2) + 1, base(2) + 1),            msg(base(2) + 1, 0), msg(4, 1),
      msg(1, 1, kSender + 1)};
  for (const MulticastMessage& m : probes) {
    const bool was_seen = f.seen(m.id);
    EXPECT_EQ(f.admit(m), !was_seen) << "seq " << m.id.seq;
    EXPECT_TRUE(f.seen(m.id)) << "after admit, seq " << m.id.seq;
    f.check_invariants();
  }
}

TEST(DuplicateFilterLives, admit_aSeqOverflowKeepsEveryRepeatOut) {
  // Four remembered seqs per sender: the oldest are forgotten by claiming them (and everything
  // below them in their life) decided; a repeat of any admitted seq must still be dropped.
  DuplicateFilter f(DuplicateFilter::Limits{.senders_max = 4, .seqs_per_sender_max = 4});
  std::vector<std::uint64_t> admitted;
  for (std::uint64_t s = 1; s <= 3; ++s) admitted.push_back(s);
  for (std::uint64_t s = base(1); s <= base(1) + 6; ++s) admitted.push_back(s);
  for (std::uint64_t seq : admitted) {
    EXPECT_TRUE(f.admit(msg(seq, SenderClaims::life_of(seq) == 0 ? 0 : base(1)))) << seq;
    f.check_invariants();
  }
  for (std::uint64_t seq : admitted) {
    EXPECT_TRUE(f.seen(MessageId{NodeId{kSender}, seq})) << seq;
    EXPECT_FALSE(f.admit(msg(seq, 0))) << "a duplicate got through: seq " << seq;
  }
  f.check_invariants();
}

TEST(DuplicateFilterLives, admit_afterMoreThanKLivesMaxRestartsTheOldestLifeCountsAsDecided) {
  DuplicateFilter f;
  EXPECT_TRUE(f.admit(msg(1, 1)));
  for (std::uint64_t life = 1; life <= SenderClaims::kLivesMax; ++life) {
    EXPECT_TRUE(f.admit(msg(base(life) + 1, base(life) + 1))) << life;
    f.check_invariants();
  }
  EXPECT_TRUE(f.seen(MessageId{NodeId{kSender}, 2}));
  EXPECT_FALSE(f.admit(msg(2, 1))) << "life 0 is beyond the bound: dropped as if a duplicate";
  EXPECT_TRUE(f.admit(msg(base(1) + 2, base(1) + 1))) << "life 1 is still judged by its own claim";
}

// Uniform in [low, high].
std::uint64_t pick(Rng& rng, std::uint64_t low, std::uint64_t high) {
  return low + rng.uniform(high - low + 1);
}

// A sender that restarts three times: in each life, increasing seqs from its life's base,
// retransmissions of its outstanding ones and a watermark that covers only admitted seqs of
// its life. After a restart its earlier lives' outstanding messages may still arrive (an
// optimistic learner re-proposes them), carrying their life's last watermark. The filter must
// agree with a reference that remembers every admitted id forever.
TEST(DuplicateFilterLives, admit_agreesWithRememberEverythingForARestartingSender) {
  struct Life {
    std::uint64_t next;   // its next new seq
    std::uint64_t acked;  // its watermark; seqs in [acked, next) are outstanding
  };
  Rng rng(2024);
  for (int trial = 0; trial < 30; ++trial) {
    DuplicateFilter f(DuplicateFilter::Limits{.senders_max = 4, .seqs_per_sender_max = 4096});
    std::set<std::uint64_t> reference;
    std::vector<Life> lives{Life{1, 1}};
    for (int step = 0; step < 1500; ++step) {
      if (lives.size() < 4 && rng.chance(1, 300)) lives.push_back(Life{base(lives.size()), base(lives.size())});
      const std::uint64_t current = lives.size() - 1;
      // Mostly the current life; sometimes an earlier life's outstanding message.
      const std::uint64_t life = rng.chance(1, 5) ? pick(rng, 0, current) : current;
      Life& l = lives[life];
      const bool outstanding = l.next > l.acked;
      if (life != current && !outstanding) continue;
      const bool retransmit = life != current || (outstanding && rng.chance(1, 3));
      const std::uint64_t seq = retransmit ? pick(rng, l.acked, l.next - 1) : l.next++;
      const bool fresh = reference.insert(seq).second;
      ASSERT_EQ(f.seen(MessageId{NodeId{kSender}, seq}), !fresh) << "trial " << trial << " seq " << seq;
      ASSERT_EQ(f.admit(msg(seq, l.acked)), fresh) << "trial " << trial << " step " << step << " seq " << seq;
      f.check_invariants();
      if (life != current) continue;  // a dead life's watermark never moves
      while (l.acked < l.next && reference.count(l.acked) && rng.chance(1, 2)) ++l.acked;
    }
  }
}

}  // namespace
}  // namespace eyrie::multicast
