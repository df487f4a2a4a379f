// The ZooKeeper wire format (apps/volery/gateway/jute.hpp) and the gateway's mapping of requests
// and replies (mapping.hpp): byte layouts as ZooKeeper writes them, round trips, and inputs that
// are truncated, malformed or oversized (rejected, never a crash).

#include <gtest/gtest.h>

#include "apps/volery/gateway/mapping.hpp"
#include "runtime/rng.hpp"

namespace eyrie::volery::zk {
namespace {

Bytes bytes_of(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

template <typename T, typename... Flags>
Bytes encoded(const T& record, Flags... flags) {
  JuteWriter w;
  write(w, record, flags...);
  return std::move(w).finish();
}

template <typename T, typename... Flags>
T decoded(const Bytes& bytes, Flags... flags) {
  JuteReader r(bytes);
  T out{};
  read(r, out, flags...);
  EXPECT_FALSE(r.failed()) << r.error();
  EXPECT_EQ(r.remaining(), 0u);
  return out;
}

// Every strict prefix of a record fails to decode, and decoding never reads past the end.
template <typename T, typename... Flags>
void expect_prefixes_fail(const Bytes& bytes, Flags... flags) {
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    JuteReader r{std::span<const std::byte>(bytes).first(n)};
    T out{};
    read(r, out, flags...);
    EXPECT_TRUE(r.failed()) << "a prefix of " << n << " bytes of " << bytes.size() << " decoded";
  }
}

Bytes request_frame(std::int32_t xid, OpCode type, const std::function<void(JuteWriter&)>& body = {}) {
  JuteWriter w;
  write(w, RequestHeader{xid, static_cast<std::int32_t>(type)});
  if (body) body(w);
  return std::move(w).finish();
}

const Stat kStat{.czxid = 1, .mzxid = 2, .ctime = 3, .mtime = 4, .version = 5, .cversion = 6, .aversion = 7,
                 .ephemeral_owner = 8, .data_length = 9, .num_children = 10, .pzxid = 11};

TEST(JuteArchive, writesBigEndianAndOneByteBools) {
  JuteWriter w;
  w.write_int(0x01020304);
  w.write_long(-2);
  w.write_bool(true);
  w.write_buffer("ab");
  w.write_null();
  EXPECT_EQ(std::move(w).finish(), bytes_of({1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 1, 0, 0, 0, 2,
                                             'a', 'b', 0xff, 0xff, 0xff, 0xff}));
}

TEST(JuteArchive, framesCarryTheirLength) {
  JuteWriter w = JuteWriter::frame();
  w.write_int(7);
  EXPECT_EQ(std::move(w).finish(), bytes_of({0, 0, 0, 4, 0, 0, 0, 7}));
}

TEST(JuteArchive, nullBuffersAndVectorsReadAsEmpty) {
  const Bytes b = bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2});
  JuteReader r(b);
  EXPECT_EQ(r.read_buffer(), "");
  EXPECT_TRUE(r.read_strings().empty());
  EXPECT_TRUE(r.read_bool());  // any non-zero byte
  EXPECT_FALSE(r.failed());
}

TEST(JuteArchive, rejectsImpossibleLengthsAndCounts) {
  for (const Bytes& b : {bytes_of({0xff, 0xff, 0xff, 0xfe}), bytes_of({0, 0, 0, 5, 'a'}), bytes_of({0x7f, 0xff, 0xff, 0xff})}) {
    JuteReader r(b);
    (void)r.read_buffer();
    EXPECT_TRUE(r.failed());
    EXPECT_FALSE(r.error().empty());
    EXPECT_EQ(r.read_int(), 0);  // stays failed
  }
  // A count of a billion strings in a few bytes fails before anything is reserved.
  const Bytes many = bytes_of({0x40, 0, 0, 0, 0, 0, 0, 0});
  JuteReader r(many);
  EXPECT_TRUE(r.read_strings().empty());
  EXPECT_TRUE(r.failed());
  const Bytes negative = bytes_of({0xff, 0xff, 0xff, 0xf0});
  JuteReader n(negative);
  (void)n.read_count(1);
  EXPECT_TRUE(n.failed());
}

TEST(JuteRecords, roundTrip) {
  EXPECT_EQ(decoded<Stat>(encoded(kStat)), kStat);
  EXPECT_EQ(encoded(kStat).size(), kStatBytes);
  const std::vector<Acl> acl{{31, {"world", "anyone"}}, {1, {"digest", "u:h"}}};
  EXPECT_EQ(decoded<std::vector<Acl>>(encoded(acl)), acl);
  const ConnectRequest connect{0, 42, 30'000, 7, std::string(16, 'p'), true};
  EXPECT_EQ(decoded<ConnectRequest>(encoded(connect)), connect);
  const ConnectResponse response{0, 30'000, 7, std::string(16, 'p'), false};
  EXPECT_EQ(decoded<ConnectResponse>(encoded(response)), response);
  EXPECT_EQ(decoded<RequestHeader>(encoded(RequestHeader{5, 4})), (RequestHeader{5, 4}));
  EXPECT_EQ(decoded<ReplyHeader>(encoded(ReplyHeader{5, 99, -101})), (ReplyHeader{5, 99, -101}));
  EXPECT_EQ(encoded(ReplyHeader{}).size(), kReplyHeaderBytes);
  EXPECT_EQ(decoded<MultiHeader>(encoded(MultiHeader{1, false, -1})), (MultiHeader{1, false, -1}));
  EXPECT_EQ(decoded<AuthPacket>(encoded(AuthPacket{0, "digest", "u:p"})), (AuthPacket{0, "digest", "u:p"}));
  EXPECT_EQ(decoded<WatcherEvent>(encoded(WatcherEvent{3, 3, "/a"})), (WatcherEvent{3, 3, "/a"}));
  const SetWatches w{9, {"/d"}, {"/e", "/f"}, {"/c"}, {"/p"}, {"/r"}};
  EXPECT_EQ(decoded<SetWatches>(encoded(w, true), true), w);
  SetWatches v1 = w;
  v1.persistent.clear();
  v1.persistent_recursive.clear();
  EXPECT_EQ(decoded<SetWatches>(encoded(w, false), false), v1);
  const CreateRequest create{"/a", "data", acl, 3, 0};
  EXPECT_EQ(decoded<CreateRequest>(encoded(create, false), false), create);
  const CreateRequest ttl{"/a", "data", acl, 5, 1000};
  EXPECT_EQ(decoded<CreateRequest>(encoded(ttl, true), true), ttl);
  EXPECT_EQ(decoded<PathWatchRequest>(encoded(PathWatchRequest{"/a", true})), (PathWatchRequest{"/a", true}));
  EXPECT_EQ(decoded<PathVersionRequest>(encoded(PathVersionRequest{"/a", 3})), (PathVersionRequest{"/a", 3}));
  EXPECT_EQ(decoded<SetDataRequest>(encoded(SetDataRequest{"/a", "x", 2})), (SetDataRequest{"/a", "x", 2}));
  EXPECT_EQ(decoded<SetAclRequest>(encoded(SetAclRequest{"/a", acl, 1})), (SetAclRequest{"/a", acl, 1}));
}

TEST(JuteRecords, truncatedRecordsFail) {
  expect_prefixes_fail<Stat>(encoded(kStat));
  Bytes response = encoded(ConnectResponse{0, 1, 2, "pw", false});
  response.pop_back();  // readOnly is optional
  expect_prefixes_fail<ConnectResponse>(response);
  expect_prefixes_fail<ReplyHeader>(encoded(ReplyHeader{1, 2, 3}));
  expect_prefixes_fail<CreateRequest>(encoded(CreateRequest{"/a", "d", {{31, {"world", "anyone"}}}, 0, 0}, false), false);
  expect_prefixes_fail<SetWatches>(encoded(SetWatches{1, {"/a"}, {"/b"}, {"/c"}, {}, {}}, false), false);
  expect_prefixes_fail<SetAclRequest>(encoded(SetAclRequest{"/a", {{31, {"world", "anyone"}}}, 1}));
}

// kazoo's Connect: protocol, lastZxidSeen, timeout, session, password, then the readOnly byte;
// a client before 3.3 leaves the byte out.
TEST(JuteRecords, connectRequestsWithAndWithoutReadOnly) {
  Bytes with = encoded(ConnectRequest{0, 5, 10'000, 0, std::string(16, '\0'), false});
  EXPECT_EQ(with.size(), 4u + 8 + 4 + 8 + 4 + 16 + 1);
  with.pop_back();
  std::string error;
  const auto old = parse_connect_request(with, &error);
  ASSERT_TRUE(old) << error;
  EXPECT_EQ(old->last_zxid_seen, 5);
  EXPECT_FALSE(old->read_only);
  with.resize(20);
  EXPECT_FALSE(parse_connect_request(with, &error));
  EXPECT_NE(error.find("connect request"), std::string::npos);
}

// ---- requests -------------------------------------------------------------------------------------

ClientRequest parsed(const Bytes& frame) {
  std::string error;
  auto r = parse_request(frame, &error);
  EXPECT_TRUE(r) << error;
  return r.value_or(ClientRequest{});
}

Bytes create_frame(OpCode type, std::int32_t flags, std::string path = "/a") {
  return request_frame(1, type, [&](JuteWriter& w) { write(w, CreateRequest{path, "d", open_acl(), flags, 0}, false); });
}

TEST(ZkRequests, createModesComeFromTheFlags) {
  for (int flags = 0; flags <= 4; ++flags) {
    const ClientRequest r = parsed(create_frame(OpCode::create2, flags));
    ASSERT_TRUE(std::holds_alternative<Op>(r.body));
    EXPECT_EQ(std::get<Create>(std::get<Op>(r.body)).mode, static_cast<CreateMode>(flags));
  }
  EXPECT_EQ(std::get<Refusal>(parsed(create_frame(OpCode::create, 5)).body), (Refusal{Code::unimplemented, false}));
  EXPECT_EQ(std::get<Refusal>(parsed(create_frame(OpCode::create, 6)).body), (Refusal{Code::unimplemented, false}));
  EXPECT_EQ(std::get<Refusal>(parsed(create_frame(OpCode::create, 7)).body), (Refusal{Code::bad_arguments, false}));
  EXPECT_EQ(std::get<Refusal>(parsed(create_frame(OpCode::create, -1)).body), (Refusal{Code::bad_arguments, false}));
  // createContainer: a container whatever the flags say, but not a sequential one.
  EXPECT_EQ(std::get<Create>(std::get<Op>(parsed(create_frame(OpCode::create_container, 0)).body)).mode, CreateMode::container);
  EXPECT_EQ(std::get<Create>(std::get<Op>(parsed(create_frame(OpCode::create_container, 4)).body)).mode, CreateMode::container);
  EXPECT_EQ(std::get<Refusal>(parsed(create_frame(OpCode::create_container, 2)).body).code, Code::bad_arguments);
}

TEST(ZkRequests, readsAndWritesMapToOperations) {
  const auto op = [](const Bytes& frame) { return std::get<Op>(parsed(frame).body); };
  const auto watched = [&](OpCode type) {
    return op(request_frame(3, type, [](JuteWriter& w) { write(w, PathWatchRequest{"/w", true}); }));
  };
  EXPECT_EQ(watched(OpCode::exists), Op{(Exists{"/w", true})});
  EXPECT_EQ(watched(OpCode::get_data), Op{(GetData{"/w", true})});
  EXPECT_EQ(watched(OpCode::get_children), Op{(GetChildren{"/w", true})});
  EXPECT_EQ(watched(OpCode::get_children2), Op{(GetChildren{"/w", true})});
  EXPECT_EQ(op(request_frame(1, OpCode::remove, [](JuteWriter& w) { write(w, PathVersionRequest{"/d", 4}); })),
            Op{(Delete{"/d", 4})});
  EXPECT_EQ(op(request_frame(1, OpCode::check, [](JuteWriter& w) { write(w, PathVersionRequest{"/d", 4}); })),
            Op{(Check{"/d", 4})});
  EXPECT_EQ(op(request_frame(1, OpCode::set_data, [](JuteWriter& w) { write(w, SetDataRequest{"/s", "v", 2}); })),
            Op{(SetData{"/s", "v", 2})});
  EXPECT_EQ(op(request_frame(1, OpCode::get_acl, [](JuteWriter& w) { w.write_buffer("/g"); })), Op{GetAcl{"/g"}});
  EXPECT_EQ(op(request_frame(1, OpCode::sync, [](JuteWriter& w) { w.write_buffer("/y"); })), Op{Sync{"/y"}});
  EXPECT_EQ(op(request_frame(1, OpCode::set_acl, [](JuteWriter& w) { write(w, SetAclRequest{"/a", open_acl(), 0}); })),
            Op{(SetAcl{"/a", open_acl(), 0})});
  EXPECT_TRUE(std::holds_alternative<Ping>(parsed(request_frame(kPingXid, OpCode::ping)).body));
  EXPECT_TRUE(std::holds_alternative<CloseRequest>(parsed(request_frame(9, OpCode::close_session)).body));
  EXPECT_EQ(std::get<AuthPacket>(parsed(request_frame(kAuthXid, OpCode::auth, [](JuteWriter& w) {
                                          write(w, AuthPacket{0, "digest", "u:p"});
                                        })).body),
            (AuthPacket{0, "digest", "u:p"}));
}

TEST(ZkRequests, unsupportedOpcodesAreAnsweredAndUnknownOnesClose) {
  for (OpCode type : {OpCode::check_watches, OpCode::remove_watches, OpCode::delete_container, OpCode::create_ttl,
                      OpCode::multi_read, OpCode::get_ephemerals, OpCode::get_all_children_number, OpCode::add_watch,
                      OpCode::who_am_i}) {
    EXPECT_EQ(std::get<Refusal>(parsed(request_frame(1, type)).body), (Refusal{Code::unimplemented, false}));
  }
  EXPECT_EQ(std::get<Refusal>(parsed(request_frame(1, OpCode::reconfig)).body), (Refusal{kReconfigDisabled, false}));
  EXPECT_EQ(std::get<Refusal>(parsed(request_frame(1, OpCode::sasl)).body), (Refusal{Code::auth_failed, true}));
  for (std::int32_t type : {10, 23, 99, 108, -10, -1, 0, 5000}) {
    EXPECT_EQ(std::get<Refusal>(parsed(request_frame(1, static_cast<OpCode>(type))).body), (Refusal{Code::unimplemented, true}))
        << type;
  }
}

TEST(ZkRequests, malformedBodiesAreMarshallingErrorsAndBadHeadersClose) {
  EXPECT_EQ(std::get<Refusal>(parsed(request_frame(1, OpCode::get_data)).body), (Refusal{Code::marshalling_error, false}));
  EXPECT_EQ(std::get<Refusal>(parsed(request_frame(1, OpCode::set_watches, [](JuteWriter& w) { w.write_long(1); })).body),
            (Refusal{Code::marshalling_error, false}));
  std::string error;
  EXPECT_FALSE(parse_request(bytes_of({0, 0, 0, 1, 0, 0}), &error));
  EXPECT_FALSE(parse_request(request_frame(kAuthXid, OpCode::auth, [](JuteWriter& w) { w.write_int(0); }), &error));
  EXPECT_NE(error.find("auth"), std::string::npos);
}

TEST(ZkRequests, valuesOverVoleryLimitsAreRefused) {
  const std::string long_path = "/" + std::string(limits::path_bytes_max, 'x');
  EXPECT_EQ(std::get<Refusal>(parsed(create_frame(OpCode::create, 0, long_path)).body).code, Code::bad_arguments);
  EXPECT_EQ(std::get<Refusal>(parsed(request_frame(1, OpCode::get_data, [&](JuteWriter& w) {
                                       write(w, PathWatchRequest{long_path, false});
                                     })).body)
                .code,
            Code::bad_arguments);
  std::vector<Acl> many(limits::acl_entries_max + 1, Acl{perms::all, {"world", "anyone"}});
  const auto acl_frame = [&](std::string path) {
    return request_frame(1, OpCode::create, [&](JuteWriter& w) { write(w, CreateRequest{path, "", many, 0, 0}, false); });
  };
  EXPECT_EQ(std::get<Refusal>(parsed(acl_frame("/ok")).body).code, Code::invalid_acl);
  EXPECT_EQ(std::get<Refusal>(parsed(acl_frame("no/slash")).body).code, Code::bad_arguments);  // ZooKeeper's order
  const Bytes big_data = request_frame(1, OpCode::set_data, [](JuteWriter& w) {
    write(w, SetDataRequest{"/a", std::string(limits::data_bytes_max + 1, 'd'), -1});
  });
  EXPECT_EQ(std::get<Refusal>(parsed(big_data).body).code, Code::bad_arguments);
}

// ---- multi ----------------------------------------------------------------------------------------

Bytes multi_frame(const std::function<void(JuteWriter&)>& ops) {
  return request_frame(4, OpCode::multi, [&](JuteWriter& w) {
    ops(w);
    write(w, MultiHeader{-1, true, -1});
  });
}

void multi_op(JuteWriter& w, OpCode type, const std::function<void(JuteWriter&)>& body) {
  write(w, MultiHeader{static_cast<std::int32_t>(type), false, -1});
  body(w);
}

TEST(ZkRequests, multiCarriesWritesAndChecks) {
  const Bytes frame = multi_frame([](JuteWriter& w) {
    multi_op(w, OpCode::create, [](JuteWriter& b) { write(b, CreateRequest{"/m", "", open_acl(), 4, 0}, false); });
    multi_op(w, OpCode::set_data, [](JuteWriter& b) { write(b, SetDataRequest{"/m", "v", -1}); });
    multi_op(w, OpCode::check, [](JuteWriter& b) { write(b, PathVersionRequest{"/m", 1}); });
    multi_op(w, OpCode::remove, [](JuteWriter& b) { write(b, PathVersionRequest{"/m", -1}); });
  });
  const Multi m = std::get<Multi>(std::get<Op>(parsed(frame).body));
  ASSERT_EQ(m.ops.size(), 4u);
  EXPECT_EQ(std::get<Create>(m.ops[0]).mode, CreateMode::container);  // flags decide inside a multi
  EXPECT_EQ(m.ops[3], MultiOp{(Delete{"/m", -1})});
  EXPECT_EQ(multi_result_types(m),
            (std::vector<OpCode>{OpCode::create2, OpCode::set_data, OpCode::check, OpCode::remove}));
  EXPECT_TRUE(std::get<Multi>(std::get<Op>(parsed(multi_frame([](JuteWriter&) {})).body)).ops.empty());
}

TEST(ZkRequests, multiRefusesAtTheFirstOperationItCannotRun) {
  const Bytes frame = multi_frame([](JuteWriter& w) {
    multi_op(w, OpCode::check, [](JuteWriter& b) { write(b, PathVersionRequest{"/m", 1}); });
    multi_op(w, OpCode::create_ttl, [](JuteWriter& b) { write(b, CreateRequest{"/t", "", open_acl(), 5, 100}, true); });
    multi_op(w, OpCode::create, [](JuteWriter& b) { write(b, CreateRequest{"/u", "", open_acl(), 9, 0}, false); });
  });
  Multi before;
  before.ops.push_back(Check{"/m", 1});  // run first: it decides if the refusal is the answer
  EXPECT_EQ(std::get<MultiRefusal>(parsed(frame).body), (MultiRefusal{1, 3, Code::unimplemented, false, before}));
  // A create with a TTL mode fails the whole request once reached (ZooKeeper 3.8's
  // ClassCastException: MarshallingError in the header, no results).
  const Bytes ttl_mode = multi_frame([](JuteWriter& w) {
    multi_op(w, OpCode::create, [](JuteWriter& b) { write(b, CreateRequest{"/t", "", open_acl(), 5, 0}, false); });
  });
  EXPECT_EQ(std::get<MultiRefusal>(parsed(ttl_mode).body), (MultiRefusal{0, 1, Code::marshalling_error, true, {}}));
  // A read inside a multi (multiRead's) does not decode as a multi: ZooKeeper's "Invalid type of op".
  const Bytes reads = multi_frame([](JuteWriter& w) {
    multi_op(w, OpCode::get_data, [](JuteWriter& b) { write(b, PathWatchRequest{"/m", false}); });
  });
  EXPECT_EQ(std::get<Refusal>(parsed(reads).body).code, Code::marshalling_error);
  // Truncated: no done header.
  const Bytes open_ended = request_frame(4, OpCode::multi, [](JuteWriter& w) {
    multi_op(w, OpCode::check, [](JuteWriter& b) { write(b, PathVersionRequest{"/m", 1}); });
  });
  EXPECT_EQ(std::get<Refusal>(parsed(open_ended).body).code, Code::marshalling_error);
}

// Frames as kazoo 2.8's serializers write them (its Connect, Create with null data and a null
// id, Exists, Transaction, Auth), recorded as hex: what a real client sends parses.
Bytes hex(std::string_view text) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST(ZkRequests, kazooFramesParse) {
  const auto body = [](const Bytes& frame) { return std::span<const std::byte>(frame).subspan(kFrameLengthBytes); };
  std::string error;
  const Bytes connect = hex("0000002d00000000000000000000004d000027100000000000000000000000100000000000000000000000000000000000");
  const auto c = parse_connect_request(body(connect), &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(*c, (ConnectRequest{0, 77, 10000, 0, std::string(16, '\0'), false}));
  const Bytes create = hex("000000330000000100000001000000022f61000000026869000000010000001f00000005776f726c6400000006616e796f6e6500000003");
  ClientRequest r = parsed(Bytes(body(create).begin(), body(create).end()));
  EXPECT_EQ(r.header, (RequestHeader{1, 1}));
  EXPECT_EQ(std::get<Op>(r.body), Op{(Create{"/a", "hi", open_acl(), CreateMode::ephemeral_sequential})});
  const Bytes null_data = hex("0000002a0000000200000001000000022f62ffffffff000000010000001f0000000461757468ffffffff00000000");
  r = parsed(Bytes(body(null_data).begin(), body(null_data).end()));
  EXPECT_EQ(std::get<Op>(r.body), Op{(Create{"/b", "", {Acl{31, Id{"auth", ""}}}, CreateMode::persistent})});
  const Bytes exists = hex("0000000f0000000300000003000000022f6101");
  EXPECT_EQ(std::get<Op>(parsed(Bytes(body(exists).begin(), body(exists).end())).body), Op{(Exists{"/a", true})});
  const Bytes multi = hex(
      "00000081000000040000000e0000000100ffffffff000000022f6d00000000000000010000001f00000005776f726c6400000006616e796f6e650000"
      "00000000000200ffffffff000000022f78ffffffff0000000500ffffffff000000022f6d0000000176000000020000000d00ffffffff000000022f6d"
      "00000001ffffffff01ffffffff");
  const Multi m = std::get<Multi>(std::get<Op>(parsed(Bytes(body(multi).begin(), body(multi).end())).body));
  EXPECT_EQ(m.ops, (std::vector<MultiOp>{Create{"/m", "", open_acl(), CreateMode::persistent}, Delete{"/x", -1},
                                         SetData{"/m", "v", 2}, Check{"/m", 1}}));
  const Bytes auth = hex("0000001dfffffffc00000064000000000000000664696765737400000003753a70");
  r = parsed(Bytes(body(auth).begin(), body(auth).end()));
  EXPECT_EQ(r.header, (RequestHeader{kAuthXid, 100}));
  EXPECT_EQ(std::get<AuthPacket>(r.body), (AuthPacket{0, "digest", "u:p"}));
}

// Any bytes: parse_request answers or refuses, never crashes (run under the sanitizers in CI).
TEST(ZkRequests, randomBytesNeverCrash) {
  Rng rng(11);
  const Bytes seeds[] = {create_frame(OpCode::create, 0), multi_frame([](JuteWriter& w) {
                           multi_op(w, OpCode::create, [](JuteWriter& b) { write(b, CreateRequest{"/m", "", open_acl(), 0, 0}, false); });
                         }),
                         request_frame(-8, OpCode::set_watches, [](JuteWriter& w) { write(w, SetWatches{1, {"/a"}, {}, {}, {}, {}}, false); })};
  for (int i = 0; i < 20'000; ++i) {
    Bytes b = seeds[rng.uniform(std::size(seeds))];
    const int flips = 1 + static_cast<int>(rng.uniform(4));
    for (int f = 0; f < flips; ++f) b[rng.uniform(b.size())] = static_cast<std::byte>(rng.uniform(256));
    b.resize(rng.uniform(b.size() + 1));
    std::string error;
    (void)parse_request(b, &error);
    (void)parse_connect_request(b, &error);
  }
}

// ---- replies ------------------------------------------------------------------------------------

// A reply frame and a reader over its body; the frame's bytes live in it (a moved vector keeps
// its buffer, so the reader stays valid).
struct Frame {
  Bytes bytes;
  ReplyHeader header;
  JuteReader body{std::span<const std::byte>{}};
};

Frame unframe(Bytes bytes) {
  Frame f;
  f.bytes = std::move(bytes);
  JuteReader r(f.bytes);
  const auto length = r.read_int();
  EXPECT_EQ(static_cast<std::size_t>(length), f.bytes.size() - kFrameLengthBytes);
  f.body = JuteReader(std::span<const std::byte>(f.bytes).subspan(kFrameLengthBytes));
  read(f.body, f.header);
  return f;
}

Result with_stat() {
  Result r;
  r.path = "/p";
  r.stat = kStat;
  r.data = "data";
  r.children = {"a", "b"};
  r.acl = open_acl();
  return r;
}

TEST(ZkReplies, bodiesFollowTheRequestType) {
  const auto body_size = [](OpCode type) {
    Frame f = unframe(reply_frame(RequestHeader{7, static_cast<std::int32_t>(type)}, {}, 42, with_stat()));
    EXPECT_EQ(f.header, (ReplyHeader{7, 42, 0}));
    return f.body.remaining();
  };
  EXPECT_EQ(body_size(OpCode::create), 4u + 2);
  EXPECT_EQ(body_size(OpCode::create2), 4u + 2 + kStatBytes);
  EXPECT_EQ(body_size(OpCode::create_container), 4u + 2 + kStatBytes);
  EXPECT_EQ(body_size(OpCode::remove), 0u);
  EXPECT_EQ(body_size(OpCode::check), 0u);
  EXPECT_EQ(body_size(OpCode::exists), kStatBytes);
  EXPECT_EQ(body_size(OpCode::set_data), kStatBytes);
  EXPECT_EQ(body_size(OpCode::get_data), 4u + 4 + kStatBytes);
  EXPECT_EQ(body_size(OpCode::get_children), 4u + 5 + 5);
  EXPECT_EQ(body_size(OpCode::get_children2), 4u + 5 + 5 + kStatBytes);
  EXPECT_EQ(body_size(OpCode::sync), 4u + 2);

  Frame data = unframe(reply_frame(RequestHeader{1, 4}, {}, 1, with_stat()));
  EXPECT_EQ(data.body.read_buffer(), "data");
  Stat s;
  read(data.body, s);
  EXPECT_EQ(s, kStat);
  Frame acl = unframe(reply_frame(RequestHeader{1, 6}, {}, 1, with_stat()));
  std::vector<Acl> read_acl;
  read(acl.body, read_acl);
  EXPECT_EQ(read_acl, open_acl());
}

TEST(ZkReplies, errorsAreAHeaderAlone) {
  Result missing;
  missing.code = Code::no_node;
  Frame f = unframe(reply_frame(RequestHeader{3, static_cast<std::int32_t>(OpCode::exists)}, {}, 9, missing));
  EXPECT_EQ(f.header, (ReplyHeader{3, 9, -101}));
  EXPECT_EQ(f.body.remaining(), 0u);
  EXPECT_EQ(unframe(error_frame(kPingXid, 5, Code::ok)).header, (ReplyHeader{kPingXid, 5, 0}));
}

TEST(ZkReplies, multiResultsInZooKeepersShapes) {
  Result ok;
  ok.results = {with_stat(), with_stat(), Result{}, Result{}};
  const std::vector<OpCode> types{OpCode::create, OpCode::set_data, OpCode::check, OpCode::remove};
  Frame f = unframe(reply_frame(RequestHeader{2, 14}, types, 5, ok));
  EXPECT_EQ(f.header.err, 0);
  MultiHeader h;
  read(f.body, h);
  EXPECT_EQ(h, (MultiHeader{1, false, 0}));
  EXPECT_EQ(f.body.read_buffer(), "/p");
  read(f.body, h);
  EXPECT_EQ(h, (MultiHeader{5, false, 0}));
  Stat s;
  read(f.body, s);
  read(f.body, h);
  EXPECT_EQ(h, (MultiHeader{13, false, 0}));
  read(f.body, h);
  EXPECT_EQ(h, (MultiHeader{2, false, 0}));
  read(f.body, h);
  EXPECT_EQ(h, (MultiHeader{-1, true, -1}));
  EXPECT_EQ(f.body.remaining(), 0u);

  // Failed: the header says 0, every result is an ErrorResponse.
  Frame failed = unframe(refused_multi_frame(2, 5, MultiRefusal{1, 3, Code::bad_version, false, {}}));
  EXPECT_EQ(failed.header.err, 0);
  for (std::int32_t err : {0, -103, -2}) {
    read(failed.body, h);
    EXPECT_EQ(h, (MultiHeader{-1, false, err}));
    EXPECT_EQ(failed.body.read_int(), err);
  }
  read(failed.body, h);
  EXPECT_TRUE(h.done);
}

TEST(ZkReplies, notificationsAndConnectResponses) {
  Frame n = unframe(notification_frame(77, EventType::node_deleted, "/gone"));
  EXPECT_EQ(n.header, (ReplyHeader{kNotificationXid, 77, 0}));
  WatcherEvent e;
  read(n.body, e);
  EXPECT_EQ(e, (WatcherEvent{2, kSyncConnected, "/gone"}));
  const Bytes c = connect_response_frame(ConnectResponse{0, 4000, 12, std::string(16, 'k'), false});
  JuteReader r{std::span<const std::byte>(c).subspan(kFrameLengthBytes)};
  ConnectResponse back;
  read(r, back);
  EXPECT_EQ(back, (ConnectResponse{0, 4000, 12, std::string(16, 'k'), false}));
}

}  // namespace
}  // namespace eyrie::volery::zk
