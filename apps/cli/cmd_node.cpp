// `eyrie node --config F --id N [--log-level L] [--delivery-log FILE]`: runs one node of a
// cluster file until SIGINT or SIGTERM, then exits 0. With --delivery-log, a learner node of
// the ridge role appends what it delivers to FILE (experiments/run_logs.hpp), for
// `eyrie multicast check` and the multi-process tests.
//
// Exit status: 0 after a clean stop, 1 when the node fails while running (cannot bind its
// endpoint, cannot use its storage), 2 for bad arguments or a bad cluster file. Every error is
// one line on stderr.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <system_error>
#include <zmq.hpp>

#include "apps/cli/commands.hpp"
#include "apps/cli/options.hpp"
#include "apps/cli/program.hpp"
#include "apps/cli/roles.hpp"
#include "experiments/run_logs.hpp"
#include "multicast/config.hpp"
#include "runtime/config.hpp"
#include "runtime/net/node_host.hpp"

namespace eyrie::cli {

namespace {

namespace po = boost::program_options;

int fail(int status, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", invoked_as().c_str(), message.c_str());
  return status;
}

// The node's roles, plus the delivery log of its ridge role when `delivery_log` is set.
std::vector<std::unique_ptr<Role>> roles_with_log(const ClusterConfig& config, const NodeConfig& node, Env& env,
                                                  const std::string& delivery_log) {
  if (delivery_log.empty()) return make_roles(config, node, env);
  const multicast::RidgeConfig ridge = multicast::RidgeConfig::from(config);
  auto log = std::make_unique<experiments::DeliveryLogWriter>(env, delivery_log, ridge.groups_of(node.id),
                                                              ridge.optimistic.enabled);
  experiments::DeliveryLogWriter* writer = log.get();
  RidgeObserver observer{
      .on_deliver = [writer](const multicast::Delivery& d) { writer->conservative(d); },
      .on_opt_deliver = [writer](const multicast::OptDelivery& d) { writer->optimistic(d); },
  };
  std::vector<std::unique_ptr<Role>> roles = make_roles(config, node, env, observer);
  roles.push_back(std::move(log));
  return roles;
}

// Runs the node; exceptions from here on are failures of a running node (exit 1).
int run_node(const ClusterConfig& config, NodeId id, LogLevel level, const std::string& delivery_log) {
  net::NodeHostOptions options;
  options.id = id;
  options.log_level = level;
  const NodeConfig& node = *config.find(id);
  options.make_roles = [&config, &node, &delivery_log](Env& env) {
    return roles_with_log(config, node, env, delivery_log);
  };
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
  po::options_description options("usage: " + invoked_as() + " --config FILE --id N [--log-level LEVEL] [--delivery-log FILE]\n\n"
                                  "Runs one node of a cluster file until SIGINT or SIGTERM, with the roles its [[nodes]]\n"
                                  "entry lists: echo, ridge (a Ridge node alone), kv or volery (a partition replica with\n"
                                  "its own Ridge node; docs/kv.md, docs/volery.md).\n\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("config,c", po::value<std::string>(), "the cluster file (TOML)")
      ("id,i", po::value<std::string>(), "this node's id, as in the file's [[nodes]]")
      ("log-level,l", po::value<std::string>(), "trace, debug, info, warn, error or off (default: the file's)")
      ("delivery-log", po::value<std::string>(),
       "append every Ridge delivery of this node to FILE (a learner: the node must be in a [[ridge.groups]]); "
       "a restarted node appends a new incarnation section; read by `eyrie multicast check`");
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
  std::string delivery_log;
  if (vm.count("delivery-log")) {
    delivery_log = vm["delivery-log"].as<std::string>();
    const NodeConfig& node = *config.find(id);
    const bool ridge_role = std::find(node.roles.begin(), node.roles.end(), "ridge") != node.roles.end();
    if (!ridge_role || multicast::RidgeConfig::from(config).groups_of(id).empty()) {
      return usage_error(options, fmt::format("--delivery-log: node {} is not a Ridge learner (it needs the ridge role "
                                              "and a place in a [[ridge.groups]] learners list)", id.value));
    }
  }
  return run_node(config, id, level, delivery_log);
}

}  // namespace eyrie::cli
