// LearnerCheckpoint's encoding: every field survives a round trip, and the decoder turns
// malformed, truncated, corrupted or rule-breaking bytes into an error, never a crash or a
// checkpoint that a pipeline could not resume from.

#include "multicast/checkpoint.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <vector>

#include "runtime/rng.hpp"

namespace eyrie::multicast {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kLife2 = SenderClaims::life_base(1);  // seqs of a sender's second life

LearnerCheckpoint sample() {
  LearnerCheckpoint c;
  c.position = 1234;
  c.merge.streams = {
      MergeStreamState{.ensemble = EnsembleId{1}, .next_instance = Instance{77}, .popped_in_next_instance = 2,
                       .last_final_timestamp = WallTime(Duration(-5))},
      MergeStreamState{.ensemble = EnsembleId{100}, .next_instance = Instance{kMax - 1}, .popped_in_next_instance = 0,
                       .last_final_timestamp = WallTime(Duration(std::numeric_limits<std::int64_t>::max() - 1))},
  };
  c.filters = {
      DuplicateFilter::State{
          .admissions = 9,
          .senders = {{NodeId{3}, SenderClaims::State{.forgotten_below_life = 1, .lives = {{1, kLife2 + 5}}},
                       {kLife2 + 5, kLife2 + 7, kMax}, 9},
                      {NodeId{kMax}, SenderClaims::State{}, {}, 2}}},
      DuplicateFilter::State{},
  };
  return c;
}

Payload bytes_of(const std::vector<std::byte>& bytes) { return Payload::copy_of(std::span(bytes)); }

std::vector<std::byte> to_vector(const Payload& p) { return {p.bytes().begin(), p.bytes().end()}; }

// Fails unless decoding `bytes` fails with an error that mentions `what`.
void expect_rejected(const Payload& bytes, std::string_view what) {
  std::string error;
  EXPECT_FALSE(decode_checkpoint(bytes, &error).has_value()) << what;
  EXPECT_NE(error.find(what), std::string::npos) << "error: " << error;
}

TEST(LearnerCheckpoint, encode_roundTripsEveryField) {
  const LearnerCheckpoint c = sample();
  std::string error;
  const std::optional<LearnerCheckpoint> decoded = decode_checkpoint(encode_checkpoint(c), &error);
  ASSERT_TRUE(decoded.has_value()) << error;
  EXPECT_EQ(*decoded, c);
}

TEST(LearnerCheckpoint, decode_rejectsEmptyAndEveryTruncation) {
  expect_rejected(Payload{}, "");
  const std::vector<std::byte> whole = to_vector(encode_checkpoint(sample()));
  for (std::size_t n = 0; n < whole.size(); ++n) {
    const std::vector<std::byte> prefix(whole.begin(), whole.begin() + static_cast<long>(n));
    std::string error;
    EXPECT_FALSE(decode_checkpoint(bytes_of(prefix), &error).has_value()) << n << " of " << whole.size() << " bytes";
    EXPECT_FALSE(error.empty()) << n;
  }
}

TEST(LearnerCheckpoint, decode_rejectsTrailingBytesAndOddSizes) {
  std::vector<std::byte> bytes = to_vector(encode_checkpoint(sample()));
  bytes.resize(bytes.size() + 8);
  expect_rejected(bytes_of(bytes), "trailing bytes");
  bytes.resize(bytes.size() - 3);
  expect_rejected(bytes_of(bytes), "not a multiple of 8 bytes");
}

TEST(LearnerCheckpoint, decode_neverAcceptsAnInvalidCheckpointFromCorruptedBytes) {
  const std::vector<std::byte> whole = to_vector(encode_checkpoint(sample()));
  const DuplicateFilter::Limits unbounded{.senders_max = SIZE_MAX, .seqs_per_sender_max = SIZE_MAX};
  Rng rng(42);
  std::size_t rejected = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    std::vector<std::byte> bytes = whole;
    const auto flips = rng.range(1, 4);
    for (std::int64_t i = 0; i < flips; ++i) bytes[rng.uniform(bytes.size())] = static_cast<std::byte>(rng.next_u64());
    std::string error;
    const std::optional<LearnerCheckpoint> decoded = decode_checkpoint(bytes_of(bytes), &error);
    if (!decoded) {
      EXPECT_FALSE(error.empty());
      ++rejected;
      continue;
    }
    EXPECT_TRUE(valid(*decoded, unbounded, &error)) << error;  // whatever gets through obeys the rules
  }
  EXPECT_GT(rejected, 0u);  // corruption is not all in harmless places
}

TEST(LearnerCheckpoint, decode_rejectsCheckpointsThatBreakTheRules) {
  LearnerCheckpoint c = sample();
  c.merge.streams.clear();
  c.filters.clear();
  expect_rejected(encode_checkpoint(c), "no streams");

  c = sample();
  std::swap(c.merge.streams[0], c.merge.streams[1]);
  expect_rejected(encode_checkpoint(c), "ensemble 1 out of order or repeated");

  c = sample();
  c.merge.streams[1].ensemble = EnsembleId{1};
  expect_rejected(encode_checkpoint(c), "out of order or repeated");

  c = sample();
  c.position = kMax;
  expect_rejected(encode_checkpoint(c), "position exhausted");

  c = sample();
  c.merge.streams[0].next_instance = Instance{kMax};
  expect_rejected(encode_checkpoint(c), "ensemble 1: instances exhausted");

  c = sample();
  c.merge.streams[1].last_final_timestamp = WallTime::max();
  expect_rejected(encode_checkpoint(c), "ensemble 100: final timestamps exhausted");

  c = sample();
  c.filters[0].senders[0].seen = {kLife2 + 7, kLife2 + 5};
  expect_rejected(encode_checkpoint(c), "ensemble 1: filter: sender n3: seqs not ascending");

  c = sample();
  c.filters[0].senders[0].claims.lives[0].second = kLife2;
  expect_rejected(encode_checkpoint(c), "ensemble 1: filter: sender n3: the claim of life 1 lies outside that life");

  c = sample();
  c.filters[0].admissions = 8;
  expect_rejected(encode_checkpoint(c), "activity stamp 9 not unique in 1..8");
}

TEST(LearnerCheckpoint, valid_checksTheFiltersAgainstTheGivenLimits) {
  const LearnerCheckpoint c = sample();
  std::string error;
  EXPECT_TRUE(valid(c, DuplicateFilter::Limits{}, &error)) << error;
  EXPECT_FALSE(valid(c, DuplicateFilter::Limits{.senders_max = 1, .seqs_per_sender_max = 8}, &error));
  EXPECT_NE(error.find("2 senders, at most 1"), std::string::npos) << error;
  EXPECT_FALSE(valid(c, DuplicateFilter::Limits{.senders_max = 8, .seqs_per_sender_max = 2}, &error));
  EXPECT_NE(error.find("remembers 3 seqs, at most 2"), std::string::npos) << error;
  LearnerCheckpoint unpaired = c;
  unpaired.filters.pop_back();
  EXPECT_FALSE(valid(unpaired, DuplicateFilter::Limits{}, &error));
  EXPECT_NE(error.find("1 filters for 2 streams"), std::string::npos) << error;
}

}  // namespace
}  // namespace eyrie::multicast
