#pragma once
// Subcommands of the `eyrie` program. Each takes the arguments after its own name and returns
// the process exit status; each answers --help.

#include <span>

namespace eyrie::cli {

int node_command(std::span<char* const> args);     // cmd_node.cpp
int cluster_command(std::span<char* const> args);  // cmd_cluster.cpp
int sim_command(std::span<char* const> args);      // cmd_sim.cpp
int bench_command(std::span<char* const> args);    // cmd_bench.cpp
int multicast_command(std::span<char* const> args);  // cmd_multicast.cpp
int kv_command(std::span<char* const> args);         // cmd_kv.cpp
int kv_load_command(std::span<char* const> args);    // cmd_kv_load.cpp: `eyrie kv load`
int kv_check_command(std::span<char* const> args);   // cmd_kv_load.cpp: `eyrie kv check`

}  // namespace eyrie::cli
