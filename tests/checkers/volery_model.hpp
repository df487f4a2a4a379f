#pragma once
// VoleryModel: the sequential specification of ZooKeeper 3.8's data tree as Volery serves it
// (apps/volery/types.hpp, docs/volery.md), for the linearizability checker. It is written
// from ZooKeeper's behaviour, not from Volery's code, and depends on nothing of apps/volery
// but its vocabulary.
//
// An operation is (issuing session, that session's auth ids, volery::Op); its output is the
// Reply, or nullopt when no reply was seen (then it may have taken effect or not).
//
// What the model follows (ZooKeeper 3.8: PrepRequestProcessor, FinalRequestProcessor, DataTree):
// - The initial tree: "/" -> "zookeeper" -> {"config", "quota"}; every stored stat zero;
//   ACLs world:anyone all, but /zookeeper/config world:anyone read. Those four cannot be
//   deleted (bad_arguments).
// - Each operation's checks in ZooKeeper's order, e.g. create: a slash and no NUL
//   (bad_arguments), ACL (invalid_acl), parent looked up by its text (no_node), parent CREATE
//   permission (no_auth), the whole path with its sequential suffix (bad_arguments),
//   node_exists, no_children_for_ephemerals; delete: special path (bad_arguments), parent (no_node), parent
//   DELETE permission (no_auth), node (no_node), bad_version, not_empty.
// - cversion, by default as ZooKeeper stores and serves it (CversionRule::zookeeper): the node
//   counts the creates of its children, a sequential name takes that count (%010d), and a
//   client is served 2 * count - numChildren (so "/" reads -1 at first, and a delete reads as
//   one more change). CversionRule::changes is the simpler rule some write down: +1 on create
//   and on delete, served and used for sequential names as is.
// - Containers: Volery deletes a container that an operation (a multi: all of it, or a
//   session's end) left without children once the whole operation has applied, cascading up
//   through containers; ZooKeeper does it later, in the background. A container's stat shows
//   ephemeralOwner 0, as ZooKeeper's does.
// - Multi: the operations run in order on a copy, each seeing the ones before it; the first
//   failure is the multi's code, its results [ok..., code, runtime_inconsistency...] with
//   nothing applied; a create's result in a multi may leave out its stat.
// - getACL needs READ or ADMIN and shows digest ids as "user:x" without ADMIN. ACL ids match
//   by equal (scheme, id); an auth id of scheme "super" passes every check. ACLs given to
//   create/setACL are validated (world:anyone, digest "a:b", ip a.b.c.d[/n], auth) and "auth"
//   entries expanded to the session's ids.
// - Sessions: an operation of a session that is not live answers session_expired and changes
//   nothing (a session is live from its CreateSession's reply until its close or the tick
//   that names it). CreateSession answers any id not seen before; closing an ended session
//   may answer ok or session_expired; Reattach answers ok or auth_failed when live.
// - zxids: every reply has one (> 0). A node remembers czxid, mzxid and pzxid as the replies of
//   the writes that set them said, and every stat served must show exactly those; a write's
//   zxid must exceed the highest known zxid of every node it reads or writes (Volery's zxid
//   increases along each partition's execution order), and so must a read's. A stat's zxids
//   never exceed its reply's. ctime == czxid / 1'000'000 and mtime == mzxid / 1'000'000:
//   Volery's zxid is the command's final timestamp in ns, ctime/mtime that timestamp in ms.
//   A write without a reply, linearized as taking effect, leaves the zxids it set unknown:
//   any value is accepted there until a write with a reply sets them again (reads do not
//   learn them, so that they stay read-only to the search).
// - Paths, as ZooKeeper's server checks them: create validates the final path (leading '/',
//   no empty, "." or ".." component, no trailing '/', no control characters) after its parent
//   (so "/t0//x" is no_node); setData, check and setACL validate first (bad_arguments);
//   delete needs a slash and no NUL, then looks the path up; reads look any path up
//   (no_node); sync echoes any path.
//
// What it does not model: watches and watch events, event marks, FIFO order per session
// (out_of_order replies never reach a history), session timeouts (a tick's expired list is
// taken as given, once the sessions in it are live), passwords, quotas, TTL nodes (refused as
// unimplemented), request size limits, ip ACLs matching by address masks.
//
// Partition (see partition()): one part per subtree /tK (a connected component of first path
// components, joined by multis), each with every CreateSession, CloseSession and expiring
// Tick, which reach every subtree. An operation on "/" itself or a sequential create directly
// under it observes every subtree's creates, so then the whole history is one part. Left out:
// unanswered reads, ticks that expired nothing, and unanswered ticks: whether one expired a
// session is unknowable, so a history must answer the ticks whose expiries matter.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apps/volery/types.hpp"
#include "tests/checkers/linearizability.hpp"

namespace eyrie::check::volery {

namespace zk = ::eyrie::volery;

struct Input {
  zk::SessionId session = 0;  // the issuing session; 0 for CreateSession and Tick
  std::vector<zk::Id> auth;   // the session's identities when it sent the operation
  zk::Op op;
};
using Output = std::optional<zk::Reply>;  // nullopt: no reply seen

using VoleryOperation = Operation<Input, Output>;
using VoleryHistory = std::vector<VoleryOperation>;
using VoleryRecorder = OperationRecorder<Input, Output>;

// A zxid set by a write whose reply was lost.
inline constexpr zk::Zxid kUnknownZxid = -1;
inline constexpr std::int64_t kNsPerMs = 1'000'000;

struct Node {
  std::string path{};
  std::string data{};
  std::vector<zk::Acl> acl{};
  zk::Zxid czxid = 0;  // each kUnknownZxid when set by a write without a reply
  zk::Zxid mzxid = 0;
  zk::Zxid pzxid = 0;
  zk::Zxid floor = 0;  // the highest known zxid of a write that touched the node
  std::int32_t version = 0;
  std::int32_t cversion = 0;  // as stored: see CversionRule
  std::int32_t aversion = 0;
  zk::SessionId ephemeral_owner = 0;  // 0 unless an ephemeral node
  bool container = false;
  std::int32_t num_children = 0;
  friend bool operator==(const Node&, const Node&) = default;
};

struct SessionRecord {
  zk::SessionId id = 0;
  bool live = false;  // false: closed or expired
  friend bool operator==(const SessionRecord&, const SessionRecord&) = default;
};

// Flat and cheap to copy: nodes are shared, immutable once in a state the search holds.
struct State {
  std::vector<std::shared_ptr<const Node>> nodes;  // sorted by path
  std::vector<SessionRecord> sessions;             // sorted by id
  // Live sessions created by CreateSessions whose replies were lost: their ids are unknown
  // until a tick names them.
  std::uint32_t anonymous_sessions = 0;

  const Node* find(std::string_view path) const;
  const SessionRecord* session(zk::SessionId id) const;
  bool live(zk::SessionId id) const;
  friend bool operator==(const State& a, const State& b);
};

enum class CversionRule : std::uint8_t {
  zookeeper,  // ZooKeeper 3.8: creates counted, served 2 * creates - numChildren
  changes,    // +1 on every create and delete of a child, served as is
};

struct VoleryModelOptions {
  CversionRule cversion = CversionRule::zookeeper;
};

class VoleryModel {
 public:
  using Input = volery::Input;
  using Output = volery::Output;
  using State = volery::State;

  explicit VoleryModel(VoleryModelOptions options = {}) : options_(options) {}

  State init() const;
  std::optional<State> step(const State& state, const Input& input, const Output& output) const;
  std::uint64_t hash(const State& state) const;
  // Reads, sync, reattach, failed writes and ticks that expired nothing change nothing.
  bool read_only(const Input& input, const Output& output) const;
  std::string describe(const Input& input, const Output& output) const;
  std::string describe(const State& state) const;
  std::vector<HistoryPart> partition(std::span<const VoleryOperation> history) const;

  // The stat a client is served for `node` (zxids kUnknownZxid where unknown, times from them).
  zk::Stat stat_of(const Node& node) const;

 private:
  VoleryModelOptions options_;
};

static_assert(LinearizableModel<VoleryModel>);

// Path helpers, ZooKeeper's way: the parent is the text before the last '/' ("/" for "/a");
// the name the text after it; a sequential suffix is %010d.
std::string parent_of(std::string_view path);
std::string_view name_of(std::string_view path);
std::string sequence_suffix(std::int32_t counter);
// ZooKeeper's PathUtils.validatePath (less its check of non-ASCII code points).
bool valid_path(std::string_view path);

}  // namespace eyrie::check::volery
