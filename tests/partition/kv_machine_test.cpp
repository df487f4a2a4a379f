// KvMachine::execute, driven through a CommandContext of this file over a plain map (every
// object local and available, writes applied at once): each operation's reply and effect, and
// the failures (a malformed request, a balance that is not a number) that throw out of the
// command and, having thrown before any write, change nothing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "apps/kv/kv.hpp"

namespace eyrie::kv {
namespace {

using oracle::ObjectId;
using oracle::PartitionId;
using partition::CommandContext;
using partition::Object;

// All objects local: no suspension, no staging; writes land in `objects` directly.
class MapContext final : public CommandContext {
 public:
  WallTime timestamp() const override { return WallTime{std::chrono::seconds(1000)}; }
  std::uint64_t position() const override { return 1; }
  PartitionId partition() const override { return PartitionId{1}; }
  const std::vector<PartitionId>& destinations() const override { return destinations_; }
  void emit(NodeId to, std::string message) override {
    ADD_FAILURE() << "kv emits nothing, yet sent " << message << " to " << eyrie::to_string(to);
  }
  bool available(const ObjectId&) override { return true; }
  void wait_for(const ObjectId& id, std::coroutine_handle<>) override { ADD_FAILURE() << "waited for " << id; }
  Object* access(const ObjectId& id, bool mutate) override {
    ++accesses;
    if (mutate) ++mutations;
    const auto it = objects.find(id);
    return it == objects.end() ? nullptr : it->second.get();
  }

  void set(const std::string& key, std::string value) { objects[key] = std::make_unique<StoredValue>(std::move(value)); }
  std::optional<std::string> get(const std::string& key) const {
    const auto it = objects.find(key);
    if (it == objects.end()) return std::nullopt;
    return dynamic_cast<const StoredValue&>(*it->second).value;
  }

  std::map<ObjectId, std::unique_ptr<Object>> objects;
  int accesses = 0;
  int mutations = 0;
  int writes = 0;

 protected:
  Object& put(const ObjectId& id, std::unique_ptr<Object> value) override {
    ++writes;
    auto& slot = objects[id];
    slot = std::move(value);
    return *slot;
  }
  void remove(const ObjectId& id) override {
    ++writes;
    objects.erase(id);
  }

 private:
  std::vector<PartitionId> destinations_{PartitionId{1}};
};

class KvMachineTest : public ::testing::Test {
 protected:
  // Runs `request` to completion; the decoded response (throws what the command threw).
  Response run(const Request& request) { return run_bytes(encode(request)); }
  Response run_bytes(const Payload& bytes) {
    partition::Task<std::string> task = machine_.execute(ctx_, bytes.bytes());
    task.start();
    EXPECT_TRUE(task.done()) << "the command suspended although every object is local";
    const std::string body = task.result();
    std::string error;
    const std::optional<Response> response = decode_response(std::as_bytes(std::span(body.data(), body.size())), &error);
    EXPECT_TRUE(response) << error;
    return response.value_or(Response{});
  }

  KvMachine machine_;
  MapContext ctx_;
};

TEST_F(KvMachineTest, get_ofAnAbsentKeyIsAbsent) {
  const Response r = run(Get{"nothing"});
  ASSERT_TRUE(std::holds_alternative<Value>(r));
  EXPECT_EQ(std::get<Value>(r).value, std::nullopt);
  EXPECT_EQ(ctx_.writes, 0);
  EXPECT_EQ(ctx_.mutations, 0);
}

TEST_F(KvMachineTest, get_ofAPresentKeyIsItsValue) {
  ctx_.set("k", "hello");
  const Response r = run(Get{"k"});
  ASSERT_TRUE(std::holds_alternative<Value>(r));
  EXPECT_EQ(std::get<Value>(r).value, std::optional<std::string>("hello"));
  EXPECT_EQ(ctx_.accesses, 1);
  EXPECT_EQ(ctx_.writes, 0);
}

TEST_F(KvMachineTest, put_createsThenReplacesWithoutReading) {
  EXPECT_TRUE(std::holds_alternative<Ok>(run(Put{"k", "one"})));
  EXPECT_EQ(ctx_.get("k"), std::optional<std::string>("one"));
  EXPECT_TRUE(std::holds_alternative<Ok>(run(Put{"k", "two"})));
  EXPECT_EQ(ctx_.get("k"), std::optional<std::string>("two"));
  EXPECT_EQ(ctx_.accesses, 0);  // a full overwrite needs no current value
  EXPECT_EQ(ctx_.writes, 2);
}

TEST_F(KvMachineTest, cas_succeedsWhenTheCurrentValueMatches) {
  ctx_.set("k", "old");
  EXPECT_TRUE(std::holds_alternative<Ok>(run(Cas{"k", std::string("old"), "new"})));
  EXPECT_EQ(ctx_.get("k"), std::optional<std::string>("new"));
}

TEST_F(KvMachineTest, cas_expectingAbsenceCreatesTheKey) {
  EXPECT_TRUE(std::holds_alternative<Ok>(run(Cas{"k", std::nullopt, "first"})));
  EXPECT_EQ(ctx_.get("k"), std::optional<std::string>("first"));
}

TEST_F(KvMachineTest, cas_mismatchReturnsTheCurrentValueAndWritesNothing) {
  ctx_.set("k", "actual");
  const Response r = run(Cas{"k", std::string("expected"), "new"});
  ASSERT_TRUE(std::holds_alternative<CasMismatch>(r));
  EXPECT_EQ(std::get<CasMismatch>(r).current, std::optional<std::string>("actual"));
  EXPECT_EQ(ctx_.get("k"), std::optional<std::string>("actual"));

  const Response absent_expected = run(Cas{"k", std::nullopt, "new"});
  ASSERT_TRUE(std::holds_alternative<CasMismatch>(absent_expected));
  EXPECT_EQ(std::get<CasMismatch>(absent_expected).current, std::optional<std::string>("actual"));

  const Response on_absent = run(Cas{"other", std::string("x"), "new"});
  ASSERT_TRUE(std::holds_alternative<CasMismatch>(on_absent));
  EXPECT_EQ(std::get<CasMismatch>(on_absent).current, std::nullopt);
  EXPECT_EQ(ctx_.get("other"), std::nullopt);
  EXPECT_EQ(ctx_.writes, 0);
}

TEST_F(KvMachineTest, transfer_movesTheAmount) {
  ctx_.set("a", "100");
  ctx_.set("b", "5");
  EXPECT_TRUE(std::holds_alternative<Ok>(run(Transfer{"a", "b", 30})));
  EXPECT_EQ(ctx_.get("a"), std::optional<std::string>("70"));
  EXPECT_EQ(ctx_.get("b"), std::optional<std::string>("35"));
}

TEST_F(KvMachineTest, transfer_toAnAbsentKeyStartsItFromZeroAndMayEmptyTheSource) {
  ctx_.set("a", "40");
  EXPECT_TRUE(std::holds_alternative<Ok>(run(Transfer{"a", "new", 40})));
  EXPECT_EQ(ctx_.get("a"), std::optional<std::string>("0"));
  EXPECT_EQ(ctx_.get("new"), std::optional<std::string>("40"));
}

TEST_F(KvMachineTest, transfer_insufficientReturnsTheBalanceAndWritesNothing) {
  ctx_.set("a", "10");
  ctx_.set("b", "1");
  const Response r = run(Transfer{"a", "b", 11});
  ASSERT_TRUE(std::holds_alternative<Insufficient>(r));
  EXPECT_EQ(std::get<Insufficient>(r).balance, 10);
  const Response from_absent = run(Transfer{"nobody", "b", 1});
  ASSERT_TRUE(std::holds_alternative<Insufficient>(from_absent));
  EXPECT_EQ(std::get<Insufficient>(from_absent).balance, 0);
  EXPECT_EQ(ctx_.get("a"), std::optional<std::string>("10"));
  EXPECT_EQ(ctx_.get("b"), std::optional<std::string>("1"));
  EXPECT_EQ(ctx_.writes, 0);
}

TEST_F(KvMachineTest, transfer_ofANonNumericBalanceThrowsAndWritesNothing) {
  ctx_.set("a", "100");
  ctx_.set("text", "twelve");
  ctx_.set("trailing", "12x");
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"a", "text"}, {"text", "a"}, {"trailing", "a"}}) {
    try {
      (void)run(Transfer{from, to, 1});
      ADD_FAILURE() << from << " -> " << to << " did not throw";
    } catch (const std::invalid_argument& e) {
      const std::string bad = from == "a" ? to : from;
      EXPECT_EQ(std::string(e.what()), "the value of " + bad + " is not a decimal balance");
    }
  }
  EXPECT_EQ(ctx_.get("a"), std::optional<std::string>("100"));
  EXPECT_EQ(ctx_.get("text"), std::optional<std::string>("twelve"));
  EXPECT_EQ(ctx_.writes, 0);
}

// Run, a transfer from a key to itself would overwrite it with balance + amount: money from
// nowhere. It is a malformed request (see KvCodec.decodeRequest_rejectsATransferToItself).
TEST_F(KvMachineTest, execute_transferToItselfIsRefused) {
  ctx_.set("a", "10");
  EXPECT_THROW((void)run(Transfer{"a", "a", 5}), std::invalid_argument);
  EXPECT_EQ(ctx_.get("a"), std::optional<std::string>("10"));
}

TEST_F(KvMachineTest, putMany_writesEveryEntryWithoutReading) {
  ctx_.set("b", "old");
  EXPECT_TRUE(std::holds_alternative<Ok>(run(PutMany{{{"a", "1"}, {"b", "2"}, {"c", "3"}}})));
  EXPECT_EQ(ctx_.get("a"), std::optional<std::string>("1"));
  EXPECT_EQ(ctx_.get("b"), std::optional<std::string>("2"));
  EXPECT_EQ(ctx_.get("c"), std::optional<std::string>("3"));
  EXPECT_EQ(ctx_.accesses, 0);
  EXPECT_EQ(ctx_.writes, 3);
}

TEST_F(KvMachineTest, execute_aMalformedRequestThrows) {
  try {
    (void)run_bytes(Payload::copy_of(std::string_view("not a kv request")));
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("malformed kv request: "));
  }
  EXPECT_THROW((void)run(Get{""}), std::invalid_argument);
  EXPECT_EQ(ctx_.writes, 0);
}

TEST(KvStoredValue, serializeCloneAndDecodeObject) {
  const StoredValue v(std::string("bytes\0here", 10));
  std::string out;
  v.serialize(out);
  EXPECT_EQ(out, std::string("bytes\0here", 10));
  const std::unique_ptr<partition::Object> copy = v.clone();
  ASSERT_NE(dynamic_cast<StoredValue*>(copy.get()), nullptr);
  EXPECT_EQ(dynamic_cast<StoredValue&>(*copy).value, v.value);
  const KvMachine machine;
  const std::unique_ptr<partition::Object> decoded = machine.decode_object("k", std::as_bytes(std::span(out.data(), out.size())));
  ASSERT_NE(dynamic_cast<StoredValue*>(decoded.get()), nullptr);
  EXPECT_EQ(dynamic_cast<StoredValue&>(*decoded).value, v.value);
}

}  // namespace
}  // namespace eyrie::kv
