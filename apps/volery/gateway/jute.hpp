#pragma once
// ZooKeeper's wire format: jute's binary archive as ZooKeeper 3.5-3.8 reads and writes it, and
// the records a client and a server exchange (zookeeper.jute; the C client's zookeeper.jute.h
// lists the same fields in the same order).
//
// The archive: int = 4 bytes and long = 8 bytes, big-endian two's complement; bool = 1 byte
// (any non-zero byte reads as true); buffer and ustring = an int length then that many bytes,
// length -1 meaning null (read here as empty: Volery has no null data or names); vector = an
// int count then the items, -1 meaning null (read as empty). Records are their fields in order,
// with no framing of their own. On a connection every packet is a frame: an int length, then
// the packet (jute.maxbuffer bounds the length: apps/volery/gateway/connection.hpp).
//
// Readers never crash: a read past the end, a length below -1 or beyond the bytes left, or a
// count that cannot fit in what is left fails the reader, which stays failed (later reads
// return zeros) and says why. Bytes left after a record are not an error: ZooKeeper ignores
// them too (its records are read from the front of the packet).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apps/volery/types.hpp"

namespace eyrie::volery::zk {

using Bytes = std::vector<std::byte>;

// ZooDefs.OpCode.
enum class OpCode : std::int32_t {
  notification = 0,
  create = 1,
  remove = 2,  // delete
  exists = 3,
  get_data = 4,
  set_data = 5,
  get_acl = 6,
  set_acl = 7,
  get_children = 8,
  sync = 9,
  ping = 11,
  get_children2 = 12,
  check = 13,
  multi = 14,
  create2 = 15,
  reconfig = 16,
  check_watches = 17,
  remove_watches = 18,
  create_container = 19,
  delete_container = 20,
  create_ttl = 21,
  multi_read = 22,
  auth = 100,
  set_watches = 101,
  sasl = 102,
  get_ephemerals = 103,
  get_all_children_number = 104,
  set_watches2 = 105,
  add_watch = 106,
  who_am_i = 107,
  create_session = -10,
  close_session = -11,
  error = -1,
};

// The xids a client and a server reserve (ClientCnxn).
inline constexpr std::int32_t kNotificationXid = -1;
inline constexpr std::int32_t kPingXid = -2;
inline constexpr std::int32_t kAuthXid = -4;
inline constexpr std::int32_t kSetWatchesXid = -8;

// Watcher.Event.KeeperState.SyncConnected: the state every watch event carries.
inline constexpr std::int32_t kSyncConnected = 3;
// KeeperException codes beyond volery::Code that the gateway answers with.
inline constexpr Code kReconfigDisabled = static_cast<Code>(-123);

// Bytes the records' fixed parts take (length checks, tests).
inline constexpr std::size_t kStatBytes = 68;
inline constexpr std::size_t kRequestHeaderBytes = 8;
inline constexpr std::size_t kReplyHeaderBytes = 16;
inline constexpr std::size_t kFrameLengthBytes = 4;

class JuteWriter {
 public:
  // A writer whose output is one frame: finish() puts the length in front.
  static JuteWriter frame();

  void write_int(std::int32_t value);
  void write_long(std::int64_t value);
  void write_bool(bool value);
  void write_buffer(std::string_view bytes);  // also ustring: same encoding
  void write_null();                          // a null buffer, ustring or vector: length -1
  void write_strings(const std::vector<std::string>& strings);
  // The bytes written (with the frame length in front for a frame() writer).
  Bytes finish() &&;
  std::size_t size() const { return bytes_.size(); }

 private:
  Bytes bytes_;
  bool framed_ = false;
};

class JuteReader {
 public:
  explicit JuteReader(std::span<const std::byte> bytes) : bytes_(bytes) {}

  std::int32_t read_int();
  std::int64_t read_long();
  bool read_bool();
  std::string read_buffer();  // also ustring
  // A request's path that must not be null: a null one fails the reader, so the request answers
  // MarshallingError, as ZooKeeper's does where its processing trips on the null (reads, create,
  // delete). setData and setACL validate it first: there a null path reads as "" (BadArguments).
  std::string read_path();
  // Whether a null buffer (length -1) comes next.
  bool next_is_null() const;
  std::vector<std::string> read_strings();
  // A vector's count: 0 for null (-1); fails for other negative counts and for counts that
  // cannot fit in the bytes left at `item_bytes_min` bytes each.
  std::size_t read_count(std::size_t item_bytes_min);

  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  std::size_t remaining() const { return bytes_.size() - offset_; }
  std::size_t offset() const { return offset_; }
  // Fails the reader with `why` (a record's own rule, e.g. an unknown multi operation).
  void fail(std::string why);

 private:
  bool take(std::size_t count, const char* what);

  std::span<const std::byte> bytes_;
  std::size_t offset_ = 0;
  bool failed_ = false;
  std::string error_;
};

// ---- records --------------------------------------------------------------------------------

struct ConnectRequest {
  std::int32_t protocol_version = 0;
  std::int64_t last_zxid_seen = 0;
  std::int32_t timeout_ms = 0;
  std::int64_t session_id = 0;
  std::string password;
  bool read_only = false;  // a trailing bool that clients before 3.3 leave out
  friend bool operator==(const ConnectRequest&, const ConnectRequest&) = default;
};
struct ConnectResponse {
  std::int32_t protocol_version = 0;
  std::int32_t timeout_ms = 0;  // 0: the session is expired (or the password wrong)
  std::int64_t session_id = 0;
  std::string password;
  bool read_only = false;  // written by 3.4+ servers
  friend bool operator==(const ConnectResponse&, const ConnectResponse&) = default;
};
struct RequestHeader {
  std::int32_t xid = 0;
  std::int32_t type = 0;
  friend bool operator==(const RequestHeader&, const RequestHeader&) = default;
};
struct ReplyHeader {
  std::int32_t xid = 0;
  std::int64_t zxid = 0;
  std::int32_t err = 0;
  friend bool operator==(const ReplyHeader&, const ReplyHeader&) = default;
};
struct MultiHeader {
  std::int32_t type = -1;
  bool done = true;
  std::int32_t err = -1;
  friend bool operator==(const MultiHeader&, const MultiHeader&) = default;
};
struct AuthPacket {
  std::int32_t type = 0;
  std::string scheme;
  std::string auth;  // a buffer: "user:password" for digest
  friend bool operator==(const AuthPacket&, const AuthPacket&) = default;
};
struct WatcherEvent {
  std::int32_t type = 0;
  std::int32_t state = kSyncConnected;
  std::string path;
  friend bool operator==(const WatcherEvent&, const WatcherEvent&) = default;
};
// SetWatches (101) and SetWatches2 (105, which adds the persistent watches of addWatch).
struct SetWatches {
  std::int64_t relative_zxid = 0;
  std::vector<std::string> data;
  std::vector<std::string> exist;
  std::vector<std::string> child;
  std::vector<std::string> persistent;            // SetWatches2 only
  std::vector<std::string> persistent_recursive;  // SetWatches2 only
  friend bool operator==(const SetWatches&, const SetWatches&) = default;
};
// CreateRequest (create, create2, createContainer) and CreateTTLRequest (createTTL: ttl).
struct CreateRequest {
  std::string path;
  std::string data;
  std::vector<Acl> acl;
  std::int32_t flags = 0;  // CreateMode
  std::int64_t ttl = 0;
  friend bool operator==(const CreateRequest&, const CreateRequest&) = default;
};
// ExistsRequest, GetDataRequest, GetChildrenRequest, GetChildren2Request.
struct PathWatchRequest {
  std::string path;
  bool watch = false;
  friend bool operator==(const PathWatchRequest&, const PathWatchRequest&) = default;
};
// DeleteRequest, CheckVersionRequest.
struct PathVersionRequest {
  std::string path;
  std::int32_t version = -1;
  friend bool operator==(const PathVersionRequest&, const PathVersionRequest&) = default;
};
struct SetDataRequest {
  std::string path;
  std::string data;
  std::int32_t version = -1;
  friend bool operator==(const SetDataRequest&, const SetDataRequest&) = default;
};
struct SetAclRequest {
  std::string path;
  std::vector<Acl> acl;
  std::int32_t version = -1;
  friend bool operator==(const SetAclRequest&, const SetAclRequest&) = default;
};

// read() fills `out` from the reader (check reader.failed() after); write() appends. Responses
// (CreateResponse = a path, GetDataResponse = data and a Stat, ...) are written field by field
// with the primitives and write(Stat)/write(ACL vector).
void write(JuteWriter& out, const Stat& stat);
void read(JuteReader& in, Stat& stat);
void write(JuteWriter& out, const std::vector<Acl>& acl);
void read(JuteReader& in, std::vector<Acl>& acl);
void write(JuteWriter& out, const ConnectRequest& r);
void read(JuteReader& in, ConnectRequest& r);  // readOnly is read only when bytes are left
void write(JuteWriter& out, const ConnectResponse& r);
void read(JuteReader& in, ConnectResponse& r);  // readOnly likewise
void write(JuteWriter& out, const RequestHeader& h);
void read(JuteReader& in, RequestHeader& h);
void write(JuteWriter& out, const ReplyHeader& h);
void read(JuteReader& in, ReplyHeader& h);
void write(JuteWriter& out, const MultiHeader& h);
void read(JuteReader& in, MultiHeader& h);
void write(JuteWriter& out, const AuthPacket& p);
void read(JuteReader& in, AuthPacket& p);
void write(JuteWriter& out, const WatcherEvent& e);
void read(JuteReader& in, WatcherEvent& e);
void write(JuteWriter& out, const SetWatches& w, bool version2);
void read(JuteReader& in, SetWatches& w, bool version2);
void write(JuteWriter& out, const CreateRequest& r, bool ttl);
void read(JuteReader& in, CreateRequest& r, bool ttl);
void write(JuteWriter& out, const PathWatchRequest& r);
void read(JuteReader& in, PathWatchRequest& r);
void write(JuteWriter& out, const PathVersionRequest& r);
void read(JuteReader& in, PathVersionRequest& r);
void write(JuteWriter& out, const SetDataRequest& r);
void read(JuteReader& in, SetDataRequest& r);
void write(JuteWriter& out, const SetAclRequest& r);
void read(JuteReader& in, SetAclRequest& r);

}  // namespace eyrie::volery::zk
