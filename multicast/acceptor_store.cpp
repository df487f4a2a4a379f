#include "multicast/acceptor_store.hpp"

#include <fmt/format.h>

#include <cstring>
#include <stdexcept>

#include "multicast/ensemble.capnp.h"
#include "multicast/wire.hpp"
#include "runtime/capnp_codec.hpp"

namespace eyrie::multicast {

namespace {

Payload encode_u64(std::uint64_t v) {
  std::array<std::byte, 8> bytes{};
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
  return Payload::copy_of(bytes);
}

std::uint64_t decode_u64(const Payload& p, std::string_view key) {
  if (p.size() != 8) throw std::runtime_error(fmt::format("acceptor record {} has {} bytes, not 8", key, p.size()));
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(p.bytes()[i]) << (8 * i);
  return v;
}

// Parses the hex instance at the end of a key written by vote_key/decided_key.
Instance instance_of_key(std::string_view key) {
  const std::size_t slash = key.rfind('/');
  const std::string hex(key.substr(slash + 1));
  if (hex.size() != 16) throw std::runtime_error(fmt::format("acceptor key {} has no instance", key));
  return Instance{std::stoull(hex, nullptr, 16)};
}

}  // namespace

AcceptorStore::AcceptorStore(Storage& storage, EnsembleId ensemble)
    : storage_(storage), prefix_(fmt::format("ridge/acc/{}/", ensemble.value)) {}

std::string AcceptorStore::vote_key(Instance instance) const { return fmt::format("{}vote/{:016x}", prefix_, instance.value); }
std::string AcceptorStore::decided_key(Instance instance) const { return fmt::format("{}dec/{:016x}", prefix_, instance.value); }

StoredAcceptorState AcceptorStore::load() const {
  StoredAcceptorState state;
  if (auto p = storage_.get(prefix_ + "promised")) state.promised = Round{decode_u64(*p, "promised")};
  if (auto p = storage_.get(prefix_ + "trimmed")) state.trimmed_below = Instance{decode_u64(*p, "trimmed")};
  storage_.scan(prefix_ + "vote/", [&](std::string_view key, const Payload& value) {
    StoredVote vote;
    std::string error;
    const bool ok = read_capnp<wire::Vote>(value, [&](wire::Vote::Reader in) {
      vote.round = Round{in.getRound()};
      vote.value = read_batch(in.getValue());
    }, &error);
    if (!ok) throw std::runtime_error(fmt::format("acceptor record {} unreadable: {}", key, error));
    state.votes[instance_of_key(key)] = std::move(vote);
  });
  storage_.scan(prefix_ + "dec/", [&](std::string_view key, const Payload& value) {
    auto it = state.votes.find(instance_of_key(key));
    if (it != state.votes.end() && it->second.round == Round{decode_u64(value, key)}) it->second.decided = true;
  });
  return state;
}

void AcceptorStore::save_promise(Round round) { storage_.put(prefix_ + "promised", encode_u64(round.value)); }

void AcceptorStore::save_vote(Instance instance, Round round, const Batch& value) {
  capnp::MallocMessageBuilder builder;
  auto vote = builder.initRoot<wire::Vote>();
  vote.setInstance(instance.value);
  vote.setRound(round.value);
  write_batch(vote.initValue(), value);
  storage_.put(vote_key(instance), encode_capnp(builder));
}

void AcceptorStore::save_decided(Instance instance, Round round) { storage_.put(decided_key(instance), encode_u64(round.value)); }

void AcceptorStore::save_trimmed(Instance below) { storage_.put(prefix_ + "trimmed", encode_u64(below.value)); }

void AcceptorStore::erase_instance(Instance instance) {
  storage_.erase(vote_key(instance));
  storage_.erase(decided_key(instance));
}

}  // namespace eyrie::multicast
