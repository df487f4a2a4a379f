#include "tests/integration/two_groups.hpp"

#include <fmt/format.h>

namespace eyrie::testing {

std::string two_groups_sections(bool optimistic, bool unique_timestamps) {
  return fmt::format(R"([transport]
reconnect_interval_ms = 20
reconnect_interval_max_ms = 200

[ridge]
acceptor_storage = "disk"
optimistic = {}
unique_timestamps = {}

[[ridge.groups]]
id = 1
learners = [1, 2, 3]

[[ridge.groups]]
id = 2
learners = [4, 5, 6]

[[ridge.ensembles]]
id = 1
group = 1
coordinators = [1, 2, 3]
acceptors = [1, 2, 3]

[[ridge.ensembles]]
id = 2
group = 2
coordinators = [4, 5, 6]
acceptors = [4, 5, 6]

[[ridge.ensembles]]      # the shared one
id = 3
coordinators = [1, 4, 2]
acceptors = [1, 4, 2]
)",
                     optimistic, unique_timestamps);
}

}  // namespace eyrie::testing
