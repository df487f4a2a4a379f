// StreamMerger (Algorithm 4 of Bezerra's thesis, with `<=` and the ensemble tie-break): one
// test per rule, then random property tests against a deliberately naive reference, and a
// restart test (a state snapshot and a resumed merger give the uninterrupted output).

#include "multicast/stream_merger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

#include "runtime/rng.hpp"

namespace eyrie::multicast {
namespace {

using ::testing::Test;

WallTime at(std::int64_t ns) { return WallTime(Duration(ns)); }

MulticastMessage message(std::uint64_t seq, std::int64_t ts_ns) {
  return MulticastMessage{.id = MessageId{NodeId{70000}, seq},
                          .destinations = {GroupId{1}},
                          .timestamp = at(ts_ns),
                          .payload = Payload::copy_of(std::to_string(seq))};
}

Batch batch(std::initializer_list<std::pair<std::uint64_t, std::int64_t>> messages) {
  Batch b;
  for (auto [seq, ts] : messages) b.messages.push_back(message(seq, ts));
  return b;
}

Batch null_batch(std::int64_t ts_ns) { return Batch{.messages = {}, .null_timestamp = at(ts_ns)}; }

constexpr EnsembleId kA{1};
constexpr EnsembleId kB{2};

StreamMerger merger_of(std::vector<EnsembleId> ensembles, std::size_t cap = 1 << 16) {
  return StreamMerger(ensembles, StreamMerger::Options{.queued_entries_max_per_ensemble = cap});
}

// (seq, final ns, ensemble) of everything the merger hands out now.
using Out = std::tuple<std::uint64_t, std::int64_t, std::uint32_t>;
std::vector<Out> drain_all(StreamMerger& m) {
  std::vector<MergedMessage> merged;
  m.drain(merged, 1 << 20);
  m.check_invariants();
  std::vector<Out> out;
  for (const MergedMessage& x : merged) out.emplace_back(x.message.id.seq, to_ns(x.final_timestamp), x.ensemble.value);
  return out;
}

// --- one test per rule ---

TEST(StreamMerger, push_keepsSenderTimestampAboveTheLastFinal) {
  StreamMerger m = merger_of({kA});
  m.push(kA, Instance{0}, batch({{1, 100}, {2, 200}}));
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{1, 100, 1}, {2, 200, 1}}));
}

TEST(StreamMerger, push_adjustsAnEqualTimestampToLastPlusOneNanosecond) {
  StreamMerger m = merger_of({kA});
  m.push(kA, Instance{0}, batch({{1, 100}, {2, 100}}));
  m.push(kA, Instance{1}, batch({{3, 100}}));
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{1, 100, 1}, {2, 101, 1}, {3, 102, 1}}));
}

TEST(StreamMerger, push_adjustsAnEarlierTimestampToLastPlusOneNanosecond) {
  StreamMerger m = merger_of({kA});
  m.push(kA, Instance{0}, batch({{1, 500}, {2, 30}}));
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{1, 500, 1}, {2, 501, 1}}));
}

TEST(StreamMerger, nullBatch_advancesTheLastTimestampAndDeliversNothing) {
  StreamMerger m = merger_of({kA});
  m.push(kA, Instance{0}, null_batch(1000));
  m.push(kA, Instance{1}, batch({{1, 900}}));  // behind the null: adjusted past it
  m.push(kA, Instance{2}, null_batch(5));      // a null behind the last final is adjusted too
  m.push(kA, Instance{3}, batch({{2, 1002}}));
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{1, 1001, 1}, {2, 1003, 1}}));
  EXPECT_EQ(m.state().streams.front().last_final_timestamp, at(1003));
}

TEST(StreamMerger, pop_waitsUntilEverySubscribedEnsembleHasSomethingQueued) {
  StreamMerger m = merger_of({kA, kB});
  m.push(kA, Instance{0}, batch({{1, 100}}));
  EXPECT_TRUE(drain_all(m).empty());  // B might still decide something earlier
  m.push(kB, Instance{0}, batch({{2, 50}}));
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{2, 50, 2}}));  // now A's head waits for B again
  m.push(kB, Instance{1}, batch({{3, 300}}));
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{1, 100, 1}}));
  EXPECT_EQ(m.queued(kB), 1u);
}

TEST(StreamMerger, pop_countsAQueuedNullAsSomething) {
  StreamMerger m = merger_of({kA, kB});
  m.push(kA, Instance{0}, batch({{1, 100}}));
  m.push(kB, Instance{0}, null_batch(150));
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{1, 100, 1}}));
  EXPECT_EQ(m.queued(kB), 1u);  // the null stays until it is the smallest head
  m.push(kA, Instance{1}, batch({{2, 200}}));
  EXPECT_TRUE(drain_all(m).empty());  // the null left; B is empty again
  EXPECT_EQ(m.queued(kB), 0u);
  EXPECT_EQ(m.queued(kA), 1u);
}

TEST(StreamMerger, pop_breaksEqualFinalTimestampsByEnsembleId) {
  StreamMerger m = merger_of({kB, kA});  // subscription order does not matter
  m.push(kB, Instance{0}, batch({{1, 100}, {3, 300}}));
  m.push(kA, Instance{0}, batch({{2, 100}, {4, 300}}));
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{2, 100, 1}, {1, 100, 2}, {4, 300, 1}}));
}

TEST(StreamMerger, pop_ordersByFinalTimestampNotSenderTimestamp) {
  StreamMerger m = merger_of({kA, kB});
  m.push(kA, Instance{0}, batch({{1, 100}, {2, 10}}));  // 2's final timestamp becomes 101
  m.push(kB, Instance{0}, batch({{3, 50}, {4, 1000}}));
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{3, 50, 2}, {1, 100, 1}, {2, 101, 1}}));
}

TEST(StreamMerger, canPush_refusesPastTheBoundButAnEmptyQueueTakesAnyBatch) {
  StreamMerger m = merger_of({kA, kB}, 2);
  EXPECT_TRUE(m.can_push(kA, batch({{1, 1}, {2, 2}, {3, 3}})));  // larger than the bound, but A is empty
  m.push(kA, Instance{0}, batch({{1, 1}, {2, 2}, {3, 3}}));
  EXPECT_FALSE(m.can_push(kA, null_batch(9)));
  EXPECT_TRUE(m.can_push(kB, batch({{4, 4}})));
  m.push(kB, Instance{0}, batch({{4, 4}}));
  EXPECT_EQ(drain_all(m).size(), 3u);  // 1, 2, 3; B's message waits for A
  EXPECT_TRUE(m.can_push(kA, null_batch(9)));
}

TEST(StreamMerger, state_midBatchResumeSkipsWhatWasPopped) {
  StreamMerger m = merger_of({kA, kB});
  m.push(kA, Instance{0}, batch({{1, 100}, {2, 200}, {3, 300}}));
  m.push(kB, Instance{0}, batch({{4, 250}}));
  std::vector<MergedMessage> first_two;
  EXPECT_EQ(m.drain(first_two, 2), 2u);  // 1 and 2; a checkpoint is taken here
  const MergeState s = m.state();
  EXPECT_EQ(s.streams[0], (MergeStreamState{kA, Instance{0}, 2, at(200)}));
  EXPECT_EQ(s.streams[1], (MergeStreamState{kB, Instance{0}, 0, WallTime{}}));
  StreamMerger resumed(s, {});
  resumed.push(kA, Instance{0}, batch({{1, 100}, {2, 200}, {3, 300}}));
  resumed.push(kB, Instance{0}, batch({{4, 250}}));
  resumed.push(kB, Instance{1}, null_batch(400));
  EXPECT_EQ(drain_all(resumed), (std::vector<Out>{{4, 250, 2}, {3, 300, 1}}));
}

#if defined(EYRIE_ASSERTS_ENABLED)  // the preconditions below are EYRIE_ASSERTs
using StreamMergerDeathTest = Test;

TEST_F(StreamMergerDeathTest, push_assertsOnAGapOrARepeat) {
  EXPECT_DEATH(
      {
        StreamMerger m = merger_of({kA});
        m.push(kA, Instance{1}, batch({{1, 1}}));
      },
      "instance order");
  EXPECT_DEATH(
      {
        StreamMerger m = merger_of({kA});
        m.push(kA, Instance{0}, batch({{1, 1}}));
        m.push(kA, Instance{0}, batch({{1, 1}}));
      },
      "instance order");
}

TEST_F(StreamMergerDeathTest, push_assertsOnAnUnsubscribedEnsemble) {
  EXPECT_DEATH(
      {
        StreamMerger m = merger_of({kA});
        m.push(kB, Instance{0}, batch({{1, 1}}));
      },
      "not subscribed");
}
#endif

// --- property tests against a naive reference ---

// What each ensemble decides in one random run.
struct Workload {
  std::vector<EnsembleId> ensembles;
  std::map<EnsembleId, std::vector<Batch>> decided;
};

// Timestamps are quantized to 10ns so that equal timestamps, within and across ensembles, are
// common; each ensemble has its own clock skew, and some senders lag far behind.
std::int64_t sender_timestamp(Rng& rng, std::int64_t clock, std::int64_t skew, std::int64_t previous) {
  if (rng.chance(1, 5)) return previous;          // a duplicate of the previous timestamp
  if (rng.chance(1, 8)) return clock - 700;       // a sender with a slow clock
  return (clock + skew + rng.range(-30, 30)) / 10 * 10;
}

Workload random_workload(Rng& rng) {
  Workload w;
  const std::size_t count = static_cast<std::size_t>(rng.range(1, 4));
  while (w.ensembles.size() < count) {
    const EnsembleId e{static_cast<std::uint32_t>(rng.range(0, 9))};
    if (std::find(w.ensembles.begin(), w.ensembles.end(), e) == w.ensembles.end()) w.ensembles.push_back(e);
  }
  std::uint64_t seq = 1;
  for (const EnsembleId e : w.ensembles) {
    const std::int64_t skew = rng.range(-400, 400);
    std::int64_t clock = 1000;
    std::int64_t previous = 0;
    const std::int64_t instances = rng.range(0, 30);
    w.decided[e];  // an ensemble that decides nothing still has a (blocking) stream
    for (std::int64_t i = 0; i < instances; ++i) {
      clock += rng.range(0, 40);
      Batch b;
      if (rng.chance(1, 4)) {
        b.null_timestamp = at((clock + skew) / 10 * 10);
      } else {
        for (std::int64_t j = rng.range(1, 4); j > 0; --j) {
          previous = sender_timestamp(rng, clock, skew, previous);
          b.messages.push_back(message(seq++, previous));
        }
      }
      w.decided[e].push_back(std::move(b));
    }
  }
  return w;
}

// The reference: compute every final timestamp per ensemble as max(ts, last + 1), sort all
// entries by (final, ensemble), and keep the non-null ones up to the smallest last entry of any
// ensemble: beyond it, that ensemble could still decide something that sorts earlier.
std::vector<Out> naive_merge(const Workload& w, const std::map<EnsembleId, std::uint64_t>& pushed) {
  struct Ref {
    std::int64_t final_ns;
    std::uint32_t ensemble;
    std::uint64_t seq;  // 0 for a null
  };
  std::vector<Ref> all;
  std::pair<std::int64_t, std::uint32_t> threshold{std::numeric_limits<std::int64_t>::max(), 0};
  for (const EnsembleId e : w.ensembles) {
    std::int64_t last = 0;
    const std::uint64_t n = pushed.at(e);
    if (n == 0) return {};
    for (std::uint64_t i = 0; i < n; ++i) {
      const Batch& b = w.decided.at(e)[i];
      if (b.is_null()) {
        last = std::max(to_ns(b.null_timestamp), last + 1);
        all.push_back({last, e.value, 0});
      }
      for (const MulticastMessage& m : b.messages) {
        last = std::max(to_ns(m.timestamp), last + 1);
        all.push_back({last, e.value, m.id.seq});
      }
    }
    threshold = std::min(threshold, std::pair{last, e.value});
  }
  std::sort(all.begin(), all.end(),
            [](const Ref& a, const Ref& b) { return std::pair{a.final_ns, a.ensemble} < std::pair{b.final_ns, b.ensemble}; });
  std::vector<Out> out;
  for (const Ref& r : all) {
    if (std::pair{r.final_ns, r.ensemble} > threshold) break;
    if (r.seq != 0) out.emplace_back(r.seq, r.final_ns, r.ensemble);
  }
  return out;
}

// Pushes the workload into a merger in a random interleaving with random pops, checking after
// every step that what came out is a prefix of the reference's answer.
struct Driver {
  const Workload& w;
  StreamMerger merger;
  std::map<EnsembleId, std::uint64_t> next;  // next instance to push, per ensemble
  std::vector<Out> out;  // everything popped since instance 0, before a restart included
  // Instances pushed before a restart: what came out then was determined by them.
  std::map<EnsembleId, std::uint64_t> pushed_before;

  Driver(const Workload& workload, StreamMerger m, const Driver* restarted_from = nullptr)
      : w(workload), merger(std::move(m)) {
    for (const EnsembleId e : w.ensembles) next[e] = merger.next_push_instance(e).value;
    pushed_before = next;
    if (restarted_from) {
      out = restarted_from->out;
      pushed_before = restarted_from->next;
    }
  }

  std::map<EnsembleId, std::uint64_t> pushed() const {
    std::map<EnsembleId, std::uint64_t> p = next;
    for (auto& [e, n] : p) n = std::max(n, pushed_before.at(e));
    return p;
  }

  void pop_some(Rng& rng) {
    for (std::int64_t i = rng.range(1, 3); i > 0; --i) {
      std::optional<MergedMessage> m = merger.pop();
      if (!m) return;
      out.emplace_back(m->message.id.seq, to_ns(m->final_timestamp), m->ensemble.value);
    }
  }

  // False once nothing more can be pushed: all pushed, or every unfinished ensemble is full
  // while the merge waits for an ensemble that has decided nothing more.
  bool step(Rng& rng) {
    std::vector<EnsembleId> open;
    for (const EnsembleId e : w.ensembles) {
      if (next[e] < w.decided.at(e).size()) open.push_back(e);
    }
    if (open.empty()) return false;
    if (rng.chance(1, 3)) {
      pop_some(rng);
    } else {
      const EnsembleId first = open[rng.uniform(open.size())];
      if (!try_push(first)) {
        pop_some(rng);
        if (std::none_of(open.begin(), open.end(), [&](EnsembleId e) { return try_push(e); })) return false;
      }
    }
    merger.check_invariants();
    const std::vector<Out> expected = naive_merge(w, pushed());
    EXPECT_LE(out.size(), expected.size());
    EXPECT_TRUE(std::equal(out.begin(), out.begin() + std::min(out.size(), expected.size()), expected.begin()));
    return true;
  }

  bool try_push(EnsembleId e) {
    const Batch& b = w.decided.at(e)[next[e]];
    if (!merger.can_push(e, b)) return false;
    merger.push(e, Instance{next[e]}, b);
    ++next[e];
    return true;
  }

  void run(Rng& rng, std::size_t steps_max) {
    for (std::size_t i = 0; i < steps_max && step(rng); ++i) {
    }
  }

  void finish(Rng& rng) {
    run(rng, 100'000);
    for (const Out& o : drain_all(merger)) out.push_back(o);
  }
};

TEST(StreamMergerProperty, matchesTheNaiveMergeOverRandomInterleavings) {
  for (std::uint64_t seed = 1; seed <= 1500; ++seed) {
    Rng rng(seed);
    const Workload w = random_workload(rng);
    const std::size_t cap = rng.chance(1, 2) ? 1 << 16 : static_cast<std::size_t>(rng.range(1, 6));
    Driver d(w, merger_of(w.ensembles, cap));
    d.finish(rng);
    ASSERT_EQ(d.out, naive_merge(w, d.pushed())) << "seed " << seed;
    if (::testing::Test::HasFailure()) FAIL() << "seed " << seed;
  }
}

TEST(StreamMergerProperty, finalTimestampsStrictlyIncreasePerEnsembleAndKeysAcrossAll) {
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    Rng rng(seed);
    const Workload w = random_workload(rng);
    Driver d(w, merger_of(w.ensembles));
    d.finish(rng);
    std::map<std::uint32_t, std::int64_t> last;
    for (std::size_t i = 0; i < d.out.size(); ++i) {
      const auto [seq, final_ns, ensemble] = d.out[i];
      if (last.count(ensemble)) {
        ASSERT_LT(last[ensemble], final_ns) << "seed " << seed;
      }
      last[ensemble] = final_ns;
      if (i > 0) {
        ASSERT_LT(std::pair(std::get<1>(d.out[i - 1]), std::get<2>(d.out[i - 1])), std::pair(final_ns, ensemble))
            << "seed " << seed;
      }
    }
  }
}

TEST(StreamMergerProperty, restartFromAStateSnapshotGivesTheUninterruptedOutput) {
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    Rng rng(seed);
    const Workload w = random_workload(rng);
    Driver uninterrupted(w, merger_of(w.ensembles));
    Rng rng_copy = rng.fork();
    uninterrupted.finish(rng_copy);

    Driver before(w, merger_of(w.ensembles));
    before.run(rng, static_cast<std::size_t>(rng.range(0, 60)));
    const MergeState snapshot = before.merger.state();
    // The restarted learner fetches every decision again from the snapshot's instances on.
    Driver after(w, StreamMerger(snapshot, {}), &before);
    after.finish(rng);
    ASSERT_EQ(after.out, uninterrupted.out) << "seed " << seed;
    ASSERT_EQ(after.merger.state(), uninterrupted.merger.state()) << "seed " << seed;
  }
}

}  // namespace
}  // namespace eyrie::multicast
