#pragma once
// The partition runtime's message types, inside message_types::kPartition (2000..2999).

#include "runtime/types.hpp"

namespace eyrie::partition {

// Replica <-> replica, about one command (partition/ssmr.capnp).
inline constexpr MessageType kExchange{2000};
inline constexpr MessageType kPull{2001};
// Client or gateway -> every replica of a partition: an emitted message arrived.
inline constexpr MessageType kEmitAck{2002};
// Replica -> client or gateway.
inline constexpr MessageType kReply{2010};
inline constexpr MessageType kEmitted{2011};

inline constexpr MessageTypeRange kReplicaTypes{MessageType{2000}, MessageType{2009}};
inline constexpr MessageTypeRange kClientTypes{MessageType{2010}, MessageType{2019}};
static_assert(message_types::kPartition.contains(kReplicaTypes.first) &&
              message_types::kPartition.contains(kClientTypes.last));

}  // namespace eyrie::partition
