#pragma once
// Volery's vocabulary: ZooKeeper 3.8's data model (error codes, create modes, permissions,
// ACLs, Stat, watch events) and the requests and replies of Volery's native protocol, which
// the client library (apps/volery/client.hpp) sends as S-SMR commands and the state machine
// (apps/volery/machine.hpp) executes. docs/volery.md has the design.
//
// Numeric values are ZooKeeper's (org.apache.zookeeper.KeeperException.Code, CreateMode,
// ZooDefs.Perms, Watcher.Event.EventType), so the wire gateway passes them through unchanged.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "oracle/oracle.hpp"
#include "runtime/types.hpp"

namespace eyrie::volery {

using oracle::PartitionId;
using SessionId = std::int64_t;  // ZooKeeper's session ids are signed 64-bit; Volery's are > 0
using Zxid = std::int64_t;

// KeeperException.Code values Volery answers with.
enum class Code : std::int32_t {
  ok = 0,
  system_error = -1,
  connection_loss = -4,  // the client library lost track of a request (it may have run)
  runtime_inconsistency = -2,  // multi: the operations after the one that failed
  marshalling_error = -5,
  unimplemented = -6,
  bad_arguments = -8,
  no_node = -101,
  no_auth = -102,
  bad_version = -103,
  no_children_for_ephemerals = -108,
  node_exists = -110,
  not_empty = -111,
  session_expired = -112,
  invalid_acl = -114,
  auth_failed = -115,
  session_moved = -118,  // a request from a gateway the session has left
};
const char* to_string(Code code);

// CreateMode (TTL modes are refused with unimplemented, as a ZooKeeper without extended types does).
enum class CreateMode : std::int32_t {
  persistent = 0,
  ephemeral = 1,
  persistent_sequential = 2,
  ephemeral_sequential = 3,
  container = 4,
};
bool is_ephemeral(CreateMode mode);
bool is_sequential(CreateMode mode);
const char* to_string(CreateMode mode);  // "persistent", "ephemeral_sequential", ...

// Bounds on what one request, reply or notification may carry (apps/volery/codec.hpp rejects
// anything larger). ZooKeeper bounds a whole packet by jute.maxbuffer (1 MiB by default) instead;
// Volery bounds each field so that every decoded value is safe to hold and to store.
namespace limits {
inline constexpr std::size_t path_bytes_max = 4096;       // also enforced by path_error (apps/volery/path.hpp)
inline constexpr std::size_t data_bytes_max = 1 << 20;    // a znode's data: 1 MiB
inline constexpr std::size_t multi_ops_max = 1024;
inline constexpr std::size_t acl_entries_max = 64;         // also enforced by fix_acl, after "auth" expansion
inline constexpr std::size_t auth_ids_max = 64;            // identities of one session
inline constexpr std::size_t scheme_bytes_max = 64;        // Id::scheme
inline constexpr std::size_t id_bytes_max = 1024;          // Id::id
inline constexpr std::size_t password_bytes_max = 64;      // a session password (Volery's are 16 bytes)
inline constexpr std::size_t tick_sessions_max = 100'000;  // Tick::renew and Result::expired
inline constexpr std::size_t children_max = 1 << 20;       // Result::children
inline constexpr std::size_t marks_max = 1024;             // Reply::marks: one per partition touched
}  // namespace limits

// ZooDefs.Perms bits.
namespace perms {
inline constexpr std::int32_t read = 1;
inline constexpr std::int32_t write = 2;
inline constexpr std::int32_t create = 4;
inline constexpr std::int32_t remove = 8;  // ZooKeeper's DELETE
inline constexpr std::int32_t admin = 16;
inline constexpr std::int32_t all = 31;
}  // namespace perms

// An authenticated identity or an ACL's subject: ("world", "anyone"), ("digest", "user:base64(sha1)"),
// and in ACLs given to create/setACL, ("auth", "") for "every identity of this session".
struct Id {
  std::string scheme;
  std::string id;
  friend bool operator==(const Id&, const Id&) = default;
  friend auto operator<=>(const Id&, const Id&) = default;
};
struct Acl {
  std::int32_t perms = 0;
  Id id;
  friend bool operator==(const Acl&, const Acl&) = default;
};
// world:anyone with every permission (ZooDefs.Ids.OPEN_ACL_UNSAFE).
std::vector<Acl> open_acl();

// org.apache.zookeeper.data.Stat.
struct Stat {
  Zxid czxid = 0;
  Zxid mzxid = 0;
  std::int64_t ctime = 0;  // milliseconds since 1970, from the creating command's timestamp
  std::int64_t mtime = 0;
  std::int32_t version = 0;
  std::int32_t cversion = 0;
  std::int32_t aversion = 0;
  SessionId ephemeral_owner = 0;
  std::int32_t data_length = 0;
  std::int32_t num_children = 0;
  Zxid pzxid = 0;
  friend bool operator==(const Stat&, const Stat&) = default;
};

// Watcher.Event.EventType.
enum class EventType : std::int32_t {
  node_created = 1,
  node_deleted = 2,
  node_data_changed = 3,
  node_children_changed = 4,
};
const char* to_string(EventType type);

// ---- operations ----------------------------------------------------------------------------

inline constexpr std::int32_t kAnyVersion = -1;

struct Create {
  std::string path;
  std::string data;
  std::vector<Acl> acl;
  CreateMode mode = CreateMode::persistent;
  friend bool operator==(const Create&, const Create&) = default;
};
struct Delete {
  std::string path;
  std::int32_t version = kAnyVersion;
  friend bool operator==(const Delete&, const Delete&) = default;
};
struct SetData {
  std::string path;
  std::string data;
  std::int32_t version = kAnyVersion;
  friend bool operator==(const SetData&, const SetData&) = default;
};
struct Check {
  std::string path;
  std::int32_t version = kAnyVersion;
  friend bool operator==(const Check&, const Check&) = default;
};
struct GetData {
  std::string path;
  bool watch = false;
  friend bool operator==(const GetData&, const GetData&) = default;
};
struct Exists {
  std::string path;
  bool watch = false;
  friend bool operator==(const Exists&, const Exists&) = default;
};
struct GetChildren {
  std::string path;
  bool watch = false;
  friend bool operator==(const GetChildren&, const GetChildren&) = default;
};
struct GetAcl {
  std::string path;
  friend bool operator==(const GetAcl&, const GetAcl&) = default;
};
struct SetAcl {
  std::string path;
  std::vector<Acl> acl;
  std::int32_t version = kAnyVersion;  // the node's aversion
  friend bool operator==(const SetAcl&, const SetAcl&) = default;
};
struct Sync {
  std::string path;
  friend bool operator==(const Sync&, const Sync&) = default;
};
// One operation of a multi (ZooKeeper's multi carries create, delete, setData and check).
using MultiOp = std::variant<Create, Delete, SetData, Check>;
struct Multi {
  std::vector<MultiOp> ops;
  friend bool operator==(const Multi&, const Multi&) = default;
};

// Session commands, sent by the client library (a gateway) rather than asked for by a user.
// A session exists at every partition: these go to all partitions (docs/volery.md, Sessions).
struct CreateSession {
  std::int32_t timeout_ms = 0;  // negotiated by the gateway
  std::string password;         // 16 random bytes chosen by the gateway
  friend bool operator==(const CreateSession&, const CreateSession&) = default;
};
// Renews the listed sessions (at this command's timestamp), then expires every session whose
// last renewal is older than its timeout at this command's timestamp, removing its ephemerals.
struct Tick {
  std::vector<SessionId> renew;
  friend bool operator==(const Tick&, const Tick&) = default;
};
struct CloseSession {  // the envelope's session
  friend bool operator==(const CloseSession&, const CloseSession&) = default;
};
// Attaches an existing session to the sending gateway (a client reconnecting elsewhere).
struct Reattach {
  std::string password;
  friend bool operator==(const Reattach&, const Reattach&) = default;
};

using Op = std::variant<Create, Delete, SetData, Check, GetData, Exists, GetChildren, GetAcl, SetAcl, Sync, Multi,
                        CreateSession, Tick, CloseSession, Reattach>;

// True for the operations that change no state (reads, and check/sync, and a multi made only of
// checks; a watch a read sets is bookkeeping, not state a reader can observe through replies).
// describe: one line for logs and errors, e.g. "create(/a/b, 3 bytes, ephemeral_sequential)";
// never shows data or passwords.
bool is_read(const Op& op);
std::string describe(const Op& op);

// A request as the client library sends it (the S-SMR command's bytes).
struct Request {
  SessionId session = 0;  // 0 for CreateSession and Tick
  // FIFO per session (docs/volery.md, "FIFO client order"): the session's request number, and
  // that of its previous request when that one had the same destination partitions (0: it did
  // not, or there was none). A replica runs the request only if, at every destination, the
  // session's last request was `previous`; otherwise it answers out_of_order without effect.
  std::uint64_t seq = 0;
  std::uint64_t previous = 0;
  NodeId gateway{};       // where watch events for this session go
  std::vector<Id> auth;   // the identities the session added (addauth), checked against ACLs
  Op op;
  friend bool operator==(const Request&, const Request&) = default;
};

// ---- results ------------------------------------------------------------------------------

// What one operation answered. Fields not listed for an operation stay empty.
//   create: path (the name given, with its sequence suffix), stat (create2's)
//   delete, check, sync (path), close, reattach: nothing beyond the code
//   setData, exists (present), setACL: stat
//   getData: data, stat; getChildren: children (sorted), stat; getACL: acl, stat
//   multi: results, one per operation, in ZooKeeper's shape when one failed (those before it
//     ok, it with its code, those after runtime_inconsistency) and the multi's code is the
//     failing operation's
//   createSession: session, timeout_ms; tick: expired (the sessions it expired)
struct Result {
  Code code = Code::ok;
  std::string path;
  std::optional<Stat> stat;
  std::string data;
  std::vector<std::string> children;
  std::vector<Acl> acl;
  std::vector<Result> results;
  SessionId session = 0;
  std::int32_t timeout_ms = 0;
  std::vector<SessionId> expired;
  friend bool operator==(const Result&, const Result&) = default;
};

// How many watch events a partition has emitted to the request's session at its current
// gateway: the gateway hands the reply to the session only after those events.
struct EventMark {
  PartitionId partition;
  std::uint64_t events = 0;
  friend bool operator==(const EventMark&, const EventMark&) = default;
};

struct Reply {
  enum class Status : std::uint8_t {
    done,          // `result` holds the outcome (which may be a ZooKeeper error)
    out_of_order,  // not run: an earlier request of the session has not run yet; send again
  };
  Status status = Status::done;
  Zxid zxid = 0;  // the command's final timestamp (docs/volery.md, zxid)
  std::vector<EventMark> marks;
  Result result;
  friend bool operator==(const Reply&, const Reply&) = default;
};

// A watch event, emitted by the partition that owns the watched path to the session's gateway.
struct WatchEvent {
  SessionId session = 0;
  EventType type = EventType::node_created;
  std::string path;
  PartitionId partition;
  std::uint64_t number = 0;  // 1, 2, ... per (partition, session, gateway): see EventMark
  Zxid zxid = 0;
  // The ACL of the node the event is about (its parent's for NodeChildrenChanged) at the change:
  // ZooKeeper 3.8 delivers an event only to a session with READ on it (ServerCnxn.process), which
  // the gateway checks against the session's identities when it hands the event out.
  std::vector<Acl> acl;
  friend bool operator==(const WatchEvent&, const WatchEvent&) = default;
};

// A session's expiry, emitted to its gateway by the lowest partition when a tick expires it,
// with the events each partition had sent it: the gateway hands those out first.
struct SessionExpired {
  SessionId session = 0;
  Zxid zxid = 0;
  std::vector<EventMark> marks;
  friend bool operator==(const SessionExpired&, const SessionExpired&) = default;
};

using Notification = std::variant<WatchEvent, SessionExpired>;

}  // namespace eyrie::volery
