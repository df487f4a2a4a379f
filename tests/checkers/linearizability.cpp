#include "tests/checkers/linearizability.hpp"

// The search of the linearizability checker; how it reports is in linearizability_report.cpp.

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <limits>

#include "runtime/rng.hpp"

namespace eyrie::check::linearizability_detail {

namespace {

// The set of operations linearized on the current path, as bits over the operations ranked
// by invocation. All operations invoked long ago are linearized, and the rest are few (about
// as many as overlap in time), so the set is described compactly by its frontier (the first
// rank not in it) and the words from the frontier to its highest rank: the window.
class LinearizedSet {
 public:
  explicit LinearizedSet(std::size_t operations) : bits_((operations + 63) / 64 + 1, 0) {}

  void add(std::size_t rank) {
    flip(rank);
    if (rank == frontier_) advance();
  }
  void remove(std::size_t rank) {
    flip(rank);
    frontier_ = std::min(frontier_, rank);
  }
  // Zobrist hash: a fixed random word per rank, so it follows add and remove in O(1).
  std::uint64_t hash() const { return hash_; }
  std::size_t frontier() const { return frontier_; }
  // `highest`: the highest rank in the set. Empty when the set is exactly [0, frontier).
  std::span<const std::uint64_t> window(std::size_t highest) const {
    if (highest < frontier_) return {};
    return std::span(bits_).subspan(frontier_ / 64, highest / 64 - frontier_ / 64 + 1);
  }

 private:
  void flip(std::size_t rank) {
    bits_[rank / 64] ^= std::uint64_t{1} << (rank % 64);
    std::uint64_t seed = rank;
    hash_ ^= splitmix64(seed);
  }
  void advance() {
    std::size_t word = frontier_ / 64;
    std::uint64_t ones = bits_[word] | ((std::uint64_t{1} << (frontier_ % 64)) - 1);
    while (ones == ~std::uint64_t{0}) ones = bits_[++word];  // the last word is never full
    frontier_ = word * 64 + static_cast<std::size_t>(std::countr_one(ones));
  }

  std::vector<std::uint64_t> bits_;
  std::size_t frontier_ = 0;
  std::uint64_t hash_ = 0;
};

// The memo: every (set of operations linearized, state) the search has entered, the sets as
// (frontier, window) in one arena.
class Memo {
 public:
  Memo() : entries_(1024, Hash{this}, Equal{this}) {}
  Memo(const Memo&) = delete;  // the hash and equality of entries_ point here
  Memo& operator=(const Memo&) = delete;

  // False when the configuration was entered before: it failed then, and fails again.
  bool insert(const LinearizedSet& set, std::size_t highest, std::uint32_t state) {
    const std::span<const std::uint64_t> window = set.window(highest);
    std::uint64_t mix = state;
    entry_at_.push_back(Entry{.hash = set.hash() ^ splitmix64(mix),
                              .arena_at = arena_.size(),
                              .frontier = set.frontier(),
                              .words = static_cast<std::uint32_t>(window.size()),
                              .state = state});
    arena_.insert(arena_.end(), window.begin(), window.end());
    if (entries_.insert(entry_at_.size() - 1).second) return true;
    arena_.resize(entry_at_.back().arena_at);
    entry_at_.pop_back();
    return false;
  }
  std::size_t bytes() const { return arena_.size() * 8 + entry_at_.size() * (sizeof(Entry) + 32); }

 private:
  struct Entry {
    std::uint64_t hash;
    std::size_t arena_at;
    std::size_t frontier;
    std::uint32_t words;
    std::uint32_t state;
  };
  struct Hash {
    const Memo* self;
    std::size_t operator()(std::size_t entry) const { return self->entry_at_[entry].hash; }
  };
  struct Equal {
    const Memo* self;
    bool operator()(std::size_t a, std::size_t b) const {
      const Entry& x = self->entry_at_[a];
      const Entry& y = self->entry_at_[b];
      const auto arena = self->arena_.begin();
      return x.state == y.state && x.frontier == y.frontier && x.words == y.words &&
             std::equal(arena + x.arena_at, arena + x.arena_at + x.words, arena + y.arena_at);
    }
  };
  std::vector<std::uint64_t> arena_;
  std::vector<Entry> entry_at_;
  std::unordered_set<std::size_t, Hash, Equal> entries_;
};

// One search over one part. The events (invocations and responses) form a doubly linked list
// in time order, invocations first among equal times; linearizing an operation lifts both of
// its events out of the list, and backtracking puts them back (always in reverse order, so
// the old links are still right).
class Search {
 public:
  Search(std::span<const Interval> ops, std::uint32_t initial_state, Stepper& stepper, std::uint64_t steps_max,
         std::size_t memo_bytes_max)
      : ops_(ops),
        stepper_(stepper),
        steps_max_(steps_max),
        memo_bytes_max_(memo_bytes_max),
        state_(initial_state),
        linearized_(ops.size()) {
    build_list();
  }
  SearchOutcome run();

 private:
  struct Linearized {
    std::size_t op;
    std::uint32_t state_before;
    bool read_only;              // the model says it never changes the state
    std::size_t highest_before;  // the highest rank linearized before it
  };
  static constexpr std::size_t kSentinel = 0;
  static constexpr std::size_t kNoRank = std::numeric_limits<std::size_t>::max();

  void build_list();
  void lift(std::size_t op);
  void unlift(std::size_t op);
  bool try_linearize(std::size_t op);
  std::size_t backtrack();
  void note_progress();
  SearchOutcome finish(Verdict verdict, std::string gave_up = {});
  std::string progress_text() const {
    return fmt::format("{} of {} operations linearized at best", best_.size(), ops_.size());
  }

  std::span<const Interval> ops_;
  Stepper& stepper_;
  std::uint64_t steps_max_;
  std::size_t memo_bytes_max_;
  std::uint32_t state_;
  Memo memo_;
  LinearizedSet linearized_;       // the operations on the current path, by rank
  std::size_t highest_ = kNoRank;  // the highest rank among them
  std::vector<std::size_t> rank_;  // of each operation: its place in invocation order
  std::uint64_t steps_ = 0;
  // Nodes 1..2n are the events, 0 the sentinel that closes the circular list.
  std::vector<std::size_t> next_, prev_, node_op_;
  std::vector<bool> node_is_response_;
  std::vector<std::size_t> call_node_, response_node_;
  std::vector<Linearized> path_;
  std::vector<std::size_t> best_;
  std::size_t best_agrees_ = 0;  // path_ and best_ agree on this many first operations
  std::uint32_t best_state_ = 0;
};

void Search::build_list() {
  struct Event {
    std::int64_t at_ns;
    bool response;
    std::size_t op;
    auto operator<=>(const Event&) const = default;
  };
  std::vector<Event> events;
  events.reserve(ops_.size() * 2);
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    events.push_back({ops_[i].invoked_ns, false, i});
    events.push_back({ops_[i].responded_ns, true, i});
  }
  std::sort(events.begin(), events.end());
  const std::size_t nodes = events.size() + 1;
  next_.resize(nodes);
  prev_.resize(nodes);
  node_op_.resize(nodes);
  node_is_response_.resize(nodes);
  call_node_.resize(ops_.size());
  response_node_.resize(ops_.size());
  rank_.resize(ops_.size());
  std::size_t rank = 0;
  for (std::size_t node = 1; node < nodes; ++node) {
    const Event& e = events[node - 1];
    node_op_[node] = e.op;
    node_is_response_[node] = e.response;
    (e.response ? response_node_ : call_node_)[e.op] = node;
    if (!e.response) rank_[e.op] = rank++;
    next_[node] = (node + 1) % nodes;
    prev_[node] = node - 1;
  }
  next_[kSentinel] = nodes > 1 ? 1 : kSentinel;
  prev_[kSentinel] = nodes - 1;
  best_state_ = state_;
}

void Search::lift(std::size_t op) {
  for (const std::size_t node : {call_node_[op], response_node_[op]}) {
    next_[prev_[node]] = next_[node];
    prev_[next_[node]] = prev_[node];
  }
}

void Search::unlift(std::size_t op) {
  for (const std::size_t node : {response_node_[op], call_node_[op]}) {
    next_[prev_[node]] = node;
    prev_[next_[node]] = node;
  }
}

void Search::note_progress() {
  if (path_.size() <= best_.size()) return;
  best_.resize(best_agrees_);
  for (std::size_t i = best_agrees_; i < path_.size(); ++i) best_.push_back(path_[i].op);
  best_agrees_ = path_.size();
  best_state_ = state_;
}

SearchOutcome Search::finish(Verdict verdict, std::string gave_up) {
  return SearchOutcome{.verdict = verdict,
                       .gave_up = std::move(gave_up),
                       .steps = steps_,
                       .longest_prefix = std::move(best_),
                       .prefix_state = best_state_};
}

// Linearizes `op` next if the model accepts its output here and the configuration it leads to
// is new.
bool Search::try_linearize(std::size_t op) {
  ++steps_;
  const std::optional<std::uint32_t> next = stepper_.step(state_, op);
  if (!next) return false;
  const std::size_t rank = rank_[op];
  const std::size_t highest = highest_ == kNoRank ? rank : std::max(highest_, rank);
  linearized_.add(rank);
  if (!memo_.insert(linearized_, highest, *next)) {
    linearized_.remove(rank);
    return false;
  }
  path_.push_back({.op = op, .state_before = state_, .read_only = ops_[op].read_only, .highest_before = highest_});
  highest_ = highest;
  state_ = *next;
  lift(op);
  note_progress();
  return true;
}

// Undoes the last step of the path; returns the event to go on from, kSentinel when the path
// is empty and nothing is left to try.
std::size_t Search::backtrack() {
  while (!path_.empty()) {
    const Linearized last = path_.back();
    path_.pop_back();
    best_agrees_ = std::min(best_agrees_, path_.size());
    linearized_.remove(rank_[last.op]);
    highest_ = last.highest_before;
    state_ = last.state_before;
    unlift(last.op);
    if (!last.read_only) return next_[call_node_[last.op]];
    // `last` was linearizable here, changes no state wherever it goes, and nothing still to
    // place had to come before it: any linearization going on from here could be rearranged
    // to put it first, and every one of those failed. So this configuration fails too: undo
    // the step that led to it. (A write that happened to leave this state as it was proves
    // nothing: later, at another state, it would not.)
  }
  return kSentinel;
}

SearchOutcome Search::run() {
  std::size_t node = next_[kSentinel];
  while (node != kSentinel) {
    const std::size_t op = node_op_[node];
    if (node_is_response_[node]) {
      // The response of an operation not linearized yet: it must come before everything
      // invoked after this point, so the path so far cannot be completed.
      node = backtrack();
      if (node == kSentinel) return finish(Verdict::kNotLinearizable);
      continue;
    }
    if (steps_ >= steps_max_) {
      return finish(Verdict::kUnknown, fmt::format("the search ran past steps_per_part_max ({} model steps), {}",
                                                   steps_max_, progress_text()));
    }
    if (!try_linearize(op)) {
      node = next_[node];
      continue;
    }
    if (memo_.bytes() + stepper_.bytes() > memo_bytes_max_) {
      return finish(Verdict::kUnknown, fmt::format("the search memo grew past memo_bytes_max ({} bytes), {}",
                                                   memo_bytes_max_, progress_text()));
    }
    node = next_[kSentinel];
  }
  // Every event lifted: the path is a linearization of the whole part.
  EYRIE_ASSERT(path_.size() == ops_.size());
  return finish(Verdict::kLinearizable);
}

}  // namespace

SearchOutcome search(std::span<const Interval> ops, std::uint32_t initial_state, Stepper& stepper,
                     std::uint64_t steps_max, std::size_t memo_bytes_max) {
  Search s(ops, initial_state, stepper, steps_max, memo_bytes_max);
  return s.run();
}

}  // namespace eyrie::check::linearizability_detail
