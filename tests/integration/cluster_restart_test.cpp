// Three `eyrie node` processes and an in-process external client: messages flow between all of
// them; a node killed with SIGKILL and restarted comes back with a higher incarnation, and
// both client-to-node and node-to-node traffic resume. Finally SIGTERM stops every node
// cleanly (exit status 0).

#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>
#include <memory>

#include "apps/echo/echo_role.hpp"
#include "runtime/net/node_host.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/net/test_cluster.hpp"

namespace eyrie {
namespace {

using namespace std::chrono_literals;
using net::testing::TempDir;
using testing::NodeProcess;

constexpr int kNodes = 3;
constexpr auto kDeadline = 30s;  // generous: the machine may be busy; passing runs take ~1 s

class ClusterRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string toml = net::testing::cluster_toml(kNodes, {"echo"},
                                                        "[echo]\ninterval_ms = 50\n\n"
                                                        "[transport]\nreconnect_interval_ms = 20\n"
                                                        "reconnect_interval_max_ms = 200\n");
    config_path = dir.path() / "cluster.toml";
    std::ofstream(config_path) << toml;
    config = ClusterConfig::load(config_path);
    for (int id = 1; id <= kNodes; ++id) start_node(id);
  }

  void start_node(int id) {
    nodes[id] = std::make_unique<NodeProcess>(EYRIE_BINARY, config_path, NodeId{static_cast<std::uint64_t>(id)},
                                              dir.path() / ("node-" + std::to_string(id) + ".log"));
  }

  // An external client that pings every node and probes their stats.
  std::unique_ptr<net::NodeHost> make_client() {
    net::NodeHostOptions options;
    options.id = net::random_external_id();
    options.log_level = LogLevel::warn;
    options.stats_probe_interval = 100ms;
    options.make_roles = [this](Env& env) {
      echo::EchoOptions echo_options;
      for (const NodeConfig& node : config.nodes) echo_options.peers.push_back(node.id);
      echo_options.interval = 50ms;
      echo_options.answer_pings = false;
      auto role = std::make_unique<echo::EchoRole>(env, echo_options);
      echo = role.get();
      std::vector<std::unique_ptr<Role>> roles;
      roles.push_back(std::move(role));
      return roles;
    };
    auto client = std::make_unique<net::NodeHost>(config, std::move(options));
    client->start();
    return client;
  }

  const echo::EchoRole::PeerStats& peer(int id) const { return echo->peers().at(NodeId{static_cast<std::uint64_t>(id)}); }

  TempDir dir;
  std::filesystem::path config_path;
  ClusterConfig config;
  std::unique_ptr<NodeProcess> nodes[kNodes + 1];
  echo::EchoRole* echo = nullptr;
};

TEST_F(ClusterRestartTest, killedNodeRestartsWithHigherIncarnationAndTrafficResumes) {
  auto client = make_client();
  ASSERT_TRUE(client->run_until([&] {
    for (int id = 1; id <= kNodes; ++id) {
      if (peer(id).pongs_received == 0) return false;
    }
    return client->stats_probe()->latest().size() == kNodes;
  }, kDeadline)) << "not every node answered; logs in " << dir.path();
  const std::uint64_t first_life = peer(2).last_responder_incarnation;
  EXPECT_EQ(first_life, 1u);

  nodes[2]->signal(SIGKILL);
  ASSERT_EQ(nodes[2]->wait_for_exit(10s), 128 + SIGKILL);
  const Time restarted_at = client->env().now();
  start_node(2);

  // Client to node: pongs from the node's next life.
  ASSERT_TRUE(client->run_until([&] { return peer(2).last_responder_incarnation > first_life; }, kDeadline))
      << "no pong from the restarted node; logs in " << dir.path();
  EXPECT_EQ(peer(2).last_responder_incarnation, first_life + 1);

  // Node to node: the restarted node's own echo role gets pongs from both peers (its counters
  // start from zero in the new process), and node 1 hears from node 2 again.
  const auto n1_from_n2 = [&] {
    return client->stats_probe()->find(NodeId{1})->counter("echo.pongs_from.n2").value_or(0);
  };
  const std::uint64_t n1_before = n1_from_n2();
  ASSERT_TRUE(client->run_until([&] {
    const net::NodeStats* n2 = client->stats_probe()->find(NodeId{2});
    const net::NodeStats* n1 = client->stats_probe()->find(NodeId{1});
    return n2 && n2->received_at > restarted_at && n2->uptime < client->env().now() - restarted_at &&
           n2->counter("echo.pongs_from.n1").value_or(0) >= 10 && n2->counter("echo.pongs_from.n3").value_or(0) >= 10 &&
           n1 && n1_from_n2() >= n1_before + 10;
  }, kDeadline)) << "node-to-node traffic did not resume; logs in " << dir.path();

  for (int id = 1; id <= kNodes; ++id) nodes[id]->signal(SIGTERM);
  for (int id = 1; id <= kNodes; ++id) {
    EXPECT_EQ(nodes[id]->wait_for_exit(10s), 0) << "node " << id << " did not stop cleanly; logs in " << dir.path();
  }
}

}  // namespace
}  // namespace eyrie
