#pragma once
// Ridge's section of the cluster file ([ridge], [[ridge.groups]], [[ridge.ensembles]]):
// which nodes learn which groups, which nodes coordinate and accept for which ensemble, and the
// protocol's timing and batching knobs. See docs/cluster-file.md.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "multicast/types.hpp"
#include "runtime/config.hpp"

namespace eyrie::multicast {

struct GroupConfig {
  GroupId id;
  std::vector<NodeId> learners;  // sorted; cluster nodes
};

struct EnsembleConfig {
  EnsembleId id;
  std::optional<GroupId> group;      // nullopt: the shared ensemble (multi-group messages)
  std::vector<NodeId> coordinators;  // candidates in order of preference; the first starts as coordinator
  std::vector<NodeId> acceptors;     // 2f+1, cluster nodes, in chain order preference
  std::size_t f() const { return (acceptors.size() - 1) / 2; }
};

enum class AcceptorStorage { memory, disk };

struct BatchingOptions {
  std::size_t batch_bytes_max = 256 << 10;  // close a batch at this many payload bytes
  std::size_t batch_messages_max = 4096;    // or this many messages
  // Adaptive: a batch is proposed as soon as an instance slot is free, so a lone message at
  // low load waits for nothing; under load, messages accumulate while all slots are in flight,
  // but never longer than this.
  Duration batch_delay_max = std::chrono::milliseconds(1);
};

// Optimistic delivery (§5.3.4). When enabled, senders also push each message to the learners
// of its destination groups, the coordinator proposes in initial-timestamp order, decisions
// reach learners as ids (learners take payloads from the pushes, fetching what they missed),
// and learners opt-deliver in (timestamp, ensemble, id) order after an estimated wait.
struct OptimisticOptions {
  bool enabled = false;
  // (b) the coordinator holds a message until the wall clock passes its timestamp plus this,
  // then proposes held messages in timestamp order.
  Duration coordinator_wait = std::chrono::microseconds(500);
  // (c) a learner opt-delivers a message once the wall clock passes its timestamp plus an
  // estimate of the push delay (a high percentile of observed arrival - timestamp), capped here.
  Duration learner_wait_max = std::chrono::milliseconds(2);
  // A learner that opt-delivered a message and has not seen it decided after this proposes it
  // itself (its sender may have crashed after pushing it).
  Duration repropose_after = std::chrono::seconds(1);
};

struct RidgeConfig {
  std::vector<GroupConfig> groups;        // sorted by id
  std::vector<EnsembleConfig> ensembles;  // sorted by id; one per group, plus the shared one if groups > 1
  Duration null_interval = std::chrono::milliseconds(5);  // Δ: an idle ensemble proposes a null message this often
  BatchingOptions batching{};
  std::size_t phase1_window_instances = 1024;  // instances prepared ahead by Phase 1
  std::size_t inflight_instances_max = 64;     // Phase 2 instances started and not yet decided
  Duration coordinator_heartbeat = std::chrono::milliseconds(50);
  Duration coordinator_timeout = std::chrono::milliseconds(500);  // candidates suspect the coordinator after this silence
  Duration phase2_timeout = std::chrono::milliseconds(200);       // undecided instance -> classic Paxos for it
  Duration learner_gap_timeout = std::chrono::milliseconds(100);  // missing decision or value -> fetch from acceptors
  Duration sender_retry = std::chrono::milliseconds(300);         // unacknowledged message -> send again
  std::size_t sender_window_max = 4096;   // messages a sender keeps unacknowledged
  std::size_t retained_instances = 100'000;  // acceptors keep at least this many decided instances for catch-up
  AcceptorStorage acceptor_storage = AcceptorStorage::memory;
  OptimisticOptions optimistic{};
  // Final timestamps unique across ensembles (StreamMerger's tagged mode, for Volery's zxids):
  // each ensemble's final timestamps carry its tag in their low bits. At most 1024 ensembles.
  bool unique_timestamps = false;

  // Validates the [ridge] section against the cluster's nodes; throws ConfigError.
  static RidgeConfig from(const ClusterConfig& cluster);

  const EnsembleConfig& ensemble(EnsembleId id) const;
  const GroupConfig& group(GroupId id) const;
  // The ensemble that orders messages to `destinations` (sorted, unique, non-empty, known
  // groups): the group's own for one group, the shared one for several.
  EnsembleId ensemble_for(std::span<const GroupId> destinations) const;
  std::optional<EnsembleId> shared_ensemble() const;
  // The groups `node` belongs to (sorted), and the ensembles it learns: its groups' ensembles
  // and, when the deployment has several groups, the shared one.
  std::vector<GroupId> groups_of(NodeId node) const;
  std::vector<EnsembleId> ensembles_learned_by(NodeId node) const;
  // Every learner of an ensemble (sorted): its group's members, or all members for the shared one.
  std::vector<NodeId> learners_of(EnsembleId id) const;
  // Every ensemble's tag for unique final timestamps: its index among all ensembles in id order
  // (0, 1, ...), so every learner derives the same tags whichever ensembles it learns.
  std::map<EnsembleId, std::uint32_t> timestamp_tags() const;
};

}  // namespace eyrie::multicast
