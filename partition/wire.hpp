#pragma once
// The partition runtime's messages as C++ values, and their Cap'n Proto encoding
// (partition/ssmr.capnp). Decoders validate what the schema cannot say and return nullopt
// with a one-line reason for anything malformed.

#include <optional>
#include <string>
#include <vector>

#include "multicast/types.hpp"
#include "partition/state_machine.hpp"
#include "runtime/payload.hpp"

namespace eyrie::partition {

// A command's identity everywhere: the Ridge message that carried it.
using CommandKey = multicast::MessageId;

struct Command {
  std::uint64_t client_id = 0;
  std::uint64_t seq = 0;
  std::uint64_t acked_below = 0;
  NodeId reply_to;
  Payload request{};
};

enum class Verdict : std::uint8_t { none, ok, retry, failed };

struct ObjectValue {
  ObjectId id{};
  bool present = false;
  Payload bytes{};  // Object::serialize output when present
  bool cached = false;  // no bytes: the receiving partition's cached copy is current
};

struct Exchange {
  CommandKey command;
  PartitionId partition;
  bool signal = false;
  std::vector<ObjectValue> values{};
  Verdict verdict = Verdict::none;
  std::vector<PartitionId> missing{};  // with retry, sorted
  std::string error{};                 // with failed
};

struct Pull {
  CommandKey command;
  PartitionId partition;
};

struct EmitId {
  PartitionId partition;
  std::uint64_t position = 0;
  std::uint32_t index = 0;
  friend auto operator<=>(const EmitId&, const EmitId&) = default;
};

struct Emitted {
  EmitId id;
  Payload body{};
};

enum class ReplyStatus : std::uint8_t { ok, retry, failed };

struct Reply {
  std::uint64_t client_id = 0;
  std::uint64_t seq = 0;
  ReplyStatus status = ReplyStatus::ok;
  Payload body{};
  std::vector<PartitionId> destinations{};  // with retry: the larger set
  PartitionId partition;
};

Payload encode(const Command& m);
Payload encode(const Exchange& m);
Payload encode(const Pull& m);
Payload encode(const Reply& m);
std::optional<Command> decode_command(const Payload& payload, std::string* error);
std::optional<Exchange> decode_exchange(const Payload& payload, std::string* error);
std::optional<Pull> decode_pull(const Payload& payload, std::string* error);
std::optional<Reply> decode_reply(const Payload& payload, std::string* error);
Payload encode(const Emitted& m);
Payload encode_emit_ack(const EmitId& id);
std::optional<Emitted> decode_emitted(const Payload& payload, std::string* error);
std::optional<EmitId> decode_emit_ack(const Payload& payload, std::string* error);
// A partition's whole state (PartitionReplica::serialize_state).
Payload encode_state(const std::vector<ObjectValue>& objects);
std::optional<std::vector<ObjectValue>> decode_state(const Payload& payload, std::string* error);

}  // namespace eyrie::partition
