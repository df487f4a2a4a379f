#pragma once
// Every scenario `eyrie sim` knows. Modules add theirs here (Ridge, S-SMR, Volery).

#include "runtime/sim/scenario.hpp"

namespace eyrie::check {

sim::ScenarioRegistry builtin_scenarios();

}  // namespace eyrie::check
