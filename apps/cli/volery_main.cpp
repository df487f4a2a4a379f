// volery: Volery's own program, a ZooKeeper-compatible service on Eyrie (docs/volery.md).
// `volery --help` lists the commands; the nodes it starts run `volery node`.

#include <string_view>

#include "apps/cli/commands.hpp"
#include "apps/cli/program.hpp"

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
            one ZooKeeper operation in a session of its own (volery get --config F /path;
            `volery get --help` lists the options)
  load      closed-loop load from several sessions (volery load --config F ...; --help)
  version   print the version

Run `volery <command> --help` for the options of a command.
)";

using eyrie::cli::Command;

// The operations are `eyrie volery`'s: it takes the operation among its own arguments.
constexpr Command kCommands[] = {
    {"init", eyrie::cli::volery_init_command},
    {"start", eyrie::cli::volery_start_command},
    {"stop", eyrie::cli::volery_stop_command},
    {"status", eyrie::cli::volery_status_command},
    {"node", eyrie::cli::node_command},
    {"create", eyrie::cli::volery_command, true},
    {"get", eyrie::cli::volery_command, true},
    {"set", eyrie::cli::volery_command, true},
    {"delete", eyrie::cli::volery_command, true},
    {"ls", eyrie::cli::volery_command, true},
    {"stat", eyrie::cli::volery_command, true},
    {"getacl", eyrie::cli::volery_command, true},
    {"load", eyrie::cli::volery_command, true},
};

}  // namespace

int main(int argc, char** argv) { return eyrie::cli::run_program("volery", kUsage, kCommands, argc, argv); }
