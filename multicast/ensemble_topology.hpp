#pragma once
// EnsembleTopology: who plays which part in one ensemble, resolved once from the RidgeConfig so
// that the roles ask cheap questions ("am I an acceptor?", "which candidate owns this round?")
// instead of searching the config on every message.

#include <cstddef>
#include <optional>
#include <vector>

#include "multicast/config.hpp"

namespace eyrie::multicast {

struct EnsembleTopology {
  EnsembleId id;
  std::vector<NodeId> candidates;  // in order of preference; index = Round::candidate_index
  std::vector<NodeId> acceptors;   // 2f+1, in chain order of preference
  std::vector<NodeId> learners;    // sorted

  static EnsembleTopology from(const RidgeConfig& config, const EnsembleConfig& ensemble);

  std::size_t f() const { return (acceptors.size() - 1) / 2; }
  // A majority of the 2f+1 acceptors: the length of a Phase 2 chain.
  std::size_t quorum() const { return f() + 1; }
  std::optional<std::size_t> candidate_index(NodeId node) const;
  // The candidate that owns `round`, when its index names one.
  std::optional<NodeId> candidate_of(Round round) const;
  bool is_acceptor(NodeId node) const;
  bool is_learner(NodeId node) const;
  bool is_candidate(NodeId node) const { return candidate_index(node).has_value(); }
};

}  // namespace eyrie::multicast
