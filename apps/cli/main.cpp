// eyrie: the one program of the project. `eyrie --help` lists the subcommands.

#include <cstdio>
#include <cstring>
#include <exception>
#include <span>
#include <string_view>

#include "apps/cli/commands.hpp"
#include "apps/cli/version.hpp"

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

void print_usage(std::FILE* out) { std::fwrite(kUsage.data(), 1, kUsage.size(), out); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string_view command = argv[1];
  const std::span<char* const> rest(argv + 2, static_cast<std::size_t>(argc - 2));
  try {
    if (command == "node") return eyrie::cli::node_command(rest);
    if (command == "cluster") return eyrie::cli::cluster_command(rest);
    if (command == "sim") return eyrie::cli::sim_command(rest);
    if (command == "bench") return eyrie::cli::bench_command(rest);
    if (command == "multicast") return eyrie::cli::multicast_command(rest);
    if (command == "kv") return eyrie::cli::kv_command(rest);
    if (command == "volery") return eyrie::cli::volery_command(rest);
    if (command == "version" || command == "--version") {
      std::printf("eyrie %s\n", eyrie::cli::kVersion);
      return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
      print_usage(stdout);
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eyrie %s: %s\n", argv[1], e.what());
    return 1;
  }
  std::fprintf(stderr, "eyrie: unknown command '%s'\n\n", argv[1]);
  print_usage(stderr);
  return 2;
}
