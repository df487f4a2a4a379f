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
  if (seq < s.acked_below || s.seen.count(seq) != 0) return false;
  s.seen.insert(seq);
  if (message.sender_acked_below > s.acked_below) {
    s.acked_below = message.sender_acked_below;
    s.seen.erase(s.seen.begin(), s.seen.lower_bound(s.acked_below));
  }
  while (s.seen.size() > limits_.seqs_per_sender_max) {
    // Forget the oldest; raising the watermark keeps "below it means seen" true for them.
    s.acked_below = *s.seen.begin() + 1;
    s.seen.erase(s.seen.begin());
  }
  return true;
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
    EYRIE_ASSERT(s.seen.empty() || *s.seen.begin() >= s.acked_below);
  }
}

}  // namespace eyrie::multicast
