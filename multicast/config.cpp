// Loading and validating Ridge's section of the cluster file (docs/cluster-file.md, [ridge]),
// and the group <-> ensemble mapping of Bezerra's thesis (USI 2016, §5.3.1, Algorithm 5).
//
// Every rule is checked here, once, so that protocol roles can assert instead of re-validating:
// a role that finds an unknown node or an even acceptor count has a bug, not a bad file.

#include "multicast/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>

#include "multicast/stream_merger.hpp"

namespace eyrie::multicast {

namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Wire messages carry at most this many destination groups (multicast/wire.cpp), so a larger
// deployment could not address all of its groups at once.
constexpr std::int64_t kGroupsMax = 4096;
// Round numbers keep a candidate's index in 16 bits (Round::make); far fewer are sensible.
constexpr std::int64_t kCoordinatorsMax = 255;
// 2f+1 acceptors with f up to 127: beyond that the chain of f+1 acceptors is the bottleneck.
constexpr std::int64_t kAcceptorsMax = 255;
// Group and ensemble ids are 32-bit (GroupId, EnsembleId).
constexpr std::int64_t kIdMax = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kNodeIdMax = static_cast<std::int64_t>(NodeId::kClusterNodeIdMax);

// A list of cluster node ids under `key`: non-empty, at most `count_max`, unique, all declared
// in [[nodes]]. Returned in the file's order (coordinator and chain preference matter).
std::vector<NodeId> node_list(const ConfigSection& s, const ClusterConfig& cluster, std::string_view key,
                              std::int64_t count_max) {
  if (!s.has(key)) s.fail(key, fmt::format("missing; expected a list of 1..{} node ids", count_max));
  const std::vector<std::int64_t> raw = s.integer_list(key, {}, 1, kNodeIdMax);
  if (raw.empty() || static_cast<std::int64_t>(raw.size()) > count_max) {
    s.fail(key, fmt::format("expected a list of 1..{} node ids, got {}", count_max, raw.size()));
  }
  std::vector<NodeId> nodes;
  for (const std::int64_t id : raw) {
    const NodeId node{static_cast<std::uint64_t>(id)};
    if (cluster.find(node) == nullptr) s.fail(key, fmt::format("node {} is not declared in [[nodes]]", id));
    if (std::find(nodes.begin(), nodes.end(), node) != nodes.end()) {
      s.fail(key, fmt::format("expected unique node ids, {} appears twice", id));
    }
    nodes.push_back(node);
  }
  return nodes;
}

void load_knobs(RidgeConfig& r, const ConfigSection& s, const ClusterConfig& cluster) {
  r.null_interval = s.milliseconds("null_interval_ms", r.null_interval, milliseconds(1), seconds(60));
  r.phase1_window_instances = static_cast<std::size_t>(
      s.integer("phase1_window_instances", static_cast<std::int64_t>(r.phase1_window_instances), 1, 1 << 24));
  r.inflight_instances_max = static_cast<std::size_t>(
      s.integer("inflight_instances_max", static_cast<std::int64_t>(r.inflight_instances_max), 1, 1 << 20));
  // Phase 2 may only start in an instance whose Phase 1 has already run.
  if (r.inflight_instances_max > r.phase1_window_instances) {
    s.fail("inflight_instances_max", fmt::format("expected at most phase1_window_instances ({}), got {}",
                                                 r.phase1_window_instances, r.inflight_instances_max));
  }
  BatchingOptions& b = r.batching;
  b.batch_bytes_max = static_cast<std::size_t>(
      s.integer("batch_bytes_max", static_cast<std::int64_t>(b.batch_bytes_max), 1, std::int64_t{1} << 30));
  // A batch travels inside one transport frame, next to per-message headers and the Paxos
  // envelope; half a frame leaves room for those however many small messages it holds.
  const std::int64_t frame_half = cluster.transport.frame_bytes_max / 2;
  if (static_cast<std::int64_t>(b.batch_bytes_max) > frame_half) {
    s.fail("batch_bytes_max", fmt::format("expected at most half of [transport] frame_bytes_max ({}), got {}",
                                          frame_half, b.batch_bytes_max));
  }
  b.batch_messages_max = static_cast<std::size_t>(
      s.integer("batch_messages_max", static_cast<std::int64_t>(b.batch_messages_max), 1, 1 << 20));
  const auto delay_us = std::chrono::duration_cast<microseconds>(b.batch_delay_max).count();
  b.batch_delay_max = microseconds(s.integer("batch_delay_max_us", delay_us, 0, 1'000'000));
  r.coordinator_heartbeat =
      s.milliseconds("coordinator_heartbeat_ms", r.coordinator_heartbeat, milliseconds(1), seconds(60));
  r.coordinator_timeout =
      s.milliseconds("coordinator_timeout_ms", r.coordinator_timeout, milliseconds(1), seconds(600));
  r.phase2_timeout = s.milliseconds("phase2_timeout_ms", r.phase2_timeout, milliseconds(1), seconds(600));
  r.learner_gap_timeout =
      s.milliseconds("learner_gap_timeout_ms", r.learner_gap_timeout, milliseconds(1), seconds(600));
  r.sender_retry = s.milliseconds("sender_retry_ms", r.sender_retry, milliseconds(1), seconds(600));
  r.sender_window_max = static_cast<std::size_t>(
      s.integer("sender_window_max", static_cast<std::int64_t>(r.sender_window_max), 1, 1 << 20));
  r.retained_instances = static_cast<std::size_t>(s.integer(
      "retained_instances", static_cast<std::int64_t>(r.retained_instances), 1, std::int64_t{1} << 32));
  constexpr std::string_view kStorage[] = {"memory", "disk"};
  r.acceptor_storage =
      s.choice("acceptor_storage", "memory", kStorage) == "disk" ? AcceptorStorage::disk : AcceptorStorage::memory;
  OptimisticOptions& o = r.optimistic;
  o.enabled = s.boolean("optimistic", o.enabled);
  const auto coordinator_wait_us = std::chrono::duration_cast<microseconds>(o.coordinator_wait).count();
  o.coordinator_wait = microseconds(s.integer("opt_coordinator_wait_us", coordinator_wait_us, 0, 1'000'000));
  const auto learner_wait_us = std::chrono::duration_cast<microseconds>(o.learner_wait_max).count();
  o.learner_wait_max = microseconds(s.integer("opt_learner_wait_max_us", learner_wait_us, 0, 10'000'000));
  o.repropose_after = s.milliseconds("opt_repropose_ms", o.repropose_after, milliseconds(1), seconds(600));
  r.unique_timestamps = s.boolean("unique_timestamps", r.unique_timestamps);
}

// Relations between timing knobs; each one names the failure it prevents.
void check_knob_relations(const RidgeConfig& r, const ConfigSection& s) {
  // Otherwise candidates suspect a healthy coordinator between two of its heartbeats.
  if (r.coordinator_timeout <= r.coordinator_heartbeat) {
    s.fail("coordinator_timeout_ms", "expected more than coordinator_heartbeat_ms");
  }
  // An idle ensemble decides a null message every null interval; a learner that suspects a
  // gap sooner would fetch from the acceptors all the time on idle ensembles.
  if (r.learner_gap_timeout <= r.null_interval) {
    s.fail("learner_gap_timeout_ms", "expected more than null_interval_ms");
  }
  // A sender that retries before the coordinator has even re-run a stuck instance only adds
  // duplicate proposals (which learners must then filter).
  if (r.sender_retry <= r.phase2_timeout) s.fail("sender_retry_ms", "expected more than phase2_timeout_ms");
  // A learner that re-proposes before the sender has retried even once competes with a
  // sender that is merely slow.
  if (r.optimistic.repropose_after <= r.sender_retry) s.fail("opt_repropose_ms", "expected more than sender_retry_ms");
  // A learner that missed every in-flight decision must still find them at the acceptors.
  if (r.retained_instances < r.inflight_instances_max) {
    s.fail("retained_instances", fmt::format("expected at least inflight_instances_max ({}), got {}",
                                             r.inflight_instances_max, r.retained_instances));
  }
}

std::vector<GroupConfig> load_groups(const ConfigSection& ridge, const ClusterConfig& cluster) {
  const std::vector<ConfigSection> sections = ridge.table_array("groups");
  if (sections.empty()) ridge.fail("groups", "missing; expected at least one [[ridge.groups]] table");
  if (static_cast<std::int64_t>(sections.size()) > kGroupsMax) {
    ridge.fail("groups", fmt::format("expected at most {} groups, got {}", kGroupsMax, sections.size()));
  }
  std::vector<GroupConfig> groups;
  for (const ConfigSection& s : sections) {
    GroupConfig g;
    g.id = GroupId{static_cast<std::uint32_t>(s.required_integer("id", 0, kIdMax))};
    for (const GroupConfig& other : groups) {
      if (other.id == g.id) s.fail("id", fmt::format("expected a unique group id, {} is used twice", g.id.value));
    }
    g.learners = node_list(s, cluster, "learners", kNodeIdMax);
    std::sort(g.learners.begin(), g.learners.end());
    s.reject_unknown_keys();
    groups.push_back(std::move(g));
  }
  std::sort(groups.begin(), groups.end(), [](const GroupConfig& a, const GroupConfig& b) { return a.id < b.id; });
  return groups;
}

EnsembleConfig load_ensemble(const ConfigSection& s, const ClusterConfig& cluster,
                             const std::vector<GroupConfig>& groups) {
  EnsembleConfig e;
  e.id = EnsembleId{static_cast<std::uint32_t>(s.required_integer("id", 0, kIdMax))};
  if (s.has("group")) {
    const GroupId g{static_cast<std::uint32_t>(s.integer("group", 0, 0, kIdMax))};
    const bool known = std::any_of(groups.begin(), groups.end(), [&](const GroupConfig& x) { return x.id == g; });
    if (!known) s.fail("group", fmt::format("group {} is not declared in [[ridge.groups]]", g.value));
    e.group = g;
  } else {
    (void)s.integer("group", 0, 0, kIdMax);  // marks the key as known for reject_unknown_keys
  }
  e.coordinators = node_list(s, cluster, "coordinators", kCoordinatorsMax);
  e.acceptors = node_list(s, cluster, "acceptors", kAcceptorsMax);
  // Majority quorums of f+1 out of 2f+1: an even count adds a member without adding tolerance.
  if (e.acceptors.size() % 2 == 0) {
    s.fail("acceptors", fmt::format("expected an odd number of acceptors (2f+1), got {}", e.acceptors.size()));
  }
  s.reject_unknown_keys();
  return e;
}

// Algorithm 5's mapping: exactly one ensemble per group, plus one shared ensemble for
// multi-group messages exactly when several groups exist (with one group it would never be used).
std::vector<EnsembleConfig> load_ensembles(const ConfigSection& ridge, const ClusterConfig& cluster,
                                           const std::vector<GroupConfig>& groups) {
  const std::vector<ConfigSection> sections = ridge.table_array("ensembles");
  if (sections.empty()) ridge.fail("ensembles", "missing; expected at least one [[ridge.ensembles]] table");
  std::vector<EnsembleConfig> ensembles;
  std::map<GroupId, EnsembleId> by_group;
  std::optional<EnsembleId> shared;
  for (const ConfigSection& s : sections) {
    EnsembleConfig e = load_ensemble(s, cluster, groups);
    for (const EnsembleConfig& other : ensembles) {
      if (other.id == e.id) s.fail("id", fmt::format("expected a unique ensemble id, {} is used twice", e.id.value));
    }
    if (e.group) {
      auto [it, fresh] = by_group.emplace(*e.group, e.id);
      if (!fresh) {
        s.fail("group", fmt::format("expected exactly one ensemble per group; group {} already has ensemble {}",
                                    e.group->value, it->second.value));
      }
    } else if (groups.size() < 2) {
      s.fail("id", fmt::format("ensemble {} has no group (a shared ensemble), but a deployment with one group "
                               "has none; give it group = {}",
                               e.id.value, groups.front().id.value));
    } else if (shared) {
      s.fail("id", fmt::format("ensemble {} has no group, but ensemble {} is already the shared ensemble; "
                               "expected exactly one",
                               e.id.value, shared->value));
    } else {
      shared = e.id;
    }
    ensembles.push_back(std::move(e));
  }
  for (const GroupConfig& g : groups) {
    if (!by_group.count(g.id)) {
      ridge.fail("ensembles", fmt::format("group {} has no ensemble; expected one [[ridge.ensembles]] with group = {}",
                                          g.id.value, g.id.value));
    }
  }
  if (groups.size() >= 2 && !shared) {
    ridge.fail("ensembles", fmt::format("expected a shared ensemble (one without group) for messages to several of "
                                        "the {} groups",
                                        groups.size()));
  }
  std::sort(ensembles.begin(), ensembles.end(),
            [](const EnsembleConfig& a, const EnsembleConfig& b) { return a.id < b.id; });
  return ensembles;
}

}  // namespace

RidgeConfig RidgeConfig::from(const ClusterConfig& cluster) {
  const ConfigSection ridge = cluster.section("ridge");
  if (!ridge.present()) {
    ConfigSection(cluster.root, cluster.file, "")
        .fail("ridge", "missing; expected a [ridge] section with [[ridge.groups]] and [[ridge.ensembles]]");
  }
  RidgeConfig r;
  load_knobs(r, ridge, cluster);
  check_knob_relations(r, ridge);
  r.groups = load_groups(ridge, cluster);
  r.ensembles = load_ensembles(ridge, cluster, r.groups);
  // Each ensemble needs a value of the final timestamps' low bits of its own.
  if (r.unique_timestamps && r.ensembles.size() > StreamMerger::kTimestampTags) {
    ridge.fail("unique_timestamps", fmt::format("expected at most {} ensembles when on (each ensemble owns a value of "
                                                "the final timestamps' low {} bits), got {}",
                                                StreamMerger::kTimestampTags, StreamMerger::kTimestampTagBits,
                                                r.ensembles.size()));
  }
  ridge.reject_unknown_keys();
  return r;
}

// Lookups scan linearly rather than binary-search: deployments have a handful of groups, and a
// RidgeConfig built by hand in a test stays correct even if its vectors are not sorted.

const EnsembleConfig& RidgeConfig::ensemble(EnsembleId id) const {
  for (const EnsembleConfig& e : ensembles) {
    if (e.id == id) return e;
  }
  throw std::invalid_argument(fmt::format("unknown ensemble {}", id.value));
}

const GroupConfig& RidgeConfig::group(GroupId id) const {
  for (const GroupConfig& g : groups) {
    if (g.id == id) return g;
  }
  throw std::invalid_argument(fmt::format("unknown group {}", id.value));
}

std::optional<EnsembleId> RidgeConfig::shared_ensemble() const {
  for (const EnsembleConfig& e : ensembles) {
    if (!e.group) return e.id;
  }
  return std::nullopt;
}

EnsembleId RidgeConfig::ensemble_for(std::span<const GroupId> destinations) const {
  if (destinations.empty()) throw std::invalid_argument("a message needs at least one destination group");
  for (const GroupId g : destinations) (void)group(g);  // throws for an unknown group
  if (destinations.size() == 1) {
    for (const EnsembleConfig& e : ensembles) {
      if (e.group == destinations.front()) return e.id;
    }
    throw std::invalid_argument(fmt::format("group {} has no ensemble", destinations.front().value));
  }
  const std::optional<EnsembleId> shared = shared_ensemble();
  if (!shared) throw std::invalid_argument("several destination groups but no shared ensemble");
  return *shared;
}

std::vector<GroupId> RidgeConfig::groups_of(NodeId node) const {
  std::vector<GroupId> out;
  for (const GroupConfig& g : groups) {
    if (std::find(g.learners.begin(), g.learners.end(), node) != g.learners.end()) out.push_back(g.id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every member of any group learns the shared ensemble, even a member of a single group: a
// multi-group message addressed to its group is ordered there (§5.3.1; Algorithm 5 of the
// thesis subscribes only processes of several groups, which would lose such messages).
std::vector<EnsembleId> RidgeConfig::ensembles_learned_by(NodeId node) const {
  const std::vector<GroupId> mine = groups_of(node);
  std::vector<EnsembleId> out;
  if (mine.empty()) return out;
  for (const EnsembleConfig& e : ensembles) {
    const bool own = e.group && std::find(mine.begin(), mine.end(), *e.group) != mine.end();
    if (own || (!e.group && groups.size() >= 2)) out.push_back(e.id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::map<EnsembleId, std::uint32_t> RidgeConfig::timestamp_tags() const {
  std::vector<EnsembleId> ids;
  for (const EnsembleConfig& e : ensembles) ids.push_back(e.id);
  std::sort(ids.begin(), ids.end());
  std::map<EnsembleId, std::uint32_t> tags;
  for (std::size_t i = 0; i < ids.size(); ++i) tags.emplace(ids[i], static_cast<std::uint32_t>(i));
  return tags;
}

std::vector<NodeId> RidgeConfig::learners_of(EnsembleId id) const {
  const EnsembleConfig& e = ensemble(id);
  if (e.group) return group(*e.group).learners;
  std::vector<NodeId> out;
  for (const GroupConfig& g : groups) out.insert(out.end(), g.learners.begin(), g.learners.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace eyrie::multicast
