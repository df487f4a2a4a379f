#include "partition/replica.hpp"

#include <algorithm>
#include <array>

#include "multicast/message_types.hpp"
#include "partition/message_types.hpp"
#include "partition/replica_execution.hpp"
#include "runtime/assert.hpp"

namespace eyrie::partition {

namespace {
constexpr std::array<MessageTypeRange, 2> kTypes{multicast::kRidgeTypes, kReplicaTypes};

std::vector<PartitionId> partitions_of(const std::vector<multicast::GroupId>& groups) {
  std::vector<PartitionId> out;
  for (multicast::GroupId g : groups) out.push_back(PartitionId{g.value});
  return out;
}
}  // namespace

PartitionReplica::PartitionReplica(Env& env, const multicast::RidgeConfig& ridge, const SsmrConfig& config,
                                   const oracle::PartitioningOracle& oracle, std::unique_ptr<StateMachine> machine,
                                   ReplicaOptions options)
    : env_(env),
      config_(config),
      oracle_(oracle),
      machine_(std::move(machine)),
      options_(std::move(options)),
      partition_(config.partition_of(env.self()).value()),
      log_(env.log().child("replica")),
      cache_(config.cache_objects_max),
      replies_(config.reply_clients_max, config.replies_per_client_max),
      book_(config.inbox_commands_max, config.outbox_commands_max),
      emitter_(env, config.partition(partition_), Emitter::Options{}),
      commands_(env.metrics().counter("ssmr.commands")),
      multi_partition_(env.metrics().counter("ssmr.multi_partition")),
      skipped_(env.metrics().counter("ssmr.duplicates_skipped")),
      duplicates_dropped_(env.metrics().counter("ssmr.duplicate_runs_dropped")),
      retries_(env.metrics().counter("ssmr.retry_answers")),
      failures_(env.metrics().counter("ssmr.failed_commands")),
      pulls_(env.metrics().counter("ssmr.pulls")),
      values_sent_(env.metrics().counter("ssmr.values_sent")),
      values_current_(env.metrics().counter("ssmr.values_current")),
      values_diff_(env.metrics().counter("ssmr.values_diff")),
      cache_hits_(env.metrics().counter("ssmr.cache_hits")),
      rejected_(env.metrics().counter("ssmr.rejected_messages")),
      wait_us_(env.metrics().histogram("ssmr.cross_partition_wait_us")),
      queue_us_(env.metrics().histogram("ssmr.queue_wait_us")),
      execution_us_(env.metrics().histogram("ssmr.execution_us")) {
  ridge_ = std::make_unique<multicast::RidgeNode>(
      env, ridge, [this](const multicast::Delivery& d) { on_deliver(d); }, options_.ridge);
}

PartitionReplica::~PartitionReplica() = default;

std::span<const MessageTypeRange> PartitionReplica::message_types() const { return kTypes; }

void PartitionReplica::start() {
  ridge_->start();
  emitter_.start();
  env_.after(config_.pull_interval, [this] { pull_tick(); });
}

void PartitionReplica::on_message(const Message& message) {
  if (kReplicaTypes.contains(message.type)) {
    if (message.type == kExchange) return on_exchange(message);
    if (message.type == kPull) return on_pull(message);
    if (message.type == kEmitAck) return on_emit_ack(message);
    rejected_.add();
    return;
  }
  ridge_->on_message(message);
}

// A delivered command joins the queue; malformed ones are dropped the same way at every
// replica (they are the same bytes everywhere).
void PartitionReplica::on_deliver(const multicast::Delivery& d) {
  std::string error;
  std::optional<Command> command = decode_command(d.payload, &error);
  if (!command) {
    rejected_.add();
    if (reject_limiter_.should_log()) log_.warn("dropped delivered message {}: {}", multicast::to_string(d.id), error);
    return;
  }
  queue_.push_back(
      Delivered{d.id, std::move(*command), partitions_of(d.destinations), d.final_timestamp, d.position, env_.now()});
  drive();
}

// Runs commands until one has to wait for another partition (or none is left). Re-entry (a
// delivery or message arriving from inside an execution step) only queues work for this loop.
void PartitionReplica::drive() {
  if (driving_) return;
  driving_ = true;
  for (;;) {
    if (!current_) {
      if (queue_.empty()) break;
      start_next();
      continue;
    }
    if (!current_->step()) break;
    if (current_->state() == Execution::State::done) finish();
  }
  driving_ = false;
}

void PartitionReplica::start_next() {
  Delivered d = std::move(queue_.front());
  queue_.pop_front();
  const ReplyCache::Lookup seen = replies_.admit(d.command, d.position);
  if (seen.seen != ReplyCache::Seen::fresh) {
    // Ran before (a client's retransmission). Normally every destination sees the same; but
    // each partition bounds its reply cache alone, so one that forgot the client may run it
    // again: the `duplicate` verdict makes it drop that run (and stop waiting for us). Every
    // partition that still holds the reply sends it.
    skipped_.add();
    if (d.destinations.size() > 1) {
      const Exchange duplicate{.command = d.key, .partition = partition_, .signal = true,
                               .verdict = Verdict::duplicate};
      book_.sent(duplicate);
      const Payload encoded = encode(duplicate);
      for (PartitionId p : d.destinations) {
        if (p == partition_) continue;
        for (NodeId replica : config_.partition(p).replicas) env_.send(replica, kExchange, encoded);
      }
      book_.finished(d.key);
    }
    if (seen.reply != nullptr) env_.send(d.command.reply_to, kReply, encode(*seen.reply));
    return;
  }
  commands_.add();
  if (d.destinations.size() > 1) multi_partition_.add();
  started_at_ = env_.now();
  queue_us_.record(std::chrono::duration_cast<std::chrono::microseconds>(started_at_ - d.delivered_at).count());
  current_ = std::make_unique<Execution>(*this, std::move(d));
}

void PartitionReplica::finish() {
  Execution& e = *current_;
  const Delivered& d = e.delivered();
  // Combine this replica's verdict with the other destinations' (all-or-nothing).
  // Every partition combines the same verdicts the same way: retry beats failed beats ok, and
  // a failure reports the lowest failing partition's message.
  std::map<PartitionId, ExchangeBook::VerdictOf> verdicts;
  verdicts.emplace(partition_, ExchangeBook::VerdictOf{e.verdict(), e.missing(), e.error()});
  if (!e.others().empty() && !options_.unsafe_skip_signals) {
    wait_us_.record(std::chrono::duration_cast<std::chrono::microseconds>(env_.now() - e.waiting_since()).count());
    for (const auto& [p, v] : book_.received(d.key).verdicts) verdicts.insert_or_assign(p, v);
  }
  Verdict verdict = Verdict::ok;
  std::vector<PartitionId> missing;
  std::string error;
  for (const auto& [p, v] : verdicts) {
    if (v.verdict == Verdict::duplicate || verdict == Verdict::duplicate) {
      verdict = Verdict::duplicate;  // it ran before: running it again would apply it twice
    } else if (v.verdict == Verdict::retry) {
      verdict = Verdict::retry;
      missing.insert(missing.end(), v.missing.begin(), v.missing.end());
    } else if (v.verdict != Verdict::ok && verdict == Verdict::ok) {
      verdict = Verdict::failed;
      error = v.error;
    }
  }
  Reply reply{.client_id = d.command.client_id, .seq = d.command.seq, .partition = partition_};
  if (verdict == Verdict::duplicate) {
    duplicates_dropped_.add();  // nothing applies, nothing is answered: holders of the reply sent it
    ++executed_;
    book_.finished(d.key);
    current_.reset();
    return;
  }
  switch (verdict) {
    case Verdict::ok:
      e.commit();
      for (std::uint32_t i = 0; i < e.emits().size(); ++i) {
        const auto& [to, body] = e.emits()[i];
        emitter_.add(to, EmitId{partition_, d.position, i}, Payload::copy_of(std::string_view(body)));
      }
      reply.status = ReplyStatus::ok;
      reply.body = Payload::copy_of(std::string_view(e.body()));
      replies_.store(d.command, reply);
      break;
    case Verdict::retry: {
      retries_.add();
      std::vector<PartitionId> larger = d.destinations;
      larger.insert(larger.end(), missing.begin(), missing.end());
      std::sort(larger.begin(), larger.end());
      larger.erase(std::unique(larger.begin(), larger.end()), larger.end());
      reply.status = ReplyStatus::retry;
      reply.destinations = std::move(larger);
      break;  // never stored: the retried command must run
    }
    case Verdict::failed:
    case Verdict::none:
    case Verdict::duplicate:
      failures_.add();
      reply.status = ReplyStatus::failed;
      reply.body = Payload::copy_of(std::string_view(error));
      replies_.store(d.command, reply);
      break;
  }
  send_reply(d, reply);
  execution_us_.record(std::chrono::duration_cast<std::chrono::microseconds>(env_.now() - started_at_).count());
  ++executed_;
  if (!e.others().empty()) book_.finished(d.key);  // only multi-partition commands exchange anything
  current_.reset();
}

void PartitionReplica::send_reply(const Delivered& d, const Reply& reply) {
  // One partition answers: every replica of the lowest destination (one reply suffices).
  if (d.destinations.front() != partition_) return;
  env_.send(d.command.reply_to, kReply, encode(reply));
}

void PartitionReplica::send_to_others(const Execution& e, const Exchange& m) {
  book_.sent(m);
  const Payload encoded = encode(m);
  for (PartitionId p : e.others()) {
    for (NodeId replica : config_.partition(p).replicas) env_.send(replica, kExchange, encoded);
  }
}

void PartitionReplica::send_values(const Execution& e, std::vector<ObjectValue> values, bool signal) {
  Exchange full{.command = e.delivered().key, .partition = partition_, .signal = signal, .values = std::move(values)};
  book_.sent(full);
  for (PartitionId p : e.others()) {
    Exchange m{.command = full.command, .partition = partition_, .signal = signal, .values = {}};
    m.values.reserve(full.values.size());
    for (const ObjectValue& v : full.values) {
      if (config_.cache_objects_max == 0) {  // nobody caches: every value travels whole
        values_sent_.add();
        m.values.push_back(v);
        continue;
      }
      if (v.present && validity_.current_at(v.id, p)) {
        values_current_.add();
        m.values.push_back(ObjectValue{.id = v.id, .present = true, .bytes = {}, .cached = true, .diff = false});
        continue;
      }
      const auto object = objects_.find(v.id);
      if (v.present && object != objects_.end()) {
        if (std::optional<std::string> diff = object->second->diff(p)) {
          values_diff_.add();
          m.values.push_back(ObjectValue{.id = v.id, .present = true, .bytes = Payload::copy_of(std::string_view(*diff)),
                                         .cached = false, .diff = true});
          continue;
        }
      }
      values_sent_.add();
      m.values.push_back(v);
    }
    const Payload encoded = encode(m);
    for (NodeId replica : config_.partition(p).replicas) env_.send(replica, kExchange, encoded);
  }
}

void PartitionReplica::on_exchange(const Message& message) {
  std::string error;
  std::optional<Exchange> m = decode_exchange(message.payload, &error);
  if (m && config_.partition_of(message.from) != m->partition) error = "sender is not a replica of the partition it names";
  if (!m || !error.empty()) {
    rejected_.add();
    if (reject_limiter_.should_log()) log_.warn("dropped an exchange from {}: {}", to_string(message.from), error);
    return;
  }
  if (!book_.receive(*m)) return;  // about a command that finished here
  if (current_ && current_->delivered().key == m->command) drive();
}

void PartitionReplica::on_pull(const Message& message) {
  std::string error;
  std::optional<Pull> m = decode_pull(message.payload, &error);
  if (!m || config_.partition_of(message.from) != m->partition) {
    rejected_.add();
    if (reject_limiter_.should_log()) log_.warn("dropped a pull from {}: {}", to_string(message.from), error);
    return;
  }
  if (const Exchange* sent = book_.sent_for(m->command)) env_.send(message.from, kExchange, encode(*sent));
}

void PartitionReplica::on_emit_ack(const Message& message) {
  std::string error;
  const std::optional<EmitId> id = decode_emit_ack(message.payload, &error);
  if (!id || id->partition != partition_) {
    rejected_.add();
    if (reject_limiter_.should_log()) log_.warn("dropped an emit ack from {}: {}", to_string(message.from), error);
    return;
  }
  emitter_.on_ack(*id);
}

void PartitionReplica::pull_tick() {
  env_.after(config_.pull_interval, [this] { pull_tick(); });
  if (!current_ || env_.now() - current_->waiting_since() < config_.pull_interval) return;
  const Payload request = encode(Pull{current_->delivered().key, partition_});
  for (PartitionId p : current_->waiting_on()) {
    pulls_.add();
    for (NodeId replica : config_.partition(p).replicas) env_.send(replica, kPull, request);
  }
}

std::vector<ObjectId> PartitionReplica::object_ids() const {
  std::vector<ObjectId> ids;
  ids.reserve(objects_.size());
  for (const auto& [id, object] : objects_) ids.push_back(id);
  return ids;
}

Payload PartitionReplica::serialize_state() const {
  std::vector<ObjectValue> objects;
  objects.reserve(objects_.size());
  std::string bytes;
  for (const auto& [id, object] : objects_) {
    bytes.clear();
    object->serialize(bytes);
    objects.push_back(ObjectValue{id, true, Payload::copy_of(std::string_view(bytes))});
  }
  return encode_state(objects);
}

void PartitionReplica::restore_state(const Payload& state) {
  EYRIE_ASSERT(!current_, "restore between commands only");
  std::string error;
  std::optional<std::vector<ObjectValue>> decoded = decode_state(state, &error);
  if (!decoded) throw std::invalid_argument("state: " + error);
  std::map<ObjectId, std::unique_ptr<Object>> restored;
  for (const ObjectValue& v : *decoded) {
    if (oracle_.placement().owner(v.id) != partition_) throw std::invalid_argument("state holds object " + v.id + " of another partition");
    restored.insert_or_assign(v.id, machine_->decode_object(v.id, v.bytes.bytes()));
  }
  objects_ = std::move(restored);
  validity_.clear();  // nobody's cached copy is known current against restored state
  cache_.clear();
}

void PartitionReplica::check_invariants() const {
  ridge_->check_invariants();
  replies_.check_invariants();
  book_.check_invariants();
  emitter_.check_invariants();
  cache_.check_invariants();
}

}  // namespace eyrie::partition
