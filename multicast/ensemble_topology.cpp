#include "multicast/ensemble_topology.hpp"

#include <algorithm>

namespace eyrie::multicast {

namespace {
bool contains(const std::vector<NodeId>& nodes, NodeId node) {
  return std::find(nodes.begin(), nodes.end(), node) != nodes.end();
}
}  // namespace

EnsembleTopology EnsembleTopology::from(const RidgeConfig& config, const EnsembleConfig& ensemble) {
  return EnsembleTopology{.id = ensemble.id,
                          .candidates = ensemble.coordinators,
                          .acceptors = ensemble.acceptors,
                          .learners = config.learners_of(ensemble.id)};
}

std::optional<std::size_t> EnsembleTopology::candidate_index(NodeId node) const {
  const auto it = std::find(candidates.begin(), candidates.end(), node);
  if (it == candidates.end()) return std::nullopt;
  return static_cast<std::size_t>(it - candidates.begin());
}

std::optional<NodeId> EnsembleTopology::candidate_of(Round round) const {
  if (round.value == 0 || round.candidate_index() >= candidates.size()) return std::nullopt;
  return candidates[round.candidate_index()];
}

bool EnsembleTopology::is_acceptor(NodeId node) const { return contains(acceptors, node); }
bool EnsembleTopology::is_learner(NodeId node) const { return std::binary_search(learners.begin(), learners.end(), node); }

}  // namespace eyrie::multicast
