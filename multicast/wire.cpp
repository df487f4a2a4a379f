#include "multicast/wire.hpp"

#include <stdexcept>

namespace eyrie::multicast {

namespace {
// Far above any real deployment; a message claiming more groups is malformed.
constexpr std::size_t kDestinationsMax = 4096;
}  // namespace

std::string to_string(const MessageId& id) { return eyrie::to_string(id.sender) + "#" + std::to_string(id.seq); }

void write_id(wire::MessageId::Builder out, const MessageId& id) {
  out.setSender(id.sender.value);
  out.setSeq(id.seq);
}

MessageId read_id(wire::MessageId::Reader in) { return MessageId{NodeId{in.getSender()}, in.getSeq()}; }

void write_message(wire::MulticastMessage::Builder out, const MulticastMessage& message) {
  write_id(out.initId(), message.id);
  auto destinations = out.initDestinations(static_cast<unsigned>(message.destinations.size()));
  for (unsigned i = 0; i < destinations.size(); ++i) destinations.set(i, message.destinations[i].value);
  out.setTimestampNs(to_ns(message.timestamp));
  out.setPayload(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(message.payload.data()), message.payload.size()));
  out.setSenderAckedBelow(message.sender_acked_below);
}

MulticastMessage read_message(wire::MulticastMessage::Reader in) {
  MulticastMessage m;
  m.id = read_id(in.getId());
  const auto destinations = in.getDestinations();
  if (destinations.size() == 0 || destinations.size() > kDestinationsMax) {
    throw std::invalid_argument("a message needs 1.." + std::to_string(kDestinationsMax) + " destination groups");
  }
  for (unsigned i = 0; i < destinations.size(); ++i) {
    if (i > 0 && destinations[i] <= destinations[i - 1]) throw std::invalid_argument("destinations not sorted and unique");
    m.destinations.push_back(GroupId{destinations[i]});
  }
  m.timestamp = WallTime(Duration(in.getTimestampNs()));
  const auto payload = in.getPayload();
  m.payload = Payload::copy_of(std::span(reinterpret_cast<const std::byte*>(payload.begin()), payload.size()));
  m.sender_acked_below = in.getSenderAckedBelow();
  if (m.sender_acked_below > m.id.seq) throw std::invalid_argument("sender_acked_below beyond the message's own seq");
  return m;
}

void write_batch(wire::Batch::Builder out, const Batch& batch) {
  auto messages = out.initMessages(static_cast<unsigned>(batch.messages.size()));
  for (unsigned i = 0; i < messages.size(); ++i) write_message(messages[i], batch.messages[i]);
  out.setNullTimestampNs(to_ns(batch.null_timestamp));
}

Batch read_batch(wire::Batch::Reader in) {
  Batch batch;
  for (auto m : in.getMessages()) batch.messages.push_back(read_message(m));
  batch.null_timestamp = WallTime(Duration(in.getNullTimestampNs()));
  return batch;
}

std::size_t payload_bytes(const Batch& batch) {
  std::size_t bytes = 0;
  for (const MulticastMessage& m : batch.messages) bytes += m.payload.size();
  return bytes;
}

}  // namespace eyrie::multicast
