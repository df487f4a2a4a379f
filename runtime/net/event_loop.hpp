#pragma once
// EventLoop: the single thread that runs a node. Each turn it
//   1. polls its ZeroMQ sockets and plain file descriptors (waiting at most until the next
//      timer, or not at all when deferred work is pending),
//   2. runs the callbacks of ready sockets and descriptors,
//   3. fires the timers that are due, then the deferred calls queued before this phase,
//   4. runs the turn-end hooks (the transport flushes its packed frames, the storage commits).
// Timers are precise to the microsecond: zmq_poll waits in whole milliseconds, so the next
// timer is also armed on a timerfd that the poll watches (sub-millisecond waits such as
// Ridge's coordinator hold and optimistic wait would otherwise stretch to a millisecond).
//
// Work per turn is bounded: a timer or deferred call added during a turn runs in a later turn,
// and socket readers bound their own batches (TransportConfig::receive_batch_max), so a flood
// on one input cannot starve timers or sends.
//
// Callbacks that run role code (timers, deferred calls, descriptor callbacks) are guarded: an
// exception is handed to the exception handler (the node host logs and counts it) and the loop
// goes on. Turn-end hooks are not guarded: they belong to the runtime, and an exception there
// (a failed fdatasync) must stop the node.

#include <zmq.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/types.hpp"

namespace eyrie::net {

struct WatchId : StrongId<struct WatchIdTag> {
  using StrongId::StrongId;
};

class EventLoop {
 public:
  using Callback = std::function<void()>;
  // Called with the poll events that are ready (ZMQ_POLLIN, ZMQ_POLLOUT, ZMQ_POLLERR).
  using ReadyFn = std::function<void(short ready)>;
  using ExceptionHandler = std::function<void(std::string_view where, std::string_view what)>;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  static Time now();

  // One-shot timer; fires in a turn after `delay` has passed.
  TimerId after(Duration delay, Callback fn);
  void cancel(TimerId id);
  // Runs `fn` from the loop in the next deferred phase, in FIFO order. Never runs it inline.
  // Unbounded by itself: each producer bounds what it defers (see its header).
  void defer(Callback fn);
  std::size_t deferred_count() const { return deferred_.size(); }

  // Watches a plain descriptor (a TCP listener, a pipe) for `events` (ZMQ_POLLIN/ZMQ_POLLOUT).
  WatchId watch_fd(int fd, short events, ReadyFn fn);
  // Watches a ZeroMQ socket; the socket must outlive the watch.
  WatchId watch_socket(zmq::socket_t& socket, short events, ReadyFn fn);
  // A no-op for an unknown id. Safe to call from any callback, including the watched one's.
  void unwatch(WatchId id);

  // Hooks run at the end of every turn, in the order added.
  void at_turn_end(Callback hook);
  // Makes the next poll return at once. Whoever queues work for a turn-end hook calls it, so
  // that work queued from outside a turn (a test, a client's main) is not held up by a wait.
  void wake() { woken_ = true; }
  void set_exception_handler(ExceptionHandler handler) { on_exception_ = std::move(handler); }

  // Runs turns until stop().
  void run();
  // Runs turns until `done()` holds (checked after every turn), stop() or `deadline`.
  // Returns done().
  bool run_until(const std::function<bool()>& done, Time deadline);
  // One turn, waiting at most `max_wait` for input.
  void run_turn(Duration max_wait);
  // Makes run() and run_until() return after the current turn; sticky.
  void stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

 private:
  struct Watch {
    void* socket = nullptr;  // a zmq socket handle, or null for a plain descriptor
    int fd = -1;
    short events = 0;
    ReadyFn fn;
  };
  using TimerKey = std::pair<Time, std::uint64_t>;  // due time, then creation order

  int poll_timeout_ms(Duration max_wait) const;
  void poll_and_dispatch(int timeout_ms);
  void fire_due_timers();
  void run_deferred();
  void guarded(std::string_view where, const Callback& fn);

  std::map<TimerKey, Callback> timers_;
  std::unordered_map<std::uint64_t, Time> timer_due_;  // timer id -> due, for cancel
  std::uint64_t next_timer_ = 1;
  std::deque<Callback> deferred_;
  std::map<std::uint64_t, Watch> watches_;
  std::uint64_t next_watch_ = 1;
  std::vector<Callback> turn_end_hooks_;
  ExceptionHandler on_exception_;
  bool stopped_ = false;
  bool woken_ = false;
  std::vector<zmq_pollitem_t> poll_items_;  // reused between turns
  std::vector<std::uint64_t> poll_ids_;
  std::vector<TimerKey> due_timers_;
  int timer_fd_ = -1;        // armed for the earliest timer (CLOCK_MONOTONIC, as steady_clock)
  Time timer_fd_armed_for_{};  // the due time armed, to avoid re-arming every turn
};

}  // namespace eyrie::net
