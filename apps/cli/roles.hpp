#pragma once
// The roles `eyrie node` can host, by the names used in the cluster file's
// [[nodes]] roles = [...], and validation of every module's section of the cluster file.
// This is the one place that knows all modules; the runtime knows none.

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "multicast/types.hpp"
#include "runtime/config.hpp"
#include "runtime/env.hpp"

namespace eyrie::cli {

std::span<const std::string_view> role_names();

// Checks what the runtime cannot: role names, and each module's own section. Throws
// ConfigError. Call before starting anything, so that a bad file stops every node at once.
void validate_modules(const ClusterConfig& config);

// What the ridge role hands out besides its metrics: every conservative and optimistic
// delivery of a learner node (the delivery log of `eyrie node --delivery-log`, a benchmark's
// latency windows). Until an upper layer consumes deliveries, these are their only readers.
struct RidgeObserver {
  std::function<void(const multicast::Delivery&)> on_deliver;
  std::function<void(const multicast::OptDelivery&)> on_opt_deliver;
};

// The roles of `node`, each bound to `env`. Precondition: validate_modules(config) passed.
std::vector<std::unique_ptr<Role>> make_roles(const ClusterConfig& config, const NodeConfig& node, Env& env,
                                              const RidgeObserver& observer = {});

}  // namespace eyrie::cli
