#pragma once
// The partition runtime's section of the cluster file ([ssmr]; docs/cluster-file.md) and the
// partitions it derives from Ridge's groups: partition p is Ridge group p, and every learner of
// that group is one of its replicas (so each must run a replica role; the kv role checks it).

#include <memory>
#include <vector>

#include "multicast/config.hpp"
#include "oracle/oracle.hpp"
#include "runtime/config.hpp"

namespace eyrie::partition {

using oracle::PartitionId;

struct PartitionConfig {
  PartitionId id;
  std::vector<NodeId> replicas;  // sorted
};

struct SsmrConfig {
  std::vector<PartitionConfig> partitions;  // sorted by id; one per Ridge group
  // A replica waiting this long for another partition's signal, value or verdict asks that
  // partition's replicas to send again (messages can be lost; they keep what they sent).
  Duration pull_interval = std::chrono::milliseconds(100);
  // Exchanges kept per replica for answering pulls: the last this many multi-partition commands.
  std::size_t outbox_commands_max = 16384;
  // Messages about commands not delivered here yet, kept per replica (more are dropped; pulls recover them).
  std::size_t inbox_commands_max = 65536;
  // Reply cache: clients remembered (least recently active forgotten first), replies per client.
  std::size_t reply_clients_max = 65536;
  std::size_t replies_per_client_max = 4096;
  // Copies of other partitions' objects a replica caches (§4.3.1; 0: no caching).
  std::size_t cache_objects_max = 65536;
  // Placement of objects: "hash", or "range" with `range_bounds` (one fewer than partitions).
  std::shared_ptr<const oracle::Placement> placement;

  // Validates [ssmr] against the Ridge configuration; throws ConfigError.
  static SsmrConfig from(const ClusterConfig& cluster, const multicast::RidgeConfig& ridge);
  // Every partition over the Ridge groups with defaults and hash placement (tests, simulator).
  static SsmrConfig defaults_for(const multicast::RidgeConfig& ridge);

  const PartitionConfig& partition(PartitionId id) const;
  // The partition whose replica `node` is; nullopt when none.
  std::optional<PartitionId> partition_of(NodeId node) const;
  std::vector<PartitionId> partition_ids() const;
};

}  // namespace eyrie::partition
