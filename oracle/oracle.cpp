#include "oracle/oracle.hpp"

#include <algorithm>
#include <stdexcept>

#include "runtime/assert.hpp"
#include "runtime/hash.hpp"

namespace eyrie::oracle {

namespace {
std::vector<PartitionId> sorted_unique(std::vector<PartitionId> partitions) {
  std::sort(partitions.begin(), partitions.end());
  partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
  return partitions;
}
}  // namespace

HashPlacement::HashPlacement(std::vector<PartitionId> partitions) : partitions_(sorted_unique(std::move(partitions))) {
  EYRIE_ASSERT(!partitions_.empty());
}

PartitionId HashPlacement::owner(std::string_view object) const {
  const std::uint64_t h = fnv1a64(std::as_bytes(std::span(object.data(), object.size())));
  return partitions_[h % partitions_.size()];
}

RangePlacement::RangePlacement(std::vector<PartitionId> partitions, std::vector<std::string> bounds)
    : partitions_(std::move(partitions)), bounds_(std::move(bounds)), sorted_(sorted_unique(partitions_)) {
  if (partitions_.empty()) throw std::invalid_argument("range placement needs at least one partition");
  if (sorted_.size() != partitions_.size()) throw std::invalid_argument("range placement lists a partition twice");
  if (bounds_.size() + 1 != partitions_.size()) {
    throw std::invalid_argument("range placement needs one bound fewer than partitions (" +
                                std::to_string(partitions_.size() - 1) + "), got " + std::to_string(bounds_.size()));
  }
  for (std::size_t i = 1; i < bounds_.size(); ++i) {
    if (!(bounds_[i - 1] < bounds_[i])) throw std::invalid_argument("range bounds must strictly increase");
  }
}

PartitionId RangePlacement::owner(std::string_view object) const {
  const auto it = std::upper_bound(bounds_.begin(), bounds_.end(), object,
                                   [](std::string_view o, const std::string& b) { return o < std::string_view(b); });
  return partitions_[static_cast<std::size_t>(it - bounds_.begin())];
}

std::vector<PartitionId> PartitioningOracle::destinations(std::span<const std::byte>) const {
  return placement().partitions();
}

std::vector<ObjectId> PartitioningOracle::local_objects(std::span<const std::byte>, PartitionId) const { return {}; }

}  // namespace eyrie::oracle
