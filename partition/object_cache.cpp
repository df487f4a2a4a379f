#include "partition/object_cache.hpp"

#include "runtime/assert.hpp"

namespace eyrie::partition {

const Object* ObjectCache::find(const ObjectId& id) {
  const auto it = entries_.find(id);
  if (it == entries_.end()) return nullptr;
  uses_.splice(uses_.end(), uses_, it->second.use);
  return it->second.value.get();
}

void ObjectCache::store(const ObjectId& id, std::unique_ptr<Object> value) {
  if (objects_max_ == 0) return;
  auto it = entries_.find(id);
  if (it != entries_.end()) {
    it->second.value = std::move(value);
    uses_.splice(uses_.end(), uses_, it->second.use);
    return;
  }
  while (entries_.size() >= objects_max_) {
    entries_.erase(uses_.front());
    uses_.pop_front();
  }
  uses_.push_back(id);
  entries_.emplace(id, Entry{std::move(value), std::prev(uses_.end())});
}

void ObjectCache::erase(const ObjectId& id) {
  const auto it = entries_.find(id);
  if (it == entries_.end()) return;
  uses_.erase(it->second.use);
  entries_.erase(it);
}

void ObjectCache::clear() {
  entries_.clear();
  uses_.clear();
}

void ObjectCache::check_invariants() const {
  EYRIE_ASSERT(entries_.size() == uses_.size());
  EYRIE_ASSERT(entries_.size() <= objects_max_);
}

bool CacheValidity::current_at(const ObjectId& id, PartitionId partition) const {
  const auto it = current_.find(id);
  return it != current_.end() && it->second.contains(partition);
}

void CacheValidity::touched(const ObjectId& id, bool written, bool present, const std::vector<PartitionId>& others) {
  if (!present) {
    current_.erase(id);  // absent objects are not tracked: their "value" is sent, and it is tiny
    return;
  }
  if (written) {
    if (others.empty()) {
      current_.erase(id);
      return;
    }
    current_[id] = std::set<PartitionId>(others.begin(), others.end());
    return;
  }
  if (!others.empty()) current_[id].insert(others.begin(), others.end());
}

}  // namespace eyrie::partition
