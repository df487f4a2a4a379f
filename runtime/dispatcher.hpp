#pragma once
// Routes messages to the role that owns their type. Runtime-level code (the real node host and
// the simulator) uses it so that neither needs to know any protocol.

#include <vector>

#include "runtime/env.hpp"

namespace eyrie {

class Dispatcher {
 public:
  // Precondition: the role's type ranges overlap no range already added.
  void add(Role& role);
  // The role that owns `type`, or nullptr.
  Role* find(MessageType type) const;
  const std::vector<Role*>& roles() const { return roles_; }

 private:
  struct Route {
    MessageTypeRange range;
    Role* role;
  };
  std::vector<Route> routes_;
  std::vector<Role*> roles_;
};

}  // namespace eyrie
