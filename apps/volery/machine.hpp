#pragma once
// VoleryMachine: ZooKeeper 3.8's data tree as an S-SMR state machine (docs/volery.md).
//
// Every request is one command: it runs at every destination partition in delivery order, so
// reads are linearizable too. A command first checks its session (alive at every destination,
// attached to the sending gateway, FIFO: its predecessor ran) and then runs its operation on
// an overlay of the nodes it reads; only a command whose operation succeeded (or a multi whose
// every operation did) writes the overlay through the context, updates the ephemeral indexes,
// deletes containers it left empty and fires watches. ZooKeeper's checks come in ZooKeeper's
// order (PrepRequestProcessor), so the same request fails with the same code.
//
// Time: a command's zxid is its final multicast timestamp (unique with Ridge's
// unique_timestamps), ctime/mtime are that in milliseconds, and sessions expire by comparing
// renewals with the timestamps of Tick commands. Nothing reads a clock.

#include <memory>

#include "apps/volery/placement.hpp"
#include "partition/state_machine.hpp"

namespace eyrie::volery {

struct MachineOptions {
  // Fault injection for checker tests only (`eyrie sim volery --unsafe-skip-fifo-check`): run a
  // request even when its predecessor has not run yet. Breaks FIFO order per session.
  bool unsafe_skip_fifo_check = false;
};

class VoleryMachine final : public partition::StateMachine {
 public:
  // Precondition: `oracle` outlives the machine (the replica's oracle).
  explicit VoleryMachine(const VoleryOracle& oracle, MachineOptions options = {}) : oracle_(oracle), options_(options) {}
  partition::Task<std::string> execute(partition::CommandContext& ctx, std::span<const std::byte> request) override;
  std::unique_ptr<partition::Object> decode_object(const oracle::ObjectId& id,
                                                   std::span<const std::byte> bytes) const override;

  class Run;  // one command (machine.cpp)

 private:
  const VoleryOracle& oracle_;
  MachineOptions options_;
};

// The nodes every Volery starts with, as ZooKeeper shows them: "/" with "zookeeper", which
// holds "config" (read-only) and "quota". They cannot be deleted.
bool is_builtin(std::string_view path);

}  // namespace eyrie::volery
