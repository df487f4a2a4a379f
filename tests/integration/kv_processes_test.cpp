// The kv service on S-SMR across real processes. Six `eyrie node` processes with the kv role on
// 127.0.0.1 (ports chosen at run time): two partitions of three replicas. Ridge: one ensemble per
// partition plus the shared one, three on-disk acceptors each, on the replica nodes themselves
// (ensemble 1 on nodes 1-3, ensemble 2 on nodes 4-6, the shared one on nodes 1, 4, 2), so that a
// replica crash is also an acceptor and coordinator crash, as it would be in a deployment.
//
// - Under load from `eyrie kv load` (four clients, single- and multi-partition commands, history
//   recorded), node 1 — a replica of partition 1, and the coordinator of ensemble 1 and of the
//   shared ensemble — is killed with SIGKILL and stays down (replicas do not recover yet). Every
//   other replica keeps executing commands, the load ends with no failed command, every key is
//   read back, and the linearizability checker passes the whole history, read-backs included
//   (an acknowledged write that was lost would show there). `eyrie kv check` agrees.
// - The command line (`eyrie kv get|put|cas|transfer|put-many`) does what docs/kv.md says.

#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>

#include "apps/kv/kv.hpp"
#include "experiments/kv_history.hpp"
#include "multicast/config.hpp"
#include "partition/config.hpp"
#include "runtime/net/node_host.hpp"
#include "tests/checkers/kv_model.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/integration/two_groups.hpp"
#include "tests/net/test_cluster.hpp"

namespace eyrie {
namespace {

using namespace std::chrono_literals;
using net::testing::TempDir;
using testing::EyrieProcess;
using testing::NodeProcess;

constexpr int kNodes = testing::kTwoGroupNodes;
constexpr int kVictim = 1;
// Generous: the machine may be busy. A passing run takes about 20 s.
constexpr auto kDeadline = 60s;
constexpr std::uint64_t kCommandsBeforeKill = 3000;
constexpr std::uint64_t kCommandsAfterKill = 1000;

// Partitions 1 and 2 are Ridge's groups 1 and 2.
std::string sections() { return testing::two_groups_sections(false) + "\n[ssmr]\npull_interval_ms = 50\n"; }

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class KvProcessesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_path = dir.path() / "cluster.toml";
    std::ofstream(config_path) << net::testing::cluster_toml(kNodes, {"kv"}, sections());
    config = ClusterConfig::load(config_path);
    for (int id = 1; id <= kNodes; ++id) {
      nodes[id] = std::make_unique<NodeProcess>(EYRIE_BINARY, config_path, NodeId{static_cast<std::uint64_t>(id)},
                                                dir.path() / fmt::format("node-{}.out", id));
    }
    net::NodeHostOptions options;  // a stats prober
    options.id = net::random_external_id();
    options.log_level = LogLevel::warn;
    options.stats_probe_interval = 100ms;
    prober = std::make_unique<net::NodeHost>(config, std::move(options));
    prober->start();
    ASSERT_TRUE(prober->run_until([&] { return prober->stats_probe()->latest().size() == kNodes; }, kDeadline))
        << "the nodes did not come up; logs in " << dir.path();
  }

  void TearDown() override { prober.reset(); }

  std::uint64_t commands(int id) const {
    const net::NodeStats* s = prober->stats_probe()->find(NodeId{static_cast<std::uint64_t>(id)});
    return s ? s->counter("ssmr.commands").value_or(0) : 0;
  }

  // Runs `eyrie <args>` to completion; its exit status and output.
  std::pair<std::optional<int>, std::string> run_eyrie(const std::vector<std::string>& args, const std::string& name) {
    const std::filesystem::path out = dir.path() / (name + ".out");
    EyrieProcess process(EYRIE_BINARY, args, out);
    const std::optional<int> status = process.wait_for_exit(kDeadline);
    return {status, read_file(out)};
  }

  std::pair<std::optional<int>, std::string> kv(std::vector<std::string> words) {
    std::vector<std::string> args{"kv", "--config", config_path.string()};
    args.insert(args.end(), words.begin(), words.end());
    return run_eyrie(args, "kv-" + std::to_string(++commands_run_));
  }

  TempDir dir;
  std::filesystem::path config_path;
  ClusterConfig config;
  std::unique_ptr<NodeProcess> nodes[kNodes + 1];
  std::unique_ptr<net::NodeHost> prober;
  int commands_run_ = 0;
};

TEST_F(KvProcessesTest, replicaKilledUnderLoad_clientsKeepWorking_historyIsLinearizable_noAcknowledgedWriteLost) {
  const std::filesystem::path history_path = dir.path() / "history.log";
  EyrieProcess load(EYRIE_BINARY,
                    {"kv", "load", "--config", config_path.string(), "--clients", "4", "--window", "4", "--seconds", "12",
                     "--keys", "64", "--multi-percent", "30", "--history", history_path.string(), "--read-back",
                     "--timeout-ms", "8000", "--seed", "7"},
                    dir.path() / "load.out");
  ASSERT_TRUE(prober->run_until([&] { return commands(kVictim) >= kCommandsBeforeKill; }, kDeadline))
      << "the load did not reach node " << kVictim << "; logs in " << dir.path();

  std::map<int, std::uint64_t> at_kill;
  for (int id = 1; id <= kNodes; ++id) at_kill[id] = commands(id);
  const Time killed_at = prober->env().now();
  nodes[kVictim]->signal(SIGKILL);
  ASSERT_EQ(nodes[kVictim]->wait_for_exit(10s), 128 + SIGKILL);
  ASSERT_TRUE(prober->run_until([&] {
    for (int id = 1; id <= kNodes; ++id) {
      if (id != kVictim && commands(id) < at_kill[id] + kCommandsAfterKill) return false;
    }
    return true;
  }, kDeadline)) << "the surviving replicas stopped executing after node " << kVictim << " was killed; logs in " << dir.path();
  std::printf("node %d killed: every other replica executed %llu more commands %s later\n", kVictim,
              static_cast<unsigned long long>(kCommandsAfterKill), to_string(prober->env().now() - killed_at).c_str());

  ASSERT_EQ(load.wait_for_exit(kDeadline), 0) << read_file(dir.path() / "load.out") << "logs in " << dir.path();
  const std::string summary = read_file(dir.path() / "load.out");
  std::printf("%s", summary.c_str());
  EXPECT_NE(summary.find("\"read_back_unanswered\":0"), std::string::npos) << summary;

  const check::kv::KvHistory history = experiments::read_kv_history(history_path);
  const partition::SsmrConfig ssmr = partition::SsmrConfig::from(config, multicast::RidgeConfig::from(config));
  std::size_t multi_partition = 0;
  std::size_t answered_after_kill = 0;
  for (const check::kv::KvOperation& op : history) {
    std::set<oracle::PartitionId> partitions;
    for (const std::string& key : check::kv::keys_of(op.input)) partitions.insert(ssmr.placement->owner(key));
    multi_partition += partitions.size() > 1;
    answered_after_kill += op.answered() && op.invoked_ns > killed_at.time_since_epoch().count();
  }
  EXPECT_GT(multi_partition, history.size() / 10) << "a share of the commands spans both partitions";
  EXPECT_GT(answered_after_kill, kCommandsAfterKill) << "clients kept getting answers after the kill";
  // The read-backs: the last get of each of the 64 keys, every one answered.
  std::map<std::string, const check::kv::KvOperation*> last_get;
  for (const check::kv::KvOperation& op : history) {
    if (const auto* get = std::get_if<check::kv::Get>(&op.input)) last_get[get->key] = &op;
  }
  EXPECT_EQ(last_get.size(), 64u);
  for (const auto& [key, op] : last_get) EXPECT_TRUE(op->answered()) << "read-back of " << key;

  const check::LinearizabilityReport report = check::check_linearizable(check::kv::KvModel{}, history);
  EXPECT_EQ(report.verdict, check::Verdict::kLinearizable) << report.result().reason() << "; logs in " << dir.path();
  std::printf("%zu operations (%zu multi-partition, %zu answered after the kill): %s, %zu parts, largest %zu\n",
              history.size(), multi_partition, answered_after_kill, check::to_string(report.verdict), report.parts,
              report.largest_part_operations);

  const auto [check_status, check_output] = run_eyrie({"kv", "check", "--history", history_path.string()}, "check");
  EXPECT_EQ(check_status, 0) << check_output;
  EXPECT_NE(check_output.find("\"verdict\":\"linearizable\""), std::string::npos) << check_output;

  for (int id = 1; id <= kNodes; ++id) {
    if (id != kVictim) nodes[id]->signal(SIGTERM);
  }
  for (int id = 1; id <= kNodes; ++id) {
    if (id != kVictim) {
      EXPECT_EQ(nodes[id]->wait_for_exit(10s), 0) << "node " << id << "; logs in " << dir.path();
    }
  }
}

// The tutorial of docs/kv.md, as a user types it.
TEST_F(KvProcessesTest, commandLine_getPutCasTransferPutMany) {
  EXPECT_EQ(kv({"put", "alice", "10"}), std::make_pair(std::optional<int>(0), std::string("ok\n")));
  EXPECT_EQ(kv({"get", "alice"}), std::make_pair(std::optional<int>(0), std::string("10\n")));
  EXPECT_EQ(kv({"get", "nobody"}), std::make_pair(std::optional<int>(0), std::string("(absent)\n")));
  EXPECT_EQ(kv({"cas", "alice", "10", "12"}), std::make_pair(std::optional<int>(0), std::string("ok\n")));
  EXPECT_EQ(kv({"cas", "alice", "10", "13"}), std::make_pair(std::optional<int>(3), std::string("mismatch: alice holds \"12\"\n")));
  EXPECT_EQ(kv({"cas", "carol", "--absent", "1"}), std::make_pair(std::optional<int>(0), std::string("ok\n")));
  EXPECT_EQ(kv({"transfer", "alice", "bob", "5"}), std::make_pair(std::optional<int>(0), std::string("ok\n")));
  EXPECT_EQ(kv({"transfer", "alice", "bob", "50"}), std::make_pair(std::optional<int>(3), std::string("insufficient: alice holds 7\n")));
  EXPECT_EQ(kv({"get", "bob"}), std::make_pair(std::optional<int>(0), std::string("5\n")));
  EXPECT_EQ(kv({"put-many", "x=1", "y=2", "z=3"}), std::make_pair(std::optional<int>(0), std::string("ok\n")));
  EXPECT_EQ(kv({"get", "z"}), std::make_pair(std::optional<int>(0), std::string("3\n")));
  const auto [status, output] = kv({"put", "alice", "oops"});
  EXPECT_EQ(status, 0);
  const auto [failed_status, failed_output] = kv({"transfer", "alice", "bob", "1"});
  EXPECT_EQ(failed_status, 1);
  EXPECT_NE(failed_output.find("the command failed: the value of alice is not a decimal balance"), std::string::npos)
      << failed_output;
}

}  // namespace
}  // namespace eyrie
