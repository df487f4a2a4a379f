#pragma once
// What the linearizability checker cannot see in a Volery history: watches and session order.
// Fed, per session, with what the client library handed to the application in the order it
// did (replies and watch events), it checks:
// - FIFO: replies come in request order, and their zxids (the order the service ran them in)
//   increase in that order;
// - exactly once: no event is delivered twice, and every event answers a watch that a read
//   of that session set, one-shot (an event consumes the watches it fires; a second event
//   needs a new read in between, in zxid order);
// - before replies: an event is delivered before any reply to that session from a command that
//   ran after it at the event's partition (ZooKeeper: a client sees the event before data that
//   reflects the change);
// - liveness: a watch set by a read, on a path that an acknowledged write then changed in a way
//   that fires it, produced an event by the end, unless the session ended first;
// - events from one partition arrive in zxid order.

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "apps/volery/types.hpp"
#include "tests/checkers/check_result.hpp"

namespace eyrie::check::volery {

namespace zk = ::eyrie::volery;

class WatchChecker {
 public:
  // owner(path): the partition that owns a path; destinations(op): where an op runs.
  WatchChecker(std::function<zk::PartitionId(const std::string&)> owner,
               std::function<std::vector<zk::PartitionId>(const zk::Op&)> destinations)
      : owner_(std::move(owner)), destinations_(std::move(destinations)) {}

  // The client library submitted `op` for `session`; returns its number in the session.
  std::uint64_t submitted(zk::SessionId session, const zk::Op& op);
  // The reply to request `number` reached the application.
  void replied(zk::SessionId session, std::uint64_t number, const zk::Reply& reply);
  void event(const zk::WatchEvent& event);
  // The session ended (closed, expired) with the command of this zxid.
  void ended(zk::SessionId session, zk::Zxid zxid);

  // Run after the history is complete.
  CheckResult check() const;
  std::size_t events() const { return events_; }
  std::size_t watches_set() const { return watches_set_; }

 private:
  struct Request {
    zk::Op op;
    std::optional<zk::Reply> reply;
  };
  struct Delivery {  // what the application saw, in order
    bool is_event = false;
    std::uint64_t request = 0;  // when a reply
    zk::WatchEvent event;       // when an event
  };
  struct Session {
    std::vector<Request> requests;  // index = number - 1
    std::vector<Delivery> log;
    std::optional<zk::Zxid> ended;
  };

  void fail(std::string reason) const {
    if (first_failure_.empty()) first_failure_ = std::move(reason);
  }

  std::function<zk::PartitionId(const std::string&)> owner_;
  std::function<std::vector<zk::PartitionId>(const zk::Op&)> destinations_;
  std::map<zk::SessionId, Session> sessions_;
  std::size_t events_ = 0;
  std::size_t watches_set_ = 0;
  mutable std::string first_failure_;
};

}  // namespace eyrie::check::volery
