#pragma once
// A Volery deployment in the deterministic simulator (tests and the `volery` scenario):
// partitions 1..n of replicas running VoleryMachine, a Ridge ensemble of three acceptors per
// partition plus the shared one (on simulated disk, so crashed acceptors come back), Ridge's
// unique timestamps on (zxids), and gateway nodes that the caller fills with roles (GatewayRole
// wraps the Volery client library).

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "apps/volery/client.hpp"
#include "apps/volery/machine.hpp"
#include "apps/volery/placement.hpp"
#include "multicast/config.hpp"
#include "partition/config.hpp"
#include "partition/replica.hpp"
#include "runtime/sim/simulator.hpp"

namespace eyrie::check::volery_sim {

using volery::PartitionId;

struct TopologyOptions {
  std::size_t partitions = 2;
  std::size_t replicas_per_partition = 2;
  std::size_t gateways = 1;
  volery::MachineOptions machine{};
};

struct Topology {
  multicast::RidgeConfig ridge;
  partition::SsmrConfig ssmr;
  std::unique_ptr<volery::VoleryOracle> oracle;
  std::vector<NodeId> all;
  std::map<PartitionId, std::vector<NodeId>> replicas;
  std::map<multicast::EnsembleId, std::vector<NodeId>> acceptors;
  std::vector<NodeId> gateways;
  volery::MachineOptions machine{};
};

std::unique_ptr<Topology> make_topology(const TopologyOptions& options);

// Adds the replicas and acceptors of `t` to `sim` (not booted), each with clock() as its wall
// clock when given, and hands every replica role made (at each boot) to `made` when given.
// Gateways are the caller's.
void add_servers(sim::Simulator& sim, const Topology& t, const std::function<sim::ClockModel()>& clock = {},
                 const std::function<void(const partition::PartitionReplica&)>& made = {});

// The message types a gateway node handles (replies, emitted notifications, Ridge's sender messages).
std::span<const MessageTypeRange> gateway_message_types();

// A gateway node's role: the client library, reachable from the test through `client`.
class GatewayRole final : public Role {
 public:
  GatewayRole(Env& env, const Topology& t, volery::VoleryClientOptions options = {})
      : client(env, t.ridge, t.ssmr, *t.oracle, options) {}
  std::string_view name() const override { return "volery-gateway"; }
  std::span<const MessageTypeRange> message_types() const override;
  void start() override {
    client.start();
    if (on_start) on_start();
  }
  void on_message(const Message& message) override { client.on_message(message); }
  void check_invariants() const override { client.check_invariants(); }

  volery::VoleryClient client;
  std::function<void()> on_start;
};

}  // namespace eyrie::check::volery_sim
