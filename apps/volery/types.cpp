#include "apps/volery/types.hpp"

#include <type_traits>

namespace eyrie::volery {

namespace {

std::string version_text(std::int32_t version) {
  return version == kAnyVersion ? std::string("any version") : "version " + std::to_string(version);
}

std::string bytes_text(const std::string& data) { return std::to_string(data.size()) + " bytes"; }

// One operation of a multi, or a top-level operation: the same text either way.
struct Describer {
  std::string operator()(const Create& c) const {
    return "create(" + c.path + ", " + bytes_text(c.data) + ", " + to_string(c.mode) + ")";
  }
  std::string operator()(const Delete& d) const { return "delete(" + d.path + ", " + version_text(d.version) + ")"; }
  std::string operator()(const SetData& s) const {
    return "setData(" + s.path + ", " + bytes_text(s.data) + ", " + version_text(s.version) + ")";
  }
  std::string operator()(const Check& c) const { return "check(" + c.path + ", " + version_text(c.version) + ")"; }
  std::string operator()(const GetData& g) const { return "getData(" + g.path + (g.watch ? ", watch)" : ")"); }
  std::string operator()(const Exists& e) const { return "exists(" + e.path + (e.watch ? ", watch)" : ")"); }
  std::string operator()(const GetChildren& g) const { return "getChildren(" + g.path + (g.watch ? ", watch)" : ")"); }
  std::string operator()(const GetAcl& g) const { return "getACL(" + g.path + ")"; }
  std::string operator()(const SetAcl& s) const {
    return "setACL(" + s.path + ", " + std::to_string(s.acl.size()) + " entries, " + version_text(s.version) + ")";
  }
  std::string operator()(const Sync& s) const { return "sync(" + s.path + ")"; }
  std::string operator()(const Multi& m) const {
    // A multi can hold 1024 operations; the first few say enough in a log line.
    constexpr std::size_t kShown = 4;
    std::string out = "multi(" + std::to_string(m.ops.size()) + " ops";
    for (std::size_t i = 0; i < m.ops.size() && i < kShown; ++i) {
      out += i == 0 ? ": " : ", ";
      out += std::visit(*this, m.ops[i]);
    }
    if (m.ops.size() > kShown) out += ", ...";
    return out + ")";
  }
  // Passwords are secrets: never part of the text.
  std::string operator()(const CreateSession& c) const {
    return "createSession(timeout " + std::to_string(c.timeout_ms) + " ms)";
  }
  std::string operator()(const Tick& t) const { return "tick(renew " + std::to_string(t.renew.size()) + " sessions)"; }
  std::string operator()(const CloseSession&) const { return "closeSession"; }
  std::string operator()(const Reattach&) const { return "reattach"; }
};

}  // namespace

// KeeperException.Code's names, as ZooKeeper's messages print them ("KeeperErrorCode = NoNode").
const char* to_string(Code code) {
  switch (code) {
    case Code::ok: return "OK";
    case Code::system_error: return "SystemError";
    case Code::runtime_inconsistency: return "RuntimeInconsistency";
    case Code::marshalling_error: return "MarshallingError";
    case Code::unimplemented: return "Unimplemented";
    case Code::bad_arguments: return "BadArguments";
    case Code::no_node: return "NoNode";
    case Code::no_auth: return "NoAuth";
    case Code::bad_version: return "BadVersion";
    case Code::no_children_for_ephemerals: return "NoChildrenForEphemerals";
    case Code::node_exists: return "NodeExists";
    case Code::not_empty: return "NotEmpty";
    case Code::session_expired: return "SessionExpired";
    case Code::invalid_acl: return "InvalidACL";
    case Code::auth_failed: return "AuthFailed";
    case Code::session_moved: return "SessionMoved";
    case Code::connection_loss: return "ConnectionLoss";
  }
  return "UnknownCode";  // a code carried through from elsewhere (the wire accepts any int32)
}

// Watcher.Event.EventType's names.
const char* to_string(EventType type) {
  switch (type) {
    case EventType::node_created: return "NodeCreated";
    case EventType::node_deleted: return "NodeDeleted";
    case EventType::node_data_changed: return "NodeDataChanged";
    case EventType::node_children_changed: return "NodeChildrenChanged";
  }
  return "UnknownEventType";
}

const char* to_string(CreateMode mode) {
  switch (mode) {
    case CreateMode::persistent: return "persistent";
    case CreateMode::ephemeral: return "ephemeral";
    case CreateMode::persistent_sequential: return "persistent_sequential";
    case CreateMode::ephemeral_sequential: return "ephemeral_sequential";
    case CreateMode::container: return "container";
  }
  return "unknown_mode";
}

bool is_ephemeral(CreateMode mode) {
  return mode == CreateMode::ephemeral || mode == CreateMode::ephemeral_sequential;
}

bool is_sequential(CreateMode mode) {
  return mode == CreateMode::persistent_sequential || mode == CreateMode::ephemeral_sequential;
}

std::vector<Acl> open_acl() { return {Acl{perms::all, Id{"world", "anyone"}}}; }

// A multi made only of checks (the empty multi included) changes nothing either.
bool is_read(const Op& op) {
  return std::visit(
      [](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, Multi>) {
          for (const MultiOp& m : o.ops) {
            if (!std::holds_alternative<Check>(m)) return false;
          }
          return true;
        } else {
          return std::is_same_v<T, GetData> || std::is_same_v<T, Exists> || std::is_same_v<T, GetChildren> ||
                 std::is_same_v<T, GetAcl> || std::is_same_v<T, Check> || std::is_same_v<T, Sync>;
        }
      },
      op);
}

std::string describe(const Op& op) { return std::visit(Describer{}, op); }

}  // namespace eyrie::volery
