#pragma once
// Fault plans: the crashes, restarts and partitions of a scenario's safety phase, drawn from
// the seed before the run starts. A plan is plain data, so a failing seed's faults can be
// printed and read; scheduling it turns each fault into a Simulator action.
//
// Plans stay inside the fault model they are given: at most `down_max` nodes down at once, one
// partition at a time, disk loss only when asked for. Faults still pending when the safety phase
// ends are cleared by heal_all(), which starts the liveness phase.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "runtime/rng.hpp"
#include "runtime/sim/simulator.hpp"

namespace eyrie::sim {

struct FaultPlanOptions {
  Duration duration = std::chrono::seconds(40);  // faults start in [0, duration)
  // Time between two fault decisions; each decision picks a crash, a partition or nothing.
  Duration gap_min = std::chrono::milliseconds(100);
  Duration gap_max = std::chrono::seconds(2);
  std::uint32_t crash_weight = 2;
  std::uint32_t partition_weight = 2;
  std::uint32_t calm_weight = 1;
  Duration downtime_min = std::chrono::milliseconds(50);
  Duration downtime_max = std::chrono::seconds(5);
  Duration partition_min = std::chrono::milliseconds(100);
  Duration partition_max = std::chrono::seconds(5);
  std::size_t down_max = 1;  // nodes crashed at the same time
  bool one_way_partitions = true;
  // Chance that a crash also loses the disk; non-zero needs SimOptions::disk_loss_allowed.
  std::uint32_t disk_loss_ppm = 0;
};

struct Fault {
  enum class Kind : std::uint8_t { crash, restart, partition, heal };
  Time at{};
  Kind kind = Kind::crash;
  NodeId node{};                  // crash, restart
  DiskFate disk = DiskFate::keep;  // crash
  std::vector<NodeId> side_a{};   // partition
  std::vector<NodeId> side_b{};
  PartitionKind partition = PartitionKind::symmetric;

  std::string describe() const;  // "12.5s crash n3", "3.0s partition {n1,n2} -/-> {n3} one-way"
};

// Faults sorted by time (ties keep the order they were drawn in).
std::vector<Fault> plan_faults(Rng& rng, std::span<const NodeId> nodes, const FaultPlanOptions& options);

// Schedules every fault as a Simulator action.
void schedule_faults(Simulator& sim, std::span<const Fault> faults);

// The start of a liveness phase: partitions heal, crashed nodes restart, and the network's loss
// drops to the given rates (not necessarily zero: protocols must converge over a lossy network).
void heal_all(Simulator& sim, std::uint32_t drop_ppm, std::uint32_t duplicate_ppm);

}  // namespace eyrie::sim
