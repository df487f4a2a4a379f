#include "runtime/net/stop_signal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <system_error>

#include "runtime/assert.hpp"

namespace eyrie::net {

namespace {

// The handler can reach only globals. These are the process-wide signal state, written before
// the handler is installed and cleared after it is removed.
std::atomic<int> g_write_fd{-1};
std::atomic<int> g_received{0};

void on_stop_signal(int signal) {
  const int saved_errno = errno;  // the interrupted code may be about to read errno
  g_received.store(signal);
  const int fd = g_write_fd.load();
  if (fd >= 0) {
    const char byte = 1;
    // A full pipe already holds a wake-up byte, so a failed write loses nothing.
    [[maybe_unused]] const ssize_t n = ::write(fd, &byte, 1);
  }
  errno = saved_errno;
}

}  // namespace

StopSignal::StopSignal() {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  int expected = -1;
  EYRIE_ASSERT(g_write_fd.compare_exchange_strong(expected, write_fd_), "only one StopSignal at a time");
  g_received.store(0);
  struct sigaction action {};
  action.sa_handler = &on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, &previous_int_);
  ::sigaction(SIGTERM, &action, &previous_term_);
}

StopSignal::~StopSignal() {
  if (loop_) loop_->unwatch(watch_);
  ::sigaction(SIGINT, &previous_int_, nullptr);
  ::sigaction(SIGTERM, &previous_term_, nullptr);
  g_write_fd.store(-1);
  ::close(read_fd_);
  ::close(write_fd_);
}

void StopSignal::stop_on_signal(EventLoop& loop) {
  EYRIE_ASSERT(loop_ == nullptr);
  loop_ = &loop;
  watch_ = loop.watch_fd(read_fd_, ZMQ_POLLIN, [this](short) {
    char buffer[64];
    while (::read(read_fd_, buffer, sizeof buffer) > 0) {
    }
    loop_->stop();
  });
}

int StopSignal::received() const { return g_received.load(); }

}  // namespace eyrie::net
