#pragma once
// The `kv` simulation scenario (`eyrie sim kv --seed N`): the kv example service (apps/kv) on
// the S-SMR runtime — partitions of replicas over Ridge, clients with pipelined commands —
// under message loss, duplication, reordering, healing partitions, clock skew and crashes of
// replicas (at most f per partition, for good) and of acceptors, with the client history
// judged by the linearizability checker (KvModel).
//
// `--unsafe-skip-signals` makes replicas finish multi-partition commands without waiting for
// the other partitions (ReplicaOptions::unsafe_skip_signals), on a workload of single-key reads
// and put_many blind writes with uneven delays: the checker must then find violations.

#include <memory>

#include "runtime/sim/scenario.hpp"

namespace eyrie::check {

struct KvScenarioOptions {
  std::size_t partitions_max = 3;
  std::size_t replicas_per_partition = 2;  // f + 1 with f = 1
  std::size_t clients = 4;
  std::size_t operations = 360;            // issued during the safety phase, over all clients
  // Keys come in clusters; a two-key command takes both from one cluster. The clusters stay
  // independent, which keeps the checker's parts small (it decomposes by connected keys).
  std::size_t clusters = 8;
  std::size_t keys_per_cluster = 3;
  sim::Phases phases{.safety = std::chrono::seconds(15), .liveness = std::chrono::seconds(20)};
  std::uint32_t drop_ppm_max = 20'000;
  std::uint32_t duplicate_ppm_max = 20'000;
  Duration clock_offset_max = std::chrono::milliseconds(50);
  std::int64_t clock_drift_ppm_max = 100;
};

class KvScenario final : public sim::Scenario {
 public:
  explicit KvScenario(KvScenarioOptions options = {}) : options_(options) {}
  std::string_view name() const override { return "kv"; }
  std::string description() const override;
  sim::ScenarioResult run(const sim::ScenarioRun& run) const override;
  std::span<const sim::ScenarioFlag> flags() const override;

 private:
  KvScenarioOptions options_;
};

void add_kv_scenarios(sim::ScenarioRegistry& registry);

}  // namespace eyrie::check
