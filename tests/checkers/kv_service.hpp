#pragma once
// The kv service's requests and responses (apps/kv) as KvModel's inputs and outputs, for
// every recorder of kv client histories (the simulator's kv scenario, `eyrie kv load`).

#include "apps/kv/kv.hpp"
#include "tests/checkers/kv_model.hpp"

namespace eyrie::check::kv {

Input model_input(const ::eyrie::kv::Request& request);
Output model_output(const ::eyrie::kv::Response& response);

}  // namespace eyrie::check::kv
