#pragma once
// An external endpoint that runs one MulticastLoad: what `eyrie multicast load`, `eyrie bench
// multicast` and the multi-process tests put in front of a Ridge cluster.

#include <memory>

#include "experiments/multicast_load.hpp"
#include "runtime/net/node_host.hpp"

namespace eyrie::experiments {

struct LoadEndpointOptions {
  NodeId id;  // external (net::random_external_id()): seqs start at 1
  LogLevel log_level = LogLevel::warn;
  Duration stats_probe_interval = Duration::zero();  // positive: probe every cluster node's stats
};

struct LoadEndpoint {
  std::unique_ptr<net::NodeHost> host;
  MulticastLoad* load = nullptr;  // owned by host
};

// Builds and starts the endpoint; the load issues nothing until told to. `config` and `ridge`
// must outlive it.
LoadEndpoint start_load_endpoint(const ClusterConfig& config, const multicast::RidgeConfig& ridge,
                                 MulticastLoadOptions load_options, const LoadEndpointOptions& options);

}  // namespace eyrie::experiments
