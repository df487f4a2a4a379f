#include "apps/volery/client.hpp"

#include <algorithm>
#include <limits>

#include "apps/volery/codec.hpp"
#include "runtime/assert.hpp"

namespace eyrie::volery {

namespace {

Reply error_reply(Code code) {
  Reply r;
  r.result.code = code;
  return r;
}

}  // namespace

VoleryClient::VoleryClient(Env& env, const multicast::RidgeConfig& ridge, const partition::SsmrConfig& config,
                           const VoleryOracle& oracle, VoleryClientOptions options)
    : env_(env),
      oracle_(oracle),
      options_(options),
      client_(env, ridge, config, oracle,
              partition::ClientOptions{.window_max = options.window_max, .retry_after = options.retry_after,
                                       .timeout = options.request_timeout, .sender = options.sender}),
      log_(env.log().child("volery-client")),
      out_of_order_(env.metrics().counter("volery.client.out_of_order")),
      events_(env.metrics().counter("volery.client.events")),
      expirations_(env.metrics().counter("volery.client.expirations")) {
  client_.set_on_emitted([this](const partition::Emitted& e) { on_notification(e); });
}

void VoleryClient::start() {
  client_.start();
  env_.after(options_.tick_interval, [this] { tick(); });
}

bool VoleryClient::handles(MessageType type) { return partition::Client::handles(type); }

void VoleryClient::on_message(const Message& message) { client_.on_message(message); }

Payload VoleryClient::encode_request(const Session& s, std::uint64_t seq, std::uint64_t previous, const Op& op) const {
  return encode(Request{.session = s.id, .seq = seq, .previous = previous, .gateway = env_.self(), .auth = s.auth, .op = op});
}

void VoleryClient::open_session(std::int32_t timeout_ms, std::string password, ReplyCallback done) {
  const Request request{.session = 0, .seq = 1, .previous = 0, .gateway = env_.self(), .auth = {},
                        .op = CreateSession{.timeout_ms = timeout_ms, .password = password}};
  const auto submitted = client_.submit(
      encode(request), oracle_.placement().partitions(),
      [this, password = std::move(password), done = std::move(done)](const partition::CommandResult& r) {
        std::string error;
        std::optional<Reply> reply;
        if (r.status == partition::CommandResult::Status::ok) reply = decode_reply(r.body.bytes(), &error);
        if (!reply) return done(error_reply(Code::connection_loss));
        if (reply->result.code == Code::ok) {
          Session& s = sessions_[reply->result.session];
          s.id = reply->result.session;
          s.next_seq = 2;
          s.last_seq = 1;
          s.last_set = oracle_.placement().partitions();
          s.last_zxid = reply->zxid;
          s.password = password;
        }
        done(*reply);
      });
  if (!submitted) done(error_reply(Code::connection_loss));  // the window is full: try later
}

void VoleryClient::reattach(SessionId session, std::string password, ReplyCallback done) {
  const auto it = sessions_.find(session);
  if (it == sessions_.end()) {
    Session& s = sessions_[session];
    s.id = session;
    s.password = password;
    s.adopted = true;
  } else if (it->second.password != password) {
    // The replicas would refuse it too; answered here, the session (alive, perhaps with a
    // client connected) is not stopped as a refused Reattach would stop it.
    return done(error_reply(Code::session_expired));
  }
  submit(session, Reattach{std::move(password)}, std::move(done));
}

std::uint64_t VoleryClient::listen(SessionId session, SessionListener listener) {
  const std::uint64_t token = next_listener_token_++;
  std::function<void()> replaced;
  if (const auto it = listeners_.find(session); it != listeners_.end()) replaced = std::move(it->second.listener.on_replaced);
  listeners_[session] = Listening{token, std::move(listener)};
  if (replaced) replaced();
  return token;
}

void VoleryClient::unlisten(SessionId session, std::uint64_t token) {
  if (const auto it = listeners_.find(session); it != listeners_.end() && it->second.token == token) listeners_.erase(it);
}

bool VoleryClient::listening(SessionId session, std::uint64_t token) const {
  const auto it = listeners_.find(session);
  return it != listeners_.end() && it->second.token == token;
}

void VoleryClient::submit(SessionId session, Op op, ReplyCallback done) {
  const auto it = sessions_.find(session);
  if (it == sessions_.end()) return done(error_reply(Code::session_expired));
  if (it->second.ended) {
    answer_locally(it->second, std::move(done));
    return advance(it->second);
  }
  it->second.waiting_ops.push_back(std::move(op));
  it->second.waiting_done.push_back(std::move(done));
  pump(it->second);
}

bool VoleryClient::add_auth(SessionId session, Id id) {
  const auto it = sessions_.find(session);
  if (it == sessions_.end()) return false;
  if (id.scheme.size() > limits::scheme_bytes_max || id.id.size() > limits::id_bytes_max) return false;
  auto& auth = it->second.auth;
  if (std::find(auth.begin(), auth.end(), id) != auth.end()) return true;
  if (auth.size() >= limits::auth_ids_max) return false;  // the replicas would refuse the requests
  auth.push_back(std::move(id));
  return true;
}

std::vector<Id> VoleryClient::auth_of(SessionId session) const {
  const auto it = sessions_.find(session);
  return it == sessions_.end() ? std::vector<Id>{} : it->second.auth;
}

void VoleryClient::set_renewing(SessionId session, bool renewing) {
  if (const auto it = sessions_.find(session); it != sessions_.end()) it->second.renewing = renewing;
}

Zxid VoleryClient::last_zxid(SessionId session) const {
  const auto it = sessions_.find(session);
  return it == sessions_.end() ? 0 : it->second.last_zxid;
}

// Numbers and sends the session's waiting requests while they may go: the window has room and
// nothing is in flight to another destination set (docs/volery.md, rule 1).
void VoleryClient::pump(Session& s) {
  // Requests numbered but refused by a full window go first, in order.
  for (Request_& r : s.flight) {
    if (!r.sent && !r.reply && !r.resend && !send(s, r)) return;
  }
  while (!s.waiting_ops.empty() && !s.ended) {
    if (!client_.can_submit()) {
      if (std::find(blocked_.begin(), blocked_.end(), s.id) == blocked_.end()) blocked_.push_back(s.id);
      return;
    }
    const Op& op = s.waiting_ops.front();
    // A Reattach restarts the session's FIFO chain at the replicas (it runs unchecked and
    // becomes their last request, and it moves the session here): it goes alone, after
    // everything before it is answered and before anything after it is sent.
    const bool reattach = std::holds_alternative<Reattach>(op);
    if (!s.flight.empty() && (reattach || s.flight.back().reattaches)) return;
    std::vector<PartitionId> set = oracle_.destinations(op);
    if (!s.flight.empty() && s.flight.back().destinations != set) return;
    const std::uint64_t previous = set == s.last_set ? s.last_seq : 0;
    Request_ r;
    r.seq = s.next_seq++;
    r.destinations = std::move(set);
    r.bytes = encode_request(s, r.seq, previous, op);
    r.closes = std::holds_alternative<CloseSession>(op);
    r.reattaches = reattach;
    if (reattach) {
      s.reattaching = true;
      s.reattach_zxid.reset();
    }
    r.done = std::move(s.waiting_done.front());
    s.waiting_ops.pop_front();
    s.waiting_done.pop_front();
    s.last_seq = r.seq;
    s.last_set = r.destinations;
    s.flight.push_back(std::move(r));
    if (!send(s, s.flight.back())) return;
  }
}

void VoleryClient::pump() {
  std::vector<SessionId> blocked;
  blocked.swap(blocked_);
  for (SessionId id : blocked) {
    if (const auto it = sessions_.find(id); it != sessions_.end()) pump(it->second);
  }
}

bool VoleryClient::send(Session& s, Request_& r) {
  const SessionId id = s.id;
  const std::uint64_t seq = r.seq;
  // Timestamped after the last zxid the session saw, so that its zxids increase along its
  // requests even when they go to ensembles whose final timestamps differ (docs/volery.md).
  const WallTime not_before{std::chrono::nanoseconds(s.last_zxid + 1)};
  const auto submitted = client_.submit(
      r.bytes, r.destinations, [this, id, seq](const partition::CommandResult& result) { on_result(id, seq, result); },
      not_before);
  r.sent = submitted.has_value();
  r.resend = false;
  if (!r.sent && std::find(blocked_.begin(), blocked_.end(), id) == blocked_.end()) blocked_.push_back(id);
  return r.sent;
}

void VoleryClient::on_result(SessionId session, std::uint64_t seq, const partition::CommandResult& result) {
  const auto it = sessions_.find(session);
  if (it == sessions_.end()) return pump();
  Session& s = it->second;
  const auto r = std::find_if(s.flight.begin(), s.flight.end(), [&](const Request_& q) { return q.seq == seq; });
  if (r == s.flight.end() || r->reply) return pump();
  std::string error;
  std::optional<Reply> reply;
  if (result.status == partition::CommandResult::Status::ok) reply = decode_reply(result.body.bytes(), &error);
  if (!reply) {
    // Timed out or refused: the request may run later or never. Its successors cannot rely on
    // it in their FIFO check, so the chain restarts with the next request.
    log_.warn("session {:x} request {} lost: {}", session, seq,
              result.status == partition::CommandResult::Status::timeout ? "timeout" : error);
    r->reply = error_reply(Code::connection_loss);
    s.last_set.clear();
    // A lost Reattach is taken as not run (the numbering stays): should it have run, events
    // until the session's next Reattach are lost. It takes the request timeout to get here.
    if (r->reattaches) s.reattach_zxid = std::numeric_limits<Zxid>::max();
  } else if (reply->status == Reply::Status::out_of_order) {
    out_of_order_.add();
    r->resend = true;
    r->sent = false;
  } else {
    s.last_zxid = std::max(s.last_zxid, reply->zxid);
    r->reply = std::move(*reply);
    if (r->reattaches) {
      // A refused Reattach changed nothing: every parked event is of the current numbering.
      s.reattach_zxid = r->reply->result.code == Code::ok ? r->reply->zxid : std::numeric_limits<Zxid>::max();
    }
  }
  if (s.reattaching && s.reattach_zxid && !unpark(s)) return pump();
  advance(s);
  pump();
}

bool VoleryClient::events_ready(const Session& s, const Reply& reply) const {
  if (options_.unsafe_ignore_marks) return true;
  return std::all_of(reply.marks.begin(), reply.marks.end(), [&](const EventMark& m) {
    const auto it = s.delivered.find(m.partition);
    return it != s.delivered.end() && it->second >= m.events;
  });
}

// Hands out the session's replies in request order, each after the events it names; sends
// again the oldest request when it was answered out_of_order (its predecessors have all run).
void VoleryClient::advance(Session& s) {
  const SessionId id = s.id;
  while (!s.flight.empty()) {
    Request_& front = s.flight.front();
    if (front.resend) {
      send(s, front);
      return;
    }
    if (!front.reply || !events_ready(s, *front.reply)) return;
    Reply reply = std::move(*front.reply);
    ReplyCallback done = std::move(front.done);
    const bool closed = front.closes && reply.result.code == Code::ok;
    const bool reattached = front.reattaches;
    s.flight.pop_front();
    if (closed) s.finished = true;
    if (reattached) {
      s.reattaching = false;
      s.reattach_zxid.reset();
      if (reply.result.code == Code::ok) {
        // The partitions count this session's events from 0 again, from the Reattach on.
        s.delivered.clear();
        s.early.clear();
        s.numbering_since = reply.zxid;
        s.adopted = false;
      } else if (s.adopted) {
        s.finished = true;  // never attached here
      }
    }
    // An expired session refuses what waits; it ends once the expiry notice's events are out.
    if (closed || reply.result.code == Code::session_expired || s.finished) stop(s);
    done(reply);
    // `done` may have submitted more, or dropped the session; events of the new numbering go
    // out after the reply (to the listener `done` may have set up).
    if (!sessions_.contains(id)) return;
    if (reattached && !unpark(s)) return;
  }
  if (!s.finished && expiry_ready(s)) return finish_expiry(id);
  if (s.finished) {
    sessions_.erase(id);
    listeners_.erase(id);
    return;
  }
  pump(s);
}

// No new requests: those not yet numbered fail at once; those in flight still get replies.
void VoleryClient::stop(Session& s) {
  if (s.ended) return;
  s.ended = true;
  std::deque<ReplyCallback> waiting;
  waiting.swap(s.waiting_done);
  s.waiting_ops.clear();
  for (ReplyCallback& done : waiting) answer_locally(s, std::move(done));
}

// session_expired without asking the service (zxid 0), in its turn among the session's replies.
void VoleryClient::answer_locally(Session& s, ReplyCallback done) {
  Request_ r;
  r.reply = error_reply(Code::session_expired);
  r.done = std::move(done);
  r.destinations = s.flight.empty() ? std::vector<PartitionId>{} : s.flight.back().destinations;
  s.flight.push_back(std::move(r));
}

// The expiry notice's events are out: the session ends here (once nothing is in flight).
void VoleryClient::finish_expiry(SessionId session) {
  const auto it = sessions_.find(session);
  if (it == sessions_.end() || it->second.finished) return;
  expirations_.add();
  it->second.finished = true;
  stop(it->second);
  if (on_expired_) on_expired_(session);
  if (const auto l = listeners_.find(session); l != listeners_.end()) {
    const ExpiredCallback fn = std::move(l->second.listener.on_expired);
    listeners_.erase(l);
    if (fn) fn(session);
  }
  const auto again = sessions_.find(session);
  if (again != sessions_.end()) advance(again->second);  // hands out what is ready, then drops it
}

bool VoleryClient::expiry_ready(const Session& s) const {
  // During a Reattach the notice's marks may count either numbering: its hand-out decides.
  if (!s.expiring || s.reattaching) return false;
  Reply marks;
  marks.marks = s.expiring->marks;
  return events_ready(s, marks);
}

void VoleryClient::on_notification(const partition::Emitted& emitted) {
  std::string error;
  const std::optional<Notification> n = decode_notification(emitted.body.bytes(), &error);
  if (!n) {
    log_.warn("undecodable notification from partition {}: {}", emitted.id.partition.value, error);
    return;
  }
  if (const auto* gone = std::get_if<SessionExpired>(&*n)) {
    const auto it = sessions_.find(gone->session);
    if (it == sessions_.end() || it->second.finished) return;
    // Events the partitions sent before the expiry go out first, as ZooKeeper's would.
    it->second.expiring = *gone;
    if (expiry_ready(it->second)) finish_expiry(gone->session);
    return;
  }
  const WatchEvent& event = std::get<WatchEvent>(*n);
  const auto it = sessions_.find(event.session);
  if (it == sessions_.end()) return;  // not held here (any more)
  if (!deliver(it->second, event)) return;
  if (expiry_ready(it->second)) return finish_expiry(event.session);
  advance(it->second);
}

bool VoleryClient::deliver(Session& s, const WatchEvent& event) {
  const SessionId id = s.id;
  if (event.zxid < s.numbering_since) return true;  // numbered before the last Reattach: a late copy
  if (s.reattaching && (!s.reattach_zxid || event.zxid > *s.reattach_zxid)) {
    s.parked.push_back(event);
    return true;
  }
  if (event.number <= s.delivered[event.partition]) return true;
  s.early[event.partition].emplace(event.number, event);
  // Looked up again each turn: callbacks may submit, and a hand-out may restart the numbering.
  for (;;) {
    auto& early = s.early[event.partition];
    std::uint64_t& delivered = s.delivered[event.partition];
    if (early.empty() || early.begin()->first != delivered + 1) return true;
    const WatchEvent next = std::move(early.begin()->second);
    early.erase(early.begin());
    ++delivered;
    s.last_zxid = std::max(s.last_zxid, next.zxid);
    events_.add();
    if (on_event_) on_event_(next);
    if (!sessions_.contains(id)) return false;  // the callback dropped it
    if (const auto l = listeners_.find(id); l != listeners_.end() && l->second.listener.on_event) {
      const EventCallback fn = l->second.listener.on_event;  // a copy: the callback may unlisten
      fn(next);
      if (!sessions_.contains(id)) return false;
    }
  }
}

// Hands out again the parked events that the session's numbering now places (deliver parks
// the others again).
bool VoleryClient::unpark(Session& s) {
  std::vector<WatchEvent> parked;
  parked.swap(s.parked);
  const SessionId id = s.id;
  for (const WatchEvent& e : parked) {
    if (!deliver(s, e)) return false;
  }
  return sessions_.contains(id);
}

void VoleryClient::tick() {
  env_.after(options_.tick_interval, [this] { tick(); });
  if (tick_outstanding_ || !client_.can_submit()) return;
  Tick t;
  for (const auto& [id, s] : sessions_) {
    if (s.renewing && !s.ended) t.renew.push_back(id);
  }
  ReplyCallback observed = tick_observer_ ? tick_observer_(t) : ReplyCallback{};
  const Request request{.session = 0, .seq = 0, .previous = 0, .gateway = env_.self(), .auth = {}, .op = std::move(t)};
  const auto on_reply = [this, observed = std::move(observed)](const partition::CommandResult& r) {
    tick_outstanding_ = false;
    std::string error;
    std::optional<Reply> reply;
    if (r.status == partition::CommandResult::Status::ok) reply = decode_reply(r.body.bytes(), &error);
    if (!reply) return;
    if (observed) observed(*reply);
    // Sessions held here that this tick expired learn it from the SessionExpired notice, which
    // says which events to hand out first.
    pump();
  };
  tick_outstanding_ = client_.submit(encode(request), oracle_.placement().partitions(), on_reply).has_value();
}

void VoleryClient::check_invariants() const {
  client_.check_invariants();
  for (const auto& [id, s] : sessions_) {
    for (const Request_& r : s.flight) EYRIE_ASSERT(r.destinations == s.flight.front().destinations || r.reply);
    EYRIE_ASSERT(s.waiting_ops.size() == s.waiting_done.size());
    EYRIE_ASSERT(s.reattaching || (s.parked.empty() && !s.reattach_zxid));
    const auto reattaches = std::count_if(s.flight.begin(), s.flight.end(), [](const Request_& r) { return r.reattaches; });
    EYRIE_ASSERT(reattaches == (s.reattaching ? 1 : 0));
    EYRIE_ASSERT(!s.reattaching || s.flight.front().reattaches);  // sent alone, answered first
  }
}

}  // namespace eyrie::volery
