#include "apps/volery/placement.hpp"

#include <algorithm>
#include <charconv>

#include "apps/volery/codec.hpp"
#include "apps/volery/path.hpp"

namespace eyrie::volery {

namespace {

std::string pinned(PartitionId partition, std::string_view rest) {
  return "#" + std::to_string(partition.value) + "/" + std::string(rest);
}

void sort_unique(std::vector<PartitionId>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

std::string watch_id(std::string_view path) { return "w" + std::string(path); }
std::string session_record_id(PartitionId partition, SessionId session) {
  return pinned(partition, "s/" + std::to_string(session));
}
std::string ephemerals_id(PartitionId partition, SessionId session) {
  return pinned(partition, "e/" + std::to_string(session));
}
std::string session_table_id(PartitionId partition) { return pinned(partition, "sessions"); }

PartitionId VoleryPlacement::owner_of_path(std::string_view path, bool sequential) const {
  return base_->owner(placement_key(path, sequential));
}

PartitionId VoleryPlacement::owner(std::string_view object) const {
  if (!object.empty() && object.front() == '/') return owner_of_path(object);
  if (object.size() >= 2 && object.front() == 'w' && object[1] == '/') return owner_of_path(object.substr(1));
  if (!object.empty() && object.front() == '#') {
    std::uint32_t p = 0;
    const char* begin = object.data() + 1;
    const char* end = object.data() + object.size();
    const auto [next, ec] = std::from_chars(begin, end, p);
    const auto& all = partitions();
    if (ec == std::errc{} && next != end && *next == '/' && std::binary_search(all.begin(), all.end(), PartitionId{p})) {
      return PartitionId{p};
    }
  }
  return base_->owner(object);  // not an id Volery makes: anywhere, but deterministically
}

std::vector<PathRef> paths_of(const Op& op) {
  std::vector<PathRef> paths;
  const auto add_create = [&](const Create& c) {
    // A sequential node's name is not known yet; its placement key is.
    const bool sequential = is_sequential(c.mode);
    paths.push_back({c.path, sequential});
    paths.push_back({parent_of(sequential ? c.path + "0" : c.path), false});
  };
  const auto add_one = [&](const auto& o) {
    using T = std::decay_t<decltype(o)>;
    if constexpr (std::is_same_v<T, Create>) {
      add_create(o);
    } else if constexpr (std::is_same_v<T, Delete>) {
      paths.push_back({o.path, false});
      if (o.path != "/") paths.push_back({parent_of(o.path), false});
    } else {
      paths.push_back({o.path, false});
    }
  };
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, Multi>) {
          for (const MultiOp& m : o.ops) std::visit(add_one, m);
        } else if constexpr (std::is_same_v<T, Create> || std::is_same_v<T, Delete> || std::is_same_v<T, SetData> ||
                             std::is_same_v<T, Check> || std::is_same_v<T, GetData> || std::is_same_v<T, Exists> ||
                             std::is_same_v<T, GetChildren> || std::is_same_v<T, GetAcl> ||
                             std::is_same_v<T, SetAcl> || std::is_same_v<T, Sync>) {
          add_one(o);
        }
      },
      op);
  return paths;
}

std::vector<PartitionId> VoleryOracle::destinations(const Op& op) const {
  const bool session_command = std::holds_alternative<CreateSession>(op) || std::holds_alternative<Tick>(op) ||
                               std::holds_alternative<CloseSession>(op) || std::holds_alternative<Reattach>(op);
  if (session_command) return placement_.partitions();
  std::vector<PartitionId> out;
  for (const PathRef& ref : paths_of(op)) {
    // A malformed path is answered bad_arguments by the replicas; its owner is as good as any.
    out.push_back(placement_.owner_of_path(ref.path, ref.sequential));
  }
  if (out.empty()) out.push_back(placement_.partitions().front());  // an empty multi
  sort_unique(out);
  return out;
}

std::vector<PartitionId> VoleryOracle::destinations(std::span<const std::byte> bytes) const {
  std::string error;
  const std::optional<Request> request = decode_request(bytes, &error);
  if (!request) return placement_.partitions();  // the replicas will answer `failed`
  return destinations(request->op);
}

std::vector<oracle::ObjectId> VoleryOracle::local_objects(std::span<const std::byte> bytes, PartitionId partition) const {
  std::string error;
  const std::optional<Request> request = decode_request(bytes, &error);
  if (!request) return {};
  std::vector<oracle::ObjectId> ids;
  if (request->session != 0) ids.push_back(session_record_id(partition, request->session));
  for (const PathRef& ref : paths_of(request->op)) {
    // A sequential node's name is chosen at execution: nothing to send for it yet.
    if (ref.sequential || ref.path.empty() || ref.path.front() != '/') continue;
    if (placement_.owner_of_path(ref.path) != partition) continue;
    ids.push_back(ref.path);
    ids.push_back(watch_id(ref.path));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace eyrie::volery
