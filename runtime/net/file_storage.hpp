#pragma once
// FileStorage: Storage on a real disk, as a write-ahead file of records.
//
// Every put and erase appends one record (length, CRC-32C, operation, key, value) to
// `<dir>/storage.wal` and changes the in-memory map at once. Opening replays the file; a
// record that is incomplete or fails its CRC ends the replay and is cut off (a crash during an
// append leaves such a torn tail; a write not covered by a completed sync may be lost, which
// the Storage contract allows, and nothing after a bad record is trusted, which keeps the
// "prefix of the writes" guarantee).
//
// Group commit: sync() only queues its completion. At the end of the loop turn, commit()
// writes what is buffered and issues one fdatasync for all syncs of the turn, then defers the
// completions to the loop, in request order: they run in a later turn, never inside sync().
// The fdatasync blocks the loop; batching the turn's syncs into one is what keeps that cheap.
//
// Compaction: when the file grows past compact_min_bytes and compact_ratio times the live
// data, commit() writes the live map to a new file, fsyncs it, renames it over the old one and
// fsyncs the folder, so a crash at any point leaves either the old or the new file whole.
//
// A second process opening the same folder is refused (flock), and an I/O error while writing
// or syncing throws std::system_error out of commit(): a node that cannot persist must stop.

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/net/event_loop.hpp"
#include "runtime/storage.hpp"

namespace eyrie::net {

struct FileStorageOptions {
  std::filesystem::path dir;
  std::size_t compact_min_bytes = 8 << 20;
  std::size_t compact_ratio = 4;
  // Buffered records are written out early (without a sync) past this size.
  std::size_t write_buffer_bytes_max = 1 << 20;
};

class FileStorage final : public Storage {
 public:
  // Opens (creating the folder and file if needed), locks and replays. Registers commit() as a
  // turn-end hook of `loop`; the storage must outlive every later turn of the loop.
  FileStorage(EventLoop& loop, FileStorageOptions options, Metrics& metrics, Logger log);
  ~FileStorage() override;
  FileStorage(const FileStorage&) = delete;
  FileStorage& operator=(const FileStorage&) = delete;

  std::optional<Payload> get(std::string_view key) const override { return map_.get(key); }
  void put(std::string_view key, Payload value) override;
  void erase(std::string_view key) override;
  void scan(std::string_view prefix, const Visitor& visit) const override { map_.scan(prefix, visit); }
  void sync(std::function<void()> on_durable) override;

  // The turn-end work: write, one fdatasync for the turn's syncs, compaction, completions.
  void commit();
  std::uint64_t file_bytes() const { return file_bytes_; }
  std::size_t live_entries() const { return map_.size(); }

  static constexpr std::string_view kFileName = "storage.wal";

 private:
  void replay();
  void append_record(std::uint8_t op, std::string_view key, std::span<const std::byte> value);
  void write_buffer();
  bool should_compact() const;
  void compact();
  void open_file();

  EventLoop& loop_;
  FileStorageOptions options_;
  Logger log_;
  KeyValueMap map_;
  int fd_ = -1;
  int lock_fd_ = -1;
  std::uint64_t file_bytes_ = 0;
  std::string buffer_;                              // records not yet written
  std::vector<std::function<void()>> waiting_;      // syncs of this turn, in request order
  Counter& fdatasyncs_;
  Counter& compactions_;
  Counter& bytes_written_;
  Counter& torn_bytes_;
};

// CRC-32C (Castagnoli), the checksum of every record; exposed for tests.
std::uint32_t crc32c(std::span<const std::byte> bytes, std::uint32_t crc = 0);

}  // namespace eyrie::net
