#pragma once
// ProbeRole: a scriptable role for tests of the simulator's rules. It records what it sees in a
// journal that outlives the role (and so survives crashes), and runs test-provided hooks.

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "runtime/env.hpp"
#include "runtime/sim/simulator.hpp"

namespace eyrie::sim::testing {

inline constexpr MessageType kProbe{4000};
inline constexpr MessageTypeRange kProbeTypes{MessageType{4000}, MessageType{4099}};

struct Seen {
  Time at;
  NodeId node;
  NodeId from;
  std::string body;
};

// What the probes of one test observed; owned by the test, so it outlives every incarnation.
struct Journal {
  std::vector<Seen> seen;
  std::uint64_t invariant_checks = 0;
};

class ProbeRole final : public Role {
 public:
  using OnStart = std::function<void(Env&)>;
  using OnMessage = std::function<void(Env&, const Message&)>;

  ProbeRole(Env& env, Journal& journal, OnStart on_start = {}, OnMessage on_message = {})
      : env_(env), journal_(journal), on_start_(std::move(on_start)), on_message_(std::move(on_message)) {}

  std::string_view name() const override { return "probe"; }
  std::span<const MessageTypeRange> message_types() const override { return types_; }
  void start() override {
    if (on_start_) on_start_(env_);
  }
  void on_message(const Message& message) override {
    journal_.seen.push_back(Seen{env_.now(), env_.self(), message.from, std::string(message.payload.as_string_view())});
    if (on_message_) on_message_(env_, message);
  }
  void check_invariants() const override { ++journal_.invariant_checks; }

 private:
  std::array<MessageTypeRange, 1> types_{kProbeTypes};
  Env& env_;
  Journal& journal_;
  OnStart on_start_;
  OnMessage on_message_;
};

// A factory of one ProbeRole.
inline RoleFactory probe(Journal& journal, ProbeRole::OnStart on_start = {},
                         ProbeRole::OnMessage on_message = {}) {
  return [&journal, on_start, on_message](Env& env) {
    std::vector<std::unique_ptr<Role>> roles;
    roles.push_back(std::make_unique<ProbeRole>(env, journal, on_start, on_message));
    return roles;
  };
}

// A network with a fixed 1 ms latency and no loss: rules are easier to state without noise.
inline SimOptions quiet_options(std::uint64_t seed = 1) {
  SimOptions options;
  options.seed = seed;
  options.network.latency = LatencyModel{.base = std::chrono::milliseconds(1), .jitter = Duration::zero()};
  options.disk.sync_latency_min = std::chrono::milliseconds(1);
  options.disk.sync_latency_max = std::chrono::milliseconds(1);
  return options;
}

inline Payload text(std::string_view s) { return Payload::copy_of(s); }

}  // namespace eyrie::sim::testing
