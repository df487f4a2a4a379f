// Volery end to end in the simulator, without faults: the state machine's ZooKeeper semantics,
// sessions, watches and FIFO, through the client library (apps/volery/client.hpp).

#include <gtest/gtest.h>

#include <optional>

#include "apps/volery/acl.hpp"
#include "tests/checkers/volery_cluster.hpp"

namespace eyrie::volery {
namespace {

using check::volery_sim::GatewayRole;

class VolerySim : public ::testing::Test {
 protected:
  void SetUp() override { build(2, 2); }

  void build(std::size_t partitions, std::size_t gateways) {
    topology_ = check::volery_sim::make_topology({.partitions = partitions, .replicas_per_partition = 2, .gateways = gateways});
    sim_ = std::make_unique<sim::Simulator>(sim::SimOptions{.seed = 7});
    check::volery_sim::add_servers(*sim_, *topology_, {},
                                   [this](const partition::PartitionReplica& r) { replicas_.push_back(&r); });
    gateways_.assign(gateways, nullptr);
    for (std::size_t i = 0; i < gateways; ++i) {
      sim_->add_node(sim::NodeSpec{.id = topology_->gateways[i], .make_roles = [this, i](Env& env) {
        std::vector<std::unique_ptr<Role>> roles;
        auto role = std::make_unique<GatewayRole>(env, *topology_, VoleryClientOptions{.tick_interval = std::chrono::milliseconds(500)});
        gateways_[i] = &role->client;
        role->client.set_on_event([this, i](const WatchEvent& e) { log_.push_back(fmt_event(i, e)); events_.push_back(e); });
        role->client.set_on_expired([this](SessionId s) { expired_.push_back(s); });
        roles.push_back(std::move(role));
        return roles;
      }});
    }
    for (NodeId id : topology_->all) sim_->boot(id);
    sim_->run_until(sim_->now() + std::chrono::milliseconds(300));
  }

  static std::string fmt_event(std::size_t gateway, const WatchEvent& e) {
    return "event g" + std::to_string(gateway) + " " + to_string(e.type) + " " + e.path;
  }

  VoleryClient& gateway(std::size_t i = 0) { return *gateways_.at(i); }

  // Runs `start` inside the simulation, then until `done` holds (or fails the test).
  void run_until(const std::function<bool()>& done, Duration limit = std::chrono::seconds(20)) {
    sim_->run_until(sim_->now() + limit, done);
    ASSERT_TRUE(done()) << "timed out in the simulation";
  }

  SessionId open(std::size_t g = 0, std::int32_t timeout_ms = 10'000) {
    std::optional<Reply> reply;
    gateway(g).open_session(timeout_ms, "0123456789abcdef", [&](const Reply& r) { reply = r; });
    run_until([&] { return reply.has_value(); });
    EXPECT_EQ(reply->result.code, Code::ok);
    return reply->result.session;
  }

  Reply call(SessionId session, Op op, std::size_t g = 0) {
    std::optional<Reply> reply;
    const std::string what = describe(op);
    gateway(g).submit(session, std::move(op), [&, what](const Reply& r) {
      reply = r;
      log_.push_back("reply " + what);
    });
    run_until([&] { return reply.has_value(); });
    return reply.value_or(Reply{});
  }

  Code code(SessionId session, Op op, std::size_t g = 0) { return call(session, std::move(op), g).result.code; }

  // The watch objects (ids "w/<path>") every replica holds, counted over the replicas.
  std::size_t watch_objects() const {
    std::size_t n = 0;
    for (const partition::PartitionReplica* r : replicas_) {
      for (const auto& id : r->object_ids()) n += id.starts_with("w/") ? 1 : 0;
    }
    return n;
  }

  std::unique_ptr<check::volery_sim::Topology> topology_;
  std::unique_ptr<sim::Simulator> sim_;
  std::vector<VoleryClient*> gateways_;
  std::vector<const partition::PartitionReplica*> replicas_;
  std::vector<std::string> log_;
  std::vector<WatchEvent> events_;
  std::vector<SessionId> expired_;
};

TEST_F(VolerySim, BuiltinTree) {
  const SessionId s = open();
  const Reply root = call(s, GetChildren{"/"});
  ASSERT_EQ(root.result.code, Code::ok);
  EXPECT_EQ(root.result.children, std::vector<std::string>{"zookeeper"});
  EXPECT_EQ(call(s, GetChildren{"/zookeeper"}).result.children, (std::vector<std::string>{"config", "quota"}));
  EXPECT_EQ(code(s, Delete{"/zookeeper/quota"}), Code::bad_arguments);
  EXPECT_EQ(code(s, Delete{"/"}), Code::bad_arguments);
  EXPECT_EQ(code(s, SetData{"/zookeeper/config", "x"}), Code::no_auth);
}

TEST_F(VolerySim, CreateGetSetDeleteWithVersions) {
  const SessionId s = open();
  const Reply created = call(s, Create{"/a", "hello", open_acl()});
  ASSERT_EQ(created.result.code, Code::ok);
  EXPECT_EQ(created.result.path, "/a");
  ASSERT_TRUE(created.result.stat);
  EXPECT_EQ(created.result.stat->czxid, created.zxid);
  EXPECT_EQ(created.result.stat->ctime, created.zxid / 1'000'000);
  EXPECT_EQ(code(s, Create{"/a", "again", open_acl()}), Code::node_exists);
  EXPECT_EQ(code(s, Create{"/missing/b", "", open_acl()}), Code::no_node);
  EXPECT_EQ(code(s, Create{"bad", "", open_acl()}), Code::bad_arguments);
  EXPECT_EQ(code(s, Create{"/", "", open_acl()}), Code::node_exists);  // as ZooKeeper answers
  // sync echoes any path, as ZooKeeper's does (found by the differential test).
  for (const std::string path : {"/a", "/missing", "no-slash", "/a/"}) {
    const Reply synced = call(s, Sync{path});
    EXPECT_EQ(synced.result.code, Code::ok) << path;
    EXPECT_EQ(synced.result.path, path);
  }

  const Reply got = call(s, GetData{"/a"});
  EXPECT_EQ(got.result.data, "hello");
  EXPECT_EQ(got.result.stat->version, 0);
  EXPECT_EQ(got.result.stat->data_length, 5);
  EXPECT_EQ(code(s, SetData{"/a", "x", 3}), Code::bad_version);
  const Reply set = call(s, SetData{"/a", "world", 0});
  ASSERT_EQ(set.result.code, Code::ok);
  EXPECT_EQ(set.result.stat->version, 1);
  EXPECT_EQ(set.result.stat->mzxid, set.zxid);
  EXPECT_GT(set.zxid, created.zxid);

  ASSERT_EQ(code(s, Create{"/a/child", "", open_acl()}), Code::ok);
  EXPECT_EQ(code(s, Delete{"/a", -1}), Code::not_empty);
  const Reply parent = call(s, Exists{"/a"});
  EXPECT_EQ(parent.result.stat->num_children, 1);
  EXPECT_EQ(parent.result.stat->cversion, 1);
  EXPECT_EQ(code(s, Delete{"/a/child", 5}), Code::bad_version);
  EXPECT_EQ(code(s, Delete{"/a/child", 0}), Code::ok);
  EXPECT_EQ(code(s, Delete{"/a", 1}), Code::ok);
  EXPECT_EQ(code(s, Exists{"/a"}), Code::no_node);
  EXPECT_EQ(code(s, GetData{"/a"}), Code::no_node);
  // ZooKeeper refuses a NUL in an exists' path (and only there; found by the differential test).
  const std::string nul("/a\0b", 4);
  EXPECT_EQ(code(s, Exists{nul, true}), Code::bad_arguments);
  EXPECT_EQ(code(s, GetData{nul}), Code::no_node);
}

TEST_F(VolerySim, SequentialNamesFollowTheParentsCversion) {
  const SessionId s = open();
  ASSERT_EQ(code(s, Create{"/q", "", open_acl()}), Code::ok);
  EXPECT_EQ(call(s, Create{"/q/job-", "", open_acl(), CreateMode::persistent_sequential}).result.path, "/q/job-0000000000");
  ASSERT_EQ(code(s, Create{"/q/other", "", open_acl()}), Code::ok);
  EXPECT_EQ(call(s, Create{"/q/job-", "", open_acl(), CreateMode::persistent_sequential}).result.path, "/q/job-0000000002");
  ASSERT_EQ(code(s, Delete{"/q/other"}), Code::ok);
  EXPECT_EQ(call(s, Create{"/q/", "", open_acl(), CreateMode::persistent_sequential}).result.path, "/q/0000000003");
}

TEST_F(VolerySim, EphemeralsGoWithTheirSession) {
  const SessionId a = open();
  const SessionId b = open();
  ASSERT_EQ(code(a, Create{"/e1", "", open_acl(), CreateMode::ephemeral}), Code::ok);
  ASSERT_EQ(code(a, Create{"/p", "", open_acl()}), Code::ok);
  const Reply seq = call(a, Create{"/p/lock-", "", open_acl(), CreateMode::ephemeral_sequential});
  ASSERT_EQ(seq.result.code, Code::ok);
  EXPECT_EQ(seq.result.stat->ephemeral_owner, a);
  EXPECT_EQ(code(b, Create{"/e1/child", "", open_acl()}), Code::no_children_for_ephemerals);
  ASSERT_EQ(code(a, CloseSession{}), Code::ok);
  EXPECT_EQ(code(b, Exists{"/e1"}), Code::no_node);
  EXPECT_EQ(call(b, GetChildren{"/p"}).result.children.size(), 0u);
  EXPECT_FALSE(gateway().holds(a));
}

TEST_F(VolerySim, MultiIsAtomicAcrossPartitions) {
  const SessionId s = open();
  // Enough nodes that both partitions are involved.
  Multi ok;
  for (int i = 0; i < 6; ++i) ok.ops.push_back(Create{"/m" + std::to_string(i), "v", open_acl()});
  ASSERT_GT(topology_->oracle->destinations(Op{ok}).size(), 1u);
  const Reply done = call(s, ok);
  ASSERT_EQ(done.result.code, Code::ok);
  ASSERT_EQ(done.result.results.size(), 6u);
  EXPECT_EQ(done.result.results[3].path, "/m3");

  Multi bad;
  bad.ops.push_back(SetData{"/m0", "new"});
  bad.ops.push_back(Create{"/m9", "", open_acl()});
  bad.ops.push_back(Check{"/m1", 7});
  bad.ops.push_back(Delete{"/m2"});
  const Reply failed = call(s, bad);
  EXPECT_EQ(failed.result.code, Code::bad_version);
  ASSERT_EQ(failed.result.results.size(), 4u);
  EXPECT_EQ(failed.result.results[0].code, Code::ok);
  EXPECT_EQ(failed.result.results[1].code, Code::ok);
  EXPECT_EQ(failed.result.results[2].code, Code::bad_version);
  EXPECT_EQ(failed.result.results[3].code, Code::runtime_inconsistency);
  EXPECT_EQ(call(s, GetData{"/m0"}).result.data, "v");
  EXPECT_EQ(code(s, Exists{"/m9"}), Code::no_node);
  EXPECT_EQ(code(s, Exists{"/m2"}), Code::ok);
}

TEST_F(VolerySim, WatchesFireOnceAndBeforeTheReplyThatShowsTheChange) {
  const SessionId a = open();
  const SessionId b = open();
  ASSERT_EQ(code(a, Create{"/w", "0", open_acl()}), Code::ok);
  ASSERT_EQ(code(a, GetData{"/w", true}), Code::ok);
  ASSERT_EQ(code(a, GetChildren{"/w", true}), Code::ok);
  ASSERT_EQ(code(a, Exists{"/absent", true}), Code::no_node);
  log_.clear();
  // b changes the data: a's data watch fires once.
  ASSERT_EQ(code(b, SetData{"/w", "1"}), Code::ok);
  ASSERT_EQ(code(b, SetData{"/w", "2"}), Code::ok);
  // a's own read of the new data comes after the event.
  ASSERT_EQ(call(a, GetData{"/w"}).result.data, "2");
  const auto event = std::find(log_.begin(), log_.end(), "event g0 NodeDataChanged /w");
  const auto read = std::find_if(log_.begin(), log_.end(), [](const std::string& l) { return l.starts_with("reply getData"); });
  ASSERT_NE(event, log_.end());
  ASSERT_NE(read, log_.end());
  EXPECT_LT(event, read);
  ASSERT_EQ(code(b, Create{"/w/c", "", open_acl()}), Code::ok);
  ASSERT_EQ(code(b, Create{"/absent", "", open_acl()}), Code::ok);
  run_until([&] { return events_.size() >= 3; });
  sim_->run_until(sim_->now() + std::chrono::seconds(2));
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[0].type, EventType::node_data_changed);
  EXPECT_EQ(events_[1].type, EventType::node_children_changed);
  EXPECT_EQ(events_[1].path, "/w");
  EXPECT_EQ(events_[2].type, EventType::node_created);
  EXPECT_EQ(events_[2].path, "/absent");
  for (const WatchEvent& e : events_) EXPECT_EQ(e.session, a);
}

TEST_F(VolerySim, ASessionSeesItsOwnWatchBeforeItsOwnWrite) {
  const SessionId a = open();
  ASSERT_EQ(code(a, Create{"/self", "0", open_acl()}), Code::ok);
  ASSERT_EQ(code(a, Exists{"/self", true}), Code::ok);
  log_.clear();
  ASSERT_EQ(code(a, Delete{"/self"}), Code::ok);
  ASSERT_EQ(log_.size(), 2u);
  EXPECT_EQ(log_[0], "event g0 NodeDeleted /self");
}

TEST_F(VolerySim, ContainersGoWhenEmptied) {
  const SessionId s = open();
  ASSERT_EQ(code(s, Create{"/c", "", open_acl(), CreateMode::container}), Code::ok);
  EXPECT_EQ(call(s, Exists{"/c"}).result.stat->ephemeral_owner, 0);  // containers show 0, as in ZooKeeper
  ASSERT_EQ(code(s, Create{"/c/x", "", open_acl()}), Code::ok);
  ASSERT_EQ(code(s, Create{"/c/y", "", open_acl()}), Code::ok);
  ASSERT_EQ(code(s, Delete{"/c/x"}), Code::ok);
  EXPECT_EQ(code(s, Exists{"/c"}), Code::ok);
  ASSERT_EQ(code(s, Delete{"/c/y"}), Code::ok);
  EXPECT_EQ(code(s, Exists{"/c"}), Code::no_node);
}

TEST_F(VolerySim, DigestAclsAndAddAuth) {
  const SessionId owner = open();
  const SessionId other = open();
  gateway().add_auth(owner, *auth_digest("alice:secret"));
  const Acl alice{perms::all, Id{"auth", ""}};
  ASSERT_EQ(code(owner, Create{"/private", "data", {alice}}), Code::ok);
  EXPECT_EQ(code(other, GetData{"/private"}), Code::no_auth);
  EXPECT_EQ(code(other, SetData{"/private", "x"}), Code::no_auth);
  EXPECT_EQ(code(other, Exists{"/private"}), Code::ok);  // exists needs no permission
  const Reply acl = call(owner, GetAcl{"/private"});
  ASSERT_EQ(acl.result.acl.size(), 1u);
  EXPECT_EQ(acl.result.acl[0].id, (Id{"digest", digest_id("alice:secret")}));
  EXPECT_EQ(code(owner, Create{"/bad", "", {Acl{perms::all, Id{"ip", "10.0.0.1"}}}}), Code::invalid_acl);
  EXPECT_EQ(code(other, Create{"/bad", "", {Acl{perms::all, Id{"auth", ""}}}}), Code::invalid_acl);
  gateway().add_auth(other, *auth_digest("alice:secret"));
  EXPECT_EQ(call(other, GetData{"/private"}).result.data, "data");
}

TEST_F(VolerySim, SessionsExpireWhenNotRenewed) {
  const SessionId a = open(0, 2000);
  const SessionId b = open(0, 2000);
  ASSERT_EQ(code(a, Create{"/eph", "", open_acl(), CreateMode::ephemeral}), Code::ok);
  ASSERT_EQ(code(b, Exists{"/eph", true}), Code::ok);
  gateway().set_renewing(a, false);
  run_until([&] { return !expired_.empty(); }, std::chrono::seconds(10));
  EXPECT_EQ(expired_.front(), a);
  EXPECT_EQ(code(b, Exists{"/eph"}), Code::no_node);
  EXPECT_EQ(code(a, Exists{"/eph"}), Code::session_expired);
  ASSERT_FALSE(events_.empty());
  EXPECT_EQ(events_.back().type, EventType::node_deleted);
  // b, renewed all along, is alive.
  sim_->run_until(sim_->now() + std::chrono::seconds(5));
  EXPECT_EQ(code(b, Exists{"/"}), Code::ok);
}

TEST_F(VolerySim, ASessionsEndTakesItsWatchesAlong) {
  const SessionId keeper = open(0, 2000);
  const SessionId closing = open(0, 2000);
  const SessionId expiring = open(0, 2000);
  ASSERT_EQ(code(keeper, Create{"/kept", "", open_acl()}), Code::ok);
  for (const SessionId s : {closing, expiring}) {
    ASSERT_EQ(code(s, GetData{"/kept", true}), Code::ok);
    ASSERT_EQ(code(s, GetChildren{"/kept", true}), Code::ok);
    ASSERT_EQ(code(s, GetChildren{"/", true}), Code::ok);
    ASSERT_EQ(code(s, Exists{"/never-" + std::to_string(s), true}), Code::no_node);
  }
  // Four watched paths (/kept, /, and one absent path each), each held by both replicas of its
  // partition (a reply comes from the first replica to run the command: wait for the other).
  run_until([&] { return watch_objects() == 4 * 2; });
  // A data change fires the data watches only: the child watches on /kept stay.
  ASSERT_EQ(code(keeper, SetData{"/kept", "1"}), Code::ok);
  run_until([&] { return events_.size() >= 2; });
  sim_->run_until(sim_->now() + std::chrono::seconds(1));
  EXPECT_EQ(watch_objects(), 4u * 2u);
  ASSERT_EQ(code(closing, CloseSession{}), Code::ok);
  gateway().set_renewing(expiring, false);
  run_until([&] { return !expired_.empty(); }, std::chrono::seconds(10));
  EXPECT_EQ(expired_.front(), expiring);
  // Both ended: none of their watches is left anywhere, and later changes notify no one.
  run_until([&] { return watch_objects() == 0; });
  events_.clear();
  ASSERT_EQ(code(keeper, Create{"/kept/child", "", open_acl()}), Code::ok);
  ASSERT_EQ(code(keeper, Create{"/never-" + std::to_string(closing), "", open_acl()}), Code::ok);
  sim_->run_until(sim_->now() + std::chrono::seconds(1));
  EXPECT_TRUE(events_.empty());
  // The keeper's own watch still works.
  ASSERT_EQ(code(keeper, GetData{"/kept", true}), Code::ok);
  EXPECT_GT(watch_objects(), 0u);
  ASSERT_EQ(code(keeper, SetData{"/kept", "2"}), Code::ok);
  run_until([&] { return events_.size() == 1; });
  EXPECT_EQ(events_.front().session, keeper);
  run_until([&] { return watch_objects() == 0; });
}

TEST_F(VolerySim, PipelinedRequestsRunAndAnswerInOrder) {
  const SessionId s = open();
  ASSERT_EQ(code(s, Create{"/f", "", open_acl()}), Code::ok);
  std::vector<Reply> replies;
  std::vector<int> order;
  // Same destination set (pipelined), then others (each waits for the previous set).
  for (int i = 0; i < 40; ++i) {
    Op op = i % 10 == 9 ? Op{Create{"/f/n" + std::to_string(i), "", open_acl()}} : Op{SetData{"/f", std::to_string(i)}};
    gateway().submit(s, op, [&, i](const Reply& r) {
      replies.push_back(r);
      order.push_back(i);
    });
  }
  run_until([&] { return replies.size() == 40; });
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(order[i], i);
    EXPECT_EQ(replies[i].result.code, Code::ok);
    if (i > 0) {
      EXPECT_GT(replies[i].zxid, replies[i - 1].zxid);
    }
  }
  EXPECT_EQ(call(s, GetData{"/f"}).result.stat->version, 36);
}

TEST_F(VolerySim, ReattachMovesASessionToAnotherGateway) {
  build(2, 2);
  const SessionId s = open(0);
  ASSERT_EQ(code(s, Create{"/moved", "", open_acl()}, 0), Code::ok);
  std::optional<Reply> attached;
  gateway(1).reattach(s, "0123456789abcdef", [&](const Reply& r) { attached = r; });
  run_until([&] { return attached.has_value(); });
  ASSERT_EQ(attached->result.code, Code::ok);
  EXPECT_EQ(code(s, Exists{"/moved", true}, 1), Code::ok);
  EXPECT_EQ(code(s, Exists{"/moved"}, 0), Code::session_moved);
  std::optional<Reply> wrong;
  gateway(0).reattach(s, "wrong password..", [&](const Reply& r) { wrong = r; });
  run_until([&] { return wrong.has_value(); });
  EXPECT_EQ(wrong->result.code, Code::session_expired);
}

// A Reattach restarts the partitions' event numbering; the library restarts its own, whether
// the session comes back to the gateway that holds it or moves away and back.
TEST_F(VolerySim, EventsKeepFlowingAfterAReattachToTheSameGateway) {
  const SessionId a = open();
  const SessionId b = open();
  ASSERT_EQ(code(a, Create{"/r", "0", open_acl()}), Code::ok);
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(code(a, GetData{"/r", true}), Code::ok);
    ASSERT_EQ(code(b, SetData{"/r", std::to_string(round)}), Code::ok);
    run_until([&] { return events_.size() == static_cast<std::size_t>(round + 1); });
    std::optional<Reply> attached;
    gateway().reattach(a, "0123456789abcdef", [&](const Reply& r) { attached = r; });
    run_until([&] { return attached.has_value(); });
    ASSERT_EQ(attached->result.code, Code::ok);
  }
  // The numbering restarted three times; a reply's marks still wait for the event.
  ASSERT_EQ(code(a, GetData{"/r", true}), Code::ok);
  log_.clear();
  ASSERT_EQ(code(a, SetData{"/r", "self"}), Code::ok);
  ASSERT_EQ(log_.size(), 2u);
  EXPECT_EQ(log_[0], "event g0 NodeDataChanged /r");
}

TEST_F(VolerySim, AWrongPasswordLeavesAHeldSessionAlone) {
  const SessionId s = open();
  std::optional<Reply> wrong;
  gateway().reattach(s, "not the password", [&](const Reply& r) { wrong = r; });
  ASSERT_TRUE(wrong.has_value());  // answered at once
  EXPECT_EQ(wrong->result.code, Code::session_expired);
  EXPECT_EQ(code(s, Create{"/still", "", open_acl()}), Code::ok);
  std::optional<Reply> unknown;
  gateway().reattach(s + 1, "0123456789abcdef", [&](const Reply& r) { unknown = r; });
  run_until([&] { return unknown.has_value(); });
  EXPECT_EQ(unknown->result.code, Code::session_expired);
  EXPECT_FALSE(gateway().holds(s + 1));  // a refused adoption is not kept
}

TEST_F(VolerySim, ASessionMovesAwayAndBack) {
  build(2, 2);
  const SessionId a = open(0);
  const SessionId b = open(1);
  ASSERT_EQ(code(a, Create{"/mv", "0", open_acl()}, 0), Code::ok);
  const auto fire = [&](std::size_t g, std::size_t expected) {
    ASSERT_EQ(code(a, Exists{"/mv", true}, g), Code::ok);
    ASSERT_EQ(code(b, SetData{"/mv", std::to_string(expected)}, 1), Code::ok);
    run_until([&] { return events_.size() == expected; });
  };
  fire(0, 1);
  fire(0, 2);
  for (std::size_t g : {1u, 0u, 1u, 0u}) {
    std::optional<Reply> attached;
    gateway(g).reattach(a, "0123456789abcdef", [&](const Reply& r) { attached = r; });
    run_until([&] { return attached.has_value(); });
    ASSERT_EQ(attached->result.code, Code::ok);
    fire(g, events_.size() + 1);
    const auto last = std::find_if(log_.rbegin(), log_.rend(), [](const std::string& l) { return l.starts_with("event"); });
    ASSERT_NE(last, log_.rend());
    EXPECT_EQ(*last, "event g" + std::to_string(g) + " NodeDataChanged /mv");
  }
}

TEST_F(VolerySim, ListenersGetTheirSessionsEventsAndExpiry) {
  const SessionId a = open(0, 2000);
  const SessionId b = open();
  std::vector<std::string> seen;
  const auto first = gateway().listen(a, {.on_event = [&](const WatchEvent& e) { seen.push_back("1 " + e.path); },
                                          .on_expired = [&](SessionId) { seen.push_back("1 expired"); },
                                          .on_replaced = [&] { seen.push_back("1 replaced"); }});
  ASSERT_EQ(code(a, Exists{"/l1", true}), Code::no_node);
  ASSERT_EQ(code(b, Create{"/l1", "", open_acl()}), Code::ok);
  run_until([&] { return seen.size() == 1; });
  const auto second = gateway().listen(a, {.on_event = [&](const WatchEvent& e) { seen.push_back("2 " + e.path); },
                                           .on_expired = [&](SessionId) { seen.push_back("2 expired"); },
                                           .on_replaced = {}});
  EXPECT_FALSE(gateway().listening(a, first));
  EXPECT_TRUE(gateway().listening(a, second));
  gateway().unlisten(a, first);  // not current: no effect
  EXPECT_TRUE(gateway().listening(a, second));
  ASSERT_EQ(code(a, Exists{"/l1", true}), Code::ok);
  ASSERT_EQ(code(b, Delete{"/l1"}), Code::ok);
  run_until([&] { return seen.size() == 3; });
  gateway().set_renewing(a, false);
  run_until([&] { return seen.size() == 4; }, std::chrono::seconds(10));
  EXPECT_EQ(seen, (std::vector<std::string>{"1 /l1", "1 replaced", "2 /l1", "2 expired"}));
  EXPECT_FALSE(gateway().listening(a, second));
}

}  // namespace
}  // namespace eyrie::volery
