#pragma once
// Builders of Volery operations, answers and histories for the VoleryModel tests.

#include <string>
#include <utility>
#include <vector>

#include "tests/checkers/volery_model.hpp"

namespace eyrie::check::volery::builders {

inline constexpr NodeId kAlice{70001};
inline constexpr NodeId kBob{70002};
inline constexpr NodeId kCarol{70003};
inline constexpr zk::SessionId kS1 = 101;
inline constexpr zk::SessionId kS2 = 102;
inline constexpr zk::SessionId kS3 = 103;

// The zxid of a command at millisecond n (so its ctime/mtime is n).
constexpr zk::Zxid Z(std::int64_t n) { return n * kNsPerMs + 3; }

struct StatFields {
  zk::Zxid c = 0;
  zk::Zxid m = 0;
  zk::Zxid p = 0;
  std::int32_t v = 0;
  std::int32_t cv = 0;
  std::int32_t av = 0;
  zk::SessionId eo = 0;
  std::int32_t dl = 0;
  std::int32_t nc = 0;
};
inline zk::Stat stat(StatFields f) {
  return zk::Stat{.czxid = f.c,
                  .mzxid = f.m,
                  .ctime = f.c / kNsPerMs,
                  .mtime = f.m / kNsPerMs,
                  .version = f.v,
                  .cversion = f.cv,
                  .aversion = f.av,
                  .ephemeral_owner = f.eo,
                  .data_length = f.dl,
                  .num_children = f.nc,
                  .pzxid = f.p};
}
// A node created at z and not changed since.
inline zk::Stat fresh(zk::Zxid z, StatFields more = {}) {
  more.c = more.m = more.p = z;
  return stat(more);
}

inline std::vector<zk::Acl> open() { return {zk::Acl{.perms = zk::perms::all, .id = {"world", "anyone"}}}; }

inline zk::Create create(std::string path, std::string data = "", zk::CreateMode mode = zk::CreateMode::persistent) {
  return zk::Create{.path = std::move(path), .data = std::move(data), .acl = open(), .mode = mode};
}
inline zk::Create create_ephemeral(std::string path) { return create(std::move(path), "", zk::CreateMode::ephemeral); }
inline zk::Create create_sequential(std::string path) {
  return create(std::move(path), "", zk::CreateMode::persistent_sequential);
}
inline zk::Create create_container(std::string path) { return create(std::move(path), "", zk::CreateMode::container); }

inline zk::Result ok() { return {}; }
inline zk::Result err(zk::Code code) {
  zk::Result r;
  r.code = code;
  return r;
}
inline zk::Result created(std::string path, zk::Stat s) {
  zk::Result r;
  r.path = std::move(path);
  r.stat = s;
  return r;
}
inline zk::Result named(std::string path) {  // a create's result in a multi, without its stat
  zk::Result r;
  r.path = std::move(path);
  return r;
}
inline zk::Result with_stat(zk::Stat s) {
  zk::Result r;
  r.stat = s;
  return r;
}
inline zk::Result with_data(std::string data, zk::Stat s) {
  zk::Result r = with_stat(s);
  r.data = std::move(data);
  return r;
}
inline zk::Result with_children(std::vector<std::string> children, zk::Stat s) {
  zk::Result r = with_stat(s);
  r.children = std::move(children);
  return r;
}
inline zk::Result with_acl(std::vector<zk::Acl> acl, zk::Stat s) {
  zk::Result r = with_stat(s);
  r.acl = std::move(acl);
  return r;
}
inline zk::Result new_session(zk::SessionId id) {
  zk::Result r;
  r.session = id;
  return r;
}
inline zk::Result expired(std::vector<zk::SessionId> ids) {
  zk::Result r;
  r.expired = std::move(ids);
  return r;
}
inline zk::Result multi_result(zk::Code code, std::vector<zk::Result> results) {
  zk::Result r = err(code);
  r.results = std::move(results);
  return r;
}

inline Output reply(zk::Zxid zxid, zk::Result result) {
  return zk::Reply{.status = zk::Reply::Status::done, .zxid = zxid, .marks = {}, .result = std::move(result)};
}

// An operation answered `result` at `zxid`, seen by the client from `from` to `to`.
inline VoleryOperation done(NodeId client, std::int64_t from, std::int64_t to, zk::SessionId session, zk::Op op,
                            zk::Zxid zxid, zk::Result result, std::vector<zk::Id> auth = {}) {
  return VoleryOperation{.client = client,
                         .invoked_ns = from,
                         .responded_ns = to,
                         .input = Input{.session = session, .auth = std::move(auth), .op = std::move(op)},
                         .output = reply(zxid, std::move(result))};
}
// An operation whose reply never came.
inline VoleryOperation lost(NodeId client, std::int64_t from, zk::SessionId session, zk::Op op) {
  return VoleryOperation{.client = client,
                         .invoked_ns = from,
                         .responded_ns = kNeverNs,
                         .input = Input{.session = session, .auth = {}, .op = std::move(op)},
                         .output = std::nullopt};
}
inline VoleryOperation open_session(NodeId client, std::int64_t from, std::int64_t to, zk::SessionId id,
                                    zk::Zxid zxid) {
  return done(client, from, to, 0, zk::CreateSession{.timeout_ms = 10'000, .password = "pw"}, zxid, new_session(id));
}

}  // namespace eyrie::check::volery::builders
