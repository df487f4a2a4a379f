// StreamMerger in tagged mode ([ridge] unique_timestamps, docs/volery.md "zxid"): every final
// timestamp is the smallest value above the ensemble's last one, and at least the sender's,
// whose low 10 bits are the ensemble's tag. One test per rule, then random property tests
// against a naive reference (compute every final timestamp, sort, cut at the first stream that
// may still decide something earlier), and a restart from state().

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "multicast/stream_merger.hpp"
#include "runtime/rng.hpp"

namespace eyrie::multicast {
namespace {

using ::testing::Test;

constexpr std::int64_t kTags = StreamMerger::kTimestampTags;
constexpr EnsembleId kA{1};
constexpr EnsembleId kB{2};

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

StreamMerger::Options tagged(std::map<EnsembleId, std::uint32_t> tags, std::size_t cap = 1 << 16) {
  return StreamMerger::Options{.queued_entries_max_per_ensemble = cap, .timestamp_tags = std::move(tags)};
}

StreamMerger merger_of(std::vector<EnsembleId> ensembles, StreamMerger::Options options) {
  return StreamMerger(ensembles, std::move(options));
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

TEST(TaggedStreamMerger, push_roundsASenderTimestampUpToTheEnsemblesTag) {
  StreamMerger m = merger_of({kA}, tagged({{kA, 5}}));
  m.push(kA, Instance{0}, batch({{1, 100 * kTags + 3}, {2, 200 * kTags + 7}}));
  // 3 -> 5 in the same block of 1024; 7 is past 5, so the next block's 5.
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{1, 100 * kTags + 5, 1}, {2, 201 * kTags + 5, 1}}));
}

TEST(TaggedStreamMerger, push_keepsATimestampThatCarriesTheTagAlready) {
  StreamMerger m = merger_of({kA}, tagged({{kA, 5}}));
  m.push(kA, Instance{0}, batch({{1, 100 * kTags + 5}}));
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{1, 100 * kTags + 5, 1}}));
}

TEST(TaggedStreamMerger, push_movesAnEqualOrEarlierTimestampToTheNextTaggedValue) {
  StreamMerger m = merger_of({kA}, tagged({{kA, 5}}));
  m.push(kA, Instance{0}, batch({{1, 100 * kTags + 5}, {2, 100 * kTags + 5}, {3, 10}}));
  EXPECT_EQ(drain_all(m),
            (std::vector<Out>{{1, 100 * kTags + 5, 1}, {2, 101 * kTags + 5, 1}, {3, 102 * kTags + 5, 1}}));
}

TEST(TaggedStreamMerger, push_givesEqualTimestampsOfTwoEnsemblesDistinctFinalTimestamps) {
  StreamMerger m = merger_of({kA, kB}, tagged({{kA, 1}, {kB, 0}}));  // tags need not follow ensemble ids
  m.push(kA, Instance{0}, batch({{1, 100 * kTags}, {3, 300 * kTags}}));
  m.push(kB, Instance{0}, batch({{2, 100 * kTags}, {4, 300 * kTags}}));
  // B's tag 0 keeps its timestamps; A's move up by one: B first, where untagged A would win the tie.
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{2, 100 * kTags, 2}, {1, 100 * kTags + 1, 1}, {4, 300 * kTags, 2}}));
}

TEST(TaggedStreamMerger, nullBatch_isRoundedUpLikeAMessage) {
  StreamMerger m = merger_of({kA}, tagged({{kA, 9}}));
  m.push(kA, Instance{0}, null_batch(50 * kTags + 10));  // -> 51 * kTags + 9
  m.push(kA, Instance{1}, batch({{1, 40 * kTags}}));      // behind the null: the next tagged value
  m.push(kA, Instance{2}, null_batch(5));
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{1, 52 * kTags + 9, 1}}));
  EXPECT_EQ(m.state().streams.front().last_final_timestamp, at(53 * kTags + 9));
}

TEST(TaggedStreamMerger, emptyTagsKeepTheUntaggedRule) {
  StreamMerger m = merger_of({kA, kB}, StreamMerger::Options{});
  m.push(kA, Instance{0}, batch({{1, 100}, {2, 100}}));
  m.push(kB, Instance{0}, batch({{3, 100}}));
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{1, 100, 1}, {3, 100, 2}}));
}

TEST(TaggedStreamMerger, state_resumesAboveTheLastFinalWhateverItsBits) {
  // A checkpoint's last final timestamp may lack the tag (taken untagged, or the initial 0) or be
  // negative (skewed clocks): the next final timestamp is the next tagged value above it.
  const MergeState s{.streams = {MergeStreamState{.ensemble = kA, .next_instance = Instance{4},
                                                  .popped_in_next_instance = 0, .last_final_timestamp = at(-5)},
                                 MergeStreamState{.ensemble = kB, .next_instance = Instance{7},
                                                  .popped_in_next_instance = 0, .last_final_timestamp = at(kTags + 2)}}};
  StreamMerger m(s, tagged({{kA, 3}, {kB, 2}}));
  m.push(kA, Instance{4}, batch({{1, -100}}));
  m.push(kB, Instance{7}, batch({{2, 0}}));
  m.push(kA, Instance{5}, null_batch(10 * kTags));
  m.push(kB, Instance{8}, null_batch(10 * kTags));
  EXPECT_EQ(drain_all(m), (std::vector<Out>{{1, 3, 1}, {2, 2 * kTags + 2, 2}}));
}

#if defined(EYRIE_ASSERTS_ENABLED)  // the preconditions below are EYRIE_ASSERTs
using TaggedStreamMergerDeathTest = Test;

TEST_F(TaggedStreamMergerDeathTest, constructor_assertsOnMissingRepeatedOrTooLargeTags) {
  EXPECT_DEATH(merger_of({kA, kB}, tagged({{kA, 0}})), "a tag for every subscribed ensemble");
  EXPECT_DEATH(merger_of({kA, kB}, tagged({{kA, 4}, {kB, 4}})), "distinct");
  EXPECT_DEATH(merger_of({kA}, tagged({{kA, StreamMerger::kTimestampTags}})), "below kTimestampTags");
}

TEST_F(TaggedStreamMergerDeathTest, push_assertsWhenNoTaggedValueIsLeft) {
  EXPECT_DEATH(
      {
        // The next value with tag 0 above max - 5 lies beyond the int64 nanoseconds.
        StreamMerger m = merger_of({kA}, tagged({{kA, 0}}));
        m.push(kA, Instance{0}, batch({{1, std::numeric_limits<std::int64_t>::max() - 5}}));
      },
      "exhausted");
}
#endif

// --- property tests against a naive reference ---

struct Workload {
  std::vector<EnsembleId> ensembles;
  std::map<EnsembleId, std::uint32_t> tags;
  std::map<EnsembleId, std::vector<Batch>> decided;
};

// Timestamps are quantized to 512ns and drawn close together, so that equal timestamps (within
// and across ensembles) and timestamps whose rounding lands in the next block are common.
Workload random_workload(Rng& rng) {
  Workload w;
  const auto count = static_cast<std::size_t>(rng.range(1, 5));
  std::set<std::uint32_t> used;
  while (w.ensembles.size() < count) {
    const EnsembleId e{static_cast<std::uint32_t>(rng.range(0, 9))};
    if (w.tags.count(e)) continue;
    std::uint32_t tag = 0;
    do {
      tag = static_cast<std::uint32_t>(rng.uniform(StreamMerger::kTimestampTags));
    } while (!used.insert(tag).second);
    w.ensembles.push_back(e);
    w.tags[e] = tag;
  }
  std::uint64_t seq = 1;
  for (const EnsembleId e : w.ensembles) {
    std::int64_t clock = 1'000'000 + rng.range(-4096, 4096);
    const std::int64_t instances = rng.range(0, 25);
    w.decided[e];  // an ensemble that decides nothing still has a (blocking) stream
    for (std::int64_t i = 0; i < instances; ++i) {
      clock += rng.range(0, 3000);
      Batch b;
      if (rng.chance(1, 4)) {
        b.null_timestamp = at(clock / 512 * 512);
      } else {
        for (std::int64_t j = rng.range(1, 4); j > 0; --j) {
          const std::int64_t ts = rng.chance(1, 6) ? clock - 5000 : clock + rng.range(-600, 600);
          b.messages.push_back(message(seq++, ts / 512 * 512));
        }
      }
      w.decided[e].push_back(std::move(b));
    }
  }
  return w;
}

// The smallest value > last and >= ts with the tag in its low bits, by counting up.
std::int64_t naive_final(std::int64_t ts, std::int64_t last, std::uint32_t tag) {
  std::int64_t v = std::max(ts, last + 1);
  while ((v & (kTags - 1)) != static_cast<std::int64_t>(tag)) ++v;
  return v;
}

// Everything of the first `pushed` instances of each ensemble with its final timestamp, sorted,
// up to the smallest last entry of any ensemble (beyond it, that ensemble may decide earlier).
std::vector<Out> naive_merge(const Workload& w, const std::map<EnsembleId, std::uint64_t>& pushed) {
  std::vector<std::tuple<std::int64_t, std::uint32_t, std::uint64_t>> all;  // (final, ensemble, seq or 0)
  std::int64_t threshold = std::numeric_limits<std::int64_t>::max();
  for (const EnsembleId e : w.ensembles) {
    std::int64_t last = 0;
    if (pushed.at(e) == 0) return {};
    for (std::uint64_t i = 0; i < pushed.at(e); ++i) {
      const Batch& b = w.decided.at(e)[i];
      if (b.is_null()) {
        last = naive_final(to_ns(b.null_timestamp), last, w.tags.at(e));
        all.emplace_back(last, e.value, 0);
      }
      for (const MulticastMessage& m : b.messages) {
        last = naive_final(to_ns(m.timestamp), last, w.tags.at(e));
        all.emplace_back(last, e.value, m.id.seq);
      }
    }
    threshold = std::min(threshold, last);
  }
  std::sort(all.begin(), all.end());
  std::vector<Out> out;
  for (const auto& [final_ns, ensemble, seq] : all) {
    if (final_ns > threshold) break;
    if (seq != 0) out.emplace_back(seq, final_ns, ensemble);
  }
  return out;
}

// Pushes a workload in a random interleaving with random pops; restartable from state().
struct Driver {
  const Workload& w;
  StreamMerger merger;
  std::map<EnsembleId, std::uint64_t> next;
  std::vector<Out> out;

  Driver(const Workload& workload, StreamMerger m) : w(workload), merger(std::move(m)) {
    for (const EnsembleId e : w.ensembles) next[e] = merger.next_push_instance(e).value;
  }

  // False once nothing more can be pushed.
  bool step(Rng& rng) {
    std::vector<EnsembleId> open;
    for (const EnsembleId e : w.ensembles) {
      if (next[e] < w.decided.at(e).size() && merger.can_push(e, w.decided.at(e)[next[e]])) open.push_back(e);
    }
    if (rng.chance(1, 3) || open.empty()) {
      const std::size_t before = out.size();
      for (std::int64_t i = rng.range(1, 3); i > 0; --i) {
        std::optional<MergedMessage> m = merger.pop();
        if (!m) break;
        out.emplace_back(m->message.id.seq, to_ns(m->final_timestamp), m->ensemble.value);
      }
      merger.check_invariants();
      return !open.empty() || out.size() != before;
    }
    const EnsembleId e = open[rng.uniform(open.size())];
    merger.push(e, Instance{next[e]}, w.decided.at(e)[next[e]]);
    ++next[e];
    merger.check_invariants();
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

TEST(TaggedStreamMergerProperty, matchesTheNaiveMergeWithUniqueTaggedStrictlyIncreasingTimestamps) {
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    Rng rng(seed);
    const Workload w = random_workload(rng);
    const std::size_t cap = rng.chance(1, 2) ? 1 << 16 : static_cast<std::size_t>(rng.range(1, 6));
    Driver d(w, StreamMerger(w.ensembles, tagged(w.tags, cap)));
    d.finish(rng);
    ASSERT_EQ(d.out, naive_merge(w, d.next)) << "seed " << seed;
    std::map<std::uint32_t, std::int64_t> last;
    std::set<std::int64_t> finals;
    for (const auto& [seq, final_ns, ensemble] : d.out) {
      ASSERT_EQ(final_ns & (kTags - 1), w.tags.at(EnsembleId{ensemble})) << "seed " << seed;
      ASSERT_TRUE(finals.insert(final_ns).second) << "seed " << seed << ": final timestamp " << final_ns << " twice";
      if (last.count(ensemble)) {
        ASSERT_LT(last[ensemble], final_ns) << "seed " << seed;
      }
      last[ensemble] = final_ns;
    }
    // Across ensembles as well, the merged order is by final timestamp alone now.
    ASSERT_TRUE(std::is_sorted(d.out.begin(), d.out.end(),
                               [](const Out& a, const Out& b) { return std::get<1>(a) < std::get<1>(b); }))
        << "seed " << seed;
  }
}

TEST(TaggedStreamMergerProperty, restartFromAStateSnapshotGivesTheUninterruptedOutput) {
  for (std::uint64_t seed = 1; seed <= 500; ++seed) {
    Rng rng(seed);
    const Workload w = random_workload(rng);
    Driver uninterrupted(w, StreamMerger(w.ensembles, tagged(w.tags)));
    Rng rng_copy = rng.fork();
    uninterrupted.finish(rng_copy);

    Driver before(w, StreamMerger(w.ensembles, tagged(w.tags)));
    before.run(rng, static_cast<std::size_t>(rng.range(0, 60)));
    // The restarted learner pushes every decision again from the snapshot's instances on.
    Driver after(w, StreamMerger(before.merger.state(), tagged(w.tags)));
    after.out = before.out;
    after.finish(rng);
    ASSERT_EQ(after.out, uninterrupted.out) << "seed " << seed;
    ASSERT_EQ(after.merger.state(), uninterrupted.merger.state()) << "seed " << seed;
  }
}

}  // namespace
}  // namespace eyrie::multicast
