#pragma once
// The cluster file's [volery] section: Volery's gateways (which nodes serve ZooKeeper clients,
// on which address) and the ZooKeeper server settings they apply (docs/cluster-file.md).
//
//   [volery]
//   tick_ms = 2000                 # ZooKeeper's tickTime: session timeouts in [2, 20] ticks
//   max_frame_bytes = 1048575      # jute.maxbuffer
//   [[volery.gateways]]
//   node = 7                       # a [[nodes]] id whose roles include "volery-gateway"
//   client_host = "127.0.0.1"
//   client_port = 2181

#include <optional>
#include <string>
#include <vector>

#include "runtime/config.hpp"

namespace eyrie::volery {

struct GatewayEndpoint {
  NodeId node;
  std::string client_host;
  std::uint16_t client_port = 0;
};

struct VoleryConfig {
  Duration tick_time = std::chrono::milliseconds(2000);
  std::size_t max_frame_bytes = 0xfffff;
  std::size_t client_connections_max = 4096;
  std::vector<GatewayEndpoint> gateways;

  // Validates the section against the nodes: each gateway names a node that runs
  // "volery-gateway", each such node has one entry, client addresses are unique. Throws
  // ConfigError.
  static VoleryConfig from(const ClusterConfig& cluster);
  const GatewayEndpoint* gateway(NodeId node) const;
};

}  // namespace eyrie::volery
