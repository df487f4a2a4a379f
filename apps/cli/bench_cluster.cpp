#include "apps/cli/bench_cluster.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "apps/cli/bench_support.hpp"
#include "runtime/net/local_host.hpp"

namespace eyrie::cli {

std::string bench_cluster_toml(const BenchClusterShape& shape, const std::filesystem::path& data_dir) {
  const int nodes = kBenchAcceptors + shape.groups * shape.learners;
  const std::vector<std::uint16_t> ports = net::pick_free_ports("127.0.0.1", static_cast<std::size_t>(nodes));
  std::string text = fmt::format("[cluster]\nname = \"bench\"\ndata_dir = \"{}\"\nlog_level = \"warn\"\n", data_dir.string());
  for (int id = 1; id <= nodes; ++id) {
    text += fmt::format("\n[[nodes]]\nid = {}\nhost = \"127.0.0.1\"\nport = {}\nroles = [\"{}\"]\n", id,
                        ports[static_cast<std::size_t>(id - 1)], id <= kBenchAcceptors ? shape.acceptor_role : shape.learner_role);
  }
  text += "\n[ridge]\n";
  for (const std::string& line : shape.ridge_lines) text += line + "\n";
  for (int g = 1; g <= shape.groups; ++g) {
    std::string members;
    for (int i = 0; i < shape.learners; ++i) {
      members += fmt::format("{}{}", i ? ", " : "", kBenchAcceptors + (g - 1) * shape.learners + i + 1);
    }
    text += fmt::format("\n[[ridge.groups]]\nid = {}\nlearners = [{}]\n", g, members);
  }
  const auto rotated = [](int first) {
    return fmt::format("[{}, {}, {}]", first % kBenchAcceptors + 1, (first + 1) % kBenchAcceptors + 1,
                       (first + 2) % kBenchAcceptors + 1);
  };
  const int ensembles = shape.groups > 1 ? shape.groups + 1 : 1;
  for (int e = 1; e <= ensembles; ++e) {
    const std::string group = e <= shape.groups ? fmt::format("group = {}\n", e) : "";
    text += fmt::format("\n[[ridge.ensembles]]\nid = {}\n{}coordinators = {}\nacceptors = {}\n", e, group, rotated(e - 1),
                        rotated(e - 1));
  }
  return text + shape.extra;
}

NodeChildren::NodeChildren(const ClusterConfig& config, const std::filesystem::path& dir, const MakeRoles& make_roles) {
  for (const NodeConfig& node : config.nodes) {
    const std::filesystem::path log = dir / fmt::format("node-{}.log", node.id.value);
    pids_.push_back(spawn_child([&config, &node, &make_roles, log] {
      std::freopen(log.c_str(), "a", stderr);  // the node's log lines, kept out of the bench's output
      net::NodeHostOptions options;
      options.id = node.id;
      options.log_level = LogLevel::warn;
      options.make_roles = [&node, &make_roles](Env& env) { return make_roles(env, node); };
      net::NodeHost host(config, std::move(options));
      host.start();
      host.run_until_stop_signal();
    }));
  }
}

NodeChildren::~NodeChildren() {
  for (pid_t pid : pids_) reap_child(pid);
}

std::map<NodeId, net::NodeStats> probe_stats(net::NodeHost& host, const std::vector<NodeId>& nodes, Duration deadline) {
  net::StatsProbe& probe = *host.stats_probe();
  std::map<NodeId, std::uint64_t> seen;
  for (NodeId id : nodes) seen[id] = probe.find(id) ? probe.find(id)->responses : 0;
  probe.probe_now();
  const bool answered = host.run_until([&] {
    for (const auto& [id, responses] : seen) {
      if (!probe.find(id) || probe.find(id)->responses <= responses) return false;
    }
    return true;
  }, deadline);
  if (!answered) throw std::runtime_error("a node did not answer the stats probe");
  std::map<NodeId, net::NodeStats> out;
  for (NodeId id : nodes) out[id] = *probe.find(id);
  return out;
}

LatencyFigures latency_across(const std::map<NodeId, net::NodeStats>& stats, std::string_view histogram) {
  std::vector<std::int64_t> p50s;
  std::int64_t p99 = 0;
  for (const auto& [id, s] : stats) {
    const auto h = s.histogram(histogram);
    if (!h || h->count == 0) continue;
    p50s.push_back(h->p50);
    p99 = std::max(p99, h->p99);
  }
  if (p50s.empty()) return {};
  std::sort(p50s.begin(), p50s.end());
  return LatencyFigures{static_cast<double>(p50s[p50s.size() / 2]), static_cast<double>(p99)};
}

}  // namespace eyrie::cli
