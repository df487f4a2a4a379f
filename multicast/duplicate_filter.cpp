#include "multicast/duplicate_filter.hpp"

#include <algorithm>
#include <functional>
#include <set>

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

// --- state export and import (learner checkpoints) ---

namespace {

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

}  // namespace

DuplicateFilter::DuplicateFilter(const State& state, Limits limits) : limits_(limits), admissions_(state.admissions) {
  EYRIE_ASSERT(valid(state, limits, nullptr), "a filter state must be checked with valid() first");
  for (const SenderRecord& r : state.senders) {
    senders_.emplace_hint(senders_.end(), r.sender,
                          SenderState{.claims = SenderClaims(r.claims),
                                      .seen = std::set<std::uint64_t>(r.seen.begin(), r.seen.end()),
                                      .last_active = r.last_active});
  }
}

bool DuplicateFilter::valid(const State& state, Limits limits, std::string* error) {
  if (state.senders.size() > limits.senders_max) {
    return fail(error, "filter: " + std::to_string(state.senders.size()) + " senders, at most " +
                           std::to_string(limits.senders_max));
  }
  std::set<std::uint64_t> stamps;
  for (std::size_t i = 0; i < state.senders.size(); ++i) {
    const SenderRecord& r = state.senders[i];
    const std::string who = "filter: sender " + to_string(r.sender);
    if (i > 0 && r.sender <= state.senders[i - 1].sender) return fail(error, who + " out of order or repeated");
    if (r.seen.size() > limits.seqs_per_sender_max) {
      return fail(error, who + " remembers " + std::to_string(r.seen.size()) + " seqs, at most " +
                             std::to_string(limits.seqs_per_sender_max));
    }
    if (std::adjacent_find(r.seen.begin(), r.seen.end(), std::greater_equal<>()) != r.seen.end()) {
      return fail(error, who + ": seqs not ascending and unique");
    }
    std::string why;
    if (!SenderClaims::valid(r.claims, &why)) return fail(error, who + ": " + why);
    const SenderClaims claims(r.claims);
    if (std::any_of(r.seen.begin(), r.seen.end(), [&](std::uint64_t seq) { return claims.covers(seq); })) {
      return fail(error, who + ": a remembered seq is covered by its claims");
    }
    // Every admission stamps exactly one sender, so stamps are distinct, in 1..admissions.
    if (r.last_active == 0 || r.last_active > state.admissions || !stamps.insert(r.last_active).second) {
      return fail(error, who + ": activity stamp " + std::to_string(r.last_active) + " not unique in 1.." +
                             std::to_string(state.admissions));
    }
  }
  return true;
}

DuplicateFilter::State DuplicateFilter::state() const {
  State state{.admissions = admissions_, .senders = {}};
  state.senders.reserve(senders_.size());
  for (const auto& [sender, s] : senders_) {
    state.senders.push_back(SenderRecord{.sender = sender,
                                         .claims = s.claims.state(),
                                         .seen = std::vector<std::uint64_t>(s.seen.begin(), s.seen.end()),
                                         .last_active = s.last_active});
  }
  return state;
}

}  // namespace eyrie::multicast
