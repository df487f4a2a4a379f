#pragma once
// Ridge's message types, inside message_types::kMulticast (1000..1999).

#include "runtime/types.hpp"

namespace eyrie::multicast {

// Sender <-> coordinator (multicast/ridge.capnp).
inline constexpr MessageType kPropose{1000};
inline constexpr MessageType kProposeAck{1001};
inline constexpr MessageType kNotLeader{1002};
// 1020..1079: Paxos inside an ensemble and learner catch-up (multicast/ensemble.capnp).
inline constexpr MessageType kEnsembleFirst{1020};
inline constexpr MessageType kEnsembleLast{1079};
// 1080..1099: optimistic delivery (§5.3.4).
// Sender -> every learner of the destination groups: the messages it multicasts (a Propose
// structure, ridge.capnp), so that learners opt-deliver them and need only ids from decisions.
inline constexpr MessageType kOptPush{1080};

inline constexpr MessageTypeRange kRidgeTypes{MessageType{1000}, MessageType{1099}};
static_assert(message_types::kMulticast.contains(kRidgeTypes.first) &&
              message_types::kMulticast.contains(kRidgeTypes.last));

}  // namespace eyrie::multicast
