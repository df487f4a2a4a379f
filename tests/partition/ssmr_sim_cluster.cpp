#include "tests/partition/ssmr_sim_cluster.hpp"

#include <gtest/gtest.h>

#include <array>

#include "multicast/message_types.hpp"
#include "multicast/ridge_node.hpp"
#include "partition/message_types.hpp"

namespace eyrie::partition::simtest {

using multicast::EnsembleId;
using multicast::GroupId;

// The client node's only role: the client library, reachable by the test.
class SimCluster::ClientRole final : public Role {
 public:
  ClientRole(Env& env, const multicast::RidgeConfig& ridge, const SsmrConfig& ssmr, const oracle::PartitioningOracle& oracle)
      : client(env, ridge, ssmr, oracle,
               ClientOptions{.window_max = 4, .retry_after = std::chrono::seconds(1), .timeout = std::chrono::seconds(12),
                             .sender = {}}) {}
  std::string_view name() const override { return "test-client"; }
  std::span<const MessageTypeRange> message_types() const override { return kTypes; }
  void start() override { client.start(); }
  void on_message(const Message& message) override { client.on_message(message); }
  void check_invariants() const override { client.check_invariants(); }

  Client client;

 private:
  static constexpr std::array<MessageTypeRange, 2> kTypes{
      partition::kClientTypes, MessageTypeRange{multicast::kProposeAck, multicast::kNotLeader}};
};

SimCluster::SimCluster(SimClusterOptions options)
    : placement_(std::make_shared<oracle::RangePlacement>(std::vector<PartitionId>{PartitionId{1}, PartitionId{2}},
                                                          std::vector<std::string>{"m"})),
      oracle_(options.make_oracle(placement_)) {
  std::uint64_t next_id = 1;
  std::vector<NodeId> acceptor_nodes;
  const auto add_ensemble = [&](EnsembleId id, std::optional<GroupId> group) {
    multicast::EnsembleConfig e{.id = id, .group = group, .coordinators = {}, .acceptors = {}};
    for (int i = 0; i < 3; ++i) e.acceptors.push_back(NodeId{next_id++});
    e.coordinators = e.acceptors;
    acceptor_nodes.insert(acceptor_nodes.end(), e.acceptors.begin(), e.acceptors.end());
    ridge_.ensembles.push_back(std::move(e));
  };
  for (std::uint32_t p = 1; p <= 2; ++p) {
    multicast::GroupConfig group{.id = GroupId{p}, .learners = {NodeId{next_id}, NodeId{next_id + 1}}};
    next_id += 2;
    replicas_[PartitionId{p}] = group.learners;
    ridge_.groups.push_back(group);
    add_ensemble(EnsembleId{p}, group.id);
  }
  add_ensemble(EnsembleId{100}, std::nullopt);
  for (std::size_t i = 0; i < options.clients; ++i) client_nodes_.push_back(NodeId{next_id++});
  ridge_.null_interval = std::chrono::milliseconds(20);
  ridge_.learner_gap_timeout = std::chrono::milliseconds(100);
  ssmr_ = SsmrConfig::defaults_for(ridge_);
  ssmr_.placement = placement_;
  if (options.tune_config) options.tune_config(ssmr_);

  sim_ = std::make_unique<sim::Simulator>(sim::SimOptions{.seed = options.seed});
  for (const auto& [p, nodes] : replicas_) {
    for (NodeId id : nodes) {
      sim_->add_node(sim::NodeSpec{.id = id, .make_roles = [this, id, make = options.make_machine](Env& env) {
        std::vector<std::unique_ptr<Role>> roles;
        auto replica = std::make_unique<PartitionReplica>(env, ridge_, ssmr_, *oracle_, make());
        replica_roles_[id] = replica.get();
        roles.push_back(std::move(replica));
        return roles;
      }});
    }
  }
  for (NodeId id : acceptor_nodes) {
    sim_->add_node(sim::NodeSpec{.id = id, .make_roles = [this](Env& env) {
      std::vector<std::unique_ptr<Role>> roles;
      roles.push_back(std::make_unique<multicast::RidgeNode>(env, ridge_, [](const multicast::Delivery&) {}));
      return roles;
    }});
  }
  for (NodeId id : client_nodes_) {
    sim_->add_node(sim::NodeSpec{.id = id, .make_roles = [this, id](Env& env) {
      std::vector<std::unique_ptr<Role>> roles;
      auto role = std::make_unique<ClientRole>(env, ridge_, ssmr_, *oracle_);
      clients_[id] = &role->client;
      roles.push_back(std::move(role));
      return roles;
    }});
  }
  for (NodeId id : sim_->nodes()) sim_->boot(id);
  // Coordinators take over their ensembles before the first command.
  sim_->run_until(sim_->now() + std::chrono::seconds(1));
}

SimCluster::~SimCluster() = default;

CommandResult SimCluster::run(Payload request, std::optional<std::vector<PartitionId>> destinations, Duration limit) {
  const Pending pending = submit(std::move(request), std::move(destinations));
  EXPECT_TRUE(wait(pending, limit)) << "no answer within " << eyrie::to_string(limit);
  return pending->value_or(CommandResult{.status = CommandResult::Status::timeout, .body = {}, .seq = 0, .destinations = {}});
}

Pending SimCluster::submit(Payload request, std::optional<std::vector<PartitionId>> destinations, std::size_t client) {
  Pending pending = std::make_shared<std::optional<CommandResult>>();
  Client& c = *clients_.at(client_nodes_.at(client));
  sim_->at(sim_->now(), "submit", [&c, pending, request = std::move(request), destinations = std::move(destinations)] {
    const auto done = [pending](const CommandResult& r) { *pending = r; };
    const std::optional<std::uint64_t> seq = destinations ? c.submit(request, *destinations, done) : c.submit(request, done);
    EXPECT_TRUE(seq.has_value()) << "the client refused the command";
  });
  return pending;
}

bool SimCluster::wait(const Pending& pending, Duration limit) {
  sim_->run_until(sim_->now() + limit, [&] { return pending->has_value(); });
  return pending->has_value();
}

void SimCluster::settle(Duration d) { sim_->run_until(sim_->now() + d); }

PartitionReplica& SimCluster::replica(PartitionId partition, std::size_t index) {
  return *replica_roles_.at(replicas_.at(partition).at(index));
}

std::uint64_t SimCluster::replica_counter(PartitionId partition, std::string_view name) {
  std::uint64_t sum = 0;
  for (NodeId id : replicas_.at(partition)) sum += sim_->node(id).metrics().counter_value(name);
  return sum;
}

}  // namespace eyrie::partition::simtest
