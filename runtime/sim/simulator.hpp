#pragma once
// Simulator: a deterministic, single-threaded implementation of the world that roles run in
// (DESIGN.md §3). Virtual time advances only by popping the next event from one queue ordered
// by (time, sequence); nothing reads the host's clock, and every random choice comes from one
// seeded Rng (forked per node and for the network). A run is therefore a pure function of the
// seed and of the script (nodes, faults) that the scenario built from that seed, and its
// TraceHash proves it: two runs of one seed must print the same hash.
//
// Typical use (see runtime/sim/scenario.hpp for the scenario side):
//   Simulator sim({.seed = seed, .network = {...}});
//   sim.add_node({.id = NodeId{1}, .make_roles = factory});
//   sim.boot(NodeId{1});
//   sim.at(Time{10s}, "crash n1", [&] { sim.crash(NodeId{1}); });
//   sim.run_until(Time{60s});

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/sim/event_queue.hpp"
#include "runtime/sim/sim_log.hpp"
#include "runtime/sim/sim_network.hpp"
#include "runtime/sim/sim_node.hpp"
#include "runtime/sim/trace_hash.hpp"

namespace eyrie::sim {

struct SimOptions {
  std::uint64_t seed = 0;
  NetworkOptions network{};
  DiskOptions disk{};
  // The fault model: may a crash also destroy a node's disk? Off by default because most
  // protocols (a Paxos acceptor that forgets its promises) are unsafe under it by design.
  bool disk_loss_allowed = false;
  std::size_t event_queue_max = std::size_t{1} << 22;
  std::size_t timers_per_node_max = std::size_t{1} << 16;
  LogLevel log_level = LogLevel::info;
  std::FILE* log_output = nullptr;  // null: silent (the default for batches of seeds)
};

enum class DiskFate : std::uint8_t { keep, lose };

// Counts of what the network and the nodes did; part of every scenario summary.
struct SimStats {
  std::uint64_t events = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_delivered = 0;
  std::uint64_t messages_dropped = 0;        // random loss
  std::uint64_t messages_partitioned = 0;    // blocked at send or on arrival
  std::uint64_t messages_duplicated = 0;
  std::uint64_t messages_to_down_nodes = 0;  // arrived while the receiver was crashed
  std::uint64_t messages_overflowed = 0;     // link or event queue full
  std::uint64_t messages_unknown = 0;        // unknown peer or unknown message type
  std::uint64_t timers_fired = 0;
  std::uint64_t syncs_completed = 0;
  std::uint64_t crashes = 0;
  std::uint64_t boots = 0;
};

class Simulator final : private SimHost {
 public:
  explicit Simulator(SimOptions options);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Adds a machine, initially down: boot() it (ids must be unique and non-zero).
  void add_node(NodeSpec spec);
  std::vector<NodeId> nodes() const;  // ascending
  bool has_node(NodeId id) const { return nodes_.contains(id); }

  // Starts a fresh incarnation: new roles from the factory, started in order. Precondition: down.
  void boot(NodeId id);
  // Kills the current incarnation: roles, timers and pending syncs are gone; the disk keeps its
  // synced writes and a prefix of the rest, or loses everything (only if disk_loss_allowed).
  void crash(NodeId id, DiskFate disk = DiskFate::keep);
  bool is_up(NodeId id) const { return node(id).up(); }

  // Runs `action` as an event at `when` (>= now). For scripted faults and phase changes.
  void at(Time when, std::string label, std::function<void()> action);

  // Processes one event; false when there is none.
  bool step();
  // Processes every event due at or before `end`, then sets the clock to `end`. Stops early,
  // right after an event, when `stop` returns true (e.g. a checker found a violation); the
  // clock then stays at that event's time.
  void run_until(Time end, const std::function<bool()>& stop = {});

  Time now() const override { return now_; }
  Network& network() { return network_; }
  const Network& network() const { return network_; }
  SimNode& node(NodeId id);
  const SimNode& node(NodeId id) const;
  Logger& log() { return log_; }
  const SimStats& stats() const { return stats_; }
  const SimOptions& options() const { return options_; }
  std::size_t pending_events() const { return queue_.size(); }
  // BLAKE2b of every event so far, in hex.
  std::string trace_hex() const { return trace_.hex(); }

 private:
  // SimHost
  void send(NodeId from, NodeId to, MessageType type, Payload payload) override;
  void schedule_timer(NodeId node, std::uint64_t incarnation, TimerId id, Time at) override;
  void schedule_sync_done(NodeId node, std::uint64_t incarnation, std::uint64_t sync_id, Time at) override;

  void push(Event event);  // asserts the queue has room (timers, syncs, actions)
  void trace_event(const Event& event);
  void handle(const Event& event);
  void handle_delivery(const Event& event);
  void handle_action(const Event& event);

  struct Action {
    std::string label;
    std::function<void()> run;
  };

  SimOptions options_;
  Rng rng_;  // master: forks for every node and the network, in a fixed order
  Time now_{};
  EventQueue queue_;
  SimLogSink sink_;
  Logger log_;
  Network network_;
  TraceHash trace_;
  SimStats stats_;
  std::map<NodeId, std::unique_ptr<SimNode>> nodes_;
  std::map<std::uint64_t, Action> actions_;
  std::uint64_t next_action_id_ = 1;
};

}  // namespace eyrie::sim
