// ZkConnection end to end in the simulator: ZooKeeper clients' bytes (built with the jute
// writer, as a 3.8 client frames them) into connections of a gateway node whose VoleryClient
// serves a real Volery deployment (tests/checkers/volery_cluster.hpp), and the bytes that come
// back, decoded as a client reads them.

#include <gtest/gtest.h>

#include "apps/volery/acl.hpp"
#include "apps/volery/gateway/connection.hpp"
#include "tests/checkers/volery_cluster.hpp"

namespace eyrie::volery::zk {
namespace {

using check::volery_sim::GatewayRole;

// What a server sent, decoded as a client reads it: the ConnectResponse, then reply headers
// with their bodies.
struct Received {
  ReplyHeader header;
  Bytes body;
  JuteReader reader() const { return JuteReader(body); }
};

// One client connection: its bytes go into a ZkConnection, the server's come back here.
class FakeClient {
 public:
  FakeClient(VoleryClient& gateway, ZkConnectionOptions options)
      : connection_(std::make_unique<ZkConnection>(
            gateway, options, [this](std::span<const std::byte> b) { receive(b); }, [this] { closed_ = true; })) {}

  ZkConnection& connection() { return *connection_; }
  void send(const Bytes& bytes) { connection_->on_bytes(bytes); }
  void send_request(std::int32_t xid, OpCode type, const std::function<void(JuteWriter&)>& body = {}) {
    JuteWriter w = JuteWriter::frame();
    write(w, RequestHeader{xid, static_cast<std::int32_t>(type)});
    if (body) body(w);
    send(std::move(w).finish());
  }
  void send_connect(const ConnectRequest& request) {
    JuteWriter w = JuteWriter::frame();
    write(w, request);
    send(std::move(w).finish());
  }

  bool closed() const { return closed_; }
  const std::optional<ConnectResponse>& connect_response() const { return connect_response_; }
  const std::vector<Received>& received() const { return received_; }
  std::optional<Received> reply(std::int32_t xid) const {
    for (const Received& r : received_) {
      if (r.header.xid == xid) return r;
    }
    return std::nullopt;
  }
  // The position of the first message with `xid` (and, for notifications, `path`).
  std::ptrdiff_t position(std::int32_t xid, const std::string& path = "") const {
    for (std::size_t i = 0; i < received_.size(); ++i) {
      if (received_[i].header.xid != xid) continue;
      if (!path.empty()) {
        WatcherEvent e;
        JuteReader r = received_[i].reader();
        read(r, e);
        if (e.path != path) continue;
      }
      return static_cast<std::ptrdiff_t>(i);
    }
    return -1;
  }
  std::vector<WatcherEvent> events() const {
    std::vector<WatcherEvent> out;
    for (const Received& r : received_) {
      if (r.header.xid != kNotificationXid) continue;
      WatcherEvent e;
      JuteReader in = r.reader();
      read(in, e);
      out.push_back(e);
    }
    return out;
  }

 private:
  void receive(std::span<const std::byte> bytes) {
    ASSERT_FALSE(closed_) << "bytes after close";
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    while (pending_.size() >= kFrameLengthBytes) {
      JuteReader length(pending_);
      const auto n = static_cast<std::size_t>(length.read_int());
      if (pending_.size() < kFrameLengthBytes + n) return;
      const Bytes frame(pending_.begin() + kFrameLengthBytes, pending_.begin() + static_cast<std::ptrdiff_t>(kFrameLengthBytes + n));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(kFrameLengthBytes + n));
      JuteReader in(frame);
      if (!connect_response_) {
        ConnectResponse c;
        read(in, c);
        ASSERT_FALSE(in.failed()) << in.error();
        connect_response_ = c;
        continue;
      }
      Received r;
      read(in, r.header);
      ASSERT_FALSE(in.failed()) << in.error();
      r.body.assign(frame.begin() + kReplyHeaderBytes, frame.end());
      received_.push_back(std::move(r));
    }
  }

  std::unique_ptr<ZkConnection> connection_;
  Bytes pending_;
  bool closed_ = false;
  std::optional<ConnectResponse> connect_response_;
  std::vector<Received> received_;
};

Stat read_stat(JuteReader& in) {
  Stat s;
  read(in, s);
  return s;
}

class ZkConnectionSim : public ::testing::Test {
 protected:
  void SetUp() override {
    topology_ = check::volery_sim::make_topology({.partitions = 2, .replicas_per_partition = 2, .gateways = 1});
    sim_ = std::make_unique<sim::Simulator>(sim::SimOptions{.seed = 3});
    check::volery_sim::add_servers(*sim_, *topology_);
    sim_->add_node(sim::NodeSpec{.id = topology_->gateways[0], .make_roles = [this](Env& env) {
      std::vector<std::unique_ptr<Role>> roles;
      auto role = std::make_unique<GatewayRole>(env, *topology_, VoleryClientOptions{.tick_interval = std::chrono::milliseconds(500)});
      gateway_ = &role->client;
      roles.push_back(std::move(role));
      return roles;
    }});
    for (NodeId id : topology_->all) sim_->boot(id);
    sim_->run_until(sim_->now() + std::chrono::milliseconds(300));
  }

  void run_until(const std::function<bool()>& done, Duration limit = std::chrono::seconds(20)) {
    sim_->run_until(sim_->now() + limit, [&] {
      for (const auto& c : clients_) c->connection().check_invariants();
      return done();
    });
    ASSERT_TRUE(done()) << "timed out in the simulation";
  }
  void run_for(Duration d) {
    sim_->run_until(sim_->now() + d);
  }

  FakeClient& client(ZkConnectionOptions options = {}) {
    clients_.push_back(std::make_unique<FakeClient>(*gateway_, options));
    return *clients_.back();
  }

  // A new connection with a new session (or `session` again).
  FakeClient& connected(std::int32_t timeout_ms = 30'000, SessionId session = 0, std::string password = "",
                        ZkConnectionOptions options = {}) {
    FakeClient& c = client(options);
    c.send_connect(ConnectRequest{0, 0, timeout_ms, session, std::move(password), false});
    run_until([&] { return c.connect_response().has_value() || c.closed(); });
    EXPECT_TRUE(c.connect_response().has_value());
    return c;
  }

  // Sends a request and runs until its reply is in.
  Received call(FakeClient& c, OpCode type, const std::function<void(JuteWriter&)>& body = {}) {
    const std::int32_t xid = next_xid_++;
    c.send_request(xid, type, body);
    run_until([&] { return c.reply(xid).has_value() || c.closed(); });
    return c.reply(xid).value_or(Received{});
  }
  std::int32_t err(FakeClient& c, OpCode type, const std::function<void(JuteWriter&)>& body = {}) {
    return call(c, type, body).header.err;
  }

  static std::function<void(JuteWriter&)> create(std::string path, std::string data = "", std::int32_t flags = 0,
                                                  std::vector<Acl> acl = open_acl()) {
    return [=](JuteWriter& w) { write(w, CreateRequest{path, data, acl, flags, 0}, false); };
  }
  static std::function<void(JuteWriter&)> watched(std::string path, bool watch = false) {
    return [=](JuteWriter& w) { write(w, PathWatchRequest{path, watch}); };
  }
  static std::function<void(JuteWriter&)> versioned(std::string path, std::int32_t version = -1) {
    return [=](JuteWriter& w) { write(w, PathVersionRequest{path, version}); };
  }
  static std::function<void(JuteWriter&)> set(std::string path, std::string data, std::int32_t version = -1) {
    return [=](JuteWriter& w) { write(w, SetDataRequest{path, data, version}); };
  }
  static std::function<void(JuteWriter&)> auth(std::string scheme, std::string credentials) {
    return [=](JuteWriter& w) { write(w, AuthPacket{0, scheme, credentials}); };
  }

  std::unique_ptr<check::volery_sim::Topology> topology_;
  std::unique_ptr<sim::Simulator> sim_;
  VoleryClient* gateway_ = nullptr;
  std::vector<std::unique_ptr<FakeClient>> clients_;  // after sim_: destroyed first
  std::int32_t next_xid_ = 1;
};

TEST_F(ZkConnectionSim, ConnectNegotiatesTheTimeout) {
  FakeClient& a = connected(30'000);
  EXPECT_NE(a.connect_response()->session_id, 0);
  EXPECT_EQ(a.connect_response()->timeout_ms, 30'000);
  EXPECT_EQ(a.connect_response()->password.size(), 16u);
  EXPECT_EQ(connected(1'000).connect_response()->timeout_ms, 4'000);     // 2 ticks
  EXPECT_EQ(connected(100'000).connect_response()->timeout_ms, 40'000);  // 20 ticks
  EXPECT_NE(connected().connect_response()->password, a.connect_response()->password);
}

TEST_F(ZkConnectionSim, CreateGetSetDeleteWithVersionsAndErrors) {
  FakeClient& c = connected();
  Received created = call(c, OpCode::create, create("/a", "hello"));
  ASSERT_EQ(created.header.err, 0);
  JuteReader in = created.reader();
  EXPECT_EQ(in.read_buffer(), "/a");
  EXPECT_EQ(in.remaining(), 0u);  // create (1): the path alone
  EXPECT_GT(created.header.zxid, 0);

  Received created2 = call(c, OpCode::create2, create("/b", "", 2));
  ASSERT_EQ(created2.header.err, 0);
  in = created2.reader();
  const std::string sequential = in.read_buffer();
  EXPECT_TRUE(sequential.starts_with("/b"));
  EXPECT_EQ(sequential.size(), 12u);
  EXPECT_EQ(read_stat(in).czxid, created2.header.zxid);

  EXPECT_EQ(err(c, OpCode::create, create("/a")), -110);
  EXPECT_EQ(err(c, OpCode::create, create("/missing/x")), -101);
  EXPECT_EQ(err(c, OpCode::create, create("bad")), -8);

  Received got = call(c, OpCode::get_data, watched("/a"));
  in = got.reader();
  EXPECT_EQ(in.read_buffer(), "hello");
  const Stat stat = read_stat(in);
  EXPECT_EQ(stat.version, 0);
  EXPECT_EQ(stat.data_length, 5);

  EXPECT_EQ(err(c, OpCode::set_data, set("/a", "x", 3)), -103);
  Received changed = call(c, OpCode::set_data, set("/a", "world", 0));
  ASSERT_EQ(changed.header.err, 0);
  in = changed.reader();
  EXPECT_EQ(read_stat(in).version, 1);
  EXPECT_GT(changed.header.zxid, got.header.zxid);

  EXPECT_EQ(err(c, OpCode::remove, versioned("/a", 0)), -103);
  EXPECT_EQ(err(c, OpCode::remove, versioned("/a", 1)), 0);
  Received missing = call(c, OpCode::exists, watched("/a"));
  EXPECT_EQ(missing.header.err, -101);  // exists on a missing node: NoNode in the header
  EXPECT_TRUE(missing.body.empty());
  EXPECT_EQ(err(c, OpCode::get_data, watched("/a")), -101);
  Received present = call(c, OpCode::exists, watched(sequential));
  EXPECT_EQ(present.body.size(), kStatBytes);
}

TEST_F(ZkConnectionSim, GetChildrenAndGetChildren2) {
  FakeClient& c = connected();
  ASSERT_EQ(err(c, OpCode::create, create("/p")), 0);
  ASSERT_EQ(err(c, OpCode::create, create("/p/x")), 0);
  ASSERT_EQ(err(c, OpCode::create, create("/p/y")), 0);
  const Received children = call(c, OpCode::get_children, watched("/p"));
  JuteReader plain = children.reader();
  EXPECT_EQ(plain.read_strings(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(plain.remaining(), 0u);
  const Received children2 = call(c, OpCode::get_children2, watched("/p"));
  JuteReader with_stat = children2.reader();
  EXPECT_EQ(with_stat.read_strings(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(read_stat(with_stat).num_children, 2);
  EXPECT_EQ(err(c, OpCode::get_children2, watched("/nope")), -101);
  const Received synced = call(c, OpCode::sync, [](JuteWriter& w) { w.write_buffer("/p"); });
  JuteReader sync = synced.reader();
  EXPECT_EQ(sync.read_buffer(), "/p");
}

TEST_F(ZkConnectionSim, MultiSuccessAndFailureShapes) {
  FakeClient& c = connected();
  const auto op = [](JuteWriter& w, OpCode type, const std::function<void(JuteWriter&)>& body) {
    write(w, MultiHeader{static_cast<std::int32_t>(type), false, -1});
    body(w);
  };
  Received ok = call(c, OpCode::multi, [&](JuteWriter& w) {
    op(w, OpCode::create, create("/m1", "v"));
    op(w, OpCode::create, create("/m2", "v"));
    op(w, OpCode::set_data, set("/m1", "w"));
    op(w, OpCode::check, versioned("/m1", 1));
    write(w, MultiHeader{-1, true, -1});
  });
  ASSERT_EQ(ok.header.err, 0);
  JuteReader in = ok.reader();
  MultiHeader h;
  read(in, h);
  EXPECT_EQ(h, (MultiHeader{1, false, 0}));
  EXPECT_EQ(in.read_buffer(), "/m1");
  read(in, h);
  EXPECT_EQ(in.read_buffer(), "/m2");
  read(in, h);
  EXPECT_EQ(h, (MultiHeader{5, false, 0}));
  EXPECT_EQ(read_stat(in).version, 1);
  read(in, h);
  EXPECT_EQ(h, (MultiHeader{13, false, 0}));
  read(in, h);
  EXPECT_TRUE(h.done);

  Received failed = call(c, OpCode::multi, [&](JuteWriter& w) {
    op(w, OpCode::set_data, set("/m1", "x"));
    op(w, OpCode::check, versioned("/m2", 7));
    op(w, OpCode::remove, versioned("/m2"));
    write(w, MultiHeader{-1, true, -1});
  });
  ASSERT_EQ(failed.header.err, 0);  // the results say what failed
  in = failed.reader();
  for (std::int32_t code : {0, -103, -2}) {
    read(in, h);
    EXPECT_EQ(h, (MultiHeader{-1, false, code}));
    EXPECT_EQ(in.read_int(), code);
  }
  const Received got = call(c, OpCode::get_data, watched("/m1"));
  JuteReader data = got.reader();
  EXPECT_EQ(data.read_buffer(), "w");  // nothing of the failed multi happened
}

TEST_F(ZkConnectionSim, WatchEventsComeBeforeTheRepliesThatReflectThem) {
  FakeClient& a = connected();
  FakeClient& b = connected();
  ASSERT_EQ(err(a, OpCode::create, create("/w", "0")), 0);
  ASSERT_EQ(err(a, OpCode::get_data, watched("/w", true)), 0);
  ASSERT_EQ(err(a, OpCode::exists, watched("/new", true)), -101);
  ASSERT_EQ(err(b, OpCode::set_data, set("/w", "1")), 0);
  ASSERT_EQ(err(b, OpCode::create, create("/new")), 0);
  const std::int32_t read_xid = next_xid_;
  const Received reread = call(a, OpCode::get_data, watched("/w"));
  JuteReader now = reread.reader();
  EXPECT_EQ(now.read_buffer(), "1");
  const auto event = a.position(kNotificationXid, "/w");
  ASSERT_GE(event, 0);
  EXPECT_LT(event, a.position(read_xid));
  ASSERT_EQ(err(a, OpCode::exists, watched("/new")), 0);
  const std::vector<WatcherEvent> events = a.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], (WatcherEvent{3, kSyncConnected, "/w"}));
  EXPECT_EQ(events[1], (WatcherEvent{1, kSyncConnected, "/new"}));
  EXPECT_GT(a.received()[static_cast<std::size_t>(event)].header.zxid, 0);  // the change's zxid
  EXPECT_TRUE(b.events().empty());

  // Its own delete: the event, then the reply.
  ASSERT_EQ(err(a, OpCode::exists, watched("/new", true)), 0);
  const std::int32_t delete_xid = next_xid_;
  ASSERT_EQ(err(a, OpCode::remove, versioned("/new")), 0);
  EXPECT_LT(a.position(kNotificationXid, "/new") + 0, a.position(delete_xid));
  EXPECT_EQ(a.events().back().type, 2);
}

// ZooKeeper runs a multi's operations in order: an operation the gateway refuses (mode 7, a TTL
// mode) decides the answer only if those before it succeed (found by the differential test).
TEST_F(ZkConnectionSim, AMultiRefusalAnswersTheFirstFailureInOrder) {
  FakeClient& c = connected();
  const auto op = [](JuteWriter& w, OpCode type, const std::function<void(JuteWriter&)>& body) {
    write(w, MultiHeader{static_cast<std::int32_t>(type), false, -1});
    body(w);
  };
  const auto results = [](const Received& r) {
    std::vector<std::int32_t> codes;
    JuteReader in = r.reader();
    MultiHeader h;
    for (read(in, h); !in.failed() && !h.done; read(in, h)) {
      EXPECT_EQ(h.type, -1);
      codes.push_back(in.read_int());
    }
    return codes;
  };
  // An earlier operation fails first: its code, not the refusal's.
  const Received missing = call(c, OpCode::multi, [&](JuteWriter& w) {
    op(w, OpCode::remove, versioned("/missing"));
    op(w, OpCode::create, create("/x", "", 7));
    write(w, MultiHeader{-1, true, -1});
  });
  ASSERT_EQ(missing.header.err, 0);
  EXPECT_EQ(results(missing), (std::vector<std::int32_t>{-101, -2}));
  // Those before it succeed: the refusal, and nothing of them happened.
  const Received refused = call(c, OpCode::multi, [&](JuteWriter& w) {
    op(w, OpCode::create, create("/before"));
    op(w, OpCode::create, create("/x", "", 7));
    op(w, OpCode::create, create("/after"));
    write(w, MultiHeader{-1, true, -1});
  });
  ASSERT_EQ(refused.header.err, 0);
  EXPECT_EQ(results(refused), (std::vector<std::int32_t>{0, -8, -2}));
  EXPECT_EQ(err(c, OpCode::exists, watched("/before")), -101);
  // A create with a TTL mode, once reached, fails the whole request (MarshallingError).
  const Received ttl = call(c, OpCode::multi, [&](JuteWriter& w) {
    op(w, OpCode::create, create("/before"));
    op(w, OpCode::create, create("/t", "", 5));
    write(w, MultiHeader{-1, true, -1});
  });
  EXPECT_EQ(ttl.header.err, -5);
  EXPECT_TRUE(ttl.body.empty());
  EXPECT_EQ(err(c, OpCode::exists, watched("/before")), -101);
  const Received ttl_after_failure = call(c, OpCode::multi, [&](JuteWriter& w) {
    op(w, OpCode::check, versioned("/missing", 0));
    op(w, OpCode::create, create("/t", "", 5));
    write(w, MultiHeader{-1, true, -1});
  });
  ASSERT_EQ(ttl_after_failure.header.err, 0);
  EXPECT_EQ(results(ttl_after_failure), (std::vector<std::int32_t>{-101, -2}));
  EXPECT_FALSE(c.closed());
}

// ZooKeeper answers a sync with the path it was given, unchecked, a null one too.
TEST_F(ZkConnectionSim, SyncAnswersItsPathUnchecked) {
  FakeClient& c = connected();
  const Received null_path = call(c, OpCode::sync, [](JuteWriter& w) { w.write_null(); });
  ASSERT_EQ(null_path.header.err, 0);
  EXPECT_EQ(null_path.reader().read_int(), -1);
  for (const std::string path : {"a/b", "/a/", "/missing"}) {
    const Received r = call(c, OpCode::sync, [&](JuteWriter& w) { w.write_buffer(path); });
    ASSERT_EQ(r.header.err, 0) << path;
    EXPECT_EQ(r.reader().read_buffer(), path);
  }
}

TEST_F(ZkConnectionSim, PingsAreAnsweredWithTheLastZxid) {
  FakeClient& c = connected();
  const Received created = call(c, OpCode::create, create("/z"));
  c.send_request(kPingXid, OpCode::ping);
  ASSERT_TRUE(c.reply(kPingXid).has_value());  // at once, without the cluster
  EXPECT_EQ(c.reply(kPingXid)->header, (ReplyHeader{kPingXid, created.header.zxid, 0}));
}

TEST_F(ZkConnectionSim, DigestAuthAndAcls) {
  FakeClient& owner = connected();
  FakeClient& other = connected();
  owner.send_request(kAuthXid, OpCode::auth, auth("digest", "alice:secret"));
  ASSERT_TRUE(owner.reply(kAuthXid).has_value());
  EXPECT_EQ(owner.reply(kAuthXid)->header, (ReplyHeader{kAuthXid, 0, 0}));
  ASSERT_EQ(err(owner, OpCode::create, create("/private", "data", 0, {Acl{perms::all, Id{"auth", ""}}})), 0);
  EXPECT_EQ(err(other, OpCode::get_data, watched("/private")), -102);
  const Received acl_reply = call(owner, OpCode::get_acl, [](JuteWriter& w) { w.write_buffer("/private"); });
  JuteReader acl = acl_reply.reader();
  std::vector<Acl> entries;
  read(acl, entries);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, (Id{"digest", digest_id("alice:secret")}));
  EXPECT_EQ(err(other, OpCode::set_acl, [](JuteWriter& w) { write(w, SetAclRequest{"/private", open_acl(), -1}); }), -102);
  other.send_request(kAuthXid, OpCode::auth, auth("digest", "alice:secret"));
  const Received got = call(other, OpCode::get_data, watched("/private"));
  JuteReader data = got.reader();
  EXPECT_EQ(data.read_buffer(), "data");

  FakeClient& ip = connected();
  ip.send_request(kAuthXid, OpCode::auth, auth("ip", "10.0.0.1"));
  ASSERT_TRUE(ip.reply(kAuthXid).has_value());
  EXPECT_EQ(ip.reply(kAuthXid)->header.err, -115);
  EXPECT_TRUE(ip.closed());
  FakeClient& no_colon = connected();
  no_colon.send_request(kAuthXid, OpCode::auth, auth("digest", "nocolon"));
  EXPECT_EQ(no_colon.reply(kAuthXid)->header.err, -115);
  EXPECT_TRUE(no_colon.closed());
}

// ZooKeeper 3.8 (ServerCnxn.process, checkACL) delivers a watch event only to a session that may
// READ the node, by its ACL at the change, the parent's for NodeChildrenChanged (found by the
// differential test). The watch is spent either way.
TEST_F(ZkConnectionSim, WatchEventsGoOnlyToSessionsThatMayReadTheNode) {
  FakeClient& owner = connected();
  FakeClient& other = connected();
  owner.send_request(kAuthXid, OpCode::auth, auth("digest", "alice:secret"));
  ASSERT_TRUE(owner.reply(kAuthXid).has_value());
  ASSERT_EQ(err(owner, OpCode::create, create("/guarded", "data")), 0);
  ASSERT_EQ(err(owner, OpCode::create, create("/guarded/child", "")), 0);
  ASSERT_EQ(err(other, OpCode::exists, watched("/guarded", true)), 0);
  ASSERT_EQ(err(other, OpCode::get_children, watched("/guarded", true)), 0);
  ASSERT_EQ(err(owner, OpCode::exists, watched("/guarded", true)), 0);
  const auto private_acl = [](JuteWriter& w) {
    write(w, SetAclRequest{"/guarded", {Acl{perms::all, Id{"auth", ""}}}, -1});
  };
  ASSERT_EQ(err(owner, OpCode::set_acl, private_acl), 0);  // fires nothing
  ASSERT_EQ(err(owner, OpCode::set_data, set("/guarded", "new")), 0);
  ASSERT_EQ(err(owner, OpCode::remove, versioned("/guarded/child")), 0);
  EXPECT_EQ(owner.events(), (std::vector<WatcherEvent>{WatcherEvent{3, kSyncConnected, "/guarded"}}));
  // Without READ, neither the data change nor the child's removal reaches `other`, and its
  // watches are spent: a later change with READ back fires nothing either.
  ASSERT_EQ(err(owner, OpCode::set_acl, [](JuteWriter& w) { write(w, SetAclRequest{"/guarded", open_acl(), -1}); }), 0);
  ASSERT_EQ(err(owner, OpCode::set_data, set("/guarded", "newer")), 0);
  ASSERT_EQ(err(other, OpCode::exists, watched("/guarded", true)), 0);
  ASSERT_EQ(err(owner, OpCode::set_data, set("/guarded", "newest")), 0);
  ASSERT_EQ(err(other, OpCode::exists, watched("/guarded")), 0);
  EXPECT_EQ(other.events(), (std::vector<WatcherEvent>{WatcherEvent{3, kSyncConnected, "/guarded"}}));
}

TEST_F(ZkConnectionSim, CloseSessionAnswersThenCloses) {
  FakeClient& a = connected();
  FakeClient& b = connected();
  ASSERT_EQ(err(a, OpCode::create, create("/eph", "", 1)), 0);
  ASSERT_EQ(err(a, OpCode::exists, watched("/eph", true)), 0);
  ASSERT_EQ(err(b, OpCode::get_data, watched("/eph", true)), 0);
  ASSERT_EQ(err(b, OpCode::get_children, watched("/", true)), 0);
  const std::int32_t close_xid = next_xid_;
  const Received closed = call(a, OpCode::close_session);
  EXPECT_EQ(closed.header.err, 0);
  EXPECT_TRUE(a.closed());
  // As ZooKeeper, the closing session gets the events of its own ephemerals before the reply
  // (found by the differential test).
  ASSERT_EQ(a.events().size(), 1u);
  EXPECT_EQ(a.events()[0], (WatcherEvent{2, kSyncConnected, "/eph"}));
  EXPECT_LT(a.position(kNotificationXid, "/eph"), a.position(close_xid));
  EXPECT_EQ(err(b, OpCode::exists, watched("/eph")), -101);
  ASSERT_EQ(b.events().size(), 2u);
  // The session is gone: reconnecting to it is refused.
  FakeClient& again = client();
  again.send_connect(ConnectRequest{0, 0, 30'000, a.connect_response()->session_id, a.connect_response()->password, false});
  run_until([&] { return again.closed(); });
  ASSERT_TRUE(again.connect_response().has_value());
  EXPECT_EQ(again.connect_response()->timeout_ms, 0);
  EXPECT_EQ(again.connect_response()->session_id, 0);
}

TEST_F(ZkConnectionSim, ReconnectWithSessionIdAndPassword) {
  FakeClient& a = connected();
  FakeClient& b = connected();
  const ConnectResponse session = *a.connect_response();
  ASSERT_EQ(err(a, OpCode::create, create("/e", "", 1)), 0);
  ASSERT_EQ(err(a, OpCode::get_data, watched("/e", true)), 0);
  a.connection().on_peer_closed();

  // A wrong password: ZooKeeper's expired answer, and the session is untouched.
  FakeClient& wrong = client();
  wrong.send_connect(ConnectRequest{0, 0, 30'000, session.session_id, std::string(16, 'x'), false});
  run_until([&] { return wrong.closed(); });
  EXPECT_EQ(wrong.connect_response()->timeout_ms, 0);
  EXPECT_EQ(wrong.connect_response()->session_id, 0);

  FakeClient& back = connected(10'000, session.session_id, session.password);
  EXPECT_EQ(back.connect_response()->session_id, session.session_id);
  EXPECT_EQ(back.connect_response()->timeout_ms, 30'000);  // the session's own timeout
  EXPECT_EQ(back.connect_response()->password, session.password);
  EXPECT_EQ(err(b, OpCode::exists, watched("/e")), 0);  // its ephemeral lives on
  // The watch set before the reconnect fires on the new connection.
  ASSERT_EQ(err(b, OpCode::set_data, set("/e", "changed")), 0);
  run_until([&] { return !back.events().empty(); });
  EXPECT_EQ(back.events()[0], (WatcherEvent{3, kSyncConnected, "/e"}));
  ASSERT_EQ(err(back, OpCode::get_data, watched("/e", true)), 0);

  // A second connection for the session takes it over: the first one closes.
  FakeClient& second = connected(10'000, session.session_id, session.password);
  EXPECT_TRUE(back.closed());
  ASSERT_EQ(err(b, OpCode::set_data, set("/e", "again")), 0);
  run_until([&] { return !second.events().empty(); });
  EXPECT_EQ(err(second, OpCode::remove, versioned("/e")), 0);
}

TEST_F(ZkConnectionSim, AnOversizedFrameClosesOnlyItsConnection) {
  FakeClient& big = connected(30'000, 0, "", ZkConnectionOptions{.max_frame_bytes = 1024});
  FakeClient& fine = connected();
  JuteWriter w = JuteWriter::frame();
  write(w, RequestHeader{1, static_cast<std::int32_t>(OpCode::set_data)});
  write(w, SetDataRequest{"/x", std::string(2000, 'd'), -1});
  Bytes frame = std::move(w).finish();
  frame.resize(8);  // its length alone is enough to refuse it
  big.send(frame);
  EXPECT_TRUE(big.closed());
  EXPECT_TRUE(big.received().empty());
  EXPECT_EQ(err(fine, OpCode::create, create("/still")), 0);
  // A negative length too.
  FakeClient& negative = connected();
  negative.send(Bytes{std::byte{0x80}, std::byte{0}, std::byte{0}, std::byte{0}});
  EXPECT_TRUE(negative.closed());
}

TEST_F(ZkConnectionSim, MalformedPacketsCloseOrAnswerAsZooKeeperDoes) {
  FakeClient& garbage = client();
  garbage.send(Bytes{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{2}, std::byte{1}, std::byte{2}});
  EXPECT_TRUE(garbage.closed());
  EXPECT_FALSE(garbage.connect_response().has_value());

  FakeClient& c = connected();
  c.send(Bytes{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{3}, std::byte{0}, std::byte{0}, std::byte{0}});
  run_until([&] { return c.closed(); });  // shorter than its header

  FakeClient& d = connected();
  EXPECT_EQ(err(d, OpCode::get_data), -5);  // no body: MarshallingError, and the connection stays
  EXPECT_EQ(err(d, OpCode::who_am_i), -6);
  EXPECT_EQ(err(d, OpCode::reconfig), -123);
  EXPECT_FALSE(d.closed());
  EXPECT_EQ(err(d, OpCode::create, create("/after")), 0);
  EXPECT_EQ(err(d, static_cast<OpCode>(77)), -6);
  EXPECT_TRUE(d.closed());

  FakeClient& silent = client(ZkConnectionOptions{.connect_timeout = std::chrono::seconds(2)});
  run_until([&] { return silent.closed(); });
}

TEST_F(ZkConnectionSim, RequestsPipelinedBehindTheConnectWaitForIt) {
  FakeClient& c = client(ZkConnectionOptions{.requests_in_flight_max = 2});
  Bytes all;
  const auto append = [&](const Bytes& b) { all.insert(all.end(), b.begin(), b.end()); };
  {
    JuteWriter w = JuteWriter::frame();
    write(w, ConnectRequest{0, 0, 30'000, 0, "", false});
    append(std::move(w).finish());
  }
  for (std::int32_t i = 1; i <= 8; ++i) {
    JuteWriter w = JuteWriter::frame();
    write(w, RequestHeader{i, static_cast<std::int32_t>(OpCode::create)});
    write(w, CreateRequest{"/pipe" + std::to_string(i), "", open_acl(), 0, 0}, false);
    append(std::move(w).finish());
  }
  {
    JuteWriter w = JuteWriter::frame();
    write(w, RequestHeader{kAuthXid, static_cast<std::int32_t>(OpCode::auth)});
    write(w, AuthPacket{0, "digest", "u:p"});
    append(std::move(w).finish());
  }
  c.send(all);
  EXPECT_FALSE(c.connection().wants_input());  // packets wait for the session
  run_until([&] { return c.received().size() == 9; });
  ASSERT_TRUE(c.connect_response().has_value());
  // Replies in request order; the auth answer goes out as soon as the auth is read (ZooKeeper
  // answers it on the connection), which may pass replies still owed.
  std::int32_t last = 0;
  for (const Received& r : c.received()) {
    EXPECT_EQ(r.header.err, 0);
    if (r.header.xid == kAuthXid) continue;
    EXPECT_EQ(r.header.xid, last + 1);
    last = r.header.xid;
  }
  EXPECT_EQ(last, 8);
  EXPECT_TRUE(c.reply(kAuthXid).has_value());
  EXPECT_TRUE(c.connection().wants_input());
}

TEST_F(ZkConnectionSim, SetWatchesFiresWhatChangedAndSetsTheRest) {
  FakeClient& a = connected();
  FakeClient& b = connected();
  const ConnectResponse session = *a.connect_response();
  for (const char* p : {"/d", "/unchanged", "/c", "/gone"}) ASSERT_EQ(err(a, OpCode::create, create(p)), 0);
  const Zxid seen = call(a, OpCode::sync, [](JuteWriter& w) { w.write_buffer("/"); }).header.zxid;
  a.connection().on_peer_closed();
  // While the client is away.
  ASSERT_EQ(err(b, OpCode::set_data, set("/d", "x")), 0);
  ASSERT_EQ(err(b, OpCode::create, create("/appeared")), 0);
  ASSERT_EQ(err(b, OpCode::create, create("/c/kid")), 0);
  ASSERT_EQ(err(b, OpCode::remove, versioned("/gone")), 0);

  FakeClient& back = connected(30'000, session.session_id, session.password);
  const Received reply = call(back, OpCode::set_watches, [&](JuteWriter& w) {
    write(w, SetWatches{seen, {"/d", "/unchanged", "/gone"}, {"/appeared", "/absent"}, {"/c"}, {}, {}}, false);
  });
  EXPECT_EQ(reply.header.xid, next_xid_ - 1);
  EXPECT_EQ(reply.header.err, 0);
  std::vector<WatcherEvent> events = back.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0], (WatcherEvent{3, kSyncConnected, "/d"}));
  EXPECT_EQ(events[1], (WatcherEvent{2, kSyncConnected, "/gone"}));
  EXPECT_EQ(events[2], (WatcherEvent{1, kSyncConnected, "/appeared"}));
  EXPECT_EQ(events[3], (WatcherEvent{4, kSyncConnected, "/c"}));
  EXPECT_EQ(back.position(kNotificationXid, "/c") + 1, static_cast<std::ptrdiff_t>(back.received().size()) - 1);
  // The watches that had nothing to report are set again.
  ASSERT_EQ(err(b, OpCode::set_data, set("/unchanged", "now")), 0);
  ASSERT_EQ(err(b, OpCode::create, create("/absent")), 0);
  run_until([&] { return back.events().size() == 6; });
  events = back.events();
  EXPECT_EQ(events[4], (WatcherEvent{3, kSyncConnected, "/unchanged"}));
  EXPECT_EQ(events[5], (WatcherEvent{1, kSyncConnected, "/absent"}));

  // xid -8 as the Java client sends it; setWatches2 with persistent watches is accepted too.
  back.send_request(kSetWatchesXid, OpCode::set_watches2, [](JuteWriter& w) {
    write(w, SetWatches{0, {}, {}, {}, {"/p"}, {"/r"}}, true);
  });
  run_until([&] { return back.reply(kSetWatchesXid).has_value(); });
  EXPECT_EQ(back.reply(kSetWatchesXid)->header.err, 0);
}

TEST_F(ZkConnectionSim, SilentClientsSessionsExpireAndPingingOnesLive) {
  FakeClient& silent = connected(4'000);
  FakeClient& pinging = connected(4'000);
  FakeClient& watcher = connected();
  ASSERT_EQ(err(silent, OpCode::create, create("/mine", "", 1)), 0);
  ASSERT_EQ(err(watcher, OpCode::exists, watched("/mine", true)), 0);
  for (int i = 0; i < 12 && !silent.closed(); ++i) {
    pinging.send_request(kPingXid, OpCode::ping);
    run_for(std::chrono::milliseconds(1'300));  // a client pings every third of the timeout
  }
  EXPECT_TRUE(silent.closed());  // expired: ZooKeeper closes the connection
  EXPECT_FALSE(pinging.closed());
  run_until([&] { return !watcher.events().empty(); });
  EXPECT_EQ(watcher.events()[0], (WatcherEvent{2, kSyncConnected, "/mine"}));
  EXPECT_EQ(err(pinging, OpCode::exists, watched("/")), 0);
}

TEST_F(ZkConnectionSim, AClientAheadOfTheClusterIsRefused) {
  FakeClient& ahead = client();
  ahead.send_connect(ConnectRequest{0, std::numeric_limits<std::int64_t>::max(), 30'000, 0, "", false});
  run_until([&] { return ahead.closed(); });
  EXPECT_FALSE(ahead.connect_response().has_value());  // closed unanswered

  FakeClient& a = connected();
  const Zxid seen = call(a, OpCode::create, create("/z")).header.zxid;
  FakeClient& behind = client();
  behind.send_connect(ConnectRequest{0, seen, 30'000, 0, "", false});
  run_until([&] { return behind.connect_response().has_value(); });
  EXPECT_FALSE(behind.closed());
}

}  // namespace
}  // namespace eyrie::volery::zk
