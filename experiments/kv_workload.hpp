#pragma once
// KvWorkload: the commands of `eyrie kv load` and `eyrie bench kv` (apps/kv), drawn from a
// seeded Rng over a fixed key space.
//
// Keys come in clusters of kClusterKeys ("<prefix><c>.<i>", prefix "k" by default); every
// command stays within one cluster,
// so the linearizability checker's parts (connected keys, KvModel::partition) are never larger
// than a cluster's history. With two partitions or more, each cluster spans at least two, so
// that a cluster can host multi-partition commands.
//
// Mix: `multi_percent` of the commands are two-key commands across partitions (transfer or
// put_many, half each); the rest touch one partition: get 40%, put 25%, cas 15%, and two-key
// transfer 10% and put_many 10% within a partition (a single-key get or put where the cluster
// has no two keys in one partition). Values are decimal numbers (so that transfers can read
// any value as a balance), zero-padded to `value_bytes`; a cas expects the value its client
// last read for the key (absent before any read).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apps/kv/kv.hpp"
#include "oracle/oracle.hpp"
#include "runtime/rng.hpp"

namespace eyrie::experiments {

struct KvWorkloadOptions {
  std::size_t keys = 1024;  // rounded up to whole clusters
  unsigned multi_percent = 10;
  std::size_t value_bytes = 100;
  // Distinct prefixes give distinct keys: a history checked on its own must hold every write to
  // its keys since the cluster started (the checker starts from an empty store).
  std::string key_prefix = "k";
};

class KvWorkload {
 public:
  static constexpr std::size_t kClusterKeys = 4;

  KvWorkload(const oracle::Placement& placement, KvWorkloadOptions options);

  // One command; `last_read` holds the values its client last read, by key.
  kv::Request next(Rng& rng, const std::map<std::string, std::optional<std::string>>& last_read) const;
  // Every key, cluster by cluster.
  const std::vector<std::string>& keys() const { return keys_; }
  std::size_t partitions() const { return partitions_; }
  const KvWorkloadOptions& options() const { return options_; }

 private:
  struct Cluster {
    std::vector<std::string> keys;
    std::vector<std::pair<std::size_t, std::size_t>> cross;  // pairs of keys in different partitions
    std::vector<std::pair<std::size_t, std::size_t>> local;  // pairs of keys in one partition
  };
  std::string value(Rng& rng) const;
  kv::Request two_keys(Rng& rng, const Cluster& c, const std::pair<std::size_t, std::size_t>& pair, bool transfer) const;

  KvWorkloadOptions options_;
  std::size_t partitions_;
  std::vector<Cluster> clusters_;
  std::vector<std::string> keys_;
};

}  // namespace eyrie::experiments
