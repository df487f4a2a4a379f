#pragma once
// A small S-SMR deployment in the deterministic simulator, without faults, for end-to-end tests
// of PartitionReplica and Client: partitions 1 and 2 of two replicas each, a Ridge ensemble of
// three acceptors per partition plus the shared one, and client nodes (one unless asked). Range placement:
// partition 1 owns the keys below "m", partition 2 the rest ("apple" lives in 1, "zebra" in 2).
//
// The test drives the clients directly: run() submits one command inside a simulator event and
// runs the simulation until the command completes; submit() and wait() split the two.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "partition/client.hpp"
#include "partition/replica.hpp"
#include "runtime/sim/simulator.hpp"

namespace eyrie::partition::simtest {

struct SimClusterOptions {
  std::function<std::unique_ptr<StateMachine>()> make_machine;
  std::function<std::unique_ptr<oracle::PartitioningOracle>(std::shared_ptr<const oracle::Placement>)> make_oracle;
  std::uint64_t seed = 1;
  std::size_t clients = 1;
  std::function<void(SsmrConfig&)> tune_config;  // applied over the defaults
};

// A submitted command's result, once its callback ran.
using Pending = std::shared_ptr<std::optional<CommandResult>>;

class SimCluster {
 public:
  explicit SimCluster(SimClusterOptions options);
  ~SimCluster();

  // Submits `request` (to the oracle's destinations, or to `destinations`), runs until its
  // callback ran or `limit` passed (a test failure: the result then says timeout).
  CommandResult run(Payload request, std::optional<std::vector<PartitionId>> destinations = std::nullopt,
                    Duration limit = std::chrono::seconds(15));
  // Submits through client `client` at the current time (the simulation does not advance).
  Pending submit(Payload request, std::optional<std::vector<PartitionId>> destinations = std::nullopt,
                 std::size_t client = 0);
  // Runs until `pending` completed or `limit` passed; whether it completed.
  bool wait(const Pending& pending, Duration limit = std::chrono::seconds(15));
  // Lets every replica finish what it has (the client hears the first replica of the lowest
  // destination; the others may still be running the command).
  void settle(Duration d = std::chrono::milliseconds(500));

  PartitionReplica& replica(PartitionId partition, std::size_t index);
  const std::vector<NodeId>& replicas(PartitionId partition) const { return replicas_.at(partition); }
  NodeId client_node(std::size_t client = 0) const { return client_nodes_.at(client); }
  Client& client(std::size_t client = 0) { return *clients_.at(client_nodes_.at(client)); }
  const oracle::Placement& placement() const { return *placement_; }
  const oracle::PartitioningOracle& oracle() const { return *oracle_; }
  sim::Simulator& sim() { return *sim_; }
  // The sum over a partition's replicas of one metrics counter.
  std::uint64_t replica_counter(PartitionId partition, std::string_view name);

 private:
  class ClientRole;

  std::shared_ptr<const oracle::Placement> placement_;
  std::unique_ptr<oracle::PartitioningOracle> oracle_;
  multicast::RidgeConfig ridge_;
  SsmrConfig ssmr_;
  std::map<PartitionId, std::vector<NodeId>> replicas_;
  std::vector<NodeId> client_nodes_;
  std::map<NodeId, PartitionReplica*> replica_roles_;  // set at boot; no crashes here
  std::map<NodeId, Client*> clients_;
  std::unique_ptr<sim::Simulator> sim_;
};

}  // namespace eyrie::partition::simtest
