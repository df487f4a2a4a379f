#pragma once
// The Ridge layout of the multi-process tests (multicast_processes_test, kv_processes_test,
// volery_processes_test):
// six nodes, two groups of three learners (nodes 1-3 and 4-6), one ensemble per group on its
// own learners and the shared ensemble on nodes 1, 4 and 2, three on-disk acceptors each; plus a
// [transport] section that reconnects quickly to a restarted peer.

#include <string>

namespace eyrie::testing {

inline constexpr int kTwoGroupNodes = 6;

// The [transport] and [ridge] sections (with `optimistic` delivery on or off, and Ridge's
// `unique_timestamps`, which Volery needs for its zxids).
std::string two_groups_sections(bool optimistic, bool unique_timestamps = false);

}  // namespace eyrie::testing
