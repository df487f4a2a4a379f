// `eyrie volery`: Volery (apps/volery, docs/volery.md) from the command line: one ZooKeeper
// operation in a session of its own, and a load generator (cmd_volery_load.cpp).
//
//   eyrie volery --config F create PATH [DATA] [--ephemeral] [--sequential] [--container]
//                         | get PATH | set PATH DATA [--version N] | delete PATH [--version N]
//                         | ls PATH | stat PATH | getacl PATH
//   eyrie volery load --config F [--clients N --seconds S --out FILE ...]
//
// Output follows ZooKeeper's zkCli.sh ("Created /a", "[a, b]", "cZxid = 0x..."); a ZooKeeper
// error prints its code's name (NoNode, NodeExists, BadVersion, ...) on stderr.
// Exit status: 0 done, 1 a ZooKeeper error (ConnectionLoss when no reply came in time),
// 2 bad usage or cluster file.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <ctime>
#include <string>
#include <vector>

#include "apps/cli/commands.hpp"
#include "apps/cli/options.hpp"
#include "apps/cli/program.hpp"
#include "apps/cli/roles.hpp"
#include "apps/volery/blocking_client.hpp"
#include "apps/volery/path.hpp"

namespace eyrie::cli {

namespace {

namespace po = boost::program_options;
using namespace volery;

constexpr std::int32_t kSessionTimeoutMs = 10'000;  // the session lives only as long as the command

// {0}: what the command goes by (invoked_as(): "eyrie volery", or "volery").
constexpr std::string_view kUsageFormat = R"usage(usage: {0} <command> [arguments] --config FILE [--timeout-ms MS]
       {0} load --config FILE [options]

Runs ZooKeeper operations against a cluster of `volery` nodes (docs/volery.md). Each command
opens a session, runs one operation, prints its result as zkCli.sh does, and closes the
session (so an ephemeral node it creates is gone when it ends).

commands:
  create PATH [DATA] [--ephemeral] [--sequential] [--container]
                             create a node with an open ACL; prints "Created NAME"
  get PATH                   print the node's data
  set PATH DATA [--version N]
                             replace the data (only at version N, when given)
  delete PATH [--version N]  delete a node without children (only at version N, when given)
  ls PATH                    print the children, as [a, b]
  stat PATH                  print the node's Stat
  getacl PATH                print the node's ACL
  load                       closed-loop load from several sessions, every acknowledged write
                             read back at the end (`{0} load --help`)

Exit status: 0 done, 1 a ZooKeeper error, its code on stderr (NoNode, NodeExists, BadVersion,
NotEmpty, ...; ConnectionLoss when no reply came within --timeout-ms), 2 bad usage.
A negative --version is written --version=-1.
)usage";

std::string usage() { return fmt::format(kUsageFormat, invoked_as()); }

int fail(int status, std::string_view message) {
  std::fprintf(stderr, "%s: %s\n", invoked_as().c_str(), std::string(message).c_str());
  return status;
}

struct Flags {
  bool ephemeral = false;
  bool sequential = false;
  bool container = false;
  std::optional<std::int32_t> version;
};

// The operation that `words` (the command and its arguments) describe, or a usage error.
struct ParsedOp {
  std::optional<Op> op;
  std::string error;
};

ParsedOp parse_op(const std::vector<std::string>& words, const Flags& flags) {
  const auto error = [](std::string message) { return ParsedOp{std::nullopt, std::move(message)}; };
  const std::string& command = words.front();
  const std::size_t args = words.size() - 1;
  if (command == "load") return error(fmt::format("`load` comes first: {} load --config FILE ...", invoked_as()));
  static const std::vector<std::string> kCommands{"create", "get", "set", "delete", "ls", "stat", "getacl"};
  if (std::find(kCommands.begin(), kCommands.end(), command) == kCommands.end()) {
    return error(fmt::format("unknown volery command '{}' (create, get, set, delete, ls, stat, getacl, load)", command));
  }
  const bool creates = command == "create";
  if (!creates && (flags.ephemeral || flags.sequential || flags.container)) {
    return error("--ephemeral, --sequential and --container go with create only");
  }
  if (flags.version && command != "set" && command != "delete") return error("--version goes with set and delete only");
  const std::size_t min = command == "set" ? 2 : 1;
  const std::size_t max = creates || command == "set" ? 2 : 1;
  if (args < min || args > max) {
    const char* shape = creates ? "PATH [DATA]" : command == "set" ? "PATH DATA" : "PATH";
    return error(fmt::format("{}: expected {}", command, shape));
  }
  const std::string& path = words[1];
  if (const auto why = path_error(path, creates && flags.sequential)) return error(fmt::format("{}: {}", command, *why));
  const std::string data = args == 2 ? words[2] : std::string();
  if (data.size() > limits::data_bytes_max) return error(fmt::format("{}: DATA has more than {} bytes", command, limits::data_bytes_max));
  const std::int32_t version = flags.version.value_or(kAnyVersion);
  if (creates) {
    if (flags.container && (flags.ephemeral || flags.sequential)) {
      return error("create: --container goes with neither --ephemeral nor --sequential");
    }
    CreateMode mode = CreateMode::persistent;
    if (flags.container) mode = CreateMode::container;
    if (flags.ephemeral) mode = flags.sequential ? CreateMode::ephemeral_sequential : CreateMode::ephemeral;
    if (!flags.ephemeral && flags.sequential) mode = CreateMode::persistent_sequential;
    return ParsedOp{Create{path, data, open_acl(), mode}, {}};
  }
  if (command == "get") return ParsedOp{GetData{path, false}, {}};
  if (command == "set") return ParsedOp{SetData{path, data, version}, {}};
  if (command == "delete") return ParsedOp{Delete{path, version}, {}};
  if (command == "ls") return ParsedOp{GetChildren{path, false}, {}};
  if (command == "stat") return ParsedOp{Exists{path, false}, {}};
  return ParsedOp{GetAcl{path}, {}};
}

// Java's Date.toString() in UTC, as zkCli.sh prints ctime and mtime.
std::string date_text(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%a %b %d %H:%M:%S UTC %Y", &tm);
  return text;
}

std::string stat_text(const Stat& s) {
  return fmt::format("cZxid = {:#x}\nctime = {}\nmZxid = {:#x}\nmtime = {}\npZxid = {:#x}\ncversion = {}\n"
                     "dataVersion = {}\naclVersion = {}\nephemeralOwner = {:#x}\ndataLength = {}\nnumChildren = {}\n",
                     s.czxid, date_text(s.ctime), s.mzxid, date_text(s.mtime), s.pzxid, s.cversion, s.version,
                     s.aversion, s.ephemeral_owner, s.data_length, s.num_children);
}

// ZKUtil.getPermString's letters, in its order.
std::string perms_text(std::int32_t p) {
  std::string out;
  if (p & perms::create) out += 'c';
  if (p & perms::remove) out += 'd';
  if (p & perms::read) out += 'r';
  if (p & perms::write) out += 'w';
  if (p & perms::admin) out += 'a';
  return out;
}

// Prints a successful result the way zkCli.sh does.
void print_result(const Op& op, const Result& r) {
  std::string out;
  if (std::holds_alternative<Create>(op)) out = "Created " + r.path + "\n";
  if (std::holds_alternative<GetData>(op)) out = r.data + "\n";
  if (std::holds_alternative<GetChildren>(op)) out = fmt::format("[{}]\n", fmt::join(r.children, ", "));
  if (std::holds_alternative<Exists>(op) && r.stat) out = stat_text(*r.stat);
  if (std::holds_alternative<GetAcl>(op)) {
    for (const Acl& a : r.acl) out += fmt::format("'{},'{}\n: {}\n", a.id.scheme, a.id.id, perms_text(a.perms));
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

const std::string& path_of(const Op& op) {
  return std::visit(
      [](const auto& o) -> const std::string& {
        if constexpr (requires { o.path; }) {
          return o.path;
        } else {
          static const std::string kNone;
          return kNone;
        }
      },
      op);
}

int run_operation(const VoleryCluster& cluster, const Op& op, Duration wait, LogLevel level) {
  BlockingVoleryClient client(cluster, BlockingVoleryClientOptions{.client = {}, .wait_limit = wait, .queued_max = 1024,
                                                                   .log_level = level});
  const Reply opened = client.open_session(kSessionTimeoutMs);
  if (opened.result.code != Code::ok) {
    return fail(1, fmt::format("{}: could not open a session (are the cluster's volery nodes up?)",
                               to_string(opened.result.code)));
  }
  const SessionId session = opened.result.session;
  const Reply reply = client.call(session, op);
  // Closing ends the session's ephemeral nodes now; a close that gets no reply leaves the
  // session to expire after its timeout.
  const Reply closed = client.close_session(session);
  if (closed.result.code != Code::ok) {
    std::fprintf(stderr, "%s: closing session %#llx: %s (it expires by itself)\n", invoked_as().c_str(),
                 static_cast<unsigned long long>(session), to_string(closed.result.code));
  }
  if (reply.result.code != Code::ok) {
    std::fprintf(stderr, "%s: %s\n", to_string(reply.result.code), path_of(op).c_str());
    return 1;
  }
  print_result(op, reply.result);
  return 0;
}

int single_command(std::span<char* const> args) {
  po::options_description options(usage() + "\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("config,c", po::value<std::string>(), "the cluster file (TOML) of a cluster of volery nodes")
      ("cluster", po::value<std::string>(), "the same as --config")
      ("timeout-ms", po::value<long long>()->default_value(10'000), "how long to wait for each reply (1..3600000)")
      ("ephemeral", "create: an ephemeral node (gone when the command's session closes)")
      ("sequential", "create: append the parent's ten-digit counter to the name")
      ("container", "create: a container node (deleted once its last child is)")
      ("version", po::value<std::string>(), "set, delete: only at this version of the node")
      ("log-level,l", po::value<std::string>()->default_value("warn"), "trace, debug, info, warn, error or off")
      ("words", po::value<std::vector<std::string>>(), "the command and its arguments (the words that are not options)");
  po::positional_options_description positional;
  positional.add("words", -1);
  po::variables_map vm;
  if (!parse_options(args, options, vm, &positional)) return vm.count("help") ? 0 : 2;
  if (!vm.count("words")) return usage_error(options, "expected a command: create, get, set, delete, ls, stat, getacl or load");
  Flags flags{.ephemeral = vm.count("ephemeral") > 0, .sequential = vm.count("sequential") > 0,
              .container = vm.count("container") > 0, .version = std::nullopt};
  if (vm.count("version")) {
    const auto v = parse_integer(vm["version"].as<std::string>());
    if (!v || *v < -1 || *v > std::numeric_limits<std::int32_t>::max()) {
      return usage_error(options, "--version: expected -1 (any) or a version in 0..2147483647");
    }
    flags.version = static_cast<std::int32_t>(*v);
  }
  const ParsedOp parsed = parse_op(vm["words"].as<std::vector<std::string>>(), flags);
  if (!parsed.op) return usage_error(options, parsed.error);
  if (vm.count("config") && vm.count("cluster")) return usage_error(options, "give --config or --cluster, not both");
  if (!vm.count("config") && !vm.count("cluster")) return usage_error(options, "--config is required");
  const std::string config = vm.count("config") ? vm["config"].as<std::string>() : vm["cluster"].as<std::string>();
  const long long timeout_ms = vm["timeout-ms"].as<long long>();
  if (timeout_ms < 1 || timeout_ms > 3'600'000) return usage_error(options, "--timeout-ms: expected 1..3600000");
  const auto level = parse_log_level(vm["log-level"].as<std::string>());
  if (!level) return usage_error(options, "--log-level: expected trace, debug, info, warn, error or off");

  const std::unique_ptr<const VoleryCluster> cluster = load_volery_cluster(config);
  if (!cluster) return 2;
  return run_operation(*cluster, *parsed.op, std::chrono::milliseconds(timeout_ms), *level);
}

}  // namespace

std::unique_ptr<const volery::VoleryCluster> load_volery_cluster(const std::string& path) {
  try {
    std::unique_ptr<const VoleryCluster> cluster = VoleryCluster::load(path);
    validate_modules(cluster->config);
    const auto& nodes = cluster->config.nodes;
    if (std::none_of(nodes.begin(), nodes.end(), [](const NodeConfig& n) {
          return std::find(n.roles.begin(), n.roles.end(), "volery") != n.roles.end();
        })) {
      fail(2, cluster->config.file + ": no [[nodes]] runs the \"volery\" role; " + invoked_as() +
                  " needs a cluster of volery nodes (docs/volery.md, Running Volery)");
      return nullptr;
    }
    return cluster;
  } catch (const std::exception& e) {  // ConfigError, or a file that cannot be read
    fail(2, e.what());
    return nullptr;
  }
}

int volery_command(std::span<char* const> args) {
  const std::string_view first = args.empty() ? std::string_view{} : std::string_view(args[0]);
  if (first.empty()) {
    std::fputs(usage().c_str(), stderr);
    return 2;
  }
  if (first == "load") return volery_load_command(args.subspan(1));
  if (first == "help") {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  return single_command(args);
}

}  // namespace eyrie::cli
