// Coordinator: Phase 2 — adaptive batching, the chain (Bezerra, §5.3.2 Algorithm 3 Task 3),
// null batches when idle (Algorithm 4, Task 2), acknowledgements, and the classic-Paxos
// fallback for an instance whose chain is stuck (§5.3.3 "Acceptor failure").

#include <algorithm>

#include "multicast/coordinator.hpp"
#include "runtime/assert.hpp"

namespace eyrie::multicast {

namespace {
// A null message (§5.3.1): no messages, only the coordinator's clock for the learners' merge.
Batch null_batch(WallTime now) {
  Batch batch;
  batch.null_timestamp = now;
  return batch;
}
}  // namespace

void Coordinator::on_propose(NodeId from, Propose m) {
  if (mode_ == Mode::follower) {
    env_.send(from, kNotLeader, encode_not_leader(topology_.id, leader_));
    return;
  }
  std::vector<MessageId> already;
  for (MulticastMessage& message : m.messages) {
    const MessageId id = message.id;
    switch (queue_.add(std::move(message), env_.now(), env_.wall_clock())) {
      case ProposalQueue::Admit::already_decided: already.push_back(id); break;
      case ProposalQueue::Admit::full: refused_.add(); break;
      case ProposalQueue::Admit::queued:
      case ProposalQueue::Admit::duplicate: break;
    }
  }
  acknowledge(already);  // decided before: the acknowledgement was lost
  pump();
}

// Proposes as long as there is something to propose and room for it.
void Coordinator::pump() {
  if (mode_ != Mode::leading) return;
  queue_.release(env_.now(), env_.wall_clock());
  arm_hold_timer();
  extend_phase1();
  while (next_instance_ < prepared_end_ && propose_next()) {
  }
  extend_phase1();
}

// Proposes at next_instance_, in order of precedence: a value a previous round may have
// decided there, a batch of senders' messages, a null batch filling a recovery hole. Returns
// false when it should wait (nothing to propose, or no in-flight room for it).
bool Coordinator::propose_next() {
  const Instance instance = next_instance_;
  if (known_decided(instance)) {
    next_instance_ = instance.next();
    return true;
  }
  const bool hard_room = in_flight_.size() < inflight_hard_max();
  if (auto forced = forced_.extract(instance)) {
    if (!hard_room) {
      forced_.insert(std::move(forced));
      return false;
    }
    propose(instance, std::move(forced.mapped()));
    return true;
  }
  if (!queue_.empty()) {
    // Adaptive batching: with a free slot a lone message goes at once; when every slot is
    // busy, messages accumulate until the batch is full or the oldest waited batch_delay_max.
    const bool soft_room = in_flight_.size() < options_.inflight_instances_max;
    const bool waited = env_.now() - *queue_.oldest_arrival() >= options_.batching.batch_delay_max;
    if (soft_room || (hard_room && (queue_.batch_full(options_.batching) || waited))) {
      propose(instance, queue_.take_batch(options_.batching));
      return true;
    }
    // Without any room only a decision can help, and settle() pumps again; a timer here would
    // fire at once, forever, while the in-flight instances wait for their acceptors.
    if (hard_room) arm_batch_timer();
    return false;
  }
  if (instance < recovery_end_ && hard_room) {
    propose(instance, null_batch(env_.wall_clock()));
    nulls_.add();
    return true;
  }
  return false;
}

void Coordinator::arm_batch_timer() {
  if (batch_timer_) return;
  const Duration waited = env_.now() - *queue_.oldest_arrival();
  const Duration delay = std::max(options_.batching.batch_delay_max - waited, Duration{0});
  batch_timer_ = env_.after(delay, [this] {
    batch_timer_.reset();
    pump();
  });
}

// Optimistic delivery holds messages until their turn in timestamp order (ProposalQueue).
void Coordinator::arm_hold_timer() {
  if (hold_timer_) return;
  const std::optional<Duration> delay = queue_.next_release(env_.now(), env_.wall_clock());
  if (!delay) return;
  hold_timer_ = env_.after(*delay, [this] {
    hold_timer_.reset();
    pump();
  });
}

// Δ without a proposal: a null batch carries the coordinator's clock to the learners so that
// their merge can move past this ensemble (§5.3.1).
void Coordinator::on_null_timer() {
  const Duration idle = env_.now() - last_proposal_;
  if (idle >= options_.null_interval) {
    if (mode_ == Mode::leading && next_instance_ < prepared_end_ && in_flight_.size() < inflight_hard_max()) {
      if (!queue_.empty() || forced_.contains(next_instance_) || known_decided(next_instance_)) {
        pump();
      } else {
        propose(next_instance_, null_batch(env_.wall_clock()));
        nulls_.add();
      }
    }
  }
  const Duration since = env_.now() - last_proposal_;
  const Duration delay = since >= options_.null_interval ? options_.null_interval : options_.null_interval - since;
  env_.after(delay, [this] { on_null_timer(); });
}

// The first f+1 acceptors that are not suspected, topped up with suspected ones when fewer
// are left (a chain needs f+1 voters; a timeout then falls back to classic Paxos).
std::vector<NodeId> Coordinator::choose_chain() {
  std::vector<NodeId> chain;
  for (NodeId a : topology_.acceptors) {
    if (chain.size() < topology_.quorum() && !suspected_.contains(a)) chain.push_back(a);
  }
  for (NodeId a : topology_.acceptors) {
    if (chain.size() < topology_.quorum() && suspected_.contains(a)) chain.push_back(a);
  }
  if (options_.fault_chain_length > 0 && chain.size() > options_.fault_chain_length) {
    chain.resize(options_.fault_chain_length);
  }
  return chain;
}

void Coordinator::propose(Instance instance, Batch value) {
  EYRIE_ASSERT(mode_ == Mode::leading && instance == next_instance_ && instance < prepared_end_);
  EYRIE_ASSERT(!in_flight_.contains(instance));
  InFlight flight{.round = round_, .digest = batch_digest(value), .chain = choose_chain()};
  send(flight.chain.front(), Phase2{topology_.id, round_, instance, value, flight.chain, 0});
  flight.value = std::move(value);
  const Round round = round_;
  flight.timer = env_.after(options_.phase2_timeout, [this, instance, round] { on_phase2_timeout(instance, round); });
  in_flight_.emplace(instance, std::move(flight));
  next_instance_ = instance.next();
  last_proposal_ = env_.now();
  proposals_.add();
}

// The chain did not deliver a decision in time: run classic Phase 2 with every acceptor for
// this instance (same round and value, so no new Phase 1 is needed), resent until decided,
// and avoid the chain's acceptors that do not answer in later chains.
void Coordinator::on_phase2_timeout(Instance instance, Round round) {
  auto it = in_flight_.find(instance);
  if (it == in_flight_.end() || round != round_) return;
  InFlight& flight = it->second;
  if (!flight.classic) {
    flight.classic = true;
    classic_.add();
    for (NodeId a : flight.chain) suspect(a);
  }
  const Phase2Classic request{topology_.id, round_, instance, flight.value};
  for (NodeId a : topology_.acceptors) {
    if (!flight.phase2b.contains(a)) send(a, request);
  }
  flight.timer = env_.after(options_.phase2_timeout, [this, instance, round] { on_phase2_timeout(instance, round); });
}

void Coordinator::on_phase2b(NodeId from, const Phase2B& m) {
  if (!topology_.is_acceptor(from) || mode_ != Mode::leading || m.round != round_) return;
  answered(from);  // fit for chains again
  if (redecision_phase2b(from, m)) return;
  auto it = in_flight_.find(m.instance);
  if (it == in_flight_.end()) return;
  it->second.phase2b.insert(from);
  if (it->second.phase2b.size() >= topology_.quorum()) decided_by_classic(m.instance);
}

// Classic Paxos decided: the coordinator announces it, and sends the value to every learner
// itself, since no chain acceptor did (Algorithm 2, Task 5).
void Coordinator::decided_by_classic(Instance instance) {
  const InFlight& flight = in_flight_.at(instance);
  announce_decided(instance, flight.round, flight.value, flight.digest);
  note_decided(instance);
  settle(instance, flight.digest);
}

// Decision to acceptors and the other candidates, the value itself to every learner.
void Coordinator::announce_decided(Instance instance, Round round, const Batch& value, std::uint64_t digest) {
  const Decision decision{topology_.id, instance, round, digest};
  for (NodeId a : topology_.acceptors) send(a, decision);
  for (NodeId c : topology_.candidates) {
    if (c != env_.self()) send(c, decision);
  }
  const Value message{topology_.id, instance, round, value};
  for (NodeId l : topology_.learners) send(l, message);
}

// An instance this coordinator has in flight was decided with `decided_digest`: acknowledge
// its messages, or, when another coordinator's value won, propose them again later.
void Coordinator::settle(Instance instance, std::uint64_t decided_digest) {
  forced_.erase(instance);
  auto it = in_flight_.find(instance);
  if (it == in_flight_.end()) return;
  InFlight flight = std::move(it->second);
  in_flight_.erase(it);
  env_.cancel(flight.timer);
  if (!flight.classic && flight.digest == decided_digest) {
    for (NodeId a : flight.chain) suspicions_in_a_row_.erase(a);  // the whole chain worked
  }
  if (flight.digest == decided_digest) {
    awaiting_prefix_.emplace(instance, std::move(flight.value));
    flush_acknowledgements();
  } else {
    queue_.requeue(flight.value, env_.now());
  }
  pump();
}

void Coordinator::flush_acknowledgements() {
  while (!awaiting_prefix_.empty() && awaiting_prefix_.begin()->first < decided_below_) {
    acknowledge(queue_.decided(awaiting_prefix_.begin()->second));
    awaiting_prefix_.erase(awaiting_prefix_.begin());
  }
}

void Coordinator::acknowledge(const std::vector<MessageId>& ids) {
  if (ids.empty()) return;
  std::map<NodeId, std::vector<MessageId>> by_sender;
  for (const MessageId& id : ids) by_sender[id.sender].push_back(id);
  for (const auto& [sender, sender_ids] : by_sender) {
    env_.send(sender, kProposeAck, encode_propose_ack(topology_.id, sender_ids));
  }
}

}  // namespace eyrie::multicast
