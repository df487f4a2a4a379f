#include "apps/cli/roles.hpp"

#include <algorithm>
#include <array>

#include "apps/echo/echo_role.hpp"

namespace eyrie::cli {

namespace {
constexpr std::array<std::string_view, 1> kRoleNames{"echo"};
// Top-level sections owned by modules (the runtime owns cluster, transport and nodes).
constexpr std::array<std::string_view, 1> kModuleSections{"echo"};
}  // namespace

std::span<const std::string_view> role_names() { return kRoleNames; }

void validate_modules(const ClusterConfig& config) {
  config.reject_unknown_sections(kModuleSections);
  for (std::size_t i = 0; i < config.nodes.size(); ++i) {
    for (const std::string& role : config.nodes[i].roles) {
      if (std::find(kRoleNames.begin(), kRoleNames.end(), role) == kRoleNames.end()) {
        throw ConfigError(config.file + ": [[nodes]] id " + std::to_string(config.nodes[i].id.value) +
                          " roles: unknown role \"" + role + "\" (known: echo)");
      }
    }
  }
  // Each module checks its section by building its options once.
  if (!config.nodes.empty()) (void)echo::EchoOptions::from_config(config, config.nodes.front().id);
}

std::vector<std::unique_ptr<Role>> make_roles(const ClusterConfig& config, const NodeConfig& node, Env& env) {
  std::vector<std::unique_ptr<Role>> roles;
  for (const std::string& name : node.roles) {
    if (name == "echo") roles.push_back(std::make_unique<echo::EchoRole>(env, echo::EchoOptions::from_config(config, node.id)));
  }
  return roles;
}

}  // namespace eyrie::cli
