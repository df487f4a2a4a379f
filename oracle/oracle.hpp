#pragma once
// Partitioning oracles (Bezerra, Scalable State Machine Replication, USI 2016, §4.5.1 "The
// PartitioningOracle class"): where each object lives, which partitions a command must reach,
// and which local objects a partition may push as soon as a command starts.
//
// Placement (object -> owner partition) is separate from the command-level questions, so an
// application composes its oracle from a placement (hash or range, below; later a dynamic one
// that moves objects) and its own knowledge of what a request touches.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/types.hpp"

namespace eyrie::oracle {

// A partition of the service state; the partition runtime maps it one to one onto a Ridge group.
struct PartitionId : StrongId<struct PartitionIdTag, std::uint32_t> {
  using StrongId::StrongId;
};

// An object's name: application-chosen bytes (a key, a path).
using ObjectId = std::string;

// Where objects live. Implementations are immutable and deterministic: every client and
// replica must get the same answer for the same object.
class Placement {
 public:
  virtual ~Placement() = default;
  virtual PartitionId owner(std::string_view object) const = 0;
  // Every partition, sorted.
  virtual const std::vector<PartitionId>& partitions() const = 0;
};

// Hash placement: owner = partitions[fnv1a64(object) mod n].
class HashPlacement final : public Placement {
 public:
  // Precondition: partitions non-empty; they are sorted and deduplicated here.
  explicit HashPlacement(std::vector<PartitionId> partitions);
  PartitionId owner(std::string_view object) const override;
  const std::vector<PartitionId>& partitions() const override { return partitions_; }

 private:
  std::vector<PartitionId> partitions_;
};

// Range placement: object names are ordered bytewise; partition i owns [bounds[i-1], bounds[i]),
// the first one everything below bounds[0], the last one everything from the last bound on.
class RangePlacement final : public Placement {
 public:
  // Precondition: bounds.size() == partitions.size() - 1, bounds strictly increasing.
  // Throws std::invalid_argument otherwise (this comes from configuration).
  RangePlacement(std::vector<PartitionId> partitions, std::vector<std::string> bounds);
  PartitionId owner(std::string_view object) const override;
  const std::vector<PartitionId>& partitions() const override { return sorted_; }

 private:
  std::vector<PartitionId> partitions_;  // in range order
  std::vector<std::string> bounds_;
  std::vector<PartitionId> sorted_;
};

// What the client library and the replicas ask about one command (its request bytes).
class PartitioningOracle {
 public:
  virtual ~PartitioningOracle() = default;
  virtual const Placement& placement() const = 0;
  // A superset of the partitions whose objects the command touches, sorted and unique. The
  // default, every partition, is always correct and never efficient. A set that turns out too
  // small is not an error: the replicas answer retry with the partitions that were missing.
  virtual std::vector<PartitionId> destinations(std::span<const std::byte> request) const;
  // Objects of `partition` the command will read, so that the partition's replicas send them
  // to the other destinations as soon as the command starts (prefetch). Default: none.
  virtual std::vector<ObjectId> local_objects(std::span<const std::byte> request, PartitionId partition) const;
};

}  // namespace eyrie::oracle
