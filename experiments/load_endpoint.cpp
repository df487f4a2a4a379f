#include "experiments/load_endpoint.hpp"

namespace eyrie::experiments {

LoadEndpoint start_load_endpoint(const ClusterConfig& config, const multicast::RidgeConfig& ridge,
                                 MulticastLoadOptions load_options, const LoadEndpointOptions& options) {
  LoadEndpoint endpoint;
  net::NodeHostOptions host_options;
  host_options.id = options.id;
  host_options.log_level = options.log_level;
  host_options.stats_probe_interval = options.stats_probe_interval;
  host_options.make_roles = [&ridge, &load_options, &endpoint](Env& env) {
    auto role = std::make_unique<MulticastLoad>(env, ridge, std::move(load_options));
    endpoint.load = role.get();
    std::vector<std::unique_ptr<Role>> roles;
    roles.push_back(std::move(role));
    return roles;
  };
  endpoint.host = std::make_unique<net::NodeHost>(config, std::move(host_options));
  endpoint.host->start();
  return endpoint;
}

}  // namespace eyrie::experiments
