#include "experiments/load_endpoint.hpp"

namespace eyrie::experiments {

LoadEndpoint start_load_endpoint(const ClusterConfig& config, const multicast::RidgeConfig& ridge,
                                 MulticastLoadOptions load_options, const LoadEndpointOptions& options) {
  Endpoint<MulticastLoad> endpoint = start_endpoint<MulticastLoad>(config, options, [&](Env& env) {
    return std::make_unique<MulticastLoad>(env, ridge, std::move(load_options));
  });
  return LoadEndpoint{std::move(endpoint.host), endpoint.role};
}

}  // namespace eyrie::experiments
