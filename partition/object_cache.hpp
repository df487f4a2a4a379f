#pragma once
// Caching of remote objects with validity tracked by their owner (Bezerra, Scalable State
// Machine Replication, USI 2016, §4.3.1, conservative caching; docs/ssmr.md "Caching").
//
// ObjectCache (at a non-owner): after a multi-partition command commits, the final version of
// every other partition's object it touched is cached (most recently used kept; at most
// `objects_max`). It is used only when the owner says it is current.
//
// CacheValidity (at the owner): for each of its objects, the partitions whose cached copy is
// current: those of the last command that touched it, plus those of later commands that only
// read it; a command that writes it leaves only its own other destinations current. It changes
// only with the delivery sequence, so every replica of the owner agrees. At a command's first
// access the owner sends "your copy is current" to such partitions instead of the value; a
// replica that evicted its copy meanwhile asks for the value (Pull).

#include <list>
#include <map>
#include <memory>
#include <set>

#include "partition/state_machine.hpp"

namespace eyrie::partition {

class ObjectCache {
 public:
  explicit ObjectCache(std::size_t objects_max) : objects_max_(objects_max) {}
  // Null when not cached. Marks the entry used.
  const Object* find(const ObjectId& id);
  bool contains(const ObjectId& id) const { return entries_.contains(id); }
  void store(const ObjectId& id, std::unique_ptr<Object> value);
  void erase(const ObjectId& id);
  void clear();
  std::size_t size() const { return entries_.size(); }
  void check_invariants() const;

 private:
  struct Entry {
    std::unique_ptr<Object> value;
    std::list<ObjectId>::iterator use;  // place in `uses_`
  };
  std::size_t objects_max_;
  std::map<ObjectId, Entry> entries_;
  std::list<ObjectId> uses_;  // least recently used first
};

class CacheValidity {
 public:
  bool current_at(const ObjectId& id, PartitionId partition) const;
  // A committed command touched `id` (this partition owns it); `others` are its other
  // destinations (empty for a single-partition command).
  void touched(const ObjectId& id, bool written, bool present, const std::vector<PartitionId>& others);
  void clear() { current_.clear(); }
  std::size_t tracked() const { return current_.size(); }

 private:
  std::map<ObjectId, std::set<PartitionId>> current_;  // present objects with a current copy somewhere
};

}  // namespace eyrie::partition
