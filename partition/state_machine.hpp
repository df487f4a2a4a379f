#pragma once
// The application API of the S-SMR runtime (Bezerra, Scalable State Machine Replication,
// USI 2016, ch. 4 and §4.5.1; docs/ssmr.md).
//
// An application writes a StateMachine whose `execute` is the code it would write for full
// replication: it reaches state only through the CommandContext, by object id. The runtime
// owns the objects; each lives in the partition the oracle's placement names. Reading an
// object that another partition owns suspends the command (co_await) until the owner's value,
// tagged with this command, arrives — every destination partition runs the same code, so the
// owner reaches the same access and sends it. Overwriting or erasing needs no current value.
//
// Rules for `execute`, so that every replica of every destination partition computes the same:
// - deterministic: no clocks (use timestamp()), no randomness, no I/O, no global state;
// - all state through the context; a command's writes apply only when it completes
//   everywhere (they are staged until then), and nothing applies when it throws;
// - an exception it throws fails the command: the client gets `failed` with its message;
// - do not catch RetryWithPartitions: it tells the runtime that the command touched an object
//   whose partition was not among the destinations (the client then retries with it).

#include <cstddef>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "oracle/oracle.hpp"
#include "partition/task.hpp"
#include "runtime/types.hpp"

namespace eyrie::partition {

using oracle::ObjectId;
using oracle::PartitionId;

// A piece of application state. The runtime copies it (clone) before a command modifies it,
// ships it to other partitions (serialize, decoded by StateMachine::decode_object) and keeps
// the committed version.
class Object {
 public:
  virtual ~Object() = default;
  virtual void serialize(std::string& out) const = 0;
  virtual std::unique_ptr<Object> clone() const = 0;
};

// Thrown out of an object access when the object's partition is not a destination. Not a
// std::exception, so that an application's `catch (const std::exception&)` does not swallow
// it (the runtime notices the access anyway and answers retry).
class RetryWithPartitions {
 public:
  explicit RetryWithPartitions(PartitionId missing) : missing_(missing) {}
  PartitionId missing() const { return missing_; }

 private:
  PartitionId missing_;
};

class CommandContext;

// co_await ctx.read<T>(id) -> const T* and ctx.modify<T>(id) -> T* (nullptr: no such object).
template <typename T, bool Mutable>
class ObjectAccess {
 public:
  using Pointer = std::conditional_t<Mutable, T*, const T*>;
  ObjectAccess(CommandContext& ctx, ObjectId id) : ctx_(ctx), id_(std::move(id)) {}
  bool await_ready();
  void await_suspend(std::coroutine_handle<> h);
  Pointer await_resume();

 private:
  CommandContext& ctx_;
  ObjectId id_;
};

class CommandContext {
 public:
  virtual ~CommandContext() = default;

  template <typename T>
  ObjectAccess<T, false> read(ObjectId id) {
    return {*this, std::move(id)};
  }
  template <typename T>
  ObjectAccess<T, true> modify(ObjectId id) {
    return {*this, std::move(id)};
  }
  // Creates or replaces the whole object: no current value needed, so no exchange with its
  // owner partition (the "full overwrite" of §4.5.1).
  template <typename T>
  T& overwrite(const ObjectId& id, T value) {
    return static_cast<T&>(put(id, std::make_unique<T>(std::move(value))));
  }
  // Deletes the object (a full overwrite with nothing).
  void erase(const ObjectId& id) { remove(id); }

  // Sends `message` to a client or gateway endpoint if the command completes (nothing when it
  // fails or is retried): at least once, by one replica of this partition at a time, with the
  // id (partition, position, index) that receivers use to drop duplicates (docs/ssmr.md).
  virtual void emit(NodeId to, std::string message) = 0;

  // The command's final multicast timestamp and its delivery position at this replica: the
  // only time an application may use (the same at every replica).
  virtual WallTime timestamp() const = 0;
  virtual std::uint64_t position() const = 0;
  virtual PartitionId partition() const = 0;
  virtual const std::vector<PartitionId>& destinations() const = 0;

  // The runtime's side of an access (used by ObjectAccess).
  // True when the object can be had now; throws RetryWithPartitions.
  virtual bool available(const ObjectId& id) = 0;
  // Resume `h` once the owner's value for this command has arrived.
  virtual void wait_for(const ObjectId& id, std::coroutine_handle<> h) = 0;
  // Precondition: available(id). The staged object (copied first when `mutate`), or null.
  virtual Object* access(const ObjectId& id, bool mutate) = 0;

 protected:
  virtual Object& put(const ObjectId& id, std::unique_ptr<Object> value) = 0;
  virtual void remove(const ObjectId& id) = 0;
};

class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // Executes one command; the returned bytes are the reply.
  virtual Task<std::string> execute(CommandContext& ctx, std::span<const std::byte> request) = 0;
  // Rebuilds an object from Object::serialize's bytes (values from other partitions, restored
  // state). Throws std::invalid_argument on bytes it cannot read.
  virtual std::unique_ptr<Object> decode_object(const ObjectId& id, std::span<const std::byte> bytes) const = 0;
};

template <typename T, bool Mutable>
bool ObjectAccess<T, Mutable>::await_ready() {
  return ctx_.available(id_);
}
template <typename T, bool Mutable>
void ObjectAccess<T, Mutable>::await_suspend(std::coroutine_handle<> h) {
  ctx_.wait_for(id_, h);
}
template <typename T, bool Mutable>
typename ObjectAccess<T, Mutable>::Pointer ObjectAccess<T, Mutable>::await_resume() {
  Object* object = ctx_.access(id_, Mutable);
  if (object == nullptr) return nullptr;
  T* typed = dynamic_cast<T*>(object);
  if (typed == nullptr) throw std::logic_error("object " + id_ + " has another type than the one accessed");
  return typed;
}

}  // namespace eyrie::partition
