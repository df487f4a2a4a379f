#pragma once
// The `echo` simulation scenario: 3–7 nodes (chosen by the seed), each running EchoRole and
// pinging every other node, under network faults, crashes and clock skew, checked by
// EchoChecker. It is the template for the scenarios of later modules.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "apps/echo/echo_role.hpp"
#include "runtime/sim/fault_plan.hpp"
#include "runtime/sim/scenario.hpp"

namespace eyrie::check {

struct EchoScenarioOptions {
  std::size_t nodes_min = 3;
  std::size_t nodes_max = 7;
  sim::Phases phases{.safety = std::chrono::seconds(40), .liveness = std::chrono::seconds(20)};
  Duration ping_interval = std::chrono::milliseconds(100);
  std::size_t body_bytes = 32;
  // Every pair must complete a round trip this soon after healing (restarted nodes included).
  Duration liveness_bound = std::chrono::seconds(5);

  // Safety-phase network: each seed draws its loss rates up to these.
  std::uint32_t drop_ppm_max = 50'000;       // 5 %
  std::uint32_t duplicate_ppm_max = 20'000;  // 2 %
  // Liveness-phase network: still lossy, protocols must converge anyway.
  std::uint32_t liveness_drop_ppm = 10'000;
  std::uint32_t liveness_duplicate_ppm = 5'000;
  Duration clock_offset_max = std::chrono::milliseconds(500);
  std::int64_t clock_drift_ppm_max = 200;

  sim::FaultPlanOptions faults{};  // .duration is taken from phases.safety
  // Lets crashes lose whole disks. Outside echo's fault model (incarnations would repeat), so
  // only negative tests turn it on, to see the checker catch the consequences.
  bool disk_loss = false;

  // Replaces the roles of a node (negative tests plant broken roles). Null: one EchoRole.
  using MakeRoles = std::function<std::vector<std::unique_ptr<Role>>(Env& env, echo::EchoObserver& observer,
                                                                    echo::EchoOptions options)>;
  MakeRoles make_roles;
};

class EchoScenario final : public sim::Scenario {
 public:
  explicit EchoScenario(EchoScenarioOptions options = {}, std::string name = "echo");

  std::string_view name() const override { return name_; }
  std::string description() const override;
  sim::ScenarioResult run(const sim::ScenarioRun& run) const override;

 private:
  EchoScenarioOptions options_;
  std::string name_;
};

// Adds the echo scenarios to `registry` (today: "echo").
void add_echo_scenarios(sim::ScenarioRegistry& registry);

}  // namespace eyrie::check
