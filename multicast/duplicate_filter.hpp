#pragma once
// DuplicateFilter: drops repeated decisions of one message within one ensemble's decided stream.
//
// A sender retransmits a message until the coordinator acknowledges it, so the same message can
// be decided twice (e.g. a coordinator crashed after deciding it but before acking). Every
// retransmission goes to the same ensemble (the destinations choose it), so duplicates are
// always within one ensemble's stream, and filtering each stream on its own is deterministic:
// every learner of the ensemble sees the same stream and drops the same messages.
//
// Forgetting safely: a message carries its sender's `sender_acked_below` W: every seq of the
// message's sender life below W was decided before the sender built this message, hence
// earlier in this ensemble's stream if it went to this ensemble (an acknowledged decision
// precedes every later proposal). So once W is seen, those seqs can only reappear as
// duplicates and need no memory (SenderClaims; a restarted sender's earlier lives keep their
// own claims).
//
// Bounds: per sender, at most `seqs_per_sender_max` seqs above the watermark are remembered
// (the lowest are forgotten first; a correct sender keeps at most its window unacknowledged);
// at most `senders_max` senders, forgetting the one idle for the most decided messages. A
// duplicate of a forgotten message would be delivered again; with correct senders this needs a
// retransmission older than either bound, which the sender's window rules out.
//
// Checkpoints: state() exports everything the verdicts depend on (each sender's claims, its
// remembered seqs, its activity stamp for eviction, and the admission counter), and a filter
// built from that state with the same limits continues exactly as the original would: a
// restarted learner drops the same duplicates as the learners that never stopped. The state is
// bounded by the limits: at most senders_max x (seqs_per_sender_max + 2 x kLivesMax + 3)
// integers.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "multicast/sender_claims.hpp"
#include "multicast/types.hpp"

namespace eyrie::multicast {

class DuplicateFilter {
 public:
  struct Limits {
    std::size_t senders_max = 65536;
    std::size_t seqs_per_sender_max = 8192;
  };
  // What one sender's entry holds, as state() exports it.
  struct SenderRecord {
    NodeId sender;
    SenderClaims::State claims;       // seqs decided earlier in the stream, by the sender's word
    std::vector<std::uint64_t> seen;  // decided seqs that no claim covers, ascending
    std::uint64_t last_active = 0;    // the admission (1-based) that last saw this sender
    friend bool operator==(const SenderRecord&, const SenderRecord&) = default;
  };
  struct State {
    std::uint64_t admissions = 0;       // messages judged so far, duplicates included
    std::vector<SenderRecord> senders;  // ascending by sender, unique
    friend bool operator==(const State&, const State&) = default;
  };

  explicit DuplicateFilter(Limits limits) : limits_(limits) {}
  DuplicateFilter() : DuplicateFilter(Limits{}) {}
  // Continues from `state`. Precondition: valid(state, limits).
  DuplicateFilter(const State& state, Limits limits);

  // Whether a filter with `limits` can be in `state` (sorted, within the limits, valid claims
  // covering no remembered seq, activity stamps distinct and not beyond the admission count);
  // the first broken rule in *error when not.
  static bool valid(const State& state, Limits limits, std::string* error);

  // True the first time `message` is seen in this stream; false for a duplicate.
  bool admit(const MulticastMessage& message);
  // Whether admit() would call `id` a duplicate now (it was admitted, or lies below its
  // sender's watermark).
  bool seen(const MessageId& id) const;

  std::size_t senders() const { return senders_.size(); }
  State state() const;
  void check_invariants() const;

 private:
  struct SenderState {
    SenderClaims claims;             // seqs decided earlier in the stream, by the sender's word
    std::set<std::uint64_t> seen;    // decided seqs that no claim covers
    std::uint64_t last_active = 0;   // admission counter value when this sender was last seen
  };
  void evict_idlest_sender();
  static void forget_covered(SenderState& s, std::uint64_t life);

  Limits limits_;
  std::map<NodeId, SenderState> senders_;
  std::uint64_t admissions_ = 0;
};

}  // namespace eyrie::multicast
