#include "apps/cli/roles.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "apps/echo/echo_role.hpp"
#include "apps/kv/kv.hpp"
#include "multicast/ridge_node.hpp"
#include "partition/config.hpp"
#include "partition/replica.hpp"

namespace eyrie::cli {

namespace {
constexpr std::array<std::string_view, 3> kRoleNames{"echo", "ridge", "kv"};
// Top-level sections owned by modules (the runtime owns cluster, transport and nodes).
constexpr std::array<std::string_view, 3> kModuleSections{"echo", "ridge", "ssmr"};

bool has_role(const NodeConfig& node, std::string_view role) {
  return std::find(node.roles.begin(), node.roles.end(), role) != node.roles.end();
}

bool any_node_has(const ClusterConfig& config, std::string_view role) {
  return std::any_of(config.nodes.begin(), config.nodes.end(), [&](const NodeConfig& n) { return has_role(n, role); });
}

std::string node_name(const ClusterConfig& config, NodeId id) {
  return fmt::format("{}: [[nodes]] id {}", config.file, id.value);
}

// The kv role's placement rules: a kv node is a replica of exactly one partition (a learner of
// exactly one Ridge group), it contains its own Ridge node (so it cannot run "ridge" too), and
// every learner of a cluster with kv replicas runs kv, since partition p's replicas are all of
// group p's learners (replicas send each other signals and values).
void validate_kv_placement(const ClusterConfig& config, const multicast::RidgeConfig& ridge) {
  for (const NodeConfig& node : config.nodes) {
    const std::size_t groups = ridge.groups_of(node.id).size();
    if (has_role(node, "kv")) {
      if (has_role(node, "ridge")) {
        throw ConfigError(node_name(config, node.id) + " roles: \"kv\" and \"ridge\" together; a kv replica runs its "
                          "own Ridge node (learner, and acceptor or coordinator where [[ridge.ensembles]] say so), "
                          "so list only \"kv\"");
      }
      if (groups != 1) {
        throw ConfigError(fmt::format("{} runs \"kv\" but is a learner of {} [[ridge.groups]]; a kv replica belongs "
                                      "to exactly one partition (partition p is Ridge group p): list it in the "
                                      "learners of exactly one group",
                                      node_name(config, node.id), groups));
      }
    } else if (groups > 0) {
      throw ConfigError(node_name(config, node.id) +
                        " is a learner of a [[ridge.groups]] group but does not run \"kv\"; in a cluster with kv "
                        "replicas every group learner is a replica of that group's partition, so give it the kv role");
    }
  }
}

// A kv replica: a PartitionReplica (with its own RidgeNode) running kv::KvMachine, placed by
// the [ssmr] section. Owns the configurations and the oracle the replica refers to.
class KvReplica final : public Role {
 public:
  KvReplica(Env& env, const ClusterConfig& config)
      : ridge_(multicast::RidgeConfig::from(config)),
        ssmr_(partition::SsmrConfig::from(config, ridge_)),
        oracle_(ssmr_.placement),
        replica_(env, ridge_, ssmr_, oracle_, std::make_unique<kv::KvMachine>()) {}
  std::string_view name() const override { return "kv"; }
  std::span<const MessageTypeRange> message_types() const override { return replica_.message_types(); }
  void start() override { replica_.start(); }
  void on_message(const Message& message) override { replica_.on_message(message); }
  void check_invariants() const override { replica_.check_invariants(); }

 private:
  multicast::RidgeConfig ridge_;  // the members below refer to these three
  partition::SsmrConfig ssmr_;
  kv::KvOracle oracle_;
  partition::PartitionReplica replica_;
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
                          " roles: unknown role \"" + role + "\" (known: echo, ridge, kv)");
      }
    }
  }
  // Each module checks its section by building its options once.
  if (!config.nodes.empty()) (void)echo::EchoOptions::from_config(config, config.nodes.front().id);
  const bool kv = any_node_has(config, "kv");
  if (kv || any_node_has(config, "ridge") || config.section("ridge").present() || config.section("ssmr").present()) {
    const multicast::RidgeConfig ridge = multicast::RidgeConfig::from(config);
    if (kv || config.section("ssmr").present()) (void)partition::SsmrConfig::from(config, ridge);
    if (kv) validate_kv_placement(config, ridge);
  }
}

std::vector<std::unique_ptr<Role>> make_roles(const ClusterConfig& config, const NodeConfig& node, Env& env,
                                              const RidgeObserver& observer) {
  std::vector<std::unique_ptr<Role>> roles;
  for (const std::string& name : node.roles) {
    if (name == "echo") roles.push_back(std::make_unique<echo::EchoRole>(env, echo::EchoOptions::from_config(config, node.id)));
    if (name == "ridge") roles.push_back(std::make_unique<StandaloneRidge>(env, multicast::RidgeConfig::from(config), observer));
    if (name == "kv") roles.push_back(std::make_unique<KvReplica>(env, config));
  }
  return roles;
}

}  // namespace eyrie::cli
