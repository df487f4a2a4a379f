// `volery init|start|stop|status`: a local Volery deployment from one cluster file (the
// `volery` program, apps/cli/volery_main.cpp; docs/volery.md, "Running Volery").
//
// init writes the layout: P partitions of R replicas (nodes 1..P*R, role "volery"), each
// partition a Ridge group with its own ensemble of on-disk acceptors on its replicas (3, or 1
// with fewer than 3 replicas), one shared ensemble whose acceptors are taken from the partitions
// in turn ([1, R+1, 2] for two partitions), and G gateways (the next nodes, role
// "volery-gateway") each with a ZooKeeper client port. start/stop/status wrap
// `eyrie cluster up|down|status` and add a ZooKeeper handshake with every gateway.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "apps/cli/cluster_status.hpp"
#include "apps/cli/commands.hpp"
#include "apps/cli/options.hpp"
#include "apps/cli/roles.hpp"
#include "apps/cli/zk_probe.hpp"
#include "apps/volery/gateway/gateway_config.hpp"
#include "runtime/net/local_host.hpp"

namespace eyrie::cli {

namespace {

namespace po = boost::program_options;

// Calls another subcommand with string arguments.
int call(int (*command)(std::span<char* const>), std::vector<std::string> words) {
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  return command(std::span<char* const>(argv.data(), argv.size()));
}

std::string id_list(const std::vector<int>& ids) {
  return fmt::format("[{}]", fmt::join(ids, ", "));
}

std::optional<std::vector<std::uint16_t>> ports_from(const std::string& text, const std::string& host, int count) {
  if (text == "auto") return net::pick_free_ports(host, static_cast<std::size_t>(count));
  const auto first = parse_integer(text);
  if (!first || *first < 1 || *first + count - 1 > 65535) return std::nullopt;
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < count; ++i) ports.push_back(static_cast<std::uint16_t>(*first + i));
  return ports;
}

struct Loaded {
  ClusterConfig cluster;
  volery::VoleryConfig volery;
};

std::optional<Loaded> load(std::string_view command, const std::string& path) {
  try {
    Loaded l{ClusterConfig::load(path), {}};
    validate_modules(l.cluster);
    l.volery = volery::VoleryConfig::from(l.cluster);
    return l;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "volery %.*s: %s\n", static_cast<int>(command.size()), command.data(), e.what());
    return std::nullopt;
  }
}

std::string connect_string(const volery::GatewayEndpoint& g) { return fmt::format("{}:{}", g.client_host, g.client_port); }

}  // namespace

int volery_init_command(std::span<char* const> args) {
  po::options_description options(
      "volery init: write the cluster file of a local Volery deployment (partitions of replicas, Ridge\n"
      "ensembles of acceptors on disk, ZooKeeper gateways); data under DIR/data");
  options.add_options()("help,h", "show this help")
      ("dir", po::value<std::string>()->required(), "folder to write cluster.toml into (created if missing)")
      ("partitions", po::value<int>()->default_value(2), "partitions (1..64), each a Ridge group")
      ("replicas", po::value<int>()->default_value(3), "replicas per partition (1..9)")
      ("gateways", po::value<int>()->default_value(1), "gateway nodes, each with a ZooKeeper client port (1..16)")
      ("host", po::value<std::string>()->default_value("127.0.0.1"), "host of every node and client port")
      ("client-port", po::value<std::string>()->default_value("2181"),
       "first ZooKeeper client port (gateways get consecutive ports), or 'auto' for free ports chosen now")
      ("base-port", po::value<std::string>()->default_value("7101"),
       "first node port (nodes get consecutive ports), or 'auto' for free ports chosen now")
      ("name", po::value<std::string>()->default_value("volery"), "cluster name")
      ("acceptor-storage", po::value<std::string>()->default_value("disk"),
       "where acceptors keep their state: disk (written and synced before they answer) or memory")
      ("force", "overwrite an existing cluster.toml");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  const int partitions = vm["partitions"].as<int>();
  const int replicas = vm["replicas"].as<int>();
  const int gateways = vm["gateways"].as<int>();
  if (partitions < 1 || partitions > 64) return usage_error(options, "--partitions: expected 1..64");
  if (replicas < 1 || replicas > 9) return usage_error(options, "--replicas: expected 1..9");
  if (gateways < 1 || gateways > 16) return usage_error(options, "--gateways: expected 1..16");
  const std::string storage = vm["acceptor-storage"].as<std::string>();
  if (storage != "disk" && storage != "memory") return usage_error(options, "--acceptor-storage: expected disk or memory");
  const std::string host = vm["host"].as<std::string>();
  const int replica_nodes = partitions * replicas;
  const int nodes = replica_nodes + gateways;
  const std::string base = vm["base-port"].as<std::string>();
  const std::string client = vm["client-port"].as<std::string>();
  std::vector<std::uint16_t> node_ports;
  std::vector<std::uint16_t> client_ports;
  if (base == "auto" && client == "auto") {  // one draw, so that the two sets differ
    const auto all = net::pick_free_ports(host, static_cast<std::size_t>(nodes + gateways));
    node_ports.assign(all.begin(), all.begin() + nodes);
    client_ports.assign(all.begin() + nodes, all.end());
  } else {
    const auto n = ports_from(base, host, nodes);
    if (!n) return usage_error(options, "--base-port: expected 'auto' or a port such that every node's port is <= 65535");
    const auto c = ports_from(client, host, gateways);
    if (!c) return usage_error(options, "--client-port: expected 'auto' or a port such that every gateway's is <= 65535");
    node_ports = *n;
    client_ports = *c;
    for (std::uint16_t p : client_ports) {
      if (std::find(node_ports.begin(), node_ports.end(), p) != node_ports.end()) {
        return usage_error(options, fmt::format("client port {} is also a node port; move --client-port or --base-port", p));
      }
    }
  }
  const std::filesystem::path dir = vm["dir"].as<std::string>();
  const std::filesystem::path file = dir / "cluster.toml";
  if (std::filesystem::exists(file) && !vm.count("force")) {
    std::fprintf(stderr, "volery init: %s exists (use --force to overwrite)\n", file.c_str());
    return 1;
  }
  std::filesystem::create_directories(dir);
  std::ofstream out(file);
  out << "# Volery cluster file (format: docs/cluster-file.md), written by `volery init`.\n"
      << fmt::format("# {} partitions x {} replicas (nodes 1..{}), {} gateway(s) (nodes {}..{}).\n\n", partitions,
                     replicas, replica_nodes, gateways, replica_nodes + 1, nodes)
      << fmt::format("[cluster]\nname = \"{}\"\ndata_dir = \"data\"   # relative to this file\nlog_level = \"info\"\n",
                     vm["name"].as<std::string>());
  for (int i = 0; i < nodes; ++i) {
    out << fmt::format("\n[[nodes]]\nid = {}\nhost = \"{}\"\nport = {}\nroles = [\"{}\"]\n", i + 1, host, node_ports[i],
                       i < replica_nodes ? "volery" : "volery-gateway");
  }
  out << fmt::format("\n[ridge]\nunique_timestamps = true   # Volery's zxids\nacceptor_storage = \"{}\"\n", storage);
  const int acceptors = replicas >= 3 ? 3 : 1;
  std::vector<std::vector<int>> members(partitions);
  for (int p = 0; p < partitions; ++p) {
    for (int r = 0; r < replicas; ++r) members[p].push_back(p * replicas + r + 1);
    out << fmt::format("\n[[ridge.groups]]\nid = {}\nlearners = {}\n", p + 1, id_list(members[p]));
  }
  for (int p = 0; p < partitions; ++p) {
    const std::vector<int> ensemble(members[p].begin(), members[p].begin() + acceptors);
    out << fmt::format("\n[[ridge.ensembles]]\nid = {}\ngroup = {}\ncoordinators = {}\nacceptors = {}\n", p + 1, p + 1,
                       id_list(ensemble), id_list(ensemble));
  }
  if (partitions > 1) {
    std::vector<int> shared;
    const int size = replica_nodes >= 3 ? 3 : 1;
    for (int r = 0; static_cast<int>(shared.size()) < size; ++r) {
      for (int p = 0; p < partitions && static_cast<int>(shared.size()) < size; ++p) {
        if (r < replicas) shared.push_back(members[p][r]);
      }
    }
    out << fmt::format("\n[[ridge.ensembles]]      # the shared one: commands to several partitions\nid = {}\n"
                       "coordinators = {}\nacceptors = {}\n",
                       partitions + 1, id_list(shared), id_list(shared));
  }
  out << "\n[volery]\ntick_ms = 2000\n";
  for (int g = 0; g < gateways; ++g) {
    out << fmt::format("\n[[volery.gateways]]\nnode = {}\nclient_host = \"{}\"\nclient_port = {}\n",
                       replica_nodes + g + 1, host, client_ports[g]);
  }
  out.close();
  if (!out) {
    std::fprintf(stderr, "volery init: cannot write %s\n", file.c_str());
    return 1;
  }
  // Read it back through the real parsers: what init writes must be what start accepts.
  if (!load("init", file.string())) return 1;
  std::printf("%s\n", file.c_str());
  return 0;
}

int volery_start_command(std::span<char* const> args) {
  po::options_description options(
      "volery start: start every local node of a Volery cluster file in the background, wait until\n"
      "every node answers and every local gateway completes a ZooKeeper handshake, then print the\n"
      "connect strings. Exit status: 0 ready, 1 not ready in time (the nodes started are stopped), 2 bad usage");
  options.add_options()("help,h", "show this help")
      ("config", po::value<std::string>()->required(), "cluster file")
      ("timeout", po::value<int>()->default_value(90), "seconds to wait for the cluster to be ready");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  const std::string path = vm["config"].as<std::string>();
  const int timeout = vm["timeout"].as<int>();
  if (timeout < 1) return usage_error(options, "--timeout: expected at least 1");
  const auto loaded = load("start", path);
  if (!loaded) return 2;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  const auto stop_all = [&] { call(cluster_command, {"down", "--config", path, "--grace", "5"}); };
  if (const int up = call(cluster_command, {"up", "--config", path, "--timeout", std::to_string(timeout)}); up != 0) {
    return up;
  }
  if (call(status_command, {"--config", path, "--wait-healthy", "--timeout", std::to_string(timeout)}) != 0) {
    std::fprintf(stderr, "volery start: the nodes did not all answer within %ds; stopping them\n", timeout);
    stop_all();
    return 1;
  }
  std::vector<std::string> connect;
  for (const volery::GatewayEndpoint& g : loaded->volery.gateways) {
    const NodeConfig* node = loaded->cluster.find(g.node);
    if (node == nullptr || !net::is_local_host(node->host)) continue;
    while (!zk_handshake(g.client_host, g.client_port, std::chrono::seconds(5))) {
      if (std::chrono::steady_clock::now() >= deadline) {
        std::fprintf(stderr, "volery start: gateway %lu (%s) did not complete a ZooKeeper handshake within %ds; stopping\n",
                     g.node.value, connect_string(g).c_str(), timeout);
        stop_all();
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // polling another process
    }
    connect.push_back(connect_string(g));
  }
  std::printf("volery: ready; ZooKeeper connect string%s: %s\n", connect.size() == 1 ? "" : "s",
              fmt::format("{}", fmt::join(connect, ",")).c_str());
  return 0;
}

int volery_stop_command(std::span<char* const> args) {
  po::options_description options("volery stop: stop every local node of a Volery cluster file");
  options.add_options()("help,h", "show this help")
      ("config", po::value<std::string>()->required(), "cluster file")
      ("grace", po::value<int>()->default_value(10), "seconds between SIGTERM and SIGKILL");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  const std::string path = vm["config"].as<std::string>();
  if (!load("stop", path)) return 2;
  return call(cluster_command, {"down", "--config", path, "--grace", std::to_string(vm["grace"].as<int>())});
}

int volery_status_command(std::span<char* const> args) {
  po::options_description options(
      "volery status: one status line of the nodes (as `eyrie cluster status`), then a ZooKeeper handshake\n"
      "with every gateway. Exit status: 0 every node answers and every gateway handshakes, 1 not, 2 bad usage");
  options.add_options()("help,h", "show this help")
      ("config", po::value<std::string>()->required(), "cluster file");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  const std::string path = vm["config"].as<std::string>();
  const auto loaded = load("status", path);
  if (!loaded) return 2;
  bool ok = call(status_command, {"--config", path}) == 0;
  for (const volery::GatewayEndpoint& g : loaded->volery.gateways) {
    const bool answers = zk_handshake(g.client_host, g.client_port, std::chrono::seconds(5));
    std::printf("gateway %lu: %s %s\n", g.node.value, connect_string(g).c_str(),
                answers ? "serving ZooKeeper clients" : "not answering");
    ok = ok && answers;
  }
  return ok ? 0 : 1;
}

}  // namespace eyrie::cli
