// The echo scenario end to end: determinism of the trace, a batch of passing seeds, and broken
// roles planted in the simulation to prove that the checker fails when it should.

#include "tests/checkers/echo_scenario.hpp"

#include <gtest/gtest.h>

#include <set>

#include "apps/echo/echo.capnp.h"
#include "runtime/capnp_codec.hpp"
#include "tests/checkers/scenarios.hpp"

namespace eyrie::check {
namespace {

sim::ScenarioResult run_seed(const sim::Scenario& scenario, std::uint64_t seed) {
  return scenario.run(sim::ScenarioRun{.seed = seed});
}

TEST(EchoScenario, sameSeedGivesTheSameTraceTwiceInARow) {
  const EchoScenario scenario;
  const sim::ScenarioResult first = run_seed(scenario, 7);
  const sim::ScenarioResult second = run_seed(scenario, 7);
  EXPECT_TRUE(first.passed) << first.reason;
  EXPECT_EQ(first.trace, second.trace);
  EXPECT_EQ(first.stats.events, second.stats.events);
  EXPECT_EQ(first.summary, second.summary);
}

TEST(EchoScenario, differentSeedsGiveDifferentTraces) {
  const EchoScenario scenario;
  std::set<std::string> traces;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) traces.insert(run_seed(scenario, seed).trace);
  EXPECT_EQ(traces.size(), 10u);
}

// 100 seeds × 60 simulated seconds × 3–7 nodes ≈ 1.3 M pings: about 3 s in RelWithDebInfo on
// 2 cores, well under a minute with ASan/UBSan in Debug. `eyrie sim echo --seeds` runs more.
TEST(EchoScenario, passes100SeedsUnderFaults) {
  const EchoScenario scenario;
  std::uint64_t faults_seen = 0;
  for (std::uint64_t seed = 1000; seed < 1100; ++seed) {
    const sim::ScenarioResult result = run_seed(scenario, seed);
    ASSERT_TRUE(result.passed) << "seed " << seed << ": " << result.reason
                               << "\n  replay: eyrie sim echo --seed " << seed << " --verbose";
    faults_seen += result.stats.crashes + result.stats.messages_partitioned + result.stats.messages_dropped;
  }
  EXPECT_GT(faults_seen, 0u);
}

TEST(EchoScenario, isRegisteredAndStatesItsWorkload) {
  const sim::ScenarioRegistry registry = builtin_scenarios();
  const sim::Scenario* echo = registry.find("echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_NE(echo->description().find("3-7 nodes"), std::string::npos);
  EXPECT_NE(echo->description().find("60 simulated seconds"), std::string::npos);
  EXPECT_EQ(registry.find("no-such-scenario"), nullptr);
}

// --- Negative tests: each plants a broken role and expects the checker to say what broke. ---

// Answers pings with pongs whose body it made up, without telling the observer: the pinger's
// EchoRole accepts them (seq and incarnation match), and only the checker can tell.
class ForgingResponder final : public Role {
 public:
  explicit ForgingResponder(Env& env) : env_(env) {}
  std::string_view name() const override { return "forger"; }
  std::span<const MessageTypeRange> message_types() const override { return types_; }
  void start() override {}
  void on_message(const Message& message) override {
    if (message.type != echo::kPing) return;
    capnp::MallocMessageBuilder builder;
    auto pong = builder.initRoot<echo::wire::Pong>();
    const bool ok = read_capnp<echo::wire::Ping>(message.payload, [&](echo::wire::Ping::Reader ping) {
      pong.setSeq(ping.getSeq());
      pong.setPingIncarnation(ping.getIncarnation());
      pong.setResponderIncarnation(1);
      pong.setSentAtNs(ping.getSentAtNs());
      pong.initBody(ping.getBody().size());  // zeros instead of the echoed body
    }, nullptr);
    if (ok) env_.send(message.from, echo::kPong, encode_capnp(builder));
  }

 private:
  std::array<MessageTypeRange, 1> types_{message_types::kEcho};
  Env& env_;
};

EchoScenarioOptions with_node1(EchoScenarioOptions::MakeRoles node1_roles) {
  EchoScenarioOptions options;
  options.make_roles = [node1_roles](Env& env, echo::EchoObserver& observer, echo::EchoOptions echo_options) {
    if (env.self() == NodeId{1}) return node1_roles(env, observer, std::move(echo_options));
    std::vector<std::unique_ptr<Role>> roles;
    roles.push_back(std::make_unique<echo::EchoRole>(env, std::move(echo_options), &observer));
    return roles;
  };
  return options;
}

TEST(EchoScenarioNegative, aRoleThatInventsPongsIsCaught) {
  const EchoScenario scenario(with_node1([](Env& env, echo::EchoObserver&, echo::EchoOptions) {
    std::vector<std::unique_ptr<Role>> roles;
    roles.push_back(std::make_unique<ForgingResponder>(env));
    return roles;
  }));
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const sim::ScenarioResult result = run_seed(scenario, seed);
    ASSERT_FALSE(result.passed) << "seed " << seed;
    EXPECT_NE(result.reason.find("never gave"), std::string::npos) << result.reason;
  }
}

// An Env that hands its role a storage that forgets everything at every boot, so EchoRole's
// boot counter restarts at 1: the next life reuses an incarnation.
class ForgetfulEnv final : public Env {
 public:
  explicit ForgetfulEnv(Env& inner)
      : inner_(inner), memory_([this](std::function<void()> fn) { inner_.after(Duration::zero(), std::move(fn)); }) {}
  NodeId self() const override { return inner_.self(); }
  Time now() const override { return inner_.now(); }
  WallTime wall_clock() const override { return inner_.wall_clock(); }
  void send(NodeId to, MessageType type, Payload payload) override { inner_.send(to, type, std::move(payload)); }
  TimerId after(Duration delay, TimerFn fn) override { return inner_.after(delay, std::move(fn)); }
  void cancel(TimerId id) override { inner_.cancel(id); }
  Rng& rng() override { return inner_.rng(); }
  Storage& storage() override { return memory_; }
  Logger& log() override { return inner_.log(); }
  Metrics& metrics() override { return inner_.metrics(); }

 private:
  Env& inner_;
  MemoryStorage memory_;
};

// Owns the forgetful Env and the EchoRole that uses it, and forwards the Role interface.
class AmnesiacEcho final : public Role {
 public:
  AmnesiacEcho(Env& env, echo::EchoObserver& observer, echo::EchoOptions options)
      : env_(env), echo_(env_, std::move(options), &observer) {}
  std::string_view name() const override { return "amnesiac-echo"; }
  std::span<const MessageTypeRange> message_types() const override { return echo_.message_types(); }
  void start() override { echo_.start(); }
  void on_message(const Message& message) override { echo_.on_message(message); }

 private:
  ForgetfulEnv env_;
  echo::EchoRole echo_;
};

TEST(EchoScenarioNegative, aNodeThatReusesAnIncarnationIsCaught) {
  const EchoScenario scenario(with_node1([](Env& env, echo::EchoObserver& observer, echo::EchoOptions options) {
    std::vector<std::unique_ptr<Role>> roles;
    roles.push_back(std::make_unique<AmnesiacEcho>(env, observer, std::move(options)));
    return roles;
  }));
  // Node 1 restarts at the latest when the liveness phase begins, so every seed trips over it.
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const sim::ScenarioResult result = run_seed(scenario, seed);
    ASSERT_FALSE(result.passed) << "seed " << seed;
    EXPECT_NE(result.reason.find("strictly increase"), std::string::npos) << result.reason;
  }
}

TEST(EchoScenarioNegative, losingDisksBreaksEchoAndTheCheckerSaysSo) {
  EchoScenarioOptions options;
  options.disk_loss = true;
  const EchoScenario scenario(options);
  int caught = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const sim::ScenarioResult result = run_seed(scenario, seed);
    if (!result.passed) {
      ++caught;
      EXPECT_NE(result.reason.find("strictly increase"), std::string::npos) << result.reason;
    }
  }
  EXPECT_GT(caught, 0);
}

TEST(EchoScenarioNegative, aNodeThatNeverAnswersFailsLiveness) {
  const EchoScenario scenario(with_node1([](Env& env, echo::EchoObserver& observer, echo::EchoOptions options) {
    options.answer_pings = false;
    std::vector<std::unique_ptr<Role>> roles;
    roles.push_back(std::make_unique<echo::EchoRole>(env, std::move(options), &observer));
    return roles;
  }));
  const sim::ScenarioResult result = run_seed(scenario, 1);
  ASSERT_FALSE(result.passed);
  EXPECT_NE(result.reason.find("liveness"), std::string::npos) << result.reason;
  EXPECT_NE(result.reason.find("with n1"), std::string::npos) << result.reason;
}

}  // namespace
}  // namespace eyrie::check
