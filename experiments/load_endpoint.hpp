#pragma once
// External endpoints (a fresh id, no bound socket) that run one load role in front of a
// cluster: MulticastLoad for `eyrie multicast load`, `eyrie bench multicast` and the
// multi-process tests; the kv clients of `eyrie kv` and `eyrie bench kv`.

#include <functional>
#include <memory>

#include "experiments/multicast_load.hpp"
#include "runtime/net/node_host.hpp"

namespace eyrie::experiments {

struct LoadEndpointOptions {
  NodeId id;  // external (net::random_external_id()): seqs start at 1
  LogLevel log_level = LogLevel::warn;
  Duration stats_probe_interval = Duration::zero();  // positive: probe every cluster node's stats
};

template <typename R>
struct Endpoint {
  std::unique_ptr<net::NodeHost> host;
  R* role = nullptr;  // owned by host
};

// Builds and starts an endpoint whose one role is `make(env)`.
template <typename R>
Endpoint<R> start_endpoint(const ClusterConfig& config, const LoadEndpointOptions& options,
                           const std::function<std::unique_ptr<R>(Env&)>& make) {
  Endpoint<R> endpoint;
  net::NodeHostOptions host_options;
  host_options.id = options.id;
  host_options.log_level = options.log_level;
  host_options.stats_probe_interval = options.stats_probe_interval;
  host_options.make_roles = [&make, &endpoint](Env& env) {
    std::unique_ptr<R> role = make(env);
    endpoint.role = role.get();
    std::vector<std::unique_ptr<Role>> roles;
    roles.push_back(std::move(role));
    return roles;
  };
  endpoint.host = std::make_unique<net::NodeHost>(config, std::move(host_options));
  endpoint.host->start();
  return endpoint;
}

struct LoadEndpoint {
  std::unique_ptr<net::NodeHost> host;
  MulticastLoad* load = nullptr;  // owned by host
};

// Builds and starts the endpoint; the load issues nothing until told to. `config` and `ridge`
// must outlive it.
LoadEndpoint start_load_endpoint(const ClusterConfig& config, const multicast::RidgeConfig& ridge,
                                 MulticastLoadOptions load_options, const LoadEndpointOptions& options);

}  // namespace eyrie::experiments
