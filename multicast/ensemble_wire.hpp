#pragma once
// The messages of one Ridge ensemble as plain C++ values, and their Cap'n Proto encoding
// (multicast/ensemble.capnp). Decoding validates what the schema cannot say (list sizes,
// non-zero ids) and never touches role state, so the host can reject a malformed payload
// before any role sees it (runtime/capnp_codec.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "multicast/message_types.hpp"
#include "multicast/types.hpp"
#include "runtime/payload.hpp"

namespace eyrie::multicast {

inline constexpr MessageType kPhase1A{1020};
inline constexpr MessageType kPhase1B{1021};
inline constexpr MessageType kPhase2{1022};
inline constexpr MessageType kPhase2Classic{1023};
inline constexpr MessageType kPhase2B{1024};
inline constexpr MessageType kDecision{1025};
inline constexpr MessageType kDistribute{1026};
inline constexpr MessageType kValue{1027};
inline constexpr MessageType kFetch{1028};
inline constexpr MessageType kFetchReply{1029};
inline constexpr MessageType kHeartbeat{1030};
inline constexpr MessageType kNack{1031};
inline constexpr MessageType kRedecide{1032};
inline constexpr MessageType kTrim{1033};
static_assert(kEnsembleFirst <= kPhase1A && kTrim <= kEnsembleLast);

// Decoding limits: far above any sane deployment, low enough that a hostile message cannot
// make a role allocate without bound.
inline constexpr std::size_t kChainMax = 255;           // acceptors in one Phase 2 chain
inline constexpr std::size_t kVotesPerMessageMax = 8192;  // votes in one Phase1B / FetchReply
inline constexpr std::uint32_t kFetchCountMax = 8192;

struct Phase1A {
  static constexpr MessageType kType = kPhase1A;
  EnsembleId ensemble;
  Round round;
  Instance first;
  Instance end;  // exclusive
};

struct Vote {
  Instance instance;
  Round round;
  Batch value;
  bool decided = false;
};

struct Phase1B {
  static constexpr MessageType kType = kPhase1B;
  EnsembleId ensemble;
  Round round;
  bool promised = false;
  Round promised_round;
  Instance first;
  Instance reported_end;  // votes are complete for [first, reported_end)
  Instance trimmed_below;
  std::vector<Vote> votes{};  // ascending instances
};

struct Phase2 {
  static constexpr MessageType kType = kPhase2;
  EnsembleId ensemble;
  Round round;
  Instance instance;
  Batch value;
  std::vector<NodeId> chain;  // the quorum, in forwarding order
  std::uint32_t votes = 0;    // votes cast so far: chain[votes] is the receiver
};

struct Phase2Classic {
  static constexpr MessageType kType = kPhase2Classic;
  EnsembleId ensemble;
  Round round;
  Instance instance;
  Batch value;
};

struct Phase2B {
  static constexpr MessageType kType = kPhase2B;
  EnsembleId ensemble;
  Round round;
  Instance instance;
};

struct Decision {
  static constexpr MessageType kType = kDecision;
  EnsembleId ensemble;
  Instance instance;
  Round round;
  std::uint64_t digest = 0;
};

struct Distribute {
  static constexpr MessageType kType = kDistribute;
  EnsembleId ensemble;
  Instance instance;
  Round round;
  Batch value;
  std::vector<NodeId> quorum;  // acceptors that hold the value already
  bool lean = false;           // payloads left out (optimistic delivery); `digest` is the full value's
  std::uint64_t digest = 0;
};

// Sent only for decided values: receiving one is also learning the decision.
struct Value {
  static constexpr MessageType kType = kValue;
  EnsembleId ensemble;
  Instance instance;
  Round round;
  Batch value;
  bool lean = false;  // as in Distribute
  std::uint64_t digest = 0;
};

struct Fetch {
  static constexpr MessageType kType = kFetch;
  EnsembleId ensemble;
  Instance first;
  std::uint32_t count_max = 0;
};

struct FetchReply {
  static constexpr MessageType kType = kFetchReply;
  EnsembleId ensemble;
  Instance trimmed_below;
  std::vector<Vote> votes{};  // ascending, not necessarily contiguous
};

struct Heartbeat {
  static constexpr MessageType kType = kHeartbeat;
  EnsembleId ensemble;
  Round round;
  bool coordinating = false;
  Instance decided_below;
};

struct Nack {
  static constexpr MessageType kType = kNack;
  EnsembleId ensemble;
  Round rejected;
  Round promised;
};

// Learner -> coordinator candidates: stuck at `instance`; please decide it again.
struct Redecide {
  static constexpr MessageType kType = kRedecide;
  EnsembleId ensemble;
  Instance instance;
};

// Learner -> acceptors: instances below `below` are no longer needed by this learner.
struct Trim {
  static constexpr MessageType kType = kTrim;
  EnsembleId ensemble;
  Instance below;
};

using EnsembleMessage = std::variant<Phase1A, Phase1B, Phase2, Phase2Classic, Phase2B, Decision, Distribute,
                                     Value, Fetch, FetchReply, Heartbeat, Nack, Redecide, Trim>;

Payload encode(const Phase1A& m);
Payload encode(const Phase1B& m);
Payload encode(const Phase2& m);
Payload encode(const Phase2Classic& m);
Payload encode(const Phase2B& m);
Payload encode(const Decision& m);
Payload encode(const Distribute& m);
Payload encode(const Value& m);
Payload encode(const Fetch& m);
Payload encode(const FetchReply& m);
Payload encode(const Heartbeat& m);
Payload encode(const Nack& m);
Payload encode(const Redecide& m);
Payload encode(const Trim& m);

// Decodes a message of a type in 1020..1079. nullopt, with a reason in *error, when the type
// is unknown or the payload malformed.
std::optional<EnsembleMessage> decode_ensemble_message(MessageType type, const Payload& payload, std::string* error);

EnsembleId ensemble_of(const EnsembleMessage& message);

// A fingerprint of a batch's contents (ids, timestamps, payload bytes): Decision carries it
// instead of the value, and learners match it against the values they hold. FNV-1a: it guards
// against mismatched bookkeeping, not against forgery.
std::uint64_t batch_digest(const Batch& batch);

// Sender-facing messages of multicast/ridge.capnp, as a coordinator sees them.
struct Propose {
  EnsembleId ensemble;
  std::vector<MulticastMessage> messages{};
};
inline constexpr std::size_t kProposeMessagesMax = 65536;
Payload encode(const Propose& m);
std::optional<Propose> decode_propose(const Payload& payload, std::string* error);
Payload encode_propose_ack(EnsembleId ensemble, const std::vector<MessageId>& ids);
Payload encode_not_leader(EnsembleId ensemble, std::optional<NodeId> leader);

}  // namespace eyrie::multicast
