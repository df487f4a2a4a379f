#pragma once
// Starting and stopping the local nodes of a cluster file as background processes, for
// `eyrie cluster up|down`. Each node's files live in its node directory
// (ClusterConfig::node_dir): node.pid while it runs, node.log for its output.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "runtime/config.hpp"
#include "runtime/net/local_host.hpp"

namespace eyrie::cli {

struct NodeProcess {
  NodeId id;
  std::filesystem::path pid_file;
  std::filesystem::path log_file;
  std::optional<pid_t> pid;  // a live `eyrie node` process for this node, if any
};

// The recorded process of `node`, with `pid` set only when it is alive and still an eyrie node
// of this cluster file (a stale pid file or a reused pid is not mistaken for it).
NodeProcess find_node_process(const ClusterConfig& config, const NodeConfig& node);

// Starts `eyrie node --config <config_path> --id <id>` detached from the terminal (own session),
// output appended to the node's log file; writes the pid file. Returns the pid.
pid_t spawn_node(const std::filesystem::path& eyrie_binary, const std::filesystem::path& config_path,
                 const ClusterConfig& config, const NodeConfig& node);

// SIGTERM, then SIGKILL after `grace`; true when the process is gone.
bool stop_process(pid_t pid, std::chrono::milliseconds grace);

bool process_alive(pid_t pid);

// The last `lines` lines of a file (for reporting why a node did not start).
std::string tail_file(const std::filesystem::path& path, std::size_t lines);

}  // namespace eyrie::cli
