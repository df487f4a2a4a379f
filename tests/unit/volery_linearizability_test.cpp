// Whole Volery histories judged by the linearizability checker against VoleryModel: sequential
// ones that pass, the classic violations (stale reads, a create won twice, sequential names that
// skip or repeat, a failed multi seen in part, an ephemeral outliving its session, a session
// answered after its expiry, wrong child stats), concurrency and lost replies.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/checkers/volery_model.hpp"
#include "tests/unit/volery_test_builders.hpp"

namespace eyrie::check::volery {
namespace {

using namespace eyrie::check::volery::builders;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Verdict verdict_of(const VoleryHistory& history, VoleryModelOptions options = {}) {
  return check_linearizable(VoleryModel(options), history).verdict;
}

// Session s1 (Alice) and s2 (Bob) open, /t0 created with data "a" at Z(3).
VoleryHistory with_t0() {
  return {open_session(kAlice, 0, 1, kS1, Z(1)), open_session(kBob, 2, 3, kS2, Z(2)),
          done(kAlice, 4, 5, kS1, create("/t0", "a"), Z(3), created("/t0", fresh(Z(3), {.dl = 1})))};
}

VoleryHistory plus(VoleryHistory history, std::initializer_list<VoleryOperation> more) {
  history.insert(history.end(), more.begin(), more.end());
  return history;
}

TEST(VoleryLinearizability, sequentialHistoryOfEveryOperation_passes) {
  const zk::Stat t0_written = stat({.c = Z(3), .m = Z(5), .p = Z(4), .v = 1, .cv = 1, .dl = 2, .nc = 1});
  const VoleryHistory history = plus(
      with_t0(), {done(kAlice, 10, 11, kS1, create("/t0/x"), Z(4), created("/t0/x", fresh(Z(4)))),
                  done(kAlice, 12, 13, kS1, zk::SetData{"/t0", "bb"}, Z(5), with_stat(t0_written)),
                  done(kBob, 14, 15, kS2, zk::GetData{"/t0"}, Z(6), with_data("bb", t0_written)),
                  done(kBob, 16, 17, kS2, zk::GetChildren{"/t0"}, Z(7), with_children({"x"}, t0_written)),
                  done(kAlice, 18, 19, kS1, zk::Multi{.ops = {zk::Check{"/t0", 1}, create_sequential("/t0/q-")}}, Z(8),
                       multi_result(zk::Code::ok, {ok(), created("/t0/q-0000000001", fresh(Z(8)))})),
                  done(kBob, 20, 21, kS2, zk::Exists{"/t0"}, Z(9),
                       with_stat(stat({.c = Z(3), .m = Z(5), .p = Z(8), .v = 1, .cv = 2, .dl = 2, .nc = 2}))),
                  done(kAlice, 22, 23, kS1, zk::SetAcl{"/t0/x", open(), 0}, Z(10), with_stat(fresh(Z(4), {.av = 1}))),
                  done(kBob, 24, 25, kS2, zk::GetAcl{"/t0/x"}, Z(11), with_acl(open(), fresh(Z(4), {.av = 1}))),
                  done(kBob, 26, 27, kS2, zk::Sync{"/t0"}, Z(12), ok()),
                  done(kAlice, 28, 29, kS1, zk::Delete{"/t0/x", 0}, Z(13), ok()),
                  done(kBob, 30, 31, kS2, zk::GetChildren{"/t0"}, Z(14),
                       with_children({"q-0000000001"},
                                     stat({.c = Z(3), .m = Z(5), .p = Z(13), .v = 1, .cv = 3, .dl = 2, .nc = 1}))),
                  done(kAlice, 32, 33, kS1, zk::CloseSession{}, Z(15), ok()),
                  done(kAlice, 34, 35, kS1, zk::GetData{"/t0"}, Z(16), err(zk::Code::session_expired))});
  const LinearizabilityReport report = check_linearizable(VoleryModel{}, history);
  EXPECT_EQ(report.verdict, Verdict::kLinearizable) << report.explanation;
  EXPECT_EQ(report.parts, 2u);  // subtree /t0, and sessions (the sync)
}

TEST(VoleryLinearizability, staleReadAfterCompletedWrite_fails) {
  const zk::Stat written = stat({.c = Z(3), .m = Z(4), .p = Z(3), .v = 1, .dl = 1});
  const VoleryHistory base =
      plus(with_t0(), {done(kAlice, 10, 20, kS1, zk::SetData{"/t0", "b"}, Z(4), with_stat(written))});
  const LinearizabilityReport report = check_linearizable(
      VoleryModel{},
      plus(base, {done(kBob, 30, 40, kS2, zk::GetData{"/t0"}, Z(5), with_data("a", fresh(Z(3), {.dl = 1})))}));
  ASSERT_EQ(report.verdict, Verdict::kNotLinearizable);
  EXPECT_THAT(report.explanation, HasSubstr("part subtree /t0: not linearizable"));
  EXPECT_THAT(report.explanation, HasSubstr("s102 getData(/t0) -> z=5000003 ok"));
  // A read overlapping the write may see either value, each with its own stat.
  EXPECT_EQ(verdict_of(plus(
                base, {done(kBob, 15, 40, kS2, zk::GetData{"/t0"}, Z(3) + 9, with_data("a", fresh(Z(3), {.dl = 1})))})),
            Verdict::kLinearizable);
  EXPECT_EQ(verdict_of(plus(base, {done(kBob, 15, 40, kS2, zk::GetData{"/t0"}, Z(5), with_data("b", written))})),
            Verdict::kLinearizable);
  EXPECT_EQ(verdict_of(plus(
                base, {done(kBob, 15, 40, kS2, zk::GetData{"/t0"}, Z(5), with_data("b", fresh(Z(3), {.dl = 1})))})),
            Verdict::kNotLinearizable);
}

TEST(VoleryLinearizability, oneCreateOfAPathWins) {
  const VoleryHistory sessions{open_session(kAlice, 0, 1, kS1, Z(1)), open_session(kBob, 2, 3, kS2, Z(2))};
  EXPECT_EQ(verdict_of(plus(sessions, {done(kAlice, 10, 11, kS1, create("/t0"), Z(3), created("/t0", fresh(Z(3)))),
                                       done(kBob, 12, 13, kS2, create("/t0"), Z(4), created("/t0", fresh(Z(4))))})),
            Verdict::kNotLinearizable);
  EXPECT_EQ(verdict_of(plus(sessions, {done(kAlice, 10, 20, kS1, create("/t0"), Z(3), created("/t0", fresh(Z(3)))),
                                       done(kBob, 11, 19, kS2, create("/t0"), Z(4), created("/t0", fresh(Z(4))))})),
            Verdict::kNotLinearizable);
  EXPECT_EQ(verdict_of(plus(sessions, {done(kAlice, 10, 20, kS1, create("/t0"), Z(4), created("/t0", fresh(Z(4)))),
                                       done(kBob, 11, 19, kS2, create("/t0"), Z(5), err(zk::Code::node_exists))})),
            Verdict::kLinearizable);
  // The loser ran after the winner at the node's partition: its zxid cannot be below.
  EXPECT_EQ(verdict_of(plus(sessions, {done(kAlice, 10, 20, kS1, create("/t0"), Z(4), created("/t0", fresh(Z(4)))),
                                       done(kBob, 11, 19, kS2, create("/t0"), Z(3), err(zk::Code::node_exists))})),
            Verdict::kNotLinearizable);
}

TEST(VoleryLinearizability, sequentialNames_neitherRepeatNorSkip) {
  const auto two_creates = [](const char* first, zk::Zxid first_zxid, const char* second, zk::Zxid second_zxid) {
    return verdict_of(
        plus(with_t0(),
             {done(kAlice, 10, 20, kS1, create_sequential("/t0/q-"), first_zxid, created(first, fresh(first_zxid))),
              done(kBob, 11, 19, kS2, create_sequential("/t0/q-"), second_zxid, created(second, fresh(second_zxid)))}));
  };
  EXPECT_EQ(two_creates("/t0/q-0000000000", Z(4), "/t0/q-0000000001", Z(5)), Verdict::kLinearizable);
  EXPECT_EQ(two_creates("/t0/q-0000000001", Z(5), "/t0/q-0000000000", Z(4)), Verdict::kLinearizable);
  EXPECT_EQ(two_creates("/t0/q-0000000000", Z(4), "/t0/q-0000000000", Z(5)), Verdict::kNotLinearizable);  // repeated
  EXPECT_EQ(two_creates("/t0/q-0000000000", Z(4), "/t0/q-0000000002", Z(5)), Verdict::kNotLinearizable);  // skipped
  EXPECT_EQ(two_creates("/t0/q-0000000001", Z(4), "/t0/q-0000000000", Z(5)), Verdict::kNotLinearizable);  // zxid order
}

TEST(VoleryLinearizability, failedMulti_isNeverSeenInPart) {
  const VoleryHistory base =
      plus(with_t0(), {done(kAlice, 10, 11, kS1, zk::Multi{.ops = {create("/t0/a"), zk::Delete{"/t0/missing"}}}, Z(4),
                            multi_result(zk::Code::no_node, {ok(), err(zk::Code::no_node)}))});
  EXPECT_EQ(verdict_of(plus(base, {done(kBob, 12, 13, kS2, zk::Exists{"/t0/a"}, Z(5), err(zk::Code::no_node))})),
            Verdict::kLinearizable);
  EXPECT_EQ(verdict_of(plus(base, {done(kBob, 12, 13, kS2, zk::Exists{"/t0/a"}, Z(5), with_stat(fresh(Z(4))))})),
            Verdict::kNotLinearizable);
  EXPECT_EQ(verdict_of(
                plus(base, {done(kBob, 12, 13, kS2, zk::GetData{"/t0"}, Z(5),
                                 with_data("a", stat({.c = Z(3), .m = Z(3), .p = Z(4), .cv = 1, .dl = 1, .nc = 1})))})),
            Verdict::kNotLinearizable);
}

TEST(VoleryLinearizability, multiAcrossSubtrees_isAtomic) {
  const VoleryHistory base{
      open_session(kAlice, 0, 1, kS1, Z(1)),
      done(kAlice, 2, 3, kS1, create("/t0"), Z(2), created("/t0", fresh(Z(2)))),
      done(kAlice, 4, 5, kS1, create("/t1"), Z(3), created("/t1", fresh(Z(3)))),
      done(kAlice, 10, 100, kS1, zk::Multi{.ops = {create("/t0/a"), create("/t1/a")}}, Z(5),
           multi_result(zk::Code::ok, {created("/t0/a", fresh(Z(5))), created("/t1/a", fresh(Z(5)))})),
      done(kAlice, 20, 30, kS1, zk::Exists{"/t0/a"}, Z(6), with_stat(fresh(Z(5)))),
  };
  EXPECT_EQ(verdict_of(plus(base, {done(kAlice, 40, 50, kS1, zk::Exists{"/t1/a"}, Z(7), with_stat(fresh(Z(5))))})),
            Verdict::kLinearizable);
  EXPECT_EQ(verdict_of(plus(base, {done(kAlice, 40, 50, kS1, zk::Exists{"/t1/a"}, Z(4), err(zk::Code::no_node))})),
            Verdict::kNotLinearizable);
}

TEST(VoleryLinearizability, ephemeral_goesWithItsSessionsClose) {
  const VoleryHistory base = plus(
      with_t0(), {done(kBob, 10, 11, kS2, create_ephemeral("/t0/e"), Z(4), created("/t0/e", fresh(Z(4), {.eo = kS2}))),
                  done(kBob, 12, 13, kS2, zk::CloseSession{}, Z(5), ok())});
  EXPECT_EQ(verdict_of(plus(base, {done(kAlice, 14, 15, kS1, zk::Exists{"/t0/e"}, Z(6), err(zk::Code::no_node))})),
            Verdict::kLinearizable);
  EXPECT_EQ(verdict_of(plus(
                base, {done(kAlice, 14, 15, kS1, zk::Exists{"/t0/e"}, Z(6), with_stat(fresh(Z(4), {.eo = kS2})))})),
            Verdict::kNotLinearizable);
  EXPECT_EQ(
      verdict_of(
          plus(base, {done(kAlice, 14, 15, kS1, zk::GetChildren{"/t0"}, Z(6),
                           with_children({"e"}, stat({.c = Z(3), .m = Z(3), .p = Z(4), .cv = 1, .dl = 1, .nc = 1})))})),
      Verdict::kNotLinearizable);
  EXPECT_EQ(
      verdict_of(plus(base, {done(kAlice, 14, 15, kS1, zk::GetChildren{"/t0"}, Z(6),
                                  with_children({}, stat({.c = Z(3), .m = Z(3), .p = Z(5), .cv = 2, .dl = 1})))})),
      Verdict::kLinearizable);
}

TEST(VoleryLinearizability, expiredSession_isAnsweredSessionExpiredOnly) {
  const zk::Result t0_read = with_data("a", fresh(Z(3), {.dl = 1}));
  const VoleryHistory base = plus(with_t0(), {done(kCarol, 10, 20, 0, zk::Tick{}, Z(5), expired({kS2}))});
  EXPECT_EQ(verdict_of(plus(base, {done(kBob, 30, 31, kS2, zk::GetData{"/t0"}, Z(6), err(zk::Code::session_expired))})),
            Verdict::kLinearizable);
  EXPECT_EQ(verdict_of(plus(base, {done(kBob, 30, 31, kS2, zk::GetData{"/t0"}, Z(6), t0_read)})),
            Verdict::kNotLinearizable);
  EXPECT_EQ(verdict_of(plus(base, {done(kBob, 30, 31, kS2, create("/t0/b"), Z(6), created("/t0/b", fresh(Z(6))))})),
            Verdict::kNotLinearizable);
  // Overlapping the tick, it may still have run first.
  EXPECT_EQ(verdict_of(plus(base, {done(kBob, 15, 31, kS2, zk::GetData{"/t0"}, Z(4), t0_read)})),
            Verdict::kLinearizable);
  // And a tick cannot expire a session that is not live.
  EXPECT_EQ(verdict_of(plus(base, {done(kCarol, 30, 31, 0, zk::Tick{}, Z(6), expired({kS2}))})),
            Verdict::kNotLinearizable);
}

TEST(VoleryLinearizability, wrongChildStats_fail) {
  const VoleryHistory base =
      plus(with_t0(), {done(kAlice, 10, 11, kS1, create("/t0/a"), Z(4), created("/t0/a", fresh(Z(4)))),
                       done(kAlice, 12, 13, kS1, zk::Delete{"/t0/a"}, Z(5), ok())});
  const auto exists_t0 = [&](StatFields fields, VoleryModelOptions options = {}) {
    return verdict_of(plus(base, {done(kBob, 14, 15, kS2, zk::Exists{"/t0"}, Z(6), with_stat(stat(fields)))}), options);
  };
  const StatFields right{.c = Z(3), .m = Z(3), .p = Z(5), .cv = 2, .dl = 1};
  EXPECT_EQ(exists_t0(right), Verdict::kLinearizable);
  EXPECT_EQ(exists_t0(right, {.cversion = CversionRule::changes}), Verdict::kLinearizable);
  StatFields wrong = right;
  wrong.cv = 1;
  EXPECT_EQ(exists_t0(wrong), Verdict::kNotLinearizable);
  wrong = right;
  wrong.p = Z(4);
  EXPECT_EQ(exists_t0(wrong), Verdict::kNotLinearizable);
  wrong = right;
  wrong.m = Z(5);
  EXPECT_EQ(exists_t0(wrong), Verdict::kNotLinearizable);
  wrong = right;
  wrong.nc = 1;
  EXPECT_EQ(exists_t0(wrong), Verdict::kNotLinearizable);
}

TEST(VoleryLinearizability, readsInsideOneWrite_cannotSeeNewThenOld) {
  const zk::Stat written = stat({.c = Z(3), .m = Z(4), .p = Z(3), .v = 1, .dl = 1});
  const VoleryOperation write = done(kAlice, 10, 100, kS1, zk::SetData{"/t0", "b"}, Z(4), with_stat(written));
  const auto read_new = [&](std::int64_t from) {
    return done(kBob, from, from + 10, kS2, zk::GetData{"/t0"}, Z(5), with_data("b", written));
  };
  const auto read_old = [&](std::int64_t from) {
    return done(kBob, from, from + 10, kS2, zk::GetData{"/t0"}, Z(3) + 9, with_data("a", fresh(Z(3), {.dl = 1})));
  };
  EXPECT_EQ(verdict_of(plus(with_t0(), {write, read_new(20), read_old(40)})), Verdict::kNotLinearizable);
  EXPECT_EQ(verdict_of(plus(with_t0(), {write, read_old(20), read_new(40)})), Verdict::kLinearizable);
}

TEST(VoleryLinearizability, lostCreate_mayTakeEffectLateButOnceSeenStays) {
  const VoleryHistory base =
      plus(with_t0(), {lost(kAlice, 10, kS1, create("/t0/a", "v")),
                       done(kBob, 20, 30, kS2, zk::Exists{"/t0/a"}, Z(4), err(zk::Code::no_node))});
  const VoleryOperation seen = done(kBob, 40, 50, kS2, zk::Exists{"/t0/a"}, Z(6), with_stat(fresh(Z(5), {.dl = 1})));
  EXPECT_EQ(verdict_of(base), Verdict::kLinearizable);
  EXPECT_EQ(verdict_of(plus(base, {seen})), Verdict::kLinearizable);
  EXPECT_EQ(verdict_of(plus(base, {seen, done(kBob, 60, 70, kS2, zk::Exists{"/t0/a"}, Z(7), err(zk::Code::no_node))})),
            Verdict::kNotLinearizable);
  // Seen, it took effect: creating the node again fails.
  EXPECT_EQ(
      verdict_of(plus(base, {seen, done(kAlice, 60, 70, kS1, create("/t0/a"), Z(7), created("/t0/a", fresh(Z(7))))})),
      Verdict::kNotLinearizable);
}

TEST(VoleryLinearizability, lostSetData_explainsAVersionSeenLater) {
  const VoleryHistory base = plus(with_t0(), {lost(kAlice, 10, kS1, zk::SetData{"/t0", "x"})});
  const zk::Stat after_both = stat({.c = Z(3), .m = Z(5), .p = Z(3), .v = 2, .dl = 1});
  const VoleryOperation conditional = done(kBob, 20, 30, kS2, zk::SetData{"/t0", "y", 1}, Z(5), with_stat(after_both));
  EXPECT_EQ(verdict_of(plus(base, {conditional})), Verdict::kLinearizable);
  EXPECT_EQ(verdict_of(plus(
                base, {conditional, done(kBob, 40, 50, kS2, zk::GetData{"/t0"}, Z(6), with_data("y", after_both))})),
            Verdict::kLinearizable);
  EXPECT_EQ(verdict_of(plus(
                base, {conditional, done(kBob, 40, 50, kS2, zk::GetData{"/t0"}, Z(6), with_data("x", after_both))})),
            Verdict::kNotLinearizable);
  // Without the lost write, version 1 is not there yet.
  EXPECT_EQ(verdict_of(plus(with_t0(), {conditional})), Verdict::kNotLinearizable);
  EXPECT_EQ(
      verdict_of(plus(base, {done(kBob, 20, 30, kS2, zk::SetData{"/t0", "y", 1}, Z(5), err(zk::Code::bad_version))})),
      Verdict::kLinearizable);
}

TEST(VoleryLinearizability, lostCreateSession_letsATickExpireAnUnseenId) {
  const VoleryHistory history{lost(kAlice, 0, 0, zk::CreateSession{}), open_session(kBob, 2, 3, kS2, Z(2)),
                              done(kCarol, 10, 11, 0, zk::Tick{}, Z(3), expired({999}))};
  EXPECT_EQ(verdict_of(history), Verdict::kLinearizable);
  VoleryHistory twice = history;
  twice.push_back(done(kCarol, 12, 13, 0, zk::Tick{}, Z(4), expired({998})));
  EXPECT_EQ(verdict_of(twice), Verdict::kNotLinearizable);
}

TEST(VoleryLinearizability, violationInOneSubtree_isReportedForThatSubtreeOnly) {
  const VoleryHistory history{
      open_session(kAlice, 0, 1, kS1, Z(1)),
      done(kAlice, 2, 3, kS1, create("/t0"), Z(2), created("/t0", fresh(Z(2)))),
      done(kAlice, 4, 5, kS1, create("/t1"), Z(3), created("/t1", fresh(Z(3)))),
      done(kAlice, 6, 7, kS1, zk::SetData{"/t1", "z"}, Z(4),
           with_stat(stat({.c = Z(3), .m = Z(4), .p = Z(3), .v = 1, .dl = 1}))),
      done(kBob, 8, 9, kS1, zk::GetData{"/t0"}, Z(5), with_data("", fresh(Z(2)))),
      done(kBob, 10, 11, kS1, zk::GetData{"/t1"}, Z(6), with_data("", fresh(Z(3)))),  // stale
  };
  const LinearizabilityReport report = check_linearizable(VoleryModel{}, history);
  ASSERT_EQ(report.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(report.parts, 2u);
  EXPECT_EQ(report.parts_not_linearizable, 1u);
  EXPECT_THAT(report.not_linearizable_parts, ElementsAre("subtree /t1"));
  EXPECT_THAT(report.explanation, HasSubstr("/t1 \"z\" v1"));  // the state the read could not follow
}

}  // namespace
}  // namespace eyrie::check::volery
