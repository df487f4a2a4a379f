#pragma once
// DistributorBalancer: the last acceptor of a chain picks the learner that forwards a decided
// value to the other learners (Bezerra, §5.3.1-5.3.2). Picking the learner that has distributed
// the fewest bytes so far (as seen by this acceptor) spreads the forwarding load evenly; learners
// in the chain are never picked, since they already carry the acceptor's load (§5.3.2).
// Bounded: one counter per learner of the ensemble.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "runtime/types.hpp"

namespace eyrie {
namespace multicast {

class DistributorBalancer {
 public:
  // The least-loaded learner not in `chain`, charged `bytes`; nullopt when every learner is
  // in the chain (then nobody needs the value forwarded). Ties go to the lowest id.
  std::optional<NodeId> choose(std::span<const NodeId> learners, std::span<const NodeId> chain, std::uint64_t bytes) {
    std::optional<NodeId> best;
    for (NodeId learner : learners) {
      if (std::find(chain.begin(), chain.end(), learner) != chain.end()) continue;
      if (!best || distributed_[learner] < distributed_[*best]) best = learner;
    }
    // Every message costs at least one byte so that null batches also rotate.
    if (best) distributed_[*best] += std::max<std::uint64_t>(bytes, 1);
    return best;
  }
  std::uint64_t distributed(NodeId learner) const {
    const auto it = distributed_.find(learner);
    return it == distributed_.end() ? 0 : it->second;
  }

 private:
  std::map<NodeId, std::uint64_t> distributed_;
};

}  // namespace multicast
}  // namespace eyrie
