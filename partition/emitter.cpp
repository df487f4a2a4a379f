#include "partition/emitter.hpp"

#include <algorithm>

#include "partition/message_types.hpp"
#include "runtime/assert.hpp"

namespace eyrie::partition {

Emitter::Emitter(Env& env, const PartitionConfig& partition, Options options)
    : env_(env),
      options_(options),
      rank_(static_cast<std::size_t>(
          std::find(partition.replicas.begin(), partition.replicas.end(), env.self()) - partition.replicas.begin())),
      sent_(env.metrics().counter("ssmr.emitted_sent")),
      given_up_(env.metrics().counter("ssmr.emitted_given_up")) {
  EYRIE_ASSERT(rank_ < partition.replicas.size(), "an emitter runs on a replica of its partition");
}

void Emitter::start() { env_.after(options_.failover / 4, [this] { tick(); }); }

void Emitter::add(NodeId to, const EmitId& id, Payload body) {
  while (pending_.size() >= options_.pending_max) {
    pending_.erase(pending_.begin());  // the oldest command's
    given_up_.add();
  }
  const Time now = env_.now();
  Pending p{.to = to, .encoded = encode(Emitted{id, std::move(body)}), .created = now,
            .due = now + options_.failover * static_cast<std::int64_t>(rank_)};
  if (rank_ == 0) {
    sent_.add();
    env_.send(to, kEmitted, p.encoded);
    p.due = now + options_.failover;
  }
  pending_.insert_or_assign(id, std::move(p));
}

void Emitter::on_ack(const EmitId& id) { pending_.erase(id); }

void Emitter::tick() {
  env_.after(options_.failover / 4, [this] { tick(); });
  const Time now = env_.now();
  for (auto it = pending_.begin(); it != pending_.end();) {
    Pending& p = it->second;
    if (now - p.created >= options_.give_up_after) {
      given_up_.add();
      it = pending_.erase(it);
      continue;
    }
    if (now >= p.due) {
      sent_.add();
      env_.send(p.to, kEmitted, p.encoded);
      p.due = now + options_.failover;
    }
    ++it;
  }
}

void Emitter::check_invariants() const { EYRIE_ASSERT(pending_.size() <= options_.pending_max); }

bool EmitFilter::admit(const EmitId& id) {
  PerPartition& p = partitions_[id.partition];
  const std::pair key{id.position, id.index};
  if (key < p.below || !p.seen.insert(key).second) return false;
  while (p.seen.size() > seen_max_) {
    p.below = *p.seen.begin();
    p.below.second += 1;  // (position, index + 1): everything up to the forgotten one counts as seen
    p.seen.erase(p.seen.begin());
  }
  return true;
}

}  // namespace eyrie::partition
