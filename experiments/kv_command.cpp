#include "experiments/kv_command.hpp"

#include <fmt/format.h>

#include <array>

#include "experiments/load_endpoint.hpp"
#include "multicast/message_types.hpp"
#include "partition/message_types.hpp"

namespace eyrie::experiments {

namespace {

constexpr std::array<MessageTypeRange, 2> kClientTypes{
    partition::kClientTypes, MessageTypeRange{multicast::kProposeAck, multicast::kNotLeader}};

// A partition::Client as the one role of an endpoint.
class ClientRole final : public Role {
 public:
  ClientRole(Env& env, const multicast::RidgeConfig& ridge, const partition::SsmrConfig& ssmr,
             const oracle::PartitioningOracle& oracle, partition::ClientOptions options)
      : client(env, ridge, ssmr, oracle, options) {}
  std::string_view name() const override { return "kv-client"; }
  std::span<const MessageTypeRange> message_types() const override { return kClientTypes; }
  void start() override { client.start(); }
  void on_message(const Message& message) override { client.on_message(message); }
  void check_invariants() const override { client.check_invariants(); }

  partition::Client client;
};

}  // namespace

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
  const partition::ClientOptions client_options{
      .window_max = 1, .retry_after = options.retry_after, .timeout = options.timeout, .sender = {}};
  Endpoint<ClientRole> endpoint = start_endpoint<ClientRole>(
      cluster.config, {.id = net::random_external_id(), .log_level = options.log_level}, [&](Env& env) {
        return std::make_unique<ClientRole>(env, cluster.ridge, cluster.ssmr, *cluster.oracle, client_options);
      });
  std::optional<partition::CommandResult> result;
  endpoint.role->client.submit(kv::encode(request), [&result](const partition::CommandResult& r) { result = r; });
  // The client itself ends the command with `timeout`; the margin covers its timer's period.
  endpoint.host->run_until([&] { return result.has_value(); }, options.timeout + options.retry_after);
  if (!result) return partition::CommandResult{.status = partition::CommandResult::Status::timeout, .body = {}, .seq = 1, .destinations = {}};
  return *result;
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
