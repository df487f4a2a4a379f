// `eyrie node --config F --id N [--log-level L]`: runs one node of a cluster file until SIGINT
// or SIGTERM, then exits 0.
//
// Exit status: 0 after a clean stop, 1 when the node fails while running (cannot bind its
// endpoint, cannot use its storage), 2 for bad arguments or a bad cluster file. Every error is
// one line on stderr.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <system_error>
#include <zmq.hpp>

#include "apps/cli/commands.hpp"
#include "apps/cli/options.hpp"
#include "apps/cli/roles.hpp"
#include "runtime/config.hpp"
#include "runtime/net/node_host.hpp"

namespace eyrie::cli {

namespace {

namespace po = boost::program_options;

int fail(int status, const std::string& message) {
  std::fprintf(stderr, "eyrie node: %s\n", message.c_str());
  return status;
}

// Runs the node; exceptions from here on are failures of a running node (exit 1).
int run_node(const ClusterConfig& config, NodeId id, LogLevel level) {
  net::NodeHostOptions options;
  options.id = id;
  options.log_level = level;
  const NodeConfig& node = *config.find(id);
  options.make_roles = [&config, &node](Env& env) { return make_roles(config, node, env); };
  try {
    net::NodeHost host(config, std::move(options));
    host.start();
    host.run_until_stop_signal();
    host.log().info("stopped");
    return 0;
  } catch (const zmq::error_t& e) {
    return fail(1, fmt::format("node {} at {}: {}", id.value, node.endpoint(), e.what()));
  } catch (const std::system_error& e) {
    return fail(1, fmt::format("node {}: {}", id.value, e.what()));
  }
}

}  // namespace

int node_command(std::span<char* const> args) {
  po::options_description options("usage: eyrie node --config FILE --id N [--log-level LEVEL]\n\n"
                                  "Runs one node of a cluster file until SIGINT or SIGTERM.\n\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("config,c", po::value<std::string>(), "the cluster file (TOML)")
      ("id,i", po::value<std::string>(), "this node's id, as in the file's [[nodes]]")
      ("log-level,l", po::value<std::string>(), "trace, debug, info, warn, error or off (default: the file's)");
  po::variables_map vm;
  if (!parse_options(args, options, vm)) return vm.count("help") ? 0 : 2;
  if (!vm.count("config")) return usage_error(options, "--config is required");
  if (!vm.count("id")) return usage_error(options, "--id is required");

  const std::string id_text = vm["id"].as<std::string>();
  const auto id_value = parse_integer(id_text);
  if (!id_value || *id_value < 1 || *id_value > static_cast<long long>(NodeId::kClusterNodeIdMax)) {
    return usage_error(options, fmt::format("--id: expected a node id in 1..{}, got \"{}\"",
                                            NodeId::kClusterNodeIdMax, id_text));
  }
  const NodeId id{static_cast<std::uint64_t>(*id_value)};

  ClusterConfig config;
  try {
    config = ClusterConfig::load(vm["config"].as<std::string>());
    validate_modules(config);
  } catch (const std::exception& e) {  // ConfigError, or a file that cannot be read
    return fail(2, e.what());
  }
  if (config.find(id) == nullptr) return fail(2, fmt::format("{}: no node with id {} in [[nodes]]", config.file, id.value));

  LogLevel level = config.log_level;
  if (vm.count("log-level")) {
    const auto parsed = parse_log_level(vm["log-level"].as<std::string>());
    if (!parsed) return usage_error(options, "--log-level: expected trace, debug, info, warn, error or off");
    level = *parsed;
  }
  return run_node(config, id, level);
}

}  // namespace eyrie::cli
