// The linearizability search (tests/checkers/linearizability.*) on a one-register model that
// has neither partition() nor describe(State): the generic defaults, the real-time rule,
// operations without a response, each bound reported as "unknown", and the recorder.

#include "tests/checkers/linearizability.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace eyrie::check {
namespace {

using ::testing::HasSubstr;

// An integer register, initially 0: write(v) -> ok, read -> v. Reads are read_only, which
// lets the search prune.
struct RegisterModel {
  struct Input {
    bool write = false;
    int value = 0;
  };
  struct Output {
    bool known = false;  // false: no response seen
    int value = 0;       // read: the value read
  };
  using State = int;

  State init() const { return 0; }
  std::optional<State> step(State state, const Input& input, const Output& output) const {
    if (input.write) return input.value;
    if (!output.known || output.value == state) return state;
    return std::nullopt;
  }
  std::uint64_t hash(State state) const { return static_cast<std::uint64_t>(state); }
  bool read_only(const Input& input, const Output&) const { return !input.write; }
  std::string describe(const Input& input, const Output& output) const {
    const std::string result = output.known ? std::to_string(output.value) : "unknown";
    return input.write ? "write(" + std::to_string(input.value) + ") -> " + (output.known ? "ok" : result)
                       : "read -> " + result;
  }
};
static_assert(LinearizableModel<RegisterModel>);

using Op = OperationOf<RegisterModel>;
using History = std::vector<Op>;

constexpr NodeId kAlice{70001};
constexpr NodeId kBob{70002};
constexpr NodeId kCarol{70003};

Op write(NodeId client, std::int64_t from, std::int64_t to, int value) {
  return Op{.client = client,
            .invoked_ns = from,
            .responded_ns = to,
            .input = {.write = true, .value = value},
            .output = {.known = true, .value = 0}};
}
Op read(NodeId client, std::int64_t from, std::int64_t to, int value) {
  return Op{.client = client,
            .invoked_ns = from,
            .responded_ns = to,
            .input = {.write = false, .value = 0},
            .output = {.known = true, .value = value}};
}
Op lost_write(NodeId client, std::int64_t from, int value) {
  return Op{.client = client,
            .invoked_ns = from,
            .responded_ns = kNeverNs,
            .input = {.write = true, .value = value},
            .output = {}};
}

Verdict verdict_of(const History& history, const LinearizabilityOptions& options = {}) {
  return check_linearizable(RegisterModel{}, history, options).verdict;
}

TEST(Linearizability, emptyHistory_isLinearizableAsOnePart) {
  const LinearizabilityReport report = check_linearizable(RegisterModel{}, History{});
  EXPECT_EQ(report.verdict, Verdict::kLinearizable);
  EXPECT_EQ(report.parts, 1u);
  EXPECT_TRUE(report.result().passed());
  EXPECT_TRUE(report.explanation.empty());
}

TEST(Linearizability, sequentialHistory_passes) {
  const History history{read(kAlice, 0, 10, 0), write(kAlice, 20, 30, 1), read(kBob, 40, 50, 1), write(kBob, 60, 70, 2),
                        read(kAlice, 80, 90, 2)};
  const LinearizabilityReport report = check_linearizable(RegisterModel{}, history);
  EXPECT_EQ(report.verdict, Verdict::kLinearizable);
  EXPECT_EQ(report.operations, 5u);
  EXPECT_EQ(report.largest_part_operations, 5u);
  EXPECT_GE(report.steps, 5u);
}

TEST(Linearizability, staleReadAfterCompletedWrite_failsAndSaysWhichOperation) {
  const History history{write(kAlice, 0, 10, 1), read(kBob, 20, 30, 0)};
  const LinearizabilityReport report = check_linearizable(RegisterModel{}, history);
  ASSERT_EQ(report.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(report.parts_not_linearizable, 1u);
  EXPECT_THAT(report.explanation, HasSubstr("part whole history: not linearizable"));
  EXPECT_THAT(report.explanation, HasSubstr("Longest linearizable prefix found: 1 of 2"));
  EXPECT_THAT(report.explanation, HasSubstr("#0 x11171 [0.000000ms, 0.000010ms] write(1) -> ok"));
  EXPECT_THAT(report.explanation, HasSubstr("#1 x11172 [0.000020ms, 0.000030ms] read -> 0  -- impossible"));
  EXPECT_THAT(report.explanation, HasSubstr("does not describe its states"));
  EXPECT_FALSE(report.result().passed());
  EXPECT_THAT(report.result().reason(), HasSubstr("not linearizable: 1 of 1 parts (whole history)"));
}

TEST(Linearizability, readOverlappingAWrite_mayReturnOldOrNew) {
  EXPECT_EQ(verdict_of({write(kAlice, 0, 100, 1), read(kBob, 50, 60, 0)}), Verdict::kLinearizable);
  EXPECT_EQ(verdict_of({write(kAlice, 0, 100, 1), read(kBob, 50, 60, 1)}), Verdict::kLinearizable);
  EXPECT_EQ(verdict_of({write(kAlice, 0, 100, 1), read(kBob, 50, 60, 2)}), Verdict::kNotLinearizable);
}

TEST(Linearizability, readsInsideOneWrite_cannotSeeNewThenOld) {
  // Both reads overlap the write, but the second starts after the first returned the new value.
  EXPECT_EQ(verdict_of({write(kAlice, 0, 100, 1), read(kBob, 10, 20, 1), read(kBob, 30, 40, 0)}),
            Verdict::kNotLinearizable);
  EXPECT_EQ(verdict_of({write(kAlice, 0, 100, 1), read(kBob, 10, 20, 0), read(kBob, 30, 40, 1)}),
            Verdict::kLinearizable);
}

TEST(Linearizability, concurrentWrites_takeSomeOrderThatAllReadsAgreeOn) {
  const History both_orders_seen{write(kAlice, 0, 100, 1), write(kBob, 0, 100, 2), read(kAlice, 150, 160, 2),
                                 read(kBob, 170, 180, 1)};
  EXPECT_EQ(verdict_of(both_orders_seen), Verdict::kNotLinearizable);
  const History one_order{write(kAlice, 0, 100, 1), write(kBob, 0, 100, 2), read(kAlice, 50, 60, 1),
                          read(kBob, 150, 160, 2)};
  EXPECT_EQ(verdict_of(one_order), Verdict::kLinearizable);
}

TEST(Linearizability, writeThatLeavesTheStateAsItWas_isNotPrunedLikeARead) {
  // write(0) fits first, at state 0, without changing it; the only linearization puts it
  // after write(1) and the read of 1 instead.
  const History history{write(kAlice, 0, 100, 0), write(kBob, 0, 100, 1), read(kCarol, 10, 20, 1),
                        read(kCarol, 200, 210, 0)};
  EXPECT_EQ(verdict_of(history), Verdict::kLinearizable);
}

TEST(Linearizability, equalTimes_countAsOverlapping) {
  EXPECT_EQ(verdict_of({write(kAlice, 0, 10, 1), read(kBob, 10, 20, 0)}), Verdict::kLinearizable);
  EXPECT_EQ(verdict_of({write(kAlice, 0, 10, 1), read(kBob, 11, 20, 0)}), Verdict::kNotLinearizable);
}

TEST(Linearizability, writeWithoutResponse_mayBeSeenOrNot) {
  EXPECT_EQ(verdict_of({lost_write(kAlice, 0, 1), read(kBob, 100, 110, 0)}), Verdict::kLinearizable);
  EXPECT_EQ(verdict_of({lost_write(kAlice, 0, 1), read(kBob, 100, 110, 1)}), Verdict::kLinearizable);
  // It may take effect long after the client gave up.
  EXPECT_EQ(verdict_of({lost_write(kAlice, 0, 1), read(kBob, 100, 110, 0), read(kBob, 5000, 5010, 1)}),
            Verdict::kLinearizable);
  // But not before it was invoked.
  EXPECT_EQ(verdict_of({read(kBob, 0, 10, 1), lost_write(kAlice, 20, 1)}), Verdict::kNotLinearizable);
}

TEST(Linearizability, writeWithoutResponse_onceSeenStaysSeen) {
  EXPECT_EQ(verdict_of({lost_write(kAlice, 0, 1), read(kBob, 100, 110, 1), read(kBob, 200, 210, 0)}),
            Verdict::kNotLinearizable);
  // A later completed write may replace it, and then the lost write cannot come back.
  EXPECT_EQ(verdict_of(
                {lost_write(kAlice, 0, 1), read(kBob, 100, 110, 1), write(kBob, 200, 210, 2), read(kBob, 300, 310, 2)}),
            Verdict::kLinearizable);
  EXPECT_EQ(verdict_of(
                {lost_write(kAlice, 0, 1), read(kBob, 100, 110, 1), write(kBob, 200, 210, 2), read(kBob, 300, 310, 1)}),
            Verdict::kNotLinearizable);
}

TEST(Linearizability, readWithoutResponse_constrainsNothing) {
  History history{write(kAlice, 0, 10, 1), read(kBob, 20, 30, 1)};
  history.push_back(Op{.client = kBob, .invoked_ns = 40, .responded_ns = kNeverNs, .input = {}, .output = {}});
  EXPECT_EQ(verdict_of(history), Verdict::kLinearizable);
}

TEST(Linearizability, partOverTheOperationCap_isUnknownNotPassed) {
  const History history{write(kAlice, 0, 10, 1), read(kBob, 20, 30, 1), read(kBob, 40, 50, 1)};
  const LinearizabilityReport report =
      check_linearizable(RegisterModel{}, history, LinearizabilityOptions{.operations_per_part_max = 2});
  ASSERT_EQ(report.verdict, Verdict::kUnknown);
  EXPECT_EQ(report.parts_unknown, 1u);
  EXPECT_EQ(report.steps, 0u);
  EXPECT_THAT(report.explanation, HasSubstr("3 operations, over operations_per_part_max 2"));
  EXPECT_FALSE(report.result().passed());
  EXPECT_THAT(report.result().reason(), HasSubstr("linearizability unknown"));
}

// n writes of distinct values, all concurrent, then a read of a value nobody wrote: every
// subset of the writes is a distinct configuration, so the search cannot finish.
History hopeless(int writes) {
  History history;
  for (int i = 0; i < writes; ++i) history.push_back(write(NodeId{70000u + i}, i, 1'000'000, i + 1));
  history.push_back(read(kBob, 2'000'000, 2'000'010, -1));
  return history;
}

TEST(Linearizability, searchPastTheStepBudget_isUnknownAndSaysWhichBound) {
  const LinearizabilityReport report =
      check_linearizable(RegisterModel{}, hopeless(40), LinearizabilityOptions{.steps_per_part_max = 5'000});
  ASSERT_EQ(report.verdict, Verdict::kUnknown);
  EXPECT_EQ(report.steps, 5'000u);
  EXPECT_THAT(report.explanation, HasSubstr("steps_per_part_max (5000 model steps)"));
  EXPECT_THAT(report.explanation, HasSubstr("40 of 41 operations linearized at best"));
}

TEST(Linearizability, searchPastTheMemoBudget_isUnknownAndSaysWhichBound) {
  const LinearizabilityReport report =
      check_linearizable(RegisterModel{}, hopeless(40), LinearizabilityOptions{.memo_bytes_max = 100'000});
  ASSERT_EQ(report.verdict, Verdict::kUnknown);
  EXPECT_THAT(report.explanation, HasSubstr("memo_bytes_max (100000 bytes)"));
}

TEST(Linearizability, threeHundredConcurrentOperations_endWithinTheDefaultBudget) {
  const auto start = std::chrono::steady_clock::now();
  const LinearizabilityReport report = check_linearizable(RegisterModel{}, hopeless(300));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(report.verdict, Verdict::kUnknown);
  EXPECT_EQ(report.steps, LinearizabilityOptions{}.steps_per_part_max);
  std::printf("{\"bench\":\"linearizability_hopeless\",\"operations\":301,\"steps\":%llu,\"ms\":%lld}\n",
              static_cast<unsigned long long>(report.steps),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
}

TEST(Linearizability, fewConcurrentWritesThenAnImpossibleRead_failWithinTheBudget) {
  const LinearizabilityReport report = check_linearizable(RegisterModel{}, hopeless(8));
  ASSERT_EQ(report.verdict, Verdict::kNotLinearizable);
  EXPECT_THAT(report.explanation, HasSubstr("Longest linearizable prefix found: 8 of 9 operations:"));
  EXPECT_THAT(report.explanation, HasSubstr("read -> -1  -- impossible from this state"));
  EXPECT_LT(report.steps, 8u * 256u * 2u);  // at most every subset of the writes, each entered once
}

TEST(Linearizability, malformedHistory_throws) {
  EXPECT_THROW(verdict_of({write(kAlice, 10, 5, 1)}), std::invalid_argument);
  EXPECT_THROW(verdict_of({write(kAlice, kNeverNs, kNeverNs, 1)}), std::invalid_argument);
}

TEST(OperationRecorder, stampsEventsStrictlyInRecordingOrder) {
  OperationRecorder<RegisterModel::Input, RegisterModel::Output> recorder(8);
  const auto w = recorder.invoked(kAlice, 100, {.write = true, .value = 1});
  ASSERT_TRUE(w);
  recorder.responded(*w, 200, {.known = true, .value = 0});
  // Bob's read starts in the same instant, after Alice's response was processed.
  const auto r = recorder.invoked(kBob, 200, {.write = false, .value = 0});
  ASSERT_TRUE(r);
  recorder.responded(*r, 300, {.known = true, .value = 0});
  const auto& ops = recorder.operations();
  EXPECT_EQ(ops[0].invoked_ns, 100);
  EXPECT_EQ(ops[0].responded_ns, 200);
  EXPECT_EQ(ops[1].invoked_ns, 201);
  EXPECT_EQ(ops[1].responded_ns, 300);
  EXPECT_EQ(recorder.outstanding(), 0u);
  // So the stale read is caught, where equal times would have let it pass.
  EXPECT_EQ(check_linearizable(RegisterModel{}, ops).verdict, Verdict::kNotLinearizable);
}

TEST(OperationRecorder, unansweredOperationsAreUnknownAndAFullRecorderSaysSo) {
  OperationRecorder<RegisterModel::Input, RegisterModel::Output> recorder(2);
  ASSERT_TRUE(recorder.invoked(kAlice, 0, {.write = true, .value = 1}));
  const auto r = recorder.invoked(kBob, 10, {.write = false, .value = 0});
  ASSERT_TRUE(r);
  recorder.responded(*r, 20, {.known = true, .value = 1});
  EXPECT_FALSE(recorder.invoked(kBob, 30, {}));
  EXPECT_TRUE(recorder.overflowed());
  EXPECT_EQ(recorder.outstanding(), 1u);
  EXPECT_FALSE(recorder.operations()[0].answered());
  EXPECT_FALSE(recorder.operations()[0].output.known);
  EXPECT_EQ(check_linearizable(RegisterModel{}, recorder.operations()).verdict, Verdict::kLinearizable);
}

}  // namespace
}  // namespace eyrie::check
