#pragma once
// MulticastChecker: the properties of optimistic atomic multicast (Bezerra, Scalable State
// Machine Replication, USI 2016, §5.1 and ch. 2), judged over the delivery logs of a finished
// run (simulated or real). A restart is a new incarnation with a log of its own.
//
// Safety, always checked:
// - integrity: no message twice in a log; every delivery matches a sent message (same
//   destinations and payload hash); only members of a destination group deliver; positions
//   run first_position, first_position + 1, ... without gaps.
// - final timestamps: a message has the same (final timestamp, ensemble) in every log, and
//   (final timestamp, ensemble) strictly increases along each log. Final timestamps alone may
//   repeat across ensembles: the merge breaks such ties by ensemble id. Unless the history
//   gives timestamp tags ([ridge] unique_timestamps): then every final timestamp carries its
//   ensemble's tag in its low bits, and no two messages share a final timestamp.
// - atomic order: the union over all logs (crashed incarnations included) of "delivered
//   before" is acyclic; consecutive deliveries give the edges, since each log is a chain.
// - prefix order: for logs that start at position 1, the subsequences of the messages of a
//   group both learners belong to are prefix-related; logs with the same groups (incarnations
//   of one node in particular) agree position by position, since they merge the same streams.
// - equivalence, where optimistic deliveries are recorded: nothing is opt-delivered twice,
//   and a cons-delivered message was opt-delivered (the learner opt-delivers it at the latest
//   then, §5.3.4).
//
// At the end of a settled run (faults stopped, everything in flight arrived), also:
// - validity: a message whose sender stayed correct reaches every correct learner of its
//   destination groups;
// - uniform agreement: a message delivered by any incarnation, even one that crashed later,
//   reaches every correct learner of its destination groups;
// - equivalence, the other way: a correct learner cons-delivered everything it opt-delivered.
//
// A learner that resumed from a checkpoint (first_position p > 1) is credited with the
// messages at positions < p of the logs with the same groups; when no log covers those
// positions it cannot be judged for validity or agreement, and is counted, not failed.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "multicast/types.hpp"
#include "tests/checkers/check_result.hpp"

namespace eyrie::check {

struct SentMulticast {
  multicast::MessageId id;
  std::vector<multicast::GroupId> destinations;  // sorted, unique
  std::uint64_t payload_hash = 0;
  bool sender_correct = true;  // the sender stayed up to the end: validity applies
};

struct ConservativeDelivery {
  multicast::MessageId id;
  std::vector<multicast::GroupId> destinations;
  std::uint64_t payload_hash = 0;
  WallTime final_timestamp{};
  multicast::EnsembleId ensemble;
  std::uint64_t position = 0;  // 1-based position in the learner's conservative sequence
};

// One incarnation of one learner.
struct LearnerLog {
  NodeId node;
  std::uint64_t incarnation = 0;
  std::vector<multicast::GroupId> groups;  // the groups the node belongs to, sorted
  bool correct = false;                    // alive at the end of the run (a node's last incarnation at most)
  std::uint64_t first_position = 1;        // 1: started from scratch; p > 1: resumed from a checkpoint of positions < p
  std::vector<ConservativeDelivery> conservative;                // in delivery order
  std::optional<std::vector<multicast::MessageId>> optimistic;  // in delivery order, when recorded
};

struct MulticastHistory {
  std::vector<SentMulticast> sent;
  std::vector<LearnerLog> logs;
  // Faults stopped and the run settled before the logs were taken: validity, uniform
  // agreement and opt => cons equivalence are checked only then.
  bool settled = true;
  // Non-empty when the run had unique final timestamps: every ensemble's tag
  // (RidgeConfig::timestamp_tags()).
  std::map<multicast::EnsembleId, std::uint32_t> timestamp_tags{};
};

struct MulticastReport {
  CheckResult result = CheckResult::ok();  // the first violation, and how many more followed
  std::uint64_t violations = 0;
  std::vector<std::string> first_violations;  // the first few, in the order found (at most kSamplesMax)
  static constexpr std::size_t kSamplesMax = 16;
  std::uint64_t messages_sent = 0;
  std::uint64_t logs = 0;
  std::uint64_t conservative_deliveries = 0;
  std::uint64_t optimistic_deliveries = 0;
  std::uint64_t messages_delivered = 0;  // distinct messages delivered by at least one log
  std::uint64_t order_edges = 0;
  std::uint64_t logs_not_judged = 0;  // resumed logs whose checkpointed prefix no log shows
  // Optimistic order quality (§5.1): over every log with optimistic deliveries, the indices i
  // present in both sequences, and those where the i-th deliveries differ.
  std::uint64_t optimistic_compared = 0;
  std::uint64_t optimistic_mistakes = 0;
  double mistake_rate() const {
    return optimistic_compared == 0 ? 0.0
                                    : static_cast<double>(optimistic_mistakes) / static_cast<double>(optimistic_compared);
  }
};

class MulticastChecker {
 public:
  static MulticastReport check(const MulticastHistory& history);
};

}  // namespace eyrie::check
