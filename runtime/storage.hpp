#pragma once
// Storage: a node's durable state, as an ordered map from keys to byte strings.
//
// Writes (put, erase) take effect in memory at once (get and scan see them) but are durable
// only when a later sync completes: `sync(on_durable)` calls `on_durable` once everything
// written before the call has reached the disk. This is the barrier that protocols rely on:
// a Paxos acceptor writes its promise, calls sync, and sends the promise only from
// `on_durable` (the etcd/raft "persist, then send" rule).
//
// Completions never run synchronously inside sync(): they are called later from the node's
// event loop, in the order the syncs were requested. Several syncs requested in the same loop
// turn share one fdatasync (group commit).
//
// After a crash, a restarted node sees every write covered by a completed sync, and possibly
// some later writes (in write order: a prefix of them), never a write without the ones before it.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/payload.hpp"

namespace eyrie {

class Storage {
 public:
  using Visitor = std::function<void(std::string_view key, const Payload& value)>;

  virtual ~Storage() = default;

  virtual std::optional<Payload> get(std::string_view key) const = 0;
  virtual void put(std::string_view key, Payload value) = 0;
  virtual void erase(std::string_view key) = 0;
  // Visits every key starting with `prefix`, in ascending byte order.
  virtual void scan(std::string_view prefix, const Visitor& visit) const = 0;
  virtual void sync(std::function<void()> on_durable) = 0;
};

// The in-memory map behind both the real (file) and the simulated storage.
class KeyValueMap {
 public:
  std::optional<Payload> get(std::string_view key) const;
  void put(std::string_view key, Payload value);
  void erase(std::string_view key);
  void scan(std::string_view prefix, const Storage::Visitor& visit) const;
  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }
  const std::map<std::string, Payload, std::less<>>& entries() const { return entries_; }
  void clear() {
    entries_.clear();
    bytes_ = 0;
  }

 private:
  std::map<std::string, Payload, std::less<>> entries_;
  std::size_t bytes_ = 0;  // keys + values, for compaction decisions and metrics
};

// Storage for roles that need none that survives the process (tests, clients).
class MemoryStorage final : public Storage {
 public:
  // `defer` schedules a completion on the owner's loop (never runs it inline).
  explicit MemoryStorage(std::function<void(std::function<void()>)> defer) : defer_(std::move(defer)) {}
  std::optional<Payload> get(std::string_view key) const override { return map_.get(key); }
  void put(std::string_view key, Payload value) override { map_.put(key, std::move(value)); }
  void erase(std::string_view key) override { map_.erase(key); }
  void scan(std::string_view prefix, const Visitor& visit) const override { map_.scan(prefix, visit); }
  void sync(std::function<void()> on_durable) override { defer_(std::move(on_durable)); }

 private:
  KeyValueMap map_;
  std::function<void(std::function<void()>)> defer_;
};

}  // namespace eyrie
