#include "experiments/kv_command.hpp"

#include <fmt/format.h>

#include "partition/blocking_client.hpp"

namespace eyrie::experiments {

KvCluster::KvCluster(ClusterConfig cluster)
    : config(std::move(cluster)),
      ridge(multicast::RidgeConfig::from(config)),
      ssmr(partition::SsmrConfig::from(config, ridge)),
      oracle(std::make_unique<kv::KvOracle>(ssmr.placement)) {}

std::unique_ptr<const KvCluster> KvCluster::load(const std::filesystem::path& path) {
  return std::make_unique<const KvCluster>(ClusterConfig::load(path));
}

partition::CommandResult run_kv_command(const KvCluster& cluster, const kv::Request& request,
                                        const KvCommandOptions& options) {
  partition::BlockingClient client(
      cluster.config, cluster.ridge, cluster.ssmr, *cluster.oracle,
      partition::ClientOptions{.window_max = 1, .retry_after = options.retry_after, .timeout = options.timeout, .sender = {}},
      options.log_level);
  return client.call(kv::encode(request));
}

bool wait_until_kv_answers(const KvCluster& cluster, Duration deadline) {
  using namespace std::chrono_literals;
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (oracle::PartitionId p : cluster.ssmr.partition_ids()) {
    std::string key;
    for (int i = 0; key.empty(); ++i) {
      const std::string candidate = fmt::format("ready.{}", i);
      if (cluster.oracle->placement().owner(candidate) == p) key = candidate;
    }
    for (;;) {
      const auto result = run_kv_command(cluster, kv::Get{key},
                                         {.timeout = 2s, .retry_after = 200ms, .log_level = LogLevel::error});
      if (result.status == partition::CommandResult::Status::ok) break;
      if (std::chrono::steady_clock::now() >= until) return false;
    }
  }
  return true;
}

}  // namespace eyrie::experiments
