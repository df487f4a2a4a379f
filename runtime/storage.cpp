#include "runtime/storage.hpp"

namespace eyrie {

std::optional<Payload> KeyValueMap::get(std::string_view key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void KeyValueMap::put(std::string_view key, Payload value) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    bytes_ -= it->first.size() + it->second.size();
    bytes_ += key.size() + value.size();
    it->second = std::move(value);
    return;
  }
  bytes_ += key.size() + value.size();
  entries_.emplace(std::string(key), std::move(value));
}

void KeyValueMap::erase(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  bytes_ -= it->first.size() + it->second.size();
  entries_.erase(it);
}

void KeyValueMap::scan(std::string_view prefix, const Storage::Visitor& visit) const {
  for (auto it = entries_.lower_bound(prefix); it != entries_.end(); ++it) {
    if (std::string_view(it->first).substr(0, prefix.size()) != prefix) break;
    visit(it->first, it->second);
  }
}

}  // namespace eyrie
