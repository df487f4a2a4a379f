#include "runtime/dispatcher.hpp"

#include "runtime/assert.hpp"

namespace eyrie {

void Dispatcher::add(Role& role) {
  for (const MessageTypeRange& range : role.message_types()) {
    EYRIE_ASSERT(range.first <= range.last);
    for (const Route& route : routes_) {
      EYRIE_ASSERT(range.last < route.range.first || route.range.last < range.first,
                   "two roles of one node claim the same message types");
    }
    routes_.push_back(Route{range, &role});
  }
  roles_.push_back(&role);
}

Role* Dispatcher::find(MessageType type) const {
  for (const Route& route : routes_) {
    if (route.range.contains(type)) return route.role;
  }
  return nullptr;
}

}  // namespace eyrie
