#include "tests/checkers/multicast_checker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <span>

#include "multicast/stream_merger.hpp"

namespace eyrie::check {

namespace {

using multicast::GroupId;
using multicast::MessageId;

std::string label(const LearnerLog& log) {
  return fmt::format("{} incarnation {}", to_string(log.node), log.incarnation);
}

std::string groups_text(std::span<const GroupId> groups) {
  std::string out;
  for (const GroupId g : groups) out += fmt::format("{}{}", out.empty() ? "" : ", ", g.value);
  return "{" + out + "}";
}

bool intersects(std::span<const GroupId> a, std::span<const GroupId> b) {
  return std::any_of(a.begin(), a.end(), [&](GroupId g) { return std::find(b.begin(), b.end(), g) != b.end(); });
}

bool has(std::span<const GroupId> groups, GroupId g) { return std::find(groups.begin(), groups.end(), g) != groups.end(); }

// One check of one history. Every check runs (counts stay meaningful) and the first violation
// found is the one reported: later ones are often its consequences.
class Run {
 public:
  explicit Run(const MulticastHistory& history) : h_(history) {}
  MulticastReport check();

 private:
  using Position = std::pair<MessageId, const LearnerLog*>;

  void violation(std::string what) {
    ++report_.violations;
    if (report_.first_violations.size() < MulticastReport::kSamplesMax) report_.first_violations.push_back(std::move(what));
  }
  void index_sent();
  void check_incarnations();
  void check_log(const LearnerLog& log);
  void check_delivery(const LearnerLog& log, std::size_t i, std::set<MessageId>& seen);
  void check_tag(const ConservativeDelivery& d, const std::string& what);
  void check_unique_final_timestamps();
  void check_positions_agree(const LearnerLog& log);
  void check_group_prefixes();
  void check_acyclic();
  void check_optimistic(const LearnerLog& log);
  void check_everyone_delivered();
  // What `log`'s node has delivered, its checkpointed prefix included; nullopt when unknown.
  std::optional<std::set<MessageId>> delivered_by(const LearnerLog& log) const;

  const MulticastHistory& h_;
  MulticastReport report_;
  std::map<MessageId, const SentMulticast*> sent_;
  // The first (final timestamp, ensemble) seen for each message, and where.
  std::map<MessageId, std::pair<ConservativeDelivery, const LearnerLog*>> delivered_;
  // Logs with the same groups merge the same streams: their sequences agree position by position.
  std::map<std::vector<GroupId>, std::map<std::uint64_t, Position>> by_groups_;
};

MulticastReport Run::check() {
  report_.messages_sent = h_.sent.size();
  report_.logs = h_.logs.size();
  index_sent();
  check_incarnations();
  for (const LearnerLog& log : h_.logs) check_log(log);
  report_.messages_delivered = delivered_.size();
  if (!h_.timestamp_tags.empty()) check_unique_final_timestamps();
  for (const LearnerLog& log : h_.logs) check_positions_agree(log);
  check_group_prefixes();
  check_acyclic();
  for (const LearnerLog& log : h_.logs) check_optimistic(log);
  if (h_.settled) check_everyone_delivered();
  if (report_.violations > 0) {
    std::string reason = report_.first_violations.front();
    if (report_.violations > 1) reason += fmt::format(" (and {} more violations)", report_.violations - 1);
    report_.result = CheckResult::failed(std::move(reason));
  }
  return report_;
}

void Run::index_sent() {
  for (const SentMulticast& m : h_.sent) {
    if (!sent_.emplace(m.id, &m).second) violation(fmt::format("history: message {} sent twice", to_string(m.id)));
  }
}

// The history itself must make sense: a node keeps its groups across restarts, and only its
// last incarnation can be alive at the end.
void Run::check_incarnations() {
  std::map<NodeId, const LearnerLog*> last;
  for (const LearnerLog& log : h_.logs) {
    auto [it, fresh] = last.emplace(log.node, &log);
    if (fresh) continue;
    if (it->second->groups != log.groups) {
      violation(fmt::format("history: {} has groups {} but {} had {}", label(log), groups_text(log.groups),
                            label(*it->second), groups_text(it->second->groups)));
    }
    if (it->second->incarnation == log.incarnation) violation(fmt::format("history: two logs of {}", label(log)));
    if (it->second->incarnation < log.incarnation) it->second = &log;
  }
  for (const LearnerLog& log : h_.logs) {
    if (log.correct && last.at(log.node) != &log) {
      violation(fmt::format("history: {} is marked correct but is not its node's last incarnation", label(log)));
    }
  }
}

void Run::check_log(const LearnerLog& log) {
  report_.conservative_deliveries += log.conservative.size();
  std::set<MessageId> seen;
  for (std::size_t i = 0; i < log.conservative.size(); ++i) check_delivery(log, i, seen);
}

void Run::check_delivery(const LearnerLog& log, std::size_t i, std::set<MessageId>& seen) {
  const ConservativeDelivery& d = log.conservative[i];
  const std::string what = fmt::format("{} delivered {} at position {}", label(log), to_string(d.id), d.position);
  if (d.position != log.first_position + i) {
    violation(fmt::format("integrity: {}, expected position {} (positions have no gaps)", what,
                          log.first_position + i));
  }
  if (!seen.insert(d.id).second) violation(fmt::format("integrity: {} a second time", what));
  const auto sent = sent_.find(d.id);
  if (sent == sent_.end()) {
    violation(fmt::format("integrity: {}, which was never sent", what));
  } else if (sent->second->destinations != d.destinations || sent->second->payload_hash != d.payload_hash) {
    violation(fmt::format("integrity: {} with destinations {} and payload hash {:x}, but it was sent with {} and {:x}",
                          what, groups_text(d.destinations), d.payload_hash, groups_text(sent->second->destinations),
                          sent->second->payload_hash));
  }
  if (!intersects(d.destinations, log.groups)) {
    violation(fmt::format("integrity: {}, addressed to {}, but the learner belongs to {}", what,
                          groups_text(d.destinations), groups_text(log.groups)));
  }
  const auto [first, fresh] = delivered_.try_emplace(d.id, d, &log);
  const ConservativeDelivery& other = first->second.first;
  if (!fresh && (other.final_timestamp != d.final_timestamp || other.ensemble != d.ensemble)) {
    violation(fmt::format("final timestamps: {} with final timestamp {} from ensemble {}, but {} gave it {} from "
                          "ensemble {}",
                          what, to_ns(d.final_timestamp), d.ensemble.value, label(*first->second.second),
                          to_ns(other.final_timestamp), other.ensemble.value));
  }
  if (!h_.timestamp_tags.empty()) check_tag(d, what);
  if (i > 0) {
    const ConservativeDelivery& prev = log.conservative[i - 1];
    if (std::pair(prev.final_timestamp, prev.ensemble) >= std::pair(d.final_timestamp, d.ensemble)) {
      violation(fmt::format("final timestamps: {} with (final timestamp, ensemble) ({}, {}) after {} with ({}, {}): "
                            "expected strictly increasing",
                            what, to_ns(d.final_timestamp), d.ensemble.value, to_string(prev.id),
                            to_ns(prev.final_timestamp), prev.ensemble.value));
    }
  }
}

void Run::check_tag(const ConservativeDelivery& d, const std::string& what) {
  const auto tag = h_.timestamp_tags.find(d.ensemble);
  const std::uint32_t bits = multicast::StreamMerger::timestamp_tag(d.final_timestamp);
  if (tag == h_.timestamp_tags.end()) {
    violation(fmt::format("final timestamps: {} from ensemble {}, which has no timestamp tag", what, d.ensemble.value));
  } else if (bits != tag->second) {
    violation(fmt::format("final timestamps: {} with final timestamp {}, whose low bits are {}, but ensemble {} has "
                          "tag {}",
                          what, to_ns(d.final_timestamp), bits, d.ensemble.value, tag->second));
  }
}

// One entry per message (the first delivery seen; check_delivery reports logs that disagree).
void Run::check_unique_final_timestamps() {
  std::map<WallTime, MessageId> by_final;
  for (const auto& [id, first] : delivered_) {
    const auto [it, fresh] = by_final.try_emplace(first.first.final_timestamp, id);
    if (!fresh) {
      violation(fmt::format("final timestamps: {} and {} share final timestamp {}, expected unique ones", to_string(it->second),
                            to_string(id), to_ns(first.first.final_timestamp)));
    }
  }
}

void Run::check_positions_agree(const LearnerLog& log) {
  auto& positions = by_groups_[log.groups];
  for (const ConservativeDelivery& d : log.conservative) {
    const auto [it, fresh] = positions.try_emplace(d.position, d.id, &log);
    if (!fresh && it->second.first != d.id) {
      violation(fmt::format("prefix order: {} delivered {} at position {}, but {} (same groups {}) delivered {} there",
                            label(log), to_string(d.id), d.position, label(*it->second.second),
                            groups_text(log.groups), to_string(it->second.first)));
    }
  }
}

// All subsequences of one group are pairwise prefix-related iff each is a prefix of the longest.
void Run::check_group_prefixes() {
  std::map<GroupId, std::vector<std::pair<const LearnerLog*, std::vector<MessageId>>>> per_group;
  for (const LearnerLog& log : h_.logs) {
    if (log.first_position != 1) continue;
    for (const GroupId g : log.groups) {
      std::vector<MessageId> seq;
      for (const ConservativeDelivery& d : log.conservative) {
        if (has(d.destinations, g)) seq.push_back(d.id);
      }
      per_group[g].emplace_back(&log, std::move(seq));
    }
  }
  for (const auto& [g, seqs] : per_group) {
    const auto longest = std::max_element(seqs.begin(), seqs.end(), [](const auto& a, const auto& b) {
      return a.second.size() < b.second.size();
    });
    for (const auto& [log, seq] : seqs) {
      const auto diff = std::mismatch(seq.begin(), seq.end(), longest->second.begin());
      if (diff.first == seq.end()) continue;
      const std::size_t k = static_cast<std::size_t>(diff.first - seq.begin());
      violation(fmt::format("prefix order: the messages of group {} differ at their {}th: {} delivered {}, {} "
                            "delivered {}",
                            g.value, k + 1, label(*log), to_string(*diff.first), label(*longest->first),
                            to_string(*diff.second)));
    }
  }
}

// Kahn's algorithm over consecutive-delivery edges; what it cannot remove lies on or behind a
// cycle, and walking predecessors from there must revisit a message of the cycle.
void Run::check_acyclic() {
  std::map<MessageId, std::size_t> index;
  for (const auto& [id, first] : delivered_) index.emplace(id, index.size());
  struct Edge {
    std::size_t other;
    const LearnerLog* log;
  };
  std::vector<std::vector<Edge>> successors(index.size()), predecessors(index.size());
  std::vector<std::size_t> indegree(index.size(), 0);
  for (const LearnerLog& log : h_.logs) {
    for (std::size_t i = 1; i < log.conservative.size(); ++i) {
      const std::size_t from = index.at(log.conservative[i - 1].id), to = index.at(log.conservative[i].id);
      successors[from].push_back({to, &log});
      predecessors[to].push_back({from, &log});
      ++indegree[to];
      ++report_.order_edges;
    }
  }
  std::vector<std::size_t> ready;
  for (std::size_t v = 0; v < indegree.size(); ++v) {
    if (indegree[v] == 0) ready.push_back(v);
  }
  while (!ready.empty()) {
    const std::size_t v = ready.back();
    ready.pop_back();
    for (const Edge& e : successors[v]) {
      if (--indegree[e.other] == 0) ready.push_back(e.other);
    }
  }
  const auto stuck = std::find_if(indegree.begin(), indegree.end(), [](std::size_t d) { return d > 0; });
  if (stuck == indegree.end()) return;
  std::vector<MessageId> ids(index.size());
  for (const auto& [id, v] : index) ids[v] = id;
  std::vector<std::size_t> seen_at(index.size(), SIZE_MAX);
  std::vector<std::string> steps;  // edges walked backwards
  std::size_t v = static_cast<std::size_t>(stuck - indegree.begin());
  while (seen_at[v] == SIZE_MAX) {
    seen_at[v] = steps.size();
    const auto pred = std::find_if(predecessors[v].begin(), predecessors[v].end(),
                                   [&](const Edge& e) { return indegree[e.other] > 0; });
    steps.push_back(fmt::format("{} before {} at {}", to_string(ids[pred->other]), to_string(ids[v]), label(*pred->log)));
    v = pred->other;
  }
  std::string cycle;
  for (std::size_t i = steps.size(); i-- > seen_at[v];) cycle += fmt::format("{}{}", cycle.empty() ? "" : "; ", steps[i]);
  violation("atomic order: the delivery order has a cycle: " + cycle);
}

void Run::check_optimistic(const LearnerLog& log) {
  if (!log.optimistic) return;
  const std::vector<MessageId>& opt = *log.optimistic;
  report_.optimistic_deliveries += opt.size();
  const std::size_t common = std::min(opt.size(), log.conservative.size());
  report_.optimistic_compared += common;
  for (std::size_t i = 0; i < common; ++i) report_.optimistic_mistakes += opt[i] != log.conservative[i].id ? 1 : 0;
  std::set<MessageId> opt_set;
  for (const MessageId& id : opt) {
    if (!opt_set.insert(id).second) violation(fmt::format("equivalence: {} opt-delivered {} twice", label(log), to_string(id)));
  }
  std::set<MessageId> cons_set;
  for (const ConservativeDelivery& d : log.conservative) {
    cons_set.insert(d.id);
    if (!opt_set.count(d.id)) {
      violation(fmt::format("equivalence: {} cons-delivered {} without opt-delivering it", label(log), to_string(d.id)));
    }
  }
  if (!h_.settled || !log.correct) return;
  for (const MessageId& id : opt) {
    if (!cons_set.count(id)) {
      violation(fmt::format("equivalence: correct {} opt-delivered {} but never cons-delivered it", label(log),
                            to_string(id)));
    }
  }
}

std::optional<std::set<MessageId>> Run::delivered_by(const LearnerLog& log) const {
  std::set<MessageId> out;
  for (const ConservativeDelivery& d : log.conservative) out.insert(d.id);
  if (log.first_position == 1) return out;
  const auto& positions = by_groups_.at(log.groups);
  for (std::uint64_t p = 1; p < log.first_position; ++p) {
    const auto it = positions.find(p);
    if (it == positions.end()) return std::nullopt;
    out.insert(it->second.first);
  }
  return out;
}

// Validity and uniform agreement: each message that must be delivered (sent by a correct
// sender, or delivered anywhere) is delivered by every correct learner of its destinations.
void Run::check_everyone_delivered() {
  for (const LearnerLog& log : h_.logs) {
    if (!log.correct) continue;
    const std::optional<std::set<MessageId>> got = delivered_by(log);
    if (!got) {
      ++report_.logs_not_judged;
      continue;
    }
    for (const SentMulticast& m : h_.sent) {
      if (!intersects(m.destinations, log.groups) || got->count(m.id)) continue;
      const auto elsewhere = delivered_.find(m.id);
      if (elsewhere != delivered_.end()) {
        violation(fmt::format("uniform agreement: {} delivered {} (to {}), but correct {} never did",
                              label(*elsewhere->second.second), to_string(m.id), groups_text(m.destinations),
                              label(log)));
      } else if (m.sender_correct) {
        violation(fmt::format("validity: {} (to {}) from a correct sender was never delivered by correct {}",
                              to_string(m.id), groups_text(m.destinations), label(log)));
      }
    }
  }
}

}  // namespace

MulticastReport MulticastChecker::check(const MulticastHistory& history) { return Run(history).check(); }

}  // namespace eyrie::check
