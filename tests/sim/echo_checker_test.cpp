// EchoChecker on hand-written histories: it accepts a correct run and names each kind of
// violation. (echo_scenario_test.cpp shows it catching broken roles inside the simulator.)

#include "tests/checkers/echo_checker.hpp"

#include <gtest/gtest.h>

namespace eyrie::check {
namespace {

using namespace std::chrono_literals;
using echo::EchoEvent;

constexpr NodeId n1{1};
constexpr NodeId n2{2};

class EchoCheckerTest : public ::testing::Test {
 protected:
  EchoChecker checker_{[this] { return now_; }};
  Time now_{};

  // n1 (life 1) pings n2 (life 1) with seq 1 and body hash 42.
  EchoEvent ping() const {
    return EchoEvent{.from = n1, .to = n2, .seq = 1, .ping_incarnation = 1, .body_hash = 42};
  }
  EchoEvent pong() const {
    return EchoEvent{
        .from = n2, .to = n1, .seq = 1, .ping_incarnation = 1, .responder_incarnation = 1, .body_hash = 42};
  }
  void boot_both() {
    checker_.booted(n1, 1);
    checker_.booted(n2, 1);
  }
  std::string reason() const { return checker_.safety().reason(); }
};

TEST_F(EchoCheckerTest, acceptsACorrectRoundTrip) {
  boot_both();
  checker_.ping_sent(ping());
  checker_.ping_answered(pong());
  now_ = Time{3ms};
  checker_.pong_received(pong());
  checker_.pong_received(pong());  // a network duplicate is not a violation
  EXPECT_TRUE(checker_.safety().passed()) << reason();
  EXPECT_EQ(checker_.round_trips().size(), 2u);
}

TEST_F(EchoCheckerTest, catchesAnInventedPong) {
  boot_both();
  checker_.ping_sent(ping());
  checker_.pong_received(pong());  // n2 never answered
  EXPECT_FALSE(checker_.safety().passed());
  EXPECT_NE(reason().find("never gave"), std::string::npos) << reason();
}

TEST_F(EchoCheckerTest, catchesAnAlteredBody) {
  boot_both();
  checker_.ping_sent(ping());
  EchoEvent altered = pong();
  altered.body_hash = 43;
  checker_.ping_answered(altered);
  EXPECT_NE(reason().find("altered"), std::string::npos) << reason();
}

TEST_F(EchoCheckerTest, catchesAnAnswerToAPingNeverSent) {
  boot_both();
  checker_.ping_answered(pong());
  EXPECT_NE(reason().find("never sent"), std::string::npos) << reason();
}

TEST_F(EchoCheckerTest, catchesAnAnswerFromAnotherLifeOfTheResponder) {
  boot_both();
  checker_.ping_sent(ping());
  EchoEvent stale = pong();
  stale.responder_incarnation = 7;
  checker_.ping_answered(stale);
  EXPECT_NE(reason().find("current life"), std::string::npos) << reason();
}

TEST_F(EchoCheckerTest, catchesAReusedIncarnation) {
  checker_.booted(n1, 1);
  checker_.booted(n1, 2);
  EXPECT_TRUE(checker_.safety().passed());
  checker_.booted(n1, 2);
  EXPECT_NE(reason().find("strictly increase"), std::string::npos) << reason();
}

TEST_F(EchoCheckerTest, catchesAReusedPingId) {
  boot_both();
  checker_.ping_sent(ping());
  checker_.ping_sent(ping());
  EXPECT_NE(reason().find("reused"), std::string::npos) << reason();
}

TEST_F(EchoCheckerTest, reportsTheFirstViolationAndCountsTheRest) {
  boot_both();
  checker_.pong_received(pong());
  checker_.booted(n2, 1);
  EXPECT_NE(reason().find("never gave"), std::string::npos);
  EXPECT_NE(reason().find("and 1 more"), std::string::npos) << reason();
}

TEST_F(EchoCheckerTest, livenessNeedsARoundTripStartedAfterHealingPerPair) {
  boot_both();
  const std::vector<NodeId> live{n1, n2};
  const Time healed{10s};
  checker_.ping_sent(ping());  // at time 0: before healing, so it does not count
  checker_.ping_answered(pong());
  now_ = Time{11s};
  checker_.pong_received(pong());
  EXPECT_FALSE(checker_.liveness(live, healed, 5s).passed());

  now_ = Time{12s};
  EchoEvent p2 = ping();
  p2.seq = 2;
  EchoEvent q2 = pong();
  q2.seq = 2;
  checker_.ping_sent(p2);
  checker_.ping_answered(q2);
  now_ = Time{13s};
  checker_.pong_received(q2);
  const CheckResult one_way = checker_.liveness(live, healed, 5s);
  ASSERT_FALSE(one_way.passed()) << "n2 never completed a round trip with n1";
  EXPECT_NE(one_way.reason().find("n2 completed no ping/pong with n1"), std::string::npos) << one_way.reason();

  now_ = Time{14s};
  const EchoEvent p3{.from = n2, .to = n1, .seq = 1, .ping_incarnation = 1, .body_hash = 7};
  const EchoEvent q3{.from = n1, .to = n2, .seq = 1, .ping_incarnation = 1, .responder_incarnation = 1, .body_hash = 7};
  checker_.ping_sent(p3);
  checker_.ping_answered(q3);
  checker_.pong_received(q3);
  EXPECT_TRUE(checker_.liveness(live, healed, 5s).passed());
  EXPECT_FALSE(checker_.liveness(live, healed, 3s).passed()) << "n2's round trip ended 4 s after healing";
}

}  // namespace
}  // namespace eyrie::check
