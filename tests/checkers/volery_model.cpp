#include "tests/checkers/volery_model.hpp"

// The sequential rules of VoleryModel: each operation applied to a copy of the state and what
// it must answer. Path and ACL rules are in volery_model_rules.cpp; matching answers,
// descriptions and the partition in volery_model_text.cpp.

#include <algorithm>
#include <functional>

#include "tests/checkers/volery_model_detail.hpp"

namespace eyrie::check::volery {

using detail::allows;
using detail::Expected;
using detail::fixup_acl;
using detail::is_special;
using detail::open_acl;
using detail::Overloaded;
using detail::redacted;

namespace {

bool version_matches(std::int32_t expected, std::int32_t current) {
  return expected == zk::kAnyVersion || expected == current;
}

// One operation (or multi) applied to a working copy of a state, with the zxid its reply
// carries (kUnknownZxid without one). Every check comes before the first change, so a
// failing operation leaves the copy as it was (a failing multi leaves it half-changed, and
// the caller drops it).
class Applier {
 public:
  Applier(const VoleryModel& model, CversionRule rule, const State& state, const Input& input, zk::Zxid zxid)
      : model_(model), rule_(rule), input_(input), zxid_(zxid), state(state) {}

  Expected run(const zk::Op& op);
  void end_session(zk::SessionId session);
  // Deletes the containers left empty, once the operation has applied (see the definition).
  void sweep();

  bool zxid_violated = false;

 private:
  Expected create(const zk::Create& op);
  Expected remove(const zk::Delete& op);
  Expected set_data(const zk::SetData& op);
  Expected check(const zk::Check& op);
  Expected set_acl(const zk::SetAcl& op);
  Expected get_data(const zk::GetData& op);
  Expected exists(const zk::Exists& op);
  Expected get_children(const zk::GetChildren& op);
  Expected get_acl(const zk::GetAcl& op);
  Expected multi(const zk::Multi& op);

  const Node* find(std::string_view path) const { return state.find(path); }
  Node& edit(std::string_view path);
  void insert(Node node);
  void remove_node(const std::string& path);
  // Volery runs the operation at the node's partition after every write there: its zxid must
  // be above theirs (equal only where this operation itself wrote, earlier in a multi or a
  // cascade).
  void look(const Node& node);
  void touch(Node& node);
  bool known() const { return zxid_ != kUnknownZxid; }
  std::vector<std::string> children_of(const std::string& path) const;

  const VoleryModel& model_;
  CversionRule rule_;
  const Input& input_;
  zk::Zxid zxid_;
  std::vector<std::string> touched_;  // the nodes this operation wrote, when its zxid is known
  std::vector<std::string> emptied_;  // containers this operation left without children

 public:
  State state;  // the working copy
};

Node& Applier::edit(std::string_view path) {
  const auto it = std::lower_bound(state.nodes.begin(), state.nodes.end(), path,
                                   [](const auto& node, std::string_view p) { return node->path < p; });
  EYRIE_ASSERT(it != state.nodes.end() && (*it)->path == path, "edit of a node not in the state");
  // Copy on write: a node still shared with a state the search holds is copied first; one
  // only this copy holds was made here (by make_shared of a non-const Node), so it may change.
  if (it->use_count() != 1) *it = std::make_shared<const Node>(**it);
  return const_cast<Node&>(**it);
}

void Applier::insert(Node node) {
  const auto it = std::lower_bound(state.nodes.begin(), state.nodes.end(), node.path,
                                   [](const auto& n, const std::string& p) { return n->path < p; });
  EYRIE_ASSERT(it == state.nodes.end() || (*it)->path != node.path, "insert of a node already there");
  state.nodes.insert(it, std::make_shared<const Node>(std::move(node)));
}

void Applier::look(const Node& node) {
  if (!known()) return;
  const bool mine = std::find(touched_.begin(), touched_.end(), node.path) != touched_.end();
  if (node.floor > zxid_ || (node.floor == zxid_ && !mine)) zxid_violated = true;
}

void Applier::touch(Node& node) {
  look(node);
  if (!known()) return;
  node.floor = std::max(node.floor, zxid_);
  touched_.push_back(node.path);
}

std::vector<std::string> Applier::children_of(const std::string& path) const {
  const std::string prefix = path == "/" ? "/" : path + "/";
  std::vector<std::string> out;
  auto it = std::lower_bound(state.nodes.begin(), state.nodes.end(), prefix,
                             [](const auto& node, const std::string& p) { return node->path < p; });
  for (; it != state.nodes.end() && (*it)->path.starts_with(prefix); ++it) {
    const std::string_view rest = std::string_view((*it)->path).substr(prefix.size());
    if (!rest.empty() && rest.find('/') == std::string_view::npos) out.emplace_back(rest);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Deletes a node without children, updates its parent, and deletes the parent too when it
// is a container this left empty (and so on up).
void Applier::remove_node(const std::string& path) {
  const Node* node = find(path);
  EYRIE_ASSERT(node != nullptr && node->num_children == 0 && !is_special(path));
  look(*node);
  state.nodes.erase(std::find_if(state.nodes.begin(), state.nodes.end(),
                                 [&](const auto& n) { return n->path == path; }));
  const std::string parent_path = parent_of(path);
  Node& parent = edit(parent_path);
  touch(parent);
  --parent.num_children;
  parent.pzxid = zxid_;
  if (rule_ == CversionRule::changes) ++parent.cversion;
  if (parent.container && parent.num_children == 0) emptied_.push_back(parent_path);
}

// Volery deletes the containers an operation left empty once the whole operation (a multi:
// all of it) has applied, and their parents in turn; ZooKeeper does it later, in the background.
void Applier::sweep() {
  while (!emptied_.empty()) {
    const std::string path = emptied_.back();
    emptied_.pop_back();
    const Node* node = find(path);
    if (node != nullptr && node->container && node->num_children == 0 && !is_special(path)) remove_node(path);
  }
}

void Applier::end_session(zk::SessionId session) {
  const auto it = std::lower_bound(state.sessions.begin(), state.sessions.end(), session,
                                   [](const SessionRecord& r, zk::SessionId id) { return r.id < id; });
  if (it != state.sessions.end() && it->id == session) {
    it->live = false;
  } else {
    state.sessions.insert(it, SessionRecord{.id = session, .live = false});
  }
  std::vector<std::string> ephemerals;
  for (const auto& node : state.nodes)
    if (node->ephemeral_owner == session) ephemerals.push_back(node->path);
  // Ephemerals have no children, and a container they empty is deleted only once its last
  // child is gone, so the order does not matter.
  for (const std::string& path : ephemerals) remove_node(path);
}

Expected Applier::run(const zk::Op& op) {
  return std::visit(Overloaded{
                        [&](const zk::Create& o) { return create(o); },
                        [&](const zk::Delete& o) { return remove(o); },
                        [&](const zk::SetData& o) { return set_data(o); },
                        [&](const zk::Check& o) { return check(o); },
                        [&](const zk::SetAcl& o) { return set_acl(o); },
                        [&](const zk::GetData& o) { return get_data(o); },
                        [&](const zk::Exists& o) { return exists(o); },
                        [&](const zk::GetChildren& o) { return get_children(o); },
                        [&](const zk::GetAcl& o) { return get_acl(o); },
                        [&](const zk::Sync& o) { return Expected{.path = o.path, .path_optional = true}; },
                        [&](const zk::Multi& o) { return multi(o); },
                        [&](const auto&) -> Expected {
                          EYRIE_ASSERT(false, "session operations are not run by the Applier");
                          return Expected::failure(zk::Code::system_error);
                        },
                    },
                    op);
}

Expected Applier::create(const zk::Create& op) {
  const auto mode = static_cast<std::int32_t>(op.mode);
  if (mode == 5 || mode == 6) return Expected::failure(zk::Code::unimplemented);  // TTL modes
  if (mode < 0 || mode > 4) return Expected::failure(zk::Code::bad_arguments);
  const bool sequential = op.mode == zk::CreateMode::persistent_sequential ||
                          op.mode == zk::CreateMode::ephemeral_sequential;
  const bool ephemeral =
      op.mode == zk::CreateMode::ephemeral || op.mode == zk::CreateMode::ephemeral_sequential;
  // ZooKeeper's PrepRequestProcessor: only a slash and no NUL before the ACL and the parent
  // (looked up by its text); the whole path is validated once the name is known.
  if (op.path.find('/') == std::string::npos || op.path.find('\0') != std::string::npos) {
    return Expected::failure(zk::Code::bad_arguments);
  }
  std::optional<std::vector<zk::Acl>> acl = fixup_acl(op.acl, input_.auth);
  if (!acl) return Expected::failure(zk::Code::invalid_acl);
  // The root is its own parent there, so creating "/" answers node_exists.
  const std::string parent_path = op.path == "/" ? op.path : parent_of(op.path);
  const Node* parent = find(parent_path);
  if (parent == nullptr) return Expected::failure(zk::Code::no_node);
  look(*parent);
  if (!allows(parent->acl, zk::perms::create, input_.auth)) return Expected::failure(zk::Code::no_auth);
  const std::string path = sequential ? op.path + sequence_suffix(parent->cversion) : op.path;
  if (!valid_path(path)) return Expected::failure(zk::Code::bad_arguments);
  if (const Node* existing = find(path)) {
    look(*existing);
    return Expected::failure(zk::Code::node_exists);
  }
  if (parent->ephemeral_owner != 0) return Expected::failure(zk::Code::no_children_for_ephemerals);

  Node& p = edit(parent_path);
  touch(p);
  ++p.cversion;
  ++p.num_children;
  p.pzxid = zxid_;
  Node node{.path = path,
            .data = op.data,
            .acl = std::move(*acl),
            .czxid = zxid_,
            .mzxid = zxid_,
            .pzxid = zxid_,
            .floor = known() ? zxid_ : 0,
            .ephemeral_owner = ephemeral ? input_.session : 0,
            .container = op.mode == zk::CreateMode::container};
  Expected out;
  out.path = path;
  out.stat = model_.stat_of(node);
  if (known()) touched_.push_back(path);
  insert(std::move(node));
  return out;
}

Expected Applier::remove(const zk::Delete& op) {
  if (op.path.find('/') == std::string::npos || op.path.find('\0') != std::string::npos || is_special(op.path)) {
    return Expected::failure(zk::Code::bad_arguments);
  }
  const Node* parent = find(parent_of(op.path));
  if (parent == nullptr) return Expected::failure(zk::Code::no_node);
  look(*parent);
  if (!allows(parent->acl, zk::perms::remove, input_.auth)) return Expected::failure(zk::Code::no_auth);
  const Node* node = find(op.path);
  if (node == nullptr) return Expected::failure(zk::Code::no_node);
  look(*node);
  if (!version_matches(op.version, node->version)) return Expected::failure(zk::Code::bad_version);
  if (node->num_children > 0) return Expected::failure(zk::Code::not_empty);
  remove_node(op.path);
  return Expected{};
}

Expected Applier::set_data(const zk::SetData& op) {
  if (!valid_path(op.path)) return Expected::failure(zk::Code::bad_arguments);
  const Node* node = find(op.path);
  if (node == nullptr) return Expected::failure(zk::Code::no_node);
  look(*node);
  if (!allows(node->acl, zk::perms::write, input_.auth)) return Expected::failure(zk::Code::no_auth);
  if (!version_matches(op.version, node->version)) return Expected::failure(zk::Code::bad_version);
  Node& n = edit(op.path);
  touch(n);
  n.data = op.data;
  ++n.version;
  n.mzxid = zxid_;
  return Expected{.stat = model_.stat_of(n)};
}

Expected Applier::check(const zk::Check& op) {
  if (!valid_path(op.path)) return Expected::failure(zk::Code::bad_arguments);
  const Node* node = find(op.path);
  if (node == nullptr) return Expected::failure(zk::Code::no_node);
  look(*node);
  if (!allows(node->acl, zk::perms::read, input_.auth)) return Expected::failure(zk::Code::no_auth);
  if (!version_matches(op.version, node->version)) return Expected::failure(zk::Code::bad_version);
  return Expected{};
}

Expected Applier::set_acl(const zk::SetAcl& op) {
  if (!valid_path(op.path)) return Expected::failure(zk::Code::bad_arguments);
  std::optional<std::vector<zk::Acl>> acl = fixup_acl(op.acl, input_.auth);
  if (!acl) return Expected::failure(zk::Code::invalid_acl);
  const Node* node = find(op.path);
  if (node == nullptr) return Expected::failure(zk::Code::no_node);
  look(*node);
  if (!allows(node->acl, zk::perms::admin, input_.auth)) return Expected::failure(zk::Code::no_auth);
  if (!version_matches(op.version, node->aversion)) return Expected::failure(zk::Code::bad_version);
  Node& n = edit(op.path);
  touch(n);
  n.acl = std::move(*acl);
  ++n.aversion;
  return Expected{.stat = model_.stat_of(n)};
}

Expected Applier::get_data(const zk::GetData& op) {
  const Node* node = find(op.path);
  if (node == nullptr) return Expected::failure(zk::Code::no_node);
  look(*node);
  if (!allows(node->acl, zk::perms::read, input_.auth)) return Expected::failure(zk::Code::no_auth);
  return Expected{.stat = model_.stat_of(*node), .data = node->data};
}

Expected Applier::exists(const zk::Exists& op) {
  // ZooKeeper (FinalRequestProcessor) refuses a NUL in an exists' path, and only there.
  if (op.path.find('\0') != std::string::npos) return Expected::failure(zk::Code::bad_arguments);
  const Node* node = find(op.path);
  if (node == nullptr) return Expected::failure(zk::Code::no_node);
  look(*node);
  return Expected{.stat = model_.stat_of(*node)};
}

Expected Applier::get_children(const zk::GetChildren& op) {
  const Node* node = find(op.path);
  if (node == nullptr) return Expected::failure(zk::Code::no_node);
  look(*node);
  if (!allows(node->acl, zk::perms::read, input_.auth)) return Expected::failure(zk::Code::no_auth);
  return Expected{.stat = model_.stat_of(*node), .children = children_of(op.path)};
}

Expected Applier::get_acl(const zk::GetAcl& op) {
  const Node* node = find(op.path);
  if (node == nullptr) return Expected::failure(zk::Code::no_node);
  look(*node);
  if (!allows(node->acl, zk::perms::read | zk::perms::admin, input_.auth)) {
    return Expected::failure(zk::Code::no_auth);
  }
  const bool admin = allows(node->acl, zk::perms::admin, input_.auth);
  return Expected{.stat = model_.stat_of(*node), .acl = admin ? node->acl : redacted(node->acl)};
}

Expected Applier::multi(const zk::Multi& op) {
  Expected out;
  for (std::size_t i = 0; i < op.ops.size(); ++i) {
    const zk::Op sub = std::visit([](const auto& o) { return zk::Op(o); }, op.ops[i]);
    Expected result = run(sub);
    if (result.code != zk::Code::ok) {
      // ZooKeeper's shape: those before ok, this one its code, those after runtime_inconsistency.
      Expected failed = Expected::failure(result.code);
      failed.also_codes = result.also_codes;
      failed.failing_index = i;
      for (std::size_t j = 0; j < op.ops.size(); ++j) {
        if (j < i) failed.results.push_back(Expected{});
        if (j == i) failed.results.push_back(std::move(result));
        if (j > i) failed.results.push_back(Expected::failure(zk::Code::runtime_inconsistency));
      }
      return failed;
    }
    if (std::holds_alternative<zk::Create>(op.ops[i])) result.stat_optional = true;
    out.results.push_back(std::move(result));
  }
  return out;
}

}  // namespace

const Node* State::find(std::string_view path) const {
  const auto it = std::lower_bound(nodes.begin(), nodes.end(), path,
                                   [](const auto& node, std::string_view p) { return node->path < p; });
  return it != nodes.end() && (*it)->path == path ? it->get() : nullptr;
}

const SessionRecord* State::session(zk::SessionId id) const {
  const auto it = std::lower_bound(sessions.begin(), sessions.end(), id,
                                   [](const SessionRecord& r, zk::SessionId s) { return r.id < s; });
  return it != sessions.end() && it->id == id ? &*it : nullptr;
}

bool State::live(zk::SessionId id) const {
  const SessionRecord* record = session(id);
  return record != nullptr && record->live;
}

bool operator==(const State& a, const State& b) {
  return a.anonymous_sessions == b.anonymous_sessions && a.sessions == b.sessions &&
         std::equal(a.nodes.begin(), a.nodes.end(), b.nodes.begin(), b.nodes.end(),
                    [](const auto& x, const auto& y) { return x == y || *x == *y; });
}

zk::Stat VoleryModel::stat_of(const Node& node) const {
  const auto ms = [](zk::Zxid zxid) { return zxid == kUnknownZxid ? kUnknownZxid : zxid / kNsPerMs; };
  return zk::Stat{
      .czxid = node.czxid,
      .mzxid = node.mzxid,
      .ctime = ms(node.czxid),
      .mtime = ms(node.mzxid),
      .version = node.version,
      .cversion = options_.cversion == CversionRule::zookeeper ? 2 * node.cversion - node.num_children
                                                                : node.cversion,
      .aversion = node.aversion,
      .ephemeral_owner = node.ephemeral_owner,
      .data_length = static_cast<std::int32_t>(node.data.size()),
      .num_children = node.num_children,
      .pzxid = node.pzxid,
  };
}

State VoleryModel::init() const {
  const auto node = [](std::string path, std::vector<zk::Acl> acl, std::int32_t children) {
    Node n{.path = std::move(path), .acl = std::move(acl), .num_children = children};
    if (n.path == "/zookeeper/config") n.aversion = -1;  // as ZooKeeper 3.8 shows it
    return std::make_shared<const Node>(std::move(n));
  };
  State state;
  state.nodes.push_back(node("/", open_acl(), 1));
  state.nodes.push_back(node("/zookeeper", open_acl(), 2));
  state.nodes.push_back(
      node("/zookeeper/config", {zk::Acl{.perms = zk::perms::read, .id = {"world", "anyone"}}}, 0));

  state.nodes.push_back(node("/zookeeper/quota", open_acl(), 0));
  return state;
}

std::optional<State> VoleryModel::step(const State& state, const Input& input, const Output& output) const {
  if (output && (output->status != zk::Reply::Status::done || output->zxid <= 0)) return std::nullopt;
  const zk::Zxid zxid = output ? output->zxid : kUnknownZxid;
  const auto code_in = [&](std::initializer_list<zk::Code> codes) {
    return std::find(codes.begin(), codes.end(), output->result.code) != codes.end();
  };
  return std::visit(
      Overloaded{
          [&](const zk::CreateSession&) -> std::optional<State> {
            State next = state;
            if (!output) {
              ++next.anonymous_sessions;
              return next;
            }
            const zk::Result& result = output->result;
            if (result.code != zk::Code::ok || result.session <= 0 || state.session(result.session) != nullptr ||
                !detail::only_session_fields(result)) {
              return std::nullopt;
            }
            next.sessions.insert(std::lower_bound(next.sessions.begin(), next.sessions.end(), result.session,
                                                  [](const SessionRecord& r, zk::SessionId s) { return r.id < s; }),
                                 SessionRecord{.id = result.session, .live = true});
            return next;
          },
          [&](const zk::Tick&) -> std::optional<State> {
            if (!output) return state;  // which sessions it expired is unknowable: see the header
            zk::Result bare = output->result;
            bare.expired.clear();
            if (bare != zk::Result{}) return std::nullopt;
            std::vector<zk::SessionId> expired = output->result.expired;
            std::sort(expired.begin(), expired.end());
            if (std::adjacent_find(expired.begin(), expired.end()) != expired.end()) return std::nullopt;
            Applier applier(*this, options_.cversion, state, input, zxid);
            for (const zk::SessionId session : expired) {
              if (!state.live(session)) {
                if (state.session(session) != nullptr || applier.state.anonymous_sessions == 0) return std::nullopt;
                --applier.state.anonymous_sessions;  // a session whose creation's reply was lost
              }
              applier.end_session(session);
            }
            applier.sweep();
            if (applier.zxid_violated) return std::nullopt;
            return std::move(applier.state);
          },
          [&](const zk::CloseSession&) -> std::optional<State> {
            if (!state.live(input.session)) {
              if (!output) return state;
              if (!code_in({zk::Code::ok, zk::Code::session_expired}) ||
                  !detail::is_bare(output->result, output->result.code)) {
                return std::nullopt;
              }
              return state;
            }
            if (output && !detail::is_bare(output->result, zk::Code::ok)) return std::nullopt;
            Applier applier(*this, options_.cversion, state, input, zxid);
            applier.end_session(input.session);
            applier.sweep();
            if (applier.zxid_violated) return std::nullopt;
            return std::move(applier.state);
          },
          [&](const zk::Reattach&) -> std::optional<State> {
            if (!output) return state;
            const bool fits = state.live(input.session) ? code_in({zk::Code::ok, zk::Code::auth_failed})
                                                        : code_in({zk::Code::session_expired});
            if (!fits || !detail::is_bare(output->result, output->result.code)) return std::nullopt;
            return state;
          },
          [&](const auto&) -> std::optional<State> {
            if (!state.live(input.session)) {
              // Nothing else of the reply is checked: what an expired session's reply carries
              // besides its code is nobody's concern.
              if (!output || output->result.code == zk::Code::session_expired) return state;
              return std::nullopt;
            }
            Applier applier(*this, options_.cversion, state, input, zxid);
            Expected expected = applier.run(input.op);
            if (expected.code == zk::Code::ok) applier.sweep();
            if (!output) return expected.code == zk::Code::ok ? std::move(applier.state) : state;
            const zk::Result& result = output->result;
            if (!detail::matches(expected, result, output->zxid)) return std::nullopt;
            if (result.code != expected.code) return state;  // an alternative failure: no zxid checks
            if (applier.zxid_violated) return std::nullopt;
            return result.code == zk::Code::ok ? std::move(applier.state) : state;
          },
      },
      input.op);
}

std::uint64_t VoleryModel::hash(const State& state) const {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  const auto mix = [&h](std::uint64_t value) {
    h ^= value + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  };
  for (const auto& node : state.nodes) {
    mix(std::hash<std::string>{}(node->path));
    mix(std::hash<std::string>{}(node->data));
    mix(static_cast<std::uint64_t>(node->czxid) ^ (static_cast<std::uint64_t>(node->mzxid) << 1));
    mix(static_cast<std::uint64_t>(node->pzxid) ^ (static_cast<std::uint64_t>(node->floor) << 1));
    mix((static_cast<std::uint64_t>(static_cast<std::uint32_t>(node->version)) << 32) |
        static_cast<std::uint32_t>(node->cversion));
    mix((static_cast<std::uint64_t>(static_cast<std::uint32_t>(node->aversion)) << 32) |
        static_cast<std::uint32_t>(node->num_children));
    mix(static_cast<std::uint64_t>(node->ephemeral_owner) ^ (node->container ? 1ULL << 63 : 0));
    mix(node->acl.size());
  }
  for (const SessionRecord& session : state.sessions) mix(static_cast<std::uint64_t>(session.id) * 2 + session.live);
  mix(state.anonymous_sessions);
  return h;
}

bool VoleryModel::read_only(const Input& input, const Output& output) const {
  return std::visit(Overloaded{
                        [&](const zk::CreateSession&) { return false; },
                        [&](const zk::Tick&) { return !output || output->result.expired.empty(); },
                        [&](const zk::CloseSession&) { return output && output->result.code != zk::Code::ok; },
                        [&](const zk::Create&) { return output && output->result.code != zk::Code::ok; },
                        [&](const zk::Delete&) { return output && output->result.code != zk::Code::ok; },
                        [&](const zk::SetData&) { return output && output->result.code != zk::Code::ok; },
                        [&](const zk::SetAcl&) { return output && output->result.code != zk::Code::ok; },
                        [&](const zk::Multi&) { return output && output->result.code != zk::Code::ok; },
                        [&](const auto&) { return true; },  // reads, check, sync, reattach
                    },
                    input.op);
}

}  // namespace eyrie::check::volery
