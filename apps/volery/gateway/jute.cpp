#include "apps/volery/gateway/jute.hpp"

namespace eyrie::volery::zk {

// ---- the archive -------------------------------------------------------------------------------

JuteWriter JuteWriter::frame() {
  JuteWriter w;
  w.framed_ = true;
  w.write_int(0);  // the length, filled in by finish()
  return w;
}

void JuteWriter::write_int(std::int32_t value) {
  const auto u = static_cast<std::uint32_t>(value);
  for (int shift = 24; shift >= 0; shift -= 8) bytes_.push_back(static_cast<std::byte>(u >> shift));
}

void JuteWriter::write_long(std::int64_t value) {
  const auto u = static_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) bytes_.push_back(static_cast<std::byte>(u >> shift));
}

void JuteWriter::write_bool(bool value) { bytes_.push_back(std::byte{value ? std::uint8_t{1} : std::uint8_t{0}}); }

void JuteWriter::write_buffer(std::string_view bytes) {
  write_int(static_cast<std::int32_t>(bytes.size()));
  const auto* data = reinterpret_cast<const std::byte*>(bytes.data());
  bytes_.insert(bytes_.end(), data, data + bytes.size());
}

void JuteWriter::write_null() { write_int(-1); }

void JuteWriter::write_strings(const std::vector<std::string>& strings) {
  write_int(static_cast<std::int32_t>(strings.size()));
  for (const std::string& s : strings) write_buffer(s);
}

Bytes JuteWriter::finish() && {
  if (framed_) {
    const auto length = static_cast<std::uint32_t>(bytes_.size() - kFrameLengthBytes);
    for (int i = 0; i < 4; ++i) bytes_[i] = static_cast<std::byte>(length >> (24 - 8 * i));
  }
  return std::move(bytes_);
}

void JuteReader::fail(std::string why) {
  if (failed_) return;
  failed_ = true;
  error_ = std::move(why);
}

bool JuteReader::take(std::size_t count, const char* what) {
  if (failed_) return false;
  if (count > remaining()) {
    fail(std::string(what) + " needs " + std::to_string(count) + " bytes at offset " + std::to_string(offset_) +
         ", " + std::to_string(remaining()) + " left");
    return false;
  }
  return true;
}

std::int32_t JuteReader::read_int() {
  if (!take(4, "an int")) return 0;
  std::uint32_t u = 0;
  for (int i = 0; i < 4; ++i) u = (u << 8) | std::to_integer<std::uint32_t>(bytes_[offset_ + i]);
  offset_ += 4;
  return static_cast<std::int32_t>(u);
}

std::int64_t JuteReader::read_long() {
  if (!take(8, "a long")) return 0;
  std::uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u = (u << 8) | std::to_integer<std::uint64_t>(bytes_[offset_ + i]);
  offset_ += 8;
  return static_cast<std::int64_t>(u);
}

bool JuteReader::read_bool() {
  if (!take(1, "a bool")) return false;
  return std::to_integer<std::uint8_t>(bytes_[offset_++]) != 0;
}

std::string JuteReader::read_buffer() {
  const std::size_t at = offset_;
  const std::int32_t length = read_int();
  if (failed_ || length == -1) return {};
  if (length < 0) {
    fail("a buffer length " + std::to_string(length) + " at offset " + std::to_string(at));
    return {};
  }
  if (!take(static_cast<std::size_t>(length), "a buffer")) return {};
  std::string out(reinterpret_cast<const char*>(bytes_.data() + offset_), static_cast<std::size_t>(length));
  offset_ += static_cast<std::size_t>(length);
  return out;
}

bool JuteReader::next_is_null() const {
  if (failed_ || remaining() < 4) return false;
  std::int32_t length = 0;
  for (int i = 0; i < 4; ++i) length = (length << 8) | std::to_integer<std::int32_t>(bytes_[offset_ + i]);
  return length == -1;
}

std::string JuteReader::read_path() {
  const std::size_t at = offset_;
  if (remaining() >= 4) {
    std::int32_t length = 0;
    for (int i = 0; i < 4; ++i) length = (length << 8) | std::to_integer<std::int32_t>(bytes_[offset_ + i]);
    if (length == -1) {
      fail("a null path at offset " + std::to_string(at));
      return {};
    }
  }
  return read_buffer();
}

std::size_t JuteReader::read_count(std::size_t item_bytes_min) {
  const std::size_t at = offset_;
  const std::int32_t count = read_int();
  if (failed_ || count == -1) return 0;
  if (count < 0) {
    fail("a vector count " + std::to_string(count) + " at offset " + std::to_string(at));
    return 0;
  }
  // Checked before anything is reserved: a count cannot promise more items than bytes left.
  if (static_cast<std::size_t>(count) > remaining() / (item_bytes_min == 0 ? 1 : item_bytes_min)) {
    fail("a vector of " + std::to_string(count) + " items at offset " + std::to_string(at) + " in " +
         std::to_string(remaining()) + " bytes");
    return 0;
  }
  return static_cast<std::size_t>(count);
}

std::vector<std::string> JuteReader::read_strings() {
  const std::size_t count = read_count(4);
  std::vector<std::string> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count && !failed_; ++i) out.push_back(read_buffer());
  if (failed_) out.clear();
  return out;
}

// ---- records ----------------------------------------------------------------------------------

void write(JuteWriter& out, const Stat& s) {
  out.write_long(s.czxid);
  out.write_long(s.mzxid);
  out.write_long(s.ctime);
  out.write_long(s.mtime);
  out.write_int(s.version);
  out.write_int(s.cversion);
  out.write_int(s.aversion);
  out.write_long(s.ephemeral_owner);
  out.write_int(s.data_length);
  out.write_int(s.num_children);
  out.write_long(s.pzxid);
}

void read(JuteReader& in, Stat& s) {
  s.czxid = in.read_long();
  s.mzxid = in.read_long();
  s.ctime = in.read_long();
  s.mtime = in.read_long();
  s.version = in.read_int();
  s.cversion = in.read_int();
  s.aversion = in.read_int();
  s.ephemeral_owner = in.read_long();
  s.data_length = in.read_int();
  s.num_children = in.read_int();
  s.pzxid = in.read_long();
}

void write(JuteWriter& out, const std::vector<Acl>& acl) {
  out.write_int(static_cast<std::int32_t>(acl.size()));
  for (const Acl& a : acl) {
    out.write_int(a.perms);
    out.write_buffer(a.id.scheme);
    out.write_buffer(a.id.id);
  }
}

void read(JuteReader& in, std::vector<Acl>& acl) {
  const std::size_t count = in.read_count(12);  // perms and two lengths
  acl.clear();
  acl.reserve(count);
  for (std::size_t i = 0; i < count && !in.failed(); ++i) {
    Acl a;
    a.perms = in.read_int();
    a.id.scheme = in.read_buffer();
    a.id.id = in.read_buffer();
    acl.push_back(std::move(a));
  }
}

void write(JuteWriter& out, const ConnectRequest& r) {
  out.write_int(r.protocol_version);
  out.write_long(r.last_zxid_seen);
  out.write_int(r.timeout_ms);
  out.write_long(r.session_id);
  out.write_buffer(r.password);
  out.write_bool(r.read_only);
}

void read(JuteReader& in, ConnectRequest& r) {
  r.protocol_version = in.read_int();
  r.last_zxid_seen = in.read_long();
  r.timeout_ms = in.read_int();
  r.session_id = in.read_long();
  r.password = in.read_buffer();
  r.read_only = !in.failed() && in.remaining() > 0 && in.read_bool();
}

void write(JuteWriter& out, const ConnectResponse& r) {
  out.write_int(r.protocol_version);
  out.write_int(r.timeout_ms);
  out.write_long(r.session_id);
  out.write_buffer(r.password);
  out.write_bool(r.read_only);
}

void read(JuteReader& in, ConnectResponse& r) {
  r.protocol_version = in.read_int();
  r.timeout_ms = in.read_int();
  r.session_id = in.read_long();
  r.password = in.read_buffer();
  r.read_only = !in.failed() && in.remaining() > 0 && in.read_bool();
}

void write(JuteWriter& out, const RequestHeader& h) {
  out.write_int(h.xid);
  out.write_int(h.type);
}

void read(JuteReader& in, RequestHeader& h) {
  h.xid = in.read_int();
  h.type = in.read_int();
}

void write(JuteWriter& out, const ReplyHeader& h) {
  out.write_int(h.xid);
  out.write_long(h.zxid);
  out.write_int(h.err);
}

void read(JuteReader& in, ReplyHeader& h) {
  h.xid = in.read_int();
  h.zxid = in.read_long();
  h.err = in.read_int();
}

void write(JuteWriter& out, const MultiHeader& h) {
  out.write_int(h.type);
  out.write_bool(h.done);
  out.write_int(h.err);
}

void read(JuteReader& in, MultiHeader& h) {
  h.type = in.read_int();
  h.done = in.read_bool();
  h.err = in.read_int();
}

void write(JuteWriter& out, const AuthPacket& p) {
  out.write_int(p.type);
  out.write_buffer(p.scheme);
  out.write_buffer(p.auth);
}

void read(JuteReader& in, AuthPacket& p) {
  p.type = in.read_int();
  p.scheme = in.read_buffer();
  p.auth = in.read_buffer();
}

void write(JuteWriter& out, const WatcherEvent& e) {
  out.write_int(e.type);
  out.write_int(e.state);
  out.write_buffer(e.path);
}

void read(JuteReader& in, WatcherEvent& e) {
  e.type = in.read_int();
  e.state = in.read_int();
  e.path = in.read_buffer();
}

void write(JuteWriter& out, const SetWatches& w, bool version2) {
  out.write_long(w.relative_zxid);
  out.write_strings(w.data);
  out.write_strings(w.exist);
  out.write_strings(w.child);
  if (version2) {
    out.write_strings(w.persistent);
    out.write_strings(w.persistent_recursive);
  }
}

void read(JuteReader& in, SetWatches& w, bool version2) {
  w.relative_zxid = in.read_long();
  w.data = in.read_strings();
  w.exist = in.read_strings();
  w.child = in.read_strings();
  if (version2) {
    w.persistent = in.read_strings();
    w.persistent_recursive = in.read_strings();
  }
}

void write(JuteWriter& out, const CreateRequest& r, bool ttl) {
  out.write_buffer(r.path);
  out.write_buffer(r.data);
  write(out, r.acl);
  out.write_int(r.flags);
  if (ttl) out.write_long(r.ttl);
}

void read(JuteReader& in, CreateRequest& r, bool ttl) {
  r.path = in.read_path();
  r.data = in.read_buffer();
  read(in, r.acl);
  r.flags = in.read_int();
  if (ttl) r.ttl = in.read_long();
}

void write(JuteWriter& out, const PathWatchRequest& r) {
  out.write_buffer(r.path);
  out.write_bool(r.watch);
}

void read(JuteReader& in, PathWatchRequest& r) {
  r.path = in.read_path();
  r.watch = in.read_bool();
}

void write(JuteWriter& out, const PathVersionRequest& r) {
  out.write_buffer(r.path);
  out.write_int(r.version);
}

void read(JuteReader& in, PathVersionRequest& r) {
  r.path = in.read_path();
  r.version = in.read_int();
}

void write(JuteWriter& out, const SetDataRequest& r) {
  out.write_buffer(r.path);
  out.write_buffer(r.data);
  out.write_int(r.version);
}

void read(JuteReader& in, SetDataRequest& r) {
  r.path = in.read_buffer();
  r.data = in.read_buffer();
  r.version = in.read_int();
}

void write(JuteWriter& out, const SetAclRequest& r) {
  out.write_buffer(r.path);
  write(out, r.acl);
  out.write_int(r.version);
}

void read(JuteReader& in, SetAclRequest& r) {
  r.path = in.read_buffer();
  read(in, r.acl);
  r.version = in.read_int();
}

}  // namespace eyrie::volery::zk
