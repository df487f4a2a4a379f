#pragma once
// The cluster of one `eyrie bench` configuration (multicast_bench.cpp, kv_bench.cpp): its
// cluster file, its node processes, and reading their metrics through the stats probe.
//
// Shape: nodes 1-3 are the acceptors and coordinator candidates of every Ridge ensemble (one per
// group, plus the shared one with two groups or more), each ensemble starting its candidate
// list and Phase 2 chain on another of them; nodes 4.. are the learners, `learners` per group,
// group by group. Every node is a forked child of the bench process.

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/config.hpp"
#include "runtime/env.hpp"
#include "runtime/net/node_host.hpp"

namespace eyrie::cli {

inline constexpr int kBenchAcceptors = 3;

struct BenchClusterShape {
  int groups = 1;
  int learners = 3;                      // per group
  std::string acceptor_role = "ridge";   // of nodes 1-3
  std::string learner_role = "ridge";    // of nodes 4..
  std::vector<std::string> ridge_lines;  // "key = value" lines of [ridge]
  std::string extra;                     // more sections, verbatim
};

// The cluster file; ports are chosen now; node data lives under `data_dir`.
std::string bench_cluster_toml(const BenchClusterShape& shape, const std::filesystem::path& data_dir);

// The node processes of one configuration, each running the roles `make_roles` gives it (as
// `eyrie node` would), its log lines appended to dir/node-N.log; killed and reaped on
// destruction. Fork before this process holds a ZeroMQ context.
class NodeChildren {
 public:
  using MakeRoles = std::function<std::vector<std::unique_ptr<Role>>(Env& env, const NodeConfig& node)>;
  NodeChildren(const ClusterConfig& config, const std::filesystem::path& dir, const MakeRoles& make_roles);
  ~NodeChildren();
  NodeChildren(const NodeChildren&) = delete;
  NodeChildren& operator=(const NodeChildren&) = delete;

 private:
  std::vector<pid_t> pids_;
};

// Asks `nodes` for their metrics now (host must have a stats probe) and waits for all the
// answers; throws std::runtime_error after `deadline`.
std::map<NodeId, net::NodeStats> probe_stats(net::NodeHost& host, const std::vector<NodeId>& nodes, Duration deadline);

// The median of the nodes' p50 and the largest of their p99 for one histogram; nullopt where
// no node recorded a sample.
struct LatencyFigures {
  std::optional<double> p50_us;
  std::optional<double> p99_us;
};
LatencyFigures latency_across(const std::map<NodeId, net::NodeStats>& stats, std::string_view histogram);

}  // namespace eyrie::cli
