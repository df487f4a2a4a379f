#include "runtime/net/file_storage.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "runtime/assert.hpp"

namespace eyrie::net {

namespace {

constexpr std::uint8_t kPut = 1;
constexpr std::uint8_t kErase = 2;
constexpr std::size_t kRecordHeaderBytes = 8;          // body length, CRC of the body
constexpr std::size_t kBodyPrefixBytes = 1 + 4;        // operation, key length
constexpr std::size_t kRecordBodyBytesMax = 1u << 30;  // far above any sane value; bounds replay

std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // reflected Castagnoli
    table[i] = c;
  }
  return table;
}

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

void write_all(int fd, const char* data, std::size_t size, const std::filesystem::path& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write", path);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void fsync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open folder", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail("cannot fsync folder", dir);
}

void put_u32(std::string& out, std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

std::uint32_t get_u32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void encode_record(std::string& out, std::uint8_t op, std::string_view key, std::span<const std::byte> value) {
  const std::size_t body = kBodyPrefixBytes + key.size() + value.size();
  EYRIE_ASSERT(body <= kRecordBodyBytesMax, "storage record too large");
  const std::size_t start = out.size();
  put_u32(out, static_cast<std::uint32_t>(body));
  put_u32(out, 0);  // CRC, filled below
  out.push_back(static_cast<char>(op));
  put_u32(out, static_cast<std::uint32_t>(key.size()));
  out.append(key);
  out.append(reinterpret_cast<const char*>(value.data()), value.size());
  const auto* body_bytes = reinterpret_cast<const std::byte*>(out.data() + start + kRecordHeaderBytes);
  const std::uint32_t crc = crc32c({body_bytes, body});
  std::memcpy(out.data() + start + 4, &crc, sizeof crc);
}

}  // namespace

std::uint32_t crc32c(std::span<const std::byte> bytes, std::uint32_t crc) {
  static const std::array<std::uint32_t, 256> table = make_crc_table();
  crc = ~crc;
  for (std::byte b : bytes) crc = table[(crc ^ static_cast<std::uint8_t>(b)) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

FileStorage::FileStorage(EventLoop& loop, FileStorageOptions options, Metrics& metrics, Logger log)
    : loop_(loop),
      options_(std::move(options)),
      log_(std::move(log)),
      fdatasyncs_(metrics.counter("storage.fdatasyncs")),
      compactions_(metrics.counter("storage.compactions")),
      bytes_written_(metrics.counter("storage.bytes_written")),
      torn_bytes_(metrics.counter("storage.torn_tail_bytes")) {
  std::filesystem::create_directories(options_.dir);
  const auto lock_path = options_.dir / "LOCK";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) fail("cannot open", lock_path);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    fail("storage folder is in use by another process:", options_.dir);
  }
  open_file();
  replay();
  loop_.at_turn_end([this] { commit(); });
}

FileStorage::~FileStorage() {
  if (fd_ >= 0) ::close(fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

void FileStorage::open_file() {
  const auto path = options_.dir / kFileName;
  const bool existed = std::filesystem::exists(path);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open", path);
  // A new file's name is durable only once its folder is synced.
  if (!existed) fsync_dir(options_.dir);
}

void FileStorage::replay() {
  const auto path = options_.dir / kFileName;
  std::string data;
  data.resize(static_cast<std::size_t>(std::filesystem::file_size(path)));
  std::size_t read_bytes = 0;
  while (read_bytes < data.size()) {
    const ssize_t n = ::pread(fd_, data.data() + read_bytes, data.size() - read_bytes, static_cast<off_t>(read_bytes));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot read", path);
    read_bytes += static_cast<std::size_t>(n);
  }
  std::size_t offset = 0;
  while (data.size() - offset >= kRecordHeaderBytes) {
    const std::uint32_t body = get_u32(data.data() + offset);
    const std::uint32_t crc = get_u32(data.data() + offset + 4);
    if (body < kBodyPrefixBytes || body > data.size() - offset - kRecordHeaderBytes) break;
    const char* p = data.data() + offset + kRecordHeaderBytes;
    if (crc32c({reinterpret_cast<const std::byte*>(p), body}) != crc) break;
    const auto op = static_cast<std::uint8_t>(p[0]);
    const std::uint32_t key_size = get_u32(p + 1);
    if ((op != kPut && op != kErase) || key_size > body - kBodyPrefixBytes) break;
    const std::string_view key(p + kBodyPrefixBytes, key_size);
    if (op == kPut) {
      const char* value = p + kBodyPrefixBytes + key_size;
      map_.put(key, Payload::copy_of(std::string_view(value, body - kBodyPrefixBytes - key_size)));
    } else {
      map_.erase(key);
    }
    offset += kRecordHeaderBytes + body;
  }
  file_bytes_ = offset;
  if (offset < data.size()) {
    // Cut the torn tail off, so that new records follow the last good one.
    log_.warn("{}: discarding {} bytes of torn tail after {} good bytes", path.string(), data.size() - offset, offset);
    torn_bytes_.add(data.size() - offset);
    if (::ftruncate(fd_, static_cast<off_t>(offset)) != 0 || ::fdatasync(fd_) != 0) fail("cannot truncate", path);
  }
  log_.info("storage {}: {} keys, {} bytes replayed", options_.dir.string(), map_.size(), offset);
}

void FileStorage::append_record(std::uint8_t op, std::string_view key, std::span<const std::byte> value) {
  encode_record(buffer_, op, key, value);
  if (buffer_.size() >= options_.write_buffer_bytes_max) write_buffer();
}

void FileStorage::put(std::string_view key, Payload value) {
  append_record(kPut, key, value.bytes());
  map_.put(key, std::move(value));
}

void FileStorage::erase(std::string_view key) {
  append_record(kErase, key, {});
  map_.erase(key);
}

void FileStorage::sync(std::function<void()> on_durable) {
  waiting_.push_back(std::move(on_durable));
  loop_.wake();
}

void FileStorage::write_buffer() {
  if (buffer_.empty()) return;
  write_all(fd_, buffer_.data(), buffer_.size(), options_.dir / kFileName);
  file_bytes_ += buffer_.size();
  bytes_written_.add(buffer_.size());
  buffer_.clear();
}

void FileStorage::commit() {
  write_buffer();
  if (should_compact()) {
    compact();  // syncs the new file, which covers every sync of this turn
  } else if (!waiting_.empty()) {
    if (::fdatasync(fd_) != 0) fail("cannot fdatasync", options_.dir / kFileName);
    fdatasyncs_.add();
  }
  for (auto& fn : waiting_) loop_.defer(std::move(fn));
  waiting_.clear();
}

bool FileStorage::should_compact() const {
  const std::size_t live = map_.bytes() + map_.size() * (kRecordHeaderBytes + kBodyPrefixBytes);
  return file_bytes_ > options_.compact_min_bytes && file_bytes_ > options_.compact_ratio * live;
}

void FileStorage::compact() {
  const auto path = options_.dir / kFileName;
  const auto temporary = options_.dir / "storage.wal.compacting";
  const std::uint64_t before = file_bytes_;
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create", temporary);
  std::string chunk;
  std::uint64_t written = 0;
  auto drain = [&] {
    write_all(fd, chunk.data(), chunk.size(), temporary);
    written += chunk.size();
    chunk.clear();
  };
  for (const auto& [key, value] : map_.entries()) {
    encode_record(chunk, kPut, key, value.bytes());
    if (chunk.size() >= options_.write_buffer_bytes_max) drain();
  }
  drain();
  if (::fsync(fd) != 0) fail("cannot fsync", temporary);
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail("cannot rename over", path);
  fsync_dir(options_.dir);
  ::close(fd_);
  fd_ = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) fail("cannot reopen", path);
  file_bytes_ = written;
  bytes_written_.add(written);
  compactions_.add();
  log_.info("compacted {}: {} -> {} bytes, {} keys", path.string(), before, written, map_.size());
}

}  // namespace eyrie::net
