// The effects of a command (VoleryMachine::Run): its writes, ephemeral indexes and watches, and
// the session commands (docs/volery.md, Sessions and Watches).

#include <algorithm>

#include "apps/volery/codec.hpp"
#include "apps/volery/machine_run.hpp"
#include "apps/volery/path.hpp"
#include "runtime/assert.hpp"

namespace eyrie::volery {

using partition::Task;

// ---- effects ------------------------------------------------------------------------------

Task<void> VoleryMachine::Run::apply() {
  co_await sweep_containers();
  for (auto& [path, value] : changed_) {
    if (value) {
      ctx_.overwrite(path, std::move(*value));
    } else {
      ctx_.erase(path);
    }
  }
  changed_.clear();
  for (const EphemeralChange& e : ephemeral_changes_) {
    if (ended_.contains(e.session)) continue;
    const std::string id = ephemerals_id(owner(e.path), e.session);
    Ephemerals* index = co_await ctx_.modify<Ephemerals>(id);
    if (index == nullptr) {
      if (!e.add) continue;
      index = &ctx_.overwrite(id, Ephemerals{});
    }
    if (e.add) {
      index->paths.insert(e.path);
    } else {
      index->paths.erase(e.path);
      if (index->paths.empty()) ctx_.erase(id);
    }
  }
  ephemeral_changes_.clear();
  for (const Fired& f : fired_) co_await fire(f);
  fired_.clear();
}

// Watches are one-shot: a firing removes the sessions it notifies. The path's partition sends
// the event (every destination runs this, one partition emits) and counts it in the watcher's
// record there, which the watcher's later replies carry as their EventMark. The record also
// lists the paths the session watches there (end_session removes those watches).
Task<void> VoleryMachine::Run::fire(const Fired& f) {
  const std::string id = watch_id(f.path);
  const Watches* current = co_await ctx_.read<Watches>(id);
  if (current == nullptr) co_return;
  std::set<SessionId> notify;
  const bool data = f.type != EventType::node_children_changed;
  const bool child = f.type == EventType::node_children_changed || f.type == EventType::node_deleted;
  if (data) notify.insert(current->data.begin(), current->data.end());
  if (child) notify.insert(current->child.begin(), current->child.end());
  if (notify.empty()) co_return;
  Watches* w = co_await ctx_.modify<Watches>(id);
  if (data) w->data.clear();
  if (child) w->child.clear();
  const std::set<SessionId> still_data = w->data;
  const std::set<SessionId> still_child = w->child;
  if (w->empty()) ctx_.erase(id);
  const PartitionId at = owner(f.path);
  for (SessionId s : notify) {
    SessionRecord* r = co_await ctx_.modify<SessionRecord>(session_record_id(at, s));
    if (r == nullptr) continue;  // not expected: an ended session's watches went with it
    ++r->events;
    if (!still_data.contains(s) && !still_child.contains(s)) r->watched.erase(f.path);
    if (ctx_.partition() != at) continue;
    WatchEvent event{
        .session = s, .type = f.type, .path = f.path, .partition = at, .number = r->events, .zxid = zxid_, .acl = f.acl};
    ctx_.emit(r->gateway, string_of(encode(Notification{event})));
  }
}

Task<void> VoleryMachine::Run::register_watch(const std::string& path, bool child) {
  const std::string id = watch_id(path);
  Watches* w = co_await ctx_.modify<Watches>(id);
  if (w == nullptr) w = &ctx_.overwrite(id, Watches{});
  (child ? w->child : w->data).insert(req_.session);
  SessionRecord* r = co_await ctx_.modify<SessionRecord>(session_record_id(owner(path), req_.session));
  EYRIE_ASSERT(r != nullptr, "a live session has a record at every partition");
  r->watched.insert(path);
}

// ---- sessions -------------------------------------------------------------------------------

// This partition's own session table. Every partition keeps one, changed only by commands
// that reach every partition, in the same order everywhere, so the tables agree and so do the
// decisions taken from them (which sessions a Tick expires).
Task<SessionTable*> VoleryMachine::Run::own_table() {
  const std::string id = session_table_id(ctx_.partition());
  SessionTable* t = co_await ctx_.modify<SessionTable>(id);
  if (t == nullptr) t = &ctx_.overwrite(id, SessionTable{});
  co_return t;
}

Task<Reply> VoleryMachine::Run::create_session(const CreateSession& c) {
  Reply reply;
  reply.zxid = zxid_;
  if (c.timeout_ms <= 0) {
    reply.result = fail(Code::bad_arguments);
    co_return reply;
  }
  const SessionId session = zxid_;  // unique, positive, the same everywhere
  SessionTable* table = co_await own_table();
  table->sessions[session] = SessionTable::Entry{c.timeout_ms, zxid_, c.password};
  for (PartitionId p : ctx_.destinations()) {
    SessionRecord r;
    r.last_seq = req_.seq;
    r.gateway = req_.gateway;
    ctx_.overwrite(session_record_id(p, session), std::move(r));
  }
  reply.result.session = session;
  reply.result.timeout_ms = c.timeout_ms;
  co_return reply;
}

Task<Reply> VoleryMachine::Run::tick(const Tick& t) {
  Reply reply;
  reply.zxid = zxid_;
  SessionTable* table = co_await own_table();
  for (SessionId s : t.renew) {
    if (const auto it = table->sessions.find(s); it != table->sessions.end()) it->second.renewed_ns = zxid_;
  }
  std::vector<SessionId> expired;
  for (const auto& [s, e] : table->sessions) {
    if (e.renewed_ns + std::int64_t{e.timeout_ms} * 1'000'000 < zxid_) expired.push_back(s);
  }
  for (SessionId s : expired) table->sessions.erase(s);
  for (SessionId s : expired) (void)co_await end_session(s, true);
  co_await apply();
  reply.result.expired = std::move(expired);
  co_return reply;
}

// ZooKeeper's closeSession deletes the session's ephemerals while its connection still holds its
// watches (DataTree.killSession runs before FinalRequestProcessor answers the close), so a
// session watching its own ephemerals gets their NodeDeleted (and its child watches on their
// parents NodeChildrenChanged) before the close's reply. Here too: the deletions fire while the
// session's records still count its events, and the reply's marks, read afterwards, hold the
// reply back until those events are out. (An expiry ends the session first: ZooKeeper closes an
// expired session's connection, and Volery's gateway drops it on the SessionExpired notice.)
Task<Reply> VoleryMachine::Run::close_session() {
  Reply reply;
  reply.zxid = zxid_;
  SessionTable* table = co_await own_table();
  table->sessions.erase(req_.session);
  co_await delete_ephemerals(req_.session);
  co_await apply();
  reply.marks = co_await end_session(req_.session, false);
  co_await apply();
  co_return reply;
}

// Deletes the session's present ephemerals at every partition (their watches fire in apply).
Task<void> VoleryMachine::Run::delete_ephemerals(SessionId session) {
  for (PartitionId p : all_partitions()) {
    const Ephemerals* index = co_await ctx_.read<Ephemerals>(ephemerals_id(p, session));
    if (index == nullptr) continue;
    const std::vector<std::string> paths(index->paths.begin(), index->paths.end());
    for (const std::string& path : paths) {
      const ZNode* n = co_await node(path);
      if (n != nullptr && n->stat.ephemeral_owner == session) co_await delete_node(path);
    }
  }
}

// Removes the session's watches, its ephemerals (firing the others' watches) and its records
// everywhere.
Task<std::vector<EventMark>> VoleryMachine::Run::end_session(SessionId session, bool notify_gateway) {
  ended_.insert(session);
  // The events every partition sent the session: its gateway hands them out before the expiry.
  SessionExpired notice{.session = session, .zxid = zxid_, .marks = {}};
  NodeId gateway{};
  for (PartitionId p : all_partitions()) {
    const SessionRecord* r = co_await ctx_.read<SessionRecord>(session_record_id(p, session));
    if (r == nullptr) continue;
    gateway = r->gateway;
    if (r->events > 0) notice.marks.push_back(EventMark{p, r->events});
  }
  if (notify_gateway && gateway.value != 0 && ctx_.partition() == all_partitions().front()) {
    ctx_.emit(gateway, string_of(encode(Notification{notice})));
  }
  // Its watches go before its ephemerals do: an expired session gets none of their events (a
  // closing one got them already, close_session).
  for (PartitionId p : all_partitions()) {
    const SessionRecord* r = co_await ctx_.read<SessionRecord>(session_record_id(p, session));
    if (r == nullptr) continue;
    const std::vector<std::string> watched(r->watched.begin(), r->watched.end());
    for (const std::string& path : watched) {
      const std::string id = watch_id(path);
      Watches* w = co_await ctx_.modify<Watches>(id);
      if (w == nullptr) continue;
      w->data.erase(session);
      w->child.erase(session);
      if (w->empty()) ctx_.erase(id);
    }
  }
  co_await delete_ephemerals(session);
  for (PartitionId p : all_partitions()) {
    const std::string id = ephemerals_id(p, session);
    if (co_await ctx_.read<Ephemerals>(id) != nullptr) ctx_.erase(id);
    ctx_.erase(session_record_id(p, session));
  }
  co_return notice.marks;
}

Task<Reply> VoleryMachine::Run::reattach(const Reattach& r) {
  Reply reply;
  reply.zxid = zxid_;
  SessionTable* table = co_await own_table();
  const auto it = table->sessions.find(req_.session);
  if (it == table->sessions.end() || it->second.password != r.password) {
    reply.result = fail(Code::session_expired);
    co_return reply;
  }
  it->second.renewed_ns = zxid_;
  for (PartitionId p : ctx_.destinations()) {
    SessionRecord* record = co_await ctx_.modify<SessionRecord>(session_record_id(p, req_.session));
    if (record == nullptr) continue;  // cannot happen while the tables agree
    record->gateway = req_.gateway;
    record->events = 0;
    record->last_seq = req_.seq;
  }
  reply.result.session = req_.session;
  reply.result.timeout_ms = it->second.timeout_ms;
  co_return reply;
}

}  // namespace eyrie::volery
