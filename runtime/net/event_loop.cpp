#include "runtime/net/event_loop.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <system_error>

#include <sys/timerfd.h>
#include <unistd.h>

#include "runtime/assert.hpp"

namespace eyrie::net {

EventLoop::EventLoop() : timer_fd_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
  if (timer_fd_ < 0) throw std::system_error(errno, std::generic_category(), "timerfd_create");
}

EventLoop::~EventLoop() {
  if (timer_fd_ >= 0) ::close(timer_fd_);
}

Time EventLoop::now() {
  return Time{std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch())};
}

TimerId EventLoop::after(Duration delay, Callback fn) {
  const std::uint64_t id = next_timer_++;
  const Time due = now() + std::max(delay, Duration::zero());
  timers_.emplace(TimerKey{due, id}, std::move(fn));
  timer_due_.emplace(id, due);
  return TimerId{id};
}

void EventLoop::cancel(TimerId id) {
  auto it = timer_due_.find(id.value);
  if (it == timer_due_.end()) return;
  timers_.erase(TimerKey{it->second, id.value});
  timer_due_.erase(it);
}

void EventLoop::defer(Callback fn) { deferred_.push_back(std::move(fn)); }

WatchId EventLoop::watch_fd(int fd, short events, ReadyFn fn) {
  EYRIE_ASSERT(fd >= 0);
  const std::uint64_t id = next_watch_++;
  watches_.emplace(id, Watch{.socket = nullptr, .fd = fd, .events = events, .fn = std::move(fn)});
  return WatchId{id};
}

WatchId EventLoop::watch_socket(zmq::socket_t& socket, short events, ReadyFn fn) {
  const std::uint64_t id = next_watch_++;
  watches_.emplace(id, Watch{.socket = socket.handle(), .fd = -1, .events = events, .fn = std::move(fn)});
  return WatchId{id};
}

void EventLoop::unwatch(WatchId id) { watches_.erase(id.value); }

void EventLoop::at_turn_end(Callback hook) { turn_end_hooks_.push_back(std::move(hook)); }

void EventLoop::run() {
  while (!stopped_) run_turn(std::chrono::hours(1));
}

bool EventLoop::run_until(const std::function<bool()>& done, Time deadline) {
  while (!done()) {
    const Time current = now();
    if (stopped_ || current >= deadline) return false;
    run_turn(deadline - current);
  }
  return true;
}

void EventLoop::run_turn(Duration max_wait) {
  const int timeout_ms = poll_timeout_ms(max_wait);
  woken_ = false;  // this turn's hooks will see whatever asked for it
  poll_and_dispatch(timeout_ms);
  fire_due_timers();
  run_deferred();
  for (const Callback& hook : turn_end_hooks_) hook();
}

int EventLoop::poll_timeout_ms(Duration max_wait) const {
  if (!deferred_.empty() || stopped_ || woken_) return 0;
  Duration wait = max_wait;
  if (!timers_.empty()) wait = std::min(wait, timers_.begin()->first.first - now());
  if (wait <= Duration::zero()) return 0;
  // Round up: waking before the timer is due would only spin.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  return static_cast<int>(std::min<std::int64_t>(ms, 60'000));
}

void EventLoop::poll_and_dispatch(int timeout_ms) {
  poll_items_.clear();
  poll_ids_.clear();
  // The earliest timer, to the microsecond (the millisecond timeout below is only a backstop).
  if (timeout_ms > 0 && !timers_.empty() && timers_.begin()->first.first != timer_fd_armed_for_) {
    const Time due = timers_.begin()->first.first;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(due.time_since_epoch()).count();
    itimerspec spec{};
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
    timer_fd_armed_for_ = due;
  }
  poll_items_.push_back(zmq_pollitem_t{nullptr, timer_fd_, ZMQ_POLLIN, 0});
  poll_ids_.push_back(0);  // no watch has id 0
  for (const auto& [id, watch] : watches_) {
    poll_items_.push_back(zmq_pollitem_t{watch.socket, watch.fd, watch.events, 0});
    poll_ids_.push_back(id);
  }
  const int ready = zmq_poll(poll_items_.data(), static_cast<int>(poll_items_.size()), timeout_ms);
  if (ready < 0) {
    // A signal interrupted the wait (the stop signal's pipe will be readable next turn).
    if (zmq_errno() == EINTR) return;
    throw zmq::error_t();
  }
  for (std::size_t i = 0; i < poll_items_.size() && ready > 0; ++i) {
    const short revents = poll_items_[i].revents;
    if (revents == 0) continue;
    if (poll_ids_[i] == 0) {
      std::uint64_t expirations = 0;
      (void)!::read(timer_fd_, &expirations, sizeof expirations);  // clears it; the timers fire below
      timer_fd_armed_for_ = Time{};
      continue;
    }
    auto it = watches_.find(poll_ids_[i]);  // an earlier callback may have removed it
    if (it == watches_.end()) continue;
    const ReadyFn fn = it->second.fn;       // the callback may unwatch itself
    guarded("watch", [&] { fn(revents); });
  }
}

void EventLoop::fire_due_timers() {
  // Only timers due when the phase starts: one a callback sets with no delay waits for the next
  // turn, which keeps a turn bounded.
  const Time current = now();
  due_timers_.clear();
  for (auto it = timers_.begin(); it != timers_.end() && it->first.first <= current; ++it) {
    due_timers_.push_back(it->first);
  }
  for (const TimerKey& key : due_timers_) {
    auto it = timers_.find(key);
    if (it == timers_.end()) continue;  // cancelled by an earlier timer of this phase
    Callback fn = std::move(it->second);
    timers_.erase(it);
    timer_due_.erase(key.second);
    guarded("timer", fn);
  }
}

void EventLoop::run_deferred() {
  // Only calls queued before this phase: those they queue wait for the next turn.
  std::size_t count = deferred_.size();
  while (count-- > 0 && !deferred_.empty()) {
    Callback fn = std::move(deferred_.front());
    deferred_.pop_front();
    guarded("deferred call", fn);
  }
}

void EventLoop::guarded(std::string_view where, const Callback& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    if (!on_exception_) throw;
    on_exception_(where, e.what());
  } catch (...) {
    if (!on_exception_) throw;
    on_exception_(where, "an exception that is not a std::exception");
  }
}

}  // namespace eyrie::net
