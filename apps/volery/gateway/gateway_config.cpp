#include "apps/volery/gateway/gateway_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace eyrie::volery {

namespace {
constexpr std::string_view kGatewayRole = "volery-gateway";

bool runs_gateway(const NodeConfig& node) {
  return std::find(node.roles.begin(), node.roles.end(), kGatewayRole) != node.roles.end();
}
}  // namespace

VoleryConfig VoleryConfig::from(const ClusterConfig& cluster) {
  VoleryConfig c;
  const ConfigSection s = cluster.section("volery");
  c.tick_time = s.milliseconds("tick_ms", c.tick_time, std::chrono::milliseconds(10), std::chrono::seconds(60));
  c.max_frame_bytes = static_cast<std::size_t>(
      s.integer("max_frame_bytes", static_cast<std::int64_t>(c.max_frame_bytes), 1024, std::int64_t{1} << 30));
  c.client_connections_max = static_cast<std::size_t>(
      s.integer("client_connections_max", static_cast<std::int64_t>(c.client_connections_max), 1, 1 << 20));
  std::set<std::pair<std::string, std::uint16_t>> addresses;
  for (const ConfigSection& g : s.table_array("gateways")) {
    GatewayEndpoint e;
    e.node = NodeId{static_cast<std::uint64_t>(g.required_integer("node", 1, NodeId::kClusterNodeIdMax))};
    const auto node = std::find_if(cluster.nodes.begin(), cluster.nodes.end(),
                                   [&](const NodeConfig& n) { return n.id == e.node; });
    if (node == cluster.nodes.end()) g.fail("node", fmt::format("{} is not a [[nodes]] id", e.node.value));
    if (!runs_gateway(*node)) {
      g.fail("node", fmt::format("[[nodes]] id {} does not run the \"{}\" role", e.node.value, kGatewayRole));
    }
    if (c.gateway(e.node) != nullptr) g.fail("node", fmt::format("node {} has two gateway entries", e.node.value));
    e.client_host = g.string("client_host", "127.0.0.1");
    e.client_port = static_cast<std::uint16_t>(g.required_integer("client_port", 1, 65535));
    if (!addresses.emplace(e.client_host, e.client_port).second) {
      g.fail("client_port", fmt::format("{}:{} is another gateway's client address", e.client_host, e.client_port));
    }
    g.reject_unknown_keys();
    c.gateways.push_back(std::move(e));
  }
  for (const NodeConfig& node : cluster.nodes) {
    if (runs_gateway(node) && c.gateway(node.id) == nullptr) {
      s.fail("gateways", fmt::format("[[nodes]] id {} runs \"{}\" but has no [[volery.gateways]] entry (node = {}, "
                                     "client_port = ...)",
                                     node.id.value, kGatewayRole, node.id.value));
    }
  }
  s.reject_unknown_keys();
  return c;
}

const GatewayEndpoint* VoleryConfig::gateway(NodeId node) const {
  const auto it = std::find_if(gateways.begin(), gateways.end(), [&](const GatewayEndpoint& g) { return g.node == node; });
  return it == gateways.end() ? nullptr : &*it;
}

}  // namespace eyrie::volery
