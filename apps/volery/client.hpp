#pragma once
// VoleryClient: Volery's client library, sans-IO (docs/volery.md). One instance is one gateway:
// one S-SMR client endpoint serving any number of sessions. Tests use it directly; the
// ZooKeeper wire gateway puts it behind its TCP connections.
//
// What it adds to partition::Client, per session:
// - FIFO (docs/volery.md, "FIFO client order"): requests pipeline only while they go to the
//   same partitions (a request for another set waits until the session's requests in flight
//   are answered); each carries its number and its predecessor's, and a request the replicas
//   answer out_of_order is sent again once every earlier one is answered;
// - replies in request order, each only after the watch events that its EventMarks name
//   (events come from the partitions, replies from possibly others: ZooKeeper's rule that a
//   client sees an event before any reply reflecting its change);
// - events once each, in order per partition (EmitFilter drops copies; numbers order them);
// - sessions kept alive: one Tick command every `tick_interval` renews the sessions that
//   are renewing, and expires, everywhere, sessions nobody renewed within their timeout;
// - sessions that move: a Reattach restarts the partitions' event numbering for the session
//   (docs/volery.md, Sessions), so the library restarts its own when the Reattach's reply is
//   handed out. Events are told apart by zxid: those below the Reattach's belong to the old
//   numbering; those above it wait until the reply is handed out.
//
// Callbacks run from on_message() and timers; they may submit more requests.

#include <deque>
#include <functional>
#include <map>
#include <set>

#include "apps/volery/placement.hpp"
#include "partition/client.hpp"

namespace eyrie::volery {

struct VoleryClientOptions {
  // S-SMR commands outstanding over all sessions; more wait in the sessions' queues.
  std::size_t window_max = 256;
  Duration tick_interval = std::chrono::seconds(1);
  Duration retry_after = std::chrono::seconds(1);
  // After this long without a reply a request is given up (connection_loss): its session's
  // FIFO chain restarts, and the request may still take effect. Far beyond any fault the
  // system tolerates, so in practice it signals a cluster that lost more than f of something.
  Duration request_timeout = std::chrono::minutes(10);
  multicast::Multicaster::Options sender{};
  // Fault injection for checker tests only (`eyrie sim volery --unsafe-ignore-marks`): hand
  // out replies without waiting for the events their marks name.
  bool unsafe_ignore_marks = false;
};

class VoleryClient {
 public:
  using ReplyCallback = std::function<void(const Reply&)>;
  using EventCallback = std::function<void(const WatchEvent&)>;
  using ExpiredCallback = std::function<void(SessionId)>;

  // Preconditions: the configurations and the oracle outlive the client.
  VoleryClient(Env& env, const multicast::RidgeConfig& ridge, const partition::SsmrConfig& config,
               const VoleryOracle& oracle, VoleryClientOptions options = {});

  void start();
  void on_message(const Message& message);
  static bool handles(MessageType type);

  // Creates a session; `done` gets result.session and result.timeout_ms (or an error code).
  void open_session(std::int32_t timeout_ms, std::string password, ReplyCallback done);
  // Attaches an existing session to this gateway (a reconnecting client); session_expired
  // when it is gone or the password is wrong. A session this gateway holds is checked against
  // its password here first, so that a wrong one leaves it untouched. The Reattach waits until
  // nothing of the session is in flight (it restarts the session's FIFO chain).
  void reattach(SessionId session, std::string password, ReplyCallback done);
  // Runs `op` in session order; `done` gets the reply (status done) once every earlier request
  // of the session has been answered and the events its marks name have been delivered.
  // A session this gateway does not hold answers session_expired at once.
  void submit(SessionId session, Op op, ReplyCallback done);
  void close_session(SessionId session, ReplyCallback done) { submit(session, CloseSession{}, std::move(done)); }
  // Adds an identity to the session's requests from now on (those not yet sent). False, and
  // nothing added, when the session is not held here or the identity would not fit Volery's
  // limits (limits::auth_ids_max identities; scheme and id sizes).
  bool add_auth(SessionId session, Id id);
  // The identities add_auth gave the session (none for a session this library does not hold).
  std::vector<Id> auth_of(SessionId session) const;
  // False: the client is gone; stop renewing, so the session expires after its timeout.
  void set_renewing(SessionId session, bool renewing);

  void set_on_event(EventCallback fn) { on_event_ = std::move(fn); }
  // Observes this gateway's Tick commands (histories for checkers): called as one is sent, it
  // returns what to call with its reply (if it ever comes).
  using TickObserver = std::function<ReplyCallback(const Tick&)>;
  void set_tick_observer(TickObserver fn) { tick_observer_ = std::move(fn); }
  void set_on_expired(ExpiredCallback fn) { on_expired_ = std::move(fn); }

  // What serves one session (a gateway's client connection): its events and its expiry go
  // there as well as to the callbacks above. A later listen() for the same session replaces it
  // and calls the replaced listener's on_replaced (a client that reconnected elsewhere).
  struct SessionListener {
    EventCallback on_event;
    ExpiredCallback on_expired;
    std::function<void()> on_replaced;
  };
  // Returns a token for unlisten(), which removes the listener only while it is the current one.
  std::uint64_t listen(SessionId session, SessionListener listener);
  void unlisten(SessionId session, std::uint64_t token);
  bool listening(SessionId session, std::uint64_t token) const;
  bool has_listener(SessionId session) const { return listeners_.contains(session); }

  bool holds(SessionId session) const { return sessions_.contains(session); }
  std::size_t sessions() const { return sessions_.size(); }
  Zxid last_zxid(SessionId session) const;
  NodeId endpoint() const { return env_.self(); }
  // The gateway's Env: its clock and timers, for the connections it serves.
  Env& env() const { return env_; }
  std::size_t outstanding() const { return client_.outstanding(); }
  void check_invariants() const;

 private:
  struct Request_ {
    std::uint64_t seq = 0;
    std::vector<PartitionId> destinations;
    Payload bytes;
    ReplyCallback done;
    std::optional<Reply> reply;  // answered, waiting for earlier replies or events
    bool resend = false;         // answered out_of_order: send again when it is the oldest
    bool sent = false;
    bool closes = false;     // a CloseSession: the session ends with its ok reply
    bool reattaches = false;  // a Reattach: the event numbering restarts with its ok reply
  };
  struct Session {
    SessionId id = 0;
    std::vector<Id> auth;
    bool renewing = true;
    bool ended = false;     // closed or expired: no new requests
    bool finished = false;  // closed, or its expiry handed out: dropped once nothing is in flight
    std::uint64_t next_seq = 1;
    std::uint64_t last_seq = 0;  // the last request sent, and where it went
    std::vector<PartitionId> last_set;
    std::deque<Op> waiting_ops;  // submitted, not yet numbered
    std::deque<ReplyCallback> waiting_done;
    std::deque<Request_> flight;  // numbered, in order; sent ones first
    std::map<PartitionId, std::uint64_t> delivered;
    std::map<PartitionId, std::map<std::uint64_t, WatchEvent>> early;
    Zxid last_zxid = 0;
    std::optional<SessionExpired> expiring;  // notified: ends once the events it names are out
    std::string password;  // to refuse a wrong one at once (reattach)
    bool adopted = false;  // made by reattach(): dropped if the Reattach fails
    // The event numbering (class comment): events below `numbering_since` are from an earlier
    // one; while a Reattach is numbered and not handed out, events that may be from the new
    // numbering (above its zxid, or all while the zxid is unknown) wait in `parked`.
    Zxid numbering_since = 0;
    bool reattaching = false;
    std::optional<Zxid> reattach_zxid;
    std::vector<WatchEvent> parked;
  };

  void pump();
  void pump(Session& s);
  bool send(Session& s, Request_& r);
  void on_result(SessionId session, std::uint64_t seq, const partition::CommandResult& result);
  void advance(Session& s);
  bool events_ready(const Session& s, const Reply& reply) const;
  void on_notification(const partition::Emitted& emitted);
  // Hands out `event` (or keeps it for later, or drops a copy); false when a callback dropped
  // the session.
  bool deliver(Session& s, const WatchEvent& event);
  bool unpark(Session& s);
  void stop(Session& s);
  void answer_locally(Session& s, ReplyCallback done);
  void finish_expiry(SessionId session);
  bool expiry_ready(const Session& s) const;
  void tick();
  Payload encode_request(const Session& s, std::uint64_t seq, std::uint64_t previous, const Op& op) const;

  Env& env_;
  const VoleryOracle& oracle_;
  VoleryClientOptions options_;
  partition::Client client_;
  Logger log_;
  std::map<SessionId, Session> sessions_;
  bool tick_outstanding_ = false;
  std::vector<SessionId> blocked_;  // sessions with work that found the window full
  struct Listening {
    std::uint64_t token = 0;
    SessionListener listener;
  };
  std::map<SessionId, Listening> listeners_;
  std::uint64_t next_listener_token_ = 1;
  ExpiredCallback on_expired_;
  EventCallback on_event_;
  TickObserver tick_observer_;
  Counter& out_of_order_;
  Counter& events_;
  Counter& expirations_;
};

}  // namespace eyrie::volery
