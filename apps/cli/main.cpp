// eyrie: the one program of the project. `eyrie --help` lists the subcommands.

#include <string_view>

#include "apps/cli/commands.hpp"
#include "apps/cli/program.hpp"

namespace {

constexpr std::string_view kUsage = R"(usage: eyrie <command> [options]

Eyrie: scalable, partitioned state machine replication.

commands:
  node      run one node of a cluster file (eyrie node --config F --id N)
  cluster   start, stop and watch all local nodes of a cluster file (init|up|down|status)
  sim       run a scenario in the deterministic simulator (--seed N, or --seeds A..B)
  multicast load a Ridge cluster from outside, and check the logs of a run (load|check)
  kv        commands of the kv service (get|put|cas|transfer|put-many), its load and checker (load|check)
  volery    ZooKeeper operations on Volery (create|get|set|delete|ls|stat|getacl), and its load (load)
  bench     benchmarks that print JSON lines (transport, multicast, kv)
  version   print the version

Run `eyrie <command> --help` for the options of a command.
)";

constexpr eyrie::cli::Command kCommands[] = {
    {"node", eyrie::cli::node_command},           {"cluster", eyrie::cli::cluster_command},
    {"sim", eyrie::cli::sim_command},             {"bench", eyrie::cli::bench_command},
    {"multicast", eyrie::cli::multicast_command}, {"kv", eyrie::cli::kv_command},
    {"volery", eyrie::cli::volery_command},
};

}  // namespace

int main(int argc, char** argv) { return eyrie::cli::run_program("eyrie", kUsage, kCommands, argc, argv); }
