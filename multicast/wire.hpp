#pragma once
// Converting Ridge's shared structures to and from Cap'n Proto (multicast/ridge.capnp).
// Readers validate what the schema cannot say (sorted non-empty destinations, sizes) and throw
// std::invalid_argument, so they are meant to run inside read_capnp's visitor.

#include "multicast/ridge.capnp.h"
#include "multicast/types.hpp"

namespace eyrie::multicast {

void write_message(wire::MulticastMessage::Builder out, const MulticastMessage& message);
MulticastMessage read_message(wire::MulticastMessage::Reader in);

void write_batch(wire::Batch::Builder out, const Batch& batch);
Batch read_batch(wire::Batch::Reader in);

void write_id(wire::MessageId::Builder out, const MessageId& id);
MessageId read_id(wire::MessageId::Reader in);

// Payload bytes of all messages of a batch (for batching limits and load balancing).
std::size_t payload_bytes(const Batch& batch);

}  // namespace eyrie::multicast
