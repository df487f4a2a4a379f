// Volery's wire codec (apps/volery/codec.hpp), case by case: every operation, result shape and
// notification survives encode/decode, every limit is accepted at its bound and refused one past
// it, and values the types or the schema cannot rule out (enum values out of range, negative
// session ids and zxids, a multi result inside a multi result, ...) are refused with a reason.
// codec_fuzz_test.cpp has the randomized round trips and the corruption tests.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "apps/volery/codec.hpp"
#include "apps/volery/volery.capnp.h"
#include "runtime/capnp_codec.hpp"

namespace eyrie::volery {
namespace {

using ::testing::HasSubstr;

Request request_of(Op op) {
  return Request{.session = 7, .seq = 5, .previous = 4, .gateway = NodeId{900001}, .auth = {}, .op = std::move(op)};
}

Request round_trip(const Request& in) {
  std::string error;
  const Payload bytes = encode(in);
  const std::optional<Request> out = decode_request(bytes.bytes(), &error);
  EXPECT_TRUE(out) << error;
  return out.value_or(Request{});
}

// The reason decode_request gives for `in`, or "" when it accepts it unchanged.
std::string request_rejection(const Request& in) {
  std::string error;
  const Payload bytes = encode(in);
  const std::optional<Request> out = decode_request(bytes.bytes(), &error);
  if (!out) {
    EXPECT_FALSE(error.empty());
    return error;
  }
  EXPECT_EQ(out->op, in.op);
  return "";
}

std::string reply_rejection(const Reply& in) {
  std::string error;
  const Payload bytes = encode(in);
  const std::optional<Reply> out = decode_reply(bytes.bytes(), &error);
  if (!out) {
    EXPECT_FALSE(error.empty());
    return error;
  }
  EXPECT_EQ(*out, in);
  return "";
}

std::string notification_rejection(const Notification& in) {
  std::string error;
  const Payload bytes = encode(in);
  const std::optional<Notification> out = decode_notification(bytes.bytes(), &error);
  if (!out) {
    EXPECT_FALSE(error.empty());
    return error;
  }
  EXPECT_EQ(*out, in);
  return "";
}

const std::string kBinary("a\0\xff\x01", 4);

// --- requests ---

TEST(VoleryCodec, request_envelopeRoundTrip) {
  const Request in{.session = 0x7fffffffffffffff,
                   .seq = 0xffffffffffffffffULL,
                   .previous = 12,
                   .gateway = NodeId{0xfeedface12345678ULL},
                   .auth = {Id{"digest", "alice:abc="}, Id{"ip", "127.0.0.1"}, Id{"", ""}},
                   .op = Sync{"/"}};
  const Request out = round_trip(in);
  EXPECT_EQ(out.session, in.session);
  EXPECT_EQ(out.seq, in.seq);
  EXPECT_EQ(out.previous, in.previous);
  EXPECT_EQ(out.gateway, in.gateway);
  EXPECT_EQ(out.auth, in.auth);
  EXPECT_EQ(out.op, in.op);
}

TEST(VoleryCodec, request_roundTripOfEveryOperation) {
  const std::vector<Acl> acl{{perms::read, Id{"world", "anyone"}}, {perms::all, Id{"digest", "u:h"}}};
  const std::vector<Op> ops{
      Create{"/a/b", kBinary, acl, CreateMode::persistent},
      Create{"/a/", "", {}, CreateMode::ephemeral_sequential},
      Create{"/c", "x", open_acl(), CreateMode::container},
      Delete{"/a", kAnyVersion},
      Delete{"/a", 2147483647},
      SetData{"/a", kBinary, -5},
      Check{"/a", 0},
      GetData{"/a", true},
      GetData{"/a", false},
      Exists{"/e", true},
      GetChildren{"/", true},
      GetAcl{"/a"},
      SetAcl{"/a", acl, 3},
      Sync{"/a"},
      Multi{},
      Multi{{Create{"/m", "d", acl, CreateMode::persistent_sequential}, Delete{"/n", 1}, SetData{"/o", "", 2},
             Check{"/p", -1}}},
      CreateSession{30000, std::string(16, '\x9c')},
      Tick{},
      Tick{{1, 2, 0x7fffffffffffffff}},
      CloseSession{},
      Reattach{std::string(16, '\0')},
  };
  for (const Op& op : ops) {
    EXPECT_EQ(round_trip(request_of(op)).op, op) << describe(op);
  }
}

TEST(VoleryCodec, request_everyCreateMode) {
  for (int mode = 0; mode <= 4; ++mode) {
    const Op op = Create{"/a", "", open_acl(), static_cast<CreateMode>(mode)};
    EXPECT_EQ(round_trip(request_of(op)).op, op) << mode;
  }
}

TEST(VoleryCodec, decodeRequest_refusesACreateModeOutOfRange) {
  for (int mode : {5, 6, -1, 1000, INT32_MIN}) {
    EXPECT_THAT(request_rejection(request_of(Create{"/a", "", {}, static_cast<CreateMode>(mode)})),
                HasSubstr("create mode " + std::to_string(mode) + " is not 0..4"));
    EXPECT_THAT(request_rejection(request_of(Multi{{Create{"/a", "", {}, static_cast<CreateMode>(mode)}}})),
                HasSubstr("is not 0..4"));
  }
}

TEST(VoleryCodec, decodeRequest_pathsUpTo4096Bytes) {
  const std::string longest(4096, 'p');
  EXPECT_EQ(request_rejection(request_of(GetData{longest, false})), "");
  const std::string too_long(4097, 'p');
  for (const Op& op : std::vector<Op>{Create{too_long, "", {}, CreateMode::persistent}, Delete{too_long, 1},
                                      SetData{too_long, "", 1}, Check{too_long, 1}, GetData{too_long, false},
                                      Exists{too_long, false}, GetChildren{too_long, false}, GetAcl{too_long},
                                      SetAcl{too_long, {}, 1}, Sync{too_long}, Multi{{Check{too_long, 1}}}}) {
    EXPECT_THAT(request_rejection(request_of(op)), HasSubstr("a path has 4097 bytes, more than 4096")) << describe(op);
  }
}

TEST(VoleryCodec, decodeRequest_dataUpTo1MiB) {
  const std::string largest(1 << 20, 'd');
  EXPECT_EQ(request_rejection(request_of(SetData{"/a", largest, 1})), "");
  EXPECT_EQ(request_rejection(request_of(Create{"/a", largest, {}, CreateMode::persistent})), "");
  const std::string too_large((1 << 20) + 1, 'd');
  EXPECT_THAT(request_rejection(request_of(SetData{"/a", too_large, 1})), HasSubstr("node data has 1048577 bytes"));
  EXPECT_THAT(request_rejection(request_of(Create{"/a", too_large, {}, CreateMode::persistent})),
              HasSubstr("more than 1048576"));
  EXPECT_THAT(request_rejection(request_of(Multi{{SetData{"/a", too_large, 1}}})), HasSubstr("node data"));
}

TEST(VoleryCodec, decodeRequest_multiUpTo1024Operations) {
  Multi multi;
  for (int i = 0; i < 1024; ++i) multi.ops.push_back(Check{"/c" + std::to_string(i), i});
  EXPECT_EQ(request_rejection(request_of(multi)), "");
  multi.ops.push_back(Check{"/one-more", 1});
  EXPECT_THAT(request_rejection(request_of(multi)), HasSubstr("operations in a multi: 1025, more than 1024"));
}

TEST(VoleryCodec, decodeRequest_aclsUpTo64Entries) {
  std::vector<Acl> acl(64, Acl{perms::all, Id{"world", "anyone"}});
  EXPECT_EQ(request_rejection(request_of(SetAcl{"/a", acl, 1})), "");
  acl.push_back(acl.back());
  EXPECT_THAT(request_rejection(request_of(SetAcl{"/a", acl, 1})), HasSubstr("ACL entries: 65, more than 64"));
  EXPECT_THAT(request_rejection(request_of(Create{"/a", "", acl, CreateMode::persistent})), HasSubstr("ACL entries"));
}

TEST(VoleryCodec, decodeRequest_idsAreBounded) {
  const std::string scheme(64, 's'), id(1024, 'i');
  EXPECT_EQ(request_rejection(request_of(SetAcl{"/a", {Acl{1, Id{scheme, id}}}, 1})), "");
  EXPECT_THAT(request_rejection(request_of(SetAcl{"/a", {Acl{1, Id{scheme + "s", id}}}, 1})),
              HasSubstr("an id's scheme has 65 bytes"));
  EXPECT_THAT(request_rejection(request_of(SetAcl{"/a", {Acl{1, Id{scheme, id + "i"}}}, 1})),
              HasSubstr("an id has 1025 bytes"));
  Request r = request_of(Sync{"/"});
  r.auth = {Id{"digest", id + "i"}};
  EXPECT_THAT(request_rejection(r), HasSubstr("an id has 1025 bytes"));
}

TEST(VoleryCodec, decodeRequest_upTo64AuthIds) {
  Request r = request_of(Sync{"/"});
  r.auth.assign(64, Id{"digest", "u:h"});
  EXPECT_EQ(round_trip(r).auth.size(), 64u);
  r.auth.push_back(Id{"digest", "v:h"});
  EXPECT_THAT(request_rejection(r), HasSubstr("auth ids: 65, more than 64"));
}

TEST(VoleryCodec, decodeRequest_tickUpTo100000SessionsAllPositive) {
  Tick tick;
  for (std::int64_t i = 1; i <= 100'000; ++i) tick.renew.push_back(i);
  Request r = request_of(tick);
  r.session = 0;
  EXPECT_EQ(request_rejection(r), "");
  std::get<Tick>(r.op).renew.push_back(100'001);
  EXPECT_THAT(request_rejection(r), HasSubstr("sessions in a tick: 100001, more than 100000"));
  EXPECT_THAT(request_rejection(request_of(Tick{{3, 0}})), HasSubstr("renewed session id 0 is not positive"));
  EXPECT_THAT(request_rejection(request_of(Tick{{-4}})), HasSubstr("renewed session id -4 is not positive"));
}

TEST(VoleryCodec, decodeRequest_sessionCommandsAreChecked) {
  EXPECT_THAT(request_rejection(request_of(CreateSession{0, "pw"})), HasSubstr("session timeout 0 is not positive"));
  EXPECT_THAT(request_rejection(request_of(CreateSession{-1, "pw"})), HasSubstr("session timeout -1"));
  EXPECT_EQ(request_rejection(request_of(CreateSession{1, std::string(64, 'p')})), "");
  EXPECT_THAT(request_rejection(request_of(CreateSession{1, std::string(65, 'p')})),
              HasSubstr("a session password has 65 bytes"));
  EXPECT_EQ(request_rejection(request_of(Reattach{std::string(64, 'p')})), "");
  EXPECT_THAT(request_rejection(request_of(Reattach{std::string(65, 'p')})), HasSubstr("a session password"));
}

TEST(VoleryCodec, decodeRequest_refusesANegativeSessionAndAPreviousNotBelowSeq) {
  Request r = request_of(Sync{"/"});
  r.session = -1;
  EXPECT_THAT(request_rejection(r), HasSubstr("session id -1 is negative"));
  r = request_of(Sync{"/"});
  r.seq = 5;
  r.previous = 5;
  EXPECT_THAT(request_rejection(r), HasSubstr("previous request 5 is not below seq 5"));
  r.previous = 6;
  EXPECT_THAT(request_rejection(r), HasSubstr("previous request 6 is not below seq 5"));
  r.previous = 0;  // no previous request with the same destinations
  EXPECT_EQ(request_rejection(r), "");
  r.seq = 0;
  EXPECT_EQ(request_rejection(r), "");
}

// --- replies ---

Stat full_stat() {
  return Stat{.czxid = 1,
              .mzxid = 0x7fffffffffffffff,
              .ctime = 1718000000000,
              .mtime = -1,
              .version = -2147483647 - 1,
              .cversion = 2147483647,
              .aversion = 3,
              .ephemeral_owner = 99,
              .data_length = 1 << 20,
              .num_children = 4,
              .pzxid = 5};
}

// A Result or a Reply with the fields `fill` sets (designated initializers would have to name
// every field to keep -Wmissing-field-initializers quiet).
template <typename Fill>
Result result(Code code, Fill fill) {
  Result r;
  r.code = code;
  fill(r);
  return r;
}
Result result(Code code) {
  return result(code, [](Result&) {});
}
template <typename Fill>
Reply reply(Fill fill) {
  Reply r;
  fill(r);
  return r;
}
Reply reply_with(Result r) {
  return reply([&](Reply& out) { out.result = std::move(r); });
}

TEST(VoleryCodec, reply_roundTripOfEveryResultShape) {
  std::vector<Result> results{
      result(Code::ok, [](Result& r) { r.path = "/a/job-0000000042"; r.stat = full_stat(); }),
      result(Code::no_node),
      result(static_cast<Code>(-999)),  // a code from elsewhere passes through
      result(Code::ok, [](Result& r) { r.stat = Stat{}; }),
      result(Code::ok, [](Result& r) { r.stat = full_stat(); r.data = kBinary; }),
      result(Code::ok, [](Result& r) { r.stat = full_stat(); r.children = {"a", "b", "", std::string("\0", 1)}; }),
      result(Code::ok, [](Result& r) { r.stat = full_stat(); r.acl = open_acl(); }),
      result(Code::ok, [](Result& r) { r.session = 0x123456789; r.timeout_ms = 4000; }),
      result(Code::ok, [](Result& r) { r.expired = {1, 2, 3}; }),
      result(Code::node_exists,
             [](Result& r) {
               r.results = {result(Code::ok), result(Code::node_exists), result(Code::runtime_inconsistency)};
             }),
      result(Code::ok,
             [](Result& r) {
               r.results = {result(Code::ok, [](Result& s) { s.path = "/m0000000001"; s.stat = full_stat(); }),
                            result(Code::ok, [](Result& s) { s.stat = full_stat(); })};
             }),
  };
  for (const Result& one : results) {
    const Reply in = reply([&](Reply& r) {
      r.status = Reply::Status::done;
      r.zxid = 1718000000000000123;
      r.marks = {EventMark{PartitionId{1}, 0}, EventMark{PartitionId{0xffffffff}, 0xffffffffffffffff}};
      r.result = one;
    });
    EXPECT_EQ(reply_rejection(in), "");
  }
  EXPECT_EQ(reply_rejection(reply([](Reply& r) { r.status = Reply::Status::out_of_order; })), "");
  EXPECT_EQ(reply_rejection(Reply{}), "");
}

TEST(VoleryCodec, decodeReply_refusesAMultiResultInsideAMultiResult) {
  const Result nested = result(Code::ok, [](Result& r) { r.results = {Result{}}; });
  const Reply in = reply_with(result(Code::ok, [&](Result& r) { r.results = {nested}; }));
  EXPECT_THAT(reply_rejection(in), HasSubstr("a multi result inside a multi result"));
}

TEST(VoleryCodec, decodeReply_boundsEveryList) {
  Reply reply;
  reply.result.results.assign(1024, result(Code::ok));
  EXPECT_EQ(reply_rejection(reply), "");
  reply.result.results.push_back(Result{});
  EXPECT_THAT(reply_rejection(reply), HasSubstr("results in a multi: 1025, more than 1024"));

  reply = Reply{};
  reply.marks.assign(1024, EventMark{PartitionId{1}, 1});
  EXPECT_EQ(reply_rejection(reply), "");
  reply.marks.push_back(EventMark{});
  EXPECT_THAT(reply_rejection(reply), HasSubstr("event marks: 1025, more than 1024"));

  reply = Reply{};
  reply.result.acl.assign(65, Acl{1, Id{"world", "anyone"}});
  EXPECT_THAT(reply_rejection(reply), HasSubstr("ACL entries: 65"));

  reply = Reply{};
  for (std::int64_t i = 1; i <= 100'000; ++i) reply.result.expired.push_back(i);
  EXPECT_EQ(reply_rejection(reply), "");
  reply.result.expired.push_back(100'001);
  EXPECT_THAT(reply_rejection(reply), HasSubstr("expired sessions: 100001, more than 100000"));

  reply = Reply{};
  reply.result.children = {std::string(4096, 'c')};
  EXPECT_EQ(reply_rejection(reply), "");
  reply.result.children = {"ok", std::string(4097, 'c')};
  EXPECT_THAT(reply_rejection(reply), HasSubstr("a child's name has 4097 bytes"));

  reply = Reply{};
  reply.result.data = std::string((1 << 20) + 1, 'd');
  EXPECT_THAT(reply_rejection(reply), HasSubstr("node data has 1048577 bytes"));
  reply = Reply{};
  reply.result.path = std::string(4097, 'p');
  EXPECT_THAT(reply_rejection(reply), HasSubstr("a path has 4097 bytes"));
}

TEST(VoleryCodec, decodeReply_upTo2To20Children) {
  Reply reply;
  reply.result.children.assign(1 << 20, "c");
  EXPECT_EQ(reply_rejection(reply), "");
  reply.result.children.push_back("c");
  EXPECT_THAT(reply_rejection(reply), HasSubstr("children: 1048577, more than 1048576"));
}

TEST(VoleryCodec, decodeReply_refusesNegativeZxidsAndSessions) {
  EXPECT_THAT(reply_rejection(reply([](Reply& r) { r.zxid = -1; })), HasSubstr("zxid -1 is negative"));
  const Result negative = result(Code::ok, [](Result& r) { r.session = -3; });
  EXPECT_THAT(reply_rejection(reply_with(negative)), HasSubstr("session id -3 is negative"));
  EXPECT_THAT(reply_rejection(reply_with(result(Code::ok, [](Result& r) { r.expired = {0}; }))),
              HasSubstr("expired session id 0"));
  EXPECT_THAT(reply_rejection(reply_with(result(Code::ok, [&](Result& r) { r.results = {negative}; }))),
              HasSubstr("session id -3"));
}

TEST(VoleryCodec, decodeReply_refusesAnUnknownStatus) {
  capnp::MallocMessageBuilder builder;
  builder.initRoot<wire::Reply>().setStatus(static_cast<wire::Reply::Status>(2));
  const Payload bytes = encode_capnp(builder);
  std::string error;
  EXPECT_FALSE(decode_reply(bytes.bytes(), &error));
  EXPECT_THAT(error, HasSubstr("unknown reply status 2"));
}

// --- notifications ---

TEST(VoleryCodec, notification_roundTrip) {
  for (int type = 1; type <= 4; ++type) {
    EXPECT_EQ(notification_rejection(WatchEvent{.session = 1,
                                                .type = static_cast<EventType>(type),
                                                .path = "/a/b",
                                                .partition = PartitionId{3},
                                                .number = 1,
                                                .zxid = 17,
                                                .acl = {Acl{perms::read, Id{"digest", "u:hash"}}, Acl{perms::all, Id{"world", "anyone"}}}}),
              "");
  }
  EXPECT_EQ(notification_rejection(WatchEvent{.session = 0x7fffffffffffffff,
                                              .type = EventType::node_deleted,
                                              .path = kBinary,
                                              .partition = PartitionId{0xffffffff},
                                              .number = 0xffffffffffffffff,
                                              .zxid = 0,
                                              .acl = {}}),
            "");
  EXPECT_EQ(notification_rejection(SessionExpired{.session = 42, .zxid = 1718000000000000123, .marks = {EventMark{PartitionId{2}, 7}}}), "");
}

TEST(VoleryCodec, decodeNotification_refusesWhatCannotBe) {
  const WatchEvent good{.session = 1,
                        .type = EventType::node_created,
                        .path = "/a",
                        .partition = PartitionId{2},
                        .number = 1,
                        .zxid = 1,
                        .acl = {}};
  for (int type : {0, 5, -1, 1000}) {
    WatchEvent bad = good;
    bad.type = static_cast<EventType>(type);
    EXPECT_THAT(notification_rejection(bad), HasSubstr("event type " + std::to_string(type) + " is not 1..4"));
  }
  WatchEvent bad = good;
  bad.session = 0;
  EXPECT_THAT(notification_rejection(bad), HasSubstr("session id 0 is not positive"));
  bad = good;
  bad.number = 0;
  EXPECT_THAT(notification_rejection(bad), HasSubstr("event number 0"));
  bad = good;
  bad.zxid = -5;
  EXPECT_THAT(notification_rejection(bad), HasSubstr("zxid -5 is negative"));
  bad = good;
  bad.path = std::string(4097, 'p');
  EXPECT_THAT(notification_rejection(bad), HasSubstr("a path has 4097 bytes"));
  EXPECT_THAT(notification_rejection(SessionExpired{0, 1, {}}), HasSubstr("session id 0 is not positive"));
  EXPECT_THAT(notification_rejection(SessionExpired{1, -1, {}}), HasSubstr("zxid -1 is negative"));
}

// --- bytes that are no message ---

TEST(VoleryCodec, decoders_refuseBytesThatAreNoMessage) {
  const std::string garbage = "definitely not a volery request...";
  const std::string words = "0123456789abcdef0123456789abcdef";
  for (const std::string& text : {garbage, words, std::string()}) {
    const auto bytes = std::as_bytes(std::span(text.data(), text.size()));
    std::string error;
    EXPECT_FALSE(decode_request(bytes, &error)) << text;
    EXPECT_FALSE(error.empty());
    error.clear();
    EXPECT_FALSE(decode_reply(bytes, &error)) << text;
    EXPECT_FALSE(error.empty());
    error.clear();
    EXPECT_FALSE(decode_notification(bytes, &error)) << text;
    EXPECT_FALSE(error.empty());
  }
}

TEST(VoleryCodec, decoders_readUnalignedBytes) {
  const Payload bytes = encode(request_of(GetData{"/a", true}));
  std::string shifted(1, 'x');
  shifted += bytes.as_string_view();
  const auto view = std::as_bytes(std::span(shifted.data() + 1, bytes.size()));
  std::string error;
  const std::optional<Request> out = decode_request(view, &error);
  ASSERT_TRUE(out) << error;
  EXPECT_EQ(out->op, Op(GetData{"/a", true}));
}

}  // namespace
}  // namespace eyrie::volery
