#pragma once
// One command's run (VoleryMachine::Run): private to the state machine's two files,
// machine.cpp (sessions checks, the operations) and machine_effects.cpp (writes, watches,
// session commands).

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "apps/volery/machine.hpp"
#include "apps/volery/objects.hpp"

namespace eyrie::volery {

using partition::CommandContext;
using partition::Task;

Result fail(Code code);
std::string string_of(const Payload& p);
// A built-in node's value before anything wrote it.
ZNode builtin_node(std::string_view path);

class VoleryMachine::Run {
 public:
  Run(const VoleryMachine& machine, CommandContext& ctx, Request request)
      : m_(machine), ctx_(ctx), req_(std::move(request)), zxid_(to_ns(ctx.timestamp())) {}

  Task<Reply> go();

 private:
  struct Fired {
    EventType type;
    std::string path;
    std::vector<Acl> acl;  // the node's (the parent's for NodeChildrenChanged): WatchEvent::acl
  };
  struct EphemeralChange {
    SessionId session;
    std::string path;
    bool add;
  };

  std::int64_t ms() const { return zxid_ / 1'000'000; }
  PartitionId owner(std::string_view path) const { return m_.oracle_.placement().owner_of_path(path); }
  const std::vector<PartitionId>& all_partitions() const { return m_.oracle_.placement().partitions(); }

  // Session checks and the operation, for requests of an attached session.
  Task<Reply> session_request();
  Task<Result> run(const Op& op);
  Task<Result> run_one(const MultiOp& op);

  Task<Result> create(const Create& c);
  Task<Result> remove(const Delete& d);
  Task<Result> set_data(const SetData& s);
  Task<Result> check(const Check& c);
  Task<Result> get_data(const GetData& g);
  Task<Result> exists(const Exists& e);
  Task<Result> get_children(const GetChildren& g);
  Task<Result> get_acl(const GetAcl& g);
  Task<Result> set_acl(const SetAcl& s);
  Task<Result> multi(const Multi& m);

  Task<Reply> create_session(const CreateSession& c);
  Task<Reply> tick(const Tick& t);
  Task<Reply> close_session();
  Task<void> delete_ephemerals(SessionId session);
  Task<Reply> reattach(const Reattach& r);

  // The overlay.
  Task<const ZNode*> node(const std::string& path);
  ZNode& change(const std::string& path);  // precondition: node(path) is present
  void put(const std::string& path, ZNode n) { changed_[path] = std::move(n); }
  void drop(const std::string& path) { changed_[path] = std::nullopt; }
  void forget_changes() {
    changed_.clear();
    fired_.clear();
    ephemeral_changes_.clear();
    emptied_containers_.clear();
  }
  // Deletes a present node (its parent updated, watches to fire, its owner's index).
  Task<void> delete_node(const std::string& path);
  // Deletes every container the command left empty, and parents that become so in turn.
  Task<void> sweep_containers();
  Task<void> apply();
  Task<void> fire(const Fired& f);
  Task<void> register_watch(const std::string& path, bool child);
  // Returns the events each partition had sent the session (what its gateway must hand out first).
  Task<std::vector<EventMark>> end_session(SessionId session, bool notify_gateway);
  Task<SessionTable*> own_table();
  Task<std::vector<EventMark>> marks();

  const VoleryMachine& m_;
  CommandContext& ctx_;
  Request req_;
  Zxid zxid_;
  std::map<std::string, std::optional<ZNode>> loaded_;
  std::map<std::string, std::optional<ZNode>> changed_;
  std::vector<Fired> fired_;
  std::vector<EphemeralChange> ephemeral_changes_;
  std::vector<std::string> emptied_containers_;
  std::set<SessionId> ended_;  // sessions this command ended: their indexes are gone
};

}  // namespace eyrie::volery
