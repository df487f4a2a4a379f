#pragma once
// The `volery` simulation scenario (`eyrie sim volery --seed N`): Volery (apps/volery) on the
// S-SMR runtime — 2 or 3 partitions of replicas over Ridge, gateways running the client library
// with several sessions each — under message loss, duplication, reordering, healing network
// partitions, clock skew, replica crashes (at most f per partition, for good) and acceptor
// crashes. Each seed's history is judged by the linearizability checker against the znode-tree
// model (VoleryModel), and by the WatchChecker: FIFO per session, watch events exactly once,
// before the replies that reflect their change, and never lost.
//
// Two flags break Volery on purpose, for the checker's own tests: --unsafe-skip-fifo-check
// (replicas run a request whose predecessor has not run) and --unsafe-ignore-marks (gateways
// hand out replies without waiting for the events they name).

#include "runtime/sim/scenario.hpp"

namespace eyrie::check {

struct VoleryScenarioOptions {
  std::size_t partitions_max = 3;
  std::size_t replicas_per_partition = 2;  // f + 1 with f = 1
  std::size_t gateways = 3;
  std::size_t sessions_per_gateway = 2;    // plus one session that stops renewing and expires
  std::size_t operations = 360;            // issued during the safety phase, over all sessions
  std::size_t subtrees = 4;                // /t0.. : operations stay within one
  sim::Phases phases{.safety = std::chrono::seconds(15), .liveness = std::chrono::seconds(20)};
  std::uint32_t drop_ppm_max = 20'000;
  std::uint32_t duplicate_ppm_max = 20'000;
  Duration clock_offset_max = std::chrono::milliseconds(50);
  std::int64_t clock_drift_ppm_max = 100;
};

class VoleryScenario final : public sim::Scenario {
 public:
  explicit VoleryScenario(VoleryScenarioOptions options = {}) : options_(options) {}
  std::string_view name() const override { return "volery"; }
  std::string description() const override;
  sim::ScenarioResult run(const sim::ScenarioRun& run) const override;
  std::span<const sim::ScenarioFlag> flags() const override;

 private:
  VoleryScenarioOptions options_;
};

void add_volery_scenarios(sim::ScenarioRegistry& registry);

}  // namespace eyrie::check
