// DuplicateFilter: one rule per test, and a property check against a naive reference that
// remembers every id forever.

#include "multicast/duplicate_filter.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

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

// --- state export and import (learner checkpoints) ---

TEST(DuplicateFilter, state_restoredFilterGivesTheSameVerdictsAsTheOriginal) {
  // Small limits, so that watermarks move by forgetting and idle senders are evicted: the
  // restored filter must make exactly the same choices, not merely correct ones.
  const DuplicateFilter::Limits limits{.senders_max = 3, .seqs_per_sender_max = 6};
  Rng rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    DuplicateFilter original(limits);
    std::map<std::uint64_t, std::uint64_t> next;
    std::vector<MulticastMessage> past;  // everything offered so far, for repeats
    const auto offer = [&] {
      if (!past.empty() && rng.chance(1, 3)) return past[rng.uniform(past.size())];
      const auto sender = static_cast<std::uint64_t>(rng.range(1, 5));
      const std::uint64_t seq = ++next[sender];
      past.push_back(msg(sender, seq, seq - std::min<std::uint64_t>(seq - 1, rng.uniform(12))));
      return past.back();
    };
    for (int step = 0; step < 300; ++step) original.admit(offer());
    const DuplicateFilter::State state = original.state();
    ASSERT_TRUE(DuplicateFilter::valid(state, limits, nullptr));
    DuplicateFilter restored(state, limits);
    EXPECT_EQ(restored.state(), state);
    for (int step = 0; step < 300; ++step) {
      const MulticastMessage m = offer();
      ASSERT_EQ(restored.admit(m), original.admit(m)) << "trial " << trial << " step " << step << " " << to_string(m.id);
      restored.check_invariants();
    }
    EXPECT_EQ(restored.state(), original.state());
  }
}

TEST(DuplicateFilter, state_withoutActivityStampsWouldEvictAnotherSender) {
  // Why the state carries the stamps: sender 2 is the idlest, although sender 1 has the lower id.
  const DuplicateFilter::Limits limits{.senders_max = 2, .seqs_per_sender_max = 8};
  DuplicateFilter f(limits);
  EXPECT_TRUE(f.admit(msg(2, 1)));
  EXPECT_TRUE(f.admit(msg(1, 1)));
  DuplicateFilter restored(f.state(), limits);
  EXPECT_TRUE(restored.admit(msg(3, 1)));   // evicts sender 2
  EXPECT_FALSE(restored.admit(msg(1, 1)));  // sender 1 is still remembered
  EXPECT_TRUE(restored.admit(msg(2, 1)));   // sender 2 was forgotten
}

TEST(DuplicateFilter, valid_rejectsStatesNoFilterCanBeIn) {
  const DuplicateFilter::Limits limits{.senders_max = 2, .seqs_per_sender_max = 3};
  // A sender of life 0 whose seqs below `acked` are claimed decided (none when 0).
  const auto record = [](std::uint64_t sender, std::uint64_t acked, std::vector<std::uint64_t> seen, std::uint64_t stamp) {
    SenderClaims::State claims;
    if (acked > 0) claims.lives.emplace_back(0, acked);
    return DuplicateFilter::SenderRecord{NodeId{sender}, claims, std::move(seen), stamp};
  };
  const DuplicateFilter::State good{.admissions = 5, .senders = {record(1, 2, {2, 4}, 3), record(4, 0, {}, 5)}};
  std::string error;
  EXPECT_TRUE(DuplicateFilter::valid(good, limits, &error)) << error;
  const auto rejects = [&](DuplicateFilter::State state, std::string_view what) {
    std::string why;
    EXPECT_FALSE(DuplicateFilter::valid(state, limits, &why)) << what;
    EXPECT_NE(why.find(what), std::string::npos) << why;
  };
  DuplicateFilter::State s = good;
  std::swap(s.senders[0], s.senders[1]);
  rejects(s, "out of order");
  s = good;
  s.senders[1].sender = NodeId{1};
  rejects(s, "out of order or repeated");
  s = good;
  s.senders.push_back(record(9, 0, {}, 1));
  rejects(s, "3 senders, at most 2");
  s = good;
  s.senders[0].seen = {2, 3, 4, 5};
  rejects(s, "remembers 4 seqs, at most 3");
  s = good;
  s.senders[0].seen = {4, 2};
  rejects(s, "not ascending");
  s = good;
  s.senders[0].seen = {4, 4};
  rejects(s, "not ascending and unique");
  s = good;
  s.senders[0].seen = {1, 4};
  rejects(s, "a remembered seq is covered by its claims");
  s = good;
  s.senders[0].claims.lives.emplace_back(0, 9);
  rejects(s, "the claim of life 0 out of order or repeated");
  s = good;
  s.senders[0].claims.lives = {{1, SenderClaims::life_base(2)}, {2, SenderClaims::life_base(2) + 1}};
  s.senders[0].seen = {};
  EXPECT_TRUE(DuplicateFilter::valid(s, limits, &error)) << error;
  s.senders[0].claims.lives[0].second = SenderClaims::life_base(2) + 1;
  rejects(s, "the claim of life 1 lies outside that life");
  s.senders[0].claims.lives[0].second = SenderClaims::life_base(1);
  rejects(s, "the claim of life 1 lies outside that life");
  s = good;
  s.senders[0].claims.forgotten_below_life = 1;
  rejects(s, "the claim of life 0, a forgotten life");
  s = good;
  for (std::uint64_t life = 1; life <= SenderClaims::kLivesMax + 1; ++life) {
    s.senders[1].claims.lives.emplace_back(life, SenderClaims::life_base(life) + 1);
  }
  rejects(s, "claims of 9 lives");
  s = good;
  s.senders[0].last_active = 5;
  rejects(s, "activity stamp 5 not unique");
  s = good;
  s.senders[0].last_active = 0;
  rejects(s, "activity stamp 0");
  s = good;
  s.admissions = 4;
  rejects(s, "activity stamp 5 not unique in 1..4");
}

TEST(DuplicateFilter, state_restoresTheClaimsOfSeveralSenderLives) {
  // A sender restarted twice: each life claims its own seqs, and the oldest lives are forgotten
  // (taken as entirely decided) once more than kLivesMax have claims.
  const DuplicateFilter::Limits limits{};
  DuplicateFilter original(limits);
  const auto seq = [](std::uint64_t life, std::uint64_t n) { return SenderClaims::life_base(life) + n; };
  for (std::uint64_t life = 0; life < SenderClaims::kLivesMax + 2; ++life) {
    EXPECT_TRUE(original.admit(msg(5, seq(life, 1), seq(life, 1))));
    EXPECT_TRUE(original.admit(msg(5, seq(life, 2), seq(life, 2))));
  }
  const DuplicateFilter::State state = original.state();
  ASSERT_EQ(state.senders.size(), 1u);
  EXPECT_EQ(state.senders[0].claims.forgotten_below_life, 2u);
  EXPECT_EQ(state.senders[0].claims.lives.size(), SenderClaims::kLivesMax);
  ASSERT_TRUE(DuplicateFilter::valid(state, limits, nullptr));
  DuplicateFilter restored(state, limits);
  EXPECT_EQ(restored.state(), state);
  for (std::uint64_t life = 0; life < SenderClaims::kLivesMax + 3; ++life) {
    for (std::uint64_t n = 1; n <= 3; ++n) {
      const MulticastMessage m = msg(5, seq(life, n), seq(life, 1));
      EXPECT_EQ(restored.admit(m), original.admit(m)) << "life " << life << " n " << n;
    }
  }
  EXPECT_EQ(restored.state(), original.state());
}

}  // namespace
}  // namespace eyrie::multicast
