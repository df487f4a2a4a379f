// Volery across real processes. Six `eyrie node` processes with the volery role on 127.0.0.1
// (ports chosen at run time): two partitions of three replicas, Ridge's unique timestamps on
// (zxids). Ridge: one ensemble per partition plus the shared one, three on-disk acceptors each,
// on the replica nodes themselves (tests/integration/two_groups.hpp), so that a replica crash is
// also an acceptor and coordinator crash, as it would be in a deployment.
//
// - Under load from `eyrie volery load` (six sessions on two gateways, closed loops of creates,
//   setData, getData, exists and deletes), node 1 — a replica of partition 1, and the coordinator
//   of ensemble 1 and of the shared ensemble — is killed with SIGKILL and stays down. Every other
//   replica keeps executing commands; the load's sessions keep getting answers after the kill;
//   every reply is what the sessions' models expect and the read-back of every path matches its
//   last acknowledged write. In this process, a watch set before the kill (at partition 1) fires
//   after a change made after it, and the ephemeral nodes of a session closed after the kill are
//   gone from both partitions.
// - The command line (`eyrie volery create|get|set|delete|ls|stat|getacl`) does what
//   docs/volery.md says.

#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <memory>

#include "apps/volery/blocking_client.hpp"
#include "runtime/net/node_host.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/integration/two_groups.hpp"
#include "tests/net/test_cluster.hpp"

namespace eyrie {
namespace {

using namespace std::chrono_literals;
using namespace volery;
using net::testing::TempDir;
using testing::EyrieProcess;
using testing::NodeProcess;

constexpr int kNodes = testing::kTwoGroupNodes;
constexpr int kVictim = 1;
constexpr PartitionId kVictimPartition{1};
// Generous: the machine may be busy.
constexpr auto kDeadline = 60s;
constexpr std::uint64_t kCommandsBeforeKill = 1000;
constexpr std::uint64_t kCommandsAfterKill = 500;
constexpr std::int32_t kSessionTimeoutMs = 30'000;

std::string sections() {
  return testing::two_groups_sections(false, true) + "\n[ssmr]\npull_interval_ms = 50\n";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::int64_t system_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The integer after `"key":` in a JSON line, or -1.
std::int64_t json_integer(const std::string& line, const std::string& key) {
  const std::size_t at = line.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::stoll(line.substr(at + key.size() + 3));
}

class VoleryProcessesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_path = dir.path() / "cluster.toml";
    std::ofstream(config_path) << net::testing::cluster_toml(kNodes, {"volery"}, sections());
    cluster = std::make_unique<VoleryCluster>(ClusterConfig::load(config_path));
    for (int id = 1; id <= kNodes; ++id) {
      nodes[id] = std::make_unique<NodeProcess>(EYRIE_BINARY, config_path, NodeId{static_cast<std::uint64_t>(id)},
                                                dir.path() / fmt::format("node-{}.out", id));
    }
    net::NodeHostOptions options;  // a stats prober
    options.id = net::random_external_id();
    options.log_level = LogLevel::warn;
    options.stats_probe_interval = 100ms;
    prober = std::make_unique<net::NodeHost>(cluster->config, std::move(options));
    prober->start();
    ASSERT_TRUE(prober->run_until([&] { return prober->stats_probe()->latest().size() == kNodes; }, kDeadline))
        << "the nodes did not come up; logs in " << dir.path();
  }

  void TearDown() override {
    clients.clear();
    prober.reset();
  }

  BlockingVoleryClient& add_client() {
    clients.push_back(std::make_unique<BlockingVoleryClient>(
        *cluster, BlockingVoleryClientOptions{.client = {}, .wait_limit = kDeadline, .queued_max = 1024,
                                              .log_level = LogLevel::warn}));
    return *clients.back();
  }

  // Waits for `done`, turning the prober's loop and every client's in turn (the clients' loops
  // must turn to renew their sessions).
  bool wait_until(const std::function<bool()>& done, Duration limit = kDeadline) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= until) return false;
      prober->run_until(done, 50ms);
      for (auto& c : clients) c->run_until(done, 10ms);
    }
    return true;
  }

  SessionId open(BlockingVoleryClient& client) {
    const Reply r = client.open_session(kSessionTimeoutMs);
    EXPECT_EQ(r.result.code, Code::ok) << to_string(r.result.code);
    return r.result.session;
  }

  // A path under `parent` named `stem`<i>, with the first i whose node partition 1 owns (or not).
  std::string path_in(std::string_view parent, std::string_view stem, bool in_victim_partition) const {
    for (int i = 0;; ++i) {
      std::string path = fmt::format("{}/{}{}", parent == "/" ? "" : parent, stem, i);
      if ((cluster->oracle->placement().owner_of_path(path) == kVictimPartition) == in_victim_partition) return path;
    }
  }

  std::uint64_t commands(int id) const {
    const net::NodeStats* s = prober->stats_probe()->find(NodeId{static_cast<std::uint64_t>(id)});
    return s ? s->counter("ssmr.commands").value_or(0) : 0;
  }

  // Runs `eyrie volery <words>` to completion; its exit status and output.
  std::pair<std::optional<int>, std::string> volery(std::vector<std::string> words) {
    std::vector<std::string> args{"volery", "--config", config_path.string()};
    args.insert(args.end(), words.begin(), words.end());
    const std::filesystem::path out = dir.path() / fmt::format("volery-{}.out", ++commands_run_);
    EyrieProcess process(EYRIE_BINARY, args, out);
    const std::optional<int> status = process.wait_for_exit(kDeadline);
    return {status, read_file(out)};
  }

  void stop_nodes(int except) {
    for (int id = 1; id <= kNodes; ++id) {
      if (id != except) nodes[id]->signal(SIGTERM);
    }
    for (int id = 1; id <= kNodes; ++id) {
      if (id != except) {
        EXPECT_EQ(nodes[id]->wait_for_exit(10s), 0) << "node " << id << "; logs in " << dir.path();
      }
    }
  }

  TempDir dir;
  std::filesystem::path config_path;
  std::unique_ptr<VoleryCluster> cluster;
  std::unique_ptr<NodeProcess> nodes[kNodes + 1];
  std::unique_ptr<net::NodeHost> prober;
  std::vector<std::unique_ptr<BlockingVoleryClient>> clients;
  int commands_run_ = 0;
};

TEST_F(VoleryProcessesTest, replicaKilledUnderLoad_sessionsKeepWorking_noAcknowledgedWriteLost_watchesAndEphemerals) {
  // Before the kill: a watcher's session watches a node of partition 1 (data) and an absent
  // one (creation); an owner's session, on another gateway, holds ephemerals in both partitions.
  BlockingVoleryClient& watcher_client = add_client();
  BlockingVoleryClient& owner_client = add_client();
  const SessionId watcher = open(watcher_client);
  const SessionId owner = open(owner_client);
  const std::string watched = path_in("/", "watched", true);
  const std::string later = path_in("/", "later", true);
  ASSERT_EQ(watcher_client.call(watcher, Create{watched, "before", open_acl()}).result.code, Code::ok);
  ASSERT_EQ(watcher_client.call(watcher, GetData{watched, true}).result.code, Code::ok);
  ASSERT_EQ(watcher_client.call(watcher, Exists{later, true}).result.code, Code::no_node);
  ASSERT_EQ(owner_client.call(owner, Create{"/e", "", open_acl()}).result.code, Code::ok);
  std::vector<std::string> ephemerals{path_in("/e", "in-p1-", true), path_in("/e", "in-p2-", false),
                                      path_in("/", "top-", true), path_in("/", "top-", false)};
  for (const std::string& path : ephemerals) {
    ASSERT_EQ(owner_client.call(owner, Create{path, "", open_acl(), CreateMode::ephemeral}).result.code, Code::ok) << path;
  }
  const Reply sequential = owner_client.call(owner, Create{"/e/lock-", "", open_acl(), CreateMode::ephemeral_sequential});
  ASSERT_EQ(sequential.result.code, Code::ok);
  ephemerals.push_back(sequential.result.path);
  EXPECT_EQ(watcher_client.call(watcher, GetChildren{"/e"}).result.children.size(), 3u);

  const std::filesystem::path out_path = dir.path() / "load.jsonl";
  EyrieProcess load(EYRIE_BINARY,
                    {"volery", "load", "--config", config_path.string(), "--clients", "6", "--gateways", "2",
                     "--seconds", "12", "--keys", "48", "--out", out_path.string(), "--timeout-ms", "20000",
                     "--session-timeout-ms", "30000", "--seed", "7"},
                    dir.path() / "load.out");
  ASSERT_TRUE(wait_until([&] { return commands(kVictim) >= kCommandsBeforeKill; }))
      << "the load did not reach node " << kVictim << "; logs in " << dir.path();

  std::map<int, std::uint64_t> at_kill;
  for (int id = 1; id <= kNodes; ++id) at_kill[id] = commands(id);
  const Time killed_at = prober->env().now();
  const std::int64_t killed_ns = system_ns();
  nodes[kVictim]->signal(SIGKILL);
  ASSERT_EQ(nodes[kVictim]->wait_for_exit(10s), 128 + SIGKILL);

  // After the kill: a change fires each watch, and the owner's session closes.
  ASSERT_EQ(owner_client.call(owner, SetData{watched, "after"}).result.code, Code::ok);
  ASSERT_EQ(owner_client.call(owner, Create{later, "", open_acl()}).result.code, Code::ok);
  std::vector<WatchEvent> events;
  ASSERT_TRUE(wait_until([&] {
    for (WatchEvent& e : watcher_client.take_events()) events.push_back(std::move(e));
    return events.size() >= 2;
  })) << "the watches set before the kill did not fire; logs in " << dir.path();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::node_data_changed);
  EXPECT_EQ(events[0].path, watched);
  EXPECT_EQ(events[1].type, EventType::node_created);
  EXPECT_EQ(events[1].path, later);
  EXPECT_EQ(watcher_client.call(watcher, GetData{watched}).result.data, "after");
  ASSERT_EQ(owner_client.close_session(owner).result.code, Code::ok);
  for (const std::string& path : ephemerals) {
    EXPECT_EQ(watcher_client.call(watcher, Exists{path}).result.code, Code::no_node) << path;
  }
  const Reply children = watcher_client.call(watcher, GetChildren{"/e"});
  EXPECT_EQ(children.result.code, Code::ok);
  EXPECT_TRUE(children.result.children.empty());

  ASSERT_TRUE(wait_until([&] {
    for (int id = 1; id <= kNodes; ++id) {
      if (id != kVictim && commands(id) < at_kill[id] + kCommandsAfterKill) return false;
    }
    return true;
  })) << "the surviving replicas stopped executing after node " << kVictim << " was killed; logs in " << dir.path();
  std::printf("node %d killed: every other replica executed %llu more commands %s later\n", kVictim,
              static_cast<unsigned long long>(kCommandsAfterKill), to_string(prober->env().now() - killed_at).c_str());

  std::optional<int> load_status;
  ASSERT_TRUE(wait_until([&] {
    if (!load_status) load_status = load.wait_for_exit(0ms);  // reaps it once: the status must be kept
    return load_status.has_value();
  }))
      << "the load did not end: " << read_file(dir.path() / "load.out") << "logs in " << dir.path();
  const std::string summary = read_file(dir.path() / "load.out");
  std::printf("%s", summary.c_str());
  EXPECT_EQ(load_status, 0) << summary << "logs in " << dir.path();
  EXPECT_EQ(json_integer(summary, "unexpected"), 0) << summary;
  EXPECT_EQ(json_integer(summary, "sessions_lost"), 0) << summary;
  EXPECT_EQ(json_integer(summary, "read_back_paths"), 48) << summary;
  EXPECT_EQ(json_integer(summary, "read_back_mismatches"), 0) << summary;
  EXPECT_EQ(json_integer(summary, "read_back_unanswered"), 0) << summary;

  // The load's sessions kept getting writes acknowledged after the kill.
  std::ifstream out(out_path);
  std::size_t writes = 0;
  std::size_t writes_after_kill = 0;
  std::size_t read_backs_ok = 0;
  for (std::string line; std::getline(out, line);) {
    if (line.starts_with("{\"write\":")) {
      ++writes;
      writes_after_kill += json_integer(line, "acknowledged_ns") > killed_ns;
    }
    read_backs_ok += line.starts_with("{\"read_back\":") && line.find("\"verdict\":\"ok\"") != std::string::npos;
  }
  EXPECT_EQ(static_cast<std::int64_t>(writes), json_integer(summary, "writes_acknowledged"));
  EXPECT_GT(writes_after_kill, 100u) << "the load's sessions kept getting answers after the kill";
  EXPECT_EQ(read_backs_ok, 48u);
  std::printf("%zu acknowledged writes, %zu after the kill\n", writes, writes_after_kill);

  EXPECT_EQ(watcher_client.close_session(watcher).result.code, Code::ok);
  stop_nodes(kVictim);
}

// The examples of docs/volery.md ("Running Volery"), as a user types them.
TEST_F(VoleryProcessesTest, commandLine_createGetSetLsStatGetaclDelete) {
  using Outcome = std::pair<std::optional<int>, std::string>;
  const auto ok = [](std::string out) { return Outcome{0, std::move(out)}; };
  EXPECT_EQ(volery({"create", "/app", "config"}), ok("Created /app\n"));
  EXPECT_EQ(volery({"create", "/app/job-", "--sequential"}), ok("Created /app/job-0000000000\n"));
  EXPECT_EQ(volery({"get", "/app"}), ok("config\n"));
  EXPECT_EQ(volery({"set", "/app", "v2", "--version", "0"}), ok(""));
  EXPECT_EQ(volery({"set", "/app", "v3", "--version", "0"}), Outcome(1, "BadVersion: /app\n"));
  EXPECT_EQ(volery({"get", "/app"}), ok("v2\n"));
  EXPECT_EQ(volery({"ls", "/app"}), ok("[job-0000000000]\n"));
  EXPECT_EQ(volery({"create", "/app/session-node", "--ephemeral"}), ok("Created /app/session-node\n"));
  EXPECT_EQ(volery({"ls", "/app"}), ok("[job-0000000000]\n")) << "the ephemeral node went with its session";
  EXPECT_EQ(volery({"getacl", "/app"}), ok("'world,'anyone\n: cdrwa\n"));
  const auto [stat_status, stat] = volery({"stat", "/app"});
  EXPECT_EQ(stat_status, 0);
  EXPECT_NE(stat.find("dataVersion = 1\n"), std::string::npos) << stat;
  EXPECT_NE(stat.find("cversion = 3\n"), std::string::npos) << stat;
  EXPECT_NE(stat.find("numChildren = 1\n"), std::string::npos) << stat;
  EXPECT_NE(stat.find("ephemeralOwner = 0x0\n"), std::string::npos) << stat;
  EXPECT_EQ(volery({"delete", "/app"}), Outcome(1, "NotEmpty: /app\n"));
  EXPECT_EQ(volery({"delete", "/app/job-0000000000"}), ok(""));
  EXPECT_EQ(volery({"delete", "/app", "--version", "5"}), Outcome(1, "BadVersion: /app\n"));
  EXPECT_EQ(volery({"delete", "/app"}), ok(""));
  EXPECT_EQ(volery({"get", "/app"}), Outcome(1, "NoNode: /app\n"));
  EXPECT_EQ(volery({"create", "/a/b"}), Outcome(1, "NoNode: /a/b\n"));
  EXPECT_EQ(volery({"ls", "/"}), ok("[zookeeper]\n"));
  const auto [usage_status, usage] = volery({"get", "no-slash"});
  EXPECT_EQ(usage_status, 2);
  EXPECT_NE(usage.find("get: "), std::string::npos) << usage;
  stop_nodes(0);
}

}  // namespace
}  // namespace eyrie
