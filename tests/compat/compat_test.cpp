// Volery against real ZooKeeper clients (label compat). Each test starts a Volery cluster of
// its own with the `volery` program: `volery init --base-port auto --client-port auto` (2
// partitions x 3 replicas, on-disk acceptors, one gateway unless a test asks for more), then one
// `volery node` process per node (killed and reaped with the test, PR_SET_PDEATHSIG), waits until
// every gateway completes a ZooKeeper handshake, and runs one client:
//
// - Kazoo:   kazoo_compat.py (/usr/bin/python3): basic operations, versions and BadVersion,
//            ephemeral and sequential nodes, data/exists/child watches, multi (success and
//            failure), the Lock, Election, Counter, Barrier and Queue recipes.
// - CClient: zk_c_compat (libzookeeper_mt): create/get/set/delete with versions,
//            get_children, a watcher that must fire, zoo_multi.
// - ZkCli:   zkCli.sh with its commands on stdin, its output checked (one JVM).
// - KillCoordinator: kazoo_kill.py: threads doing set/get on their own paths while node 1 (a
//            replica, and the first coordinator of partition 1's ensemble and of the shared
//            one) is SIGKILLed; the clients keep working; every path's data is its last
//            acknowledged write.
// - GatewayFailover: kazoo_failover.py, 2 gateways: kazoo sessions (connect string: both) doing
//            pipelined set/get rounds on their own paths, each owning an ephemeral node, and a C
//            client session (zk_c_failover) with watches set; the gateway holding most sessions
//            is SIGKILLed. Its sessions move to the other gateway with the same ids (ZooKeeper's
//            session move), their ephemerals stay, the C client's watches, set again by
//            setWatches, fire once for changes made after the kill, and no acknowledged write is
//            lost. The killed gateway died of SIGKILL; every other node stops cleanly on SIGTERM.
//
// Every wait is on a condition with a deadline; a client that runs past its deadline fails its
// test and is killed. A test skips (never fails) only when a client package is missing:
// scripts/install-deps installs them.

#include <gtest/gtest.h>
#include <signal.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <regex>
#include <thread>
#include <vector>

#include "apps/cli/zk_probe.hpp"
#include "apps/volery/gateway/gateway_config.hpp"
#include "runtime/config.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/net/test_cluster.hpp"

namespace eyrie {
namespace {

using namespace std::chrono_literals;
using net::testing::TempDir;
using testing::EyrieProcess;
using testing::NodeProcess;

constexpr auto kStartDeadline = 120s;
const std::filesystem::path kPython = "/usr/bin/python3";
const std::filesystem::path kZkCli = "/usr/share/zookeeper/bin/zkCli.sh";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool python_has_kazoo() {
  return std::filesystem::exists(kPython) && std::system((kPython.string() + " -c 'import kazoo' 2>/dev/null").c_str()) == 0;
}

class VoleryCompat : public ::testing::Test {
 protected:
  // Starts the cluster with `gateways` gateway nodes (after the replicas) and waits until each
  // serves ZooKeeper clients; a fatal test failure when it does not come up.
  void start_cluster(int gateways = 1) {
    config_path = dir.path() / "cluster.toml";
    {
      EyrieProcess init(VOLERY_BINARY,
                        {"init", "--dir", dir.path().string(), "--base-port", "auto", "--client-port", "auto",
                         "--gateways", std::to_string(gateways)},
                        dir.path() / "init.out");
      ASSERT_EQ(init.wait_for_exit(60s), std::optional<int>(0)) << read_file(dir.path() / "init.out");
    }
    const ClusterConfig config = ClusterConfig::load(config_path);
    const volery::VoleryConfig volery = volery::VoleryConfig::from(config);
    ASSERT_EQ(volery.gateways.size(), static_cast<std::size_t>(gateways));
    hosts.clear();
    for (const auto& g : volery.gateways) {
      hosts += fmt::format("{}{}:{}", hosts.empty() ? "" : ",", g.client_host, g.client_port);
      gateway_nodes.push_back(static_cast<int>(g.node.value));
    }
    for (const NodeConfig& node : config.nodes) {
      nodes[static_cast<int>(node.id.value)] = std::make_unique<NodeProcess>(
          VOLERY_BINARY, config_path, node.id, dir.path() / fmt::format("node-{}.out", node.id.value));
    }
    const auto deadline = std::chrono::steady_clock::now() + kStartDeadline;
    for (const auto& g : volery.gateways) {
      while (!cli::zk_handshake(g.client_host, g.client_port, 5s)) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline)
            << "the gateway on node " << g.node.value << " did not serve ZooKeeper clients in time\n"
            << node_logs();
        std::this_thread::sleep_for(200ms);  // polling other processes
      }
    }
  }

  // SIGTERM to every node but `killed`; each must exit 0.
  void expect_clean_stop(int killed) {
    for (auto& [id, node] : nodes) {
      if (id == killed) continue;
      node->signal(SIGTERM);
    }
    for (auto& [id, node] : nodes) {
      if (id == killed) continue;
      EXPECT_EQ(node->wait_for_exit(30s), std::optional<int>(0)) << "node " << id;
    }
  }

  std::string node_logs() const {
    std::string text;
    for (const auto& [id, node] : nodes) {
      const std::string log = read_file(dir.path() / fmt::format("node-{}.out", id));
      text += fmt::format("--- node {} (last 1500 bytes)\n{}\n", id, log.substr(log.size() > 1500 ? log.size() - 1500 : 0));
    }
    return text;
  }

  // Runs `binary args...` to the end (at most `timeout`), its output in <dir>/<name>.out; returns
  // the exit status (or -1 when it ran past `timeout`) and leaves the output in `output`.
  int run_client(const std::string& name, const std::filesystem::path& binary, const std::vector<std::string>& args,
                 std::chrono::seconds timeout) {
    const auto log = dir.path() / (name + ".out");
    const auto started = std::chrono::steady_clock::now();
    EyrieProcess client(binary, args, log);
    const std::optional<int> status = client.wait_for_exit(timeout);
    output = read_file(log);
    std::printf("%s: %s after %.1fs\n", name.c_str(), status ? fmt::format("exit {}", *status).c_str() : "timed out",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return status.value_or(-1);
  }

  TempDir dir;
  std::filesystem::path config_path;
  std::string hosts;               // the connect string: every gateway, in node order
  std::vector<int> gateway_nodes;  // their node ids, in the same order
  std::map<int, std::unique_ptr<NodeProcess>> nodes;
  std::string output;
};

TEST_F(VoleryCompat, Kazoo) {
  if (!python_has_kazoo()) GTEST_SKIP() << "python3-kazoo is not installed (scripts/install-deps installs it)";
  ASSERT_NO_FATAL_FAILURE(start_cluster());
  EXPECT_EQ(run_client("kazoo", kPython, {COMPAT_DIR "/kazoo_compat.py", hosts}, 240s), 0) << output << node_logs();
  EXPECT_NE(output.find("kazoo compat: OK"), std::string::npos) << output;
}

TEST_F(VoleryCompat, CClient) {
  if (std::string(ZK_C_CLIENT).empty()) GTEST_SKIP() << "libzookeeper-mt-dev was missing at configure time";
  ASSERT_NO_FATAL_FAILURE(start_cluster());
  EXPECT_EQ(run_client("c_client", ZK_C_CLIENT, {hosts}, 120s), 0) << output << node_logs();
  EXPECT_NE(output.find("c compat: OK"), std::string::npos) << output;
}

TEST_F(VoleryCompat, ZkCli) {
  if (!std::filesystem::exists(kZkCli) || std::system("command -v java >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "zkCli.sh or java is missing (packages zookeeper, default-jre-headless)";
  }
  ASSERT_NO_FATAL_FAILURE(start_cluster());
  // One JVM: the commands on stdin, as a user would type them.
  EXPECT_EQ(run_client("zkcli", "/bin/sh",
                       {"-c", fmt::format("{} -server {} < {}", kZkCli.string(), hosts, COMPAT_DIR "/zkcli_commands.txt")},
                       240s),
            0)
      << output;
  // What zkCli.sh prints for each command (ZooKeeperMain).
  for (const std::string expected :
       {"Created /compat", "Created /compat/child", "[child]", "hello", "dataVersion = 1", "ephemeralOwner = 0x0",
        "Created /compat/seq-000000000", "[child, seq-000000000", "Node does not exist: /compat/missing",
        "version No is not valid : /compat", "'world,'anyone", "Node not empty: /compat",
        "Node does not exist: /compat/child", "WatchedEvent state:Closed"}) {
    EXPECT_NE(output.find(expected), std::string::npos) << "missing '" << expected << "' in:\n" << output;
  }
}

TEST_F(VoleryCompat, KillCoordinator) {
  if (!python_has_kazoo()) GTEST_SKIP() << "python3-kazoo is not installed (scripts/install-deps installs it)";
  ASSERT_NO_FATAL_FAILURE(start_cluster());
  // Node 1: a replica of partition 1, first coordinator of its ensemble and of the shared one.
  const pid_t victim = nodes.at(1)->pid();
  EXPECT_EQ(run_client("kill", kPython, {COMPAT_DIR "/kazoo_kill.py", hosts, std::to_string(victim)}, 300s), 0)
      << output << node_logs();
  EXPECT_NE(output.find("kill compat: OK"), std::string::npos) << output;
  EXPECT_EQ(nodes.at(1)->wait_for_exit(10s), std::optional<int>(128 + SIGKILL));
  // Every other node is alive and stops cleanly.
  expect_clean_stop(1);
}

TEST_F(VoleryCompat, GatewayFailover) {
  if (!python_has_kazoo()) GTEST_SKIP() << "python3-kazoo is not installed (scripts/install-deps installs it)";
  ASSERT_NO_FATAL_FAILURE(start_cluster(2));
  ASSERT_EQ(gateway_nodes.size(), 2u);
  std::vector<std::string> args = {
      COMPAT_DIR "/kazoo_failover.py", hosts,
      fmt::format("{},{}", nodes.at(gateway_nodes[0])->pid(), nodes.at(gateway_nodes[1])->pid())};
  // Without the C client the script checks the kazoo sessions only (no setWatches).
  if (!std::string(ZK_C_FAILOVER).empty()) args.push_back(ZK_C_FAILOVER);
  EXPECT_EQ(run_client("failover", kPython, args, 300s), 0) << output << node_logs();
  EXPECT_NE(output.find("failover compat: OK"), std::string::npos) << output;
  // What happened (which gateway, how many sessions moved, how fast), for the test's log.
  const std::regex summary("failover compat: [^\n]*");
  for (auto it = std::sregex_iterator(output.begin(), output.end(), summary); it != std::sregex_iterator(); ++it) {
    std::printf("%s\n", it->str().c_str());
  }
  // The script chose the gateway that held most sessions: it died of the SIGKILL, the rest stop
  // cleanly.
  std::smatch match;
  ASSERT_TRUE(std::regex_search(output, match, std::regex("SIGKILL to gateway ([0-9]+)"))) << output;
  int killed = 0;
  for (int id : gateway_nodes) {
    if (std::to_string(nodes.at(id)->pid()) == match[1].str()) killed = id;
  }
  ASSERT_NE(killed, 0) << "no gateway has pid " << match[1].str();
  EXPECT_EQ(nodes.at(killed)->wait_for_exit(10s), std::optional<int>(128 + SIGKILL));
  expect_clean_stop(killed);
}

}  // namespace
}  // namespace eyrie
