#pragma once
// The `multicast` simulation scenario (`eyrie sim multicast --seed N`): Ridge end to end — the
// senders' Multicasters, every ensemble's coordinator candidates and acceptors, and the
// learners' delivery pipelines, under crashes, loss, duplication, reordering, partitions and
// clock skew — with MulticastChecker over every learner incarnation's delivery log. A learner
// that restarts resumes from scratch or from a checkpoint its upper layer kept durable (drawn per
// restart); a resumed incarnation's log starts at the checkpoint's position + 1.

#include <memory>
#include <optional>

#include "multicast/config.hpp"
#include "runtime/sim/scenario.hpp"

namespace eyrie::check {

struct MulticastScenarioOptions {
  std::size_t groups_max = 3;
  std::size_t learners_per_group = 3;
  std::size_t senders = 3;             // the last one crashes and restarts: its messages carry no validity promise
  std::size_t messages = 600;          // multicast during the safety phase, to 1-3 groups
  sim::Phases phases{.safety = std::chrono::seconds(15), .liveness = std::chrono::seconds(20)};
  Duration null_interval = std::chrono::milliseconds(20);
  std::uint32_t drop_ppm_max = 20'000;
  std::uint32_t duplicate_ppm_max = 20'000;
  Duration clock_offset_max = std::chrono::milliseconds(50);
  std::int64_t clock_drift_ppm_max = 100;
  // Acceptor storage: chosen by the seed when unset.
  std::optional<multicast::AcceptorStorage> acceptor_storage{};
  // Optimistic delivery (§5.3.4), checked for equivalence and measured for mistakes: chosen by
  // the seed when unset.
  std::optional<bool> optimistic{};
  // Unique final timestamps across ensembles ([ridge] unique_timestamps), checked for their tag
  // bits and uniqueness: chosen by the seed when unset.
  std::optional<bool> unique_timestamps{};
  // Fault injection for negative tests: a merge that ignores timestamps across ensembles, or
  // acceptors that decide with one vote too few. Off in `eyrie sim multicast`.
  bool break_merge = false;
  bool break_phase2 = false;
};

class MulticastScenario final : public sim::Scenario {
 public:
  explicit MulticastScenario(MulticastScenarioOptions options = {}, std::string name = "multicast");
  std::string_view name() const override { return name_; }
  std::string description() const override;
  sim::ScenarioResult run(const sim::ScenarioRun& run) const override;

 private:
  MulticastScenarioOptions options_;
  std::string name_;
};

void add_multicast_scenarios(sim::ScenarioRegistry& registry);

}  // namespace eyrie::check
