// KvModel (tests/checkers/kv_model.*): each operation's sequential rule, the per-key partition
// joined by multi-key operations, and the classic histories that are and are not linearizable.

#include "tests/checkers/kv_model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace eyrie::check::kv {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr NodeId kAlice{70001};
constexpr NodeId kBob{70002};
constexpr NodeId kCarol{70003};

KvOperation done(NodeId client, std::int64_t from, std::int64_t to, Input input, Output output) {
  return KvOperation{
      .client = client, .invoked_ns = from, .responded_ns = to, .input = std::move(input), .output = std::move(output)};
}
KvOperation get(NodeId client, std::int64_t from, std::int64_t to, Key key, MaybeValue value) {
  return done(client, from, to, Get{std::move(key)}, Output::read(std::move(value)));
}
KvOperation put(NodeId client, std::int64_t from, std::int64_t to, Key key, Value value) {
  return done(client, from, to, Put{std::move(key), std::move(value)}, Output::ok());
}
KvOperation lost(NodeId client, std::int64_t from, Input input) {
  return KvOperation{.client = client,
                     .invoked_ns = from,
                     .responded_ns = kNeverNs,
                     .input = std::move(input),
                     .output = Output::unknown()};
}

Verdict verdict_of(const KvHistory& history) { return check_linearizable(KvModel{}, history).verdict; }

std::optional<KvModel::State> step(const KvModel::State& state, const Input& input, const Output& output) {
  return KvModel{}.step(state, input, output);
}

TEST(KvModel, step_getReadsTheValueOrAbsent) {
  const KvModel::State state{{"x", "1"}};
  EXPECT_TRUE(step(state, Get{"x"}, Output::read("1")));
  EXPECT_FALSE(step(state, Get{"x"}, Output::read("2")));
  EXPECT_FALSE(step(state, Get{"x"}, Output::read(std::nullopt)));
  EXPECT_TRUE(step(state, Get{"y"}, Output::read(std::nullopt)));
  EXPECT_FALSE(step(state, Get{"y"}, Output::read("")));  // empty is a value, not absent
  EXPECT_FALSE(step(state, Get{"x"}, Output::mismatch("1")));
  EXPECT_EQ(step(state, Get{"x"}, Output::unknown()), state);
}

TEST(KvModel, step_casSwapsOnlyOnTheExpectedValueAndReportsTheCurrentOne) {
  const KvModel::State state{{"x", "1"}};
  EXPECT_EQ(step(state, Cas{"x", "1", "2"}, Output::ok()), (KvModel::State{{"x", "2"}}));
  EXPECT_FALSE(step(state, Cas{"x", "1", "2"}, Output::mismatch("1")));
  EXPECT_FALSE(step(state, Cas{"x", "7", "2"}, Output::ok()));
  EXPECT_EQ(step(state, Cas{"x", "7", "2"}, Output::mismatch("1")), state);
  EXPECT_FALSE(step(state, Cas{"x", "7", "2"}, Output::mismatch("7")));
  EXPECT_EQ(step(state, Cas{"y", std::nullopt, "2"}, Output::ok()), (KvModel::State{{"x", "1"}, {"y", "2"}}));
  EXPECT_EQ(step(state, Cas{"x", std::nullopt, "2"}, Output::mismatch("1")), state);
  EXPECT_EQ(step(state, Cas{"x", "1", "2"}, Output::unknown()), (KvModel::State{{"x", "2"}}));
  EXPECT_EQ(step(state, Cas{"x", "7", "2"}, Output::unknown()), state);
}

TEST(KvModel, step_transferMovesBalancesOnlyWhenCovered) {
  const KvModel::State state{{"a", "100"}};
  EXPECT_EQ(step(state, Transfer{"a", "b", 30}, Output::ok()), (KvModel::State{{"a", "70"}, {"b", "30"}}));
  EXPECT_EQ(step(state, Transfer{"a", "b", 100}, Output::ok()), (KvModel::State{{"a", "0"}, {"b", "100"}}));
  EXPECT_FALSE(step(state, Transfer{"a", "b", 101}, Output::ok()));
  EXPECT_EQ(step(state, Transfer{"a", "b", 101}, Output::insufficient()), state);
  EXPECT_FALSE(step(state, Transfer{"a", "b", 30}, Output::insufficient()));
  EXPECT_EQ(step(state, Transfer{"b", "a", 0}, Output::ok()), (KvModel::State{{"a", "100"}, {"b", "0"}}));
  EXPECT_EQ(step(state, Transfer{"a", "a", 60}, Output::ok()), state);
  EXPECT_EQ(step(state, Transfer{"a", "b", 30}, Output::unknown()), (KvModel::State{{"a", "70"}, {"b", "30"}}));
  EXPECT_EQ(step(state, Transfer{"a", "b", 300}, Output::unknown()), state);
  // A value that is not a number answers neither ok nor insufficient.
  const KvModel::State text{{"a", "ten"}};
  EXPECT_FALSE(step(text, Transfer{"a", "b", 1}, Output::ok()));
  EXPECT_FALSE(step(text, Transfer{"a", "b", 1}, Output::insufficient()));
  EXPECT_EQ(step(text, Transfer{"a", "b", 1}, Output::unknown()), text);
}

TEST(KvModel, step_putManyWritesEveryKeyTheLastWriteWinning) {
  const PutMany writes{{{"x", "1"}, {"y", "2"}, {"x", "3"}}};
  EXPECT_EQ(step({}, writes, Output::ok()), (KvModel::State{{"x", "3"}, {"y", "2"}}));
  EXPECT_EQ(step({}, writes, Output::unknown()), (KvModel::State{{"x", "3"}, {"y", "2"}}));
  EXPECT_FALSE(step({}, writes, Output::insufficient()));
}

TEST(KvModel, balanceOf_readsDecimalInt64WithAbsentAsZero) {
  EXPECT_EQ(balance_of(std::nullopt), 0);
  EXPECT_EQ(balance_of("-42"), -42);
  EXPECT_EQ(balance_of("9223372036854775807"), INT64_MAX);
  EXPECT_FALSE(balance_of(""));
  EXPECT_FALSE(balance_of("12x"));
  EXPECT_FALSE(balance_of("9223372036854775808"));
}

TEST(KvModel, partition_isPerKeyJoinedByMultiKeyOperations) {
  const KvHistory history{put(kAlice, 0, 1, "x", "1"),
                          put(kAlice, 2, 3, "y", "1"),
                          done(kBob, 4, 5, Transfer{"a", "b", 1}, Output::insufficient()),
                          get(kBob, 6, 7, "z", std::nullopt),
                          done(kCarol, 8, 9, PutMany{{{"y", "2"}, {"b", "2"}}}, Output::ok()),
                          lost(kCarol, 10, Get{"w"}),
                          done(kCarol, 11, 12, PutMany{}, Output::ok()),
                          get(kAlice, 13, 14, "x", "1")};
  const std::vector<HistoryPart> parts = KvModel{}.partition(history);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].label, "key {x}");
  EXPECT_THAT(parts[0].operations, ElementsAre(0u, 7u));
  EXPECT_EQ(parts[1].label, "keys {a, b, y}");
  EXPECT_THAT(parts[1].operations, ElementsAre(1u, 2u, 4u));
  EXPECT_EQ(parts[2].label, "key {z}");
  EXPECT_THAT(parts[2].operations, ElementsAre(3u));
}

TEST(KvModel, partition_leavesOutUnansweredWritesWhoseValuesNobodySaw) {
  const KvHistory history{lost(kAlice, 0, Put{"x", "unseen"}),
                          lost(kAlice, 1, Put{"x", "read"}),
                          get(kBob, 2, 3, "x", "read"),
                          lost(kAlice, 4, Put{"y", "cas"}),
                          done(kBob, 5, 6, Cas{"y", "cas", "2"}, Output::ok()),
                          lost(kAlice, 7, Put{"z", "held"}),
                          done(kBob, 8, 9, Cas{"z", "other", "2"}, Output::mismatch("held")),
                          lost(kAlice, 10, PutMany{{{"x", "unseen"}, {"w", "unseen"}}}),
                          lost(kAlice, 11, PutMany{{{"x", "unseen"}, {"w", "read"}}}),
                          get(kBob, 12, 13, "w", "read"),
                          lost(kAlice, 14, Put{"a", "1"}),  // transfers see every value of their keys
                          done(kBob, 15, 16, Transfer{"a", "b", 1}, Output::insufficient()),
                          lost(kAlice, 17, Put{"c", "unseen"}),
                          lost(kBob, 18, Cas{"c", "other", "1"}),
                          lost(kAlice, 19, Put{"d", "expected"}),  // an unanswered cas might have seen it
                          lost(kBob, 20, Cas{"d", "expected", "1"})};
  std::vector<std::size_t> kept;
  for (const HistoryPart& part : KvModel{}.partition(history))
    kept.insert(kept.end(), part.operations.begin(), part.operations.end());
  std::sort(kept.begin(), kept.end());
  EXPECT_THAT(kept, ElementsAre(1u, 2u, 3u, 4u, 5u, 6u, 8u, 9u, 10u, 11u, 13u, 14u, 15u));
}

TEST(KvLinearizability, sequentialHistoryOfEveryOperation_passes) {
  const KvHistory history{get(kAlice, 0, 1, "x", std::nullopt),
                          put(kAlice, 2, 3, "x", "1"),
                          done(kBob, 4, 5, Cas{"x", "1", "2"}, Output::ok()),
                          done(kBob, 6, 7, Cas{"x", "1", "3"}, Output::mismatch("2")),
                          done(kCarol, 8, 9, Transfer{"a", "b", 5}, Output::insufficient()),
                          put(kCarol, 10, 11, "a", "10"),
                          done(kCarol, 12, 13, Transfer{"a", "b", 5}, Output::ok()),
                          done(kAlice, 14, 15, PutMany{{{"x", "9"}, {"y", "9"}}}, Output::ok()),
                          get(kAlice, 16, 17, "a", "5"),
                          get(kBob, 18, 19, "b", "5"),
                          get(kCarol, 20, 21, "y", "9"),
                          get(kCarol, 22, 23, "x", "9")};
  const LinearizabilityReport report = check_linearizable(KvModel{}, history);
  EXPECT_EQ(report.verdict, Verdict::kLinearizable) << report.explanation;
  EXPECT_EQ(report.parts, 2u);  // {x, y} joined by the put_many; {a, b} by the transfers
}

TEST(KvLinearizability, staleReadAfterCompletedWrite_failsNamingTheKeyAndTheRead) {
  const KvHistory history{put(kAlice, 0, 10, "x", "1"), put(kAlice, 0, 10, "y", "1"),
                          get(kBob, 20, 30, "x", std::nullopt), get(kBob, 20, 30, "y", "1")};
  const LinearizabilityReport report = check_linearizable(KvModel{}, history);
  ASSERT_EQ(report.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(report.parts, 2u);
  EXPECT_EQ(report.parts_not_linearizable, 1u);
  EXPECT_THAT(report.not_linearizable_parts, ElementsAre("key {x}"));
  EXPECT_THAT(report.explanation, HasSubstr("part key {x}: not linearizable"));
  EXPECT_THAT(report.explanation, HasSubstr("State after it: {x=\"1\"} (other keys absent)"));
  EXPECT_THAT(report.explanation, HasSubstr("#2 x11172 [0.000020ms, 0.000030ms] get(x) -> absent  -- impossible"));
}

TEST(KvLinearizability, putManySeenOnOneKeyThenMissedOnAnotherByALaterRead_fails) {
  // S-SMR's execution atomicity: a multi-partition command is visible everywhere or nowhere.
  const KvHistory base{put(kAlice, 0, 10, "x", "old"), put(kAlice, 0, 10, "y", "old"),
                       done(kAlice, 20, 100, PutMany{{{"x", "new"}, {"y", "new"}}}, Output::ok())};
  KvHistory broken = base;
  broken.push_back(get(kBob, 30, 40, "x", "new"));
  broken.push_back(get(kCarol, 50, 60, "y", "old"));
  const LinearizabilityReport report = check_linearizable(KvModel{}, broken);
  ASSERT_EQ(report.verdict, Verdict::kNotLinearizable);
  EXPECT_THAT(report.explanation, HasSubstr("part keys {x, y}"));
  // The same reads overlapping each other may see it in either order.
  KvHistory overlapping = base;
  overlapping.push_back(get(kBob, 30, 60, "x", "new"));
  overlapping.push_back(get(kCarol, 50, 60, "y", "old"));
  EXPECT_EQ(verdict_of(overlapping), Verdict::kLinearizable);
}

TEST(KvLinearizability, casThatSucceededOnAValueNobodyWrote_fails) {
  EXPECT_EQ(verdict_of({put(kAlice, 0, 10, "x", "1"), done(kBob, 20, 30, Cas{"x", "7", "8"}, Output::ok())}),
            Verdict::kNotLinearizable);
  EXPECT_EQ(verdict_of({put(kAlice, 0, 10, "x", "1"), put(kCarol, 5, 50, "x", "7"),
                        done(kBob, 20, 30, Cas{"x", "7", "8"}, Output::ok()), get(kBob, 60, 70, "x", "8")}),
            Verdict::kLinearizable);
}

TEST(KvLinearizability, transferThatCreatesMoney_fails) {
  const KvHistory base{put(kAlice, 0, 10, "a", "100"), done(kBob, 20, 30, Transfer{"a", "b", 50}, Output::ok())};
  KvHistory created = base;
  created.push_back(get(kCarol, 40, 50, "a", "100"));
  created.push_back(get(kCarol, 60, 70, "b", "50"));
  EXPECT_EQ(verdict_of(created), Verdict::kNotLinearizable);
  KvHistory kept = base;
  kept.push_back(get(kCarol, 40, 50, "a", "50"));
  kept.push_back(get(kCarol, 60, 70, "b", "50"));
  EXPECT_EQ(verdict_of(kept), Verdict::kLinearizable);
  // Two concurrent transfers of 60 out of 100: only one can succeed.
  KvHistory both{put(kAlice, 0, 10, "a", "100"), done(kBob, 20, 30, Transfer{"a", "b", 60}, Output::ok()),
                 done(kCarol, 20, 30, Transfer{"a", "c", 60}, Output::ok())};
  EXPECT_EQ(verdict_of(both), Verdict::kNotLinearizable);
  both.back().output = Output::insufficient();
  EXPECT_EQ(verdict_of(both), Verdict::kLinearizable);
}

TEST(KvLinearizability, concurrentOperationsLinearizableInSomeOrder_pass) {
  const KvHistory history{put(kAlice, 0, 100, "x", "1"), done(kBob, 10, 90, Cas{"x", "1", "2"}, Output::ok()),
                          done(kCarol, 20, 80, Cas{std::string("x"), std::nullopt, "3"}, Output::mismatch("1")),
                          get(kCarol, 85, 95, "x", "2"), get(kAlice, 110, 120, "x", "2")};
  EXPECT_EQ(verdict_of(history), Verdict::kLinearizable);
}

TEST(KvLinearizability, timedOutPut_mayBeSeenOrNotButOnceSeenStaysSeen) {
  const KvHistory base{put(kAlice, 0, 10, "x", "1"), lost(kBob, 20, Put{"x", "2"})};
  KvHistory unseen = base;
  unseen.push_back(get(kCarol, 100, 110, "x", "1"));
  EXPECT_EQ(verdict_of(unseen), Verdict::kLinearizable);
  KvHistory late = unseen;
  late.push_back(get(kCarol, 1'000'000, 1'000'010, "x", "2"));  // it took effect long after the timeout
  EXPECT_EQ(verdict_of(late), Verdict::kLinearizable);
  KvHistory seen = base;
  seen.push_back(get(kCarol, 100, 110, "x", "2"));
  EXPECT_EQ(verdict_of(seen), Verdict::kLinearizable);
  seen.push_back(get(kAlice, 200, 210, "x", "1"));
  EXPECT_EQ(verdict_of(seen), Verdict::kNotLinearizable);
}

TEST(KvLinearizability, timedOutPutManySeenOnOneKey_mustBeSeenOnItsOtherKeysLater) {
  const KvHistory base{put(kAlice, 0, 10, "x", "old"), put(kAlice, 0, 10, "y", "old"),
                       lost(kBob, 20, PutMany{{{"x", "new"}, {"y", "new"}}}), get(kCarol, 100, 110, "x", "new")};
  KvHistory missed = base;
  missed.push_back(get(kAlice, 200, 210, "y", "old"));
  EXPECT_EQ(verdict_of(missed), Verdict::kNotLinearizable);
  KvHistory seen = base;
  seen.push_back(get(kAlice, 200, 210, "y", "new"));
  EXPECT_EQ(verdict_of(seen), Verdict::kLinearizable);
  KvHistory concurrent = base;  // overlaps the read of x: may still miss it
  concurrent.push_back(get(kAlice, 105, 210, "y", "old"));
  EXPECT_EQ(verdict_of(concurrent), Verdict::kLinearizable);
}

// Key "big" has 5 operations, key "small" one: with a cap of 4 operations a part, "big" is not judged.
KvHistory big_and_small() {
  KvHistory history;
  for (int i = 0; i < 5; ++i) history.push_back(put(kAlice, 10 * i, 10 * i + 5, "big", std::to_string(i)));
  history.push_back(put(kBob, 0, 5, "small", "1"));
  return history;
}

TEST(KvLinearizability, partOverTheCap_isUnknownWhileOtherPartsAreJudged) {
  KvHistory history = big_and_small();
  const LinearizabilityReport report =
      check_linearizable(KvModel{}, history, LinearizabilityOptions{.operations_per_part_max = 4});
  EXPECT_EQ(report.verdict, Verdict::kUnknown);
  EXPECT_EQ(report.parts, 2u);
  EXPECT_EQ(report.parts_unknown, 1u);
  EXPECT_THAT(report.unknown_parts, ElementsAre("key {big}"));
  EXPECT_THAT(report.explanation, HasSubstr("part key {big}: not searched: 5 operations"));
  EXPECT_FALSE(report.result().passed());
}

TEST(KvLinearizability, failingPartDecidesTheVerdictOverAnUnknownOne) {
  KvHistory history = big_and_small();
  history.push_back(get(kBob, 10, 15, "small", "0"));
  const LinearizabilityReport report =
      check_linearizable(KvModel{}, history, LinearizabilityOptions{.operations_per_part_max = 4});
  EXPECT_EQ(report.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(report.parts_unknown, 1u);
  EXPECT_EQ(report.parts_not_linearizable, 1u);
  EXPECT_THAT(report.explanation, HasSubstr("part key {small}: not linearizable"));
}

}  // namespace
}  // namespace eyrie::check::kv
