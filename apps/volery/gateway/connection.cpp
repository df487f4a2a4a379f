#include "apps/volery/gateway/connection.hpp"

#include "apps/volery/acl.hpp"
#include "runtime/assert.hpp"

namespace eyrie::volery::zk {

namespace {

enum WatchKind { kData, kExist, kChild };

constexpr std::size_t kPasswordBytes = 16;       // ZooKeeper's session passwords are 16 bytes
constexpr std::size_t kFrameOverheadBytes = 16;  // counted per waiting frame, so empty ones count too

std::int32_t frame_length(std::span<const std::byte> bytes) {
  std::uint32_t u = 0;
  for (std::size_t i = 0; i < kFrameLengthBytes; ++i) u = (u << 8) | std::to_integer<std::uint32_t>(bytes[i]);
  return static_cast<std::int32_t>(u);
}

std::int32_t millis(Duration d) {
  return static_cast<std::int32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

// One setWatches: the reads it issued, and the reply owed once they are all answered.
struct ZkConnection::SetWatchesRun {
  RequestHeader header;
  std::uint64_t slot = 0;
  Zxid relative_zxid = 0;
  std::size_t pending = 0;
};

template <typename F>
auto ZkConnection::guarded(F fn) {
  return [alive = std::weak_ptr<int>(alive_), this, fn = std::move(fn)](auto&&... args) {
    if (alive.expired() || phase_ == Phase::closed) return;
    fn(std::forward<decltype(args)>(args)...);
  };
}

ZkConnection::ZkConnection(VoleryClient& client, ZkConnectionOptions options, SendFn send, CloseFn close)
    : client_(client),
      env_(client.env()),
      options_(options),
      send_(std::move(send)),
      close_(std::move(close)),
      log_(client.env().log().child("zk-connection")) {
  if (options_.min_session_timeout == Duration{0}) options_.min_session_timeout = 2 * options_.tick_time;
  if (options_.max_session_timeout == Duration{0}) options_.max_session_timeout = 20 * options_.tick_time;
  EYRIE_ASSERT(options_.min_session_timeout <= options_.max_session_timeout);
  EYRIE_ASSERT(options_.requests_in_flight_max > 0);
  connect_timer_ = env_.after(options_.connect_timeout, guarded([this] {
    connect_timer_.reset();
    if (phase_ == Phase::awaiting_connect) close_now("no ConnectRequest in time");
  }));
}

ZkConnection::~ZkConnection() { teardown(); }

// ---- input -----------------------------------------------------------------------------------

void ZkConnection::on_bytes(std::span<const std::byte> bytes) {
  if (phase_ == Phase::closed) return;
  input_.insert(input_.end(), bytes.begin(), bytes.end());
  std::size_t at = 0;
  while (input_.size() - at >= kFrameLengthBytes) {
    const std::int32_t length = frame_length(std::span(input_).subspan(at));
    // Refused on its length alone, before its bytes are held (ZooKeeper's "Len error").
    if (length < 0 || static_cast<std::size_t>(length) > options_.max_frame_bytes) {
      return close_now("a frame of " + std::to_string(length) + " bytes");
    }
    if (input_.size() - at - kFrameLengthBytes < static_cast<std::size_t>(length)) break;
    const auto begin = input_.begin() + static_cast<std::ptrdiff_t>(at + kFrameLengthBytes);
    Bytes frame(begin, begin + length);
    at += kFrameLengthBytes + static_cast<std::size_t>(length);
    if (!accept(std::move(frame))) return;
  }
  input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(at));
  drain();
}

void ZkConnection::on_peer_closed() {
  if (phase_ == Phase::closed) return;
  log_.debug("session {:x}: the client closed the connection", session_);
  teardown();
}

// Packets wait (frames_) only while the session is being set up or the library holds as many
// of this connection's requests as it may: then reading more would only pile them up.
bool ZkConnection::wants_input() const { return phase_ != Phase::closed && !stop_reading_ && frames_.empty(); }

// A whole frame: the ConnectRequest, or a packet to process in its turn. False: closed.
bool ZkConnection::accept(Bytes frame) {
  heard();
  if (phase_ == Phase::awaiting_connect) {
    start_session(frame);
    return phase_ != Phase::closed;
  }
  if (stop_reading_) return true;
  frames_bytes_ += frame.size() + kFrameOverheadBytes;
  if (frames_bytes_ > options_.pending_bytes_max) {
    close_now("more than " + std::to_string(options_.pending_bytes_max) + " bytes of packets waiting");
    return false;
  }
  frames_.push_back(std::move(frame));
  return true;
}

void ZkConnection::drain() {
  if (draining_) return;  // a callback of a submit below: the loop goes on
  draining_ = true;
  while (phase_ == Phase::established && !stop_reading_ && !frames_.empty() &&
         in_flight_ < options_.requests_in_flight_max) {
    const Bytes frame = std::move(frames_.front());
    frames_.pop_front();
    frames_bytes_ -= frame.size() + kFrameOverheadBytes;
    process(frame);
  }
  draining_ = false;
}

// ---- the session -------------------------------------------------------------------------------

void ZkConnection::start_session(std::span<const std::byte> frame) {
  std::string error;
  const std::optional<ConnectRequest> request = parse_connect_request(frame, &error);
  if (!request) return close_now(error);
  connect_ = *request;
  phase_ = Phase::connecting;
  if (connect_timer_) env_.cancel(*connect_timer_);
  connect_timer_.reset();
  if (connect_.session_id == 0) {
    const Duration asked = std::chrono::milliseconds(std::max(connect_.timeout_ms, 0));
    const Duration timeout = std::clamp(asked, options_.min_session_timeout, options_.max_session_timeout);
    std::string password(kPasswordBytes, '\0');
    for (std::size_t i = 0; i < kPasswordBytes; i += 8) {
      const std::uint64_t r = env_.rng().next_u64();
      for (std::size_t j = 0; j < 8; ++j) password[i + j] = static_cast<char>(r >> (8 * j));
    }
    client_.open_session(millis(timeout), password,
                         [alive = std::weak_ptr<int>(alive_), this, password, &client = client_](const Reply& r) {
                           if (alive.expired() || phase_ == Phase::closed) {
                             // Its client left before learning its id: nobody can use it.
                             if (r.result.code == Code::ok) client.close_session(r.result.session, [](const Reply&) {});
                             return;
                           }
                           on_session_created(r, password);
                         });
    return;
  }
  if (connect_.password.size() > limits::password_bytes_max) {
    // No Volery password is that long: a wrong one, answered as the replicas would.
    Reply refused;
    refused.result.code = Code::session_expired;
    return on_reattached(refused, connect_.password);
  }
  const SessionId session = connect_.session_id;
  client_.reattach(session, connect_.password,
                   [alive = std::weak_ptr<int>(alive_), this, session, &client = client_](const Reply& r) {
                     if (alive.expired() || phase_ == Phase::closed) {
                       // Attached here for a client that left: let it expire unless it comes back.
                       if (r.result.code == Code::ok && !client.has_listener(session)) client.set_renewing(session, false);
                       return;
                     }
                     on_reattached(r, connect_.password);
                   });
}

void ZkConnection::on_session_created(const Reply& reply, const std::string& password) {
  if (reply.result.code != Code::ok) return close_now("no session: " + std::string(to_string(reply.result.code)));
  if (connect_.last_zxid_seen > reply.zxid) {
    client_.close_session(reply.result.session, [](const Reply&) {});
    return close_now("the client has seen zxid " + std::to_string(connect_.last_zxid_seen) + ", beyond this cluster's " +
                     std::to_string(reply.zxid));
  }
  establish(reply.result.session, reply.result.timeout_ms, password);
}

void ZkConnection::on_reattached(const Reply& reply, const std::string& password) {
  const SessionId session = connect_.session_id;
  if (reply.result.code == Code::session_expired) {
    // ZooKeeper's answer to an expired session or a wrong password (finishSessionInit, invalid).
    log_.info("session {:x}: expired or wrong password", session);
    send(connect_response_frame(ConnectResponse{0, 0, 0, std::string(kPasswordBytes, '\0'), false}));
    return close_now("session expired");
  }
  if (reply.result.code != Code::ok) return close_now("reattach failed: " + std::string(to_string(reply.result.code)));
  if (connect_.last_zxid_seen > reply.zxid) {
    if (!client_.has_listener(session)) client_.set_renewing(session, false);
    return close_now("the client has seen zxid " + std::to_string(connect_.last_zxid_seen) + ", beyond this cluster's " +
                     std::to_string(reply.zxid));
  }
  establish(session, reply.result.timeout_ms, password);
}

void ZkConnection::establish(SessionId session, std::int32_t timeout_ms, const std::string& password) {
  session_ = session;
  session_timeout_ = std::chrono::milliseconds(timeout_ms);
  phase_ = Phase::established;
  // Replaces (and so closes) another connection of this session at this gateway.
  listener_token_ = client_.listen(
      session, VoleryClient::SessionListener{
                   .on_event = guarded([this](const WatchEvent& e) { on_event(e); }),
                   .on_expired = guarded([this](SessionId) { close_now("session expired"); }),
                   .on_replaced = guarded([this] { close_now("the client reconnected"); })});
  if (phase_ == Phase::closed) return;
  renewing_ = false;
  heard();
  send(connect_response_frame(ConnectResponse{0, timeout_ms, session, password, false}));
  log_.debug("session {:x}: connected, timeout {} ms", session, timeout_ms);
  drain();
}

// ZooKeeper 3.8 delivers a watch event only to a session that may READ the node it is about (the
// parent for NodeChildrenChanged), by the node's ACL at the change and the identities the session
// has when the event goes out (ServerCnxn.process, checkACL); the watch is spent either way.
void ZkConnection::on_event(const WatchEvent& e) {
  if (!permitted(e.acl, perms::read, client_.auth_of(session_))) {
    log_.debug("session {:x}: event {} on {} filtered by its ACL", session_, static_cast<int>(e.type), e.path);
    return;
  }
  send(notification_frame(e.zxid, e.type, e.path));
}

// Every packet: the client is alive. The library renews the session while renewing_; it stops
// once the client has been silent for half the timeout (check_silence).
void ZkConnection::heard() {
  last_heard_ = env_.now();
  if (phase_ != Phase::established || renewing_) return;
  renewing_ = true;
  client_.set_renewing(session_, true);
  if (!silence_timer_) silence_timer_ = env_.after(session_timeout_ / 2, guarded([this] { check_silence(); }));
}

void ZkConnection::check_silence() {
  silence_timer_.reset();
  const Duration silent = env_.now() - last_heard_;
  if (silent < session_timeout_ / 2) {
    silence_timer_ = env_.after(session_timeout_ / 2 - silent, guarded([this] { check_silence(); }));
    return;
  }
  log_.debug("session {:x}: silent for {} ms", session_, millis(silent));
  renewing_ = false;
  if (client_.listening(session_, listener_token_)) client_.set_renewing(session_, false);
}

// ---- requests ----------------------------------------------------------------------------------

void ZkConnection::process(std::span<const std::byte> frame) {
  std::string error;
  std::optional<ClientRequest> request = parse_request(frame, &error);
  if (!request) return close_now(error);
  const RequestHeader header = request->header;
  const Zxid zxid = client_.last_zxid(session_);
  std::visit(
      [&](auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, Ping>) {
          send(error_frame(kPingXid, zxid, Code::ok));
        } else if constexpr (std::is_same_v<T, AuthPacket>) {
          authenticate(header, body);
        } else if constexpr (std::is_same_v<T, SetWatches>) {
          set_watches(header, body);
        } else if constexpr (std::is_same_v<T, CloseRequest>) {
          close_session(header);
        } else if constexpr (std::is_same_v<T, Op>) {
          submit(header, std::move(body));
        } else if constexpr (std::is_same_v<T, Refusal>) {
          if (body.close) stop_reading_ = true;
          fill(open_slot(), error_frame(header.xid, zxid, body.code), body.close);
        } else if constexpr (std::is_same_v<T, MultiRefusal>) {
          refuse_multi(header, std::move(body));
        } else {
          static_assert(std::is_same_v<T, NullPathSync>);
          sync_null_path(header);
        }
      },
      request->body);
}

// A reply saying the session is gone from here (expired, moved to another gateway, or the
// library lost it) closes the connection, as ZooKeeper closes it: true when it did.
bool ZkConnection::ends_connection(const Reply& reply) {
  const Code code = reply.result.code;
  if (code != Code::session_expired && code != Code::session_moved && code != Code::connection_loss) return false;
  close_now(to_string(code));
  return true;
}

void ZkConnection::submit(const RequestHeader& header, Op op) {
  const std::uint64_t slot = open_slot();
  std::vector<OpCode> types;
  if (const auto* multi = std::get_if<Multi>(&op)) {
    if (multi->ops.empty()) return fill(slot, reply_frame(header, {}, client_.last_zxid(session_), Result{}));
    types = multi_result_types(*multi);
  }
  client_.submit(session_, std::move(op), guarded([this, slot, header, types = std::move(types)](const Reply& reply) {
                   if (ends_connection(reply)) return;
                   fill(slot, reply_frame(header, types, reply.zxid, reply.result));
                 }));
}

namespace {
// A check no node passes: versions start at 0, and -1 means any.
constexpr std::int32_t kNoVersion = -2;

const std::string& path_of(const MultiOp& op) {
  return std::visit([](const auto& o) -> const std::string& { return o.path; }, op);
}
}  // namespace

// ZooKeeper runs a multi's operations in order and stops at the first that fails: an operation
// refused here decides the answer only if every operation before it succeeds. Those run first,
// followed by a check that always fails, so that none of them takes effect; their results say
// whether one failed first.
void ZkConnection::refuse_multi(const RequestHeader& header, MultiRefusal refusal) {
  const std::uint64_t slot = open_slot();
  const auto answer = [this, slot, header](Zxid zxid, const MultiRefusal& r) {
    if (r.whole) return fill(slot, error_frame(header.xid, zxid, r.code));
    fill(slot, refused_multi_frame(header.xid, zxid, r));
  };
  if (refusal.before.ops.empty()) return answer(client_.last_zxid(session_), refusal);
  Multi first = refusal.before;
  first.ops.push_back(Check{path_of(first.ops.back()), kNoVersion});
  const std::size_t ran = first.ops.size();
  client_.submit(session_, Op{std::move(first)},
                 guarded([this, ran, refusal = std::move(refusal), answer](const Reply& reply) {
                   if (ends_connection(reply)) return;
                   MultiRefusal r{refusal.index, refusal.count, refusal.code, refusal.whole, {}};
                   if (reply.result.results.size() == ran) {
                     for (std::size_t i = 0; i < refusal.index; ++i) {
                       const Code c = reply.result.results[i].code;
                       if (c != Code::ok && c != Code::runtime_inconsistency) {
                         r = MultiRefusal{i, refusal.count, c, false, {}};
                         break;
                       }
                     }
                   }
                   answer(reply.zxid, r);
                 }));
}

// A sync of a null path runs as a sync of the root and answers a null path, as ZooKeeper does.
void ZkConnection::sync_null_path(const RequestHeader& header) {
  const std::uint64_t slot = open_slot();
  client_.submit(session_, Op{Sync{"/"}}, guarded([this, slot, header](const Reply& reply) {
                   if (ends_connection(reply)) return;
                   const Code code = reply.result.code;
                   if (code != Code::ok) return fill(slot, error_frame(header.xid, reply.zxid, code));
                   fill(slot, null_path_sync_frame(header.xid, reply.zxid));
                 }));
}

void ZkConnection::authenticate(const RequestHeader& header, const AuthPacket& packet) {
  // ZooKeeper answers auth on the connection, at once, with zxid 0 (ZooKeeperServer.processPacket).
  std::optional<Id> id;
  if (packet.scheme == "digest") id = auth_digest(packet.auth);
  if (!id || !client_.add_auth(session_, *id)) {
    log_.info("session {:x}: auth scheme '{}' refused", session_, packet.scheme);
    send(error_frame(header.xid, 0, Code::auth_failed));
    return close_now("auth failed");
  }
  send(error_frame(header.xid, 0, Code::ok));
}

void ZkConnection::close_session(const RequestHeader& header) {
  stop_reading_ = true;
  const std::uint64_t slot = open_slot();
  client_.close_session(session_, guarded([this, slot, header](const Reply& reply) {
                          if (reply.result.code != Code::ok) return close_now(to_string(reply.result.code));
                          fill(slot, reply_frame(header, {}, reply.zxid, reply.result), true);
                        }));
}

// ---- setWatches ----------------------------------------------------------------------------------

namespace {

// DataTree.setWatches: the event that goes out at once for a watch on a node that changed
// since the client's zxid, given the read that set the watch again.
std::optional<EventType> missed_event(int kind, const Result& r, Zxid relative_zxid) {
  const bool present = r.code == Code::ok;
  switch (kind) {
    case kData:
      if (!present) return EventType::node_deleted;
      if (r.stat && r.stat->mzxid > relative_zxid) return EventType::node_data_changed;
      return std::nullopt;
    case kExist:
      if (present) return EventType::node_created;
      return std::nullopt;
    default:
      if (r.code == Code::no_auth) return EventType::node_children_changed;  // cannot watch it again
      if (!present) return EventType::node_deleted;
      if (r.stat && r.stat->pzxid > relative_zxid) return EventType::node_children_changed;
      return std::nullopt;
  }
}
}  // namespace

void ZkConnection::set_watches(const RequestHeader& header, const SetWatches& watches) {
  auto run = std::make_shared<SetWatchesRun>(SetWatchesRun{header, open_slot(), watches.relative_zxid, 1});
  // The extra 1 in `pending` holds the reply back until every read is submitted.
  const auto watch_all = [&](const std::vector<std::string>& paths, int kind) {
    for (const std::string& path : paths) {
      if (phase_ == Phase::closed) return;
      ++run->pending;
      watch_again(run, path, kind);
    }
  };
  watch_all(watches.data, kData);
  watch_all(watches.exist, kExist);
  watch_all(watches.child, kChild);
  if (phase_ != Phase::closed && --run->pending == 0) {
    fill(run->slot, reply_frame(header, {}, client_.last_zxid(session_), Result{}));
  }
}

void ZkConnection::watch_again(const std::shared_ptr<SetWatchesRun>& run, const std::string& path, int kind) {
  const auto finish = [this, run, kind, path](const Result& result) {
    if (const auto type = missed_event(kind, result, run->relative_zxid)) send(notification_frame(-1, *type, path));
    if (--run->pending == 0) fill(run->slot, reply_frame(run->header, {}, client_.last_zxid(session_), Result{}));
  };
  if (path.size() > limits::path_bytes_max) {
    // No node has such a path (the replicas would refuse the read as malformed): absent.
    Result absent;
    absent.code = Code::no_node;
    return finish(absent);
  }
  // Exists sets a data watch without needing READ (as setWatches needs none); a child watch
  // needs getChildren.
  Op read = kind == kChild ? Op{GetChildren{path, true}} : Op{Exists{path, true}};
  client_.submit(session_, std::move(read), guarded([this, finish](const Reply& reply) {
                   if (ends_connection(reply)) return;
                   finish(reply.result);
                 }));
}

// ---- replies -------------------------------------------------------------------------------------

std::uint64_t ZkConnection::open_slot() {
  replies_.push_back(Slot{});
  ++in_flight_;
  return first_slot_ + replies_.size() - 1;
}

void ZkConnection::fill(std::uint64_t slot, Bytes frame, bool close_after) {
  if (phase_ == Phase::closed) return;
  EYRIE_ASSERT(slot >= first_slot_ && slot - first_slot_ < replies_.size());
  Slot& s = replies_[slot - first_slot_];
  EYRIE_ASSERT(!s.ready);
  s.ready = true;
  s.close_after = close_after;
  s.frame = std::move(frame);
  --in_flight_;
  flush();
  if (phase_ != Phase::closed) drain();
}

void ZkConnection::flush() {
  while (!replies_.empty() && replies_.front().ready) {
    const Slot front = std::move(replies_.front());
    replies_.pop_front();
    ++first_slot_;
    send(front.frame);
    if (front.close_after) return close_now("closed after its reply");
  }
}

void ZkConnection::send(std::span<const std::byte> bytes) {
  if (phase_ == Phase::closed) return;
  send_(bytes);
}

void ZkConnection::close_now(std::string_view why) {
  if (phase_ == Phase::closed) return;
  log_.debug("session {:x}: closing the connection: {}", session_, why);
  teardown();
  if (close_) close_();
}

void ZkConnection::teardown() {
  const bool established = phase_ == Phase::established;
  phase_ = Phase::closed;
  if (connect_timer_) env_.cancel(*connect_timer_);
  if (silence_timer_) env_.cancel(*silence_timer_);
  connect_timer_.reset();
  silence_timer_.reset();
  input_.clear();
  frames_.clear();
  frames_bytes_ = 0;
  replies_.clear();
  in_flight_ = 0;
  // Unless the client came back through another connection, its session stops being renewed.
  if (established && client_.listening(session_, listener_token_)) {
    client_.set_renewing(session_, false);
    client_.unlisten(session_, listener_token_);
  }
}

void ZkConnection::check_invariants() const {
  const auto waiting = static_cast<std::size_t>(
      std::count_if(replies_.begin(), replies_.end(), [](const Slot& s) { return !s.ready; }));
  EYRIE_ASSERT(waiting == in_flight_);
  EYRIE_ASSERT(replies_.empty() || !replies_.front().ready);  // flushed as soon as ready
  if (phase_ == Phase::closed) {
    EYRIE_ASSERT(frames_.empty() && replies_.empty() && !silence_timer_ && !connect_timer_);
  }
  if (phase_ != Phase::established) EYRIE_ASSERT(replies_.empty());
  EYRIE_ASSERT(input_.size() < kFrameLengthBytes + options_.max_frame_bytes || phase_ == Phase::closed);
}

}  // namespace eyrie::volery::zk
