#include "tests/checkers/volery_cluster.hpp"

#include <array>

#include "apps/volery/machine.hpp"
#include "multicast/message_types.hpp"
#include "multicast/ridge_node.hpp"
#include "partition/message_types.hpp"
#include "partition/replica.hpp"

namespace eyrie::check::volery_sim {

using multicast::EnsembleId;
using multicast::GroupId;

namespace {

constexpr std::array<MessageTypeRange, 2> kGatewayTypes{
    partition::kClientTypes, MessageTypeRange{multicast::kProposeAck, multicast::kNotLeader}};

}  // namespace

std::span<const MessageTypeRange> gateway_message_types() { return kGatewayTypes; }
std::span<const MessageTypeRange> GatewayRole::message_types() const { return kGatewayTypes; }

std::unique_ptr<Topology> make_topology(const TopologyOptions& o) {
  auto t = std::make_unique<Topology>();
  std::uint64_t next_id = 1;
  const auto take = [&] {
    t->all.push_back(NodeId{next_id});
    return NodeId{next_id++};
  };
  const auto add_ensemble = [&](EnsembleId id, std::optional<GroupId> group) {
    multicast::EnsembleConfig e{.id = id, .group = group, .coordinators = {}, .acceptors = {}};
    for (int i = 0; i < 3; ++i) e.acceptors.push_back(take());
    e.coordinators = e.acceptors;
    t->acceptors[id] = e.acceptors;
    t->ridge.ensembles.push_back(std::move(e));
  };
  for (std::size_t p = 1; p <= o.partitions; ++p) {
    multicast::GroupConfig group{.id = GroupId{static_cast<std::uint32_t>(p)}, .learners = {}};
    for (std::size_t i = 0; i < o.replicas_per_partition; ++i) group.learners.push_back(take());
    t->replicas[PartitionId{group.id.value}] = group.learners;
    t->ridge.groups.push_back(group);
    add_ensemble(EnsembleId{static_cast<std::uint32_t>(p)}, group.id);
  }
  if (o.partitions > 1) add_ensemble(EnsembleId{100}, std::nullopt);
  for (std::size_t i = 0; i < o.gateways; ++i) t->gateways.push_back(take());
  t->ridge.null_interval = std::chrono::milliseconds(20);
  t->ridge.learner_gap_timeout = std::chrono::milliseconds(100);
  t->ridge.acceptor_storage = multicast::AcceptorStorage::disk;
  t->ridge.unique_timestamps = true;
  t->ssmr = partition::SsmrConfig::defaults_for(t->ridge);
  t->oracle = std::make_unique<volery::VoleryOracle>(t->ssmr.placement);
  t->machine = o.machine;
  return t;
}

void add_servers(sim::Simulator& sim, const Topology& t, const std::function<sim::ClockModel()>& clock,
                 const std::function<void(const partition::PartitionReplica&)>& made) {
  const auto clock_of = [&] { return clock ? clock() : sim::ClockModel{}; };
  for (const auto& [p, nodes] : t.replicas) {
    for (NodeId id : nodes) {
      sim.add_node(sim::NodeSpec{.id = id, .make_roles = [&t, made](Env& env) {
        std::vector<std::unique_ptr<Role>> roles;
        auto replica = std::make_unique<partition::PartitionReplica>(
            env, t.ridge, t.ssmr, *t.oracle, std::make_unique<volery::VoleryMachine>(*t.oracle, t.machine));
        if (made) made(*replica);
        roles.push_back(std::move(replica));
        return roles;
      }, .clock = clock_of()});
    }
  }
  for (const auto& [e, nodes] : t.acceptors) {
    for (NodeId id : nodes) {
      sim.add_node(sim::NodeSpec{.id = id, .make_roles = [&t](Env& env) {
        std::vector<std::unique_ptr<Role>> roles;
        // An acceptor and coordinator of the ensembles: a RidgeNode that learns nothing.
        roles.push_back(std::make_unique<multicast::RidgeNode>(env, t.ridge, [](const multicast::Delivery&) {}));
        return roles;
      }, .clock = clock_of()});
    }
  }
}

}  // namespace eyrie::check::volery_sim
