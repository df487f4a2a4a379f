// KvModel and the linearizability search against a naive reference: random histories made by
// running a plain sequential key-value store in a random order, with random intervals around
// each operation's point in that order, are linearizable by construction and must pass; the
// same history with one read answering a value nobody wrote must fail. Also measures the
// sizes the simulation will ask for (a 1,000-operation history, one hot key of 300).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "runtime/rng.hpp"
#include "tests/checkers/kv_model.hpp"

namespace eyrie::check::kv {
namespace {

// The reference: a sequential store written without the model, so the two can disagree.
class ReferenceStore {
 public:
  Output apply(const Input& input) {
    if (const auto* get = std::get_if<Get>(&input)) return Output::read(value(get->key));
    if (const auto* put = std::get_if<Put>(&input)) {
      data_[put->key] = put->value;
      return Output::ok();
    }
    if (const auto* cas = std::get_if<Cas>(&input)) {
      if (value(cas->key) != cas->expected) return Output::mismatch(value(cas->key));
      data_[cas->key] = cas->value;
      return Output::ok();
    }
    if (const auto* transfer = std::get_if<Transfer>(&input)) {
      const std::int64_t from = number(transfer->from);
      if (from < transfer->amount) return Output::insufficient();
      data_[transfer->from] = std::to_string(from - transfer->amount);
      data_[transfer->to] = std::to_string(number(transfer->to) + transfer->amount);
      return Output::ok();
    }
    for (const auto& [key, v] : std::get<PutMany>(input).writes) data_[key] = v;
    return Output::ok();
  }

 private:
  MaybeValue value(const Key& key) const {
    const auto it = data_.find(key);
    return it == data_.end() ? std::nullopt : MaybeValue(it->second);
  }
  std::int64_t number(const Key& key) const { return data_.contains(key) ? std::stoll(data_.at(key)) : 0; }
  std::map<Key, Value> data_;
};

struct Shape {
  std::size_t operations = 200;
  std::uint64_t keys = 8;       // k0..k<keys-1>: get, put, cas, and put_many over two of them
  std::uint64_t accounts = 0;   // a0..: get and transfer
  std::int64_t spread_ns = 40;  // an interval reaches up to this far on each side of its point
  std::uint64_t values = 4;     // distinct values written (few: more ambiguity for the search); 0: unique
  std::uint64_t put_many_in_100 = 0;
  std::uint64_t timed_out_in_100 = 5;
};

Input random_input(Rng& rng, const Shape& shape) {
  const auto key = [&] { return "k" + std::to_string(rng.uniform(shape.keys)); };
  const auto value = [&] { return std::to_string(rng.uniform(shape.values == 0 ? 1'000'000'000 : shape.values)); };
  if (shape.accounts > 0 && rng.chance(1, 3)) {
    const auto account = [&] { return "a" + std::to_string(rng.uniform(shape.accounts)); };
    if (rng.chance(1, 2)) return Get{account()};
    return Transfer{account(), account(), rng.range(1, 60)};
  }
  if (rng.chance(shape.put_many_in_100, 100)) return PutMany{{{key(), value()}, {key(), value()}}};
  switch (rng.uniform(4)) {
    case 0:
    case 1:
      return Get{key()};
    case 2:
      return Put{key(), value()};
    default:
      return Cas{key(), rng.chance(1, 4) ? MaybeValue{} : MaybeValue(value()), value()};
  }
}

// Operation i takes effect at point 100 * i; its interval is drawn around that point, so any
// operation that ends before another begins also takes effect before it: linearizable.
KvHistory linearizable_history(std::uint64_t seed, const Shape& shape) {
  Rng rng(seed);
  ReferenceStore store;
  std::vector<std::pair<Key, std::int64_t>> funds;
  for (std::uint64_t a = 0; a < shape.accounts; ++a) {
    store.apply(Put{"a" + std::to_string(a), "100"});
    funds.emplace_back("a" + std::to_string(a), 100);
  }
  KvHistory history;
  for (const auto& [account, amount] : funds) {
    history.push_back(KvOperation{.client = NodeId{70000},
                                  .invoked_ns = 0,
                                  .responded_ns = 1,
                                  .input = Put{account, std::to_string(amount)},
                                  .output = Output::ok()});
  }
  for (std::size_t i = 1; i <= shape.operations; ++i) {
    const std::int64_t point = 100 * static_cast<std::int64_t>(i);
    Input input = random_input(rng, shape);
    KvOperation op{.client = NodeId{70001 + rng.uniform(8)},
                   .invoked_ns = point - rng.range(0, shape.spread_ns),
                   .responded_ns = point + rng.range(0, shape.spread_ns),
                   .input = input,
                   .output = {}};
    if (rng.chance(shape.timed_out_in_100, 100)) {
      op.responded_ns = kNeverNs;  // no response: it took effect, or never did
      if (rng.chance(1, 2)) store.apply(input);
    } else {
      op.output = store.apply(input);
    }
    history.push_back(std::move(op));
  }
  return history;
}

// Makes one answered read return a value no operation wrote; false when there is none.
bool corrupt_one_read(KvHistory& history, Rng& rng) {
  std::vector<std::size_t> reads;
  for (std::size_t i = 0; i < history.size(); ++i) {
    if (history[i].answered() && std::holds_alternative<Get>(history[i].input)) reads.push_back(i);
  }
  if (reads.empty()) return false;
  history[reads[rng.uniform(reads.size())]].output = Output::read("never written");
  return true;
}

void expect_random_histories_pass_and_corrupted_fail(const Shape& shape, std::uint64_t seeds) {
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    KvHistory history = linearizable_history(seed, shape);
    const LinearizabilityReport report = check_linearizable(KvModel{}, history);
    ASSERT_EQ(report.verdict, Verdict::kLinearizable) << "seed " << seed << ": " << report.explanation;
    Rng rng(seed ^ 0x5eed);
    ASSERT_TRUE(corrupt_one_read(history, rng));
    const LinearizabilityReport corrupted = check_linearizable(KvModel{}, history);
    ASSERT_EQ(corrupted.verdict, Verdict::kNotLinearizable) << "seed " << seed << ": " << corrupted.explanation;
    ASSERT_EQ(corrupted.parts_not_linearizable, 1u) << "seed " << seed;
  }
}

TEST(KvLinearizabilityRandom, perKeyHistories_passAndFailOnceAReadIsCorrupted) {
  expect_random_histories_pass_and_corrupted_fail(Shape{}, 300);
}

TEST(KvLinearizabilityRandom, historiesWithTransfersAndPutMany_passAndFailOnceAReadIsCorrupted) {
  expect_random_histories_pass_and_corrupted_fail(
      Shape{.operations = 150, .keys = 6, .accounts = 3, .put_many_in_100 = 10}, 200);
}

TEST(KvLinearizabilityRandom, historiesWithUniqueValuesAndManyTimeouts_passAndFailOnceAReadIsCorrupted) {
  expect_random_histories_pass_and_corrupted_fail(Shape{.operations = 150,
                                                        .keys = 3,
                                                        .accounts = 2,
                                                        .spread_ns = 200,
                                                        .values = 0,
                                                        .put_many_in_100 = 10,
                                                        .timed_out_in_100 = 20},
                                                  200);
}

TEST(KvLinearizabilityRandom, heavilyOverlappingHistories_passAndFailOnceAReadIsCorrupted) {
  expect_random_histories_pass_and_corrupted_fail(Shape{.operations = 120, .keys = 2, .spread_ns = 300}, 100);
}

// One line of JSON per measurement: what was checked and how long it took.
LinearizabilityReport measure(const char* name, const KvHistory& history) {
  const auto start = std::chrono::steady_clock::now();
  LinearizabilityReport report = check_linearizable(KvModel{}, history);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  std::printf(
      "{\"bench\":\"%s\",\"operations\":%zu,\"parts\":%zu,\"largest_part\":%zu,\"steps\":%llu,"
      "\"verdict\":\"%s\",\"us\":%lld}\n",
      name, history.size(), report.parts, report.largest_part_operations, static_cast<unsigned long long>(report.steps),
      to_string(report.verdict), static_cast<long long>(us.count()));
  return report;
}

TEST(KvLinearizabilityRandom, thousandOperationsOverManyKeys_checkWellWithinBudget) {
  const Shape shape{.operations = 1000, .keys = 20, .accounts = 4, .spread_ns = 150, .put_many_in_100 = 2};
  KvHistory history = linearizable_history(42, shape);
  EXPECT_EQ(measure("kv_1000_ops", history).verdict, Verdict::kLinearizable);
  Rng rng(7);
  ASSERT_TRUE(corrupt_one_read(history, rng));
  EXPECT_EQ(measure("kv_1000_ops_corrupted", history).verdict, Verdict::kNotLinearizable);
}

TEST(KvLinearizabilityRandom, threeHundredOperationsOnOneKey_finishWithinTheStepBudget) {
  const Shape shape{.operations = 300, .keys = 1, .spread_ns = 400, .values = 3};
  KvHistory history = linearizable_history(9, shape);
  const LinearizabilityReport report = measure("kv_300_ops_one_key", history);
  EXPECT_EQ(report.verdict, Verdict::kLinearizable);
  EXPECT_EQ(report.parts, 1u);
  Rng rng(11);
  ASSERT_TRUE(corrupt_one_read(history, rng));
  // The corrupted history must not pass: failing is the expected answer, giving up the
  // acceptable one on a part this concurrent.
  EXPECT_NE(measure("kv_300_ops_one_key_corrupted", history).verdict, Verdict::kLinearizable);
}

}  // namespace
}  // namespace eyrie::check::kv
