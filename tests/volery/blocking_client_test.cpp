// BlockingVoleryClient without a cluster to answer it: every wait ends at its limit with
// ConnectionLoss, a session the gateway does not hold answers SessionExpired at once, and
// nothing is queued. (With a cluster: tests/integration/volery_processes_test.cpp.)

#include <gtest/gtest.h>

#include "apps/volery/blocking_client.hpp"
#include "tests/net/test_cluster.hpp"

namespace eyrie::volery {
namespace {

using namespace std::chrono_literals;

// One volery node that is never started.
constexpr std::string_view kSections = R"([ridge]
unique_timestamps = true

[[ridge.groups]]
id = 1
learners = [1]

[[ridge.ensembles]]
id = 1
group = 1
coordinators = [1]
acceptors = [1]
)";

class BlockingVoleryClientTest : public ::testing::Test {
 protected:
  net::testing::TempDir dir;
  VoleryCluster cluster{net::testing::parse_cluster(net::testing::cluster_toml(1, {"volery"}, std::string(kSections)),
                                                    dir.path())};
  BlockingVoleryClient client{cluster, BlockingVoleryClientOptions{.client = {}, .wait_limit = 300ms,
                                                                   .queued_max = 16, .log_level = LogLevel::off}};
};

TEST_F(BlockingVoleryClientTest, openSession_noClusterAnswers_connectionLossAtTheWaitLimit) {
  const auto started = std::chrono::steady_clock::now();
  const Reply reply = client.open_session(10'000);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(reply.result.code, Code::connection_loss);
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 5s) << "the wait is bounded by wait_limit";
  EXPECT_FALSE(client.client().holds(reply.result.session));
}

TEST_F(BlockingVoleryClientTest, call_sessionNotHeld_sessionExpiredAtOnce) {
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(client.call(42, GetData{"/a", false}).result.code, Code::session_expired);
  EXPECT_EQ(client.close_session(42).result.code, Code::session_expired);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 300ms) << "answered without waiting";
  EXPECT_TRUE(client.take_events().empty());
  EXPECT_TRUE(client.take_expired().empty());
  EXPECT_EQ(client.dropped(), 0u);
}

TEST_F(BlockingVoleryClientTest, submit_repliesComeThroughRunUntil) {
  int replies = 0;
  client.submit(7, Exists{"/x", false}, [&](const Reply& r) {
    EXPECT_EQ(r.result.code, Code::session_expired);
    ++replies;
  });
  EXPECT_TRUE(client.run_until([&] { return replies == 1; }, 1s));
  EXPECT_FALSE(client.run_until([] { return false; }, 50ms)) << "run_until reports a condition that never held";
}

}  // namespace
}  // namespace eyrie::volery
