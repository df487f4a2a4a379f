// WatchChecker (tests/checkers/volery_watch_checker.hpp): what it accepts and what it catches,
// on hand-written session logs.

#include "tests/checkers/volery_watch_checker.hpp"

#include <gtest/gtest.h>

namespace eyrie::check::volery {
namespace {

using zk::EventType;

constexpr zk::SessionId kA = 11;
constexpr zk::SessionId kB = 22;
const zk::PartitionId kP1{1};
const zk::PartitionId kP2{2};

// Paths under /one live in partition 1, the rest in partition 2.
WatchChecker make() {
  const auto owner = [](const std::string& path) { return path.starts_with("/one") ? kP1 : kP2; };
  return WatchChecker(owner, [owner](const zk::Op& op) {
    return std::vector<zk::PartitionId>{owner(std::visit([](const auto& o) -> std::string {
      if constexpr (requires { o.path; }) return o.path;
      return "/";
    }, op))};
  });
}

zk::Reply reply(zk::Zxid zxid, zk::Code code = zk::Code::ok) {
  zk::Reply r;
  r.zxid = zxid;
  r.result.code = code;
  return r;
}

zk::WatchEvent event(zk::SessionId s, EventType type, std::string path, zk::Zxid zxid, std::uint64_t number = 1) {
  const zk::PartitionId partition = path.starts_with("/one") ? kP1 : kP2;
  return zk::WatchEvent{.session = s, .type = type, .path = std::move(path), .partition = partition, .number = number,
                        .zxid = zxid, .acl = {}};
}

// A watches /one/x at 10; B changes it at 20; A gets the event, then reads at 30.
void normal_history(WatchChecker& c) {
  c.replied(kA, c.submitted(kA, zk::GetData{"/one/x", true}), reply(10));
  c.replied(kB, c.submitted(kB, zk::SetData{"/one/x", "v"}), reply(20));
  c.event(event(kA, EventType::node_data_changed, "/one/x", 20));
  c.replied(kA, c.submitted(kA, zk::GetData{"/one/x"}), reply(30));
}

TEST(VoleryWatchChecker, acceptsWatchesThatFireOnceBeforeLaterReplies) {
  WatchChecker c = make();
  normal_history(c);
  EXPECT_TRUE(c.check().passed()) << c.check().reason();
  EXPECT_EQ(c.events(), 1u);
  EXPECT_EQ(c.watches_set(), 1u);
}

TEST(VoleryWatchChecker, catchesAnEventDeliveredTwice) {
  WatchChecker c = make();
  normal_history(c);
  c.event(event(kA, EventType::node_data_changed, "/one/x", 20));
  EXPECT_NE(c.check().reason().find("delivered twice"), std::string::npos) << c.check().reason();
}

TEST(VoleryWatchChecker, catchesASecondFiringOfAOneShotWatch) {
  WatchChecker c = make();
  normal_history(c);
  c.replied(kB, c.submitted(kB, zk::SetData{"/one/x", "w"}), reply(40));
  c.event(event(kA, EventType::node_data_changed, "/one/x", 40, 2));
  EXPECT_NE(c.check().reason().find("fired no watch"), std::string::npos) << c.check().reason();
}

TEST(VoleryWatchChecker, catchesAnEventHandedOutAfterAReplyThatReflectsIt) {
  WatchChecker c = make();
  c.replied(kA, c.submitted(kA, zk::GetData{"/one/x", true}), reply(10));
  c.replied(kB, c.submitted(kB, zk::SetData{"/one/x", "v"}), reply(20));
  c.replied(kA, c.submitted(kA, zk::GetData{"/one/x"}), reply(30));
  c.event(event(kA, EventType::node_data_changed, "/one/x", 20));
  EXPECT_NE(c.check().reason().find("handed out after the reply"), std::string::npos) << c.check().reason();
}

TEST(VoleryWatchChecker, allowsAnEventAfterAReplyFromAnotherPartition) {
  WatchChecker c = make();
  c.replied(kA, c.submitted(kA, zk::GetData{"/one/x", true}), reply(10));
  c.replied(kB, c.submitted(kB, zk::SetData{"/one/x", "v"}), reply(20));
  c.replied(kA, c.submitted(kA, zk::GetData{"/two/y"}), reply(30));  // partition 2: no mark for partition 1
  c.event(event(kA, EventType::node_data_changed, "/one/x", 20));
  EXPECT_TRUE(c.check().passed()) << c.check().reason();
}

TEST(VoleryWatchChecker, catchesAWatchThatNeverFired) {
  WatchChecker c = make();
  c.replied(kA, c.submitted(kA, zk::Exists{"/one/x", true}), reply(10, zk::Code::no_node));
  zk::Reply created = reply(20);
  created.result.path = "/one/x";
  c.replied(kB, c.submitted(kB, zk::Create{"/one/x", "", zk::open_acl()}), created);
  EXPECT_NE(c.check().reason().find("never fired"), std::string::npos) << c.check().reason();
}

TEST(VoleryWatchChecker, excusesAWatchOfASessionThatEndedBeforeTheChange) {
  WatchChecker c = make();
  c.replied(kA, c.submitted(kA, zk::Exists{"/one/x", true}), reply(10, zk::Code::no_node));
  c.ended(kA, 15);
  zk::Reply created = reply(20);
  created.result.path = "/one/x";
  c.replied(kB, c.submitted(kB, zk::Create{"/one/x", "", zk::open_acl()}), created);
  EXPECT_TRUE(c.check().passed()) << c.check().reason();
}

TEST(VoleryWatchChecker, catchesRepliesOutOfRequestOrder) {
  WatchChecker c = make();
  const auto first = c.submitted(kA, zk::GetData{"/one/x"});
  const auto second = c.submitted(kA, zk::GetData{"/one/y"});
  c.replied(kA, second, reply(20));
  c.replied(kA, first, reply(10));
  EXPECT_NE(c.check().reason().find("handed out where request 1 was next"), std::string::npos) << c.check().reason();
}

TEST(VoleryWatchChecker, catchesARequestThatRanBeforeItsPredecessor) {
  WatchChecker c = make();
  c.replied(kA, c.submitted(kA, zk::GetData{"/one/x"}), reply(20));
  c.replied(kA, c.submitted(kA, zk::GetData{"/two/y"}), reply(15));
  EXPECT_NE(c.check().reason().find("not after its predecessor"), std::string::npos) << c.check().reason();
}

TEST(VoleryWatchChecker, catchesEventsOfOnePartitionOutOfOrder) {
  WatchChecker c = make();
  c.replied(kA, c.submitted(kA, zk::GetData{"/one/x", true}), reply(10));
  c.replied(kA, c.submitted(kA, zk::GetChildren{"/one", true}), reply(11));
  c.event(event(kA, EventType::node_children_changed, "/one", 30, 2));
  c.event(event(kA, EventType::node_data_changed, "/one/x", 20, 1));
  EXPECT_NE(c.check().reason().find("from the same partition"), std::string::npos) << c.check().reason();
}

TEST(VoleryWatchChecker, toleratesUnknownWatchesOfUnansweredReads) {
  WatchChecker c = make();
  (void)c.submitted(kA, zk::GetData{"/one/x", true});  // never answered: it may have set a watch
  c.event(event(kA, EventType::node_data_changed, "/one/x", 20));
  EXPECT_TRUE(c.check().passed()) << c.check().reason();
}

}  // namespace
}  // namespace eyrie::check::volery
