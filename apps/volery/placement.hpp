#pragma once
// Where Volery's objects live and which partitions a request reaches (docs/volery.md,
// "Placement").
//
// Object ids:
//   "/a/b"            the znode /a/b (its data, stat, ACL and children names)
//   "w/a/b"           the watches set on /a/b (present or not): with the node
//   "#<p>/s/<sid>"    session <sid> as partition <p> knows it (FIFO, gateway, event count)
//   "#<p>/e/<sid>"    the ephemeral nodes of <sid> that partition <p> owns
//   "#<p>/sessions"   partition <p>'s table of live sessions (timeouts, renewals)
// A path's owner is the base placement's owner of its placement key (the path with a
// sequential node's ten-digit suffix dropped), so a sequential node's partition is known
// before its name. "#<p>/..." ids are pinned to partition <p>: every partition keeps its own
// copy of the session bookkeeping, changed only by commands that reach every partition.

#include <memory>
#include <string>
#include <string_view>

#include "apps/volery/types.hpp"
#include "oracle/oracle.hpp"

namespace eyrie::volery {

std::string watch_id(std::string_view path);
std::string session_record_id(PartitionId partition, SessionId session);
std::string ephemerals_id(PartitionId partition, SessionId session);
std::string session_table_id(PartitionId partition);

class VoleryPlacement final : public oracle::Placement {
 public:
  explicit VoleryPlacement(std::shared_ptr<const oracle::Placement> base) : base_(std::move(base)) {}
  PartitionId owner(std::string_view object) const override;
  const std::vector<PartitionId>& partitions() const override { return base_->partitions(); }
  // `sequential`: the path of a sequential create, before its suffix is appended.
  PartitionId owner_of_path(std::string_view path, bool sequential = false) const;

 private:
  std::shared_ptr<const oracle::Placement> base_;
};

// The paths an operation touches (a created node's parent included); none for session
// commands. A sequential create names its path before the suffix (`sequential`).
struct PathRef {
  std::string path;
  bool sequential = false;
};
std::vector<PathRef> paths_of(const Op& op);

class VoleryOracle final : public oracle::PartitioningOracle {
 public:
  explicit VoleryOracle(std::shared_ptr<const oracle::Placement> base) : placement_(std::move(base)) {}
  const VoleryPlacement& placement() const override { return placement_; }
  // getData, setData, exists, getChildren, check, getACL, setACL, sync: the node's partition;
  // create and delete: the node's and its parent's; multi: the union of its operations';
  // session commands: every partition. A container emptied by a delete is deleted too, which
  // may need its parent's partition: the replicas then answer retry and the client widens.
  std::vector<PartitionId> destinations(const Op& op) const;
  std::vector<PartitionId> destinations(std::span<const std::byte> request) const override;
  // Prefetch: the request's session record, nodes and watch sets that `partition` owns.
  std::vector<oracle::ObjectId> local_objects(std::span<const std::byte> request, PartitionId partition) const override;

 private:
  VoleryPlacement placement_;
};

}  // namespace eyrie::volery
