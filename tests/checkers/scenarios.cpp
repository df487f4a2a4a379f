#include "tests/checkers/scenarios.hpp"

#include "tests/checkers/echo_scenario.hpp"
#include "tests/checkers/kv_scenario.hpp"
#include "tests/checkers/multicast_scenario.hpp"
#include "tests/checkers/volery_scenario.hpp"

namespace eyrie::check {

sim::ScenarioRegistry builtin_scenarios() {
  sim::ScenarioRegistry registry;
  add_echo_scenarios(registry);
  add_multicast_scenarios(registry);
  add_kv_scenarios(registry);
  add_volery_scenarios(registry);
  return registry;
}

}  // namespace eyrie::check
