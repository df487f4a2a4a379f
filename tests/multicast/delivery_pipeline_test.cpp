// DeliveryPipeline checkpoints: a pipeline checkpointed at any point, destroyed, rebuilt from the
// checkpoint's bytes and fed again from the checkpoint's next instances delivers exactly what
// one pipeline fed straight through delivers (same messages, positions, final timestamps). First
// one rule per test, then that property over random decided streams with duplicates, messages
// for other groups, nulls, mid-batch checkpoints, back-pressure and filter eviction.

#include "multicast/delivery_pipeline.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/rng.hpp"

namespace eyrie::multicast {
namespace {

constexpr EnsembleId kOwn{1};        // group 1's ensemble
constexpr EnsembleId kShared{100};   // multi-group messages
constexpr GroupId kGroup{1};         // the learner's group, among groups 1..3
const std::vector<EnsembleId> kLearned{kOwn, kShared};

MulticastMessage message(std::uint64_t sender, std::uint64_t seq, std::int64_t ts_ns, std::vector<GroupId> to,
                         std::uint64_t acked_below = 0) {
  return MulticastMessage{.id = MessageId{NodeId{sender}, seq},
                          .destinations = std::move(to),
                          .timestamp = WallTime(Duration(ts_ns)),
                          .payload = Payload::copy_of(std::to_string(sender) + "/" + std::to_string(seq)),
                          .sender_acked_below = acked_below};
}

Batch batch(std::vector<MulticastMessage> messages) { return Batch{.messages = std::move(messages)}; }
Batch null_at(std::int64_t ts_ns) { return Batch{.messages = {}, .null_timestamp = WallTime(Duration(ts_ns))}; }

// What the tests compare of a delivery.
struct Delivered {
  MessageId id;
  WallTime final_timestamp{};
  EnsembleId ensemble;
  Instance instance;
  std::uint64_t position = 0;
  friend bool operator==(const Delivered&, const Delivered&) = default;
};

std::string describe(const Delivered& d) {
  return to_string(d.id) + " at " + std::to_string(d.position) + " (ensemble " + std::to_string(d.ensemble.value) +
         ", instance " + std::to_string(d.instance.value) + ", final " + std::to_string(to_ns(d.final_timestamp)) + ")";
}

// One pipeline of a learner in group 1, with what it delivered and which learners it paused.
struct Learner {
  explicit Learner(DeliveryPipeline::Options options = {})
      : pipeline({kGroup}, kLearned, options, metrics,
                 [this](const Delivery& d) {
                   delivered.push_back(Delivered{d.id, d.final_timestamp, d.ensemble, d.instance, d.position});
                   if (on_delivery) on_delivery(d);
                 },
                 [this](EnsembleId e, bool p) { paused[e] = p; }) {}

  void feed(EnsembleId e, Instance i, const Batch& b) {
    pipeline.decided(e, i, b);
    pipeline.check_invariants();
  }
  std::uint64_t counter(std::string_view name) { return metrics.counter(name).value(); }

  Metrics metrics;
  std::vector<Delivered> delivered;
  std::map<EnsembleId, bool> paused;
  std::function<void(const Delivery&)> on_delivery;
  DeliveryPipeline pipeline;
};

// A checkpoint through its bytes, as an upper layer keeps it.
LearnerCheckpoint through_bytes(const LearnerCheckpoint& c) {
  std::string error;
  std::optional<LearnerCheckpoint> decoded = decode_checkpoint(encode_checkpoint(c), &error);
  EXPECT_TRUE(decoded.has_value()) << error;
  return decoded.value_or(LearnerCheckpoint{});
}

// --- one rule per test ---

TEST(DeliveryPipeline, checkpoint_ofAFreshPipelineStartsEveryStreamAtInstanceZero) {
  Learner l;
  const LearnerCheckpoint c = l.pipeline.checkpoint();
  EXPECT_EQ(c.position, 0u);
  ASSERT_EQ(c.merge.streams.size(), 2u);
  EXPECT_EQ(c.merge.streams[0], MergeStreamState{.ensemble = kOwn});
  EXPECT_EQ(c.merge.streams[1], MergeStreamState{.ensemble = kShared});
  EXPECT_EQ(c.filters, std::vector<DuplicateFilter::State>(2));
}

TEST(DeliveryPipeline, checkpoint_inTheDeliverCallbackCoversThatDeliveryAndResumesMidBatch) {
  const Batch own = batch({message(7, 1, 10, {kGroup}), message(7, 2, 20, {kGroup}), message(7, 3, 30, {kGroup})});
  Learner before;
  std::optional<LearnerCheckpoint> taken;
  before.on_delivery = [&](const Delivery& d) {
    if (d.position == 1) taken = before.pipeline.checkpoint();
  };
  before.feed(kShared, Instance{0}, null_at(1000));
  before.feed(kOwn, Instance{0}, own);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->position, 1u);
  // Instance 0 of the own ensemble left the merger in part: one message.
  EXPECT_EQ(taken->merge.streams[0].next_instance, Instance{0});
  EXPECT_EQ(taken->merge.streams[0].popped_in_next_instance, 1u);
  EXPECT_EQ(taken->merge.streams[0].last_final_timestamp, WallTime(Duration(10)));
  // The shared null is still queued (it sorts after the own messages): not part of the checkpoint.
  EXPECT_EQ(taken->merge.streams[1].next_instance, Instance{0});

  Learner after;
  after.pipeline.resume_from(through_bytes(*taken));
  after.feed(kOwn, Instance{0}, own);
  after.feed(kShared, Instance{0}, null_at(1000));
  ASSERT_EQ(after.delivered.size(), 2u);
  EXPECT_EQ(after.delivered[0], before.delivered[1]);
  EXPECT_EQ(after.delivered[1], before.delivered[2]);
  EXPECT_EQ(after.pipeline.delivered(), 3u);
}

TEST(DeliveryPipeline, resume_keepsDroppingDuplicatesWhoseOriginalCameBeforeTheCheckpoint) {
  // m1 is decided in instance 0 and, retransmitted, again in instance 1 (a coordinator took over).
  const MulticastMessage m1 = message(7, 1, 10, {kGroup});
  const Batch first = batch({m1});
  const Batch second = batch({m1, message(7, 2, 20, {kGroup}, 1)});
  Learner before;
  before.feed(kShared, Instance{0}, null_at(1000));
  before.feed(kOwn, Instance{0}, first);
  const LearnerCheckpoint c = through_bytes(before.pipeline.checkpoint());
  ASSERT_EQ(c.position, 1u);

  Learner after;
  after.pipeline.resume_from(c);
  after.feed(kOwn, Instance{1}, second);
  after.feed(kShared, Instance{0}, null_at(1000));
  ASSERT_EQ(after.delivered.size(), 1u);
  EXPECT_EQ(after.delivered[0].id, (MessageId{NodeId{7}, 2}));
  EXPECT_EQ(after.delivered[0].position, 2u);
  EXPECT_EQ(after.counter("ridge.learner.duplicates_dropped"), 1u);

  // Without the filter state the retransmission would be delivered a second time.
  LearnerCheckpoint forgetful = c;
  for (DuplicateFilter::State& f : forgetful.filters) f = DuplicateFilter::State{};
  Learner wrong;
  wrong.pipeline.resume_from(forgetful);
  wrong.feed(kOwn, Instance{1}, second);
  wrong.feed(kShared, Instance{0}, null_at(1000));
  ASSERT_EQ(wrong.delivered.size(), 2u);
  EXPECT_EQ(wrong.delivered[0].id, m1.id);
}

TEST(DeliveryPipeline, checkpoint_betweenDeliveriesCountsMergedMessagesForOtherGroups) {
  Learner before;
  before.feed(kOwn, Instance{0}, null_at(1000));
  before.feed(kShared, Instance{0}, batch({message(8, 1, 10, {GroupId{2}, GroupId{3}})}));
  EXPECT_EQ(before.delivered.size(), 0u);
  EXPECT_EQ(before.counter("ridge.learner.not_addressed"), 1u);
  const LearnerCheckpoint c = before.pipeline.checkpoint();
  EXPECT_EQ(c.position, 0u);
  EXPECT_EQ(c.merge.streams[1].next_instance, Instance{1});  // the shared instance 0 left the merger
  EXPECT_EQ(c.filters[1].admissions, 1u);                    // and its filter judged the message
}

TEST(DeliveryPipeline, canResume_rejectsOtherEnsemblesAndFiltersBeyondTheLimits) {
  Learner l;
  const LearnerCheckpoint c = l.pipeline.checkpoint();
  std::string error;
  EXPECT_TRUE(DeliveryPipeline::can_resume(c, kLearned, {}, &error)) << error;
  const std::vector<EnsembleId> other{kOwn, EnsembleId{2}};
  EXPECT_FALSE(DeliveryPipeline::can_resume(c, other, {}, &error));
  EXPECT_NE(error.find("other ensembles"), std::string::npos) << error;

  LearnerCheckpoint big = c;
  big.filters[0].admissions = 2;
  big.filters[0].senders = {{NodeId{1}, {}, {}, 1}, {NodeId{2}, {}, {}, 2}};
  DeliveryPipeline::Options small;
  small.filter.senders_max = 1;
  EXPECT_FALSE(DeliveryPipeline::can_resume(big, kLearned, small, &error));
  EXPECT_NE(error.find("2 senders, at most 1"), std::string::npos) << error;
}

TEST(DeliveryPipeline, resume_fromACheckpointOfAnotherLogStopsDeliveryWithAnError) {
  LearnerCheckpoint c = Learner().pipeline.checkpoint();
  c.merge.streams[0].popped_in_next_instance = 2;  // but instance 0 holds a single message
  Learner l;
  l.pipeline.resume_from(c);
  l.feed(kOwn, Instance{0}, batch({message(7, 1, 10, {kGroup})}));
  l.feed(kOwn, Instance{1}, batch({message(7, 2, 20, {kGroup})}));
  l.feed(kShared, Instance{0}, null_at(1000));
  EXPECT_TRUE(l.delivered.empty());
  EXPECT_EQ(l.counter("ridge.learner.checkpoint_mismatches"), 1u);
}

// --- the property over random streams ---

// Decided streams of the two ensembles a learner of group 1 (of groups 1..3) learns: batches of
// new messages from four senders sharing one seq space, retransmissions decided again in the
// same ensemble, multi-group messages that include group 1 or not, and nulls. Each stream ends
// with a null far in the future, so that the merge releases every message.
std::map<EnsembleId, std::vector<Batch>> random_streams(Rng& rng) {
  std::map<EnsembleId, std::vector<Batch>> streams;
  std::map<std::uint64_t, std::uint64_t> next_seq;
  std::map<EnsembleId, std::vector<MulticastMessage>> decided;
  std::int64_t now_ns = 0;
  const auto steps = rng.range(20, 160);
  for (std::int64_t step = 0; step < steps; ++step) {
    now_ns += rng.range(1, 400);
    const EnsembleId e = rng.chance(1, 2) ? kOwn : kShared;
    if (rng.chance(1, 5)) {
      streams[e].push_back(null_at(now_ns));
      continue;
    }
    Batch b;
    const auto size = rng.range(1, 4);
    for (std::int64_t i = 0; i < size; ++i) {
      if (!decided[e].empty() && rng.chance(1, 6)) {
        b.messages.push_back(decided[e][rng.uniform(decided[e].size())]);  // a retransmission
        continue;
      }
      const auto sender = static_cast<std::uint64_t>(rng.range(1, 4));
      const std::uint64_t seq = ++next_seq[sender];
      // Every earlier seq of this sender is decided already; acknowledge a random part of them.
      const std::uint64_t acked = 1 + rng.uniform(seq);
      std::vector<GroupId> to{kGroup};
      if (e == kShared) {
        static const std::vector<std::vector<GroupId>> kMulti{
            {GroupId{1}, GroupId{2}}, {GroupId{1}, GroupId{3}}, {GroupId{2}, GroupId{3}}, {GroupId{1}, GroupId{2}, GroupId{3}}};
        to = kMulti[rng.uniform(kMulti.size())];
      }
      b.messages.push_back(message(sender, seq, now_ns + rng.range(-300, 300), to, acked));
    }
    for (const MulticastMessage& m : b.messages) decided[e].push_back(m);
    streams[e].push_back(std::move(b));
  }
  for (EnsembleId e : kLearned) streams[e].push_back(null_at(now_ns + 1'000'000));
  return streams;
}

// Feeds the streams from `next` on, one batch at a time, to a random ensemble that is not paused.
struct Feeder {
  const std::map<EnsembleId, std::vector<Batch>>& streams;
  std::map<EnsembleId, Instance> next;

  bool step(Rng& rng, Learner& l) {
    std::vector<EnsembleId> ready;
    for (EnsembleId e : kLearned) {
      if (next[e].value < streams.at(e).size() && !l.paused[e]) ready.push_back(e);
    }
    if (ready.empty()) return false;
    const EnsembleId e = ready[rng.uniform(ready.size())];
    l.feed(e, next[e], streams.at(e)[next[e].value]);
    next[e] = next[e].next();
    return true;
  }
};

DeliveryPipeline::Options random_options(Rng& rng) {
  DeliveryPipeline::Options o;
  if (rng.chance(1, 2)) {  // back-pressure: small queues, held batches, paused learners
    o.hold_batches_max = static_cast<std::size_t>(rng.range(2, 6));
    o.merger.queued_entries_max_per_ensemble = static_cast<std::size_t>(rng.range(1, 6));
  }
  if (rng.chance(1, 2)) {  // filter eviction: forgotten senders and seqs, the same at every learner
    o.filter = DuplicateFilter::Limits{.senders_max = 2, .seqs_per_sender_max = 3};
  }
  return o;
}

TEST(DeliveryPipelineProperty, checkpointAnywhereResumeFromItsBytesDeliversTheUninterruptedSequence) {
  std::uint64_t resumes = 0, mid_batch = 0, between_deliveries = 0, duplicates_after_resume = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    Rng rng(seed);
    const auto streams = random_streams(rng);
    const DeliveryPipeline::Options options = random_options(rng);

    Learner reference(options);
    Feeder straight{streams, {}};
    while (straight.step(rng, reference)) {
    }
    const std::vector<Delivered>& expected = reference.delivered;
    ASSERT_FALSE(expected.empty()) << "seed " << seed;

    // Lives of one learner: each runs until it has taken a checkpoint, which the next resumes
    // from. In half of the lives the checkpoint is taken inside the deliver callback right after
    // the next delivery (so over a run, after every position), else after a random number of
    // decided batches, between deliveries.
    std::optional<LearnerCheckpoint> checkpoint;
    bool finished = false;
    for (int life = 0; life < 10'000 && !finished; ++life) {
      Learner l(options);
      Feeder feeder{streams, {}};
      std::uint64_t next_position = 1;
      if (checkpoint) {
        l.pipeline.resume_from(through_bytes(*checkpoint));
        for (const MergeStreamState& s : checkpoint->merge.streams) feeder.next[s.ensemble] = s.next_instance;
        next_position = checkpoint->position + 1;
        ++resumes;
      }
      const bool in_callback = rng.chance(1, 2);
      const auto batches_before_checkpoint = rng.range(1, 6);
      std::optional<LearnerCheckpoint> taken;
      l.on_delivery = [&](const Delivery& d) {
        ASSERT_EQ(d.position, next_position) << "seed " << seed << " life " << life;
        ASSERT_LE(d.position, expected.size()) << "seed " << seed << " life " << life;
        const Delivered& want = expected[d.position - 1];
        ASSERT_EQ(l.delivered.back(), want) << "seed " << seed << " life " << life << ": got "
                                            << describe(l.delivered.back()) << ", want " << describe(want);
        ++next_position;
        if (in_callback && !taken) taken = l.pipeline.checkpoint();
      };
      std::int64_t fed = 0;
      while (!taken) {
        if (!feeder.step(rng, l)) {
          finished = true;
          break;
        }
        if (!in_callback && ++fed == batches_before_checkpoint) taken = l.pipeline.checkpoint();
      }
      if (::testing::Test::HasFatalFailure()) return;
      if (life > 0) duplicates_after_resume += l.counter("ridge.learner.duplicates_dropped");
      if (finished) {
        EXPECT_EQ(next_position, expected.size() + 1) << "seed " << seed << ": the last life stopped early";
        break;
      }
      if (!in_callback) ++between_deliveries;
      for (const MergeStreamState& s : taken->merge.streams) mid_batch += s.popped_in_next_instance > 0 ? 1 : 0;
      checkpoint = taken;
    }
    ASSERT_TRUE(finished) << "seed " << seed << ": no life reached the end";
  }

  // The paths the property is about were taken, so the test could have failed on them.
  EXPECT_GT(resumes, 10'000u);
  EXPECT_GT(mid_batch, 1'000u);
  EXPECT_GT(between_deliveries, 5'000u);
  EXPECT_GT(duplicates_after_resume, 1'000u);
}

}  // namespace
}  // namespace eyrie::multicast
