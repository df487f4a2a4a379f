// ZooKeeper's rules for paths and ACLs, as VoleryModel applies them (PathUtils.validatePath,
// PrepRequestProcessor.fixupACL, ZooKeeperServer.checkACL, FinalRequestProcessor's getACL).

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "tests/checkers/volery_model.hpp"
#include "tests/checkers/volery_model_detail.hpp"

namespace eyrie::check::volery {

std::string parent_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {};
  return slash == 0 ? "/" : std::string(path.substr(0, slash));
}

std::string_view name_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string sequence_suffix(std::int32_t counter) { return fmt::format("{:010d}", counter); }

bool valid_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path.size() == 1) return true;
  if (path.back() == '/') return false;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return false;
  }
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view component = path.substr(start, end - start);
    if (component.empty() || component == "." || component == "..") return false;
    start = end + 1;
  }
  return true;
}

namespace detail {

namespace {

constexpr std::array<std::string_view, 4> kSpecialPaths{"/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"};

bool is_world_anyone(const zk::Id& id) { return id.scheme == "world" && id.id == "anyone"; }

// Java's id.split(":").length == 2: split, trailing empty strings dropped.
bool valid_digest_id(std::string_view id) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = id.find(':', start);
    parts.push_back(id.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  return parts.size() == 2;
}

bool valid_decimal(std::string_view text, int max) {
  if (text.empty() || text.size() > 3) return false;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value <= max;
}

// IPv4 a.b.c.d with an optional /bits (ZooKeeper also takes IPv6; the model does not).
bool valid_ip_id(std::string_view id) {
  const std::size_t slash = id.find('/');
  if (slash != std::string_view::npos && !valid_decimal(id.substr(slash + 1), 32)) return false;
  std::string_view address = id.substr(0, slash);
  for (int octet = 0; octet < 4; ++octet) {
    const std::size_t dot = address.find('.');
    if ((dot == std::string_view::npos) != (octet == 3)) return false;
    if (!valid_decimal(address.substr(0, dot), 255)) return false;
    address = dot == std::string_view::npos ? std::string_view{} : address.substr(dot + 1);
  }
  return true;
}

}  // namespace

bool is_special(std::string_view path) {
  return std::find(kSpecialPaths.begin(), kSpecialPaths.end(), path) != kSpecialPaths.end();
}

std::vector<zk::Acl> open_acl() { return {zk::Acl{.perms = zk::perms::all, .id = {"world", "anyone"}}}; }

// ZooKeeper's checkACL: an empty ACL allows everything, a "super" id passes every check, else
// some entry granting one of `perm`'s bits must be world:anyone or one of the session's ids.
bool allows(const std::vector<zk::Acl>& acl, std::int32_t perm, const std::vector<zk::Id>& auth) {
  if (acl.empty()) return true;
  if (std::any_of(auth.begin(), auth.end(), [](const zk::Id& id) { return id.scheme == "super"; })) return true;
  for (const zk::Acl& entry : acl) {
    if ((entry.perms & perm) == 0) continue;
    if (is_world_anyone(entry.id)) return true;
    if (entry.id.scheme == "world") continue;  // ZooKeeper has no provider for "world"
    if (std::find(auth.begin(), auth.end(), entry.id) != auth.end()) return true;
  }
  return false;
}

// ZooKeeper's fixupACL: duplicates dropped, "auth" expanded to the session's authenticated ids;
// nullopt (invalid_acl) for an empty list, an unknown scheme or a malformed id.
std::optional<std::vector<zk::Acl>> fixup_acl(const std::vector<zk::Acl>& acl, const std::vector<zk::Id>& auth) {
  std::vector<zk::Acl> unique;
  for (const zk::Acl& entry : acl)
    if (std::find(unique.begin(), unique.end(), entry) == unique.end()) unique.push_back(entry);
  if (unique.empty()) return std::nullopt;
  std::vector<zk::Acl> out;
  for (const zk::Acl& entry : unique) {
    if (is_world_anyone(entry.id)) {
      out.push_back(entry);
    } else if (entry.id.scheme == "auth") {
      bool any = false;
      for (const zk::Id& id : auth) {
        if (id.scheme == "world" || id.scheme == "ip") continue;  // not "authenticated" providers
        out.push_back(zk::Acl{.perms = entry.perms, .id = id});
        any = true;
      }
      if (!any) return std::nullopt;
    } else if ((entry.id.scheme == "digest" && valid_digest_id(entry.id.id)) ||
               (entry.id.scheme == "ip" && valid_ip_id(entry.id.id))) {
      out.push_back(entry);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// getACL without ADMIN: digest ids "user:hash" become "user:x".
std::vector<zk::Acl> redacted(std::vector<zk::Acl> acl) {
  for (zk::Acl& entry : acl) {
    if (entry.id.scheme != "digest") continue;
    const std::size_t colon = entry.id.id.find(':');
    if (colon != std::string::npos) entry.id.id = entry.id.id.substr(0, colon) + ":x";
  }
  return acl;
}

}  // namespace detail
}  // namespace eyrie::check::volery
