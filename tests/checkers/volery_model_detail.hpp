#pragma once
// Internals shared by volery_model.cpp, volery_model_rules.cpp and volery_model_text.cpp:
// ZooKeeper's path and ACL rules, what an operation must answer, and the comparison with what
// it answered.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/checkers/volery_model.hpp"

namespace eyrie::check::volery::detail {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// "/", /zookeeper, /zookeeper/config and /zookeeper/quota: never deleted.
bool is_special(std::string_view path);
// world:anyone with every permission.
std::vector<zk::Acl> open_acl();
// ZooKeeper's checkACL: whether a session with ids `auth` has one of `perm`'s bits on `acl`.
bool allows(const std::vector<zk::Acl>& acl, std::int32_t perm, const std::vector<zk::Id>& auth);
// ZooKeeper's fixupACL: the ACL a create or setACL stores, nullopt when invalid (invalid_acl).
std::optional<std::vector<zk::Acl>> fixup_acl(const std::vector<zk::Acl>& acl, const std::vector<zk::Id>& auth);
// What getACL shows a session without ADMIN: digest ids "user:hash" as "user:x".
std::vector<zk::Acl> redacted(std::vector<zk::Acl> acl);

// The result the model expects. Stat zxids of kUnknownZxid accept any value.
struct Expected {
  zk::Code code = zk::Code::ok;
  std::string path{};
  std::optional<zk::Stat> stat{};
  std::string data{};
  std::vector<std::string> children{};
  std::vector<zk::Acl> acl{};
  std::vector<Expected> results{};
  bool path_optional = false;  // sync: its path, or nothing
  bool stat_optional = false;  // a create in a multi: its stat, or nothing
  // Codes also accepted, as a bare failure (or a multi failing at the same operation with it).
  std::vector<zk::Code> also_codes{};
  std::size_t failing_index = 0;  // a failed multi: which operation failed

  static Expected failure(zk::Code code) {
    Expected expected;
    expected.code = code;
    return expected;
  }
};

// `stat` as served: exact, but for zxids the model does not know; ctime and mtime the zxids
// in ms; no zxid above the reply's.
bool stat_matches(const zk::Stat& want, const zk::Stat& got, zk::Zxid reply_zxid);
bool matches(const Expected& want, const zk::Result& got, zk::Zxid reply_zxid);
// Only the code is set.
bool is_bare(const zk::Result& result, zk::Code code);
// A createSession's result: only code, session and timeout_ms may be set.
bool only_session_fields(const zk::Result& result);

}  // namespace eyrie::check::volery::detail
