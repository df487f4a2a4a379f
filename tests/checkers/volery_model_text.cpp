// VoleryModel: matching expected results, describing operations and states, and splitting a
// history into independent parts. The sequential rules are in volery_model.cpp.

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "tests/checkers/volery_model.hpp"
#include "tests/checkers/volery_model_detail.hpp"

namespace eyrie::check::volery {

namespace detail {

bool stat_matches(const zk::Stat& want, const zk::Stat& got, zk::Zxid reply_zxid) {
  const auto zxid_fits = [&](zk::Zxid w, zk::Zxid g) {
    return g >= 0 && g <= reply_zxid && (w == kUnknownZxid || w == g);
  };
  return zxid_fits(want.czxid, got.czxid) && zxid_fits(want.mzxid, got.mzxid) && zxid_fits(want.pzxid, got.pzxid) &&
         got.ctime == got.czxid / kNsPerMs && got.mtime == got.mzxid / kNsPerMs && got.version == want.version &&
         got.cversion == want.cversion && got.aversion == want.aversion &&
         got.ephemeral_owner == want.ephemeral_owner && got.data_length == want.data_length &&
         got.num_children == want.num_children;
}

bool matches(const Expected& want, const zk::Result& got, zk::Zxid reply_zxid) {
  if (got.code != want.code) {
    if (std::find(want.also_codes.begin(), want.also_codes.end(), got.code) == want.also_codes.end()) return false;
    if (want.results.empty()) return is_bare(got, got.code);
    // Else a multi failing at the same operation with the alternative code: compared below.
  }
  if (want.path_optional ? !(got.path.empty() || got.path == want.path) : got.path != want.path) return false;
  if (want.stat && got.stat) {
    if (!stat_matches(*want.stat, *got.stat, reply_zxid)) return false;
  } else if (got.stat || (want.stat && !want.stat_optional)) {
    return false;
  }
  if (got.data != want.data || got.children != want.children || got.acl != want.acl) return false;
  if (got.session != 0 || got.timeout_ms != 0 || !got.expired.empty()) return false;
  if (got.results.size() != want.results.size()) return false;
  for (std::size_t i = 0; i < want.results.size(); ++i) {
    if (!matches(want.results[i], got.results[i], reply_zxid)) return false;
  }
  // A failed multi's code is its failing operation's.
  if (want.code != zk::Code::ok && !want.results.empty() && got.code != got.results[want.failing_index].code) {
    return false;
  }
  return true;
}

bool is_bare(const zk::Result& result, zk::Code code) {
  zk::Result bare;
  bare.code = code;
  return result == bare;
}

bool only_session_fields(const zk::Result& result) {
  zk::Result rest = result;
  rest.session = 0;
  rest.timeout_ms = 0;
  return rest == zk::Result{};
}

}  // namespace detail

namespace {

using detail::Overloaded;

std::string code_name(zk::Code code) {
  switch (code) {
    case zk::Code::ok:
      return "ok";
    case zk::Code::system_error:
      return "system_error";
    case zk::Code::connection_loss:
      return "connection_loss";
    case zk::Code::session_moved:
      return "session_moved";
    case zk::Code::runtime_inconsistency:
      return "runtime_inconsistency";
    case zk::Code::marshalling_error:
      return "marshalling_error";
    case zk::Code::unimplemented:
      return "unimplemented";
    case zk::Code::bad_arguments:
      return "bad_arguments";
    case zk::Code::no_node:
      return "no_node";
    case zk::Code::no_auth:
      return "no_auth";
    case zk::Code::bad_version:
      return "bad_version";
    case zk::Code::no_children_for_ephemerals:
      return "no_children_for_ephemerals";
    case zk::Code::node_exists:
      return "node_exists";
    case zk::Code::not_empty:
      return "not_empty";
    case zk::Code::session_expired:
      return "session_expired";
    case zk::Code::invalid_acl:
      return "invalid_acl";
    case zk::Code::auth_failed:
      return "auth_failed";
  }
  return fmt::format("code({})", static_cast<int>(code));
}

std::string mode_name(zk::CreateMode mode) {
  switch (mode) {
    case zk::CreateMode::persistent:
      return "persistent";
    case zk::CreateMode::ephemeral:
      return "ephemeral";
    case zk::CreateMode::persistent_sequential:
      return "persistent_sequential";
    case zk::CreateMode::ephemeral_sequential:
      return "ephemeral_sequential";
    case zk::CreateMode::container:
      return "container";
  }
  return fmt::format("mode({})", static_cast<int>(mode));
}

std::string quoted(const std::string& text) {
  constexpr std::size_t kShown = 24;
  return text.size() <= kShown ? "\"" + text + "\""
                               : fmt::format("\"{}...\"({}B)", text.substr(0, kShown), text.size());
}

std::string zxid_text(zk::Zxid zxid) { return zxid == kUnknownZxid ? "?" : std::to_string(zxid); }

std::string version_text(std::int32_t version) {
  return version == zk::kAnyVersion ? "" : fmt::format(", v{}", version);
}

std::string acl_text(const std::vector<zk::Acl>& acl) {
  std::string out;
  for (const zk::Acl& entry : acl)
    out += fmt::format("{}{}:{}={}", out.empty() ? "" : " ", entry.id.scheme, entry.id.id, entry.perms);
  return "[" + out + "]";
}

std::string stat_text(const zk::Stat& s) {
  return fmt::format("{{c={} m={} p={} ct={} mt={} v{} cv{} av{} eo{} dl{} nc{}}}", zxid_text(s.czxid),
                     zxid_text(s.mzxid), zxid_text(s.pzxid), s.ctime, s.mtime, s.version, s.cversion, s.aversion,
                     s.ephemeral_owner, s.data_length, s.num_children);
}

std::string op_text(const zk::Op& op);

std::string multi_op_text(const zk::MultiOp& op) {
  return std::visit([](const auto& o) { return op_text(zk::Op(o)); }, op);
}

std::string op_text(const zk::Op& op) {
  return std::visit(
      Overloaded{
          [](const zk::Create& o) {
            const bool open = o.acl.size() == 1 && o.acl[0].perms == zk::perms::all && o.acl[0].id.scheme == "world";
            return fmt::format("create({}, {}, {}{})", o.path, quoted(o.data), mode_name(o.mode),
                               open ? "" : ", " + acl_text(o.acl));
          },
          [](const zk::Delete& o) { return fmt::format("delete({}{})", o.path, version_text(o.version)); },
          [](const zk::SetData& o) {
            return fmt::format("setData({}, {}{})", o.path, quoted(o.data), version_text(o.version));
          },
          [](const zk::Check& o) { return fmt::format("check({}{})", o.path, version_text(o.version)); },
          [](const zk::GetData& o) { return fmt::format("getData({})", o.path); },
          [](const zk::Exists& o) { return fmt::format("exists({})", o.path); },
          [](const zk::GetChildren& o) { return fmt::format("getChildren({})", o.path); },
          [](const zk::GetAcl& o) { return fmt::format("getACL({})", o.path); },
          [](const zk::SetAcl& o) {
            return fmt::format("setACL({}, {}{})", o.path, acl_text(o.acl), version_text(o.version));
          },
          [](const zk::Sync& o) { return fmt::format("sync({})", o.path); },
          [](const zk::Multi& o) {
            std::string ops;
            for (const zk::MultiOp& sub : o.ops) ops += (ops.empty() ? "" : "; ") + multi_op_text(sub);
            return "multi[" + ops + "]";
          },
          [](const zk::CreateSession& o) { return fmt::format("createSession({}ms)", o.timeout_ms); },
          [](const zk::Tick& o) { return fmt::format("tick(renew {})", o.renew.size()); },
          [](const zk::CloseSession&) { return std::string("closeSession"); },
          [](const zk::Reattach&) { return std::string("reattach"); },
      },
      op);
}

std::string result_text(const zk::Result& r) {
  std::string out = code_name(r.code);
  if (!r.path.empty()) out += " " + r.path;
  if (r.stat) out += " " + stat_text(*r.stat);
  if (!r.data.empty()) out += " data=" + quoted(r.data);
  if (!r.children.empty()) out += fmt::format(" children=[{}]", fmt::join(r.children, ", "));
  if (!r.acl.empty()) out += " acl=" + acl_text(r.acl);
  if (r.session != 0) out += fmt::format(" session={}", r.session);
  if (r.timeout_ms != 0) out += fmt::format(" timeout={}ms", r.timeout_ms);
  if (!r.expired.empty()) out += fmt::format(" expired=[{}]", fmt::join(r.expired, ", "));
  if (!r.results.empty()) {
    std::string results;
    for (const zk::Result& sub : r.results) results += (results.empty() ? "" : "; ") + result_text(sub);
    out += " results=[" + results + "]";
  }
  return out;
}

// ---- partition ----

// The keys of an operation: first path components ("t0" for /t0/a). kRoot for one that
// observes "/" itself (its stat, children, ACL, or its cversion through a sequential name).
const std::string kRoot = "/";

void add_path_key(std::set<std::string>& keys, const std::string& path) {
  if (path.empty() || path.front() != '/') return;  // refused whatever the state
  if (path == "/") {
    keys.insert(kRoot);
    return;
  }
  const std::size_t slash = path.find('/', 1);
  keys.insert(path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1));
}

void add_keys(std::set<std::string>& keys, const zk::Op& op) {
  std::visit(Overloaded{
                 [&](const zk::Create& o) {
                   const bool sequential = o.mode == zk::CreateMode::persistent_sequential ||
                                           o.mode == zk::CreateMode::ephemeral_sequential;
                   add_path_key(keys, sequential ? parent_of(o.path) : o.path);
                 },
                 [&](const zk::Delete& o) {
                   // Deleting "/", /zookeeper or its two children is refused whatever the state.
                   if (!detail::is_special(o.path)) add_path_key(keys, o.path);
                 },
                 [&](const zk::Sync&) {},  // answers ok whatever the tree holds
                 [&](const zk::Multi& o) {
                   for (const zk::MultiOp& sub : o.ops)
                     std::visit([&](const auto& s) { add_keys(keys, zk::Op(s)); }, sub);
                 },
                 [&](const zk::CreateSession&) {},
                 [&](const zk::Tick&) {},
                 [&](const zk::CloseSession&) {},
                 [&](const zk::Reattach&) {},
                 [&](const auto& o) { add_path_key(keys, o.path); },
             },
             op);
}

enum class Role : std::uint8_t { left_out, every_part, keyed };

Role role_of(const VoleryOperation& op) {
  const bool answered = op.answered() && op.output.has_value();
  return std::visit(Overloaded{
                        [&](const zk::CreateSession&) { return Role::every_part; },
                        [&](const zk::CloseSession&) { return Role::every_part; },
                        [&](const zk::Tick&) {
                          // Unanswered: see the header. Answered ok, expiring nothing: fits anywhere.
                          if (!answered) return Role::left_out;
                          const zk::Result& r = op.output->result;
                          const bool nothing = r.code == zk::Code::ok && r.expired.empty();
                          return nothing && op.output->status == zk::Reply::Status::done && op.output->zxid > 0
                                     ? Role::left_out
                                     : Role::every_part;
                        },
                        [&](const zk::Create&) { return Role::keyed; }, [&](const zk::Delete&) { return Role::keyed; },
                        [&](const zk::SetData&) { return Role::keyed; }, [&](const zk::SetAcl&) { return Role::keyed; },
                        [&](const zk::Multi&) { return Role::keyed; },
                        [&](const auto&) { return answered ? Role::keyed : Role::left_out; },  // reads
                    },
                    op.input.op);
}

class Components {
 public:
  std::size_t add() {
    parent_.push_back(parent_.size());
    return parent_.size() - 1;
  }
  std::size_t root(std::size_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void join(std::size_t a, std::size_t b) { parent_[root(a)] = root(b); }

 private:
  std::vector<std::size_t> parent_;
};

std::string part_label(const std::vector<const std::string*>& keys) {
  constexpr std::size_t kShown = 8;
  std::string out;
  for (std::size_t i = 0; i < keys.size() && i < kShown; ++i) out += (i == 0 ? "/" : ", /") + *keys[i];
  if (keys.size() > kShown) out += fmt::format(", ... ({} subtrees)", keys.size());
  return (keys.size() == 1 ? "subtree " : "subtrees ") + out;
}

}  // namespace

std::string VoleryModel::describe(const Input& input, const Output& output) const {
  std::string out = input.session != 0 ? fmt::format("s{} ", input.session) : "";
  out += op_text(input.op);
  if (!input.auth.empty()) {
    std::string ids;
    for (const zk::Id& id : input.auth) ids += (ids.empty() ? "" : " ") + id.scheme + ":" + id.id;
    out += " auth[" + ids + "]";
  }
  if (!output) return out + " -> unknown (no reply)";
  if (output->status != zk::Reply::Status::done) return out + " -> out_of_order (never belongs in a history)";
  return out + fmt::format(" -> z={} ", output->zxid) + result_text(output->result);
}

std::string VoleryModel::describe(const State& state) const {
  std::vector<std::string> live;
  std::vector<std::string> ended;
  for (const SessionRecord& s : state.sessions) (s.live ? live : ended).push_back(std::to_string(s.id));
  std::string out = fmt::format("sessions live {{{}}} ended {{{}}}", fmt::join(live, ", "), fmt::join(ended, ", "));
  if (state.anonymous_sessions > 0) out += fmt::format(" (+{} live, ids unknown)", state.anonymous_sessions);
  constexpr std::size_t kNodesShown = 40;
  const State initial = init();
  std::size_t unchanged = 0;
  for (std::size_t i = 0; i < state.nodes.size() && i < kNodesShown; ++i) {
    const Node& n = *state.nodes[i];
    const Node* before = initial.find(n.path);
    if (n.path != "/" && before != nullptr && *before == n) {
      ++unchanged;
      continue;
    }
    out += fmt::format("; {} {} v{} cv{}(stored) av{} nc{} c={} m={} p={} floor={}", n.path, quoted(n.data), n.version,
                       n.cversion, n.aversion, n.num_children, zxid_text(n.czxid), zxid_text(n.mzxid),
                       zxid_text(n.pzxid), n.floor);
    if (n.ephemeral_owner != 0) out += fmt::format(" ephemeral of s{}", n.ephemeral_owner);
    if (n.container) out += " container";
  }
  if (state.nodes.size() > kNodesShown) out += fmt::format("; ... ({} nodes)", state.nodes.size());
  if (unchanged > 0) out += fmt::format("; {} /zookeeper nodes as at first", unchanged);
  return out;
}

std::vector<HistoryPart> VoleryModel::partition(std::span<const VoleryOperation> history) const {
  std::vector<std::size_t> every_part;
  std::vector<std::size_t> keyless;  // keyed operations whose answer no tree state decides
  std::vector<std::set<std::string>> keys(history.size());
  bool root_observed = false;
  for (std::size_t i = 0; i < history.size(); ++i) {
    const Role role = role_of(history[i]);
    if (role == Role::every_part) every_part.push_back(i);
    if (role != Role::keyed) continue;
    add_keys(keys[i], history[i].input.op);
    if (keys[i].empty()) keyless.push_back(i);
    root_observed = root_observed || keys[i].contains(kRoot);
  }
  std::vector<HistoryPart> parts;
  if (root_observed) {
    // An operation on "/" sees every subtree's creates and deletes: one part.
    HistoryPart whole{.label = "whole tree (an operation observes /)", .operations = {}};
    for (std::size_t i = 0; i < history.size(); ++i)
      if (role_of(history[i]) != Role::left_out) whole.operations.push_back(i);
    parts.push_back(std::move(whole));
    return parts;
  }
  std::map<std::string, std::size_t> index;  // ordered: the same parts and labels every run
  Components components;
  for (std::size_t i = 0; i < history.size(); ++i) {
    std::optional<std::size_t> first;
    for (const std::string& key : keys[i]) {
      const auto [it, fresh] = index.try_emplace(key, 0);
      if (fresh) it->second = components.add();
      if (first)
        components.join(*first, it->second);
      else
        first = it->second;
    }
  }
  std::map<std::size_t, std::size_t> part_of_root;
  for (std::size_t i = 0; i < history.size(); ++i) {
    if (keys[i].empty()) continue;
    const auto [it, fresh] = part_of_root.try_emplace(components.root(index.at(*keys[i].begin())), parts.size());
    if (fresh) parts.emplace_back();
    parts[it->second].operations.push_back(i);
  }
  std::vector<std::vector<const std::string*>> labels(parts.size());
  for (const auto& [key, id] : index) labels[part_of_root.at(components.root(id))].push_back(&key);
  for (std::size_t p = 0; p < parts.size(); ++p) parts[p].label = part_label(labels[p]);
  if (!keyless.empty() || (parts.empty() && !every_part.empty())) {
    parts.push_back(HistoryPart{.label = "sessions", .operations = keyless});
  }
  // Session operations reach every subtree (ephemerals, and whether a session may act).
  for (HistoryPart& part : parts) {
    std::vector<std::size_t> merged;
    std::merge(part.operations.begin(), part.operations.end(), every_part.begin(), every_part.end(),
               std::back_inserter(merged));
    part.operations = std::move(merged);
  }
  return parts;
}

}  // namespace eyrie::check::volery
