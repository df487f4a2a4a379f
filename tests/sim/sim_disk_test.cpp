// The simulated disk keeps the Storage contract (runtime/storage.hpp) across crashes.

#include "runtime/sim/sim_disk.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <set>

#include "runtime/sim/simulator.hpp"
#include "tests/sim/probe_role.hpp"

namespace eyrie::sim {
namespace {

using namespace std::chrono_literals;
using testing::Journal;
using testing::probe;
using testing::quiet_options;
using testing::text;

// A disk whose sync completions the test runs by hand, in order.
struct ManualDisk {
  std::deque<std::uint64_t> requested;
  SimDisk disk{[this](std::uint64_t id) { requested.push_back(id); }};
  void complete_next() {
    ASSERT_FALSE(requested.empty());
    const std::uint64_t id = requested.front();
    requested.pop_front();
    disk.complete(id);
  }
  bool has(std::string_view key) const { return disk.get(key).has_value(); }
};

TEST(SimDisk, writesAreVisibleAtOnceButDurableOnlyAfterSync) {
  ManualDisk m;
  bool durable = false;
  m.disk.put("a", text("1"));
  m.disk.sync([&] { durable = true; });
  EXPECT_TRUE(m.has("a"));
  EXPECT_FALSE(durable) << "completions never run inside sync()";
  EXPECT_EQ(m.disk.durable().size(), 0u);
  m.complete_next();
  EXPECT_TRUE(durable);
  EXPECT_EQ(m.disk.durable().size(), 1u);
}

TEST(SimDisk, completionsRunInRequestOrder) {
  ManualDisk m;
  std::vector<int> order;
  for (int i = 0; i < 3; ++i) m.disk.sync([&order, i] { order.push_back(i); });
  while (!m.requested.empty()) m.complete_next();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST(SimDisk, crashKeepsSyncedWritesAndOnlyAPrefixOfTheRest) {
  std::set<std::string> outcomes;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    ManualDisk m;
    m.disk.put("a", text("synced"));
    m.disk.sync({});
    m.complete_next();
    m.disk.put("b", text("unsynced 1"));
    m.disk.put("c", text("unsynced 2"));
    m.disk.erase("a");
    bool ran = false;
    m.disk.sync([&] { ran = true; });  // requested but not completed before the crash
    Rng rng(seed);
    m.disk.crash(rng);
    EXPECT_EQ(m.disk.pending_syncs(), 0u);
    EXPECT_EQ(m.disk.unsynced_writes(), 0u);
    // Writes in order: put b, put c, erase a. Allowed survivors: none, b, b+c, b+c+erase.
    const std::string state = std::string(m.has("a") ? "a" : "") + (m.has("b") ? "b" : "") + (m.has("c") ? "c" : "");
    EXPECT_TRUE(state == "a" || state == "ab" || state == "abc" || state == "bc") << state;
    outcomes.insert(state);
    EXPECT_FALSE(ran);
  }
  EXPECT_EQ(outcomes.size(), 4u) << "every allowed prefix shows up over 200 seeds";
}

TEST(SimDisk, wipeLosesEverything) {
  ManualDisk m;
  m.disk.put("a", text("synced"));
  m.disk.sync({});
  m.complete_next();
  m.disk.wipe();
  EXPECT_FALSE(m.has("a"));
  EXPECT_EQ(m.disk.durable().size(), 0u);
}

// The same rule through the whole simulator: a node syncs one write, then makes another it
// never syncs, and crashes; its next life finds the first write (and perhaps the second).
TEST(Simulator, crashLosesUnsyncedWritesAndKeepsSyncedOnes) {
  int lost = 0;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Simulator sim(quiet_options(seed));
    Journal journal;
    int life = 0;
    bool synced_seen = false;
    bool unsynced_seen = false;
    sim.add_node({.id = NodeId{1}, .make_roles = probe(journal, [&](Env& env) {
                    if (++life == 1) {
                      env.storage().put("synced", text("x"));
                      env.storage().sync([&env] { env.storage().put("unsynced", text("y")); });
                    } else {
                      synced_seen = env.storage().get("synced").has_value();
                      unsynced_seen = env.storage().get("unsynced").has_value();
                    }
                  })});
    sim.boot(NodeId{1});
    sim.at(Time{10ms}, "crash", [&] { sim.crash(NodeId{1}); });
    sim.at(Time{20ms}, "restart", [&] { sim.boot(NodeId{1}); });
    sim.run_until(Time{30ms});
    ASSERT_EQ(life, 2);
    EXPECT_TRUE(synced_seen) << "seed " << seed;
    lost += !unsynced_seen;
  }
  EXPECT_GT(lost, 0) << "an unsynced write must be lost on some crashes";
  EXPECT_LT(lost, 50) << "and may survive on others";
}

}  // namespace
}  // namespace eyrie::sim
