#pragma once
// FakeEnv: an Env for unit tests of one ensemble part, driven by hand: sends are recorded,
// timers and storage syncs run only when the test says so. Storage is a MemoryStorage whose
// completions wait in a queue, so "nothing leaves before it is durable" can be observed.

#include <deque>
#include <map>
#include <vector>

#include "runtime/env.hpp"

namespace eyrie::multicast::testing {

struct Sent {
  NodeId to;
  MessageType type;
  Payload payload;
};

class FakeEnv final : public Env {
 public:
  explicit FakeEnv(NodeId self)
      : self_(self), storage_([this](std::function<void()> done) { syncs_.push_back(std::move(done)); }),
        logger_(sink_, "fake", LogLevel::off) {}

  NodeId self() const override { return self_; }
  Time now() const override { return now_; }
  WallTime wall_clock() const override { return WallTime{now_.time_since_epoch()}; }
  void send(NodeId to, MessageType type, Payload payload) override { sent.push_back(Sent{to, type, std::move(payload)}); }
  TimerId after(Duration delay, TimerFn fn) override {
    const TimerId id{next_timer_++};
    timers_.emplace(id, Timer{now_ + delay, std::move(fn)});
    return id;
  }
  void cancel(TimerId id) override { timers_.erase(id); }
  Rng& rng() override { return rng_; }
  Storage& storage() override { return storage_; }
  Logger& log() override { return logger_; }
  Metrics& metrics() override { return metrics_; }

  // Completes every sync requested so far (the disk caught up).
  void complete_syncs() {
    while (!syncs_.empty()) {
      auto done = std::move(syncs_.front());
      syncs_.pop_front();
      done();
    }
  }
  std::size_t pending_syncs() const { return syncs_.size(); }
  // Advances time, firing due timers in order.
  void advance(Duration d) {
    const Time end = now_ + d;
    while (true) {
      auto next = timers_.end();
      for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->second.at <= end && (next == timers_.end() || it->second.at < next->second.at)) next = it;
      }
      if (next == timers_.end()) break;
      now_ = next->second.at;
      TimerFn fn = std::move(next->second.fn);
      timers_.erase(next);
      fn();
    }
    now_ = end;
  }
  std::vector<Sent> take_sent() { return std::exchange(sent, {}); }

  std::vector<Sent> sent;

 private:
  struct Timer {
    Time at;
    TimerFn fn;
  };
  NodeId self_;
  Time now_{};
  MemoryStorage storage_;
  std::deque<std::function<void()>> syncs_;
  NullLogSink sink_;
  Logger logger_;
  Metrics metrics_;
  Rng rng_{1};
  std::map<TimerId, Timer> timers_;
  std::uint64_t next_timer_ = 1;
};

}  // namespace eyrie::multicast::testing
