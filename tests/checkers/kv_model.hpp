#pragma once
// KvModel: the sequential specification of the S-SMR key-value service (apps/kv), for the
// linearizability checker, and the types of its client histories.
//
// Keys and values are strings; a missing key reads as absent. Operations:
//   get(key)                      -> ok with the value, or absent
//   put(key, value)               -> ok
//   cas(key, expected, value)     -> ok when the key holds `expected` (a value, or absent), and
//                                    then it holds `value`; else mismatch, with the current value
//   transfer(from, to, amount)    -> ok when from's balance >= amount, and then from -= amount,
//                                    to += amount; else insufficient, and nothing changes.
//                                    Balances are decimal int64 values, absent = 0.
//   put_many([(key, value)...])   -> ok: a blind write of several keys at once
// An operation without a response has output kUnknown: it may have taken effect or not.
//
// Partition: keys are independent except where one operation touches several (transfer,
// put_many), so a part is a connected component of the graph "touched by the same operation"
// (union-find over keys), and its state is the map of its keys. This is what makes a read of
// x that sees a put_many's new value, followed by a read of y that sees y's old value, one
// part, and a violation: S-SMR's execution atomicity for multi-partition commands.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "tests/checkers/linearizability.hpp"

namespace eyrie::check::kv {

using Key = std::string;
using Value = std::string;
using MaybeValue = std::optional<Value>;  // nullopt: absent

struct Get {
  Key key;
};
struct Put {
  Key key;
  Value value;
};
struct Cas {
  Key key;
  MaybeValue expected;
  Value value;
};
struct Transfer {
  Key from;
  Key to;
  std::int64_t amount = 0;
};
struct PutMany {
  std::vector<std::pair<Key, Value>> writes;  // a key written twice ends with its last value
};
using Input = std::variant<Get, Put, Cas, Transfer, PutMany>;

enum class Status : std::uint8_t {
  kUnknown,  // no response seen
  kOk,
  kMismatch,      // cas: the key did not hold the expected value
  kInsufficient,  // transfer: from's balance was below the amount
};

struct Output {
  Status status = Status::kUnknown;
  MaybeValue value;  // get: the value read; cas mismatch: the value the key held
  friend bool operator==(const Output&, const Output&) = default;

  static Output unknown() { return {}; }
  static Output ok() { return {.status = Status::kOk, .value = std::nullopt}; }
  static Output read(MaybeValue value) { return {.status = Status::kOk, .value = std::move(value)}; }
  static Output mismatch(MaybeValue current) { return {.status = Status::kMismatch, .value = std::move(current)}; }
  static Output insufficient() { return {.status = Status::kInsufficient, .value = std::nullopt}; }
};

using KvOperation = Operation<Input, Output>;
using KvHistory = std::vector<KvOperation>;
using KvRecorder = OperationRecorder<Input, Output>;

// The keys an operation reads or writes, sorted, without repeats.
std::vector<Key> keys_of(const Input& input);

// Decimal int64 balance of a value: absent is 0; nullopt when the value is not a number.
std::optional<std::int64_t> balance_of(const MaybeValue& value);

class KvModel {
 public:
  using Input = kv::Input;
  using Output = kv::Output;
  // The part's keys that are present, sorted by key: flat, since the search copies a state
  // at every step it takes.
  using State = std::vector<std::pair<Key, Value>>;

  State init() const { return {}; }
  std::optional<State> step(const State& state, const Input& input, const Output& output) const;
  std::uint64_t hash(const State& state) const;
  // Reads, cas answered mismatch and transfers answered insufficient change nothing.
  bool read_only(const Input& input, const Output& output) const;
  std::string describe(const Input& input, const Output& output) const;
  std::string describe(const State& state) const;
  // One part per connected component of keys. Left out, since they constrain nothing:
  // operations that touch no key, unanswered gets, and unanswered puts and put_manys whose
  // values no operation can have seen (then "never took effect" explains them as well as
  // anything: see kv_model.cpp). Timeouts are common under faults, and each unanswered write
  // left in doubles what a failing search must rule out.
  std::vector<HistoryPart> partition(std::span<const KvOperation> history) const;
};

static_assert(LinearizableModel<KvModel>);

}  // namespace eyrie::check::kv
