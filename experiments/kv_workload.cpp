#include "experiments/kv_workload.hpp"

#include <fmt/format.h>

#include <set>

#include "runtime/assert.hpp"

namespace eyrie::experiments {

namespace {
// Attempts at drawing a cluster that spans two partitions before taking one that does not
// (with hash placement and four keys, one attempt in 2^3 fails with two partitions).
constexpr std::size_t kAttemptsMax = 64;
constexpr std::int64_t kValueMax = 999'999'999;
}  // namespace

KvWorkload::KvWorkload(const oracle::Placement& placement, KvWorkloadOptions options)
    : options_(options), partitions_(placement.partitions().size()) {
  EYRIE_ASSERT(options_.keys > 0 && options_.multi_percent <= 100);
  const std::size_t clusters = (options_.keys + kClusterKeys - 1) / kClusterKeys;
  for (std::size_t c = 0; c < clusters; ++c) {
    Cluster cluster;
    for (std::size_t attempt = 0;; ++attempt) {
      cluster.keys.clear();
      std::set<oracle::PartitionId> owners;
      for (std::size_t i = 0; i < kClusterKeys; ++i) {
        cluster.keys.push_back(fmt::format("{}{}.{}", options_.key_prefix, c, attempt * kClusterKeys + i));
        owners.insert(placement.owner(cluster.keys.back()));
      }
      if (owners.size() >= std::min<std::size_t>(partitions_, 2) || attempt + 1 == kAttemptsMax) break;
    }
    for (std::size_t a = 0; a < kClusterKeys; ++a) {
      for (std::size_t b = a + 1; b < kClusterKeys; ++b) {
        const bool same = placement.owner(cluster.keys[a]) == placement.owner(cluster.keys[b]);
        (same ? cluster.local : cluster.cross).emplace_back(a, b);
      }
    }
    keys_.insert(keys_.end(), cluster.keys.begin(), cluster.keys.end());
    clusters_.push_back(std::move(cluster));
  }
}

std::string KvWorkload::value(Rng& rng) const {
  const std::string number = std::to_string(rng.range(0, kValueMax));
  if (number.size() >= options_.value_bytes) return number;
  return std::string(options_.value_bytes - number.size(), '0') + number;
}

kv::Request KvWorkload::two_keys(Rng& rng, const Cluster& c, const std::pair<std::size_t, std::size_t>& pair,
                                 bool transfer) const {
  // Either direction, so that balances move both ways.
  const bool swap = rng.chance(1, 2);
  const std::string& a = c.keys[swap ? pair.second : pair.first];
  const std::string& b = c.keys[swap ? pair.first : pair.second];
  if (transfer) return kv::Transfer{a, b, rng.range(1, 1000)};
  return kv::PutMany{{{a, value(rng)}, {b, value(rng)}}};
}

kv::Request KvWorkload::next(Rng& rng, const std::map<std::string, std::optional<std::string>>& last_read) const {
  const Cluster& c = clusters_[rng.uniform(clusters_.size())];
  const auto pick = [&rng](const auto& pairs) { return pairs[rng.uniform(pairs.size())]; };
  if (!c.cross.empty() && rng.uniform(100) < options_.multi_percent) {
    return two_keys(rng, c, pick(c.cross), rng.chance(1, 2));
  }
  // Single-partition commands.
  const std::string& key = c.keys[rng.uniform(c.keys.size())];
  const std::uint64_t kind = rng.uniform(100);
  if (kind < 40) return kv::Get{key};
  if (kind < 65) return kv::Put{key, value(rng)};
  if (kind < 80) {
    const auto seen = last_read.find(key);
    return kv::Cas{key, seen == last_read.end() ? std::nullopt : seen->second, value(rng)};
  }
  if (c.local.empty()) return kind < 90 ? kv::Request{kv::Get{key}} : kv::Request{kv::Put{key, value(rng)}};
  return two_keys(rng, c, pick(c.local), kind < 90);
}

}  // namespace eyrie::experiments
