#include "multicast/ensemble_wire.hpp"

#include <stdexcept>

#include "multicast/ensemble.capnp.h"
#include "multicast/wire.hpp"
#include "runtime/capnp_codec.hpp"

namespace eyrie::multicast {

namespace {

template <typename List>
void require_size(const List& list, std::size_t max, const char* what) {
  if (list.size() > max) throw std::invalid_argument(std::string(what) + " list too long");
}

std::vector<NodeId> read_nodes(capnp::List<std::uint64_t>::Reader in, std::size_t max, const char* what) {
  require_size(in, max, what);
  std::vector<NodeId> nodes;
  nodes.reserve(in.size());
  for (std::uint64_t id : in) {
    if (id == 0) throw std::invalid_argument(std::string(what) + " names node 0");
    nodes.push_back(NodeId{id});
  }
  return nodes;
}

void write_nodes(capnp::List<std::uint64_t>::Builder out, const std::vector<NodeId>& nodes) {
  for (unsigned i = 0; i < out.size(); ++i) out.set(i, nodes[i].value);
}

// Instances arrive ascending in Phase1B and FetchReply; anything else is a broken sender.
template <typename T>
void require_ascending(const std::vector<T>& items) {
  for (std::size_t i = 1; i < items.size(); ++i) {
    if (items[i].instance <= items[i - 1].instance) throw std::invalid_argument("instances not ascending");
  }
}

template <typename Root, typename Fill>
Payload build(Fill&& fill) {
  capnp::MallocMessageBuilder builder;
  fill(builder.initRoot<Root>());
  return encode_capnp(builder);
}

unsigned list_size(std::size_t n) { return static_cast<unsigned>(n); }

// Votes travel in Phase1B and FetchReply alike.
template <typename VoteList>
void write_votes(VoteList out, const std::vector<Vote>& votes) {
  for (unsigned i = 0; i < out.size(); ++i) {
    out[i].setInstance(votes[i].instance.value);
    out[i].setRound(votes[i].round.value);
    write_batch(out[i].initValue(), votes[i].value);
    out[i].setDecided(votes[i].decided);
  }
}

template <typename VoteReader>
Vote read_vote(VoteReader v) {
  return Vote{Instance{v.getInstance()}, Round{v.getRound()}, read_batch(v.getValue()), v.getDecided()};
}

// One decoder per message type: reads the root, converts, validates.
template <typename Root, typename Convert>
std::optional<EnsembleMessage> decode_as(const Payload& payload, std::string* error, Convert&& convert) {
  std::optional<EnsembleMessage> out;
  const bool ok = read_capnp<Root>(payload, [&](typename Root::Reader in) { out = convert(in); }, error);
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace

Payload encode(const Phase1A& m) {
  return build<wire::Phase1A>([&](wire::Phase1A::Builder out) {
    out.setEnsemble(m.ensemble.value);
    out.setRound(m.round.value);
    out.setFirstInstance(m.first.value);
    out.setEndInstance(m.end.value);
  });
}

Payload encode(const Phase1B& m) {
  return build<wire::Phase1B>([&](wire::Phase1B::Builder out) {
    out.setEnsemble(m.ensemble.value);
    out.setRound(m.round.value);
    out.setPromised(m.promised);
    out.setPromisedRound(m.promised_round.value);
    out.setFirstInstance(m.first.value);
    out.setReportedEnd(m.reported_end.value);
    out.setTrimmedBelow(m.trimmed_below.value);
    write_votes(out.initVotes(list_size(m.votes.size())), m.votes);
  });
}

Payload encode(const Phase2& m) {
  return build<wire::Phase2>([&](wire::Phase2::Builder out) {
    out.setEnsemble(m.ensemble.value);
    out.setRound(m.round.value);
    out.setInstance(m.instance.value);
    write_batch(out.initValue(), m.value);
    write_nodes(out.initChain(list_size(m.chain.size())), m.chain);
    out.setVotes(m.votes);
  });
}

Payload encode(const Phase2Classic& m) {
  return build<wire::Phase2Classic>([&](wire::Phase2Classic::Builder out) {
    out.setEnsemble(m.ensemble.value);
    out.setRound(m.round.value);
    out.setInstance(m.instance.value);
    write_batch(out.initValue(), m.value);
  });
}

Payload encode(const Phase2B& m) {
  return build<wire::Phase2B>([&](wire::Phase2B::Builder out) {
    out.setEnsemble(m.ensemble.value);
    out.setRound(m.round.value);
    out.setInstance(m.instance.value);
  });
}

Payload encode(const Decision& m) {
  return build<wire::Decision>([&](wire::Decision::Builder out) {
    out.setEnsemble(m.ensemble.value);
    out.setInstance(m.instance.value);
    out.setRound(m.round.value);
    out.setDigest(m.digest);
  });
}

// Distribute and Value share one structure; a Value has no quorum.
template <typename M>
Payload encode_value(const M& m, const std::vector<NodeId>& quorum) {
  return build<wire::Value>([&](wire::Value::Builder out) {
    out.setEnsemble(m.ensemble.value);
    out.setInstance(m.instance.value);
    out.setRound(m.round.value);
    write_batch(out.initValue(), m.value);
    if (!quorum.empty()) write_nodes(out.initQuorum(list_size(quorum.size())), quorum);
    out.setLean(m.lean);
    out.setDigest(m.digest);
  });
}

Payload encode(const Distribute& m) { return encode_value(m, m.quorum); }

Payload encode(const Value& m) { return encode_value(m, {}); }

Payload encode(const Fetch& m) {
  return build<wire::Fetch>([&](wire::Fetch::Builder out) {
    out.setEnsemble(m.ensemble.value);
    out.setFirstInstance(m.first.value);
    out.setCountMax(m.count_max);
  });
}

Payload encode(const FetchReply& m) {
  return build<wire::FetchReply>([&](wire::FetchReply::Builder out) {
    out.setEnsemble(m.ensemble.value);
    out.setTrimmedBelow(m.trimmed_below.value);
    write_votes(out.initVotes(list_size(m.votes.size())), m.votes);
  });
}

Payload encode(const Heartbeat& m) {
  return build<wire::Heartbeat>([&](wire::Heartbeat::Builder out) {
    out.setEnsemble(m.ensemble.value);
    out.setRound(m.round.value);
    out.setCoordinating(m.coordinating);
    out.setDecidedBelow(m.decided_below.value);
  });
}

Payload encode(const Nack& m) {
  return build<wire::Nack>([&](wire::Nack::Builder out) {
    out.setEnsemble(m.ensemble.value);
    out.setRejected(m.rejected.value);
    out.setPromised(m.promised.value);
  });
}

Payload encode(const Redecide& m) {
  return build<wire::Redecide>([&](wire::Redecide::Builder out) {
    out.setEnsemble(m.ensemble.value);
    out.setInstance(m.instance.value);
  });
}

Payload encode(const Trim& m) {
  return build<wire::Trim>([&](wire::Trim::Builder out) {
    out.setEnsemble(m.ensemble.value);
    out.setBelow(m.below.value);
  });
}

namespace {

std::optional<EnsembleMessage> decode_phase1b(const Payload& payload, std::string* error) {
  return decode_as<wire::Phase1B>(payload, error, [](wire::Phase1B::Reader in) {
    Phase1B m{.ensemble = EnsembleId{in.getEnsemble()}, .round = Round{in.getRound()}, .promised = in.getPromised(),
              .promised_round = Round{in.getPromisedRound()}, .first = Instance{in.getFirstInstance()},
              .reported_end = Instance{in.getReportedEnd()}, .trimmed_below = Instance{in.getTrimmedBelow()}};
    require_size(in.getVotes(), kVotesPerMessageMax, "votes");
    for (auto v : in.getVotes()) {
      const Instance instance{v.getInstance()};
      if (instance < m.first || instance >= m.reported_end) throw std::invalid_argument("vote outside the reported range");
      m.votes.push_back(read_vote(v));
    }
    require_ascending(m.votes);
    if (m.reported_end < m.first) throw std::invalid_argument("reported range ends before it starts");
    return m;
  });
}

std::optional<EnsembleMessage> decode_phase2(const Payload& payload, std::string* error) {
  return decode_as<wire::Phase2>(payload, error, [](wire::Phase2::Reader in) {
    Phase2 m{.ensemble = EnsembleId{in.getEnsemble()}, .round = Round{in.getRound()},
             .instance = Instance{in.getInstance()}, .value = read_batch(in.getValue()),
             .chain = read_nodes(in.getChain(), kChainMax, "chain"), .votes = in.getVotes()};
    if (m.votes >= m.chain.size()) throw std::invalid_argument("vote count beyond the chain");
    return m;
  });
}

std::optional<EnsembleMessage> decode_value(MessageType type, const Payload& payload, std::string* error) {
  return decode_as<wire::Value>(payload, error, [type](wire::Value::Reader in) -> EnsembleMessage {
    const EnsembleId ensemble{in.getEnsemble()};
    const Instance instance{in.getInstance()};
    const Round round{in.getRound()};
    if (type == kValue) return Value{ensemble, instance, round, read_batch(in.getValue()), in.getLean(), in.getDigest()};
    return Distribute{ensemble, instance, round, read_batch(in.getValue()), read_nodes(in.getQuorum(), kChainMax, "quorum"),
                      in.getLean(), in.getDigest()};
  });
}

std::optional<EnsembleMessage> decode_fetch_reply(const Payload& payload, std::string* error) {
  return decode_as<wire::FetchReply>(payload, error, [](wire::FetchReply::Reader in) {
    FetchReply m{.ensemble = EnsembleId{in.getEnsemble()}, .trimmed_below = Instance{in.getTrimmedBelow()}};
    require_size(in.getVotes(), kVotesPerMessageMax, "votes");
    for (auto v : in.getVotes()) {
      m.votes.push_back(read_vote(v));
    }
    require_ascending(m.votes);
    return m;
  });
}

}  // namespace

std::optional<EnsembleMessage> decode_ensemble_message(MessageType type, const Payload& payload, std::string* error) {
  if (type == kPhase1A) {
    return decode_as<wire::Phase1A>(payload, error, [](wire::Phase1A::Reader in) {
      Phase1A m{EnsembleId{in.getEnsemble()}, Round{in.getRound()}, Instance{in.getFirstInstance()},
                Instance{in.getEndInstance()}};
      if (m.end <= m.first) throw std::invalid_argument("empty Phase 1 range");
      return m;
    });
  }
  if (type == kPhase1B) return decode_phase1b(payload, error);
  if (type == kPhase2) return decode_phase2(payload, error);
  if (type == kPhase2Classic) {
    return decode_as<wire::Phase2Classic>(payload, error, [](wire::Phase2Classic::Reader in) {
      return Phase2Classic{EnsembleId{in.getEnsemble()}, Round{in.getRound()}, Instance{in.getInstance()},
                           read_batch(in.getValue())};
    });
  }
  if (type == kPhase2B) {
    return decode_as<wire::Phase2B>(payload, error, [](wire::Phase2B::Reader in) {
      return Phase2B{EnsembleId{in.getEnsemble()}, Round{in.getRound()}, Instance{in.getInstance()}};
    });
  }
  if (type == kDecision) {
    return decode_as<wire::Decision>(payload, error, [](wire::Decision::Reader in) {
      return Decision{EnsembleId{in.getEnsemble()}, Instance{in.getInstance()}, Round{in.getRound()}, in.getDigest()};
    });
  }
  if (type == kDistribute || type == kValue) return decode_value(type, payload, error);
  if (type == kFetch) {
    return decode_as<wire::Fetch>(payload, error, [](wire::Fetch::Reader in) {
      if (in.getCountMax() == 0 || in.getCountMax() > kFetchCountMax) throw std::invalid_argument("fetch count out of range");
      return Fetch{EnsembleId{in.getEnsemble()}, Instance{in.getFirstInstance()}, in.getCountMax()};
    });
  }
  if (type == kFetchReply) return decode_fetch_reply(payload, error);
  if (type == kHeartbeat) {
    return decode_as<wire::Heartbeat>(payload, error, [](wire::Heartbeat::Reader in) {
      return Heartbeat{EnsembleId{in.getEnsemble()}, Round{in.getRound()}, in.getCoordinating(),
                       Instance{in.getDecidedBelow()}};
    });
  }
  if (type == kNack) {
    return decode_as<wire::Nack>(payload, error, [](wire::Nack::Reader in) {
      return Nack{EnsembleId{in.getEnsemble()}, Round{in.getRejected()}, Round{in.getPromised()}};
    });
  }
  if (type == kRedecide) {
    return decode_as<wire::Redecide>(payload, error, [](wire::Redecide::Reader in) {
      return Redecide{EnsembleId{in.getEnsemble()}, Instance{in.getInstance()}};
    });
  }
  if (type == kTrim) {
    return decode_as<wire::Trim>(payload, error, [](wire::Trim::Reader in) {
      return Trim{EnsembleId{in.getEnsemble()}, Instance{in.getBelow()}};
    });
  }
  if (error) *error = "unknown ensemble message type " + std::to_string(type.value);
  return std::nullopt;
}

EnsembleId ensemble_of(const EnsembleMessage& message) {
  return std::visit([](const auto& m) { return m.ensemble; }, message);
}

std::uint64_t batch_digest(const Batch& batch) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  const auto mix = [&h](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 0x100000001b3ULL;
    }
  };
  mix(batch.messages.size());
  mix(static_cast<std::uint64_t>(to_ns(batch.null_timestamp)));
  for (const MulticastMessage& m : batch.messages) {
    mix(m.id.sender.value);
    mix(m.id.seq);
    mix(static_cast<std::uint64_t>(to_ns(m.timestamp)));
    mix(m.payload.size());
    for (std::byte b : m.payload.bytes()) {
      h ^= static_cast<std::uint64_t>(b);
      h *= 0x100000001b3ULL;
    }
  }
  return h;
}

Payload encode(const Propose& m) {
  return build<wire::Propose>([&](wire::Propose::Builder out) {
    out.setEnsemble(m.ensemble.value);
    auto messages = out.initMessages(list_size(m.messages.size()));
    for (unsigned i = 0; i < messages.size(); ++i) write_message(messages[i], m.messages[i]);
  });
}

std::optional<Propose> decode_propose(const Payload& payload, std::string* error) {
  std::optional<Propose> out;
  const bool ok = read_capnp<wire::Propose>(payload, [&](wire::Propose::Reader in) {
    require_size(in.getMessages(), kProposeMessagesMax, "messages");
    Propose m{.ensemble = EnsembleId{in.getEnsemble()}};
    for (auto message : in.getMessages()) m.messages.push_back(read_message(message));
    out = std::move(m);
  }, error);
  if (!ok) return std::nullopt;
  return out;
}

Payload encode_propose_ack(EnsembleId ensemble, const std::vector<MessageId>& ids) {
  return build<wire::ProposeAck>([&](wire::ProposeAck::Builder out) {
    out.setEnsemble(ensemble.value);
    auto list = out.initIds(list_size(ids.size()));
    for (unsigned i = 0; i < list.size(); ++i) write_id(list[i], ids[i]);
  });
}

Payload encode_not_leader(EnsembleId ensemble, std::optional<NodeId> leader) {
  return build<wire::NotLeader>([&](wire::NotLeader::Builder out) {
    out.setEnsemble(ensemble.value);
    out.setLeader(leader ? leader->value : 0);
  });
}

}  // namespace eyrie::multicast
