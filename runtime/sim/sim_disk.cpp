#include "runtime/sim/sim_disk.hpp"

#include "runtime/assert.hpp"

namespace eyrie::sim {

void SimDisk::apply(KeyValueMap& map, const Write& write) {
  if (write.value) {
    map.put(write.key, *write.value);
  } else {
    map.erase(write.key);
  }
}

void SimDisk::put(std::string_view key, Payload value) {
  live_.put(key, value);
  unsynced_.push_back(Write{std::string(key), std::move(value)});
}

void SimDisk::erase(std::string_view key) {
  live_.erase(key);
  unsynced_.push_back(Write{std::string(key), std::nullopt});
}

void SimDisk::sync(std::function<void()> on_durable) {
  const std::uint64_t id = next_sync_id_++;
  pending_syncs_.push_back(PendingSync{id, durable_write_end_ + unsynced_.size(), std::move(on_durable)});
  request_completion_(id);
}

void SimDisk::make_durable(std::uint64_t write_number_end) {
  while (durable_write_end_ < write_number_end) {
    EYRIE_ASSERT(!unsynced_.empty());
    apply(durable_, unsynced_.front());
    unsynced_.pop_front();
    ++durable_write_end_;
  }
}

void SimDisk::complete(std::uint64_t sync_id) {
  EYRIE_ASSERT(!pending_syncs_.empty() && pending_syncs_.front().id == sync_id,
               "sync completions must run in request order");
  PendingSync sync = std::move(pending_syncs_.front());
  pending_syncs_.pop_front();
  make_durable(sync.covers_writes_below);
  // Runs last: the callback may write and sync again.
  if (sync.on_durable) sync.on_durable();
}

std::size_t SimDisk::crash(Rng& rng) {
  pending_syncs_.clear();
  const std::size_t survivors = rng.uniform(unsynced_.size() + 1);
  make_durable(durable_write_end_ + survivors);
  // What was not made durable is gone; memory restarts from the disk.
  durable_write_end_ += unsynced_.size();
  unsynced_.clear();
  live_ = durable_;
  return survivors;
}

void SimDisk::wipe() {
  pending_syncs_.clear();
  durable_write_end_ += unsynced_.size();
  unsynced_.clear();
  durable_.clear();
  live_.clear();
}

}  // namespace eyrie::sim
