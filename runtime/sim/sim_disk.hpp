#pragma once
// The simulated disk of one node. It outlives the node's incarnations: a crash destroys the
// roles (memory) but not the disk. It keeps the Storage contract of runtime/storage.hpp:
//
// - Writes are visible at once (get/scan) but durable only once a later sync completes.
// - Completions run later, from the event loop, in the order the syncs were requested.
// - After a crash the disk holds every write covered by a completed sync, plus a random prefix
//   (in write order) of the writes after them: never a later write without the earlier ones.
// - Losing the whole disk is a separate fault (wipe()), outside most fault models; the
//   Simulator only allows it when SimOptions::disk_loss_allowed says so.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "runtime/rng.hpp"
#include "runtime/storage.hpp"

namespace eyrie::sim {

class SimDisk final : public Storage {
 public:
  // `request_completion(sync_id)` must arrange for complete(sync_id) to be called later from
  // the event loop (never inline), after the completions of earlier syncs.
  explicit SimDisk(std::function<void(std::uint64_t sync_id)> request_completion)
      : request_completion_(std::move(request_completion)) {}

  std::optional<Payload> get(std::string_view key) const override { return live_.get(key); }
  void put(std::string_view key, Payload value) override;
  void erase(std::string_view key) override;
  void scan(std::string_view prefix, const Visitor& visit) const override { live_.scan(prefix, visit); }
  void sync(std::function<void()> on_durable) override;

  // Makes the writes covered by sync `sync_id` durable and runs its completion.
  // Precondition: sync_id is the oldest pending sync.
  void complete(std::uint64_t sync_id);

  // Power loss: pending syncs are forgotten (their callbacks belonged to the dead process) and a
  // prefix of `rng`'s choosing of the unsynced writes survives. Returns how many survived.
  std::size_t crash(Rng& rng);
  // The disk is gone: nothing survives, not even synced writes.
  void wipe();

  std::size_t unsynced_writes() const { return unsynced_.size(); }
  std::size_t pending_syncs() const { return pending_syncs_.size(); }
  const KeyValueMap& durable() const { return durable_; }

 private:
  struct Write {
    std::string key;
    std::optional<Payload> value;  // nullopt: erase
  };
  struct PendingSync {
    std::uint64_t id;
    std::uint64_t covers_writes_below;  // absolute write number
    std::function<void()> on_durable;
  };

  void make_durable(std::uint64_t write_number_end);
  static void apply(KeyValueMap& map, const Write& write);

  std::function<void(std::uint64_t)> request_completion_;
  KeyValueMap durable_;  // what survives a crash for sure
  KeyValueMap live_;     // what the running incarnation sees: durable_ + unsynced_
  std::deque<Write> unsynced_;
  std::uint64_t durable_write_end_ = 0;  // absolute number of the first write in unsynced_
  std::deque<PendingSync> pending_syncs_;
  std::uint64_t next_sync_id_ = 1;
};

}  // namespace eyrie::sim
