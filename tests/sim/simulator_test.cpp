// The simulator's rules, one test per rule: event order, no re-entrance, timers and lives,
// routing, invariant checks, and determinism of the trace.

#include "runtime/sim/simulator.hpp"

#include <gtest/gtest.h>

#include "tests/sim/probe_role.hpp"

namespace eyrie::sim {
namespace {

using namespace std::chrono_literals;
using testing::Journal;
using testing::kProbe;
using testing::probe;
using testing::quiet_options;
using testing::text;

constexpr NodeId n1{1};
constexpr NodeId n2{2};

Time at(Duration d) { return Time{d}; }

TEST(EventQueue, tiesAtOneTimeAreBrokenBySequenceNumber) {
  EventQueue queue(100);
  for (std::uint64_t id = 1; id <= 5; ++id) ASSERT_TRUE(queue.try_push(Event{.at = at(10ms), .id = id}));
  ASSERT_TRUE(queue.try_push(Event{.at = at(5ms), .id = 99}));
  EXPECT_EQ(queue.pop().id, 99u);
  for (std::uint64_t id = 1; id <= 5; ++id) EXPECT_EQ(queue.pop().id, id);
  EXPECT_TRUE(queue.empty());
}

TEST(EventQueue, refusesEventsBeyondItsCapacity) {
  EventQueue queue(2);
  EXPECT_TRUE(queue.try_push(Event{.at = at(1ms)}));
  EXPECT_TRUE(queue.try_push(Event{.at = at(1ms)}));
  EXPECT_FALSE(queue.try_push(Event{.at = at(1ms)}));
  EXPECT_EQ(queue.size(), 2u);
}

TEST(Simulator, timersDueAtTheSameTimeFireInTheOrderTheyWereSet) {
  Simulator sim(quiet_options());
  std::vector<int> fired;
  Journal journal;
  sim.add_node({.id = n1, .make_roles = probe(journal, [&](Env& env) {
                  for (int i = 0; i < 5; ++i) env.after(3ms, [&fired, i] { fired.push_back(i); });
                })});
  sim.boot(n1);
  sim.run_until(at(10ms));
  EXPECT_EQ(fired, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Simulator, sendNeverReentersTheSenderEvenToSelfWithZeroDelay) {
  auto options = quiet_options();
  options.network.latency = LatencyModel{.base = Duration::zero(), .jitter = Duration::zero()};
  Simulator sim(options);
  Journal journal;
  bool start_returned = false;
  bool timer_fired_inside_start = false;
  sim.add_node({.id = n1, .make_roles = probe(journal, [&](Env& env) {
                  env.send(env.self(), kProbe, text("to self"));
                  env.after(Duration::zero(), [&] { timer_fired_inside_start = !start_returned; });
                  EXPECT_TRUE(journal.seen.empty()) << "delivered synchronously inside send()";
                  start_returned = true;
                })});
  sim.boot(n1);
  EXPECT_TRUE(journal.seen.empty());
  sim.run_until(at(0ms));  // zero delay: everything is due now, yet only the loop runs it
  ASSERT_EQ(journal.seen.size(), 1u);
  EXPECT_EQ(journal.seen[0].from, n1);
  EXPECT_EQ(journal.seen[0].at, at(0ms));
  EXPECT_FALSE(timer_fired_inside_start);
}

TEST(Simulator, timersOfADeadIncarnationNeverFire) {
  Simulator sim(quiet_options());
  Journal journal;
  std::vector<std::pair<std::uint64_t, Time>> fired;  // (life, when)
  std::uint64_t life = 0;
  sim.add_node({.id = n1, .make_roles = probe(journal, [&](Env& env) {
                  const std::uint64_t mine = ++life;
                  env.after(50ms, [&fired, &env, mine] { fired.emplace_back(mine, env.now()); });
                })});
  sim.boot(n1);
  sim.at(at(10ms), "crash", [&] { sim.crash(n1); });
  sim.at(at(20ms), "restart", [&] { sim.boot(n1); });
  sim.run_until(at(200ms));
  ASSERT_EQ(fired.size(), 1u) << "the first life's timer (due at 50 ms) must die with it";
  EXPECT_EQ(fired[0].first, 2u);
  EXPECT_EQ(fired[0].second, at(70ms));
}

TEST(Simulator, cancelledTimersDoNotFire) {
  Simulator sim(quiet_options());
  Journal journal;
  int fired = 0;
  sim.add_node({.id = n1, .make_roles = probe(journal, [&](Env& env) {
                  const TimerId id = env.after(5ms, [&] { ++fired; });
                  env.after(1ms, [&env, id] { env.cancel(id); });
                })});
  sim.boot(n1);
  sim.run_until(at(10ms));
  EXPECT_EQ(fired, 0);
}

TEST(Simulator, unknownMessageTypesAreDroppedAndCounted) {
  Simulator sim(quiet_options());
  Journal journal;
  sim.add_node({.id = n1, .make_roles = probe(journal)});
  sim.add_node({.id = n2, .make_roles = probe(journal, [](Env& env) {
                  env.send(n1, MessageType{5000}, text("nobody owns this type"));
                  env.send(n1, kProbe, text("known"));
                  env.send(NodeId{77}, kProbe, text("no such node"));
                })});
  sim.boot(n1);
  sim.boot(n2);
  sim.run_until(at(10ms));
  ASSERT_EQ(journal.seen.size(), 1u);
  EXPECT_EQ(journal.seen[0].body, "known");
  EXPECT_EQ(sim.node(n1).metrics().counter_value("sim.unknown_type_dropped"), 1u);
  EXPECT_EQ(sim.stats().messages_unknown, 2u);
}

TEST(Simulator, checksTheInvariantsOfLiveRolesAfterEveryEvent) {
  Simulator sim(quiet_options());
  Journal journal;
  sim.add_node({.id = n1, .make_roles = probe(journal, [](Env& env) {
                  for (int i = 1; i <= 10; ++i) env.after(i * 1ms, [] {});
                })});
  sim.boot(n1);
  const std::uint64_t after_boot = journal.invariant_checks;
  EXPECT_GE(after_boot, 1u);
  sim.run_until(at(20ms));
  EXPECT_EQ(sim.stats().events, 10u);
  EXPECT_EQ(journal.invariant_checks, after_boot + 10);
}

TEST(Simulator, wallClockAppliesSkewAndDrift) {
  Simulator sim(quiet_options());
  Journal journal;
  sim.add_node({.id = n1, .make_roles = probe(journal), .clock = {.offset = 1s, .drift_ppm = 1000}});
  sim.add_node({.id = n2, .make_roles = probe(journal), .clock = {.offset = -2s, .drift_ppm = -500}});
  sim.run_until(at(10s));
  const auto wall_ns = [&](NodeId id) { return to_ns(sim.node(id).wall_clock()) - kSimWallEpochNs; };
  // 10 s of true time: n1 gains 1000 ppm (10 ms), n2 loses 500 ppm (5 ms).
  EXPECT_EQ(wall_ns(n1), Duration{1s + 10s + 10ms}.count());
  EXPECT_EQ(wall_ns(n2), Duration{-2s + 10s - 5ms}.count());
  EXPECT_EQ(to_ns(sim.node(n1).now()), Duration{10s}.count()) << "monotonic time is not skewed";
}

TEST(Simulator, diskLossOutsideTheFaultModelIsRefused) {
  EXPECT_DEATH(
      {
        Simulator sim(quiet_options());
        Journal journal;
        sim.add_node({.id = n1, .make_roles = probe(journal)});
        sim.boot(n1);
        sim.crash(n1, DiskFate::lose);
      },
      "fault model");
}

// A small chatty system: two nodes bouncing messages over a lossy, duplicating network.
std::string chatty_trace(std::uint64_t seed) {
  auto options = quiet_options(seed);
  options.network.latency = LatencyModel{.base = 1ms, .jitter = 5ms, .tail_ppm = 50'000, .tail = 100ms};
  options.network.drop_ppm = 100'000;
  options.network.duplicate_ppm = 100'000;
  Simulator sim(options);
  Journal journal;
  const auto bounce = [](Env& env, const Message& m) {
    if (m.from != env.self()) env.send(m.from, kProbe, m.payload);
  };
  const auto serve = [](Env& env) {
    for (int i = 0; i < 20; ++i) env.send(env.self() == n1 ? n2 : n1, kProbe, text("ball " + std::to_string(i)));
  };
  sim.add_node({.id = n1, .make_roles = probe(journal, serve, bounce)});
  sim.add_node({.id = n2, .make_roles = probe(journal, serve, bounce)});
  sim.boot(n1);
  sim.boot(n2);
  sim.run_until(at(300ms));
  return sim.trace_hex();
}

TEST(Simulator, sameSeedGivesTheSameTraceAndOtherSeedsDoNot) {
  EXPECT_EQ(chatty_trace(5), chatty_trace(5));
  EXPECT_NE(chatty_trace(5), chatty_trace(6));
  EXPECT_EQ(chatty_trace(5).size(), 64u);
}

}  // namespace
}  // namespace eyrie::sim
