#include "partition/client.hpp"

#include <algorithm>

#include "multicast/message_types.hpp"
#include "partition/message_types.hpp"
#include "runtime/assert.hpp"

namespace eyrie::partition {

namespace {
std::vector<multicast::GroupId> groups_of(const std::vector<PartitionId>& partitions) {
  std::vector<multicast::GroupId> groups;
  for (PartitionId p : partitions) groups.push_back(multicast::GroupId{p.value});
  return groups;
}
}  // namespace

Client::Client(Env& env, const multicast::RidgeConfig& ridge, const SsmrConfig& config,
               const oracle::PartitioningOracle& oracle, ClientOptions options)
    : env_(env),
      config_(config),
      oracle_(oracle),
      options_(options),
      sender_(env, ridge, options.sender),
      log_(env.log().child("client")),
      client_id_(std::max<std::uint64_t>(env.rng().next_u64(), 1)),
      retransmissions_(env.metrics().counter("ssmr.client.retransmissions")),
      retries_(env.metrics().counter("ssmr.client.retry_answers")),
      timeouts_(env.metrics().counter("ssmr.client.timeouts")),
      rejected_(env.metrics().counter("ssmr.client.rejected")),
      latency_us_(env.metrics().histogram("ssmr.client.latency_us")) {
  EYRIE_ASSERT(options_.window_max >= 1);
}

void Client::start() {
  sender_.start();
  env_.after(options_.retry_after / 4, [this] { tick(); });
}

bool Client::handles(MessageType type) {
  return kClientTypes.contains(type) || type == multicast::kProposeAck || type == multicast::kNotLeader;
}

std::optional<std::uint64_t> Client::submit(Payload request, Callback done) {
  std::vector<PartitionId> destinations = oracle_.destinations(request.bytes());
  return submit(std::move(request), std::move(destinations), std::move(done));
}

std::optional<std::uint64_t> Client::submit(Payload request, std::vector<PartitionId> destinations, Callback done,
                                            WallTime not_before) {
  std::sort(destinations.begin(), destinations.end());
  destinations.erase(std::unique(destinations.begin(), destinations.end()), destinations.end());
  if (!can_submit() || destinations.empty()) return std::nullopt;
  const std::uint64_t seq = next_seq_++;
  Outstanding& o = outstanding_[seq];
  o.request = std::move(request);
  o.destinations = std::move(destinations);
  o.done = std::move(done);
  o.submitted = env_.now();
  o.not_before = not_before;
  send(seq, o);
  return seq;
}

std::uint64_t Client::acked_below() const { return outstanding_.empty() ? next_seq_ : outstanding_.begin()->first; }

void Client::send(std::uint64_t seq, Outstanding& o) {
  const Command command{.client_id = client_id_, .seq = seq, .acked_below = std::min(acked_below(), seq),
                        .reply_to = env_.self(), .request = o.request};
  o.last_sent = env_.now();
  // Refused (the sender's window is full, or its seqs are not durable yet): tick() tries again.
  o.sent = sender_.multicast(groups_of(o.destinations), encode(command), o.not_before).has_value();
}

void Client::on_message(const Message& message) {
  if (message.type == multicast::kProposeAck || message.type == multicast::kNotLeader) {
    return sender_.on_message(message);
  }
  if (message.type == kEmitted) return on_emitted(message);
  if (message.type != kReply) return rejected_.add();
  std::string error;
  std::optional<Reply> reply = decode_reply(message.payload, &error);
  if (!reply || reply->client_id != client_id_) {
    rejected_.add();
    return;
  }
  auto it = outstanding_.find(reply->seq);
  if (it == outstanding_.end()) return;  // answered already (one reply per replica)
  Outstanding& o = it->second;
  switch (reply->status) {
    case ReplyStatus::retry: {
      // Destinations only grow: a retry answer that adds nothing is ignored (the timer resends).
      std::vector<PartitionId> larger = o.destinations;
      larger.insert(larger.end(), reply->destinations.begin(), reply->destinations.end());
      std::sort(larger.begin(), larger.end());
      larger.erase(std::unique(larger.begin(), larger.end()), larger.end());
      if (larger.size() == o.destinations.size()) return;
      retries_.add();
      o.destinations = std::move(larger);
      send(reply->seq, o);
      return;
    }
    case ReplyStatus::ok:
    case ReplyStatus::failed:
      complete(reply->seq, CommandResult{.status = reply->status == ReplyStatus::ok ? CommandResult::Status::ok
                                                                                    : CommandResult::Status::failed,
                                         .body = reply->body, .seq = reply->seq, .destinations = o.destinations});
      return;
  }
}

void Client::on_emitted(const Message& message) {
  std::string error;
  std::optional<Emitted> emitted = decode_emitted(message.payload, &error);
  const auto& partitions = config_.partitions;
  const bool known = emitted && std::any_of(partitions.begin(), partitions.end(),
                                            [&](const PartitionConfig& p) { return p.id == emitted->id.partition; });
  if (!known) {
    rejected_.add();
    return;
  }
  // Every copy is acknowledged, to every holder: each stops resending.
  const Payload ack = encode_emit_ack(emitted->id);
  for (NodeId replica : config_.partition(emitted->id.partition).replicas) env_.send(replica, kEmitAck, ack);
  if (emitted_filter_.admit(emitted->id) && on_emitted_) on_emitted_(*emitted);
}

void Client::complete(std::uint64_t seq, CommandResult result) {
  auto node = outstanding_.extract(seq);
  EYRIE_ASSERT(!node.empty());
  latency_us_.record(std::chrono::duration_cast<std::chrono::microseconds>(env_.now() - node.mapped().submitted).count());
  if (node.mapped().done) node.mapped().done(result);
}

void Client::tick() {
  env_.after(options_.retry_after / 4, [this] { tick(); });
  const Time now = env_.now();
  std::vector<std::uint64_t> expired;
  for (auto& [seq, o] : outstanding_) {
    if (now - o.submitted >= options_.timeout) {
      expired.push_back(seq);
    } else if (!o.sent || now - o.last_sent >= options_.retry_after) {
      if (o.sent) retransmissions_.add();
      send(seq, o);
    }
  }
  for (std::uint64_t seq : expired) {
    timeouts_.add();
    const std::vector<PartitionId> destinations = outstanding_.at(seq).destinations;
    complete(seq, CommandResult{.status = CommandResult::Status::timeout, .body = {}, .seq = seq,
                                .destinations = destinations});
  }
}

void Client::check_invariants() const {
  EYRIE_ASSERT(outstanding_.size() <= options_.window_max);
  EYRIE_ASSERT(outstanding_.empty() || outstanding_.rbegin()->first < next_seq_);
  sender_.check_invariants();
}

}  // namespace eyrie::partition
