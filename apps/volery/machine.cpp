#include "apps/volery/machine.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "apps/volery/acl.hpp"
#include "apps/volery/codec.hpp"
#include "apps/volery/machine_run.hpp"
#include "apps/volery/objects.hpp"
#include "apps/volery/path.hpp"
#include "runtime/assert.hpp"

namespace eyrie::volery {

using partition::CommandContext;
using partition::Task;

Result fail(Code code) {
  Result r;
  r.code = code;
  return r;
}

std::string string_of(const Payload& p) { return std::string(p.as_string_view()); }

ZNode builtin_node(std::string_view path) {
  ZNode n;
  n.acl = open_acl();
  if (path == "/") {
    n.children = {"zookeeper"};
  } else if (path == "/zookeeper") {
    n.children = {"config", "quota"};
  } else if (path == "/zookeeper/config") {
    n.acl = {Acl{perms::read, Id{"world", "anyone"}}};
    n.stat.aversion = -1;  // as ZooKeeper 3.8 shows it
  }
  return n;
}

bool is_builtin(std::string_view path) {
  return path == "/" || path == "/zookeeper" || path == "/zookeeper/config" || path == "/zookeeper/quota";
}

// One command's run at one replica. Nodes the operation reads are copied into `loaded_`, its
// changes go to `changed_` (nullopt: deleted), so a failed operation of a multi is undone by
// forgetting `changed_`; apply() writes the survivors through the context.

Task<const ZNode*> VoleryMachine::Run::node(const std::string& path) {
  if (const auto it = changed_.find(path); it != changed_.end()) co_return it->second ? &*it->second : nullptr;
  auto it = loaded_.find(path);
  if (it == loaded_.end()) {
    const ZNode* committed = co_await ctx_.read<ZNode>(path);
    std::optional<ZNode> copy;
    if (committed != nullptr) {
      copy = *committed;
    } else if (is_builtin(path)) {
      copy = builtin_node(path);  // never written yet: its initial value
    }
    it = loaded_.emplace(path, std::move(copy)).first;
  }
  co_return it->second ? &*it->second : nullptr;
}

ZNode& VoleryMachine::Run::change(const std::string& path) {
  auto it = changed_.find(path);
  if (it == changed_.end()) it = changed_.emplace(path, loaded_.at(path)).first;
  EYRIE_ASSERT(it->second.has_value(), "change() of an absent node");
  return *it->second;
}

Task<Reply> VoleryMachine::Run::go() {
  if (const auto* c = std::get_if<CreateSession>(&req_.op)) co_return co_await create_session(*c);
  if (const auto* t = std::get_if<Tick>(&req_.op)) co_return co_await tick(*t);
  if (const auto* r = std::get_if<Reattach>(&req_.op)) co_return co_await reattach(*r);
  co_return co_await session_request();
}

Task<Reply> VoleryMachine::Run::session_request() {
  Reply reply;
  reply.zxid = zxid_;
  // The session must be alive and attached to this gateway at every destination (the records
  // change only by commands that reach every partition, so they agree).
  std::map<PartitionId, const SessionRecord*> records;
  for (PartitionId p : ctx_.destinations()) {
    const SessionRecord* r = co_await ctx_.read<SessionRecord>(session_record_id(p, req_.session));
    if (r == nullptr) {
      reply.result = fail(Code::session_expired);
      co_return reply;
    }
    records[p] = r;
  }
  if (records.begin()->second->gateway != req_.gateway) {
    reply.result = fail(Code::session_moved);
    co_return reply;
  }
  // FIFO: the previous request to the same partitions must have run (docs/volery.md).
  if (req_.previous != 0 && !m_.options_.unsafe_skip_fifo_check) {
    for (PartitionId p : m_.oracle_.destinations(req_.op)) {
      const auto it = records.find(p);
      if (it != records.end() && it->second->last_seq != req_.previous) {
        reply.status = Reply::Status::out_of_order;
        co_return reply;
      }
    }
  }
  for (PartitionId p : ctx_.destinations()) {
    SessionRecord* r = co_await ctx_.modify<SessionRecord>(session_record_id(p, req_.session));
    r->last_seq = req_.seq;
  }
  if (std::holds_alternative<CloseSession>(req_.op)) co_return co_await close_session();
  reply.result = co_await run(req_.op);
  if (!is_read(req_.op) && reply.result.code == Code::ok) co_await apply();
  reply.marks = co_await marks();
  co_return reply;
}

Task<std::vector<EventMark>> VoleryMachine::Run::marks() {
  std::vector<EventMark> out;
  for (PartitionId p : ctx_.destinations()) {
    const SessionRecord* r = co_await ctx_.read<SessionRecord>(session_record_id(p, req_.session));
    if (r != nullptr && r->events > 0) out.push_back(EventMark{p, r->events});
  }
  co_return out;
}

Task<Result> VoleryMachine::Run::run(const Op& op) {
  if (const auto* c = std::get_if<Create>(&op)) co_return co_await create(*c);
  if (const auto* d = std::get_if<Delete>(&op)) co_return co_await remove(*d);
  if (const auto* s = std::get_if<SetData>(&op)) co_return co_await set_data(*s);
  if (const auto* c = std::get_if<Check>(&op)) co_return co_await check(*c);
  if (const auto* g = std::get_if<GetData>(&op)) co_return co_await get_data(*g);
  if (const auto* e = std::get_if<Exists>(&op)) co_return co_await exists(*e);
  if (const auto* g = std::get_if<GetChildren>(&op)) co_return co_await get_children(*g);
  if (const auto* g = std::get_if<GetAcl>(&op)) co_return co_await get_acl(*g);
  if (const auto* s = std::get_if<SetAcl>(&op)) co_return co_await set_acl(*s);
  if (const auto* m = std::get_if<Multi>(&op)) co_return co_await multi(*m);
  if (const auto* s = std::get_if<Sync>(&op)) {
    // ZooKeeper's sync echoes any path, valid or not, existing or not.
    Result r;
    r.path = s->path;
    co_return r;
  }
  co_return fail(Code::unimplemented);  // session commands do not come here
}

Task<Result> VoleryMachine::Run::run_one(const MultiOp& op) {
  if (const auto* c = std::get_if<Create>(&op)) co_return co_await create(*c);
  if (const auto* d = std::get_if<Delete>(&op)) co_return co_await remove(*d);
  if (const auto* s = std::get_if<SetData>(&op)) co_return co_await set_data(*s);
  co_return co_await check(std::get<Check>(op));
}

// ---- operations (ZooKeeper's checks in PrepRequestProcessor's order) -----------------------

namespace {
// What ZooKeeper checks of a create's or delete's path before looking up its parent: a slash,
// and no NUL. The parent is the text before the last slash (the root for "/a").
bool has_parent_text(std::string_view path) {
  return path.find('/') != std::string_view::npos && path.find('\0') == std::string_view::npos;
}
std::string parent_text(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == 0 ? std::string("/") : std::string(path.substr(0, slash));
}
}  // namespace

// Reads (getData, exists, getChildren, getACL) look their path up as given, as ZooKeeper's
// FinalRequestProcessor does: a malformed path names no node (no_node).

Task<Result> VoleryMachine::Run::create(const Create& c) {
  const bool sequential = is_sequential(c.mode);
  // ZooKeeper validates the whole path only once it has the name (below); first just a slash.
  if (!has_parent_text(c.path)) co_return fail(Code::bad_arguments);
  const std::optional<std::vector<Acl>> acl = fix_acl(c.acl, req_.auth);
  if (!acl) co_return fail(Code::invalid_acl);
  // ZooKeeper takes the root as its own parent here, so creating "/" says node_exists.
  const std::string parent_path = c.path == "/" ? c.path : parent_text(c.path);
  const ZNode* parent = co_await node(parent_path);
  if (parent == nullptr) co_return fail(Code::no_node);
  if (!permitted(parent->acl, perms::create, req_.auth)) co_return fail(Code::no_auth);
  const std::string path = sequential ? sequential_name(c.path, parent->stat.cversion) : c.path;
  if (path_error(path, false)) co_return fail(Code::bad_arguments);
  // Only a counter past -999999999 (after 2^31 creations) could give a name whose placement
  // differs from its prefix's; refuse it rather than put the node in the wrong partition.
  if (sequential && placement_key(path) != placement_key(c.path, true)) co_return fail(Code::bad_arguments);
  if (co_await node(path) != nullptr) co_return fail(Code::node_exists);
  if (parent->is_ephemeral()) co_return fail(Code::no_children_for_ephemerals);

  ZNode n;
  n.data = c.data;
  n.acl = *acl;
  n.stat.czxid = n.stat.mzxid = n.stat.pzxid = zxid_;
  n.stat.ctime = n.stat.mtime = ms();
  if (is_ephemeral(c.mode)) n.stat.ephemeral_owner = req_.session;
  if (c.mode == CreateMode::container) n.stat.ephemeral_owner = kContainerOwner;
  ZNode& p = change(parent_path);
  p.children.insert(name_of(path));
  ++p.stat.cversion;
  p.stat.pzxid = zxid_;
  Result r;
  r.path = path;
  r.stat = n.stat_now();
  put(path, std::move(n));
  if (is_ephemeral(c.mode)) ephemeral_changes_.push_back({req_.session, path, true});
  fired_.push_back({EventType::node_created, path});
  fired_.push_back({EventType::node_children_changed, parent_path});
  co_return r;
}

Task<Result> VoleryMachine::Run::remove(const Delete& d) {
  // ZooKeeper's getParentPathAndValidate: a slash, no NUL, not a system node; the rest of the
  // path is looked up as it is (a malformed one does not exist).
  if (!has_parent_text(d.path) || is_builtin(d.path)) co_return fail(Code::bad_arguments);
  const std::string parent_path = parent_text(d.path);
  const ZNode* parent = co_await node(parent_path);
  if (parent == nullptr) co_return fail(Code::no_node);
  if (!permitted(parent->acl, perms::remove, req_.auth)) co_return fail(Code::no_auth);
  const ZNode* n = co_await node(d.path);
  if (n == nullptr) co_return fail(Code::no_node);
  if (d.version != kAnyVersion && d.version != n->stat.version) co_return fail(Code::bad_version);
  if (!n->children.empty()) co_return fail(Code::not_empty);
  co_await delete_node(d.path);
  co_return Result{};
}

Task<void> VoleryMachine::Run::delete_node(const std::string& path) {
  const ZNode* n = co_await node(path);
  EYRIE_ASSERT(n != nullptr);
  if (n->is_ephemeral()) ephemeral_changes_.push_back({n->stat.ephemeral_owner, path, false});
  const std::string parent_path = parent_of(path);
  (void)co_await node(parent_path);
  drop(path);
  ZNode& p = change(parent_path);
  p.children.erase(name_of(path));
  p.stat.pzxid = zxid_;  // cversion counts creations only (ZNode::stat)
  if (p.is_container() && p.children.empty()) emptied_containers_.push_back(parent_path);
  fired_.push_back({EventType::node_deleted, path});
  fired_.push_back({EventType::node_children_changed, parent_path});
}

// ZooKeeper's ContainerManager deletes an emptied container within a minute; Volery does it in
// the command that empties it, after all of a multi's operations (so a multi may refill it).
Task<void> VoleryMachine::Run::sweep_containers() {
  while (!emptied_containers_.empty()) {
    const std::string path = emptied_containers_.back();
    emptied_containers_.pop_back();
    const ZNode* n = co_await node(path);
    if (n == nullptr || !n->is_container() || !n->children.empty() || is_builtin(path)) continue;
    co_await delete_node(path);  // may need the grandparent's partition: retry widens the command
  }
}

Task<Result> VoleryMachine::Run::set_data(const SetData& s) {
  if (path_error(s.path, false)) co_return fail(Code::bad_arguments);
  const ZNode* n = co_await node(s.path);
  if (n == nullptr) co_return fail(Code::no_node);
  if (!permitted(n->acl, perms::write, req_.auth)) co_return fail(Code::no_auth);
  if (s.version != kAnyVersion && s.version != n->stat.version) co_return fail(Code::bad_version);
  ZNode& m = change(s.path);
  m.data = s.data;
  ++m.stat.version;
  m.stat.mzxid = zxid_;
  m.stat.mtime = ms();
  fired_.push_back({EventType::node_data_changed, s.path});
  Result r;
  r.stat = m.stat_now();
  co_return r;
}

Task<Result> VoleryMachine::Run::check(const Check& c) {
  if (path_error(c.path, false)) co_return fail(Code::bad_arguments);
  const ZNode* n = co_await node(c.path);
  if (n == nullptr) co_return fail(Code::no_node);
  if (!permitted(n->acl, perms::read, req_.auth)) co_return fail(Code::no_auth);
  if (c.version != kAnyVersion && c.version != n->stat.version) co_return fail(Code::bad_version);
  co_return Result{};
}

Task<Result> VoleryMachine::Run::get_data(const GetData& g) {
  const ZNode* n = co_await node(g.path);
  if (n == nullptr) co_return fail(Code::no_node);
  if (!permitted(n->acl, perms::read, req_.auth)) co_return fail(Code::no_auth);
  Result r;
  r.data = n->data;
  r.stat = n->stat_now();
  if (g.watch) co_await register_watch(g.path, false);
  co_return r;
}

Task<Result> VoleryMachine::Run::exists(const Exists& e) {
  const ZNode* n = co_await node(e.path);
  Result r;
  if (n == nullptr) {
    r.code = Code::no_node;
  } else {
    r.stat = n->stat_now();
  }
  if (e.watch) co_await register_watch(e.path, false);  // on an absent node too: NodeCreated
  co_return r;
}

Task<Result> VoleryMachine::Run::get_children(const GetChildren& g) {
  const ZNode* n = co_await node(g.path);
  if (n == nullptr) co_return fail(Code::no_node);
  if (!permitted(n->acl, perms::read, req_.auth)) co_return fail(Code::no_auth);
  Result r;
  r.children.assign(n->children.begin(), n->children.end());
  r.stat = n->stat_now();
  if (g.watch) co_await register_watch(g.path, true);
  co_return r;
}

Task<Result> VoleryMachine::Run::get_acl(const GetAcl& g) {
  const ZNode* n = co_await node(g.path);
  if (n == nullptr) co_return fail(Code::no_node);
  if (!permitted(n->acl, perms::read | perms::admin, req_.auth)) co_return fail(Code::no_auth);
  Result r;
  // Without ADMIN, digest identities are shown without their hashes (ZooKeeper 3.8).
  r.acl = permitted(n->acl, perms::admin, req_.auth) ? n->acl : redact_digests(n->acl);
  r.stat = n->stat_now();
  co_return r;
}

Task<Result> VoleryMachine::Run::set_acl(const SetAcl& s) {
  if (path_error(s.path, false)) co_return fail(Code::bad_arguments);
  const std::optional<std::vector<Acl>> acl = fix_acl(s.acl, req_.auth);
  if (!acl) co_return fail(Code::invalid_acl);
  const ZNode* n = co_await node(s.path);
  if (n == nullptr) co_return fail(Code::no_node);
  if (!permitted(n->acl, perms::admin, req_.auth)) co_return fail(Code::no_auth);
  if (s.version != kAnyVersion && s.version != n->stat.aversion) co_return fail(Code::bad_version);
  ZNode& m = change(s.path);
  m.acl = *acl;
  ++m.stat.aversion;
  Result r;
  r.stat = m.stat_now();
  co_return r;
}

// All or nothing: the first failing operation undoes the ones before it; the results then say
// ok for those, the failure's code for it and runtime_inconsistency for the rest (ZooKeeper).
Task<Result> VoleryMachine::Run::multi(const Multi& m) {
  Result out;
  for (std::size_t i = 0; i < m.ops.size(); ++i) {
    Result r = co_await run_one(m.ops[i]);
    if (r.code != Code::ok) {
      forget_changes();
      out.code = r.code;
      out.results.assign(m.ops.size(), Result{});
      out.results[i] = fail(r.code);
      for (std::size_t j = i + 1; j < m.ops.size(); ++j) out.results[j] = fail(Code::runtime_inconsistency);
      co_return out;
    }
    out.results.push_back(std::move(r));
  }
  co_return out;
}

// ---- the machine ----------------------------------------------------------------------------

Task<std::string> VoleryMachine::execute(CommandContext& ctx, std::span<const std::byte> bytes) {
  std::string error;
  std::optional<Request> request = decode_request(bytes, &error);
  if (!request) throw std::invalid_argument("malformed Volery request: " + error);
  Run run(*this, ctx, std::move(*request));
  const Reply reply = co_await run.go();
  co_return string_of(encode(reply));
}

std::unique_ptr<partition::Object> VoleryMachine::decode_object(const oracle::ObjectId&,
                                                                std::span<const std::byte> bytes) const {
  return volery::decode_object(bytes);
}

}  // namespace eyrie::volery
