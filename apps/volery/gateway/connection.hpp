#pragma once
// ZkConnection: one ZooKeeper client connection, server side, sans-IO, over the gateway's
// VoleryClient (docs/volery.md, "ZooKeeper wire protocol"). Bytes in through on_bytes(), bytes
// out through `send`, the end through `close`: a TCP server puts one behind each socket.
//
// What it does, as a ZooKeeper 3.8 server does it (ZooKeeperServer, NIOServerCnxn,
// FinalRequestProcessor):
// - Frames: a 4-byte length, then the packet. A length above max_frame_bytes (jute.maxbuffer)
//   or below 0 closes the connection at once, unanswered; so does a first packet that is no
//   ConnectRequest, a request shorter than its header, or an auth packet that does not decode.
//   Nothing of it touches other connections.
// - Connect: session 0 creates a session (timeout clamped to [min, max], 2 and 20 ticks of 2 s by
//   default; a 16-byte password from the Env's random numbers); otherwise the session is
//   reattached with the client's password. A refusal (expired, or wrong password) answers a
//   ConnectResponse with timeout 0 and session 0, which clients read as expiry, then closes.
//   Requests the client pipelines behind its ConnectRequest wait for the answer.
// - lastZxidSeen: the CreateSession or Reattach reaches every partition, so its zxid is above
//   every zxid handed out before it (docs/volery.md, zxid); a client that has seen a higher one
//   saw another cluster: the connection closes unanswered, as ZooKeeper refuses a client ahead
//   of it, and a session made for it is closed.
// - Requests go to the library in order; replies go out in request order with the client's xid
//   (local answers, refusals of apps/volery/gateway/mapping.hpp among them, take their turn), and
//   watch events as notifications (xid -1) the moment the library hands them out, which is before
//   any reply that reflects them. A reply saying session_expired or session_moved, or a request
//   the library lost (connection_loss), closes the connection unanswered, as ZooKeeper closes it;
//   the client reconnects and learns its session's fate there.
// - Pings are answered at once (xid -2, the session's last zxid). Every packet marks the session
//   alive: the library renews it while the client was heard within half its timeout (clients
//   ping every third of it), and stops when the connection closes or falls silent, so that a lost
//   client's session expires about a timeout after its last packet, as in ZooKeeper.
// - Auth (xid -4): scheme digest adds the identity and answers at once; any other scheme (and
//   SASL), or credentials Volery refuses, answer AuthFailed and close the connection.
// - setWatches (101, and setWatches2: its persistent lists are ignored, since addWatch is refused):
//   each path is read again with a watch, and, as DataTree.setWatches does, an event goes out at
//   once when the node changed after relativeZxid: a data watch gets NodeDeleted (node gone) or
//   NodeDataChanged (mzxid above), an exist watch NodeCreated (node there), a child watch
//   NodeDeleted or NodeChildrenChanged (pzxid above); otherwise the watch stays set. The reply
//   (xid -8) follows the events. Differences: the read leaves its watch set even when the event
//   went out at once (a later change then sends an event the client has no watcher for, which
//   clients drop); a child watch on a node the session may no longer read gets
//   NodeChildrenChanged (the client's read then reports the error); these events carry zxid -1.
// - closeSession: the session closes, the reply goes out, then the connection closes.
// - An expired session, or its client reconnecting to another connection of this gateway,
//   closes this connection.
// - Bounds: requests_in_flight_max requests in the library per connection (later packets wait,
//   and wants_input() says to stop reading); pending_bytes_max bytes of waiting packets (beyond
//   them the connection closes); a connection that sends no ConnectRequest within
//   connect_timeout closes.
//
// `send` and `close` are called from on_bytes() and from the library's and the Env's callbacks.
// They must not call back into the connection, nor destroy it, synchronously: a server destroys
// a closed connection later, from its event loop. The VoleryClient outlives its connections.

#include <deque>
#include <functional>
#include <memory>
#include <span>

#include "apps/volery/client.hpp"
#include "apps/volery/gateway/mapping.hpp"

namespace eyrie::volery::zk {

struct ZkConnectionOptions {
  // jute.maxbuffer: ZooKeeper's default, 0xfffff bytes.
  std::size_t max_frame_bytes = 0xfffff;
  // ZooKeeper's tickTime; session timeouts are negotiated into [min, max], by default 2 and 20 ticks.
  Duration tick_time = std::chrono::milliseconds(2000);
  Duration min_session_timeout{0};  // 0: 2 * tick_time
  Duration max_session_timeout{0};  // 0: 20 * tick_time
  // zookeeper.nio.sessionlessCnxnTimeout.
  Duration connect_timeout = std::chrono::seconds(10);
  std::size_t requests_in_flight_max = 1000;
  std::size_t pending_bytes_max = std::size_t{8} << 20;
};

class ZkConnection {
 public:
  using SendFn = std::function<void(std::span<const std::byte>)>;
  using CloseFn = std::function<void()>;

  ZkConnection(VoleryClient& client, ZkConnectionOptions options, SendFn send, CloseFn close);
  ~ZkConnection();
  ZkConnection(const ZkConnection&) = delete;
  ZkConnection& operator=(const ZkConnection&) = delete;

  void on_bytes(std::span<const std::byte> bytes);
  // The client went away: the session stops being renewed; `close` is not called.
  void on_peer_closed();
  bool closed() const { return phase_ == Phase::closed; }
  // False while the connection holds as much as it takes: stop reading the socket until it is
  // true again (check after `send` calls: replies free room).
  bool wants_input() const;
  SessionId session() const { return session_; }
  // The negotiated session timeout (0 before the session is set up).
  Duration session_timeout() const { return session_timeout_; }
  void check_invariants() const;

 private:
  enum class Phase { awaiting_connect, connecting, established, closed };
  struct Slot {
    bool ready = false;
    bool close_after = false;
    Bytes frame;
  };
  struct SetWatchesRun;

  bool accept(Bytes frame);
  void start_session(std::span<const std::byte> frame);
  void on_session_created(const Reply& reply, const std::string& password);
  void on_reattached(const Reply& reply, const std::string& password);
  void establish(SessionId session, std::int32_t timeout_ms, const std::string& password);
  void drain();
  void process(std::span<const std::byte> frame);
  void submit(const RequestHeader& header, Op op);
  void refuse_multi(const RequestHeader& header, MultiRefusal refusal);
  void on_event(const WatchEvent& e);
  void sync_null_path(const RequestHeader& header);
  void authenticate(const RequestHeader& header, const AuthPacket& packet);
  void set_watches(const RequestHeader& header, const SetWatches& watches);
  void watch_again(const std::shared_ptr<SetWatchesRun>& run, const std::string& path, int kind);
  void close_session(const RequestHeader& header);

  std::uint64_t open_slot();
  void fill(std::uint64_t slot, Bytes frame, bool close_after = false);
  void flush();
  void send(std::span<const std::byte> bytes);
  // Sends nothing more and calls `close`. Callers return right after.
  void close_now(std::string_view why);
  bool ends_connection(const Reply& reply);
  void teardown();
  void heard();
  void check_silence();
  // Wraps a callback so that it does nothing once the connection is gone or closed.
  template <typename F>
  auto guarded(F fn);

  VoleryClient& client_;
  Env& env_;
  ZkConnectionOptions options_;
  SendFn send_;
  CloseFn close_;
  Logger log_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);

  Phase phase_ = Phase::awaiting_connect;
  Bytes input_;  // bytes of the frame being received
  std::deque<Bytes> frames_;  // received, waiting for the session or for room in the library
  std::size_t frames_bytes_ = 0;
  bool stop_reading_ = false;  // closeSession or a closing refusal is queued: later packets are ignored
  bool draining_ = false;

  ConnectRequest connect_;
  SessionId session_ = 0;
  Duration session_timeout_{0};
  std::uint64_t listener_token_ = 0;

  std::deque<Slot> replies_;  // the replies owed, in request order
  std::uint64_t first_slot_ = 0;  // the number of replies_.front()
  std::size_t in_flight_ = 0;     // slots not ready

  Time last_heard_{};
  bool renewing_ = false;
  std::optional<TimerId> silence_timer_;
  std::optional<TimerId> connect_timer_;
};

}  // namespace eyrie::volery::zk
