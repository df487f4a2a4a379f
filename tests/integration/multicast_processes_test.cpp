// Ridge across real processes. Six `eyrie node` processes on 127.0.0.1: two groups of three
// learners, one ensemble per group plus the shared one, three acceptors each with their votes on
// disk; an external sender in the test process multicasts at a steady rate (a fifth of the
// messages to both groups). Under that load:
// - node 1 (the coordinator of group 1's ensemble and of the shared one, an acceptor of both, a
//   learner of group 1) is killed with SIGKILL, and every other learner delivers a message sent
//   after the kill within kResumeBound;
// - node 1 restarts (a new incarnation: acceptor and candidate from its disk, learner from
//   instance 0, a new section of its delivery log) and catches up;
// - then node 2, the coordinator that took over, is killed the same way: ensemble 1 now needs
//   node 1's restored acceptor for a quorum; node 2 restarts and catches up;
// - after the load stops and drains, every node stops cleanly (SIGTERM, exit 0) and
//   MulticastChecker judges the sent log and the six delivery logs (eight incarnations).
// The same run with `optimistic = true` records optimistic deliveries too; it is skipped while
// the nodes report none (optimistic delivery not implemented in this build).
// A second test runs `eyrie multicast load` and `eyrie multicast check` against the same
// cluster, as a user would.

#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <memory>

#include "experiments/load_endpoint.hpp"
#include "experiments/run_logs.hpp"
#include "multicast/config.hpp"
#include "runtime/net/node_host.hpp"
#include "tests/checkers/multicast_checker.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/integration/two_groups.hpp"
#include "tests/net/test_cluster.hpp"

namespace eyrie {
namespace {

using namespace std::chrono_literals;
using multicast::GroupId;
using net::testing::TempDir;
using testing::EyrieProcess;
using testing::NodeProcess;

constexpr int kNodes = testing::kTwoGroupNodes;
constexpr double kRatePerSecond = 800;
constexpr std::uint64_t kDeliveredBeforeKill = 300;
// Generous: the machine may be busy. Passing runs resume in about a second (the candidates'
// coordinator_timeout, then a sender retry) and take about 5 s in all.
constexpr auto kDeadline = 40s;
constexpr auto kResumeBound = 20s;

GroupId group_of(int node) { return GroupId{node <= 3 ? 1u : 2u}; }

// Six nodes, each with its delivery log, and the test process as the sender and stats prober.
class RidgeProcesses : public ::testing::Test {
 protected:
  void start_cluster(bool optimistic) {
    config_path = dir.path() / "cluster.toml";
    std::ofstream(config_path) << net::testing::cluster_toml(kNodes, {"ridge"}, testing::two_groups_sections(optimistic));
    config = ClusterConfig::load(config_path);
    ridge = multicast::RidgeConfig::from(config);
    for (int id = 1; id <= kNodes; ++id) start_node(id);
  }

  void TearDown() override {
    client.reset();  // before the nodes: its sockets linger at most briefly
  }

  std::filesystem::path delivery_log(int id) const { return dir.path() / fmt::format("delivery-{}.log", id); }

  void start_node(int id) {
    nodes[id] = std::make_unique<NodeProcess>(EYRIE_BINARY, config_path, NodeId{static_cast<std::uint64_t>(id)},
                                              dir.path() / fmt::format("node-{}.out", id),
                                              std::vector<std::string>{"--delivery-log", delivery_log(id).string()});
  }

  void start_client() {
    const NodeId sender = net::random_external_id();
    sent_log = std::make_unique<experiments::SentLogWriter>(dir.path() / "sent.log", sender);
    experiments::MulticastLoadOptions load_options{
        .groups = {GroupId{1}, GroupId{2}},
        .global_percent = 20,
        .size_bytes = 100,
        .on_sent = [this](const multicast::MessageId& id, const std::vector<GroupId>& d, const Payload& p) {
          sent_log->sent(id, d, p);
        },
    };
    experiments::LoadEndpoint endpoint = experiments::start_load_endpoint(
        config, ridge, std::move(load_options), {.id = sender, .stats_probe_interval = 100ms});
    client = std::move(endpoint.host);
    load = endpoint.load;
  }

  // The latest stats of node `id`, taken by a process that started at or after `since`.
  const net::NodeStats* stats(int id, Time since = Time{}) const {
    const net::NodeStats* s = client->stats_probe()->find(NodeId{static_cast<std::uint64_t>(id)});
    if (s == nullptr || (since != Time{} && (s->received_at <= since || s->uptime >= s->received_at - since))) return nullptr;
    return s;
  }
  std::uint64_t counter(int id, std::string_view name, Time since = Time{}) const {
    const net::NodeStats* s = stats(id, since);
    return s ? s->counter(name).value_or(0) : 0;
  }

  bool run_until(const std::function<bool()>& done) { return client->run_until(done, kDeadline); }

  // SIGKILL `victim` under load; every other learner then delivers a message sent after the
  // kill (whatever it delivers beyond everything sent to its group before the kill) within
  // kResumeBound.
  void kill_under_load(int victim) {
    std::map<GroupId, std::uint64_t> sent_before_kill{{GroupId{1}, load->sent_to(GroupId{1})},
                                                     {GroupId{2}, load->sent_to(GroupId{2})}};
    const Time killed_at = client->env().now();
    nodes[victim]->signal(SIGKILL);
    ASSERT_EQ(nodes[victim]->wait_for_exit(10s), 128 + SIGKILL);
    ASSERT_TRUE(run_until([&] {
      for (int id = 1; id <= kNodes; ++id) {
        if (id != victim && counter(id, "ridge.delivered", started_at[id]) <= sent_before_kill[group_of(id)]) return false;
      }
      return true;
    })) << "delivery did not resume after node " << victim << " was killed; logs in " << dir.path();
    const Duration resumed_after = client->env().now() - killed_at;
    std::printf("node %d killed: delivery resumed at every other learner %s later\n", victim,
                to_string(resumed_after).c_str());
    RecordProperty(fmt::format("resumed_after_kill_of_node_{}_ms", victim), static_cast<int>(resumed_after / 1ms));
    EXPECT_LE(resumed_after, kResumeBound);
  }

  // Restarts `victim` (a new incarnation, relearning its group from instance 0) and waits until
  // it delivered everything sent to its group before the restart.
  void restart_and_catch_up(int victim) {
    started_at[victim] = client->env().now();
    start_node(victim);
    const std::uint64_t sent_at_restart = load->sent_to(group_of(victim));
    ASSERT_TRUE(run_until([&] { return counter(victim, "ridge.delivered", started_at[victim]) >= sent_at_restart; }))
        << "node " << victim << " did not catch up after its restart; logs in " << dir.path();
    std::printf("node %d restarted: caught up %s later\n", victim,
                to_string(client->env().now() - started_at[victim]).c_str());
  }

  TempDir dir;
  std::filesystem::path config_path;
  ClusterConfig config;
  multicast::RidgeConfig ridge;
  std::unique_ptr<NodeProcess> nodes[kNodes + 1];
  Time started_at[kNodes + 1]{};  // of each node's current incarnation, when restarted by the test
  std::unique_ptr<experiments::SentLogWriter> sent_log;
  std::unique_ptr<net::NodeHost> client;
  experiments::MulticastLoad* load = nullptr;
};

class MulticastFailoverTest : public RidgeProcesses, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override { start_cluster(GetParam()); }
};

class MulticastCommandsTest : public RidgeProcesses {
 protected:
  void SetUp() override { start_cluster(false); }
};

TEST_P(MulticastFailoverTest, coordinatorKilledUnderLoad_deliveryResumes_restartCatchesUp_logsPassTheChecker) {
  const bool optimistic = GetParam();
  start_client();
  load->run_paced(kRatePerSecond);
  ASSERT_TRUE(run_until([&] {
    for (int id = 1; id <= kNodes; ++id) {
      if (counter(id, "ridge.delivered") < kDeliveredBeforeKill) return false;
    }
    return true;
  })) << "load did not reach every learner; logs in " << dir.path();
  if (optimistic) {
    std::uint64_t opt = 0;
    for (int id = 1; id <= kNodes; ++id) opt += counter(id, "ridge.opt.delivered");
    ASSERT_GT(opt, 0u) << "optimistic = true, but no node reports an optimistic delivery (ridge.opt.delivered) after "
                       << kDeliveredBeforeKill << " conservative ones";
  }

  // Node 1 leads ensembles 1 and 3; once it is back, node 2 leads ensemble 1 (and may lead 3),
  // so killing it forces a quorum with node 1's acceptor as restored from its disk.
  for (int victim : {1, 2}) {
    kill_under_load(victim);
    if (HasFatalFailure()) return;
    restart_and_catch_up(victim);
    if (HasFatalFailure()) return;
  }

  // Drain: every message acknowledged, and delivered by every learner (restarted ones counting
  // from their new incarnation).
  load->pause();
  ASSERT_TRUE(run_until([&] {
    if (!load->unacknowledged().empty()) return false;
    for (int id = 1; id <= kNodes; ++id) {
      if (counter(id, "ridge.delivered", started_at[id]) < load->sent_to(group_of(id))) return false;
    }
    return true;
  })) << "the load did not drain: " << load->unacknowledged().size() << " unacknowledged; logs in " << dir.path();
  sent_log->finish(load->sent(), load->unacknowledged());
  sent_log.reset();

  for (int id = 1; id <= kNodes; ++id) nodes[id]->signal(SIGTERM);
  for (int id = 1; id <= kNodes; ++id) {
    EXPECT_EQ(nodes[id]->wait_for_exit(10s), 0) << "node " << id << " did not stop cleanly; logs in " << dir.path();
  }

  std::vector<std::filesystem::path> logs;
  for (int id = 1; id <= kNodes; ++id) logs.push_back(delivery_log(id));
  const check::MulticastHistory history = experiments::read_history({dir.path() / "sent.log"}, logs, true);
  ASSERT_EQ(history.logs.size(), static_cast<std::size_t>(kNodes + 2)) << "one incarnation per node, two for nodes 1 and 2";
  for (const check::LearnerLog& log : history.logs) {
    if (!log.correct) continue;
    EXPECT_EQ(log.conservative.size(), load->sent_to(log.groups.front())) << "node " << log.node.value;
    EXPECT_EQ(log.optimistic.has_value(), optimistic);
  }
  const check::MulticastReport report = check::MulticastChecker::check(history);
  EXPECT_TRUE(report.result.passed()) << report.result.reason() << "; logs in " << dir.path();
  for (const std::string& v : report.first_violations) ADD_FAILURE() << v;
  EXPECT_EQ(report.messages_sent, load->sent());
  EXPECT_EQ(report.messages_delivered, load->sent());
  if (optimistic) {
    EXPECT_GT(report.optimistic_deliveries, 0u);
  }
  std::printf("%llu messages, %llu conservative and %llu optimistic deliveries checked (mistake rate %.3f)\n",
              static_cast<unsigned long long>(report.messages_sent),
              static_cast<unsigned long long>(report.conservative_deliveries),
              static_cast<unsigned long long>(report.optimistic_deliveries), report.mistake_rate());
}

// `eyrie multicast load` and `eyrie multicast check` as a user runs them: the load command
// sends and waits for every acknowledgement, the nodes stop once every learner delivered
// everything, and the check command judges the run from the files alone.
TEST_F(MulticastCommandsTest, loadCommandThenCheckCommand_passOnALiveCluster) {
  const std::filesystem::path sent = dir.path() / "sent.log";
  EyrieProcess load_command(EYRIE_BINARY,
                            {"multicast", "load", "--config", config_path.string(), "--rate", "500", "--seconds", "1",
                             "--global-percent", "20", "--size", "64", "--sent-log", sent.string()},
                            dir.path() / "load.out");
  ASSERT_EQ(load_command.wait_for_exit(kDeadline), 0) << "logs in " << dir.path();

  const std::vector<check::SentMulticast> sent_messages = experiments::read_sent_log(sent);
  std::map<GroupId, std::uint64_t> owed;
  for (const check::SentMulticast& m : sent_messages) {
    EXPECT_TRUE(m.sender_correct) << "every message was acknowledged";
    for (GroupId g : m.destinations) ++owed[g];
  }
  ASSERT_GT(owed[GroupId{1}], 0u);
  net::NodeHostOptions options;  // a stats prober only
  options.id = net::random_external_id();
  options.log_level = LogLevel::warn;
  options.stats_probe_interval = 100ms;
  client = std::make_unique<net::NodeHost>(config, std::move(options));
  client->start();
  ASSERT_TRUE(run_until([&] {
    for (int id = 1; id <= kNodes; ++id) {
      if (counter(id, "ridge.delivered") < owed[group_of(id)]) return false;
    }
    return true;
  })) << "the learners did not deliver everything; logs in " << dir.path();
  for (int id = 1; id <= kNodes; ++id) nodes[id]->signal(SIGTERM);
  for (int id = 1; id <= kNodes; ++id) ASSERT_EQ(nodes[id]->wait_for_exit(10s), 0);

  std::vector<std::string> args{"multicast", "check", "--sent-log", sent.string()};
  for (int id = 1; id <= kNodes; ++id) {
    args.push_back("--delivery-log");
    args.push_back(delivery_log(id).string());
  }
  const std::filesystem::path check_out = dir.path() / "check.out";
  EyrieProcess check_command(EYRIE_BINARY, args, check_out);
  EXPECT_EQ(check_command.wait_for_exit(kDeadline), 0);
  std::ifstream in(check_out);
  const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(output.find("\"passed\":true"), std::string::npos) << output;
  EXPECT_NE(output.find(fmt::format("\"messages_delivered\":{}", sent_messages.size())), std::string::npos) << output;
}

INSTANTIATE_TEST_SUITE_P(Ridge, MulticastFailoverTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "optimistic" : "conservative";
                         });

}  // namespace
}  // namespace eyrie
