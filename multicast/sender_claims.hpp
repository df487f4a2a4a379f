#pragma once
// SenderClaims: what one sender has declared decided, so that coordinators (ProposalQueue) and
// learners (DuplicateFilter) can forget the ids of its decided messages and still recognise a
// late retransmission of one.
//
// A sender's seqs carry its life in their high bits (seq = life << kLifeShift | n): a cluster
// node that restarts keeps its id but starts a new life (Multicaster reserves seqs durably).
// A message's `sender_acked_below` W claims that every seq of the message's own life below W is
// decided. It claims nothing about earlier lives: a sender that crashed cannot know which of its
// last messages were decided, and with optimistic delivery a learner may still have to get an
// earlier life's message decided on its behalf (OptimisticLearner re-proposes it).
//
// Bound: claims of at most kLivesMax lives per sender; older lives are then taken as entirely
// decided (a message of theirs still undecided after kLivesMax restarts of its sender is
// dropped as if it were a duplicate).
//
// Checkpoints: state() exports the claims (at most kLivesMax lives) and SenderClaims(state)
// rebuilds claims that answer covers() and raise() exactly as these do (LearnerCheckpoint).

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace eyrie::multicast {

class SenderClaims {
 public:
  static constexpr int kLifeShift = 40;
  static constexpr std::size_t kLivesMax = 8;
  static constexpr std::uint64_t life_of(std::uint64_t seq) { return seq >> kLifeShift; }
  static constexpr std::uint64_t life_base(std::uint64_t life) { return life << kLifeShift; }

  struct State {
    std::uint64_t forgotten_below_life = 0;                       // lives below count as entirely decided
    std::vector<std::pair<std::uint64_t, std::uint64_t>> lives;  // (life, first seq not claimed), ascending
    friend bool operator==(const State&, const State&) = default;
  };

  SenderClaims() = default;
  // Precondition: valid(state, nullptr).
  explicit SenderClaims(const State& state) : below_(state.lives.begin(), state.lives.end()),
                                              forgotten_below_(state.forgotten_below_life) {}

  State state() const { return State{forgotten_below_, {below_.begin(), below_.end()}}; }

  // Whether raise() can lead to `state`: at most kLivesMax lives, ascending, none forgotten, each
  // claim inside its own life and above its base. The first broken rule in *error when not.
  static bool valid(const State& state, std::string* error) {
    const auto fail = [error](std::string why) {
      if (error) *error = std::move(why);
      return false;
    };
    if (state.lives.size() > kLivesMax) return fail("claims of " + std::to_string(state.lives.size()) + " lives");
    if (state.forgotten_below_life > life_of(~std::uint64_t{0})) return fail("forgotten lives beyond the last life");
    for (std::size_t i = 0; i < state.lives.size(); ++i) {
      const auto [life, below] = state.lives[i];
      const std::string which = "the claim of life " + std::to_string(life);
      if (i > 0 && life <= state.lives[i - 1].first) return fail(which + " out of order or repeated");
      if (life < state.forgotten_below_life) return fail(which + ", a forgotten life");
      if (below <= life_base(life) || life_of(below - 1) != life) return fail(which + " lies outside that life");
    }
    return true;
  }

  // Records the claim of a message with `seq` and `acked_below`; true when it grew. A claim
  // outside the message's own life is ignored (readers reject it already: acked_below <= seq).
  bool raise(std::uint64_t seq, std::uint64_t acked_below) {
    const std::uint64_t life = life_of(seq);
    if (life < forgotten_below_ || acked_below <= life_base(life) || life_of(acked_below - 1) != life) return false;
    std::uint64_t& below = below_[life];
    if (acked_below <= below) return false;
    below = acked_below;
    while (below_.size() > kLivesMax) {
      forgotten_below_ = below_.begin()->first + 1;
      below_.erase(below_.begin());
    }
    return true;
  }

  // Whether `seq` is known decided by a claim.
  bool covers(std::uint64_t seq) const {
    const std::uint64_t life = life_of(seq);
    if (life < forgotten_below_) return true;
    const auto it = below_.find(life);
    return it != below_.end() && seq < it->second;
  }

  // The claim for `life`: its seqs in [life_base(life), below(life)) are decided.
  std::uint64_t below(std::uint64_t life) const {
    const auto it = below_.find(life);
    return it == below_.end() ? life_base(life) : it->second;
  }
  // Every seq below this is covered by a forgotten life or by a claim (to drop remembered ids).
  std::uint64_t forgotten_below_seq() const { return life_base(forgotten_below_); }
  std::size_t lives() const { return below_.size(); }

 private:
  std::map<std::uint64_t, std::uint64_t> below_;  // life -> first seq of that life not claimed
  std::uint64_t forgotten_below_ = 0;             // lives below this count as entirely decided
};

}  // namespace eyrie::multicast
