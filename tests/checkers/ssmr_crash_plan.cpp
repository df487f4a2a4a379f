#include "tests/checkers/ssmr_crash_plan.hpp"

#include <fmt/format.h>

namespace eyrie::check {

void SsmrCrashPlan::schedule() {
  const auto gap = [&] { return rng_.range(Duration(std::chrono::milliseconds(300)), Duration(std::chrono::seconds(3))); };
  for (Time at = Time{gap()}; at < Time{safety_}; at += gap()) {
    if (rng_.chance(1, 3)) {
      const auto& [p, nodes] = *std::next(replicas_.begin(), static_cast<long>(rng_.uniform(replicas_.size())));
      if (crashed_partitions_.insert(p).second) {
        const NodeId victim = nodes[rng_.uniform(nodes.size())];
        stays_down_.insert(victim);
        ++crashes_;
        sim_.at(at, fmt::format("crash replica {}", eyrie::to_string(victim)), [this, victim] {
          if (sim_.is_up(victim)) sim_.crash(victim);
        });
      }
      continue;
    }
    const auto& [e, nodes] = *std::next(acceptors_.begin(), static_cast<long>(rng_.uniform(acceptors_.size())));
    if (busy_until_[e] > at) continue;
    const NodeId victim = nodes[rng_.uniform(nodes.size())];
    const Time back = at + rng_.range(Duration(std::chrono::milliseconds(100)), Duration(std::chrono::seconds(3)));
    busy_until_[e] = back;
    ++crashes_;
    sim_.at(at, fmt::format("crash acceptor {}", eyrie::to_string(victim)), [this, victim] {
      if (sim_.is_up(victim)) sim_.crash(victim);
    });
    sim_.at(back, fmt::format("restart acceptor {}", eyrie::to_string(victim)), [this, victim] {
      if (!sim_.is_up(victim)) sim_.boot(victim);
    });
  }
}

void SsmrCrashPlan::restart_all_allowed() {
  for (NodeId id : sim_.nodes()) {
    if (!sim_.is_up(id) && !stays_down_.contains(id)) sim_.boot(id);
  }
}

}  // namespace eyrie::check
