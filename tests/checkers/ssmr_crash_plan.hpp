#pragma once
// Crashes for simulated S-SMR deployments (the kv and volery scenarios): at most one replica
// per partition crashes, for good (f = 1; a crashed replica would need state transfer to come
// back); acceptors crash and come back from their disks, one per ensemble at a time.

#include <map>
#include <set>
#include <vector>

#include "multicast/types.hpp"
#include "oracle/oracle.hpp"
#include "runtime/rng.hpp"
#include "runtime/sim/simulator.hpp"

namespace eyrie::check {

class SsmrCrashPlan {
 public:
  // The maps must outlive the plan.
  SsmrCrashPlan(sim::Simulator& sim, Rng& rng, const std::map<oracle::PartitionId, std::vector<NodeId>>& replicas,
                const std::map<multicast::EnsembleId, std::vector<NodeId>>& acceptors, Duration safety)
      : sim_(sim), rng_(rng), replicas_(replicas), acceptors_(acceptors), safety_(safety) {}

  // Schedules crashes every 0.3-3 s of the safety phase: a replica one time in three.
  void schedule();
  // Boots every node that is down and allowed back (the healing).
  void restart_all_allowed();
  std::size_t crashes() const { return crashes_; }

 private:
  sim::Simulator& sim_;
  Rng& rng_;
  const std::map<oracle::PartitionId, std::vector<NodeId>>& replicas_;
  const std::map<multicast::EnsembleId, std::vector<NodeId>>& acceptors_;
  Duration safety_;
  std::set<oracle::PartitionId> crashed_partitions_;
  std::set<NodeId> stays_down_;
  std::map<multicast::EnsembleId, Time> busy_until_;
  std::size_t crashes_ = 0;
};

}  // namespace eyrie::check
