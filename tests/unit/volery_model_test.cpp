// VoleryModel (tests/checkers/volery_model.*): ZooKeeper 3.8's data tree rule by rule (stats,
// sequential names, ACLs, multi, containers, sessions, zxids, lost replies), read_only, describe
// and the partition into subtrees. Whole histories are in volery_linearizability_test.cpp.

#include "tests/checkers/volery_model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/volery_test_builders.hpp"

namespace eyrie::check::volery {
namespace {

using namespace eyrie::check::volery::builders;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The model stepped by hand from its initial state, one operation at a time.
class Replay {
 public:
  explicit Replay(VoleryModelOptions options = {}) : model_(options), state_(model_.init()) {}

  // Whether the model accepts this answer now; if it does, the state moves on.
  bool accepts(zk::SessionId session, zk::Op op, zk::Zxid zxid, zk::Result result, std::vector<zk::Id> auth = {}) {
    return apply(Input{.session = session, .auth = std::move(auth), .op = std::move(op)},
                 reply(zxid, std::move(result)));
  }
  // The same, without moving on.
  bool fits(zk::SessionId session, zk::Op op, zk::Zxid zxid, zk::Result result, std::vector<zk::Id> auth = {}) const {
    return model_
        .step(state_, Input{.session = session, .auth = std::move(auth), .op = std::move(op)},
              reply(zxid, std::move(result)))
        .has_value();
  }
  // An operation without a reply, linearized as taking effect (the model must accept it).
  void lost(zk::SessionId session, zk::Op op) {
    ASSERT_TRUE(apply(Input{.session = session, .auth = {}, .op = std::move(op)}, std::nullopt));
  }
  void open_session(zk::SessionId id, zk::Zxid zxid) {
    ASSERT_TRUE(accepts(0, zk::CreateSession{.timeout_ms = 10'000, .password = "pw"}, zxid, new_session(id)));
  }
  const State& state() const { return state_; }
  const VoleryModel& model() const { return model_; }

 private:
  bool apply(const Input& input, const Output& output) {
    std::optional<State> next = model_.step(state_, input, output);
    if (!next) return false;
    state_ = std::move(*next);
    return true;
  }
  VoleryModel model_;
  State state_;
};

// ---- the initial tree -----------------------------------------------------------------------

TEST(VoleryModel, init_servesZooKeepersInitialTree) {
  Replay run;
  run.open_session(kS1, Z(1));
  // ZooKeeper serves cversion as 2 * creates - numChildren: -1 for "/", -2 for /zookeeper.
  EXPECT_TRUE(run.fits(kS1, zk::GetChildren{"/"}, Z(2), with_children({"zookeeper"}, stat({.cv = -1, .nc = 1}))));
  EXPECT_FALSE(run.fits(kS1, zk::GetChildren{"/"}, Z(2), with_children({"zookeeper"}, stat({.cv = 0, .nc = 1}))));
  EXPECT_TRUE(run.fits(kS1, zk::GetChildren{"/zookeeper"}, Z(2),
                       with_children({"config", "quota"}, stat({.cv = -2, .nc = 2}))));
  EXPECT_TRUE(run.fits(kS1, zk::GetData{"/zookeeper/quota"}, Z(2), with_data("", stat({}))));
  EXPECT_TRUE(run.fits(kS1, zk::GetAcl{"/zookeeper/config"}, Z(2),
                       with_acl({zk::Acl{.perms = zk::perms::read, .id = {"world", "anyone"}}}, stat({.av = -1}))));
  EXPECT_TRUE(run.fits(kS1, zk::Exists{"/nothing"}, Z(2), err(zk::Code::no_node)));
}

TEST(VoleryModel, delete_ofTheSystemNodes_isBadArguments) {
  Replay run;
  run.open_session(kS1, Z(1));
  for (const char* path : {"/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"}) {
    EXPECT_TRUE(run.accepts(kS1, zk::Delete{path}, Z(2), err(zk::Code::bad_arguments))) << path;
    EXPECT_FALSE(run.fits(kS1, zk::Delete{path}, Z(2), ok())) << path;
  }
  EXPECT_FALSE(run.fits(kS1, zk::SetData{"/zookeeper/config", "x"}, Z(3), with_stat(stat({.m = Z(3), .v = 1}))));
  EXPECT_TRUE(run.fits(kS1, zk::SetData{"/zookeeper/config", "x"}, Z(3), err(zk::Code::no_auth)));
}

// ---- create ---------------------------------------------------------------------------------

TEST(VoleryModel, create_answersTheNewStatAndUpdatesTheParent) {
  Replay run;
  run.open_session(kS1, Z(1));
  EXPECT_FALSE(run.fits(kS1, create("/t0", "ab"), Z(2), created("/t0", fresh(Z(3), {.dl = 2}))));  // not its zxid
  EXPECT_FALSE(run.fits(kS1, create("/t0", "ab"), Z(2), created("/t0", fresh(Z(2), {.dl = 3}))));
  EXPECT_FALSE(run.fits(kS1, create("/t0", "ab"), Z(2), ok()));  // the path and stat are part of the answer
  ASSERT_TRUE(run.accepts(kS1, create("/t0", "ab"), Z(2), created("/t0", fresh(Z(2), {.dl = 2}))));
  // "/": creates 1, children 2: cversion 0; pzxid the create's.
  EXPECT_TRUE(run.fits(kS1, zk::Exists{"/"}, Z(3), with_stat(stat({.p = Z(2), .cv = 0, .nc = 2}))));
  EXPECT_FALSE(run.fits(kS1, zk::Exists{"/"}, Z(3), with_stat(stat({.p = Z(1), .cv = 0, .nc = 2}))));
  EXPECT_TRUE(run.fits(kS1, zk::GetData{"/t0"}, Z(3), with_data("ab", fresh(Z(2), {.dl = 2}))));
  ASSERT_TRUE(run.accepts(kS1, create("/t0/b"), Z(4), created("/t0/b", fresh(Z(4)))));
  ASSERT_TRUE(run.accepts(kS1, create("/t0/a"), Z(5), created("/t0/a", fresh(Z(5)))));
  EXPECT_TRUE(run.fits(kS1, zk::GetChildren{"/t0"}, Z(6),
                       with_children({"a", "b"}, stat({.c = Z(2), .m = Z(2), .p = Z(5), .cv = 2, .dl = 2, .nc = 2}))));
  EXPECT_FALSE(run.fits(kS1, zk::GetChildren{"/t0"}, Z(6),
                        with_children({"b", "a"}, stat({.c = Z(2), .m = Z(2), .p = Z(5), .cv = 2, .dl = 2, .nc = 2}))));
}

TEST(VoleryModel, create_checksInZooKeepersOrderAndChangesNothingWhenRefused) {
  Replay run;
  run.open_session(kS1, Z(1));
  ASSERT_TRUE(run.accepts(kS1, create("/t0"), Z(2), created("/t0", fresh(Z(2)))));
  ASSERT_TRUE(run.accepts(kS1, create_ephemeral("/t0/e"), Z(3), created("/t0/e", fresh(Z(3), {.eo = kS1}))));
  const State before = run.state();
  // ZooKeeper looks the parent up by its text before it validates the path.
  for (const char* path : {"", "/t0/", "/t0/..", "/t0/x\x01"}) {
    EXPECT_TRUE(run.accepts(kS1, create(path), Z(4), err(zk::Code::bad_arguments))) << path;
    EXPECT_FALSE(run.fits(kS1, create(path), Z(4), err(zk::Code::no_node))) << path;
  }
  for (const char* path : {"t0/x", "/t0//x", "/t0/./x"}) {
    EXPECT_TRUE(run.accepts(kS1, create(path), Z(4), err(zk::Code::no_node))) << path;
    EXPECT_FALSE(run.fits(kS1, create(path), Z(4), err(zk::Code::bad_arguments))) << path;
  }
  EXPECT_TRUE(run.accepts(kS1, create("/"), Z(4), err(zk::Code::node_exists)));
  EXPECT_TRUE(run.accepts(kS1, create("/t1/x"), Z(4), err(zk::Code::no_node)));
  EXPECT_TRUE(run.accepts(kS1, create("/t0"), Z(4), err(zk::Code::node_exists)));
  EXPECT_TRUE(run.accepts(kS1, create("/t0/e/x"), Z(4), err(zk::Code::no_children_for_ephemerals)));
  EXPECT_TRUE(run.accepts(kS1, create("/t0/e"), Z(4), err(zk::Code::node_exists)));  // exists comes first
  zk::Create no_acl = create("/t0/y");
  no_acl.acl.clear();
  EXPECT_TRUE(run.accepts(kS1, no_acl, Z(4), err(zk::Code::invalid_acl)));
  zk::Create ttl = create("/t0/y");
  ttl.mode = static_cast<zk::CreateMode>(5);
  EXPECT_TRUE(run.accepts(kS1, ttl, Z(4), err(zk::Code::unimplemented)));
  EXPECT_FALSE(run.fits(kS1, create("/t1/x"), Z(4), err(zk::Code::node_exists)));
  EXPECT_EQ(run.state(), before);
}

TEST(VoleryModel, create_sequentialNamesTakeTheParentsCreateCount) {
  Replay run;
  run.open_session(kS1, Z(1));
  ASSERT_TRUE(run.accepts(kS1, create("/t0"), Z(2), created("/t0", fresh(Z(2)))));
  EXPECT_FALSE(run.fits(kS1, create_sequential("/t0/job-"), Z(3), created("/t0/job-0000000001", fresh(Z(3)))));
  ASSERT_TRUE(run.accepts(kS1, create_sequential("/t0/job-"), Z(3), created("/t0/job-0000000000", fresh(Z(3)))));
  ASSERT_TRUE(run.accepts(kS1, zk::Delete{"/t0/job-0000000000"}, Z(4), ok()));
  // A delete does not count: the next name is 1, not 2; the served cversion counts both (3).
  EXPECT_FALSE(run.fits(kS1, create_sequential("/t0/job-"), Z(5), created("/t0/job-0000000002", fresh(Z(5)))));
  ASSERT_TRUE(run.accepts(kS1, create_sequential("/t0/job-"), Z(5), created("/t0/job-0000000001", fresh(Z(5)))));
  EXPECT_TRUE(
      run.fits(kS1, zk::Exists{"/t0"}, Z(6), with_stat(stat({.c = Z(2), .m = Z(2), .p = Z(5), .cv = 3, .nc = 1}))));
  // A trailing '/' is allowed for a sequential create: the name is the number alone.
  ASSERT_TRUE(run.accepts(kS1, create_sequential("/t0/"), Z(7), created("/t0/0000000002", fresh(Z(7)))));
}

TEST(VoleryModel, cversionRuleChanges_countsDeletesInNamesAndStats) {
  Replay run(VoleryModelOptions{.cversion = CversionRule::changes});
  run.open_session(kS1, Z(1));
  EXPECT_TRUE(run.fits(kS1, zk::Exists{"/"}, Z(2), with_stat(stat({.cv = 0, .nc = 1}))));
  ASSERT_TRUE(run.accepts(kS1, create("/t0"), Z(2), created("/t0", fresh(Z(2)))));
  ASSERT_TRUE(run.accepts(kS1, create_sequential("/t0/job-"), Z(3), created("/t0/job-0000000000", fresh(Z(3)))));
  ASSERT_TRUE(run.accepts(kS1, zk::Delete{"/t0/job-0000000000"}, Z(4), ok()));
  ASSERT_TRUE(run.accepts(kS1, create_sequential("/t0/job-"), Z(5), created("/t0/job-0000000002", fresh(Z(5)))));
  EXPECT_TRUE(
      run.fits(kS1, zk::Exists{"/t0"}, Z(6), with_stat(stat({.c = Z(2), .m = Z(2), .p = Z(5), .cv = 3, .nc = 1}))));
}

// ---- delete, setData, check, setACL ---------------------------------------------------------

TEST(VoleryModel, delete_checksVersionAndChildren) {
  Replay run;
  run.open_session(kS1, Z(1));
  ASSERT_TRUE(run.accepts(kS1, create("/t0"), Z(2), created("/t0", fresh(Z(2)))));
  ASSERT_TRUE(run.accepts(kS1, create("/t0/a"), Z(3), created("/t0/a", fresh(Z(3)))));
  EXPECT_TRUE(run.accepts(kS1, zk::Delete{"/t0"}, Z(4), err(zk::Code::not_empty)));
  EXPECT_TRUE(run.accepts(kS1, zk::Delete{"/t0/a", 1}, Z(4), err(zk::Code::bad_version)));
  EXPECT_TRUE(run.accepts(kS1, zk::Delete{"/t0/b"}, Z(4), err(zk::Code::no_node)));
  EXPECT_TRUE(run.accepts(kS1, zk::Delete{"/t1/b"}, Z(4), err(zk::Code::no_node)));
  EXPECT_FALSE(run.fits(kS1, zk::Delete{"/t0/a", 1}, Z(4), ok()));
  ASSERT_TRUE(run.accepts(kS1, zk::Delete{"/t0/a", 0}, Z(5), ok()));
  EXPECT_TRUE(
      run.fits(kS1, zk::GetChildren{"/t0"}, Z(6), with_children({}, stat({.c = Z(2), .m = Z(2), .p = Z(5), .cv = 2}))));
  EXPECT_TRUE(run.fits(kS1, zk::Exists{"/t0/a"}, Z(6), err(zk::Code::no_node)));
  EXPECT_TRUE(run.accepts(kS1, zk::Delete{"/t0", zk::kAnyVersion}, Z(6), ok()));
}

TEST(VoleryModel, setData_bumpsVersionAndMzxid) {
  Replay run;
  run.open_session(kS1, Z(1));
  ASSERT_TRUE(run.accepts(kS1, create("/t0", "a"), Z(2), created("/t0", fresh(Z(2), {.dl = 1}))));
  const zk::Stat after = stat({.c = Z(2), .m = Z(3), .p = Z(2), .v = 1, .dl = 3});
  EXPECT_FALSE(run.fits(kS1, zk::SetData{"/t0", "xyz", 0}, Z(3),
                        with_stat(stat({.c = Z(2), .m = Z(2), .p = Z(2), .v = 1, .dl = 3}))));
  EXPECT_TRUE(run.fits(kS1, zk::SetData{"/t0", "xyz", 1}, Z(3), err(zk::Code::bad_version)));
  EXPECT_FALSE(run.fits(kS1, zk::SetData{"/t0", "xyz", 1}, Z(3), with_stat(after)));
  ASSERT_TRUE(run.accepts(kS1, zk::SetData{"/t0", "xyz", 0}, Z(3), with_stat(after)));
  EXPECT_TRUE(run.fits(kS1, zk::GetData{"/t0"}, Z(4), with_data("xyz", after)));
  EXPECT_FALSE(run.fits(kS1, zk::GetData{"/t0"}, Z(4), with_data("a", after)));
  EXPECT_TRUE(run.fits(kS1, zk::SetData{"/t1", "x"}, Z(4), err(zk::Code::no_node)));
  EXPECT_TRUE(run.fits(kS1, zk::Check{"/t0", 1}, Z(4), ok()));
  EXPECT_TRUE(run.fits(kS1, zk::Check{"/t0", 0}, Z(4), err(zk::Code::bad_version)));
  EXPECT_TRUE(run.fits(kS1, zk::Check{"/t1", 0}, Z(4), err(zk::Code::no_node)));
}

TEST(VoleryModel, acls_guardEachOperationAndRedactDigestsWithoutAdmin) {
  Replay run;
  run.open_session(kS1, Z(1));
  const zk::Id alice{"digest", "alice:hash"};
  const std::vector<zk::Acl> alice_all{zk::Acl{.perms = zk::perms::all, .id = alice}};
  zk::Create secret = create("/t0", "s");
  secret.acl = {zk::Acl{.perms = zk::perms::all, .id = {"auth", ""}},
                zk::Acl{.perms = zk::perms::read, .id = {"world", "anyone"}}};
  EXPECT_TRUE(run.accepts(kS1, secret, Z(2), err(zk::Code::invalid_acl)));  // no identity to expand "auth" to
  const std::vector<zk::Acl> stored{zk::Acl{.perms = zk::perms::all, .id = alice},
                                    zk::Acl{.perms = zk::perms::read, .id = {"world", "anyone"}}};
  ASSERT_TRUE(run.accepts(kS1, secret, Z(3), created("/t0", fresh(Z(3), {.dl = 1})), {alice}));
  const zk::Stat s = fresh(Z(3), {.dl = 1});
  EXPECT_TRUE(run.fits(kS1, zk::GetData{"/t0"}, Z(4), with_data("s", s)));  // world may read
  EXPECT_TRUE(run.fits(kS1, zk::SetData{"/t0", "x"}, Z(4), err(zk::Code::no_auth)));
  EXPECT_TRUE(run.fits(kS1, create("/t0/a"), Z(4), err(zk::Code::no_auth)));
  EXPECT_TRUE(run.fits(kS1, zk::SetAcl{"/t0", open()}, Z(4), err(zk::Code::no_auth)));
  EXPECT_TRUE(run.fits(kS1, zk::GetAcl{"/t0"}, Z(4),
                       with_acl({zk::Acl{.perms = zk::perms::all, .id = {"digest", "alice:x"}}, stored[1]}, s)));
  EXPECT_FALSE(run.fits(kS1, zk::GetAcl{"/t0"}, Z(4), with_acl(stored, s)));
  EXPECT_TRUE(run.fits(kS1, zk::GetAcl{"/t0"}, Z(4), with_acl(stored, s), {alice}));
  EXPECT_TRUE(run.fits(kS1, create("/t0/a"), Z(4), created("/t0/a", fresh(Z(4))), {alice}));
  EXPECT_TRUE(run.fits(kS1, zk::SetData{"/t0", "x"}, Z(4), err(zk::Code::no_auth), {zk::Id{"digest", "bob:hash"}}));
  EXPECT_TRUE(run.fits(kS1, zk::SetData{"/t0", "x"}, Z(4),
                       with_stat(stat({.c = Z(3), .m = Z(4), .p = Z(3), .v = 1, .dl = 1})),
                       {zk::Id{"super", "admin"}}));
  // setACL: ADMIN, aversion checked and bumped, the new ACL validated first.
  EXPECT_TRUE(run.fits(kS1, zk::SetAcl{"/t0", {zk::Acl{.perms = 1, .id = {"digest", "nocolon"}}}}, Z(4),
                       err(zk::Code::invalid_acl), {alice}));
  EXPECT_TRUE(run.fits(kS1, zk::SetAcl{"/t0", alice_all, 3}, Z(4), err(zk::Code::bad_version), {alice}));
  ASSERT_TRUE(
      run.accepts(kS1, zk::SetAcl{"/t0", alice_all, 0}, Z(4), with_stat(fresh(Z(3), {.av = 1, .dl = 1})), {alice}));
  EXPECT_TRUE(run.fits(kS1, zk::GetData{"/t0"}, Z(5), err(zk::Code::no_auth)));
  EXPECT_TRUE(run.fits(kS1, zk::GetAcl{"/t0"}, Z(5), err(zk::Code::no_auth)));
  EXPECT_TRUE(run.fits(kS1, zk::Exists{"/t0"}, Z(5), with_stat(fresh(Z(3), {.av = 1, .dl = 1}))));  // no ACL
}

// ---- multi ----------------------------------------------------------------------------------

TEST(VoleryModel, multi_appliesAllWithOneZxidEachSeeingThoseBefore) {
  Replay run;
  run.open_session(kS1, Z(1));
  ASSERT_TRUE(run.accepts(kS1, create("/t0"), Z(2), created("/t0", fresh(Z(2)))));
  const zk::Multi multi{
      .ops = {create("/t0/a", "1"), zk::SetData{"/t0/a", "22", 0}, zk::Check{"/t0/a", 1}, create_sequential("/t0/q-")}};
  const zk::Stat a_after = stat({.c = Z(3), .m = Z(3), .p = Z(3), .v = 1, .dl = 2});
  const zk::Result results = multi_result(zk::Code::ok, {created("/t0/a", fresh(Z(3), {.dl = 1})), with_stat(a_after),
                                                         ok(), created("/t0/q-0000000001", fresh(Z(3)))});
  EXPECT_FALSE(run.fits(kS1, multi, Z(3), multi_result(zk::Code::ok, {})));
  // A create's result in a multi may leave its stat out.
  EXPECT_TRUE(
      run.fits(kS1, multi, Z(3),
               multi_result(zk::Code::ok, {named("/t0/a"), with_stat(a_after), ok(), named("/t0/q-0000000001")})));
  ASSERT_TRUE(run.accepts(kS1, multi, Z(3), results));
  EXPECT_TRUE(
      run.fits(kS1, zk::GetChildren{"/t0"}, Z(4),
               with_children({"a", "q-0000000001"}, stat({.c = Z(2), .m = Z(2), .p = Z(3), .cv = 2, .nc = 2}))));
}

TEST(VoleryModel, multi_failingAppliesNothingAndAnswersInZooKeepersShape) {
  Replay run;
  run.open_session(kS1, Z(1));
  ASSERT_TRUE(run.accepts(kS1, create("/t0"), Z(2), created("/t0", fresh(Z(2)))));
  const State before = run.state();
  const zk::Multi multi{.ops = {create("/t0/a"), zk::Delete{"/t0/missing"}, zk::SetData{"/t0", "x"}}};
  const zk::Result failed =
      multi_result(zk::Code::no_node, {ok(), err(zk::Code::no_node), err(zk::Code::runtime_inconsistency)});
  EXPECT_FALSE(run.fits(kS1, multi, Z(3), multi_result(zk::Code::no_node, {ok(), err(zk::Code::no_node), ok()})));
  EXPECT_FALSE(
      run.fits(kS1, multi, Z(3),
               multi_result(zk::Code::ok, {ok(), err(zk::Code::no_node), err(zk::Code::runtime_inconsistency)})));
  EXPECT_FALSE(run.fits(kS1, multi, Z(3),
                        multi_result(zk::Code::no_node, {created("/t0/a", fresh(Z(3))), err(zk::Code::no_node),
                                                         err(zk::Code::runtime_inconsistency)})));
  ASSERT_TRUE(run.accepts(kS1, multi, Z(3), failed));
  EXPECT_EQ(run.state(), before);
  EXPECT_TRUE(run.fits(kS1, zk::Exists{"/t0/a"}, Z(4), err(zk::Code::no_node)));
  EXPECT_TRUE(run.accepts(kS1, zk::Multi{}, Z(4), ok()));
}

// ---- containers -----------------------------------------------------------------------------

TEST(VoleryModel, container_goesWithItsLastChildCascadingUp) {
  Replay run;
  run.open_session(kS1, Z(1));
  ASSERT_TRUE(run.accepts(kS1, create("/t0"), Z(2), created("/t0", fresh(Z(2)))));
  ASSERT_TRUE(run.accepts(kS1, create_container("/t0/c"), Z(3), created("/t0/c", fresh(Z(3)))));  // owner served 0
  ASSERT_TRUE(run.accepts(kS1, create_container("/t0/c/d"), Z(4), created("/t0/c/d", fresh(Z(4)))));
  ASSERT_TRUE(run.accepts(kS1, create("/t0/c/d/x"), Z(5), created("/t0/c/d/x", fresh(Z(5)))));
  ASSERT_TRUE(run.accepts(kS1, create("/t0/c/y"), Z(6), created("/t0/c/y", fresh(Z(6)))));
  ASSERT_TRUE(run.accepts(kS1, zk::Delete{"/t0/c/d/x"}, Z(7), ok()));  // d goes; c keeps y
  EXPECT_TRUE(run.fits(kS1, zk::Exists{"/t0/c/d"}, Z(8), err(zk::Code::no_node)));
  EXPECT_TRUE(
      run.fits(kS1, zk::Exists{"/t0/c"}, Z(8), with_stat(stat({.c = Z(3), .m = Z(3), .p = Z(7), .cv = 3, .nc = 1}))));
  ASSERT_TRUE(run.accepts(kS1, zk::Delete{"/t0/c/y"}, Z(9), ok()));
  EXPECT_TRUE(run.fits(kS1, zk::Exists{"/t0/c"}, Z(10), err(zk::Code::no_node)));
  EXPECT_TRUE(run.fits(kS1, zk::Exists{"/t0"}, Z(10), with_stat(stat({.c = Z(2), .m = Z(2), .p = Z(9), .cv = 2}))));
  // An empty container that never had a child stays.
  ASSERT_TRUE(run.accepts(kS1, create_container("/t0/e"), Z(11), created("/t0/e", fresh(Z(11)))));
  EXPECT_TRUE(run.fits(kS1, zk::Exists{"/t0/e"}, Z(12), with_stat(fresh(Z(11)))));
}

// ---- sessions -------------------------------------------------------------------------------

TEST(VoleryModel, sessions_closeRemovesEphemeralsAndEndsTheSession) {
  Replay run;
  run.open_session(kS1, Z(1));
  EXPECT_FALSE(run.fits(0, zk::CreateSession{}, Z(2), new_session(kS1)));  // ids are never reused
  EXPECT_FALSE(run.fits(0, zk::CreateSession{}, Z(2), new_session(0)));
  run.open_session(kS2, Z(2));
  ASSERT_TRUE(run.accepts(kS1, create("/t0"), Z(3), created("/t0", fresh(Z(3)))));
  ASSERT_TRUE(run.accepts(kS2, create_ephemeral("/t0/e"), Z(4), created("/t0/e", fresh(Z(4), {.eo = kS2}))));
  EXPECT_TRUE(run.fits(kS3, zk::Exists{"/t0"}, Z(5), err(zk::Code::session_expired)));  // never created
  EXPECT_FALSE(
      run.fits(kS3, zk::Exists{"/t0"}, Z(5), with_stat(stat({.c = Z(3), .m = Z(3), .p = Z(4), .cv = 1, .nc = 1}))));
  EXPECT_FALSE(run.fits(kS2, zk::CloseSession{}, Z(5), err(zk::Code::session_expired)));
  ASSERT_TRUE(run.accepts(kS2, zk::CloseSession{}, Z(5), ok()));
  EXPECT_TRUE(run.fits(kS1, zk::Exists{"/t0/e"}, Z(6), err(zk::Code::no_node)));
  EXPECT_TRUE(run.fits(kS1, zk::Exists{"/t0"}, Z(6), with_stat(stat({.c = Z(3), .m = Z(3), .p = Z(5), .cv = 2}))));
  EXPECT_TRUE(run.fits(kS2, zk::Exists{"/t0"}, Z(6), err(zk::Code::session_expired)));
  EXPECT_FALSE(run.fits(kS2, zk::Exists{"/t0"}, Z(6), with_stat(stat({.c = Z(3), .m = Z(3), .p = Z(5), .cv = 2}))));
  EXPECT_FALSE(run.fits(kS2, create("/t0/x"), Z(6), created("/t0/x", fresh(Z(6)))));
  EXPECT_TRUE(run.fits(kS2, zk::CloseSession{}, Z(6), ok()));  // closing again: either answer
  EXPECT_TRUE(run.fits(kS2, zk::CloseSession{}, Z(6), err(zk::Code::session_expired)));
  EXPECT_TRUE(run.fits(kS1, zk::Reattach{"pw"}, Z(6), ok()));
  EXPECT_TRUE(run.fits(kS2, zk::Reattach{"pw"}, Z(6), err(zk::Code::session_expired)));
}

TEST(VoleryModel, tick_expiresExactlyTheLiveSessionsItNames) {
  Replay run;
  run.open_session(kS1, Z(1));
  run.open_session(kS2, Z(2));
  ASSERT_TRUE(run.accepts(kS1, create("/t0"), Z(3), created("/t0", fresh(Z(3)))));
  ASSERT_TRUE(run.accepts(kS2, create_ephemeral("/t0/e"), Z(4), created("/t0/e", fresh(Z(4), {.eo = kS2}))));
  EXPECT_FALSE(run.fits(0, zk::Tick{}, Z(5), expired({kS3})));  // not a session
  EXPECT_FALSE(run.fits(0, zk::Tick{}, Z(5), expired({kS2, kS2})));
  EXPECT_TRUE(run.fits(0, zk::Tick{}, Z(5), expired({})));
  ASSERT_TRUE(run.accepts(0, zk::Tick{.renew = {kS1}}, Z(5), expired({kS2})));
  EXPECT_FALSE(run.fits(0, zk::Tick{}, Z(6), expired({kS2})));  // already gone
  EXPECT_TRUE(run.fits(kS1, zk::Exists{"/t0/e"}, Z(6), err(zk::Code::no_node)));
  EXPECT_TRUE(run.fits(kS2, zk::GetData{"/t0"}, Z(6), err(zk::Code::session_expired)));
  EXPECT_TRUE(run.fits(kS1, zk::GetData{"/t0"}, Z(6), with_data("", stat({.c = Z(3), .m = Z(3), .p = Z(5), .cv = 2}))));
}

TEST(VoleryModel, createSessionWithoutReply_letsATickNameAnUnseenSession) {
  Replay run;
  run.lost(0, zk::CreateSession{});
  EXPECT_EQ(run.state().anonymous_sessions, 1u);
  EXPECT_TRUE(run.fits(0, zk::Tick{}, Z(2), expired({777})));
  ASSERT_TRUE(run.accepts(0, zk::Tick{}, Z(2), expired({777})));
  EXPECT_EQ(run.state().anonymous_sessions, 0u);
  EXPECT_FALSE(run.fits(0, zk::Tick{}, Z(3), expired({778})));
  EXPECT_FALSE(run.fits(0, zk::CreateSession{}, Z(3), new_session(777)));
}

// ---- zxids ----------------------------------------------------------------------------------

TEST(VoleryModel, zxids_increaseAlongEachNodesOperations) {
  Replay run;
  run.open_session(kS1, Z(1));
  ASSERT_TRUE(run.accepts(kS1, create("/t0"), Z(5), created("/t0", fresh(Z(5)))));
  // Below the create's zxid: impossible at the node's partition, for writes and reads alike.
  EXPECT_FALSE(run.fits(kS1, zk::SetData{"/t0", "x"}, Z(4),
                        with_stat(stat({.c = Z(5), .m = Z(4), .p = Z(5), .v = 1, .dl = 1}))));
  EXPECT_FALSE(run.fits(kS1, zk::GetData{"/t0"}, Z(4), with_data("", fresh(Z(5)))));
  EXPECT_FALSE(run.fits(kS1, zk::GetData{"/t0"}, Z(5), with_data("", fresh(Z(5)))));  // equal: not another command
  EXPECT_FALSE(run.fits(kS1, create("/t0/a"), Z(4), created("/t0/a", fresh(Z(4)))));  // the parent's too
  EXPECT_TRUE(run.fits(kS1, zk::GetData{"/t0"}, Z(6), with_data("", fresh(Z(5)))));
  // Every reply has a zxid; a stat's times are its zxids in ms.
  EXPECT_FALSE(run.fits(kS1, zk::GetData{"/t0"}, 0, with_data("", fresh(Z(5)))));
  zk::Stat wrong_time = fresh(Z(5));
  wrong_time.mtime += 1;
  EXPECT_FALSE(run.fits(kS1, zk::GetData{"/t0"}, Z(6), with_data("", wrong_time)));
  EXPECT_FALSE(run.fits(kS1, zk::GetData{"/t0"}, Z(6), with_data("", stat({.c = Z(5), .m = Z(6), .p = Z(5)}))));
}

TEST(VoleryModel, lostWrite_leavesItsZxidsUnknownUntilAKnownWriteSetsThem) {
  Replay run;
  run.open_session(kS1, Z(1));
  ASSERT_TRUE(run.accepts(kS1, create("/t0"), Z(2), created("/t0", fresh(Z(2)))));
  run.lost(kS1, create("/t0/a", "v"));
  // Any czxid/mzxid/pzxid will do for /t0/a (times must still follow them), and /t0's pzxid.
  EXPECT_TRUE(run.fits(kS1, zk::GetData{"/t0/a"}, Z(9), with_data("v", fresh(Z(7), {.dl = 1}))));
  EXPECT_TRUE(run.fits(kS1, zk::GetData{"/t0/a"}, Z(9), with_data("v", fresh(Z(8), {.dl = 1}))));
  EXPECT_FALSE(run.fits(kS1, zk::GetData{"/t0/a"}, Z(9), with_data("v", fresh(Z(10), {.dl = 1}))));  // after the read
  EXPECT_FALSE(run.fits(kS1, zk::GetData{"/t0/a"}, Z(9), with_data("v", fresh(Z(8), {.v = 1, .dl = 1}))));
  EXPECT_TRUE(
      run.fits(kS1, zk::Exists{"/t0"}, Z(9), with_stat(stat({.c = Z(2), .m = Z(2), .p = Z(8), .cv = 1, .nc = 1}))));
  ASSERT_TRUE(run.accepts(kS1, zk::SetData{"/t0/a", "w"}, Z(10),
                          with_stat(stat({.c = Z(7), .m = Z(10), .p = Z(7), .v = 1, .dl = 1}))));
  EXPECT_TRUE(run.fits(kS1, zk::GetData{"/t0/a"}, Z(11),
                       with_data("w", stat({.c = Z(6), .m = Z(10), .p = Z(6), .v = 1, .dl = 1}))));
  EXPECT_FALSE(run.fits(kS1, zk::GetData{"/t0/a"}, Z(11),
                        with_data("w", stat({.c = Z(6), .m = Z(9), .p = Z(6), .v = 1, .dl = 1}))));
}

TEST(VoleryModel, lostOperations_takeEffectOnlyAsTheyWouldHaveAnswered) {
  Replay run;
  run.open_session(kS1, Z(1));
  ASSERT_TRUE(run.accepts(kS1, create("/t0"), Z(2), created("/t0", fresh(Z(2)))));
  const State before = run.state();
  run.lost(kS1, create("/t0"));                                             // would answer node_exists
  run.lost(kS1, zk::Delete{"/t0/none"});                                    // no_node
  run.lost(kS1, zk::GetData{"/t0"});                                        // a read
  run.lost(kS1, zk::Multi{.ops = {create("/t0/a"), zk::Check{"/t0", 5}}});  // fails at the check
  run.lost(kS2, create("/t0/b"));                                           // a session that does not exist
  EXPECT_EQ(run.state(), before);
  run.lost(kS1, zk::CloseSession{});
  EXPECT_FALSE(run.state().live(kS1));
}

TEST(VoleryModel, malformedPaths_areAnsweredAsZooKeepersServerDoes) {
  Replay run;
  run.open_session(kS1, Z(1));
  ASSERT_TRUE(run.accepts(kS1, create("/t0"), Z(2), created("/t0", fresh(Z(2)))));
  // Reads and delete look such paths up: no such node.
  for (const zk::Op& op : {zk::Op(zk::GetData{"/t0/"}), zk::Op(zk::Delete{"/t0/"}), zk::Op(zk::Exists{"t0"})}) {
    EXPECT_TRUE(run.fits(kS1, op, Z(3), err(zk::Code::no_node)));
    EXPECT_FALSE(run.fits(kS1, op, Z(3), err(zk::Code::bad_arguments)));
  }
  // setData, check and setACL validate first.
  for (const zk::Op& op : {zk::Op(zk::SetData{"/t0/", "x", -1}), zk::Op(zk::Check{"t0", -1})}) {
    EXPECT_TRUE(run.fits(kS1, op, Z(3), err(zk::Code::bad_arguments)));
    EXPECT_FALSE(run.fits(kS1, op, Z(3), err(zk::Code::no_node)));
  }
  // sync echoes whatever it is given.
  EXPECT_TRUE(run.fits(kS1, zk::Sync{"t0"}, Z(3), ok()));
  EXPECT_FALSE(run.fits(kS1, zk::Sync{"t0"}, Z(3), err(zk::Code::bad_arguments)));
  // exists alone refuses a NUL (FinalRequestProcessor): never no_node.
  const std::string nul("/t0\0x", 5);
  EXPECT_TRUE(run.fits(kS1, zk::Exists{nul}, Z(3), err(zk::Code::bad_arguments)));
  EXPECT_FALSE(run.fits(kS1, zk::Exists{nul}, Z(3), err(zk::Code::no_node)));
  // In a multi too, at the operation that fails, with the multi answering its code.
  const zk::Multi multi{.ops = {create("/t0/a"), zk::Delete{"/t0/a/"}}};
  EXPECT_TRUE(run.fits(kS1, multi, Z(3), multi_result(zk::Code::no_node, {ok(), err(zk::Code::no_node)})));
  EXPECT_FALSE(run.fits(kS1, multi, Z(3), multi_result(zk::Code::bad_arguments, {ok(), err(zk::Code::bad_arguments)})));
}

TEST(VoleryModel, step_neverChangesTheStateItStartsFrom) {
  Replay run;
  run.open_session(kS1, Z(1));
  ASSERT_TRUE(run.accepts(kS1, create("/t0", "a"), Z(2), created("/t0", fresh(Z(2), {.dl = 1}))));
  const State shared = run.state();  // shares its nodes with the run's state
  std::vector<Node> deep;
  for (const auto& node : shared.nodes) deep.push_back(*node);
  ASSERT_TRUE(run.accepts(kS1, zk::SetData{"/t0", "b"}, Z(3),
                          with_stat(stat({.c = Z(2), .m = Z(3), .p = Z(2), .v = 1, .dl = 1}))));
  ASSERT_TRUE(run.accepts(kS1, create("/t0/x"), Z(4), created("/t0/x", fresh(Z(4)))));
  ASSERT_EQ(shared.nodes.size(), deep.size());
  for (std::size_t i = 0; i < deep.size(); ++i) EXPECT_EQ(*shared.nodes[i], deep[i]) << deep[i].path;
  EXPECT_FALSE(shared == run.state());
  // Equal states hash alike however they were reached.
  const VoleryModel& model = run.model();
  const State copy = run.state();
  EXPECT_EQ(model.hash(copy), model.hash(run.state()));
  EXPECT_NE(model.hash(shared), model.hash(run.state()));
}

// ---- read_only, describe --------------------------------------------------------------------

TEST(VoleryModel, readOnly_coversReadsFailuresAndQuietTicks) {
  const VoleryModel model;
  const auto in = [](zk::Op op) { return Input{.session = kS1, .auth = {}, .op = std::move(op)}; };
  EXPECT_TRUE(model.read_only(in(zk::GetData{"/a"}), reply(Z(1), err(zk::Code::no_node))));
  EXPECT_TRUE(model.read_only(in(zk::Exists{"/a"}), std::nullopt));
  EXPECT_TRUE(model.read_only(in(zk::Sync{"/"}), reply(Z(1), ok())));
  EXPECT_TRUE(model.read_only(in(create("/a")), reply(Z(1), err(zk::Code::node_exists))));
  EXPECT_FALSE(model.read_only(in(create("/a")), reply(Z(1), created("/a", fresh(Z(1))))));
  EXPECT_FALSE(model.read_only(in(create("/a")), std::nullopt));
  EXPECT_TRUE(model.read_only(in(zk::Tick{}), reply(Z(1), expired({}))));
  EXPECT_FALSE(model.read_only(in(zk::Tick{}), reply(Z(1), expired({kS1}))));
  EXPECT_FALSE(model.read_only(in(zk::CreateSession{}), reply(Z(1), new_session(kS1))));
  EXPECT_FALSE(model.read_only(in(zk::CloseSession{}), reply(Z(1), ok())));
}

TEST(VoleryModel, describe_saysTheOperationTheAnswerAndTheState) {
  const VoleryModel model;
  const Input input{.session = kS1, .auth = {}, .op = create("/t0/a", "xy", zk::CreateMode::ephemeral)};
  EXPECT_EQ(model.describe(input, std::nullopt), "s101 create(/t0/a, \"xy\", ephemeral) -> unknown (no reply)");
  const std::string answered = model.describe(input, reply(Z(2), created("/t0/a", fresh(Z(2), {.eo = kS1, .dl = 2}))));
  EXPECT_THAT(answered,
              HasSubstr("-> z=2000003 ok /t0/a {c=2000003 m=2000003 p=2000003 ct=2 mt=2 v0 cv0 av0 eo101 dl2 nc0}"));
  const std::string state = model.describe(model.init());
  EXPECT_THAT(state, HasSubstr("sessions live {} ended {}"));
  EXPECT_THAT(state, HasSubstr("; / \"\" v0 cv0(stored) av0 nc1"));
  EXPECT_THAT(state, HasSubstr("; 3 /zookeeper nodes as at first"));
  EXPECT_THAT(state, ::testing::Not(HasSubstr("/zookeeper/config")));
}

// ---- partition ------------------------------------------------------------------------------

TEST(VoleryModel, partition_isPerSubtreeWithTheSessionOperationsInEveryPart) {
  const VoleryHistory history{
      open_session(kAlice, 0, 1, kS1, Z(1)),                                        // 0: every part
      open_session(kBob, 2, 3, kS2, Z(2)),                                          // 1: every part
      done(kAlice, 4, 5, kS1, create("/t0"), Z(3), created("/t0", fresh(Z(3)))),    // 2: /t0
      done(kAlice, 6, 7, kS1, create("/t1"), Z(4), created("/t1", fresh(Z(4)))),    // 3: /t1
      done(kAlice, 8, 9, kS1, zk::GetData{"/t0/a"}, Z(5), err(zk::Code::no_node)),  // 4: /t0
      done(kBob, 10, 11, kS2, zk::Multi{.ops = {create("/t2/a"), create("/t3/a")}}, Z(6),
           multi_result(zk::Code::no_node, {err(zk::Code::no_node), err(zk::Code::runtime_inconsistency)})),  // 5
      done(kAlice, 12, 13, kS1, zk::Sync{"/"}, Z(7), ok()),                                      // 6: sessions
      lost(kAlice, 14, kS1, zk::GetData{"/t1"}),                                                 // 7: left out
      done(kCarol, 15, 16, 0, zk::Tick{}, Z(8), expired({})),                                    // 8: left out
      lost(kCarol, 17, 0, zk::Tick{}),                                                           // 9: left out
      done(kCarol, 18, 19, 0, zk::Tick{}, Z(9), expired({kS2})),                                 // 10: every part
      done(kAlice, 20, 21, kS1, zk::Exists{"/zookeeper/quota"}, Z(10), with_stat(stat({}))),     // 11: /zookeeper
      done(kAlice, 22, 23, kS1, zk::Delete{"/zookeeper"}, Z(11), err(zk::Code::bad_arguments)),  // 12: sessions
      done(kAlice, 24, 25, kS1, zk::CloseSession{}, Z(12), ok()),                                // 13: every part
  };
  const std::vector<HistoryPart> parts = VoleryModel{}.partition(history);
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_EQ(parts[0].label, "subtree /t0");
  EXPECT_THAT(parts[0].operations, ElementsAre(0u, 1u, 2u, 4u, 10u, 13u));
  EXPECT_EQ(parts[1].label, "subtree /t1");
  EXPECT_THAT(parts[1].operations, ElementsAre(0u, 1u, 3u, 10u, 13u));
  EXPECT_EQ(parts[2].label, "subtrees /t2, /t3");  // joined by the multi
  EXPECT_THAT(parts[2].operations, ElementsAre(0u, 1u, 5u, 10u, 13u));
  EXPECT_EQ(parts[3].label, "subtree /zookeeper");
  EXPECT_THAT(parts[3].operations, ElementsAre(0u, 1u, 10u, 11u, 13u));
  EXPECT_EQ(parts[4].label, "sessions");
  EXPECT_THAT(parts[4].operations, ElementsAre(0u, 1u, 6u, 10u, 12u, 13u));
  EXPECT_EQ(check_linearizable(VoleryModel{}, history).verdict, Verdict::kLinearizable);
}

TEST(VoleryModel, partition_anOperationThatObservesTheRootMakesOnePart) {
  VoleryHistory history{
      open_session(kAlice, 0, 1, kS1, Z(1)),
      done(kAlice, 2, 3, kS1, create("/t0"), Z(2), created("/t0", fresh(Z(2)))),
      done(kAlice, 4, 5, kS1, create("/t1"), Z(3), created("/t1", fresh(Z(3)))),
      lost(kAlice, 6, kS1, zk::Exists{"/t1"}),
  };
  EXPECT_EQ(VoleryModel{}.partition(history).size(), 2u);
  for (const zk::Op& observer : {zk::Op(zk::GetChildren{"/"}), zk::Op(create_sequential("/job-"))}) {
    VoleryHistory with = history;
    with.push_back(done(kBob, 10, 11, kS1, observer, Z(4), err(zk::Code::no_auth)));
    const std::vector<HistoryPart> parts = VoleryModel{}.partition(with);
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].label, "whole tree (an operation observes /)");
    EXPECT_THAT(parts[0].operations, ElementsAre(0u, 1u, 2u, 4u));
  }
  // getChildren("/") must then see both subtrees' creates, and "/"'s cversion counts them.
  history.push_back(done(kBob, 10, 11, kS1, zk::GetChildren{"/"}, Z(4),
                         with_children({"t0", "t1", "zookeeper"}, stat({.p = Z(3), .cv = 1, .nc = 3}))));
  EXPECT_EQ(check_linearizable(VoleryModel{}, history).verdict, Verdict::kLinearizable);
  history.back().output->result.children = {"t1", "zookeeper"};
  EXPECT_EQ(check_linearizable(VoleryModel{}, history).verdict, Verdict::kNotLinearizable);
}

TEST(VoleryModel, partition_ofSessionOperationsAlone_isOneSessionsPart) {
  const VoleryHistory history{open_session(kAlice, 0, 1, kS1, Z(1)), lost(kBob, 2, 0, zk::CreateSession{}),
                              done(kAlice, 4, 5, kS1, zk::CloseSession{}, Z(2), ok())};
  const std::vector<HistoryPart> parts = VoleryModel{}.partition(history);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].label, "sessions");
  EXPECT_THAT(parts[0].operations, ElementsAre(0u, 1u, 2u));
  EXPECT_TRUE(VoleryModel{}.partition(VoleryHistory{}).empty());
}

}  // namespace
}  // namespace eyrie::check::volery
