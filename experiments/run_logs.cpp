#include "experiments/run_logs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "runtime/hash.hpp"

namespace eyrie::experiments {

namespace {

[[noreturn]] void throw_errno(const std::string& what, const std::filesystem::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

// A process killed in the middle of write(2) may leave half a line. The next writer of the
// file (the node's next incarnation) cuts it off, so that only the last line of a file can be
// torn, and readers can drop exactly that one.
void cut_torn_tail(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("cannot stat", path);
  off_t end = st.st_size;
  char block[4096];
  while (end > 0) {
    const off_t start = end > static_cast<off_t>(sizeof block) ? end - static_cast<off_t>(sizeof block) : 0;
    const ssize_t n = ::pread(fd, block, static_cast<std::size_t>(end - start), start);
    if (n != end - start) throw_errno("cannot read", path);
    for (ssize_t i = n - 1; i >= 0; --i) {
      if (block[i] != '\n') continue;
      const off_t keep = start + i + 1;
      if (keep != st.st_size && ::ftruncate(fd, keep) != 0) throw_errno("cannot truncate", path);
      return;
    }
    end = start;
  }
  if (st.st_size > 0 && ::ftruncate(fd, 0) != 0) throw_errno("cannot truncate", path);
}

std::string join_groups(const std::vector<multicast::GroupId>& groups) {
  std::string out;
  for (std::size_t i = 0; i < groups.size(); ++i) out += fmt::format("{}{}", i ? "," : "", groups[i].value);
  return out;
}

// Splits a file into its complete lines (a last line without '\n' is torn and dropped).
std::vector<std::string> complete_lines(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  std::vector<std::string> lines;
  std::size_t begin = 0;
  for (std::size_t end = all.find('\n'); end != std::string::npos; end = all.find('\n', begin)) {
    lines.push_back(all.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

// Reads the whitespace-separated fields of one line; every accessor throws on a bad field.
class Fields {
 public:
  Fields(const std::filesystem::path& path, std::size_t line_number, const std::string& line)
      : path_(path), line_number_(line_number) {
    std::istringstream in(line);
    for (std::string word; in >> word;) words_.push_back(word);
  }
  std::size_t size() const { return words_.size(); }
  const std::string& word(std::size_t i) const {
    if (i >= words_.size()) fail(fmt::format("expected at least {} fields", i + 1));
    return words_[i];
  }
  void expect_size(std::size_t n) const {
    if (words_.size() != n) fail(fmt::format("expected {} fields, got {}", n, words_.size()));
  }
  std::uint64_t u64(std::size_t i, int base = 10) const { return parse_u64(word(i), base); }
  std::int64_t i64(std::size_t i) const {
    std::int64_t v = 0;
    const std::string& w = word(i);
    const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (ec != std::errc{} || end != w.data() + w.size()) fail("expected an integer, got \"" + w + "\"");
    return v;
  }
  std::vector<multicast::GroupId> groups(std::size_t i) const {
    std::vector<multicast::GroupId> out;
    std::string_view rest = word(i);
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      out.push_back(multicast::GroupId{static_cast<std::uint32_t>(parse_u64(rest.substr(0, comma), 10))});
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return out;
  }
  // The value of a `key=value` field.
  std::string_view value(std::size_t i, std::string_view key) const {
    const std::string& w = word(i);
    if (w.size() <= key.size() || w.compare(0, key.size(), key) != 0 || w[key.size()] != '=') {
      fail(fmt::format("expected {}=..., got \"{}\"", key, w));
    }
    return std::string_view(w).substr(key.size() + 1);
  }
  std::uint64_t parse_u64(std::string_view text, int base) const {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
      fail("expected an unsigned integer, got \"" + std::string(text) + "\"");
    }
    return v;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(fmt::format("{}:{}: {}", path_.string(), line_number_, what));
  }

 private:
  const std::filesystem::path& path_;
  std::size_t line_number_;
  std::vector<std::string> words_;
};

multicast::MessageId message_id(const Fields& f, std::size_t at) {
  return multicast::MessageId{NodeId{f.u64(at)}, f.u64(at + 1)};
}

WallTime wall_ns(std::int64_t ns) { return WallTime{Duration{ns}}; }

}  // namespace

AppendFile::AppendFile(const std::filesystem::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_errno("cannot open", path);
  cut_torn_tail(fd_, path);
  buffer_.reserve(kBufferBytes + 256);
}

AppendFile::~AppendFile() {
  try {
    flush();
  } catch (const std::exception&) {
    // Nothing to report to from a destructor; the reader sees a shorter log.
  }
  ::close(fd_);
}

void AppendFile::line(std::string_view text) {
  buffer_.append(text);
  buffer_.push_back('\n');
  if (buffer_.size() >= kBufferBytes) flush();
}

void AppendFile::flush() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot write", path_);
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

DeliveryLogWriter::DeliveryLogWriter(Env& env, const std::filesystem::path& path, std::vector<multicast::GroupId> groups,
                                     bool optimistic)
    : env_(env), file_(path) {
  file_.line(fmt::format("incarnation node={} groups={} optimistic={} pid={}", env.self().value, join_groups(groups),
                         optimistic ? 1 : 0, ::getpid()));
  file_.flush();
}

void DeliveryLogWriter::start() { env_.after(kFlushInterval, [this] { flush_tick(); }); }

void DeliveryLogWriter::flush_tick() {
  file_.flush();
  env_.after(kFlushInterval, [this] { flush_tick(); });
}

void DeliveryLogWriter::conservative(const multicast::Delivery& d) {
  file_.line(fmt::format("c {} {} {} {:016x} {} {} {} {} {} {}", d.id.sender.value, d.id.seq, join_groups(d.destinations),
                         fnv1a64(d.payload.bytes()), to_ns(d.final_timestamp), d.ensemble.value, d.instance.value,
                         d.position, to_ns(d.timestamp), to_ns(env_.wall_clock())));
}

void DeliveryLogWriter::optimistic(const multicast::OptDelivery& d) {
  file_.line(fmt::format("o {} {} {} {} {} {} {}", d.id.sender.value, d.id.seq, join_groups(d.destinations),
                         d.ensemble.value, d.position, to_ns(d.timestamp), to_ns(env_.wall_clock())));
}

std::vector<RecordedLearner> read_delivery_log(const std::filesystem::path& path) {
  std::vector<RecordedLearner> out;
  const std::vector<std::string> lines = complete_lines(path);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Fields f(path, i + 1, lines[i]);
    if (f.size() == 0) continue;
    const std::string& kind = f.word(0);
    if (kind == "incarnation") {
      f.expect_size(5);
      RecordedLearner r;
      r.log.node = NodeId{f.parse_u64(f.value(1, "node"), 10)};
      r.log.incarnation = out.size() + 1;
      const Fields groups(path, i + 1, std::string(f.value(2, "groups")));
      r.log.groups = groups.groups(0);
      if (f.value(3, "optimistic") == "1") r.log.optimistic.emplace();
      out.push_back(std::move(r));
      continue;
    }
    if (out.empty()) f.fail("a delivery before the first incarnation line");
    RecordedLearner& r = out.back();
    if (kind == "c") {
      f.expect_size(11);
      r.log.conservative.push_back(check::ConservativeDelivery{
          .id = message_id(f, 1),
          .destinations = f.groups(3),
          .payload_hash = f.u64(4, 16),
          .final_timestamp = wall_ns(f.i64(5)),
          .ensemble = multicast::EnsembleId{static_cast<std::uint32_t>(f.u64(6))},
          .position = f.u64(8),
      });
      r.delivered_at.push_back(wall_ns(f.i64(10)));
    } else if (kind == "o") {
      f.expect_size(8);
      if (!r.log.optimistic) f.fail("an optimistic delivery in a log without optimistic=1");
      r.log.optimistic->push_back(message_id(f, 1));
    } else {
      f.fail("unknown line kind \"" + kind + "\"");
    }
  }
  return out;
}

SentLogWriter::SentLogWriter(const std::filesystem::path& path, NodeId sender) : file_(path) {
  file_.line(fmt::format("sender {}", sender.value));
  file_.flush();
}

void SentLogWriter::sent(const multicast::MessageId& id, const std::vector<multicast::GroupId>& destinations,
                         const Payload& payload) {
  file_.line(fmt::format("s {} {} {:016x}", id.seq, join_groups(destinations), fnv1a64(payload.bytes())));
}

void SentLogWriter::finish(std::uint64_t sent, const std::set<std::uint64_t>& unacknowledged) {
  for (std::uint64_t seq : unacknowledged) file_.line(fmt::format("unacknowledged {}", seq));
  file_.line(fmt::format("end sent={} acknowledged={}", sent, sent - unacknowledged.size()));
  file_.flush();
}

std::vector<check::SentMulticast> read_sent_log(const std::filesystem::path& path) {
  std::vector<check::SentMulticast> out;
  const std::vector<std::string> lines = complete_lines(path);
  NodeId sender{};
  bool in_section = false;
  std::size_t section_begin = 0;
  std::map<std::uint64_t, std::size_t> section;  // seq -> index into out
  std::set<std::uint64_t> unacknowledged;
  // Until its `end` line, a section's messages are not owed (its sender did not finish).
  const auto close_section = [&](bool ended) {
    for (std::size_t k = section_begin; k < out.size(); ++k) {
      out[k].sender_correct = ended && !unacknowledged.count(out[k].id.seq);
    }
    section.clear();
    unacknowledged.clear();
    in_section = false;
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Fields f(path, i + 1, lines[i]);
    if (f.size() == 0) continue;
    const std::string& kind = f.word(0);
    if (kind == "sender") {
      f.expect_size(2);
      if (in_section) close_section(false);
      sender = NodeId{f.u64(1)};
      in_section = true;
      section_begin = out.size();
      continue;
    }
    if (!in_section) f.fail("a line outside a sender section");
    if (kind == "s") {
      f.expect_size(4);
      const std::uint64_t seq = f.u64(1);
      if (!section.emplace(seq, out.size()).second) f.fail(fmt::format("seq {} sent twice", seq));
      out.push_back(check::SentMulticast{multicast::MessageId{sender, seq}, f.groups(2), f.u64(3, 16), false});
    } else if (kind == "unacknowledged") {
      f.expect_size(2);
      unacknowledged.insert(f.u64(1));
    } else if (kind == "end") {
      f.expect_size(3);
      close_section(true);
    } else {
      f.fail("unknown line kind \"" + kind + "\"");
    }
  }
  if (in_section) close_section(false);
  return out;
}

check::MulticastHistory read_history(const std::vector<std::filesystem::path>& sent_logs,
                                     const std::vector<std::filesystem::path>& delivery_logs, bool settled) {
  check::MulticastHistory history;
  history.settled = settled;
  for (const auto& path : sent_logs) {
    std::vector<check::SentMulticast> sent = read_sent_log(path);
    history.sent.insert(history.sent.end(), sent.begin(), sent.end());
  }
  std::map<NodeId, std::size_t> last;  // node -> index of its last incarnation in history.logs
  std::map<NodeId, std::uint64_t> incarnations;
  for (const auto& path : delivery_logs) {
    for (RecordedLearner& r : read_delivery_log(path)) {
      r.log.incarnation = ++incarnations[r.log.node];
      last[r.log.node] = history.logs.size();
      history.logs.push_back(std::move(r.log));
    }
  }
  for (const auto& [node, index] : last) history.logs[index].correct = true;
  return history;
}

}  // namespace eyrie::experiments
