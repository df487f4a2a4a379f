#include "partition/reply_cache.hpp"

#include <algorithm>

#include "runtime/assert.hpp"

namespace eyrie::partition {

ReplyCache::Lookup ReplyCache::admit(const Command& command, std::uint64_t position) {
  auto it = clients_.find(command.client_id);
  if (it == clients_.end()) {
    if (clients_.size() >= clients_max_) {
      const auto idlest = std::min_element(clients_.begin(), clients_.end(), [](const auto& a, const auto& b) {
        return a.second.last_position < b.second.last_position;
      });
      clients_.erase(idlest);
    }
    it = clients_.emplace(command.client_id, Client{}).first;
  }
  Client& c = it->second;
  c.last_position = position;
  if (command.acked_below > c.acked_below) {
    c.acked_below = command.acked_below;
    c.replies.erase(c.replies.begin(), c.replies.lower_bound(c.acked_below));
  }
  if (command.seq < c.acked_below) return {Seen::acknowledged, nullptr};
  if (const auto r = c.replies.find(command.seq); r != c.replies.end()) return {Seen::answered, &r->second};
  return {};
}

void ReplyCache::store(const Command& command, Reply reply) {
  auto it = clients_.find(command.client_id);
  if (it == clients_.end() || command.seq < it->second.acked_below) return;  // forgotten meanwhile
  auto& replies = it->second.replies;
  replies.insert_or_assign(command.seq, std::move(reply));
  while (replies.size() > replies_max_) replies.erase(replies.begin());
}

void ReplyCache::check_invariants() const {
  EYRIE_ASSERT(clients_.size() <= clients_max_);
  for (const auto& [id, c] : clients_) {
    EYRIE_ASSERT(c.replies.size() <= replies_max_);
    EYRIE_ASSERT(c.replies.empty() || c.replies.begin()->first >= c.acked_below);
  }
}

}  // namespace eyrie::partition
