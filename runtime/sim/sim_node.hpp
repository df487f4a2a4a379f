#pragma once
// SimNode: one simulated machine, and the Env its roles see. The machine (its id, disk, clock,
// metrics, random stream) lives for the whole simulation; its memory — the Role objects and
// their timers — lives for one incarnation. A crash destroys the roles and forgets their timers
// and pending disk completions; a boot creates fresh roles through the node's RoleFactory.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "runtime/dispatcher.hpp"
#include "runtime/env.hpp"
#include "runtime/sim/sim_clock.hpp"
#include "runtime/sim/sim_disk.hpp"

namespace eyrie::sim {

// What a node needs from the simulator that hosts it. Every method only queues an event: none
// calls back into a role.
class SimHost {
 public:
  virtual Time now() const = 0;
  virtual void send(NodeId from, NodeId to, MessageType type, Payload payload) = 0;
  virtual void schedule_timer(NodeId node, std::uint64_t incarnation, TimerId id, Time at) = 0;
  virtual void schedule_sync_done(NodeId node, std::uint64_t incarnation, std::uint64_t sync_id, Time at) = 0;

 protected:
  ~SimHost() = default;
};

// Builds the roles of one incarnation of a node. Called at every boot, so a restarted node gets
// brand-new objects: nothing of the previous life survives except what it put on disk.
using RoleFactory = std::function<std::vector<std::unique_ptr<Role>>(Env& env)>;

struct DiskOptions {
  Duration sync_latency_min = std::chrono::microseconds(100);
  Duration sync_latency_max = std::chrono::milliseconds(2);
};

struct NodeSpec {
  NodeId id{};
  RoleFactory make_roles{};
  ClockModel clock{};
};

class SimNode final : public Env {
 public:
  SimNode(SimHost& host, NodeSpec spec, Rng rng, DiskOptions disk, std::size_t timers_max, Logger log);
  ~SimNode() override;
  SimNode(const SimNode&) = delete;
  SimNode& operator=(const SimNode&) = delete;

  // Env
  NodeId self() const override { return spec_.id; }
  Time now() const override { return host_.now(); }
  WallTime wall_clock() const override { return spec_.clock.wall_at(host_.now()); }
  void send(NodeId to, MessageType type, Payload payload) override;
  TimerId after(Duration delay, TimerFn fn) override;
  void cancel(TimerId id) override { timers_.erase(id); }
  Rng& rng() override { return role_rng_; }
  Storage& storage() override { return disk_; }
  Logger& log() override { return log_; }
  Metrics& metrics() override { return metrics_; }

  // Lifecycle, driven by the Simulator.
  void boot();                   // Precondition: !up()
  void crash(bool wipe_disk);    // Precondition: up()
  bool up() const { return up_; }
  // The simulator's count of this node's lives: 0 before the first boot, then 1, 2, ...
  std::uint64_t incarnation() const { return incarnation_; }

  // Event handlers. Each returns false when the event belonged to a dead life (or a cancelled
  // timer) and was ignored.
  bool fire_timer(std::uint64_t incarnation, TimerId id);
  // Returns false when no role owns the type (the message is dropped and counted).
  bool deliver(const Message& message);
  bool complete_sync(std::uint64_t incarnation, std::uint64_t sync_id);

  void check_invariants() const;
  const std::vector<std::unique_ptr<Role>>& roles() const { return roles_; }
  const SimDisk& disk() const { return disk_; }
  const Metrics& metrics() const { return metrics_; }
  std::size_t pending_timers() const { return timers_.size(); }
  const ClockModel& clock() const { return spec_.clock; }

 private:
  void request_sync_completion(std::uint64_t sync_id);

  SimHost& host_;
  NodeSpec spec_;
  Rng role_rng_;   // what roles draw from (env.rng())
  Rng fault_rng_;  // what the machine draws from (disk latency, crash survivors)
  DiskOptions disk_options_;
  std::size_t timers_max_;
  Logger log_;
  Metrics metrics_;  // survives crashes, like an external monitor's view of the machine
  SimDisk disk_;

  bool up_ = false;
  std::uint64_t incarnation_ = 0;
  std::uint64_t next_timer_id_ = 1;  // never reused, even across lives
  std::map<TimerId, TimerFn> timers_;  // pending timers of the current life
  Time last_sync_done_{};  // completions are scheduled in order, never before this
  // Roles are destroyed before the dispatcher that points at them (declaration order).
  Dispatcher dispatcher_;
  std::vector<std::unique_ptr<Role>> roles_;
};

}  // namespace eyrie::sim
