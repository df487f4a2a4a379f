#include "tests/checkers/kv_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <set>

namespace eyrie::check::kv {

namespace {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

using State = KvModel::State;

State::const_iterator find(const State& state, const Key& key) {
  return std::lower_bound(state.begin(), state.end(), key,
                          [](const auto& entry, const Key& k) { return entry.first < k; });
}

MaybeValue lookup(const State& state, const Key& key) {
  const auto it = find(state, key);
  return it == state.end() || it->first != key ? std::nullopt : MaybeValue(it->second);
}

void assign(State& state, const Key& key, const Value& value) {
  const auto it = state.begin() + (find(state, key) - state.begin());
  if (it != state.end() && it->first == key) {
    it->second = value;
  } else {
    state.insert(it, {key, value});
  }
}

State with(const State& state, const Key& key, const Value& value) {
  State next = state;
  assign(next, key, value);
  return next;
}

std::string quoted(const MaybeValue& value) { return value ? "\"" + *value + "\"" : "absent"; }

// Each step returns the next state, or nullopt when `output` is impossible from `state`. An
// unknown output accepts whatever the operation would have answered.
struct StepVisitor {
  const State& state;
  const Output& output;

  bool unknown() const { return output.status == Status::kUnknown; }
  bool is(Status status) const { return unknown() || output.status == status; }

  std::optional<State> operator()(const Get& get) const {
    if (unknown()) return state;
    if (output.status != Status::kOk || output.value != lookup(state, get.key)) return std::nullopt;
    return state;
  }
  std::optional<State> operator()(const Put& put) const {
    if (!is(Status::kOk)) return std::nullopt;
    return with(state, put.key, put.value);
  }
  std::optional<State> operator()(const Cas& cas) const {
    const MaybeValue current = lookup(state, cas.key);
    if (current == cas.expected) {
      if (!is(Status::kOk)) return std::nullopt;
      return with(state, cas.key, cas.value);
    }
    if (unknown()) return state;
    if (output.status != Status::kMismatch || output.value != current) return std::nullopt;
    return state;
  }
  std::optional<State> operator()(const Transfer& transfer) const {
    const std::optional<std::int64_t> from = balance_of(lookup(state, transfer.from));
    const std::optional<std::int64_t> to = balance_of(lookup(state, transfer.to));
    // The service refuses a transfer over values that are not numbers, and one that would
    // overflow; neither answers ok or insufficient.
    if (!from || !to) return unknown() ? std::optional(state) : std::nullopt;
    if (*from < transfer.amount) return is(Status::kInsufficient) ? std::optional(state) : std::nullopt;
    if (!is(Status::kOk)) return std::nullopt;
    if (transfer.from == transfer.to) return state;
    std::int64_t from_after = 0;
    std::int64_t to_after = 0;
    if (__builtin_sub_overflow(*from, transfer.amount, &from_after) ||
        __builtin_add_overflow(*to, transfer.amount, &to_after)) {
      return unknown() ? std::optional(state) : std::nullopt;
    }
    State next = with(state, transfer.from, std::to_string(from_after));
    assign(next, transfer.to, std::to_string(to_after));
    return next;
  }
  std::optional<State> operator()(const PutMany& put_many) const {
    if (!is(Status::kOk)) return std::nullopt;
    State next = state;
    for (const auto& [key, value] : put_many.writes) assign(next, key, value);
    return next;
  }
};

std::string output_text(const Input& input, const Output& output) {
  switch (output.status) {
    case Status::kUnknown:
      return "unknown (no response)";
    case Status::kOk:
      return std::holds_alternative<Get>(input) ? quoted(output.value) : "ok";
    case Status::kMismatch:
      return "mismatch (held " + quoted(output.value) + ")";
    case Status::kInsufficient:
      return "insufficient";
  }
  return "?";
}

// Union-find over key indices, with path halving and union by size.
class Components {
 public:
  std::size_t add() {
    parent_.push_back(parent_.size());
    size_.push_back(1);
    return parent_.size() - 1;
  }
  std::size_t root(std::size_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void join(std::size_t a, std::size_t b) {
    a = root(a);
    b = root(b);
    if (a == b) return;
    if (size_[a] < size_[b]) std::swap(a, b);
    parent_[b] = a;
    size_[a] += size_[b];
  }

 private:
  std::vector<std::size_t> parent_;
  std::vector<std::size_t> size_;
};

std::string part_label(const std::vector<const Key*>& keys) {
  constexpr std::size_t kKeysShown = 8;
  std::string out;
  for (std::size_t i = 0; i < keys.size() && i < kKeysShown; ++i) out += (i == 0 ? "" : ", ") + *keys[i];
  if (keys.size() > kKeysShown) out += fmt::format(", ... ({} keys)", keys.size());
  return (keys.size() == 1 ? "key {" : "keys {") + out + "}";
}

// Which written values some operation may have seen, to leave out unanswered blind writes that
// nobody saw. Take an unanswered put(k, v) that a linearization places somewhere: until the
// next write of k, k holds v, and an operation on k in between either sees v (a get returning
// v, a cas succeeding on v or failing with v; an unanswered cas expecting v) or is an
// unanswered cas expecting something else, which changes nothing there and can move to the
// very end (its output is unknown, and nothing had to follow it). Transfers read balances, so
// they count as seeing every value of their keys. If no operation saw v on k, then, only
// blind writes and movable casses follow the put before k's next write, and removing the put
// changes no output: leaving it out ("it never took effect") loses no linearization.
class Observations {
 public:
  explicit Observations(std::span<const KvOperation> history) {
    for (const KvOperation& op : history) {
      if (const auto* get = std::get_if<Get>(&op.input)) {
        if (op.answered() && op.output.value) seen_.emplace(get->key, *op.output.value);
      } else if (const auto* cas = std::get_if<Cas>(&op.input)) {
        const bool may_succeed = op.output.status == Status::kOk || op.output.status == Status::kUnknown;
        if (may_succeed && cas->expected) seen_.emplace(cas->key, *cas->expected);
        if (op.output.status == Status::kMismatch && op.output.value) seen_.emplace(cas->key, *op.output.value);
      } else if (const auto* transfer = std::get_if<Transfer>(&op.input)) {
        opaque_.insert(transfer->from);
        opaque_.insert(transfer->to);
      }
    }
  }
  // A put or put_many none of whose writes anyone may have seen.
  bool unseen_blind_write(const Input& input) const {
    if (const auto* put = std::get_if<Put>(&input)) return !may_see(put->key, put->value);
    if (const auto* put_many = std::get_if<PutMany>(&input)) {
      return std::none_of(put_many->writes.begin(), put_many->writes.end(),
                          [&](const auto& write) { return may_see(write.first, write.second); });
    }
    return false;
  }

 private:
  bool may_see(const Key& key, const Value& value) const {
    return opaque_.contains(key) || seen_.contains({key, value});
  }
  std::set<std::pair<Key, Value>> seen_;
  std::set<Key> opaque_;
};

}  // namespace

std::vector<Key> keys_of(const Input& input) {
  std::vector<Key> keys = std::visit(Overloaded{
                                         [](const Get& op) { return std::vector<Key>{op.key}; },
                                         [](const Put& op) { return std::vector<Key>{op.key}; },
                                         [](const Cas& op) { return std::vector<Key>{op.key}; },
                                         [](const Transfer& op) {
                                           return std::vector<Key>{op.from, op.to};
                                         },
                                         [](const PutMany& op) {
                                           std::vector<Key> out;
                                           for (const auto& write : op.writes) out.push_back(write.first);
                                           return out;
                                         },
                                     },
                                     input);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::optional<std::int64_t> balance_of(const MaybeValue& value) {
  if (!value) return 0;
  std::int64_t balance = 0;
  const char* end = value->data() + value->size();
  const auto [ptr, error] = std::from_chars(value->data(), end, balance);
  if (error != std::errc{} || ptr != end || value->empty()) return std::nullopt;
  return balance;
}

std::optional<KvModel::State> KvModel::step(const State& state, const Input& input, const Output& output) const {
  return std::visit(StepVisitor{state, output}, input);
}

std::uint64_t KvModel::hash(const State& state) const {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& [key, value] : state) {
    h = (h ^ std::hash<std::string>{}(key)) * 0x100000001b3ULL;
    h = (h ^ std::hash<std::string>{}(value)) * 0x100000001b3ULL;
  }
  return h;
}

bool KvModel::read_only(const Input& input, const Output& output) const {
  if (std::holds_alternative<Get>(input)) return true;
  if (std::holds_alternative<Cas>(input)) return output.status == Status::kMismatch;
  if (std::holds_alternative<Transfer>(input)) return output.status == Status::kInsufficient;
  return false;
}

std::string KvModel::describe(const Input& input, const Output& output) const {
  const std::string call = std::visit(
      Overloaded{
          [](const Get& op) { return fmt::format("get({})", op.key); },
          [](const Put& op) { return fmt::format("put({}, {})", op.key, quoted(op.value)); },
          [](const Cas& op) { return fmt::format("cas({}, {} -> {})", op.key, quoted(op.expected), quoted(op.value)); },
          [](const Transfer& op) { return fmt::format("transfer({} -> {}, {})", op.from, op.to, op.amount); },
          [](const PutMany& op) {
            std::string writes;
            for (const auto& [key, value] : op.writes)
              writes += (writes.empty() ? "" : ", ") + key + "=" + quoted(value);
            return "put_many(" + writes + ")";
          },
      },
      input);
  return call + " -> " + output_text(input, output);
}

std::string KvModel::describe(const State& state) const {
  std::string out;
  for (const auto& [key, value] : state) out += (out.empty() ? "" : ", ") + key + "=" + quoted(value);
  return state.empty() ? "{} (every key absent)" : "{" + out + "} (other keys absent)";
}

std::vector<HistoryPart> KvModel::partition(std::span<const KvOperation> history) const {
  const Observations observations(history);
  std::map<Key, std::size_t> index;  // ordered, so that labels and parts come out the same every run
  Components components;
  std::vector<std::optional<std::size_t>> first_key(history.size());  // a key of each operation that counts
  for (std::size_t i = 0; i < history.size(); ++i) {
    const KvOperation& op = history[i];
    if (!op.answered() && (std::holds_alternative<Get>(op.input) || observations.unseen_blind_write(op.input))) {
      continue;
    }
    for (const Key& key : keys_of(op.input)) {
      const auto [it, fresh] = index.try_emplace(key, 0);
      if (fresh) it->second = components.add();
      if (first_key[i])
        components.join(*first_key[i], it->second);
      else
        first_key[i] = it->second;
    }
  }
  // Parts in the order of their first operation; each part's keys in key order.
  std::map<std::size_t, std::size_t> part_of_root;
  std::vector<HistoryPart> parts;
  for (std::size_t i = 0; i < history.size(); ++i) {
    if (!first_key[i]) continue;
    const auto [it, fresh] = part_of_root.try_emplace(components.root(*first_key[i]), parts.size());
    if (fresh) parts.emplace_back();
    parts[it->second].operations.push_back(i);
  }
  std::vector<std::vector<const Key*>> keys(parts.size());
  for (const auto& [key, id] : index) keys[part_of_root.at(components.root(id))].push_back(&key);
  for (std::size_t p = 0; p < parts.size(); ++p) parts[p].label = part_label(keys[p]);
  return parts;
}

}  // namespace eyrie::check::kv
