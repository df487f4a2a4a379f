#pragma once
// One kv command from outside a cluster (`eyrie kv get|put|cas|transfer|put-many`, and the
// readiness check of `eyrie bench kv`): a partition::BlockingClient (a fresh external
// endpoint) submits the request to the oracle's destinations and waits for the reply.

#include <filesystem>
#include <memory>

#include "apps/kv/kv.hpp"
#include "partition/client.hpp"
#include "runtime/config.hpp"

namespace eyrie::experiments {

// What a kv client needs of a cluster file: its Ridge and [ssmr] configurations and kv's oracle
// over the placement. Not movable: clients refer to its members.
struct KvCluster {
  ClusterConfig config;
  multicast::RidgeConfig ridge;
  partition::SsmrConfig ssmr;
  std::unique_ptr<kv::KvOracle> oracle;

  // Throws ConfigError for a file whose [ridge] or [ssmr] section is refused (the caller
  // validates the rest of the file), and what ClusterConfig::load throws.
  static std::unique_ptr<const KvCluster> load(const std::filesystem::path& path);
  explicit KvCluster(ClusterConfig cluster);
  KvCluster(const KvCluster&) = delete;
  KvCluster& operator=(const KvCluster&) = delete;
};

struct KvCommandOptions {
  Duration timeout = std::chrono::seconds(10);
  Duration retry_after = std::chrono::seconds(1);  // resend when no reply came (lost, cluster starting)
  LogLevel log_level = LogLevel::warn;
};

// The client's result: ok (body: an encoded kv::Response), failed (body: the replicas' error)
// or timeout (no reply within options.timeout). Throws what NodeHost throws when the endpoint
// cannot start.
partition::CommandResult run_kv_command(const KvCluster& cluster, const kv::Request& request,
                                        const KvCommandOptions& options);

// Waits until every partition answers a get (one key it owns each), trying again until
// `deadline` passes; false then.
bool wait_until_kv_answers(const KvCluster& cluster, Duration deadline);

}  // namespace eyrie::experiments
