// volery: Volery's own program, a ZooKeeper-compatible service on Eyrie (docs/volery.md).
// `volery --help` lists the commands; the nodes it starts run `volery node`.

#include <cstdio>
#include <cstring>
#include <exception>
#include <span>
#include <string_view>

#include "apps/cli/commands.hpp"
#include "apps/cli/version.hpp"

namespace {

constexpr std::string_view kUsage = R"(usage: volery <command> [options]

Volery: a ZooKeeper-compatible service over Eyrie's partitioned state machine replication.
ZooKeeper clients (zkCli.sh, kazoo, Curator, libzookeeper) connect to a gateway's client port.

commands:
  init      write a cluster file: partitions of replicas, Ridge ensembles, gateways
            (volery init --dir D [--partitions 2] [--replicas 3] [--gateways 1] [--client-port 2181|auto]
                                 [--base-port 7101|auto])
  start     start every local node of a cluster file, wait until the gateways serve ZooKeeper
            clients, print the connect strings (volery start --config F)
  stop      stop them (volery stop --config F)
  status    one status line, and a ZooKeeper handshake with every gateway (volery status --config F)
  node      run one node of a cluster file in the foreground (volery node --config F --id N)
  create, get, set, delete, ls, stat, getacl
            one ZooKeeper operation in a session of its own (volery get --config F /path); these
            and load take the options of `eyrie volery`, whose --help describes them
  load      closed-loop load from several sessions (volery load --config F ...)
  version   print the version

Run `volery <command> --help` for the options of a command.
)";

void print_usage(std::FILE* out) { std::fwrite(kUsage.data(), 1, kUsage.size(), out); }

bool is_operation(std::string_view command) {
  for (std::string_view op : {"create", "get", "set", "delete", "ls", "stat", "getacl", "load"}) {
    if (command == op) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string_view command = argv[1];
  const std::span<char* const> rest(argv + 2, static_cast<std::size_t>(argc - 2));
  try {
    if (command == "init") return eyrie::cli::volery_init_command(rest);
    if (command == "start") return eyrie::cli::volery_start_command(rest);
    if (command == "stop") return eyrie::cli::volery_stop_command(rest);
    if (command == "status") return eyrie::cli::volery_status_command(rest);
    if (command == "node") return eyrie::cli::node_command(rest);
    // The operations are `eyrie volery`'s: it takes the operation among its own arguments.
    if (is_operation(command)) return eyrie::cli::volery_command(std::span<char* const>(argv + 1, argc - 1));
    if (command == "version" || command == "--version") {
      std::printf("volery %s\n", eyrie::cli::kVersion);
      return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
      print_usage(stdout);
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "volery %s: %s\n", argv[1], e.what());
    return 1;
  }
  std::fprintf(stderr, "volery: unknown command '%s'\n\n", argv[1]);
  print_usage(stderr);
  return 2;
}
