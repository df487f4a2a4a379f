#include "multicast/checkpoint.hpp"

#include <limits>
#include <stdexcept>

#include "multicast/checkpoint.capnp.h"
#include "runtime/assert.hpp"
#include "runtime/capnp_codec.hpp"

namespace eyrie::multicast {

namespace {

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

void write_filter(wire::StreamCheckpoint::Builder out, const DuplicateFilter::State& filter) {
  out.setFilterAdmissions(filter.admissions);
  auto senders = out.initFilterSenders(static_cast<unsigned>(filter.senders.size()));
  for (unsigned i = 0; i < senders.size(); ++i) {
    const DuplicateFilter::SenderRecord& r = filter.senders[i];
    senders[i].setSender(r.sender.value);
    senders[i].setLastActive(r.last_active);
    senders[i].setForgottenBelowLife(r.claims.forgotten_below_life);
    auto claims = senders[i].initClaims(static_cast<unsigned>(r.claims.lives.size()));
    for (unsigned j = 0; j < claims.size(); ++j) {
      claims[j].setLife(r.claims.lives[j].first);
      claims[j].setBelow(r.claims.lives[j].second);
    }
    auto seen = senders[i].initSeen(static_cast<unsigned>(r.seen.size()));
    for (unsigned j = 0; j < seen.size(); ++j) seen.set(j, r.seen[j]);
  }
}

DuplicateFilter::State read_filter(wire::StreamCheckpoint::Reader in) {
  DuplicateFilter::State filter{.admissions = in.getFilterAdmissions(), .senders = {}};
  for (auto r : in.getFilterSenders()) {
    DuplicateFilter::SenderRecord record{.sender = NodeId{r.getSender()}, .claims = {}, .seen = {},
                                         .last_active = r.getLastActive()};
    record.claims.forgotten_below_life = r.getForgottenBelowLife();
    for (auto claim : r.getClaims()) record.claims.lives.emplace_back(claim.getLife(), claim.getBelow());
    record.seen.reserve(r.getSeen().size());
    for (const std::uint64_t seq : r.getSeen()) record.seen.push_back(seq);
    filter.senders.push_back(std::move(record));
  }
  return filter;
}

}  // namespace

bool valid(const LearnerCheckpoint& checkpoint, DuplicateFilter::Limits limits, std::string* error) {
  const auto& streams = checkpoint.merge.streams;
  if (streams.empty()) return fail(error, "checkpoint: no streams (a learner subscribes to at least one ensemble)");
  if (checkpoint.filters.size() != streams.size()) {
    return fail(error, "checkpoint: " + std::to_string(checkpoint.filters.size()) + " filters for " +
                           std::to_string(streams.size()) + " streams");
  }
  // Counters the pipeline and the merger go on incrementing from here.
  if (checkpoint.position == std::numeric_limits<std::uint64_t>::max()) return fail(error, "checkpoint: position exhausted");
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const MergeStreamState& s = streams[i];
    const std::string where = "checkpoint: ensemble " + std::to_string(s.ensemble.value);
    if (i > 0 && s.ensemble <= streams[i - 1].ensemble) return fail(error, where + " out of order or repeated");
    if (s.next_instance.value == std::numeric_limits<std::uint64_t>::max()) {
      return fail(error, where + ": instances exhausted");
    }
    if (s.last_final_timestamp == WallTime::max()) return fail(error, where + ": final timestamps exhausted");
    std::string why;
    if (!DuplicateFilter::valid(checkpoint.filters[i], limits, &why)) return fail(error, where + ": " + why);
  }
  return true;
}

Payload encode_checkpoint(const LearnerCheckpoint& checkpoint) {
  EYRIE_ASSERT(checkpoint.filters.size() == checkpoint.merge.streams.size(), "one filter per stream");
  capnp::MallocMessageBuilder builder;
  auto out = builder.initRoot<wire::LearnerCheckpoint>();
  out.setPosition(checkpoint.position);
  auto streams = out.initStreams(static_cast<unsigned>(checkpoint.merge.streams.size()));
  for (unsigned i = 0; i < streams.size(); ++i) {
    const MergeStreamState& s = checkpoint.merge.streams[i];
    streams[i].setEnsemble(s.ensemble.value);
    streams[i].setNextInstance(s.next_instance.value);
    streams[i].setPoppedInNextInstance(s.popped_in_next_instance);
    streams[i].setLastFinalTimestampNs(to_ns(s.last_final_timestamp));
    write_filter(streams[i], checkpoint.filters[i]);
  }
  return encode_capnp(builder);
}

std::optional<LearnerCheckpoint> decode_checkpoint(const Payload& bytes, std::string* error) {
  std::optional<LearnerCheckpoint> out;
  const bool ok = read_capnp<wire::LearnerCheckpoint>(bytes, [&](wire::LearnerCheckpoint::Reader in) {
    LearnerCheckpoint c{.position = in.getPosition(), .merge = {}, .filters = {}};
    for (auto s : in.getStreams()) {
      c.merge.streams.push_back(MergeStreamState{.ensemble = EnsembleId{s.getEnsemble()},
                                                 .next_instance = Instance{s.getNextInstance()},
                                                 .popped_in_next_instance = s.getPoppedInNextInstance(),
                                                 .last_final_timestamp = WallTime(Duration(s.getLastFinalTimestampNs()))});
      c.filters.push_back(read_filter(s));
    }
    std::string why;
    const DuplicateFilter::Limits unbounded{.senders_max = SIZE_MAX, .seqs_per_sender_max = SIZE_MAX};
    if (!valid(c, unbounded, &why)) throw std::invalid_argument(why);
    out = std::move(c);
  }, error);
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace eyrie::multicast
