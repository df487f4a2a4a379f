// VoleryModel and the linearizability search against a naive reference: random histories made
// by running a plain sequential ZooKeeper tree (a std::map, written without the model) in a
// random order, with random intervals around each operation's point in that order, are
// linearizable by construction and must pass; the same history with one read's stat corrupted
// must fail. Also measures a 1,000-operation history over a few subtrees.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <set>

#include "runtime/rng.hpp"
#include "tests/checkers/volery_model.hpp"
#include "tests/unit/volery_test_builders.hpp"

namespace eyrie::check::volery {
namespace {

using namespace eyrie::check::volery::builders;

// ZooKeeper 3.8's tree, the simplest way: no ACLs beyond open ones, valid paths only.
class ReferenceTree {
 public:
  ReferenceTree() {
    for (const char* path : {"/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"}) nodes_[path] = {};
  }

  zk::Result apply(zk::SessionId session, const zk::Op& op, zk::Zxid zxid) {
    emptied_.clear();
    zk::Result r = apply_whole(session, op, zxid);
    // Containers an operation emptied go once all of it applied (a multi may refill them).
    if (r.code == zk::Code::ok) {
      while (!emptied_.empty()) {
        const std::string path = emptied_.back();
        emptied_.pop_back();
        if (nodes_.contains(path) && nodes_.at(path).container && children(path).empty()) erase(path, zxid);
      }
    }
    return r;
  }
  zk::Result apply_whole(zk::SessionId session, const zk::Op& op, zk::Zxid zxid) {
    if (const auto* create_session = std::get_if<zk::CreateSession>(&op)) {
      (void)create_session;
      live_.insert(next_session_);
      return new_session(next_session_++);
    }
    if (const auto* tick = std::get_if<zk::Tick>(&op)) {
      (void)tick;
      std::vector<zk::SessionId> gone(expiring_.begin(), expiring_.end());
      for (const zk::SessionId s : gone) end(s, zxid);
      expiring_.clear();
      return expired(gone);
    }
    if (!live_.contains(session)) return err(zk::Code::session_expired);
    if (std::holds_alternative<zk::CloseSession>(op)) {
      end(session, zxid);
      return ok();
    }
    if (const auto* multi = std::get_if<zk::Multi>(&op)) return apply_multi(session, *multi, zxid);
    return std::visit([&](const auto& o) { return apply_one(session, zk::Op(o), zxid); }, op);
  }
  void expire_at_next_tick(zk::SessionId session) { expiring_.insert(session); }
  bool exists(const std::string& path) const { return nodes_.contains(path); }

 private:
  struct RefNode {
    std::string data;
    zk::Zxid czxid = 0, mzxid = 0, pzxid = 0;
    std::int32_t version = 0, creates = 0, aversion = 0;
    zk::SessionId owner = 0;
    bool container = false;
  };

  static std::string parent(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    return slash == 0 ? "/" : path.substr(0, slash);
  }
  std::vector<std::string> children(const std::string& path) const {
    std::vector<std::string> out;
    for (const auto& [p, node] : nodes_)
      if (p != "/" && parent(p) == path) out.push_back(p.substr(p.rfind('/') + 1));
    return out;  // a std::map: already sorted
  }
  zk::Stat stat(const std::string& path) const {
    const RefNode& n = nodes_.at(path);
    const auto count = static_cast<std::int32_t>(children(path).size());
    return zk::Stat{.czxid = n.czxid,
                    .mzxid = n.mzxid,
                    .ctime = n.czxid / kNsPerMs,
                    .mtime = n.mzxid / kNsPerMs,
                    .version = n.version,
                    .cversion = 2 * n.creates - count,
                    .aversion = n.aversion,
                    .ephemeral_owner = n.owner,
                    .data_length = static_cast<std::int32_t>(n.data.size()),
                    .num_children = count,
                    .pzxid = n.pzxid};
  }
  void erase(const std::string& path, zk::Zxid zxid) {
    nodes_.erase(path);
    RefNode& p = nodes_.at(parent(path));
    p.pzxid = zxid;
    if (p.container && children(parent(path)).empty()) emptied_.push_back(parent(path));
  }
  void end(zk::SessionId session, zk::Zxid zxid) {
    live_.erase(session);
    std::vector<std::string> mine;
    for (const auto& [path, node] : nodes_)
      if (node.owner == session) mine.push_back(path);
    for (const std::string& path : mine) erase(path, zxid);
  }
  static bool version_ok(std::int32_t wanted, std::int32_t current) { return wanted == -1 || wanted == current; }

  zk::Result apply_one(zk::SessionId session, const zk::Op& op, zk::Zxid zxid) {
    if (const auto* c = std::get_if<zk::Create>(&op)) {
      const std::string parent_path = parent(c->path);
      if (!nodes_.contains(parent_path)) return err(zk::Code::no_node);
      const bool sequential = c->mode == zk::CreateMode::persistent_sequential;
      const std::string path = sequential ? c->path + sequence_suffix(nodes_[parent_path].creates) : c->path;
      if (nodes_.contains(path)) return err(zk::Code::node_exists);
      if (nodes_[parent_path].owner != 0) return err(zk::Code::no_children_for_ephemerals);
      ++nodes_[parent_path].creates;
      nodes_[parent_path].pzxid = zxid;
      nodes_[path] = RefNode{.data = c->data,
                             .czxid = zxid,
                             .mzxid = zxid,
                             .pzxid = zxid,
                             .owner = c->mode == zk::CreateMode::ephemeral ? session : 0,
                             .container = c->mode == zk::CreateMode::container};
      return created(path, stat(path));
    }
    if (const auto* d = std::get_if<zk::Delete>(&op)) {
      if (!nodes_.contains(parent(d->path)) || !nodes_.contains(d->path)) return err(zk::Code::no_node);
      if (!version_ok(d->version, nodes_[d->path].version)) return err(zk::Code::bad_version);
      if (!children(d->path).empty()) return err(zk::Code::not_empty);
      erase(d->path, zxid);
      return ok();
    }
    const std::string path = std::visit(
        [](const auto& o) -> std::string {
          if constexpr (requires { o.path; }) return o.path;
          return {};
        },
        op);
    if (!nodes_.contains(path)) return err(zk::Code::no_node);
    RefNode& n = nodes_[path];
    if (const auto* s = std::get_if<zk::SetData>(&op)) {
      if (!version_ok(s->version, n.version)) return err(zk::Code::bad_version);
      n.data = s->data;
      ++n.version;
      n.mzxid = zxid;
      return with_stat(stat(path));
    }
    if (const auto* c = std::get_if<zk::Check>(&op))
      return version_ok(c->version, n.version) ? ok() : err(zk::Code::bad_version);
    if (std::holds_alternative<zk::GetData>(op)) return with_data(n.data, stat(path));
    if (std::holds_alternative<zk::GetChildren>(op)) return with_children(children(path), stat(path));
    return with_stat(stat(path));  // exists
  }
  zk::Result apply_multi(zk::SessionId session, const zk::Multi& multi, zk::Zxid zxid) {
    const std::map<std::string, RefNode> before = nodes_;
    std::vector<zk::Result> results;
    for (std::size_t i = 0; i < multi.ops.size(); ++i) {
      zk::Result r = std::visit([&](const auto& o) { return apply_one(session, zk::Op(o), zxid); }, multi.ops[i]);
      if (r.code != zk::Code::ok) {
        nodes_ = before;
        emptied_.clear();
        std::vector<zk::Result> failed(i, ok());
        failed.push_back(err(r.code));
        while (failed.size() < multi.ops.size()) failed.push_back(err(zk::Code::runtime_inconsistency));
        return multi_result(r.code, std::move(failed));
      }
      results.push_back(std::move(r));
    }
    return multi_result(zk::Code::ok, std::move(results));
  }

  std::map<std::string, RefNode> nodes_;
  std::set<zk::SessionId> live_;
  std::set<zk::SessionId> expiring_;
  std::vector<std::string> emptied_;
  zk::SessionId next_session_ = kS1;
};

struct Shape {
  std::size_t operations = 150;
  std::uint64_t subtrees = 3;
  std::int64_t spread_ns = 40;  // an interval reaches up to this far on each side of its point
  std::uint64_t lost_in_100 = 5;
  std::uint64_t cross_multi_in_100 = 30;
};

std::string random_root(Rng& rng, const Shape& shape) { return "/t" + std::to_string(rng.uniform(shape.subtrees)); }

// A random path of subtree `root`: the root, children, a grandchild, a container and its child.
std::string random_path(Rng& rng, const std::string& root) {
  const std::vector<std::string> paths{root, root + "/a", root + "/b", root + "/a/c", root + "/k", root + "/k/x"};
  return paths[rng.uniform(paths.size())];
}

// An operation a multi may hold: create, delete, setData or check.
zk::MultiOp random_write(Rng& rng, const std::string& root) {
  const std::string path = random_path(rng, root);
  const std::string data = std::to_string(rng.uniform(3));
  const auto version = [&] { return rng.chance(1, 2) ? zk::kAnyVersion : static_cast<std::int32_t>(rng.uniform(3)); };
  switch (rng.uniform(4)) {
    case 0:
      if (rng.chance(1, 4)) return create_sequential(root + "/q-");
      if (path.ends_with("/k")) return create_container(path);
      return create(path, data, rng.chance(1, 4) ? zk::CreateMode::ephemeral : zk::CreateMode::persistent);
    case 1:
      return zk::Delete{path, version()};
    case 2:
      return zk::SetData{path, data, version()};
    default:
      return zk::Check{path, version()};
  }
}

// Most operations stay in one subtree; a multi spans two with probability cross_multi_in_100.
zk::Op random_data_op(Rng& rng, const Shape& shape) {
  const std::string root = random_root(rng, shape);
  switch (rng.uniform(8)) {
    case 0:
    case 1:
    case 2:
      return std::visit([](auto op) { return zk::Op(std::move(op)); }, random_write(rng, root));
    case 3:
      return zk::GetData{random_path(rng, root)};
    case 4:
      return zk::Exists{random_path(rng, root)};
    case 5:
    case 6:
      return zk::GetChildren{rng.chance(1, 2) ? root : random_path(rng, root)};
    default: {
      const std::string other = rng.chance(shape.cross_multi_in_100, 100) ? random_root(rng, shape) : root;
      return zk::Multi{.ops = {random_write(rng, root), random_write(rng, other)}};
    }
  }
}

// Operation i takes effect at point 100 * i (zxid Z(i)); its interval is drawn around that
// point. Sessions s1..s3 open first and the subtree roots exist; s3 closes halfway, a tick
// expires s2 at three quarters, and their later operations answer session_expired.
VoleryHistory linearizable_history(std::uint64_t seed, const Shape& shape) {
  Rng rng(seed);
  ReferenceTree tree;
  VoleryHistory history;
  std::int64_t point = 0;
  const auto add = [&](zk::SessionId session, zk::Op op, bool may_be_lost) {
    point += 100;
    const zk::Zxid zxid = Z(point);
    VoleryOperation o =
        done(NodeId{70001 + static_cast<std::uint32_t>(session % 8)}, point - rng.range(0, shape.spread_ns),
             point + rng.range(0, shape.spread_ns), session, op, zxid, zk::Result{});
    if (may_be_lost && rng.chance(shape.lost_in_100, 100)) {
      o.responded_ns = kNeverNs;
      o.output = std::nullopt;
      if (rng.chance(1, 2)) tree.apply(session, op, zxid);
    } else {
      o.output->result = tree.apply(session, op, zxid);
    }
    history.push_back(std::move(o));
  };
  for (int s = 0; s < 3; ++s) add(0, zk::CreateSession{.timeout_ms = 6'000, .password = "pw"}, false);
  for (std::uint64_t t = 0; t < shape.subtrees; ++t) add(kS1, create("/t" + std::to_string(t)), false);
  for (std::size_t i = 0; i < shape.operations; ++i) {
    if (i == shape.operations / 2) add(kS3, zk::CloseSession{}, false);
    if (i == shape.operations * 3 / 4) {
      tree.expire_at_next_tick(kS2);
      add(0, zk::Tick{}, false);
    }
    add(kS1 + static_cast<zk::SessionId>(rng.uniform(3)), random_data_op(rng, shape), true);
  }
  return history;
}

// Makes one answered read show a version it never had; false when there is no such read.
bool corrupt_one_read(VoleryHistory& history, Rng& rng) {
  std::vector<std::size_t> reads;
  for (std::size_t i = 0; i < history.size(); ++i) {
    const VoleryOperation& op = history[i];
    if (op.output && op.output->result.stat &&
        (std::holds_alternative<zk::GetData>(op.input.op) || std::holds_alternative<zk::Exists>(op.input.op))) {
      reads.push_back(i);
    }
  }
  if (reads.empty()) return false;
  history[reads[rng.uniform(reads.size())]].output->result.stat->version += 7;
  return true;
}

void expect_random_histories_pass_and_corrupted_fail(const Shape& shape, std::uint64_t seeds) {
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    VoleryHistory history = linearizable_history(seed, shape);
    const LinearizabilityReport report = check_linearizable(VoleryModel{}, history);
    ASSERT_EQ(report.verdict, Verdict::kLinearizable) << "seed " << seed << ": " << report.explanation;
    Rng rng(seed ^ 0x5eed);
    if (!corrupt_one_read(history, rng)) continue;
    const LinearizabilityReport corrupted = check_linearizable(VoleryModel{}, history);
    ASSERT_EQ(corrupted.verdict, Verdict::kNotLinearizable) << "seed " << seed << ": " << corrupted.explanation;
    ASSERT_EQ(corrupted.parts_not_linearizable, 1u) << "seed " << seed;
  }
}

TEST(VoleryLinearizabilityRandom, subtreeHistories_passAndFailOnceAReadIsCorrupted) {
  expect_random_histories_pass_and_corrupted_fail(Shape{}, 200);
}

TEST(VoleryLinearizabilityRandom, oneBusySubtreeWithManyLostReplies_passesAndFailsOnceCorrupted) {
  expect_random_histories_pass_and_corrupted_fail(
      Shape{.operations = 120, .subtrees = 1, .spread_ns = 150, .lost_in_100 = 15}, 100);
}

TEST(VoleryLinearizabilityRandom, heavilyOverlappingHistories_passAndFailOnceAReadIsCorrupted) {
  expect_random_histories_pass_and_corrupted_fail(Shape{.operations = 100, .subtrees = 2, .spread_ns = 300}, 60);
}

TEST(VoleryLinearizabilityRandom, thousandOperationsOverEightSubtrees_checkWellWithinBudget) {
  VoleryHistory history =
      linearizable_history(42, Shape{.operations = 1000, .subtrees = 8, .spread_ns = 150, .cross_multi_in_100 = 0});
  const auto start = std::chrono::steady_clock::now();
  const LinearizabilityReport report = check_linearizable(VoleryModel{}, history);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  std::printf(
      "{\"bench\":\"volery_1000_ops\",\"operations\":%zu,\"parts\":%zu,\"largest_part\":%zu,\"steps\":%llu,"
      "\"verdict\":\"%s\",\"us\":%lld}\n",
      history.size(), report.parts, report.largest_part_operations, static_cast<unsigned long long>(report.steps),
      to_string(report.verdict), static_cast<long long>(us.count()));
  EXPECT_EQ(report.verdict, Verdict::kLinearizable) << report.explanation;
  EXPECT_EQ(report.parts, 8u);
}

}  // namespace
}  // namespace eyrie::check::volery
