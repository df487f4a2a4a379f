#pragma once
// Scenarios: what `eyrie sim NAME --seed N` runs. A scenario builds a topology and a fault plan
// from the seed, runs a safety phase under faults, heals, runs a liveness phase that must
// converge within a stated bound, and then runs its checkers. The result must be a pure function
// of (scenario, seed): no host clock, no global state, no unordered iteration.
//
// Each module adds its scenarios to a ScenarioRegistry through a plain function (the echo
// scenario: eyrie::check::add_echo_scenarios). No static self-registration: what `eyrie sim`
// offers is written down in one place (apps/cli/cmd_sim.cpp) and survives static linking.
//
// Writing one:
//   class MyScenario final : public Scenario {
//     std::string_view name() const override { return "ridge"; }
//     std::string description() const override { return "5 acceptors, ... 30 s of faults ..."; }
//     ScenarioResult run(const ScenarioRun& run) const override {
//       Rng rng(run.seed);                      // every choice of the scenario comes from here
//       Simulator sim({.seed = rng.next_u64(), .log_output = run.log_output, ...});
//       ... add_node / boot / schedule_faults(sim, plan_faults(rng, ...)) ...
//       run_phases(sim, phases, heal, violated);
//       return finish(sim, checker.result());
//     }
//   };

#include <cstdio>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/sim/fault_plan.hpp"
#include "runtime/sim/simulator.hpp"

namespace eyrie::sim {

// A scenario-specific switch of `eyrie sim` (e.g. a fault injection that a checker test uses).
struct ScenarioFlag {
  std::string_view name;  // the option without dashes
  std::string_view help;
};

struct ScenarioRun {
  std::uint64_t seed = 0;
  std::vector<std::string> flags{};  // names of the scenario's flags that are set
  std::FILE* log_output = nullptr;  // --verbose: stderr
  LogLevel log_level = LogLevel::debug;
};

struct ScenarioResult {
  bool passed = false;
  std::string reason;                // why it failed; empty when it passed
  std::string trace;                 // Simulator::trace_hex() at the end of the run
  std::vector<std::string> summary;  // human-readable lines: topology, faults, counts
  SimStats stats;
  Time end{};
};

class Scenario {
 public:
  virtual ~Scenario() = default;
  virtual std::string_view name() const = 0;
  // One paragraph: what runs, the faults, the phases and the workload of one seed (nodes,
  // simulated seconds, operations), so that "passed 1000 seeds" means something.
  virtual std::string description() const = 0;
  virtual ScenarioResult run(const ScenarioRun& run) const = 0;
  // The switches this scenario accepts (ScenarioRun::flags).
  virtual std::span<const ScenarioFlag> flags() const { return {}; }
};

class ScenarioRegistry {
 public:
  // Precondition: no scenario of that name yet.
  void add(std::unique_ptr<Scenario> scenario);
  const Scenario* find(std::string_view name) const;
  const std::vector<std::unique_ptr<Scenario>>& all() const { return scenarios_; }

 private:
  std::vector<std::unique_ptr<Scenario>> scenarios_;  // in the order added
};

struct Phases {
  Duration safety = std::chrono::seconds(40);
  Duration liveness = std::chrono::seconds(20);
};

enum class PhaseOutcome : std::uint8_t { completed, stopped_in_safety, stopped_in_liveness };

// Runs the safety phase until phases.safety, calls `heal` (at that exact virtual time, as an
// event), then runs the liveness phase. Stops right after the event that makes `violated` true.
PhaseOutcome run_phases(Simulator& sim, const Phases& phases, const std::function<void()>& heal,
                        const std::function<bool()>& violated);

// For scenarios whose crashes come from their own plan (which knows the roles): network faults
// only — loss and duplication stay as configured, partitions of up to 3 s over `safety`.
FaultPlanOptions network_faults_only(Duration safety);
// run_phases with the usual healing — partitions healed, loss and duplication off, then
// `restart` (the scenario's crashed nodes that may come back) — and no early stop.
// Asserts that both phases ran to their end.
void run_then_heal(Simulator& sim, const Phases& phases, const std::function<void()>& restart);

// Summary lines for the simulator's counters.
std::vector<std::string> describe_stats(const SimStats& stats);

}  // namespace eyrie::sim
