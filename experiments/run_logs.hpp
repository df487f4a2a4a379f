#pragma once
// The logs of a multi-process Ridge run, as text files that MulticastChecker can judge
// (tests/checkers/multicast_checker.hpp): what a sender multicast (the sent log, written by
// `eyrie multicast load --sent-log`) and what each learner delivered (the delivery log, written
// by `eyrie node --delivery-log`).
//
// Both are append-only and flushed to the kernel at least every kFlushInterval, so a process
// killed with SIGKILL loses at most the tail written since; the readers drop a torn last line.
// A crashed incarnation's log is thus a prefix of what it delivered, which the checker accepts.
//
// Delivery log: one section per incarnation (a restarted node appends to the same file):
//   incarnation node=<id> groups=<g,g,...> optimistic=<0|1> pid=<pid>
//   c <sender> <seq> <destinations g,g> <payload fnv1a64, hex> <final timestamp ns> <ensemble>
//     <instance> <position> <initial timestamp ns> <delivered at, wall clock ns>
//   o <sender> <seq> <destinations> <ensemble> <position> <initial timestamp ns> <delivered at ns>
// Sent log: one section per sender run:
//   sender <id>
//   s <seq> <destinations> <payload fnv1a64, hex>
//   ...
//   unacknowledged <seq>          (one line per message never acknowledged, at the end)
//   end sent=<n> acknowledged=<n>
// A section without its `end` line belongs to a sender that did not finish: its messages are
// not owed to anyone (validity does not apply to them).

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "multicast/types.hpp"
#include "runtime/env.hpp"
#include "tests/checkers/multicast_checker.hpp"

namespace eyrie::experiments {

inline constexpr Duration kFlushInterval = std::chrono::milliseconds(10);

// An append-only text file with a user-space buffer, written with write(2). Throws
// std::system_error when the file cannot be opened or written.
class AppendFile {
 public:
  explicit AppendFile(const std::filesystem::path& path);
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  // Appends one line (without its '\n'); flushes when the buffer is large.
  void line(std::string_view text);
  void flush();

 private:
  static constexpr std::size_t kBufferBytes = 64 << 10;
  std::filesystem::path path_;
  int fd_ = -1;
  std::string buffer_;
};

// The delivery log of one learner incarnation, as a role of its node: the ridge role's delivery
// callbacks call conservative() and optimistic(); the role flushes every kFlushInterval.
class DeliveryLogWriter final : public Role {
 public:
  DeliveryLogWriter(Env& env, const std::filesystem::path& path, std::vector<multicast::GroupId> groups, bool optimistic);
  std::string_view name() const override { return "delivery-log"; }
  std::span<const MessageTypeRange> message_types() const override { return {}; }
  void start() override;
  void on_message(const Message&) override {}

  void conservative(const multicast::Delivery& delivery);
  void optimistic(const multicast::OptDelivery& delivery);

 private:
  void flush_tick();

  Env& env_;
  AppendFile file_;
};

// Every incarnation in a delivery log, in order: incarnation 1, 2, ... of the node, each with
// `correct` = false (the caller knows which one stayed up to the end). Throws
// std::runtime_error naming the file and line for anything malformed but a torn last line.
struct RecordedLearner {
  check::LearnerLog log;
  std::vector<WallTime> delivered_at;  // parallel to log.conservative
};
std::vector<RecordedLearner> read_delivery_log(const std::filesystem::path& path);

// The sent log of one sender run.
class SentLogWriter {
 public:
  SentLogWriter(const std::filesystem::path& path, NodeId sender);
  void sent(const multicast::MessageId& id, const std::vector<multicast::GroupId>& destinations, const Payload& payload);
  // Ends the section; `unacknowledged` are the seqs never acknowledged.
  void finish(std::uint64_t sent, const std::set<std::uint64_t>& unacknowledged);
  void flush() { file_.flush(); }

 private:
  AppendFile file_;
};

// Every message of every section; a message is sender_correct when its section ended and it
// was acknowledged. Throws std::runtime_error as read_delivery_log does.
std::vector<check::SentMulticast> read_sent_log(const std::filesystem::path& path);

// The history of a run from its logs: every sent log, and every incarnation of every delivery
// log, a node's incarnations numbered across files in the order given. A node's last
// incarnation counts as correct (up at the end of the run: stop the nodes only after the run
// settled), earlier ones as crashed.
check::MulticastHistory read_history(const std::vector<std::filesystem::path>& sent_logs,
                                     const std::vector<std::filesystem::path>& delivery_logs, bool settled);

}  // namespace eyrie::experiments
