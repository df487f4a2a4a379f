// RidgeNode restarts in the simulator (docs/ridge.md, "Restarting a learner"): a learner node
// resumed from a checkpoint starts its learner at the checkpoint's instance and continues the
// delivery sequence at position p + 1, exactly as a learner that never stopped; one whose
// checkpoint lies below every acceptor's trim point stalls, counted, and delivers nothing.

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <vector>

#include "multicast/checkpoint.hpp"
#include "multicast/ridge_node.hpp"
#include "runtime/sim/simulator.hpp"
#include "tests/multicast/ensemble_sim_support.hpp"

namespace eyrie::multicast {
namespace {

using testing::at_ms;
using testing::kEnsemble;
using testing::kGroup;

constexpr NodeId kSteady{11};     // a learner that never stops
constexpr NodeId kRestarted{12};  // a learner that crashes and resumes from its checkpoint
constexpr NodeId kSenderNode{20};
constexpr std::size_t kMessages = 60;

struct Delivered {
  MessageId id;
  WallTime final_timestamp{};
  std::uint64_t position = 0;
  friend bool operator==(const Delivered&, const Delivered&) = default;
};

// One group, one ensemble of three acceptors (also the candidates), learners 11 and 12, and a
// sender node that multicasts kMessages messages, one every 20 ms from 100 ms on. Node 12's
// upper layer keeps the bytes of the checkpoint it takes right after its delivery number
// `checkpoint_at`, and hands them back at every later boot.
class RestartWorld {
 public:
  RestartWorld(std::size_t retained_instances, std::uint64_t checkpoint_at)
      : config_(make_config(retained_instances)), checkpoint_at_(checkpoint_at), sim_({.seed = 5}) {
    for (NodeId id : {NodeId{1}, NodeId{2}, NodeId{3}, kSteady, kRestarted, kSenderNode}) {
      sim_.add_node({.id = id, .make_roles = [this, id](Env& env) { return make_roles(env, id); }});
      sim_.boot(id);
    }
    for (std::size_t i = 0; i < kMessages; ++i) {
      sim_.at(at_ms(100 + 20 * static_cast<std::int64_t>(i)), "multicast", [this] { send_one(); });
    }
  }

  void crash_and_resume(Time crash, Time boot) {
    sim_.at(crash, "crash the restarted learner", [this] { sim_.crash(kRestarted); });
    sim_.at(boot, "boot the restarted learner", [this] { sim_.boot(kRestarted); });
  }
  void run_until(Time end) { sim_.run_until(end); }

  // Deliveries of `node`, per life (1-based).
  const std::vector<Delivered>& delivered(NodeId node, std::uint64_t life) { return delivered_[{node, life}]; }
  std::uint64_t counter(NodeId node, std::string_view name) { return sim_.node(node).metrics().counter(name).value(); }
  const std::optional<Payload>& kept() const { return kept_; }
  std::optional<Instance> resumed_learner_start() const { return resumed_learner_start_; }

 private:
  static RidgeConfig make_config(std::size_t retained_instances) {
    RidgeConfig config = testing::test_config(testing::Topology{.candidates = {NodeId{1}, NodeId{2}, NodeId{3}},
                                                                .acceptors = {NodeId{1}, NodeId{2}, NodeId{3}},
                                                                .learners = {kSteady, kRestarted}});
    config.retained_instances = retained_instances;
    return config;
  }

  std::vector<std::unique_ptr<Role>> make_roles(Env& env, NodeId id) {
    const std::uint64_t life = sim_.node(id).incarnation();
    RidgeNodeOptions options;
    options.sender.durable_seqs = false;
    if (id == kRestarted && kept_) {
      std::string error;
      options.resume = decode_checkpoint(*kept_, &error);
      EXPECT_TRUE(options.resume.has_value()) << error;
      EXPECT_TRUE(RidgeNode::can_resume(config_, id, *options.resume, options, &error)) << error;
    }
    auto node = std::make_unique<RidgeNode>(
        env, config_,
        [this, id, life](const Delivery& d) {
          std::vector<Delivered>& log = delivered_[{id, life}];
          log.push_back(Delivered{d.id, d.final_timestamp, d.position});
          if (id == kRestarted && !kept_ && d.position == checkpoint_at_) {
            kept_ = encode_checkpoint(nodes_.at(id)->pipeline()->checkpoint());
          }
        },
        options);
    if (options.resume) resumed_learner_start_ = node->host().learner(kEnsemble)->next();
    nodes_[id] = node.get();
    std::vector<std::unique_ptr<Role>> roles;
    roles.push_back(std::move(node));
    return roles;
  }

  void send_one() {
    const auto id = nodes_.at(kSenderNode)->multicaster().multicast({kGroup}, Payload::copy_of("m"));
    ASSERT_TRUE(id.has_value()) << "the sender's window is far larger than this test's messages";
  }

  RidgeConfig config_;
  std::uint64_t checkpoint_at_;
  sim::Simulator sim_;
  std::map<NodeId, RidgeNode*> nodes_;  // the current life's role of each node
  std::map<std::pair<NodeId, std::uint64_t>, std::vector<Delivered>> delivered_;
  std::optional<Payload> kept_;
  std::optional<Instance> resumed_learner_start_;
};

TEST(RidgeNodeRestart, resume_continuesAtTheCheckpointPositionWithTheSameSequence) {
  RestartWorld world(/*retained_instances=*/100'000, /*checkpoint_at=*/25);
  world.crash_and_resume(at_ms(1000), at_ms(1500));
  world.run_until(at_ms(5000));

  const std::vector<Delivered>& steady = world.delivered(kSteady, 1);
  ASSERT_EQ(steady.size(), kMessages);
  const std::vector<Delivered>& first = world.delivered(kRestarted, 1);
  const std::vector<Delivered>& resumed = world.delivered(kRestarted, 2);
  ASSERT_GT(first.size(), 25u) << "the first life must deliver past its checkpoint before the crash";
  ASSERT_TRUE(world.kept().has_value());
  ASSERT_TRUE(world.resumed_learner_start().has_value());
  EXPECT_GT(world.resumed_learner_start()->value, 0u) << "the learner starts at the checkpoint, not at instance 0";
  // The second life delivers positions 26..60, as the learner that never stopped did.
  ASSERT_EQ(resumed.size(), kMessages - 25);
  for (std::size_t i = 0; i < resumed.size(); ++i) EXPECT_EQ(resumed[i], steady[25 + i]) << "position " << 26 + i;
  // What the first life delivered after its checkpoint is delivered again, at the same positions.
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i], steady[i]);
}

TEST(RidgeNodeRestart, resume_belowEveryAcceptorsTrimPointStallsAndCountsIt) {
  // Acceptors keep 16 decided instances; nulls every 5 ms move the log far past the checkpoint
  // (taken around 200 ms) by the time the node restarts, 1 ms after its crash. (Down for long,
  // it would strand its peer as well, whose values it distributes: docs/ridge.md, "Restarting a
  // learner", on how large retained_instances must be.)
  RestartWorld world(/*retained_instances=*/16, /*checkpoint_at=*/5);
  world.crash_and_resume(at_ms(1000), at_ms(1001));
  world.run_until(at_ms(5000));

  EXPECT_EQ(world.delivered(kSteady, 1).size(), kMessages);
  ASSERT_TRUE(world.kept().has_value());
  EXPECT_TRUE(world.delivered(kRestarted, 2).empty());
  EXPECT_GT(world.counter(kRestarted, "ridge.learner.behind_trim"), 0u);
  EXPECT_GT(world.counter(kRestarted, "ridge.learner.redecide_requests"), 0u);
  EXPECT_EQ(world.counter(kSteady, "ridge.learner.behind_trim"), 0u);
}

}  // namespace
}  // namespace eyrie::multicast
