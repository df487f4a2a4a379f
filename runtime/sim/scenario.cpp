#include "runtime/sim/scenario.hpp"

#include <fmt/format.h>

#include "runtime/assert.hpp"

namespace eyrie::sim {

void ScenarioRegistry::add(std::unique_ptr<Scenario> scenario) {
  EYRIE_ASSERT(scenario != nullptr);
  EYRIE_ASSERT(find(scenario->name()) == nullptr, "two scenarios share a name");
  scenarios_.push_back(std::move(scenario));
}

const Scenario* ScenarioRegistry::find(std::string_view name) const {
  for (const auto& scenario : scenarios_) {
    if (scenario->name() == name) return scenario.get();
  }
  return nullptr;
}

PhaseOutcome run_phases(Simulator& sim, const Phases& phases, const std::function<void()>& heal,
                        const std::function<bool()>& violated) {
  const Time heal_at = sim.now() + phases.safety;
  const Time end = heal_at + phases.liveness;
  bool healed = false;
  // Scheduled as an action so it takes its place among events due at the same time by sequence
  // number, like every other scripted step.
  sim.at(heal_at, "liveness phase: heal everything", [&] {
    healed = true;
    heal();
  });
  sim.run_until(end, violated);
  if (violated && violated()) return healed ? PhaseOutcome::stopped_in_liveness : PhaseOutcome::stopped_in_safety;
  EYRIE_ASSERT(healed);
  return PhaseOutcome::completed;
}

FaultPlanOptions network_faults_only(Duration safety) {
  FaultPlanOptions options;
  options.duration = safety;
  options.crash_weight = 0;
  options.partition_max = std::chrono::seconds(3);
  return options;
}

void run_then_heal(Simulator& sim, const Phases& phases, const std::function<void()>& restart) {
  const PhaseOutcome outcome = run_phases(
      sim, phases,
      [&] {
        sim.network().heal();
        sim.network().set_loss(0, 0);
        restart();
      },
      [] { return false; });
  EYRIE_ASSERT(outcome == PhaseOutcome::completed);
}

std::vector<std::string> describe_stats(const SimStats& s) {
  return {
      fmt::format("events {}, timers fired {}, syncs completed {}, boots {}, crashes {}", s.events,
                  s.timers_fired, s.syncs_completed, s.boots, s.crashes),
      fmt::format("messages sent {}, delivered {}, dropped {}, duplicated {}, partitioned {}, to down nodes {}, "
                  "overflowed {}, unknown {}",
                  s.messages_sent, s.messages_delivered, s.messages_dropped, s.messages_duplicated,
                  s.messages_partitioned, s.messages_to_down_nodes, s.messages_overflowed, s.messages_unknown),
  };
}

}  // namespace eyrie::sim
