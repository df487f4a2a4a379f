// One command's run at one replica: object access, staging, value exchange and the local
// verdict (Bezerra, Scalable State Machine Replication, USI 2016, Algorithm 1 lines 9-21).

#include "partition/replica_execution.hpp"

#include <algorithm>

#include "partition/message_types.hpp"

#include "runtime/assert.hpp"

namespace eyrie::partition {

PartitionReplica::Execution::Execution(PartitionReplica& replica, Delivered delivered)
    : r_(replica), d_(std::move(delivered)), since_(replica.env_.now()) {
  for (PartitionId p : d_.destinations) {
    if (p != r_.partition_) others_.push_back(p);
  }
}

bool PartitionReplica::Execution::step() {
  if (multi() && state_ != State::done && another_ran_it()) {
    // Another destination ran this command before (a retransmission this partition's reply
    // cache forgot): abandon the run, whatever it waits for; nothing of it applies.
    verdict_ = Verdict::duplicate;
    state_ = State::done;
    return true;
  }
  switch (state_) {
    case State::running:
      if (!started_) {
        begin();
        return true;
      }
      if (waiting_ && has_value(waiting_->first)) {
        const std::coroutine_handle<> h = waiting_->second;
        waiting_.reset();
        h.resume();
        after_resume();
        return true;
      }
      return false;
    case State::awaiting_verdicts: {
      const auto& verdicts = r_.book_.received(d_.key).verdicts;
      const bool all = std::all_of(others_.begin(), others_.end(), [&](PartitionId p) { return verdicts.contains(p); });
      if (!all) return false;
      state_ = State::done;
      return true;
    }
    case State::done:
      return false;
  }
  return false;
}

bool PartitionReplica::Execution::another_ran_it() const {
  const auto& verdicts = r_.book_.received(d_.key).verdicts;
  return std::any_of(verdicts.begin(), verdicts.end(),
                     [](const auto& entry) { return entry.second.verdict == Verdict::duplicate; });
}

// The command starts executing here: signal the other destinations (with the values the
// oracle says the command will read here), then run the application's code.
void PartitionReplica::Execution::begin() {
  started_ = true;
  since_ = r_.env_.now();
  if (multi()) {
    std::vector<ObjectValue> values;
    for (const ObjectId& id : r_.oracle_.local_objects(d_.command.request.bytes(), r_.partition_)) {
      if (r_.oracle_.placement().owner(id) != r_.partition_ || sent_.contains(id)) continue;
      values.push_back(value_of(id));
      sent_.insert(id);
    }
    r_.send_values(*this, std::move(values), true);
  }
  task_ = r_.machine_->execute(*this, d_.command.request.bytes());
  task_.start();
  after_resume();
}

void PartitionReplica::Execution::after_resume() {
  if (!task_.done()) return;
  try {
    body_ = task_.result();
    verdict_ = Verdict::ok;
  } catch (const RetryWithPartitions& e) {
    verdict_ = Verdict::retry;
    missing_.push_back(e.missing());
  } catch (const std::exception& e) {
    verdict_ = Verdict::failed;
    error_ = e.what();
  } catch (...) {
    verdict_ = Verdict::failed;
    error_ = "the command threw a non-standard exception";
  }
  if (missing_partition_) {
    // The application caught the retry and went on: the access still could not be served.
    verdict_ = Verdict::retry;
    if (std::find(missing_.begin(), missing_.end(), *missing_partition_) == missing_.end()) {
      missing_.push_back(*missing_partition_);
    }
  }
  std::sort(missing_.begin(), missing_.end());
  if (verdict_ != Verdict::ok) body_.clear();
  since_ = r_.env_.now();
  if (!multi()) {
    state_ = State::done;
    return;
  }
  r_.send_to_others(*this, Exchange{.command = d_.key, .partition = r_.partition_, .verdict = verdict_,
                                    .missing = missing_, .error = error_});
  state_ = r_.options_.unsafe_skip_signals ? State::done : State::awaiting_verdicts;
}

std::vector<PartitionId> PartitionReplica::Execution::waiting_on() const {
  if (state_ == State::running && waiting_) return {r_.oracle_.placement().owner(waiting_->first)};
  std::vector<PartitionId> missing;
  if (state_ == State::awaiting_verdicts) {
    const auto& verdicts = r_.book_.received(d_.key).verdicts;
    for (PartitionId p : others_) {
      if (!verdicts.contains(p)) missing.push_back(p);
    }
  }
  return missing;
}

PartitionId PartitionReplica::Execution::owned_by_destination(const ObjectId& id) {
  const PartitionId owner = r_.oracle_.placement().owner(id);
  if (!std::binary_search(d_.destinations.begin(), d_.destinations.end(), owner)) {
    missing_partition_ = owner;
    throw RetryWithPartitions(owner);
  }
  return owner;
}

ObjectValue PartitionReplica::Execution::value_of(const ObjectId& id) const {
  ObjectValue v{.id = id};
  const auto it = r_.objects_.find(id);
  if (it != r_.objects_.end()) {
    std::string bytes;
    it->second->serialize(bytes);
    v.present = true;
    v.bytes = Payload::copy_of(std::string_view(bytes));
  }
  return v;
}

bool PartitionReplica::Execution::has_value(const ObjectId& id) {
  const auto& values = r_.book_.received(d_.key).values;
  const auto it = values.find(id);
  if (it == values.end()) return false;
  if ((!it->second.cached && !it->second.diff) || r_.cache_.contains(id)) return true;
  // "Your copy is current" or a diff for it, but this replica evicted it: ask for the value.
  if (pulled_.insert(id).second) {
    r_.pulls_.add();
    const Payload request = encode(Pull{d_.key, r_.partition_});
    for (NodeId replica : r_.config_.partition(r_.oracle_.placement().owner(id)).replicas) {
      r_.env_.send(replica, kPull, request);
    }
  }
  return false;
}

// First access to an object of this partition: stage the committed version, and send it to
// the other destinations, which run the same code and wait for it at the same access.
void PartitionReplica::Execution::load_local(const ObjectId& id) {
  const auto it = r_.objects_.find(id);
  Staged s;
  s.base = it == r_.objects_.end() ? nullptr : it->second.get();
  s.present = s.base != nullptr;
  staged_.emplace(id, std::move(s));
  if (multi() && sent_.insert(id).second) r_.send_values(*this, {value_of(id)}, false);
}

bool PartitionReplica::Execution::available(const ObjectId& id) {
  if (staged_.contains(id)) return true;
  if (owned_by_destination(id) == r_.partition_) {
    load_local(id);
    return true;
  }
  return has_value(id);
}

void PartitionReplica::Execution::wait_for(const ObjectId& id, std::coroutine_handle<> h) {
  EYRIE_ASSERT(!waiting_, "a command awaits one object at a time");
  waiting_.emplace(id, h);
  since_ = r_.env_.now();
}

Object* PartitionReplica::Execution::access(const ObjectId& id, bool mutate) {
  auto it = staged_.find(id);
  if (it == staged_.end()) {
    // Another partition's object whose value (or "your cached copy is current") has arrived.
    const ObjectValue& v = r_.book_.received(d_.key).values.at(id);
    Staged s;
    s.present = v.present;
    if (v.cached || v.diff) {
      const Object* cached = r_.cache_.find(id);
      EYRIE_ASSERT(cached != nullptr, "available() pulls the value of an evicted copy");
      s.own = cached->clone();
      if (v.diff) s.own->apply_diff(v.bytes.bytes());
      r_.cache_hits_.add();
    } else if (v.present) {
      s.own = r_.machine_->decode_object(id, v.bytes.bytes());
    }
    it = staged_.emplace(id, std::move(s)).first;
  }
  Staged& s = it->second;
  if (!s.present) return nullptr;
  if (mutate) {
    if (!s.own) s.own = s.base->clone();
    s.written = true;
  }
  return s.own ? s.own.get() : const_cast<Object*>(s.base);
}

Object& PartitionReplica::Execution::put(const ObjectId& id, std::unique_ptr<Object> value) {
  owned_by_destination(id);
  Staged& s = staged_[id];
  s.base = nullptr;
  s.own = std::move(value);
  s.present = true;
  s.written = true;
  return *s.own;
}

void PartitionReplica::Execution::remove(const ObjectId& id) {
  owned_by_destination(id);
  Staged& s = staged_[id];
  s.base = nullptr;
  s.own.reset();
  s.present = false;
  s.written = true;
}

void PartitionReplica::Execution::commit() {
  for (auto& [id, s] : staged_) {
    if (r_.oracle_.placement().owner(id) != r_.partition_) {
      // Every destination ran the same code: this copy is the owner's committed version now.
      if (s.present && s.own) {
        r_.cache_.store(id, std::move(s.own));
      } else {
        r_.cache_.erase(id);
      }
      continue;
    }
    r_.validity_.touched(id, s.written, s.present, others_);
    if (s.written) {
      if (s.present) {
        EYRIE_ASSERT(s.own != nullptr);
        r_.objects_.insert_or_assign(id, std::move(s.own));
      } else {
        r_.objects_.erase(id);
      }
    }
    // The other destinations now hold this version: the base of later diffs for them.
    if (const auto committed = r_.objects_.find(id); committed != r_.objects_.end()) {
      for (PartitionId p : others_) committed->second->synced_with(p);
    }
  }
  staged_.clear();
}

}  // namespace eyrie::partition
