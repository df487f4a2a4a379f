#pragma once
// One command's run at one replica (see partition/replica.hpp): the CommandContext the
// application's coroutine sees, its staged writes, and where the run stands.
// Internal to the partition runtime.

#include <coroutine>
#include <set>

#include "partition/replica.hpp"

namespace eyrie::partition {

class PartitionReplica::Execution final : public CommandContext {
 public:
  enum class State { running, awaiting_verdicts, done };

  Execution(PartitionReplica& replica, Delivered delivered);

  // Advances as far as it can without waiting; true when it made progress.
  bool step();
  State state() const { return state_; }
  const Delivered& delivered() const { return d_; }
  const std::vector<PartitionId>& others() const { return others_; }
  // The partitions it is waiting for now (for pulls), and since when.
  std::vector<PartitionId> waiting_on() const;
  Time waiting_since() const { return since_; }

  // This replica's outcome (valid once state() != running).
  Verdict verdict() const { return verdict_; }
  const std::vector<PartitionId>& missing() const { return missing_; }
  const std::string& error() const { return error_; }
  std::string& body() { return body_; }
  // Applies the staged writes to this partition's objects.
  void commit();

  // CommandContext.
  WallTime timestamp() const override { return d_.timestamp; }
  std::uint64_t position() const override { return d_.position; }
  PartitionId partition() const override { return r_.partition_; }
  const std::vector<PartitionId>& destinations() const override { return d_.destinations; }
  bool available(const ObjectId& id) override;
  void wait_for(const ObjectId& id, std::coroutine_handle<> h) override;
  Object* access(const ObjectId& id, bool mutate) override;
  void emit(NodeId to, std::string message) override { emits_.emplace_back(to, std::move(message)); }
  // What the command emitted, in order (sent only if it commits).
  const std::vector<std::pair<NodeId, std::string>>& emits() const { return emits_; }

 protected:
  Object& put(const ObjectId& id, std::unique_ptr<Object> value) override;
  void remove(const ObjectId& id) override;

 private:
  struct Staged {
    const Object* base = nullptr;  // the committed object (owned here), until copied
    std::unique_ptr<Object> own;   // this command's copy or new value
    bool present = false;
    bool written = false;
  };

  bool multi() const { return !others_.empty(); }
  PartitionId owned_by_destination(const ObjectId& id);  // throws RetryWithPartitions
  void load_local(const ObjectId& id);
  ObjectValue value_of(const ObjectId& id) const;
  bool has_value(const ObjectId& id);  // may pull a value whose cached copy was evicted
  void begin();
  void after_resume();

  PartitionReplica& r_;
  Delivered d_;
  std::vector<PartitionId> others_;  // the other destinations
  State state_ = State::running;
  bool started_ = false;
  Task<std::string> task_;
  std::map<ObjectId, Staged> staged_;
  std::set<ObjectId> sent_;    // values already sent to the others
  std::set<ObjectId> pulled_;  // values asked for again (an evicted cached copy)
  std::optional<std::pair<ObjectId, std::coroutine_handle<>>> waiting_;
  std::optional<PartitionId> missing_partition_;  // an access needed it
  Time since_{};
  Verdict verdict_ = Verdict::none;
  std::vector<PartitionId> missing_;
  std::string error_;
  std::string body_;
  std::vector<std::pair<NodeId, std::string>> emits_;
};

}  // namespace eyrie::partition
