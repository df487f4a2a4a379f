#pragma once
// Volery's replicated objects (ids in apps/volery/placement.hpp). The S-SMR runtime owns them,
// copies them before a command changes them and ships them between partitions, so each is a
// plain value with a Cap'n Proto form (state.capnp).

#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "apps/volery/types.hpp"
#include "partition/state_machine.hpp"

namespace eyrie::volery {

// ZooKeeper marks a container with this ephemeral owner (EphemeralType.CONTAINER_EPHEMERAL_OWNER).
inline constexpr SessionId kContainerOwner = std::numeric_limits<std::int64_t>::min();

class ZNode final : public partition::Object {
 public:
  std::string data;
  std::vector<Acl> acl;
  // As stored: cversion counts the children ever created (a sequential name's suffix), the
  // ephemeral owner of a container is kContainerOwner; stat_now() gives what clients see.
  Stat stat;
  std::set<std::string> children;

  bool is_container() const { return stat.ephemeral_owner == kContainerOwner; }
  // A node owned by a session (not a container): it may not have children.
  bool is_ephemeral() const { return stat.ephemeral_owner != 0 && !is_container(); }
  Stat stat_now() const;

  void serialize(std::string& out) const override;
  std::unique_ptr<partition::Object> clone() const override { return std::make_unique<ZNode>(*this); }
};

// The sessions watching one path; one-shot, so a firing empties the set it reads.
class Watches final : public partition::Object {
 public:
  std::set<SessionId> data;   // getData and exists (exists on an absent node included)
  std::set<SessionId> child;  // getChildren
  bool empty() const { return data.empty() && child.empty(); }

  void serialize(std::string& out) const override;
  std::unique_ptr<partition::Object> clone() const override { return std::make_unique<Watches>(*this); }
};

// A live session as one partition knows it.
class SessionRecord final : public partition::Object {
 public:
  std::uint64_t last_seq = 0;  // the session's last request run here (FIFO check)
  NodeId gateway{};            // where this partition sends the session's watch events
  std::uint64_t events = 0;    // events sent to `gateway` since the session attached to it
  // The paths of this partition the session watches (data or child), so that its end removes
  // its watches instead of leaving them until they fire.
  std::set<std::string> watched;

  void serialize(std::string& out) const override;
  std::unique_ptr<partition::Object> clone() const override { return std::make_unique<SessionRecord>(*this); }
};

class Ephemerals final : public partition::Object {
 public:
  std::set<std::string> paths;

  void serialize(std::string& out) const override;
  std::unique_ptr<partition::Object> clone() const override { return std::make_unique<Ephemerals>(*this); }
};

class SessionTable final : public partition::Object {
 public:
  struct Entry {
    std::int32_t timeout_ms = 0;
    std::int64_t renewed_ns = 0;  // the timestamp of the command that last renewed it
    std::string password;
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  std::map<SessionId, Entry> sessions;

  void serialize(std::string& out) const override;
  std::unique_ptr<partition::Object> clone() const override { return std::make_unique<SessionTable>(*this); }
};

// Any of the above from serialize()'s bytes; throws std::invalid_argument on bytes it cannot read.
std::unique_ptr<partition::Object> decode_object(std::span<const std::byte> bytes);

}  // namespace eyrie::volery
