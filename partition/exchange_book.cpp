#include "partition/exchange_book.hpp"

#include <algorithm>

#include "runtime/assert.hpp"

namespace eyrie::partition {

ExchangeBook::Received& ExchangeBook::entry(const CommandKey& key) {
  auto it = inbox_.find(key);
  if (it != inbox_.end()) return it->second;
  while (inbox_.size() >= inbox_max_ && !inbox_order_.empty()) {
    dropped_ += inbox_.erase(inbox_order_.front());
    inbox_order_.pop_front();
  }
  inbox_order_.push_back(key);
  // The order queue may hold keys of finished commands; keep it within twice the map.
  if (inbox_order_.size() > 2 * inbox_max_ + 16) {
    std::erase_if(inbox_order_, [this](const CommandKey& k) { return !inbox_.contains(k); });
  }
  return inbox_.emplace(key, Received{}).first->second;
}

bool ExchangeBook::receive(const Exchange& m) {
  if (finished_.contains(m.command)) return false;
  Received& r = entry(m.command);
  r.signals.insert(m.partition);
  for (const ObjectValue& v : m.values) {
    // A full value (from a pull) is worth more than a later "your cache is current".
    const auto it = r.values.find(v.id);
    if (it != r.values.end() && v.cached && !it->second.cached) continue;
    r.values.insert_or_assign(v.id, v);
  }
  if (m.verdict != Verdict::none) r.verdicts.insert_or_assign(m.partition, VerdictOf{m.verdict, m.missing, m.error});
  return true;
}

ExchangeBook::Received& ExchangeBook::received(const CommandKey& key) { return entry(key); }

void ExchangeBook::finished(const CommandKey& key) {
  inbox_.erase(key);
  if (!finished_.insert(key).second) return;
  finished_order_.push_back(key);
  while (finished_order_.size() > inbox_max_) {
    finished_.erase(finished_order_.front());
    finished_order_.pop_front();
  }
}

void ExchangeBook::sent(const Exchange& m) {
  auto it = outbox_.find(m.command);
  if (it == outbox_.end()) {
    while (outbox_.size() >= outbox_max_ && !outbox_order_.empty()) {
      outbox_.erase(outbox_order_.front());
      outbox_order_.pop_front();
    }
    outbox_order_.push_back(m.command);
    it = outbox_.emplace(m.command, Exchange{.command = m.command, .partition = m.partition}).first;
  }
  Exchange& record = it->second;
  record.signal = record.signal || m.signal;
  record.values.insert(record.values.end(), m.values.begin(), m.values.end());
  if (m.verdict != Verdict::none) {
    record.verdict = m.verdict;
    record.missing = m.missing;
    record.error = m.error;
  }
}

const Exchange* ExchangeBook::sent_for(const CommandKey& key) const {
  const auto it = outbox_.find(key);
  return it == outbox_.end() ? nullptr : &it->second;
}

void ExchangeBook::check_invariants() const {
  EYRIE_ASSERT(inbox_.size() <= inbox_max_);
  EYRIE_ASSERT(outbox_.size() <= outbox_max_ && outbox_.size() == outbox_order_.size());
  EYRIE_ASSERT(finished_.size() <= inbox_max_ && finished_.size() == finished_order_.size());
}

}  // namespace eyrie::partition
