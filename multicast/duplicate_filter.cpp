#include "multicast/duplicate_filter.hpp"

#include "runtime/assert.hpp"

namespace eyrie::multicast {

bool DuplicateFilter::admit(const MulticastMessage& message) {
  const std::uint64_t seq = message.id.seq;
  auto it = senders_.find(message.id.sender);
  if (it == senders_.end()) {
    if (senders_.size() >= limits_.senders_max) evict_idlest_sender();
    it = senders_.emplace(message.id.sender, SenderState{}).first;
  }
  SenderState& s = it->second;
  s.last_active = ++admissions_;
  if (s.claims.covers(seq) || s.seen.count(seq) != 0) return false;
  s.seen.insert(seq);
  if (s.claims.raise(seq, message.sender_acked_below)) forget_covered(s, SenderClaims::life_of(seq));
  while (s.seen.size() > limits_.seqs_per_sender_max) {
    // Forget the oldest; a claim up to it keeps "covered means seen" true for it.
    const std::uint64_t oldest = *s.seen.begin();
    s.claims.raise(oldest, oldest + 1);
    forget_covered(s, SenderClaims::life_of(oldest));
  }
  return true;
}

void DuplicateFilter::forget_covered(SenderState& s, std::uint64_t life) {
  s.seen.erase(s.seen.begin(), s.seen.lower_bound(s.claims.forgotten_below_seq()));
  s.seen.erase(s.seen.lower_bound(SenderClaims::life_base(life)), s.seen.lower_bound(s.claims.below(life)));
}

bool DuplicateFilter::seen(const MessageId& id) const {
  const auto it = senders_.find(id.sender);
  return it != senders_.end() && (it->second.claims.covers(id.seq) || it->second.seen.contains(id.seq));
}

void DuplicateFilter::evict_idlest_sender() {
  auto idlest = senders_.begin();
  for (auto it = senders_.begin(); it != senders_.end(); ++it) {
    if (it->second.last_active < idlest->second.last_active) idlest = it;
  }
  senders_.erase(idlest);
}

void DuplicateFilter::check_invariants() const {
  EYRIE_ASSERT(senders_.size() <= limits_.senders_max);
  for (const auto& [sender, s] : senders_) {
    EYRIE_ASSERT(s.seen.size() <= limits_.seqs_per_sender_max);
    // Spot checks (the whole set would cost too much after every simulated event).
    EYRIE_ASSERT(s.seen.empty() || (!s.claims.covers(*s.seen.begin()) && !s.claims.covers(*s.seen.rbegin())));
    EYRIE_ASSERT(s.claims.lives() <= SenderClaims::kLivesMax);
  }
}

}  // namespace eyrie::multicast
