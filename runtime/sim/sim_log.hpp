#pragma once
// Log sink of a simulation: every line is prefixed with the virtual time, and the component
// names the node ("n3.echo"). Silent unless given an output: a batch of thousands of seeds
// prints nothing, and `eyrie sim ... --seed N --verbose` replays one seed with all its logs.

#include <cstdio>
#include <functional>

#include "runtime/log.hpp"
#include "runtime/types.hpp"

namespace eyrie::sim {

class SimLogSink final : public LogSink {
 public:
  // `now` reads the simulator's virtual time; `out` may be null (discard everything).
  SimLogSink(std::function<Time()> now, std::FILE* out) : now_(std::move(now)), out_(out) {}

  void write(LogLevel level, std::string_view component, std::string_view text) override;
  bool enabled() const { return out_ != nullptr; }

 private:
  std::function<Time()> now_;
  std::FILE* out_;
};

}  // namespace eyrie::sim
