#include "multicast/multicaster.hpp"

#include <algorithm>
#include <cstring>

#include "multicast/message_types.hpp"
#include "multicast/sender_claims.hpp"
#include "multicast/wire.hpp"
#include "runtime/assert.hpp"
#include "runtime/capnp_codec.hpp"

namespace eyrie::multicast {

namespace {

constexpr std::string_view kSeqKey = "ridge/sender/seq_reserved_below";
// Seqs reserved per durable write: one sync per this many messages.
constexpr std::uint64_t kSeqBlock = 1 << 20;

Payload encode_u64(std::uint64_t v) {
  return Payload::copy_of(std::span<const std::byte>(reinterpret_cast<const std::byte*>(&v), sizeof v));
}

std::uint64_t decode_u64(const Payload& p) {
  std::uint64_t v = 0;
  if (p.size() == sizeof v) std::memcpy(&v, p.data(), sizeof v);
  return v;
}

// A Propose of some messages; a push carries the same encoding.
Payload encode_many(EnsembleId ensemble, std::span<const MulticastMessage* const> messages) {
  capnp::MallocMessageBuilder builder;
  auto propose = builder.initRoot<wire::Propose>();
  propose.setEnsemble(ensemble.value);
  auto list = propose.initMessages(static_cast<unsigned>(messages.size()));
  for (unsigned i = 0; i < list.size(); ++i) write_message(list[i], *messages[i]);
  return encode_capnp(builder);
}

Payload encode_one(EnsembleId ensemble, const MulticastMessage& message) {
  const MulticastMessage* one = &message;
  return encode_many(ensemble, std::span(&one, 1));
}

// Splits a burst into Proposes of at most kFlushBytesMax payload bytes (and kFlushMessagesMax
// messages), so that none outgrows a transport frame.
constexpr std::size_t kFlushBytesMax = 1 << 20;
constexpr std::size_t kFlushMessagesMax = 4096;
template <typename Fn>
void for_each_chunk(const std::vector<const MulticastMessage*>& messages, Fn&& fn) {
  std::size_t begin = 0;
  while (begin < messages.size()) {
    std::size_t end = begin;
    std::size_t bytes = 0;
    while (end < messages.size() && end - begin < kFlushMessagesMax &&
           (end == begin || bytes + messages[end]->payload.size() <= kFlushBytesMax)) {
      bytes += messages[end]->payload.size();
      ++end;
    }
    fn(std::span(messages.data() + begin, end - begin));
    begin = end;
  }
}

}  // namespace

Multicaster::Multicaster(Env& env, const RidgeConfig& config, Options options)
    : env_(env),
      config_(config),
      options_(options),
      log_(env.log().child("multicaster")),
      rejected_(env.metrics().counter("ridge.sender.rejected")),
      retransmissions_(env.metrics().counter("ridge.sender.retransmissions")) {}

void Multicaster::start() {
  if (options_.durable_seqs) {
    // A restarted node starts a new life (SenderClaims), above every seq it may have used
    // before the crash: its claims then say nothing about its earlier lives' messages.
    const std::optional<Payload> stored = env_.storage().get(kSeqKey);
    const std::uint64_t reserved = stored ? decode_u64(*stored) : 0;
    next_seq_ = reserved == 0 ? 1 : SenderClaims::life_base(SenderClaims::life_of(reserved - 1) + 1);
    reserve_seqs();
  } else {
    reserved_below_ = UINT64_MAX;
  }
  env_.after(config_.sender_retry / 2, [this] { retry_tick(); });
}

void Multicaster::reserve_seqs() {
  if (reserving_) return;
  reserving_ = true;
  const std::uint64_t target = next_seq_ + kSeqBlock;
  env_.storage().put(kSeqKey, encode_u64(target));
  env_.storage().sync([this, target] {
    reserving_ = false;
    reserved_below_ = std::max(reserved_below_, target);
  });
}

std::optional<MessageId> Multicaster::multicast(std::vector<GroupId> destinations, Payload payload,
                                               WallTime not_before) {
  std::sort(destinations.begin(), destinations.end());
  destinations.erase(std::unique(destinations.begin(), destinations.end()), destinations.end());
  const bool known = !destinations.empty() && std::all_of(destinations.begin(), destinations.end(), [&](GroupId g) {
    return std::any_of(config_.groups.begin(), config_.groups.end(), [g](const GroupConfig& c) { return c.id == g; });
  });
  if (!known || !ready() || outstanding_.size() >= config_.sender_window_max) return std::nullopt;
  if (options_.durable_seqs && reserved_below_ - next_seq_ < kSeqBlock / 2) reserve_seqs();  // renew early
  Outstanding entry;
  entry.message.id = MessageId{env_.self(), next_seq_++};
  entry.message.destinations = std::move(destinations);
  entry.message.timestamp = std::max(env_.wall_clock(), not_before);
  entry.message.payload = std::move(payload);
  // Every seq below this one that is not outstanding has been acknowledged.
  entry.message.sender_acked_below = std::min(acked_below(), entry.message.id.seq);
  entry.ensemble = config_.ensemble_for(entry.message.destinations);
  entry.last_sent = env_.now();
  const MessageId id = entry.message.id;
  outstanding_.emplace(id.seq, std::move(entry));
  // First sends wait for the end of this turn, so that a burst travels as one Propose per
  // ensemble (and one push per destination set) instead of one message each.
  unsent_.push_back(id.seq);
  if (!flush_armed_) {
    flush_armed_ = true;
    env_.after(Duration{0}, [this] { flush(); });
  }
  return id;
}

void Multicaster::flush() {
  flush_armed_ = false;
  std::map<EnsembleId, std::vector<const MulticastMessage*>> proposes;
  std::map<std::vector<GroupId>, std::vector<const MulticastMessage*>> pushes;
  for (std::uint64_t seq : unsent_) {
    const auto it = outstanding_.find(seq);
    if (it == outstanding_.end()) continue;  // acknowledged already (cannot happen before a send, but cheap)
    proposes[it->second.ensemble].push_back(&it->second.message);
    if (config_.optimistic.enabled) pushes[it->second.message.destinations].push_back(&it->second.message);
  }
  unsent_.clear();
  for (const auto& [ensemble, messages] : proposes) {
    for_each_chunk(messages, [&](std::span<const MulticastMessage* const> chunk) {
      env_.send(leader_of(ensemble), kPropose, encode_many(ensemble, chunk));
    });
  }
  for (const auto& [destinations, messages] : pushes) {
    const EnsembleId ensemble = config_.ensemble_for(destinations);
    for_each_chunk(messages, [&](std::span<const MulticastMessage* const> chunk) {
      const Payload encoded = encode_many(ensemble, chunk);
      for (NodeId learner : push_targets(destinations)) env_.send(learner, kOptPush, encoded);
    });
  }
}

std::uint64_t Multicaster::acked_below() const {
  return outstanding_.empty() ? next_seq_ : outstanding_.begin()->first;
}

NodeId Multicaster::leader_of(EnsembleId id) const {
  const auto& candidates = config_.ensemble(id).coordinators;
  auto it = leader_index_.find(id);
  return candidates[it == leader_index_.end() ? 0 : it->second % candidates.size()];
}

// A retransmission: to the coordinator only (a learner that missed the push gets the message
// with its decision).
void Multicaster::send(const Outstanding& entry) {
  env_.send(leader_of(entry.ensemble), kPropose, encode_one(entry.ensemble, entry.message));
}

const std::vector<NodeId>& Multicaster::push_targets(const std::vector<GroupId>& destinations) {
  if (auto it = push_targets_.find(destinations); it != push_targets_.end()) return it->second;
  if (push_targets_.size() >= 1024) push_targets_.clear();  // many distinct sets: recompute as needed
  std::vector<NodeId> learners;
  for (GroupId g : destinations) {
    const GroupConfig& group = config_.group(g);
    learners.insert(learners.end(), group.learners.begin(), group.learners.end());
  }
  std::sort(learners.begin(), learners.end());
  learners.erase(std::unique(learners.begin(), learners.end()), learners.end());
  return push_targets_.emplace(destinations, std::move(learners)).first->second;
}

void Multicaster::propose_again(const MulticastMessage& message) {
  const EnsembleId ensemble = config_.ensemble_for(message.destinations);
  const Payload encoded = encode_one(ensemble, message);
  for (NodeId candidate : config_.ensemble(ensemble).coordinators) env_.send(candidate, kPropose, encoded);
}

void Multicaster::retry_tick() {
  const Time now = env_.now();
  std::map<EnsembleId, bool> silent;  // ensembles whose candidate let a message time out
  for (const auto& [seq, entry] : outstanding_) {
    if (now - entry.last_sent >= config_.sender_retry) silent[entry.ensemble] = true;
  }
  // Try the next candidate of an ensemble whose current one kept a message unacknowledged
  // for a whole retry period (it may have crashed, or lost its leadership).
  for (const auto& [ensemble, yes] : silent) ++leader_index_[ensemble];
  for (auto& [seq, entry] : outstanding_) {
    if (now - entry.last_sent < config_.sender_retry) continue;
    retransmissions_.add();
    entry.last_sent = now;
    send(entry);
  }
  env_.after(config_.sender_retry / 2, [this] { retry_tick(); });
}

void Multicaster::on_message(const Message& message) {
  if (message.type == kProposeAck) return on_ack(message);
  if (message.type == kNotLeader) return on_not_leader(message);
  rejected_.add();
}

void Multicaster::on_ack(const Message& message) {
  std::vector<MessageId> ids;
  std::string error;
  if (!read_capnp<wire::ProposeAck>(message.payload, [&](wire::ProposeAck::Reader ack) {
        for (auto id : ack.getIds()) ids.push_back(read_id(id));
      }, &error)) {
    rejected_.add();
    log_.warn("dropped a ProposeAck from {}: {}", eyrie::to_string(message.from), error);
    return;
  }
  for (const MessageId& id : ids) {
    if (id.sender != env_.self()) continue;
    if (outstanding_.erase(id.seq) == 0) continue;
    log_.trace("{} acknowledged by {}", to_string(id), eyrie::to_string(message.from));
    if (on_acknowledged_) on_acknowledged_(id);
  }
}

void Multicaster::on_not_leader(const Message& message) {
  EnsembleId ensemble{};
  NodeId leader{};
  std::string error;
  if (!read_capnp<wire::NotLeader>(message.payload, [&](wire::NotLeader::Reader r) {
        ensemble = EnsembleId{r.getEnsemble()};
        leader = NodeId{r.getLeader()};
      }, &error)) {
    rejected_.add();
    return;
  }
  const auto known = std::find_if(config_.ensembles.begin(), config_.ensembles.end(),
                                  [&](const EnsembleConfig& e) { return e.id == ensemble; });
  if (known == config_.ensembles.end()) return rejected_.add();
  const auto& candidates = known->coordinators;
  auto hint = std::find(candidates.begin(), candidates.end(), leader);
  const std::size_t current = leader_index_[ensemble] % candidates.size();
  // Without a usable hint, move on to the next candidate.
  const std::size_t next = hint != candidates.end() ? static_cast<std::size_t>(hint - candidates.begin()) : current + 1;
  // Candidates can disagree about who leads while an election settles: following every answer
  // at once would bounce all outstanding messages between them. Redirect at most once per
  // quarter retry period; the retry timer covers the rest.
  auto& last = last_redirect_[ensemble];
  if (next % candidates.size() == current || (last != Time{} && env_.now() - last < config_.sender_retry / 4)) return;
  last = env_.now();
  leader_index_[ensemble] = next;
  for (auto& [seq, entry] : outstanding_) {
    if (entry.ensemble != ensemble) continue;
    entry.last_sent = env_.now();
    send(entry);
  }
}

void Multicaster::check_invariants() const {
  EYRIE_ASSERT(outstanding_.size() <= config_.sender_window_max);
  EYRIE_ASSERT(outstanding_.empty() || outstanding_.rbegin()->first < next_seq_);
  EYRIE_ASSERT(!options_.durable_seqs || reserved_below_ == 0 || next_seq_ <= reserved_below_);
}

}  // namespace eyrie::multicast
