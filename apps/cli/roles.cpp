#include "apps/cli/roles.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "apps/echo/echo_role.hpp"
#include "apps/kv/kv.hpp"
#include "apps/volery/gateway/gateway_config.hpp"
#include "apps/volery/gateway/tcp_server.hpp"
#include "multicast/message_types.hpp"
#include "partition/message_types.hpp"
#include "runtime/net/node_host.hpp"
#include "apps/volery/machine.hpp"
#include "apps/volery/placement.hpp"
#include "multicast/ridge_node.hpp"
#include "partition/config.hpp"
#include "partition/replica.hpp"

namespace eyrie::cli {

namespace {
constexpr std::array<std::string_view, 5> kRoleNames{"echo", "ridge", "kv", "volery", "volery-gateway"};
// The roles that are partition replicas (a PartitionReplica running a service's state machine).
constexpr std::array<std::string_view, 2> kReplicaRoles{"kv", "volery"};
// Top-level sections owned by modules (the runtime owns cluster, transport and nodes).
constexpr std::array<std::string_view, 4> kModuleSections{"echo", "ridge", "ssmr", "volery"};

bool has_role(const NodeConfig& node, std::string_view role) {
  return std::find(node.roles.begin(), node.roles.end(), role) != node.roles.end();
}

bool any_node_has(const ClusterConfig& config, std::string_view role) {
  return std::any_of(config.nodes.begin(), config.nodes.end(), [&](const NodeConfig& n) { return has_role(n, role); });
}

std::string node_name(const ClusterConfig& config, NodeId id) {
  return fmt::format("{}: [[nodes]] id {}", config.file, id.value);
}

// The replica roles' placement rules (kv and volery alike): a replica is a replica of exactly
// one partition (a learner of exactly one Ridge group), it contains its own Ridge node (so it
// cannot run "ridge" too), and every learner of a cluster with replicas runs the same replica
// role, since partition p's replicas are all of group p's learners (replicas send each other
// signals and values) and the partitions of a cluster make up one service.
void validate_replica_placement(const ClusterConfig& config, const multicast::RidgeConfig& ridge) {
  std::string_view service;  // the replica role of the first node that runs one
  for (const NodeConfig& node : config.nodes) {
    for (std::string_view role : kReplicaRoles) {
      if (!has_role(node, role)) continue;
      if (!service.empty() && service != role) {
        throw ConfigError(fmt::format("{} runs \"{}\" but another node runs \"{}\"; the partitions of a cluster make "
                                      "up one service, so every group learner runs the same one of \"kv\" or "
                                      "\"volery\"",
                                      node_name(config, node.id), role, service));
      }
      service = role;
    }
  }
  for (const NodeConfig& node : config.nodes) {
    const std::size_t groups = ridge.groups_of(node.id).size();
    if (has_role(node, service)) {
      if (has_role(node, "ridge")) {
        throw ConfigError(fmt::format("{} roles: \"{}\" and \"ridge\" together; a {} replica runs its own Ridge node "
                                      "(learner, and acceptor or coordinator where [[ridge.ensembles]] say so), so "
                                      "list only \"{}\"",
                                      node_name(config, node.id), service, service, service));
      }
      if (groups != 1) {
        throw ConfigError(fmt::format("{} runs \"{}\" but is a learner of {} [[ridge.groups]]; a {} replica belongs "
                                      "to exactly one partition (partition p is Ridge group p): list it in the "
                                      "learners of exactly one group",
                                      node_name(config, node.id), service, groups, service));
      }
    } else if (groups > 0) {
      throw ConfigError(fmt::format("{} is a learner of a [[ridge.groups]] group but does not run \"{}\"; in a "
                                    "cluster with {} replicas every group learner is a replica of that group's "
                                    "partition, so give it the {} role",
                                    node_name(config, node.id), service, service, service));
    }
  }
}

// Volery's zxids are final multicast timestamps, so they must be unique across ensembles
// (docs/volery.md, "zxid"): Ridge makes them so only when asked.
void validate_volery(const ClusterConfig& config, const multicast::RidgeConfig& ridge) {
  if (ridge.unique_timestamps) return;
  const auto node = std::find_if(config.nodes.begin(), config.nodes.end(),
                                 [](const NodeConfig& n) { return has_role(n, "volery"); });
  throw ConfigError(fmt::format("{}: [ridge] unique_timestamps: volery replicas ([[nodes]] id {}, ...) need unique "
                                "final timestamps, which are their zxids; set unique_timestamps = true in [ridge]",
                                config.file, node->id.value));
}

// A service replica: a PartitionReplica (with its own RidgeNode) placed by the [ssmr] section,
// running the state machine `make_machine` builds over the service's oracle (kv::KvMachine,
// volery::VoleryMachine: docs/kv.md, docs/volery.md). Owns the configurations and the oracle
// the replica and the machine refer to.
template <typename Oracle>
class ServiceReplica final : public Role {
 public:
  using MakeMachine = std::unique_ptr<partition::StateMachine> (*)(const Oracle&);

  ServiceReplica(Env& env, const ClusterConfig& config, std::string_view name, MakeMachine make_machine)
      : name_(name),
        ridge_(multicast::RidgeConfig::from(config)),
        ssmr_(partition::SsmrConfig::from(config, ridge_)),
        oracle_(ssmr_.placement),
        replica_(env, ridge_, ssmr_, oracle_, make_machine(oracle_)) {}
  std::string_view name() const override { return name_; }
  std::span<const MessageTypeRange> message_types() const override { return replica_.message_types(); }
  void start() override { replica_.start(); }
  void on_message(const Message& message) override { replica_.on_message(message); }
  void check_invariants() const override { replica_.check_invariants(); }

 private:
  std::string_view name_;
  multicast::RidgeConfig ridge_;  // the members below refer to these three
  partition::SsmrConfig ssmr_;
  Oracle oracle_;
  partition::PartitionReplica replica_;
};

// A Volery gateway: the client library (a Ridge sender and S-SMR client of the partitions) with
// ZooKeeper's client port in front of it ([[volery.gateways]]). The port is bound when the node
// host attaches the role to its event loop: a port that cannot be bound stops the node.
class VoleryGateway final : public Role, public net::LoopRole {
 public:
  VoleryGateway(Env& env, const ClusterConfig& config, NodeId id)
      : env_(env),
        ridge_(multicast::RidgeConfig::from(config)),
        ssmr_(partition::SsmrConfig::from(config, ridge_)),
        volery_(volery::VoleryConfig::from(config)),
        endpoint_(*volery_.gateway(id)),
        oracle_(ssmr_.placement),
        client_(env, ridge_, ssmr_, oracle_,
                volery::VoleryClientOptions{.window_max = 4096,
                                            .sender = multicast::Multicaster::Options{.durable_seqs = true}}) {}
  std::string_view name() const override { return "volery-gateway"; }
  std::span<const MessageTypeRange> message_types() const override { return kGatewayTypes; }
  void attach(net::EventLoop& loop) override {
    volery::zk::ZkTcpServerOptions options;
    options.host = endpoint_.client_host;
    options.port = endpoint_.client_port;
    options.connections_max = volery_.client_connections_max;
    options.connection.max_frame_bytes = volery_.max_frame_bytes;
    options.connection.tick_time = volery_.tick_time;
    server_ = std::make_unique<volery::zk::ZkTcpServer>(loop, client_, options, env_.log().child("zk"));
    env_.log().info("serving ZooKeeper clients on {}:{}", endpoint_.client_host, server_->port());
  }
  void start() override { client_.start(); }
  void on_message(const Message& message) override { client_.on_message(message); }
  void check_invariants() const override { client_.check_invariants(); }

 private:
  static constexpr std::array<MessageTypeRange, 2> kGatewayTypes{
      partition::kClientTypes, MessageTypeRange{multicast::kProposeAck, multicast::kNotLeader}};
  Env& env_;
  multicast::RidgeConfig ridge_;  // the members below refer to these
  partition::SsmrConfig ssmr_;
  volery::VoleryConfig volery_;
  volery::GatewayEndpoint endpoint_;
  volery::VoleryOracle oracle_;
  volery::VoleryClient client_;
  std::unique_ptr<volery::zk::ZkTcpServer> server_;  // after client_: it refers to it
};

// A node's Ridge role with the configuration it refers to. Until an upper layer (the S-SMR
// runtime) consumes deliveries, a standalone `eyrie node` counts them (RidgeNode's metrics) and
// hands them to the observer, if any.
class StandaloneRidge final : public Role {
 public:
  StandaloneRidge(Env& env, multicast::RidgeConfig config, const RidgeObserver& observer)
      : config_(std::move(config)),
        node_(env, config_, observer.on_deliver, multicast::RidgeNodeOptions{.on_opt_deliver = observer.on_opt_deliver}) {}
  std::string_view name() const override { return node_.name(); }
  std::span<const MessageTypeRange> message_types() const override { return node_.message_types(); }
  void start() override { node_.start(); }
  void on_message(const Message& message) override { node_.on_message(message); }
  void check_invariants() const override { node_.check_invariants(); }

 private:
  multicast::RidgeConfig config_;  // before node_: the node refers to it
  multicast::RidgeNode node_;
};
}  // namespace

std::span<const std::string_view> role_names() { return kRoleNames; }

void validate_modules(const ClusterConfig& config) {
  config.reject_unknown_sections(kModuleSections);
  for (std::size_t i = 0; i < config.nodes.size(); ++i) {
    for (const std::string& role : config.nodes[i].roles) {
      if (std::find(kRoleNames.begin(), kRoleNames.end(), role) == kRoleNames.end()) {
        throw ConfigError(config.file + ": [[nodes]] id " + std::to_string(config.nodes[i].id.value) +
                          " roles: unknown role \"" + role + "\" (known: echo, ridge, kv, volery, volery-gateway)");
      }
    }
  }
  // Each module checks its section by building its options once.
  if (!config.nodes.empty()) (void)echo::EchoOptions::from_config(config, config.nodes.front().id);
  const bool volery = any_node_has(config, "volery");
  const bool replicas = any_node_has(config, "kv") || volery;
  if (replicas || any_node_has(config, "ridge") || config.section("ridge").present() ||
      config.section("ssmr").present()) {
    const multicast::RidgeConfig ridge = multicast::RidgeConfig::from(config);
    if (replicas || config.section("ssmr").present()) (void)partition::SsmrConfig::from(config, ridge);
    if (replicas) validate_replica_placement(config, ridge);
    if (volery) validate_volery(config, ridge);
  }
  if (any_node_has(config, "volery-gateway") || config.section("volery").present()) {
    for (const NodeConfig& node : config.nodes) {
      if (has_role(node, "volery-gateway") && node.roles.size() > 1) {
        throw ConfigError(node_name(config, node.id) + " roles: \"volery-gateway\" runs alone on its node (it is a "
                          "Ridge sender and S-SMR client of its own; give the other roles their own nodes)");
      }
    }
    (void)volery::VoleryConfig::from(config);
  }
}

std::vector<std::unique_ptr<Role>> make_roles(const ClusterConfig& config, const NodeConfig& node, Env& env,
                                              const RidgeObserver& observer) {
  std::vector<std::unique_ptr<Role>> roles;
  for (const std::string& name : node.roles) {
    if (name == "echo") roles.push_back(std::make_unique<echo::EchoRole>(env, echo::EchoOptions::from_config(config, node.id)));
    if (name == "ridge") roles.push_back(std::make_unique<StandaloneRidge>(env, multicast::RidgeConfig::from(config), observer));
    if (name == "kv") {
      roles.push_back(std::make_unique<ServiceReplica<kv::KvOracle>>(
          env, config, "kv", [](const kv::KvOracle&) -> std::unique_ptr<partition::StateMachine> {
            return std::make_unique<kv::KvMachine>();
          }));
    }
    if (name == "volery") {
      roles.push_back(std::make_unique<ServiceReplica<volery::VoleryOracle>>(
          env, config, "volery", [](const volery::VoleryOracle& oracle) -> std::unique_ptr<partition::StateMachine> {
            return std::make_unique<volery::VoleryMachine>(oracle);
          }));
    }
    if (name == "volery-gateway") roles.push_back(std::make_unique<VoleryGateway>(env, config, node.id));
  }
  return roles;
}

}  // namespace eyrie::cli
