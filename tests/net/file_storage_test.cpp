// FileStorage: durability across reopen, torn tails, group commit, completion order and
// compaction.

#include "runtime/net/file_storage.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "tests/net/test_cluster.hpp"

namespace eyrie::net {
namespace {

using testing::TempDir;

class FileStorageTest : public ::testing::Test {
 protected:
  std::unique_ptr<FileStorage> open(FileStorageOptions options = {}) {
    options.dir = dir.path() / "node";
    // A fresh loop per storage: a closed storage's turn-end hook must never run again.
    loop = std::make_unique<EventLoop>();
    metrics = std::make_unique<Metrics>();
    return std::make_unique<FileStorage>(*loop, options, *metrics, Logger(sink, "storage"));
  }
  // Requests a sync and runs turns until it completes.
  void sync_and_wait(FileStorage& storage) {
    bool done = false;
    storage.sync([&] { done = true; });
    ASSERT_TRUE(loop->run_until([&] { return done; }, EventLoop::now() + std::chrono::seconds(10)));
  }
  std::string value(const FileStorage& storage, std::string_view key) {
    auto v = storage.get(key);
    return v ? std::string(v->as_string_view()) : "<absent>";
  }

  TempDir dir;
  NullLogSink sink;
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<Metrics> metrics;
};

TEST_F(FileStorageTest, reopen_keepsSyncedWritesAndErases) {
  {
    auto storage = open();
    storage->put("a", Payload::copy_of("alpha"));
    storage->put("b", Payload::copy_of("beta"));
    storage->put("a", Payload::copy_of("alpha2"));
    storage->erase("b");
    storage->put("c", Payload::copy_of(""));
    sync_and_wait(*storage);
  }
  auto storage = open();
  EXPECT_EQ(value(*storage, "a"), "alpha2");
  EXPECT_EQ(value(*storage, "b"), "<absent>");
  EXPECT_EQ(value(*storage, "c"), "");
  EXPECT_EQ(storage->live_entries(), 2u);
}

TEST_F(FileStorageTest, reopen_discardsTornTailAndAppendsAfterIt) {
  {
    auto storage = open();
    storage->put("kept", Payload::copy_of("yes"));
    sync_and_wait(*storage);
  }
  const auto file = dir.path() / "node" / FileStorage::kFileName;
  const auto good_size = std::filesystem::file_size(file);
  {
    // A record cut short by a crash: a header promising more bytes than follow.
    std::ofstream out(file, std::ios::binary | std::ios::app);
    const char torn[] = {40, 0, 0, 0, 1, 2, 3, 4, 1, 3, 0};
    out.write(torn, sizeof torn);
  }
  {
    auto storage = open();
    EXPECT_EQ(value(*storage, "kept"), "yes");
    EXPECT_EQ(metrics->counter_value("storage.torn_tail_bytes"), 11u);
    EXPECT_EQ(std::filesystem::file_size(file), good_size);
    storage->put("later", Payload::copy_of("also"));
    sync_and_wait(*storage);
  }
  auto storage = open();
  EXPECT_EQ(value(*storage, "kept"), "yes");
  EXPECT_EQ(value(*storage, "later"), "also");
  EXPECT_EQ(metrics->counter_value("storage.torn_tail_bytes"), 0u);
}

TEST_F(FileStorageTest, reopen_stopsAtACorruptRecord) {
  {
    auto storage = open();
    storage->put("first", Payload::copy_of("1"));
    sync_and_wait(*storage);
    storage->put("second", Payload::copy_of("2"));
    sync_and_wait(*storage);
  }
  const auto file = dir.path() / "node" / FileStorage::kFileName;
  {
    // Flip the last byte (the value of "second"): its CRC no longer matches.
    std::fstream io(file, std::ios::binary | std::ios::in | std::ios::out);
    io.seekp(-1, std::ios::end);
    io.put('X');
  }
  auto storage = open();
  EXPECT_EQ(value(*storage, "first"), "1");
  EXPECT_EQ(value(*storage, "second"), "<absent>");
}

TEST_F(FileStorageTest, sync_groupsOneTurnIntoOneFdatasyncAndCompletesInOrderLater) {
  auto storage = open();
  std::vector<int> completed;
  for (int i = 0; i < 5; ++i) {
    storage->put("k" + std::to_string(i), Payload::copy_of("v"));
    storage->sync([&completed, i] { completed.push_back(i); });
    EXPECT_TRUE(completed.empty()) << "a completion ran inside sync()";
  }
  ASSERT_TRUE(loop->run_until([&] { return completed.size() == 5; }, EventLoop::now() + std::chrono::seconds(10)));
  EXPECT_EQ(completed, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(metrics->counter_value("storage.fdatasyncs"), 1u);

  // A sync requested from a completion belongs to a later turn: a second fdatasync.
  bool nested = false;
  storage->sync([&] { storage->sync([&] { nested = true; }); });
  ASSERT_TRUE(loop->run_until([&] { return nested; }, EventLoop::now() + std::chrono::seconds(10)));
  EXPECT_EQ(metrics->counter_value("storage.fdatasyncs"), 3u);
}

TEST_F(FileStorageTest, commit_compactsWhenTheFileOutgrowsLiveDataAndKeepsData) {
  {
    FileStorageOptions options;
    options.compact_min_bytes = 16 << 10;
    options.compact_ratio = 4;
    auto storage = open(options);
    storage->put("stable", Payload::copy_of("s"));
    storage->put("gone", Payload::copy_of("g"));
    storage->erase("gone");
    const std::string big(200, 'x');
    for (int round = 0; round < 200; ++round) {
      storage->put("hot", Payload::copy_of(big + std::to_string(round)));
      sync_and_wait(*storage);
    }
    EXPECT_GE(metrics->counter_value("storage.compactions"), 1u);
    EXPECT_LT(storage->file_bytes(), 20u << 10);
  }
  auto storage = open();
  EXPECT_EQ(value(*storage, "stable"), "s");
  EXPECT_EQ(value(*storage, "gone"), "<absent>");
  EXPECT_EQ(value(*storage, "hot"), std::string(200, 'x') + "199");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "node" / "storage.wal.compacting"));
}

TEST_F(FileStorageTest, open_refusesAFolderInUse) {
  auto first = open();
  EventLoop other_loop;
  Metrics other_metrics;
  EXPECT_THROW(FileStorage(other_loop, FileStorageOptions{dir.path() / "node"}, other_metrics, Logger(sink, "s")),
               std::system_error);
}

TEST(Crc32c, knownVector) {
  // RFC 3720 B.4: CRC-32C of "123456789".
  const std::string_view text = "123456789";
  EXPECT_EQ(crc32c(std::as_bytes(std::span(text.data(), text.size()))), 0xE3069283u);
}

}  // namespace
}  // namespace eyrie::net
