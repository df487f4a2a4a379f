#include "runtime/sim/fault_plan.hpp"

#include <algorithm>
#include <map>

#include "runtime/assert.hpp"

namespace eyrie::sim {

namespace {

std::string node_set(std::span<const NodeId> nodes) {
  std::string text = "{";
  for (std::size_t i = 0; i < nodes.size(); ++i) text += (i ? "," : "") + to_string(nodes[i]);
  return text + "}";
}

// Plans faults one decision at a time, remembering which nodes are down until when and whether
// a partition is active, so that every plan respects the options' limits.
class Planner {
 public:
  Planner(Rng& rng, std::span<const NodeId> nodes, const FaultPlanOptions& options)
      : rng_(rng), nodes_(nodes.begin(), nodes.end()), options_(options) {}

  std::vector<Fault> plan() {
    const std::uint64_t weights = std::uint64_t{options_.crash_weight} + options_.partition_weight +
                                  options_.calm_weight;
    EYRIE_ASSERT(weights > 0 && options_.gap_min > Duration::zero() && options_.gap_min <= options_.gap_max);
    Time t{};
    while (true) {
      t += rng_.range(options_.gap_min, options_.gap_max);
      if (t >= Time{options_.duration}) break;
      const std::uint64_t pick = rng_.uniform(weights);
      if (pick < options_.crash_weight) {
        plan_crash(t);
      } else if (pick < std::uint64_t{options_.crash_weight} + options_.partition_weight) {
        plan_partition(t);
      }
    }
    std::stable_sort(faults_.begin(), faults_.end(), [](const Fault& a, const Fault& b) { return a.at < b.at; });
    return std::move(faults_);
  }

 private:
  void plan_crash(Time t) {
    std::vector<NodeId> up;
    std::size_t down = 0;
    for (NodeId id : nodes_) {
      if (down_until_[id] > t) {
        ++down;
      } else {
        up.push_back(id);
      }
    }
    if (down >= options_.down_max || up.empty()) return;
    const NodeId victim = up[rng_.uniform(up.size())];
    const DiskFate disk = rng_.chance_ppm(options_.disk_loss_ppm) ? DiskFate::lose : DiskFate::keep;
    const Time back = t + rng_.range(options_.downtime_min, options_.downtime_max);
    down_until_[victim] = back;
    faults_.push_back(Fault{.at = t, .kind = Fault::Kind::crash, .node = victim, .disk = disk});
    // A restart due after the safety phase is left to heal_all().
    if (back < Time{options_.duration}) {
      faults_.push_back(Fault{.at = back, .kind = Fault::Kind::restart, .node = victim});
    }
  }

  void plan_partition(Time t) {
    if (partition_until_ > t || nodes_.size() < 2) return;
    Fault fault{.at = t, .kind = Fault::Kind::partition};
    // Each node picks a side; re-draw until both sides are non-empty (expected < 2 draws).
    do {
      fault.side_a.clear();
      fault.side_b.clear();
      for (NodeId id : nodes_) (rng_.chance(1, 2) ? fault.side_a : fault.side_b).push_back(id);
    } while (fault.side_a.empty() || fault.side_b.empty());
    const bool one_way = options_.one_way_partitions && rng_.chance(1, 2);
    fault.partition = one_way ? PartitionKind::one_way : PartitionKind::symmetric;
    partition_until_ = t + rng_.range(options_.partition_min, options_.partition_max);
    faults_.push_back(std::move(fault));
    if (partition_until_ < Time{options_.duration}) {
      faults_.push_back(Fault{.at = partition_until_, .kind = Fault::Kind::heal});
    }
  }

  Rng& rng_;
  std::vector<NodeId> nodes_;
  const FaultPlanOptions& options_;
  std::map<NodeId, Time> down_until_;
  Time partition_until_{};
  std::vector<Fault> faults_;
};

}  // namespace

std::string Fault::describe() const {
  const std::string when = to_string(at.time_since_epoch());
  switch (kind) {
    case Kind::crash:
      return when + " crash " + to_string(node) + (disk == DiskFate::lose ? " (disk lost)" : "");
    case Kind::restart: return when + " restart " + to_string(node);
    case Kind::partition:
      return when + " partition " + node_set(side_a) + (partition == PartitionKind::one_way ? " -/-> " : " -/- ") +
             node_set(side_b) + (partition == PartitionKind::one_way ? " one-way" : " symmetric");
    case Kind::heal: return when + " heal partition";
  }
  return when + " ?";
}

std::vector<Fault> plan_faults(Rng& rng, std::span<const NodeId> nodes, const FaultPlanOptions& options) {
  return Planner(rng, nodes, options).plan();
}

void schedule_faults(Simulator& sim, std::span<const Fault> faults) {
  for (const Fault& fault : faults) {
    sim.at(fault.at, fault.describe(), [&sim, fault] {
      switch (fault.kind) {
        case Fault::Kind::crash: return sim.crash(fault.node, fault.disk);
        case Fault::Kind::restart: return sim.boot(fault.node);
        case Fault::Kind::partition: return sim.network().partition(fault.side_a, fault.side_b, fault.partition);
        case Fault::Kind::heal: return sim.network().heal();
      }
    });
  }
}

void heal_all(Simulator& sim, std::uint32_t drop_ppm, std::uint32_t duplicate_ppm) {
  sim.network().heal();
  sim.network().set_loss(drop_ppm, duplicate_ppm);
  for (NodeId id : sim.nodes()) {
    if (!sim.is_up(id)) sim.boot(id);
  }
}

}  // namespace eyrie::sim
