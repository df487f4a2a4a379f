#include "experiments/multicast_load.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "experiments/load_payload.hpp"
#include "multicast/message_types.hpp"
#include "runtime/assert.hpp"

namespace eyrie::experiments {

namespace {
constexpr std::array<MessageTypeRange, 1> kTypes{multicast::kRidgeTypes};
// Pacing granularity: the event loop's timers are precise to about a millisecond.
constexpr Duration kTick = std::chrono::milliseconds(1);
}  // namespace

MulticastLoad::MulticastLoad(Env& env, const multicast::RidgeConfig& config, MulticastLoadOptions options)
    : env_(env),
      window_(options.outstanding_max == 0 ? config.sender_window_max
                                           : std::min(options.outstanding_max, config.sender_window_max)),
      options_(std::move(options)),
      sender_(env, config, multicast::Multicaster::Options{}) {
  EYRIE_ASSERT(!options_.groups.empty() && options_.global_percent <= 100);
  sender_.set_on_acknowledged([this](const multicast::MessageId& id) {
    ++acknowledged_;
    unacknowledged_.erase(id.seq);
    if (mode_ == Mode::max) issue(window_);
  });
}

std::span<const MessageTypeRange> MulticastLoad::message_types() const { return kTypes; }

void MulticastLoad::start() {
  sender_.start();
  env_.after(kTick, [this] { tick(); });
}

void MulticastLoad::run_paced(double rate_per_s) {
  EYRIE_ASSERT(rate_per_s > 0);
  mode_ = Mode::paced;
  rate_per_s_ = rate_per_s;
  paced_since_ = env_.now();
  paced_sent_ = 0;
}

void MulticastLoad::run_max() {
  mode_ = Mode::max;
  issue(window_);
}

void MulticastLoad::pause() { mode_ = Mode::paused; }

std::uint64_t MulticastLoad::sent_to(multicast::GroupId group) const {
  const auto it = sent_to_.find(group);
  return it == sent_to_.end() ? 0 : it->second;
}

void MulticastLoad::tick() {
  if (mode_ == Mode::paced) {
    const double elapsed_s = std::chrono::duration<double>(env_.now() - paced_since_).count();
    const auto due = static_cast<std::uint64_t>(std::floor(rate_per_s_ * elapsed_s));
    if (due > paced_sent_) issue(std::min<std::uint64_t>(due - paced_sent_, window_));
  } else if (mode_ == Mode::max) {
    issue(window_);
  }
  env_.after(kTick, [this] { tick(); });
}

void MulticastLoad::issue(std::uint64_t count) {
  for (std::uint64_t i = 0; i < count && issue_one(); ++i) {
  }
}

bool MulticastLoad::issue_one() {
  if (!sender_.ready() || sender_.outstanding() >= window_) return false;
  const std::uint64_t index = sent_ + 1;
  std::vector<multicast::GroupId> destinations = destinations_of(index);
  // The index is the seq for an external sender (fresh id, seqs from 1); see load_payload.hpp.
  Payload payload = make_load_payload(index, options_.size_bytes, phase_);
  const std::optional<multicast::MessageId> id = sender_.multicast(destinations, payload);
  if (!id) return false;
  EYRIE_ASSERT(!env_.self().is_external() || id->seq == index, "an external sender's seqs run 1, 2, ...");
  ++sent_;
  ++paced_sent_;
  unacknowledged_.insert(id->seq);
  for (multicast::GroupId g : destinations) ++sent_to_[g];
  if (options_.on_sent) options_.on_sent(*id, destinations, payload);
  return true;
}

std::vector<multicast::GroupId> MulticastLoad::destinations_of(std::uint64_t index) const {
  const auto& groups = options_.groups;
  if (groups.size() > 1 && index % 100 < options_.global_percent) {
    std::vector<multicast::GroupId> all = groups;
    std::sort(all.begin(), all.end());
    return all;
  }
  return {groups[index % groups.size()]};
}

void MulticastLoad::check_invariants() const {
  sender_.check_invariants();
  EYRIE_ASSERT(acknowledged_ + unacknowledged_.size() == sent_);
}

}  // namespace eyrie::experiments
