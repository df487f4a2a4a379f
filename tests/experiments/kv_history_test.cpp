// kv client histories on disk: what write_kv_history writes is what read_kv_history returns
// (every operation and output kind, awkward bytes in keys and values), and malformed lines are
// refused with their file and line.

#include "experiments/kv_history.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/net/test_cluster.hpp"

namespace eyrie::experiments {
namespace {

using namespace check::kv;
using net::testing::TempDir;

KvOperation op(std::int64_t invoked, std::int64_t responded, Input input, Output output) {
  return KvOperation{.client = NodeId{70001}, .invoked_ns = invoked, .responded_ns = responded, .input = std::move(input),
                     .output = std::move(output)};
}

// The model's inputs have no ==; their text says everything about them.
bool same(const KvOperation& a, const KvOperation& b) {
  return a.client == b.client && a.invoked_ns == b.invoked_ns && a.responded_ns == b.responded_ns &&
         a.output == b.output && format_kv_operation(a) == format_kv_operation(b) && a.input.index() == b.input.index();
}

TEST(KvHistory, readerReturnsWhatTheWriterWrote) {
  TempDir dir;
  const KvHistory history{
      op(1, 5, Get{"k0.1"}, Output::read("000042")),
      op(2, 6, Get{"k 0"}, Output::read(std::nullopt)),
      op(3, check::kNeverNs, Get{"x"}, Output::unknown()),
      op(4, 9, Put{"a=b%", ""}, Output::ok()),
      op(5, 9, Cas{"k", std::nullopt, "v w"}, Output::mismatch("\n\x01=")),
      op(6, 10, Cas{"k", "", "v"}, Output::ok()),
      op(7, 11, Transfer{"from", "to", 1000}, Output::insufficient()),
      op(8, 12, PutMany{{{"p", "1"}, {"q", "2"}}}, Output::ok()),
      op(9, check::kNeverNs, PutMany{{{"p", "3"}}}, Output::unknown()),
  };
  write_kv_history(dir.path() / "h.log", history);
  const KvHistory read = read_kv_history(dir.path() / "h.log");
  ASSERT_EQ(read.size(), history.size());
  for (std::size_t i = 0; i < history.size(); ++i) {
    EXPECT_TRUE(same(read[i], history[i])) << i << ": " << format_kv_operation(read[i]);
  }
}

TEST(KvHistory, malformedLines_areRefusedWithTheirFileAndLine) {
  const char* bad[] = {
      "",                                            // nothing
      "7 1 2 get k",                                 // no output
      "7 1 2 get k => ok",                           // a get's output needs a value or -
      "7 1 - get k => ok -",                         // no response time but an output
      "7 1 2 get k => unknown",                      // a response time but no output
      "7 5 2 put k =v => ok",                        // response before invocation
      "7 1 2 put k v => ok",                         // a value without =
      "7 1 2 put k =%4 => ok",                       // a torn escape
      "7 1 2 frob k => ok",                          // no such operation
      "7 1 2 transfer a b x => ok",                  // not an amount
      "7 1 2 put_many 2 a =1 => ok",                 // fewer writes than announced
      "7 1 2 get k => ok - extra",                   // trailing words
      "x 1 2 get k => ok -",                         // not a client
  };
  for (const char* line : bad) {
    std::string error;
    EXPECT_FALSE(parse_kv_operation(line, &error).has_value()) << line;
    EXPECT_FALSE(error.empty()) << line;
  }
  TempDir dir;
  std::ofstream(dir.path() / "h.log") << "# comment\n7 1 2 get k => ok -\n7 1 2 put k v => ok\n";
  try {
    read_kv_history(dir.path() / "h.log");
    FAIL() << "a malformed line was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("h.log:3: "), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_kv_history(dir.path() / "absent.log"), std::runtime_error);
}

}  // namespace
}  // namespace eyrie::experiments
