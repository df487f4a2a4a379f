// eyrie cluster init|up|down|status: a whole local cluster from one cluster file.

#include <fmt/format.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "apps/cli/cluster_status.hpp"
#include "apps/cli/commands.hpp"
#include "apps/cli/local_processes.hpp"
#include "apps/cli/options.hpp"
#include "apps/cli/roles.hpp"

namespace eyrie::cli {

namespace po = boost::program_options;

namespace {

constexpr std::string_view kUsage = R"(usage: eyrie cluster <init|up|down|status> [options]

  init    write a cluster file for N local nodes
  up      start every node of the cluster file that lives on this machine, in the background
  down    stop them (SIGTERM, then SIGKILL after a grace period)
  status  query every node and print a one-line status (--watch: keep it live until Ctrl-C)

Run `eyrie cluster <sub> --help` for options.
)";

std::filesystem::path self_binary() { return std::filesystem::read_symlink("/proc/self/exe"); }

int init_command(std::span<char* const> args) {
  po::options_description options("eyrie cluster init: write a cluster file for N local nodes running the echo role");
  options.add_options()("help,h", "show this help")
      ("dir", po::value<std::string>()->required(), "folder to write cluster.toml into (created if missing)")
      ("nodes", po::value<int>()->default_value(3), "number of nodes (1..64)")
      ("host", po::value<std::string>()->default_value("127.0.0.1"), "host of every node")
      ("base-port", po::value<std::string>()->default_value("auto"),
       "first port (nodes get consecutive ports), or 'auto' for free ports chosen now")
      ("name", po::value<std::string>()->default_value("local"), "cluster name")
      ("force", "overwrite an existing cluster.toml");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  const int count = vm["nodes"].as<int>();
  if (count < 1 || count > 64) return usage_error(options, "--nodes: expected 1..64");
  const std::string host = vm["host"].as<std::string>();
  std::vector<std::uint16_t> ports;
  if (const std::string base = vm["base-port"].as<std::string>(); base == "auto") {
    ports = net::pick_free_ports(host, static_cast<std::size_t>(count));
  } else {
    const auto first = parse_integer(base);
    if (!first || *first < 1 || *first + count - 1 > 65535) {
      return usage_error(options, "--base-port: expected 'auto' or a port such that every node's port is <= 65535");
    }
    for (int i = 0; i < count; ++i) ports.push_back(static_cast<std::uint16_t>(*first + i));
  }
  const std::filesystem::path dir = vm["dir"].as<std::string>();
  const std::filesystem::path file = dir / "cluster.toml";
  if (std::filesystem::exists(file) && !vm.count("force")) {
    std::fprintf(stderr, "eyrie cluster init: %s exists (use --force to overwrite)\n", file.c_str());
    return 1;
  }
  std::filesystem::create_directories(dir);
  std::ofstream out(file);
  out << "# Eyrie cluster file (format: docs/cluster-file.md), written by `eyrie cluster init`.\n\n"
      << fmt::format("[cluster]\nname = \"{}\"\ndata_dir = \"data\"   # relative to this file\nlog_level = \"info\"\n",
                     vm["name"].as<std::string>());
  for (int i = 0; i < count; ++i) {
    out << fmt::format("\n[[nodes]]\nid = {}\nhost = \"{}\"\nport = {}\nroles = [\"echo\"]\n", i + 1, host, ports[i]);
  }
  out << "\n[echo]\ninterval_ms = 100   # each node pings every other node this often\nbody_bytes = 64\n";
  out.close();
  if (!out) {
    std::fprintf(stderr, "eyrie cluster init: cannot write %s\n", file.c_str());
    return 1;
  }
  // Read it back through the real parser: what init writes must be what up accepts.
  validate_modules(ClusterConfig::load(file));
  std::printf("%s\n", file.c_str());
  return 0;
}

std::optional<ClusterConfig> load_for(std::string_view command, const po::variables_map& vm) {
  try {
    ClusterConfig config = ClusterConfig::load(vm["config"].as<std::string>());
    validate_modules(config);
    return config;
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "eyrie cluster %.*s: %s\n", static_cast<int>(command.size()), command.data(), e.what());
    return std::nullopt;
  }
}

// Waits until every started node accepts connections, or one of them dies.
bool wait_until_listening(const ClusterConfig& config, const std::vector<std::pair<const NodeConfig*, pid_t>>& started,
                          std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<bool> ready(started.size(), false);
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (std::size_t i = 0; i < started.size(); ++i) {
      const auto& [node, pid] = started[i];
      if (ready[i]) continue;
      if (!process_alive(pid)) {
        const auto log = config.node_dir(node->id) / "node.log";
        std::fprintf(stderr, "eyrie cluster up: node %lu exited during start-up; end of %s:\n%s", node->id.value,
                     log.c_str(), tail_file(log, 15).c_str());
        return false;
      }
      ready[i] = net::port_accepts(node->host, node->port);
      all = all && ready[i];
    }
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling other processes
  }
  std::fprintf(stderr, "eyrie cluster up: nodes did not start listening within %lds\n",
               static_cast<long>(timeout.count()));
  return false;
}

int up_command(std::span<char* const> args) {
  po::options_description options("eyrie cluster up: start every local node of a cluster file in the background");
  options.add_options()("help,h", "show this help")
      ("config", po::value<std::string>()->required(), "cluster file")
      ("timeout", po::value<int>()->default_value(30), "seconds to wait for every node to listen");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  auto config = load_for("up", vm);
  if (!config) return 2;
  std::vector<std::pair<const NodeConfig*, pid_t>> started;
  int local = 0;
  for (const NodeConfig& node : config->nodes) {
    if (!net::is_local_host(node.host)) continue;
    ++local;
    const NodeProcess p = find_node_process(*config, node);
    if (p.pid) {
      std::printf("node %lu already running (pid %d)\n", node.id.value, *p.pid);
      continue;
    }
    const pid_t pid = spawn_node(self_binary(), vm["config"].as<std::string>(), *config, node);
    started.emplace_back(&node, pid);
    std::printf("node %lu started (pid %d) on %s, log %s\n", node.id.value, pid, node.endpoint().c_str(),
                p.log_file.c_str());
  }
  if (local == 0) {
    std::fprintf(stderr, "eyrie cluster up: no node of %s lives on this machine\n", config->file.c_str());
    return 1;
  }
  std::fflush(stdout);
  if (!wait_until_listening(*config, started, std::chrono::seconds(vm["timeout"].as<int>()))) {
    for (const auto& [node, pid] : started) stop_process(pid, std::chrono::seconds(2));
    return 1;
  }
  return 0;
}

int down_command(std::span<char* const> args) {
  po::options_description options("eyrie cluster down: stop every local node of a cluster file");
  options.add_options()("help,h", "show this help")
      ("config", po::value<std::string>()->required(), "cluster file")
      ("grace", po::value<int>()->default_value(10), "seconds between SIGTERM and SIGKILL");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  auto config = load_for("down", vm);
  if (!config) return 2;
  bool all_stopped = true;
  for (const NodeConfig& node : config->nodes) {
    if (!net::is_local_host(node.host)) continue;
    const NodeProcess p = find_node_process(*config, node);
    if (!p.pid) {
      std::filesystem::remove(p.pid_file);
      continue;
    }
    const bool stopped = stop_process(*p.pid, std::chrono::seconds(vm["grace"].as<int>()));
    std::printf("node %lu (pid %d) %s\n", node.id.value, *p.pid, stopped ? "stopped" : "did not stop");
    if (stopped) std::filesystem::remove(p.pid_file);
    all_stopped = all_stopped && stopped;
  }
  return all_stopped ? 0 : 1;
}

}  // namespace

int cluster_command(std::span<char* const> args) {
  if (args.empty() || std::string_view(args[0]) == "--help" || std::string_view(args[0]) == "-h") {
    std::fwrite(kUsage.data(), 1, kUsage.size(), args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string_view sub = args[0];
  const auto rest = args.subspan(1);
  if (sub == "init") return init_command(rest);
  if (sub == "up") return up_command(rest);
  if (sub == "down") return down_command(rest);
  if (sub == "status") return status_command(rest);
  std::fprintf(stderr, "eyrie cluster: unknown subcommand '%.*s'\n\n%s", static_cast<int>(sub.size()), sub.data(),
               kUsage.data());
  return 2;
}

}  // namespace eyrie::cli
