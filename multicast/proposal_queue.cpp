#include "multicast/proposal_queue.hpp"

#include "runtime/assert.hpp"

namespace eyrie::multicast {

ProposalQueue::Admit ProposalQueue::add(MulticastMessage message, Time now, WallTime wall) {
  forget_acked(message.id, message.sender_acked_below);
  const auto claims = claims_.find(message.id.sender);
  const bool claimed = claims != claims_.end() && claims->second.covers(message.id.seq);
  if (claimed || decided_.contains(message.id)) return Admit::already_decided;
  if (pending_ids_.contains(message.id) || in_flight_.contains(message.id)) return Admit::duplicate;
  if (pending_ids_.size() >= options_.pending_messages_max) return Admit::full;
  pending_ids_.insert(message.id);
  if (options_.hold > Duration{0}) {
    // Already late (its timestamp plus the hold has passed): nothing earlier can still come.
    if (wall - message.timestamp < options_.hold) {
      auto key = std::pair{message.timestamp, message.id};
      held_.emplace(std::move(key), Pending{std::move(message), now});
      return Admit::queued;
    }
  }
  pending_bytes_ += message.payload.size();
  pending_.push_back(Pending{std::move(message), now});
  return Admit::queued;
}

void ProposalQueue::release(Time now, WallTime wall) {
  // Stop at the first message still waiting: releasing a later one would break timestamp order.
  while (!held_.empty()) {
    auto first = held_.begin();
    const Pending& p = first->second;
    if (wall - p.message.timestamp < options_.hold && now - p.arrived < options_.hold) return;
    pending_bytes_ += p.message.payload.size();
    pending_.push_back(std::move(first->second));
    held_.erase(first);
  }
}

std::optional<Duration> ProposalQueue::next_release(Time now, WallTime wall) const {
  if (held_.empty()) return std::nullopt;
  const Pending& p = held_.begin()->second;
  const Duration by_clock = options_.hold - (wall - p.message.timestamp);
  const Duration by_arrival = options_.hold - (now - p.arrived);
  return std::max(std::min(by_clock, by_arrival), Duration{0});
}

std::optional<Time> ProposalQueue::oldest_arrival() const {
  if (pending_.empty()) return std::nullopt;
  return pending_.front().arrived;
}

bool ProposalQueue::batch_full(const BatchingOptions& batching) const {
  return pending_.size() >= batching.batch_messages_max || pending_bytes_ >= batching.batch_bytes_max;
}

Batch ProposalQueue::take_batch(const BatchingOptions& batching) {
  EYRIE_ASSERT(!pending_.empty());
  Batch batch;
  std::size_t bytes = 0;
  while (!pending_.empty()) {
    const std::size_t size = pending_.front().message.payload.size();
    const bool room = batch.messages.size() < batching.batch_messages_max && bytes + size <= batching.batch_bytes_max;
    if (!batch.messages.empty() && !room) break;
    MulticastMessage message = std::move(pending_.front().message);
    pending_.pop_front();
    pending_ids_.erase(message.id);
    pending_bytes_ -= size;
    bytes += size;
    in_flight_.insert(message.id);
    batch.messages.push_back(std::move(message));
  }
  return batch;
}

void ProposalQueue::adopt(const Batch& batch) {
  for (const MulticastMessage& m : batch.messages) {
    drop_pending(m.id);  // it travels in the adopted value now; proposing it again would duplicate it
    in_flight_.insert(m.id);
  }
}

void ProposalQueue::drop_pending(const MessageId& id) {
  if (!pending_ids_.erase(id)) return;
  for (auto it = held_.begin(); it != held_.end(); ++it) {
    if (it->first.second == id) {
      held_.erase(it);
      return;
    }
  }
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->message.id == id) {
      pending_bytes_ -= it->message.payload.size();
      pending_.erase(it);
      return;
    }
  }
}

void ProposalQueue::requeue(const Batch& batch, Time now) {
  for (auto it = batch.messages.rbegin(); it != batch.messages.rend(); ++it) {
    if (!in_flight_.erase(it->id) || decided_.contains(it->id)) continue;
    pending_ids_.insert(it->id);
    pending_bytes_ += it->payload.size();
    pending_.push_front(Pending{*it, now});
  }
}

std::vector<MessageId> ProposalQueue::decided(const Batch& batch) {
  std::vector<MessageId> ids;
  ids.reserve(batch.messages.size());
  for (const MulticastMessage& m : batch.messages) {
    in_flight_.erase(m.id);
    drop_pending(m.id);  // decided by another instance while also waiting here
    remember_decided(m.id);
    ids.push_back(m.id);
  }
  return ids;
}

void ProposalQueue::remember_decided(const MessageId& id) {
  if (!decided_.insert(id).second) return;
  decided_order_.push_back(id);
  while (decided_.size() > options_.decided_ids_max && !decided_order_.empty()) {
    decided_.erase(decided_order_.front());
    decided_order_.pop_front();
  }
  // The order queue may also hold ids dropped by forget_acked; keep it from growing past twice
  // the set by compacting when it does.
  if (decided_order_.size() > 2 * options_.decided_ids_max + 16) {
    std::deque<MessageId> kept;
    for (const MessageId& d : decided_order_) {
      if (decided_.contains(d)) kept.push_back(d);
    }
    decided_order_ = std::move(kept);
  }
}

void ProposalQueue::forget_acked(const MessageId& id, std::uint64_t acked_below) {
  auto it = claims_.find(id.sender);
  if (it == claims_.end()) {
    // A sender's first claim; a message that claims nothing (a life's first) adds no entry.
    SenderClaims fresh;
    if (!fresh.raise(id.seq, acked_below)) return;
    it = claims_.emplace(id.sender, fresh).first;
  } else if (!it->second.raise(id.seq, acked_below)) {
    return;
  }
  const SenderClaims& claims = it->second;
  const std::uint64_t life = SenderClaims::life_of(id.seq);
  decided_.erase(decided_.lower_bound(MessageId{id.sender, 0}),
                 decided_.lower_bound(MessageId{id.sender, claims.forgotten_below_seq()}));
  decided_.erase(decided_.lower_bound(MessageId{id.sender, SenderClaims::life_base(life)}),
                 decided_.lower_bound(MessageId{id.sender, claims.below(life)}));
  while (claims_.size() > options_.senders_max) {
    auto victim = claims_.begin();
    if (victim->first == id.sender) ++victim;
    claims_.erase(victim);
  }
}

void ProposalQueue::clear() {
  pending_.clear();
  held_.clear();
  pending_ids_.clear();
  pending_bytes_ = 0;
  in_flight_.clear();
}

void ProposalQueue::check_invariants() const {
  EYRIE_ASSERT(pending_.size() + held_.size() == pending_ids_.size());
  EYRIE_ASSERT(pending_ids_.size() <= options_.pending_messages_max);
  EYRIE_ASSERT(decided_.size() <= options_.decided_ids_max);
  EYRIE_ASSERT(claims_.size() <= options_.senders_max);
  EYRIE_ASSERT(!pending_.empty() || pending_bytes_ == 0);
}

}  // namespace eyrie::multicast
