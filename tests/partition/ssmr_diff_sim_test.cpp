// Caching and diffs end to end (Bezerra §4.3.1 and §4.5.1's getDiff/updateFromDiff): a
// partition that shared an object with its owner keeps a copy; when commands it was not part
// of change the object, the owner later sends only the changes, and the copy it applies them to
// must end up equal to the owner's. An append-only log whose diff is the entries a partition has
// not seen yet shows both.

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "tests/partition/ssmr_sim_cluster.hpp"

namespace eyrie::partition::simtest {
namespace {

constexpr PartitionId kP1{1};
constexpr PartitionId kP2{2};

// An append-only log of words; remembers, per partition, how many entries that partition holds.
class LogObject final : public Object {
 public:
  std::vector<std::string> entries;
  std::map<PartitionId, std::size_t> synced;

  void serialize(std::string& out) const override { out = join(entries, 0); }
  std::unique_ptr<Object> clone() const override { return std::make_unique<LogObject>(*this); }
  void synced_with(PartitionId p) override { synced[p] = entries.size(); }
  std::optional<std::string> diff(PartitionId p) const override {
    const auto it = synced.find(p);
    if (it == synced.end() || it->second > entries.size()) return std::nullopt;
    return join(entries, it->second);
  }
  void apply_diff(std::span<const std::byte> bytes) override {
    for (std::string& w : split(bytes)) entries.push_back(std::move(w));
  }

  static std::string join(const std::vector<std::string>& words, std::size_t from) {
    std::string out;
    for (std::size_t i = from; i < words.size(); ++i) out += (out.empty() ? "" : " ") + words[i];
    return out;
  }
  static std::vector<std::string> split(std::span<const std::byte> bytes) {
    std::istringstream in(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
  }
};

// Requests: "append K W" (append W to K's log), "append2 K1 K2 W" (to both), "copy F T"
// (overwrite T with F's entries), "read K" -> the entries.
class LogMachine final : public StateMachine {
 public:
  Task<std::string> execute(CommandContext& ctx, std::span<const std::byte> request) override {
    const std::vector<std::string> w = LogObject::split(request);
    if (w[0] == "append" || w[0] == "append2") {
      const std::string& word = w.back();
      for (std::size_t i = 1; i + 1 < w.size(); ++i) {
        LogObject* log = co_await ctx.modify<LogObject>(w[i]);
        if (log != nullptr) {
          log->entries.push_back(word);
        } else {
          LogObject fresh;
          fresh.entries.push_back(word);
          ctx.overwrite(w[i], std::move(fresh));
        }
      }
      co_return "ok";
    }
    if (w[0] == "copy") {
      const LogObject* from = co_await ctx.read<LogObject>(w[1]);
      LogObject copy;
      if (from != nullptr) copy.entries = from->entries;
      ctx.overwrite(w[2], std::move(copy));
      co_return "ok";
    }
    const LogObject* log = co_await ctx.read<LogObject>(w[1]);
    co_return log == nullptr ? std::string("absent") : LogObject::join(log->entries, 0);
  }
  std::unique_ptr<Object> decode_object(const ObjectId&, std::span<const std::byte> bytes) const override {
    auto log = std::make_unique<LogObject>();
    log->entries = LogObject::split(bytes);
    return log;
  }
};

class LogOracle final : public oracle::PartitioningOracle {
 public:
  explicit LogOracle(std::shared_ptr<const oracle::Placement> placement) : placement_(std::move(placement)) {}
  const oracle::Placement& placement() const override { return *placement_; }
  std::vector<PartitionId> destinations(std::span<const std::byte> request) const override {
    const std::vector<std::string> w = LogObject::split(request);
    std::vector<PartitionId> out;
    const std::size_t keys_end = (w[0] == "append" || w[0] == "append2") ? w.size() - 1 : w.size();
    for (std::size_t i = 1; i < keys_end; ++i) out.push_back(placement_->owner(w[i]));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

 private:
  std::shared_ptr<const oracle::Placement> placement_;
};

std::string text(const CommandResult& r) {
  EXPECT_EQ(r.status, CommandResult::Status::ok);
  return std::string(reinterpret_cast<const char*>(r.body.data()), r.body.size());
}

SimCluster cluster(std::size_t cache_objects_max) {
  return SimCluster(SimClusterOptions{
      .make_machine = [] { return std::make_unique<LogMachine>(); },
      .make_oracle = [](std::shared_ptr<const oracle::Placement> p) { return std::make_unique<LogOracle>(std::move(p)); },
      .seed = 3,
      .clients = 1,
      .tune_config = [cache_objects_max](SsmrConfig& c) { c.cache_objects_max = cache_objects_max; },
  });
}

Payload request(std::string_view s) { return Payload::copy_of(s); }

TEST(CachingSim, aStaleCopyIsBroughtUpToDateByADiffAndACurrentOneByAWord) {
  SimCluster c = cluster(1024);
  // "apple" lives in partition 1, "zebra" in partition 2.
  EXPECT_EQ(text(c.run(request("append2 apple zebra a1"))), "ok");
  EXPECT_EQ(text(c.run(request("append apple a2"))), "ok");  // partition 2 is not told
  EXPECT_EQ(text(c.run(request("append apple a3"))), "ok");
  EXPECT_EQ(text(c.run(request("copy apple zebra"))), "ok");  // partition 2 needs apple: a diff
  EXPECT_EQ(text(c.run(request("read zebra"))), "a1 a2 a3") << "partition 2's view of apple after the diff";
  c.settle();
  EXPECT_GE(c.replica_counter(kP1, "ssmr.values_diff"), 1u);
  // Nothing changed apple since: the next shared command needs only "your copy is current".
  EXPECT_EQ(text(c.run(request("copy apple zebra"))), "ok");
  EXPECT_EQ(text(c.run(request("read zebra"))), "a1 a2 a3");
  c.settle();
  EXPECT_GE(c.replica_counter(kP1, "ssmr.values_current"), 1u);
  EXPECT_GE(c.replica_counter(kP2, "ssmr.cache_hits"), 2u);
}

TEST(CachingSim, withoutACacheEveryValueTravelsWhole) {
  SimCluster c = cluster(0);
  EXPECT_EQ(text(c.run(request("append2 apple zebra a1"))), "ok");
  EXPECT_EQ(text(c.run(request("append apple a2"))), "ok");
  EXPECT_EQ(text(c.run(request("copy apple zebra"))), "ok");
  EXPECT_EQ(text(c.run(request("read zebra"))), "a1 a2");
  c.settle();
  EXPECT_EQ(c.replica_counter(kP2, "ssmr.cache_hits"), 0u);
  EXPECT_EQ(c.replica_counter(kP1, "ssmr.values_diff"), 0u);
  EXPECT_EQ(c.replica_counter(kP1, "ssmr.values_current"), 0u);
  EXPECT_GE(c.replica_counter(kP1, "ssmr.values_sent"), 2u);
}

}  // namespace
}  // namespace eyrie::partition::simtest
