#pragma once
// Linearizability (Herlihy and Wing) of client histories against a sequential model.
//
// The search is Wing and Gong's, with Lowe's just-in-time linearization and memoization of
// (set of operations linearized, model state), as Porcupine (Athalye) does it: walk the events
// in time order; at an invocation try to linearize that operation now (the model must accept
// its output from the current state); at a response whose operation is not linearized yet,
// backtrack, since that operation cannot be placed after anything invoked later. A
// configuration seen before is never explored twice. Models that can split a history into
// independent parts (per key, say) have each part checked on its own (P-compositionality,
// Horn and Kroening): that, far more than any constant factor, is what keeps the search small.
//
// Time: invocation and response are int64 nanoseconds; a precedes b when a's response is
// strictly before b's invocation, so equal times count as overlapping (a checker must never
// fail a run over an order it cannot see). An operation without a response (timed out, client
// crashed) has its response at kNeverNs and an unknown Output: it may take effect at any
// point after its invocation, or never, which the search covers by linearizing it last.
//
// Bounds: a part above operations_per_part_max is not searched, and a search that runs past
// steps_per_part_max model steps or memo_bytes_max of memo gives up. Either way the verdict is
// kUnknown, reported distinctly and never as a pass; the caller decides whether it fails a test.
//
// Two refinements over Porcupine. The memo keys a set of operations by its frontier (every
// operation invoked before it is linearized) and the few words of bits past it, so an entry
// costs about as much as the concurrency, not the length, of the part. And a read-only
// operation (see read_only below) that fits where the search placed it is never swapped for
// another: any linearization from there could put it first, so if that failed, all did.
//
// The search itself (linearizability.cpp; reports in linearizability_report.cpp) knows nothing
// of the model: it sees intervals and state ids, and calls back to step a state. This header
// adapts a model to it by interning the model's states, so each distinct state is stored once
// and the memo holds 32-bit ids.

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "runtime/assert.hpp"
#include "runtime/types.hpp"
#include "tests/checkers/check_result.hpp"

namespace eyrie::check {

inline constexpr std::int64_t kNeverNs = std::numeric_limits<std::int64_t>::max();

// One client operation as the client saw it.
template <typename Input, typename Output>
struct Operation {
  NodeId client;
  std::int64_t invoked_ns = 0;
  std::int64_t responded_ns = kNeverNs;  // kNeverNs: no response seen; `output` is then Output{}, unknown
  Input input{};
  Output output{};
  bool answered() const { return responded_ns != kNeverNs; }
};

// An independent part of a history: the operations (indices into the history) that share
// state. Operations a model leaves out of every part constrain nothing (an unanswered read).
struct HistoryPart {
  std::string label;  // for reports, e.g. "keys {x, y}"
  std::vector<std::size_t> operations;
};

// A sequential specification. Output{} must mean "unknown" (no response seen), and step must
// accept any output flagged unknown. Optional members, used when present:
//   std::vector<HistoryPart> partition(std::span<const Operation<Input, Output>>) const;
//       independent parts (default: the whole history is one part);
//   std::string describe(const State&) const;  a state, for reports;
//   bool read_only(const Input&, const Output&) const;  true when the operation, so answered,
//       leaves every state it is possible from unchanged (a read; not a write that happens to
//       rewrite the value there). It prunes much of the search for a history that is not
//       linearizable (default: false, no pruning).
template <typename M>
concept LinearizableModel = requires(const M& model, const typename M::State& state, const typename M::Input& input,
                                     const typename M::Output& output) {
  requires std::copyable<typename M::State> && std::equality_comparable<typename M::State>;
  requires std::default_initializable<typename M::Input> && std::default_initializable<typename M::Output>;
  { model.init() } -> std::same_as<typename M::State>;
  // The state after `input` answered by `output`; nullopt when that output is impossible here.
  { model.step(state, input, output) } -> std::same_as<std::optional<typename M::State>>;
  { model.hash(state) } -> std::convertible_to<std::uint64_t>;
  { model.describe(input, output) } -> std::convertible_to<std::string>;
};

template <LinearizableModel M>
using OperationOf = Operation<typename M::Input, typename M::Output>;

struct LinearizabilityOptions {
  std::size_t operations_per_part_max = 10'000;
  std::uint64_t steps_per_part_max = 1'000'000;  // model steps tried in one part's search
  // Memo and interned states of one part's search, estimated (a state's own heap is not counted).
  std::size_t memo_bytes_max = std::size_t{256} << 20;
};

enum class Verdict { kLinearizable, kNotLinearizable, kUnknown };
const char* to_string(Verdict verdict);

struct LinearizabilityReport {
  Verdict verdict = Verdict::kLinearizable;
  // Empty when linearizable; else the first part not linearizable (its longest linearizable
  // prefix, the state after it, and the operations that could not come next), or, when every
  // part that was judged passed, the first part not judged and which bound stopped it.
  std::string explanation;
  std::size_t operations = 0;
  std::size_t parts = 0;
  std::size_t parts_not_linearizable = 0;
  std::size_t parts_unknown = 0;
  std::size_t largest_part_operations = 0;
  std::uint64_t steps = 0;  // model steps over all parts
  std::uint64_t most_steps_in_a_part = 0;
  static constexpr std::size_t kSamplesMax = 16;
  std::vector<std::string> not_linearizable_parts;  // labels, the first kSamplesMax
  std::vector<std::string> unknown_parts;           // labels, the first kSamplesMax

  // Passes only when linearizable: kUnknown fails too, saying so. A caller that tolerates
  // kUnknown looks at `verdict` instead.
  CheckResult result() const;
};

// The model-independent search (linearizability.cpp) and report writing (linearizability_report.cpp).
namespace linearizability_detail {

// What the search knows of an operation.
struct Interval {
  std::int64_t invoked_ns = 0;
  std::int64_t responded_ns = kNeverNs;
  bool read_only = false;  // see LinearizableModel: read_only()
};

class Stepper {
 public:
  virtual ~Stepper() = default;
  // The id of the state after operation `op` (an index into the part) from state `state`.
  virtual std::optional<std::uint32_t> step(std::uint32_t state, std::size_t op) = 0;
  virtual std::size_t bytes() const = 0;  // memory held by the states interned so far
};

struct SearchOutcome {
  Verdict verdict = Verdict::kUnknown;
  std::string gave_up;  // which bound stopped the search, when kUnknown
  std::uint64_t steps = 0;
  std::vector<std::size_t> longest_prefix;  // the longest linearization found, in order; all of them when linearizable
  std::uint32_t prefix_state = 0;           // the state after longest_prefix
};

SearchOutcome search(std::span<const Interval> ops, std::uint32_t initial_state, Stepper& stepper,
                     std::uint64_t steps_max, std::size_t memo_bytes_max);

// The operations of the part not in `prefix` that could be linearized right after it: those
// invoked no later than the earliest response among the operations left.
std::vector<std::size_t> next_candidates(std::span<const Interval> ops, std::span<const std::size_t> prefix);

// "#12 x1a2b [1.000000ms, 2.500000ms] get(x) -> "1"": history index, client, times, what.
std::string describe_operation(std::size_t index, NodeId client, const Interval& times, const std::string& what);

// Writes what one part's search found; `describe(op)` describes operation `op` of the part,
// `step_ok(op)` says whether the model accepts it from the prefix state.
std::string explain_failure(const std::string& label, std::span<const Interval> ops, const SearchOutcome& outcome,
                            const std::string& prefix_state, const std::function<std::string(std::size_t)>& describe,
                            const std::function<bool(std::size_t)>& step_ok);

void fold_part(LinearizabilityReport& report, const std::string& label, std::size_t operations, Verdict verdict,
               std::uint64_t steps, std::string explanation);

// Interns a model's states, so that the search deals in ids.
template <LinearizableModel M>
class ModelStepper final : public Stepper {
 public:
  ModelStepper(const M& model, std::span<const OperationOf<M>> history, std::span<const std::size_t> part)
      : model_(model), history_(history), part_(part), ids_(64, Hash{this}, Equal{this}) {}
  ModelStepper(const ModelStepper&) = delete;  // the hash and equality of ids_ point here
  ModelStepper& operator=(const ModelStepper&) = delete;

  std::uint32_t intern(typename M::State state) {
    EYRIE_ASSERT(states_.size() < std::numeric_limits<std::uint32_t>::max(), "too many states to intern");
    states_.push_back(std::move(state));
    const auto id = static_cast<std::uint32_t>(states_.size() - 1);
    const auto [it, fresh] = ids_.insert(id);
    if (!fresh) states_.pop_back();
    return *it;
  }
  std::optional<std::uint32_t> step(std::uint32_t state, std::size_t op) override {
    const OperationOf<M>& o = history_[part_[op]];
    std::optional<typename M::State> next = model_.step(states_[state], o.input, o.output);
    if (!next) return std::nullopt;
    return intern(std::move(*next));
  }
  std::size_t bytes() const override { return states_.size() * (sizeof(typename M::State) + 48); }
  const typename M::State& state(std::uint32_t id) const { return states_[id]; }

 private:
  struct Hash {
    const ModelStepper* self;
    std::size_t operator()(std::uint32_t id) const { return self->model_.hash(self->states_[id]); }
  };
  struct Equal {
    const ModelStepper* self;
    bool operator()(std::uint32_t a, std::uint32_t b) const { return self->states_[a] == self->states_[b]; }
  };
  const M& model_;
  std::span<const OperationOf<M>> history_;
  std::span<const std::size_t> part_;
  std::vector<typename M::State> states_;
  std::unordered_set<std::uint32_t, Hash, Equal> ids_;
};

template <LinearizableModel M>
std::string describe_state(const M& model, const typename M::State& state) {
  if constexpr (requires {
                  { model.describe(state) } -> std::convertible_to<std::string>;
                }) {
    return model.describe(state);
  } else {
    return "(the model does not describe its states)";
  }
}

template <LinearizableModel M>
void check_part(const M& model, std::span<const OperationOf<M>> history, const HistoryPart& part,
                const LinearizabilityOptions& options, LinearizabilityReport& report) {
  const std::size_t n = part.operations.size();
  if (n > options.operations_per_part_max) {
    return fold_part(report, part.label, n, Verdict::kUnknown, 0,
                     "part " + part.label + ": not searched: " + std::to_string(n) +
                         " operations, over operations_per_part_max " +
                         std::to_string(options.operations_per_part_max));
  }
  std::vector<Interval> ops;
  ops.reserve(n);
  for (const std::size_t i : part.operations) {
    bool read_only = false;
    if constexpr (requires {
                    { model.read_only(history[i].input, history[i].output) } -> std::convertible_to<bool>;
                  }) {
      read_only = model.read_only(history[i].input, history[i].output);
    }
    ops.push_back(
        {.invoked_ns = history[i].invoked_ns, .responded_ns = history[i].responded_ns, .read_only = read_only});
  }
  ModelStepper<M> stepper(model, history, part.operations);
  const std::uint32_t initial = stepper.intern(model.init());
  const SearchOutcome outcome = search(ops, initial, stepper, options.steps_per_part_max, options.memo_bytes_max);
  if (outcome.verdict == Verdict::kLinearizable) {
    return fold_part(report, part.label, n, outcome.verdict, outcome.steps, {});
  }
  if (outcome.verdict == Verdict::kUnknown) {
    return fold_part(report, part.label, n, outcome.verdict, outcome.steps,
                     "part " + part.label + ": gave up: " + outcome.gave_up);
  }
  const auto describe = [&](std::size_t op) {
    const OperationOf<M>& o = history[part.operations[op]];
    return describe_operation(part.operations[op], o.client, ops[op], model.describe(o.input, o.output));
  };
  const auto step_ok = [&](std::size_t op) { return stepper.step(outcome.prefix_state, op).has_value(); };
  const std::string prefix_state = describe_state(model, stepper.state(outcome.prefix_state));
  fold_part(report, part.label, n, outcome.verdict, outcome.steps,
            explain_failure(part.label, ops, outcome, prefix_state, describe, step_ok));
}

}  // namespace linearizability_detail

// Checks `history` against `model`. Throws std::invalid_argument for a malformed history
// (a response before its invocation, an invocation at kNeverNs): that is a bug of the recorder,
// not a verdict on the system.
template <LinearizableModel M>
LinearizabilityReport check_linearizable(const M& model, std::span<const OperationOf<M>> history,
                                         const LinearizabilityOptions& options = {}) {
  for (std::size_t i = 0; i < history.size(); ++i) {
    if (history[i].invoked_ns == kNeverNs || history[i].responded_ns < history[i].invoked_ns) {
      throw std::invalid_argument("linearizability: operation #" + std::to_string(i) +
                                  " has its response before its invocation (or no invocation time)");
    }
  }
  std::vector<HistoryPart> parts;
  if constexpr (requires {
                  { model.partition(history) } -> std::same_as<std::vector<HistoryPart>>;
                }) {
    parts = model.partition(history);
  } else {
    parts.push_back(HistoryPart{.label = "whole history", .operations = {}});
    for (std::size_t i = 0; i < history.size(); ++i) parts.back().operations.push_back(i);
  }
  LinearizabilityReport report;
  report.operations = history.size();
  for (const HistoryPart& part : parts) {
    for (const std::size_t i : part.operations)
      EYRIE_ASSERT(i < history.size(), "a part names an operation not in the history");
    linearizability_detail::check_part(model, history, part, options, report);
  }
  return report;
}

template <LinearizableModel M>
LinearizabilityReport check_linearizable(const M& model, const std::vector<OperationOf<M>>& history,
                                         const LinearizabilityOptions& options = {}) {
  return check_linearizable(model, std::span<const OperationOf<M>>(history), options);
}

// Records client operations as they happen (in a simulation, from the client hooks) and hands
// the history over at the end; operations still unanswered then are unknown. Bounded: a full
// recorder refuses new operations and remembers it, so a run is never judged on a truncated
// history without saying so.
//
// Times are stamped in recording order: an event at or before the previous event's time is
// stamped 1ns after it. In a simulator many events share a virtual instant, and the order in
// which they were processed is the real-time order (a client that sends its next request from
// the handler of a response really did start it after that response): keeping it strict lets
// the checker see it, where equal times would read as overlapping.
template <typename Input, typename Output>
class OperationRecorder {
 public:
  using Handle = std::size_t;

  explicit OperationRecorder(std::size_t operations_max) : operations_max_(operations_max) {
    EYRIE_ASSERT(operations_max > 0);
  }

  // nullopt, and nothing recorded, when the recorder is full. Times must not go backwards.
  std::optional<Handle> invoked(NodeId client, std::int64_t at_ns, Input input) {
    if (operations_.size() >= operations_max_) {
      overflowed_ = true;
      return std::nullopt;
    }
    const std::int64_t stamp = stamp_at(at_ns);
    operations_.push_back(Operation<Input, Output>{.client = client,
                                                   .invoked_ns = stamp,
                                                   .responded_ns = kNeverNs,
                                                   .input = std::move(input),
                                                   .output = Output{}});
    ++outstanding_;
    return operations_.size() - 1;
  }

  // The response to `op`, seen at `at_ns`. An operation is answered at most once.
  void responded(Handle op, std::int64_t at_ns, Output output) {
    EYRIE_ASSERT(op < operations_.size(), "response to an operation never recorded");
    EYRIE_ASSERT(!operations_[op].answered(), "operation answered twice");
    operations_[op].responded_ns = stamp_at(at_ns);
    operations_[op].output = std::move(output);
    --outstanding_;
  }

  const std::vector<Operation<Input, Output>>& operations() const { return operations_; }
  std::size_t outstanding() const { return outstanding_; }
  bool overflowed() const { return overflowed_; }

 private:
  std::int64_t stamp_at(std::int64_t at_ns) {
    EYRIE_ASSERT(at_ns >= last_raw_ns_, "operation events must be recorded in time order");
    EYRIE_ASSERT(at_ns < kNeverNs - 1);
    last_raw_ns_ = at_ns;
    last_stamp_ns_ = stamped_ ? std::max(at_ns, last_stamp_ns_ + 1) : at_ns;
    stamped_ = true;
    return last_stamp_ns_;
  }

  std::size_t operations_max_;
  std::vector<Operation<Input, Output>> operations_;
  std::size_t outstanding_ = 0;
  bool overflowed_ = false;
  bool stamped_ = false;
  std::int64_t last_raw_ns_ = std::numeric_limits<std::int64_t>::min();
  std::int64_t last_stamp_ns_ = 0;
};

}  // namespace eyrie::check
