#include "partition/wire.hpp"

#include <algorithm>
#include <stdexcept>

#include "partition/ssmr.capnp.h"
#include "runtime/capnp_codec.hpp"

namespace eyrie::partition {

namespace {

// Far above any deployment; a message claiming more is malformed.
constexpr std::size_t kPartitionsMax = 4096;

template <typename Root, typename Fill>
Payload build(Fill&& fill) {
  capnp::MallocMessageBuilder builder;
  fill(builder.initRoot<Root>());
  return encode_capnp(builder);
}

capnp::Data::Reader data_of(std::span<const std::byte> bytes) {
  return capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(bytes.data()), bytes.size());
}
Payload payload_of(capnp::Data::Reader data) {
  return Payload::copy_of(std::span(reinterpret_cast<const std::byte*>(data.begin()), data.size()));
}

void write_key(wire::CommandKey::Builder out, const CommandKey& key) {
  out.setSender(key.sender.value);
  out.setSeq(key.seq);
}
CommandKey read_key(wire::CommandKey::Reader in) { return CommandKey{NodeId{in.getSender()}, in.getSeq()}; }

template <typename ListBuilder>
void write_partitions(ListBuilder list, const std::vector<PartitionId>& partitions) {
  for (unsigned i = 0; i < list.size(); ++i) list.set(i, partitions[i].value);
}
std::vector<PartitionId> read_partitions(capnp::List<std::uint32_t>::Reader in, const char* what) {
  if (in.size() > kPartitionsMax) throw std::invalid_argument(std::string(what) + ": too many partitions");
  std::vector<PartitionId> out;
  for (unsigned i = 0; i < in.size(); ++i) {
    if (i > 0 && in[i] <= in[i - 1]) throw std::invalid_argument(std::string(what) + ": not sorted and unique");
    out.push_back(PartitionId{in[i]});
  }
  return out;
}

void write_values(capnp::List<wire::ObjectValue>::Builder out, const std::vector<ObjectValue>& values) {
  for (unsigned i = 0; i < out.size(); ++i) {
    const ObjectValue& v = values[i];
    out[i].setId(data_of(std::as_bytes(std::span(v.id.data(), v.id.size()))));
    out[i].setPresent(v.present);
    out[i].setBytes(data_of(v.bytes.bytes()));
    out[i].setCached(v.cached);
  }
}
std::vector<ObjectValue> read_values(capnp::List<wire::ObjectValue>::Reader in) {
  std::vector<ObjectValue> values;
  values.reserve(in.size());
  for (auto v : in) {
    const auto id = v.getId();
    values.push_back(ObjectValue{std::string(reinterpret_cast<const char*>(id.begin()), id.size()), v.getPresent(),
                                 payload_of(v.getBytes()), v.getCached()});
  }
  return values;
}

template <typename Root, typename Read>
auto decode_as(const Payload& payload, std::string* error, Read&& read) {
  std::optional<decltype(read(std::declval<typename Root::Reader>()))> out;
  if (!read_capnp<Root>(payload, [&](typename Root::Reader in) { out = read(in); }, error)) return decltype(out){};
  return out;
}

}  // namespace

Payload encode(const Command& m) {
  return build<wire::Command>([&](wire::Command::Builder out) {
    out.setClientId(m.client_id);
    out.setSeq(m.seq);
    out.setAckedBelow(m.acked_below);
    out.setReplyTo(m.reply_to.value);
    out.setRequest(data_of(m.request.bytes()));
  });
}

std::optional<Command> decode_command(const Payload& payload, std::string* error) {
  return decode_as<wire::Command>(payload, error, [](wire::Command::Reader in) {
    Command m{.client_id = in.getClientId(), .seq = in.getSeq(), .acked_below = in.getAckedBelow(),
              .reply_to = NodeId{in.getReplyTo()}, .request = payload_of(in.getRequest())};
    if (m.seq == 0) throw std::invalid_argument("command seq 0 (seqs start at 1)");
    if (m.acked_below > m.seq) throw std::invalid_argument("ackedBelow beyond the command's own seq");
    return m;
  });
}

Payload encode(const Exchange& m) {
  return build<wire::Exchange>([&](wire::Exchange::Builder out) {
    write_key(out.initCommand(), m.command);
    out.setPartition(m.partition.value);
    out.setSignal(m.signal);
    write_values(out.initValues(static_cast<unsigned>(m.values.size())), m.values);
    out.setVerdict(static_cast<wire::VerdictKind>(m.verdict));
    write_partitions(out.initMissing(static_cast<unsigned>(m.missing.size())), m.missing);
    out.setError(m.error);
  });
}

std::optional<Exchange> decode_exchange(const Payload& payload, std::string* error) {
  return decode_as<wire::Exchange>(payload, error, [](wire::Exchange::Reader in) {
    Exchange m;
    m.command = read_key(in.getCommand());
    m.partition = PartitionId{in.getPartition()};
    m.signal = in.getSignal();
    m.values = read_values(in.getValues());
    const auto verdict = static_cast<unsigned>(in.getVerdict());
    if (verdict > static_cast<unsigned>(Verdict::failed)) throw std::invalid_argument("unknown verdict");
    m.verdict = static_cast<Verdict>(verdict);
    m.missing = read_partitions(in.getMissing(), "missing");
    if ((m.verdict == Verdict::retry) != !m.missing.empty()) throw std::invalid_argument("retry needs missing partitions");
    m.error = in.getError().cStr();
    return m;
  });
}

Payload encode(const Pull& m) {
  return build<wire::Pull>([&](wire::Pull::Builder out) {
    write_key(out.initCommand(), m.command);
    out.setPartition(m.partition.value);
  });
}

std::optional<Pull> decode_pull(const Payload& payload, std::string* error) {
  return decode_as<wire::Pull>(payload, error, [](wire::Pull::Reader in) {
    return Pull{read_key(in.getCommand()), PartitionId{in.getPartition()}};
  });
}

Payload encode(const Reply& m) {
  return build<wire::Reply>([&](wire::Reply::Builder out) {
    out.setClientId(m.client_id);
    out.setSeq(m.seq);
    out.setStatus(static_cast<wire::ReplyStatus>(m.status));
    out.setBody(data_of(m.body.bytes()));
    write_partitions(out.initDestinations(static_cast<unsigned>(m.destinations.size())), m.destinations);
    out.setPartition(m.partition.value);
  });
}

std::optional<Reply> decode_reply(const Payload& payload, std::string* error) {
  return decode_as<wire::Reply>(payload, error, [](wire::Reply::Reader in) {
    Reply m;
    m.client_id = in.getClientId();
    m.seq = in.getSeq();
    const auto status = static_cast<unsigned>(in.getStatus());
    if (status > static_cast<unsigned>(ReplyStatus::failed)) throw std::invalid_argument("unknown reply status");
    m.status = static_cast<ReplyStatus>(status);
    m.body = payload_of(in.getBody());
    m.destinations = read_partitions(in.getDestinations(), "destinations");
    if ((m.status == ReplyStatus::retry) == m.destinations.empty()) {
      throw std::invalid_argument("a retry reply needs destinations (and only it)");
    }
    m.partition = PartitionId{in.getPartition()};
    return m;
  });
}

Payload encode(const Emitted& m) {
  return build<wire::Emitted>([&](wire::Emitted::Builder out) {
    out.setPartition(m.id.partition.value);
    out.setPosition(m.id.position);
    out.setIndex(m.id.index);
    out.setBody(data_of(m.body.bytes()));
  });
}

Payload encode_emit_ack(const EmitId& id) {
  return build<wire::EmitAck>([&](wire::EmitAck::Builder out) {
    out.setPartition(id.partition.value);
    out.setPosition(id.position);
    out.setIndex(id.index);
  });
}

std::optional<Emitted> decode_emitted(const Payload& payload, std::string* error) {
  return decode_as<wire::Emitted>(payload, error, [](wire::Emitted::Reader in) {
    if (in.getPosition() == 0) throw std::invalid_argument("positions start at 1");
    return Emitted{EmitId{PartitionId{in.getPartition()}, in.getPosition(), in.getIndex()}, payload_of(in.getBody())};
  });
}

std::optional<EmitId> decode_emit_ack(const Payload& payload, std::string* error) {
  return decode_as<wire::EmitAck>(payload, error, [](wire::EmitAck::Reader in) {
    if (in.getPosition() == 0) throw std::invalid_argument("positions start at 1");
    return EmitId{PartitionId{in.getPartition()}, in.getPosition(), in.getIndex()};
  });
}

Payload encode_state(const std::vector<ObjectValue>& objects) {
  return build<wire::State>([&](wire::State::Builder out) {
    write_values(out.initObjects(static_cast<unsigned>(objects.size())), objects);
  });
}

std::optional<std::vector<ObjectValue>> decode_state(const Payload& payload, std::string* error) {
  return decode_as<wire::State>(payload, error, [](wire::State::Reader in) { return read_values(in.getObjects()); });
}

}  // namespace eyrie::partition
