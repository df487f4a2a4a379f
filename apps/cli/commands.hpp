#pragma once
// Subcommands of the `eyrie` program. Each takes the arguments after its own name and returns
// the process exit status; each answers --help.

#include <memory>
#include <span>
#include <string>

namespace eyrie::volery {
struct VoleryCluster;
}

namespace eyrie::cli {

int node_command(std::span<char* const> args);     // cmd_node.cpp
int cluster_command(std::span<char* const> args);  // cmd_cluster.cpp
int sim_command(std::span<char* const> args);      // cmd_sim.cpp
int bench_command(std::span<char* const> args);    // cmd_bench.cpp
int multicast_command(std::span<char* const> args);  // cmd_multicast.cpp
int kv_command(std::span<char* const> args);         // cmd_kv.cpp
int kv_load_command(std::span<char* const> args);    // cmd_kv_load.cpp: `eyrie kv load`
int kv_check_command(std::span<char* const> args);   // cmd_kv_load.cpp: `eyrie kv check`
int volery_command(std::span<char* const> args);       // cmd_volery.cpp
int volery_load_command(std::span<char* const> args);  // cmd_volery_load.cpp: `eyrie volery load`

// The `volery` program's own commands (cmd_volery_cluster.cpp).
int volery_init_command(std::span<char* const> args);
int volery_start_command(std::span<char* const> args);
int volery_stop_command(std::span<char* const> args);
int volery_status_command(std::span<char* const> args);

// Loads and validates the cluster file of a cluster of volery nodes; nullptr after printing
// why (exit status 2). cmd_volery.cpp.
std::unique_ptr<const volery::VoleryCluster> load_volery_cluster(const std::string& path);

}  // namespace eyrie::cli
