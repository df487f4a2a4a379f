#include "partition/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "runtime/assert.hpp"

namespace eyrie::partition {

namespace {
using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<PartitionConfig> partitions_of(const multicast::RidgeConfig& ridge) {
  std::vector<PartitionConfig> partitions;
  for (const multicast::GroupConfig& g : ridge.groups) partitions.push_back(PartitionConfig{PartitionId{g.id.value}, g.learners});
  return partitions;
}
}  // namespace

SsmrConfig SsmrConfig::defaults_for(const multicast::RidgeConfig& ridge) {
  SsmrConfig c;
  c.partitions = partitions_of(ridge);
  c.placement = std::make_shared<oracle::HashPlacement>(c.partition_ids());
  return c;
}

SsmrConfig SsmrConfig::from(const ClusterConfig& cluster, const multicast::RidgeConfig& ridge) {
  SsmrConfig c = defaults_for(ridge);
  const ConfigSection s = cluster.section("ssmr");
  c.pull_interval = s.milliseconds("pull_interval_ms", c.pull_interval, milliseconds(1), seconds(60));
  c.outbox_commands_max = static_cast<std::size_t>(
      s.integer("outbox_commands_max", static_cast<std::int64_t>(c.outbox_commands_max), 16, 1 << 24));
  c.inbox_commands_max = static_cast<std::size_t>(
      s.integer("inbox_commands_max", static_cast<std::int64_t>(c.inbox_commands_max), 16, 1 << 24));
  c.reply_clients_max = static_cast<std::size_t>(
      s.integer("reply_clients_max", static_cast<std::int64_t>(c.reply_clients_max), 1, 1 << 24));
  c.replies_per_client_max = static_cast<std::size_t>(
      s.integer("replies_per_client_max", static_cast<std::int64_t>(c.replies_per_client_max), 1, 1 << 20));
  c.cache_objects_max = static_cast<std::size_t>(
      s.integer("cache_objects_max", static_cast<std::int64_t>(c.cache_objects_max), 0, 1 << 24));
  constexpr std::string_view kPlacements[] = {"hash", "range"};
  if (s.choice("placement", "hash", kPlacements) == "range") {
    if (!s.has("range_bounds")) s.fail("range_bounds", "missing; \"range\" placement needs one bound fewer than partitions");
    try {
      c.placement = std::make_shared<oracle::RangePlacement>(c.partition_ids(), s.string_list("range_bounds", {}));
    } catch (const std::invalid_argument& e) {
      s.fail("range_bounds", e.what());
    }
  } else if (s.has("range_bounds")) {
    s.fail("range_bounds", "only meaningful with placement = \"range\"");
  }
  s.reject_unknown_keys();
  return c;
}

const PartitionConfig& SsmrConfig::partition(PartitionId id) const {
  const auto it = std::find_if(partitions.begin(), partitions.end(), [id](const PartitionConfig& p) { return p.id == id; });
  EYRIE_ASSERT(it != partitions.end());
  return *it;
}

std::optional<PartitionId> SsmrConfig::partition_of(NodeId node) const {
  for (const PartitionConfig& p : partitions) {
    if (std::binary_search(p.replicas.begin(), p.replicas.end(), node)) return p.id;
  }
  return std::nullopt;
}

std::vector<PartitionId> SsmrConfig::partition_ids() const {
  std::vector<PartitionId> ids;
  for (const PartitionConfig& p : partitions) ids.push_back(p.id);
  return ids;
}

}  // namespace eyrie::partition
