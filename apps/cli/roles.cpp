#include "apps/cli/roles.hpp"

#include <algorithm>
#include <array>

#include "apps/echo/echo_role.hpp"
#include "multicast/ridge_node.hpp"

namespace eyrie::cli {

namespace {
constexpr std::array<std::string_view, 2> kRoleNames{"echo", "ridge"};
// Top-level sections owned by modules (the runtime owns cluster, transport and nodes).
constexpr std::array<std::string_view, 2> kModuleSections{"echo", "ridge"};

bool any_node_has(const ClusterConfig& config, std::string_view role) {
  return std::any_of(config.nodes.begin(), config.nodes.end(), [&](const NodeConfig& n) {
    return std::find(n.roles.begin(), n.roles.end(), role) != n.roles.end();
  });
}

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
                          " roles: unknown role \"" + role + "\" (known: echo, ridge)");
      }
    }
  }
  // Each module checks its section by building its options once.
  if (!config.nodes.empty()) (void)echo::EchoOptions::from_config(config, config.nodes.front().id);
  if (any_node_has(config, "ridge") || config.section("ridge").present()) (void)multicast::RidgeConfig::from(config);
}

std::vector<std::unique_ptr<Role>> make_roles(const ClusterConfig& config, const NodeConfig& node, Env& env,
                                              const RidgeObserver& observer) {
  std::vector<std::unique_ptr<Role>> roles;
  for (const std::string& name : node.roles) {
    if (name == "echo") roles.push_back(std::make_unique<echo::EchoRole>(env, echo::EchoOptions::from_config(config, node.id)));
    if (name == "ridge") roles.push_back(std::make_unique<StandaloneRidge>(env, multicast::RidgeConfig::from(config), observer));
  }
  return roles;
}

}  // namespace eyrie::cli
