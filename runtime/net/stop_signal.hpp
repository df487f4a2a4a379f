#pragma once
// StopSignal: turns SIGINT and SIGTERM into a readable descriptor (the self-pipe trick), so the
// event loop can stop cleanly between turns instead of being killed mid-write.
//
// A self-pipe rather than signalfd: signalfd needs the signals blocked in every thread, and
// ZeroMQ starts its I/O threads before the node could block them; a handler that writes one
// byte to a non-blocking pipe works whichever thread the kernel picks.
//
// At most one StopSignal exists at a time (the handler is process-wide); the destructor
// restores the previous handlers.

#include <csignal>

#include "runtime/net/event_loop.hpp"

namespace eyrie::net {

class StopSignal {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // Stops `loop` when SIGINT or SIGTERM arrives. The watch lives as long as this object.
  void stop_on_signal(EventLoop& loop);
  // The signal that arrived, or 0.
  int received() const;

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
  EventLoop* loop_ = nullptr;
  WatchId watch_{};
};

}  // namespace eyrie::net
