#pragma once
// RealEnv: the Env of a real process. Time is std::chrono::steady_clock (now) and
// system_clock (wall_clock), randomness is seeded from the OS, send goes to the ZeroMQ
// transport, timers to the event loop. Everything it hands out belongs to the node host.

#include "runtime/env.hpp"
#include "runtime/net/event_loop.hpp"
#include "runtime/net/zmq_transport.hpp"

namespace eyrie::net {

// 64 bits from the kernel's CSPRNG (getrandom), for seeds and external endpoint ids.
std::uint64_t os_random_u64();

class RealEnv final : public Env {
 public:
  RealEnv(EventLoop& loop, ZmqTransport& transport, Storage& storage, Logger log, Metrics& metrics)
      : loop_(loop), transport_(transport), storage_(storage), log_(std::move(log)), metrics_(metrics),
        rng_(os_random_u64()) {}

  NodeId self() const override { return transport_.self(); }
  Time now() const override { return EventLoop::now(); }
  WallTime wall_clock() const override;
  void send(NodeId to, MessageType type, Payload payload) override {
    transport_.send(to, type, std::move(payload));
  }
  TimerId after(Duration delay, TimerFn fn) override { return loop_.after(delay, std::move(fn)); }
  void cancel(TimerId id) override { loop_.cancel(id); }
  Rng& rng() override { return rng_; }
  Storage& storage() override { return storage_; }
  Logger& log() override { return log_; }
  Metrics& metrics() override { return metrics_; }

 private:
  EventLoop& loop_;
  ZmqTransport& transport_;
  Storage& storage_;
  Logger log_;
  Metrics& metrics_;
  Rng rng_;
};

}  // namespace eyrie::net
