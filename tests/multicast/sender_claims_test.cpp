// SenderClaims: a sender's "everything of my life below W is decided", kept per life, so that a
// restarted sender's watermark never covers a message of an earlier life; beyond kLivesMax
// lives the oldest counts as entirely decided.

#include "multicast/sender_claims.hpp"

#include <gtest/gtest.h>

namespace eyrie::multicast {
namespace {

constexpr std::uint64_t base(std::uint64_t life) { return SenderClaims::life_base(life); }

TEST(SenderClaims, lifeOfAndLifeBase_splitTheSeqAtTheLifeShift) {
  static_assert(SenderClaims::kLifeShift == 40);
  EXPECT_EQ(base(0), 0u);
  EXPECT_EQ(base(1), std::uint64_t{1} << 40);
  EXPECT_EQ(SenderClaims::life_of(base(3) + 7), 3u);
  EXPECT_EQ(SenderClaims::life_of(base(3) - 1), 2u);
  EXPECT_EQ(SenderClaims::life_of(1), 0u);
}

TEST(SenderClaims, raise_coversTheSeqsOfItsOwnLifeBelowTheWatermarkOnly) {
  SenderClaims c;
  EXPECT_FALSE(c.covers(1)) << "nothing is claimed at first";
  EXPECT_TRUE(c.raise(5, 5));
  EXPECT_TRUE(c.covers(1));
  EXPECT_TRUE(c.covers(4));
  EXPECT_FALSE(c.covers(5)) << "the watermark itself is not claimed";
  EXPECT_FALSE(c.covers(base(1) + 1)) << "a life-0 claim says nothing of life 1";
  EXPECT_EQ(c.below(0), 5u);
  EXPECT_EQ(c.below(1), base(1)) << "an unclaimed life claims nothing";
  EXPECT_EQ(c.lives(), 1u);
}

TEST(SenderClaims, raise_growsOnlyUpward) {
  SenderClaims c;
  EXPECT_TRUE(c.raise(9, 8));
  EXPECT_FALSE(c.raise(10, 8)) << "the same watermark again";
  EXPECT_FALSE(c.raise(11, 3)) << "a reordered, older watermark";
  EXPECT_EQ(c.below(0), 8u);
  EXPECT_TRUE(c.covers(7));
  EXPECT_TRUE(c.raise(12, 12));
  EXPECT_TRUE(c.covers(11));
}

TEST(SenderClaims, raise_ignoresAWatermarkOutsideTheMessagesOwnLife) {
  SenderClaims c;
  EXPECT_FALSE(c.raise(base(1) + 3, 10)) << "a life-1 message cannot claim life-0 seqs";
  EXPECT_FALSE(c.covers(9));
  EXPECT_FALSE(c.raise(5, base(1) + 1)) << "a life-0 message cannot claim into life 1";
  EXPECT_FALSE(c.covers(base(1)));
  EXPECT_FALSE(c.covers(4));
  EXPECT_FALSE(c.raise(base(2) + 4, base(2))) << "the first seq of a life claims nothing";
  EXPECT_EQ(c.lives(), 0u);
}

TEST(SenderClaims, raise_mayClaimAWholeLifeUpToTheNextLifesBase) {
  SenderClaims c;
  EXPECT_TRUE(c.raise(base(1) - 1, base(1)));
  EXPECT_TRUE(c.covers(base(1) - 1));
  EXPECT_FALSE(c.covers(base(1)));
}

TEST(SenderClaims, aNewLifesClaimSaysNothingAboutAnEarlierLifesSeqs) {
  SenderClaims c;
  EXPECT_TRUE(c.raise(4, 3));  // life 0: 1 and 2 decided; 3 was outstanding when the sender crashed
  EXPECT_TRUE(c.raise(base(1) + 10, base(1) + 10));
  EXPECT_EQ(c.lives(), 2u);
  EXPECT_TRUE(c.covers(2));
  EXPECT_FALSE(c.covers(3)) << "life 0's outstanding message is not claimed by life 1";
  EXPECT_FALSE(c.covers(4));
  EXPECT_TRUE(c.covers(base(1)));
  EXPECT_TRUE(c.covers(base(1) + 9));
  EXPECT_FALSE(c.covers(base(1) + 10));
  // A late life-0 message still raises life 0's own claim, not life 1's.
  EXPECT_TRUE(c.raise(5, 4));
  EXPECT_TRUE(c.covers(3));
  EXPECT_FALSE(c.covers(4));
  EXPECT_EQ(c.below(1), base(1) + 10);
  EXPECT_EQ(c.forgotten_below_seq(), 0u) << "two lives are within the bound";
}

TEST(SenderClaims, kLivesMaxLivesAreKeptWithoutForgettingAny) {
  SenderClaims c;
  for (std::uint64_t life = 0; life < SenderClaims::kLivesMax; ++life) {
    EXPECT_TRUE(c.raise(base(life) + 3, base(life) + 2)) << life;
  }
  EXPECT_EQ(c.lives(), SenderClaims::kLivesMax);
  EXPECT_EQ(c.forgotten_below_seq(), 0u);
  EXPECT_FALSE(c.covers(base(0) + 2)) << "life 0 is still judged by its own claim";
  EXPECT_TRUE(c.covers(base(0) + 1));
}

TEST(SenderClaims, moreThanKLivesMaxLives_theOldestCountsAsEntirelyDecided) {
  SenderClaims c;
  for (std::uint64_t life = 0; life <= SenderClaims::kLivesMax; ++life) {
    EXPECT_TRUE(c.raise(base(life) + 3, base(life) + 2)) << life;
    EXPECT_LE(c.lives(), SenderClaims::kLivesMax);
  }
  EXPECT_EQ(c.lives(), SenderClaims::kLivesMax);
  EXPECT_EQ(c.forgotten_below_seq(), base(1));
  EXPECT_TRUE(c.covers(2));
  EXPECT_TRUE(c.covers(12345)) << "life 0's unclaimed seqs count as decided now";
  EXPECT_TRUE(c.covers(base(1) - 1));
  EXPECT_FALSE(c.raise(base(1) - 1, base(1) - 1)) << "a forgotten life takes no claims";
  EXPECT_FALSE(c.covers(base(1) + 2)) << "life 1 keeps its own claim";
  EXPECT_TRUE(c.covers(base(1) + 1));
}

TEST(SenderClaims, aLateClaimOfALifeOlderThanAllHeldIsTheOneForgotten) {
  SenderClaims c;
  for (std::uint64_t life = 1; life <= SenderClaims::kLivesMax; ++life) c.raise(base(life) + 3, base(life) + 2);
  c.raise(6, 5);  // life 0's claim, arriving after kLivesMax younger lives
  EXPECT_EQ(c.lives(), SenderClaims::kLivesMax);
  EXPECT_EQ(c.forgotten_below_seq(), base(1));
  EXPECT_TRUE(c.covers(5)) << "life 0 counts as entirely decided";
  EXPECT_FALSE(c.covers(base(1) + 2)) << "life 1 was not forgotten";
}

}  // namespace
}  // namespace eyrie::multicast
