#include "apps/kv/kv.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "apps/kv/kv.capnp.h"
#include "runtime/capnp_codec.hpp"

namespace eyrie::kv {

namespace {

using partition::CommandContext;
using partition::Task;

capnp::Data::Reader data_of(const std::string& s) {
  return capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(s.data()), s.size());
}
std::string string_of(capnp::Data::Reader d) { return std::string(reinterpret_cast<const char*>(d.begin()), d.size()); }

// Keys are at most this long; a request naming a longer one is malformed.
constexpr std::size_t kKeyMax = 4096;
constexpr std::size_t kPutManyMax = 1024;

std::string checked_key(capnp::Data::Reader d) {
  if (d.size() == 0 || d.size() > kKeyMax) throw std::invalid_argument("a key needs 1.." + std::to_string(kKeyMax) + " bytes");
  return string_of(d);
}

template <typename Root, typename Fill>
Payload build(Fill&& fill) {
  capnp::MallocMessageBuilder builder;
  fill(builder.initRoot<Root>());
  return encode_capnp(builder);
}

// A balance: decimal int64, absent = 0. Anything else fails the command.
std::int64_t balance_of(const StoredValue* v, const std::string& key) {
  if (v == nullptr) return 0;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(v->value.data(), v->value.data() + v->value.size(), n);
  if (ec != std::errc{} || end != v->value.data() + v->value.size()) {
    throw std::invalid_argument("the value of " + key + " is not a decimal balance");
  }
  return n;
}

Payload copy(std::span<const std::byte> bytes) { return Payload::copy_of(bytes); }

}  // namespace

Payload encode(const Request& request) {
  return build<wire::Request>([&](wire::Request::Builder out) {
    std::visit(
        [&](const auto& r) {
          using T = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<T, Get>) {
            out.setGet(data_of(r.key));
          } else if constexpr (std::is_same_v<T, Put>) {
            auto e = out.initPut();
            e.setKey(data_of(r.key));
            e.setValue(data_of(r.value));
          } else if constexpr (std::is_same_v<T, Cas>) {
            auto c = out.initCas();
            c.setKey(data_of(r.key));
            c.setExpectPresent(r.expected.has_value());
            if (r.expected) c.setExpected(data_of(*r.expected));
            c.setValue(data_of(r.value));
          } else if constexpr (std::is_same_v<T, Transfer>) {
            auto t = out.initTransfer();
            t.setFrom(data_of(r.from));
            t.setTo(data_of(r.to));
            t.setAmount(r.amount);
          } else {
            auto list = out.initPutMany(static_cast<unsigned>(r.entries.size()));
            for (unsigned i = 0; i < list.size(); ++i) {
              list[i].setKey(data_of(r.entries[i].first));
              list[i].setValue(data_of(r.entries[i].second));
            }
          }
        },
        request);
  });
}

std::optional<Request> decode_request(std::span<const std::byte> bytes, std::string* error) {
  std::optional<Request> out;
  const Payload payload = copy(bytes);
  const bool ok = read_capnp<wire::Request>(payload, [&](wire::Request::Reader in) {
    switch (in.which()) {
      case wire::Request::GET: out = Get{checked_key(in.getGet())}; break;
      case wire::Request::PUT: out = Put{checked_key(in.getPut().getKey()), string_of(in.getPut().getValue())}; break;
      case wire::Request::CAS: {
        const auto c = in.getCas();
        out = Cas{checked_key(c.getKey()),
                  c.getExpectPresent() ? std::optional<std::string>(string_of(c.getExpected())) : std::nullopt,
                  string_of(c.getValue())};
        break;
      }
      case wire::Request::TRANSFER: {
        const auto t = in.getTransfer();
        if (t.getAmount() < 0) throw std::invalid_argument("a transfer amount must not be negative");
        out = Transfer{checked_key(t.getFrom()), checked_key(t.getTo()), t.getAmount()};
        if (std::get<Transfer>(*out).from == std::get<Transfer>(*out).to) throw std::invalid_argument("a transfer needs two keys");
        break;
      }
      case wire::Request::PUT_MANY: {
        const auto list = in.getPutMany();
        if (list.size() == 0 || list.size() > kPutManyMax) throw std::invalid_argument("put_many needs 1..1024 entries");
        PutMany m;
        for (auto e : list) m.entries.emplace_back(checked_key(e.getKey()), string_of(e.getValue()));
        out = std::move(m);
        break;
      }
      default: throw std::invalid_argument("unknown request kind");
    }
  }, error);
  if (!ok) return std::nullopt;  // `out` may hold what was read before the rejection
  return out;
}

Payload encode(const Response& response) {
  return build<wire::Response>([&](wire::Response::Builder out) {
    std::visit(
        [&](const auto& r) {
          using T = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<T, Value>) {
            auto v = out.initValue();
            v.setPresent(r.value.has_value());
            if (r.value) v.setValue(data_of(*r.value));
          } else if constexpr (std::is_same_v<T, Ok>) {
            out.setOk();
          } else if constexpr (std::is_same_v<T, CasMismatch>) {
            auto m = out.initCasMismatch();
            m.setPresent(r.current.has_value());
            if (r.current) m.setValue(data_of(*r.current));
          } else {
            out.setInsufficient(r.balance);
          }
        },
        response);
  });
}

std::optional<Response> decode_response(std::span<const std::byte> bytes, std::string* error) {
  std::optional<Response> out;
  const Payload payload = copy(bytes);
  const bool ok = read_capnp<wire::Response>(payload, [&](wire::Response::Reader in) {
    switch (in.which()) {
      case wire::Response::VALUE: {
        const auto v = in.getValue();
        out = Value{v.getPresent() ? std::optional<std::string>(string_of(v.getValue())) : std::nullopt};
        break;
      }
      case wire::Response::OK: out = Ok{}; break;
      case wire::Response::CAS_MISMATCH: {
        const auto m = in.getCasMismatch();
        out = CasMismatch{m.getPresent() ? std::optional<std::string>(string_of(m.getValue())) : std::nullopt};
        break;
      }
      case wire::Response::INSUFFICIENT: out = Insufficient{in.getInsufficient()}; break;
      default: throw std::invalid_argument("unknown response kind");
    }
  }, error);
  if (!ok) return std::nullopt;
  return out;
}

std::vector<std::string> keys_of(const Request& request) {
  return std::visit(
      [](const auto& r) -> std::vector<std::string> {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, Transfer>) {
          return {r.from, r.to};
        } else if constexpr (std::is_same_v<T, PutMany>) {
          std::vector<std::string> keys;
          for (const auto& [k, v] : r.entries) keys.push_back(k);
          return keys;
        } else {
          return {r.key};
        }
      },
      request);
}

std::vector<std::string> read_keys_of(const Request& request) {
  if (std::holds_alternative<Put>(request) || std::holds_alternative<PutMany>(request)) return {};
  return keys_of(request);
}

// The same code as for a fully replicated store: the runtime fetches what lives elsewhere.
Task<std::string> KvMachine::execute(CommandContext& ctx, std::span<const std::byte> bytes) {
  std::string error;
  const std::optional<Request> request = decode_request(bytes, &error);
  if (!request) throw std::invalid_argument("malformed kv request: " + error);
  Response response = Ok{};
  if (const auto* get = std::get_if<Get>(&*request)) {
    const StoredValue* v = co_await ctx.read<StoredValue>(get->key);
    response = Value{v ? std::optional<std::string>(v->value) : std::nullopt};
  } else if (const auto* put = std::get_if<Put>(&*request)) {
    ctx.overwrite(put->key, StoredValue(put->value));
  } else if (const auto* cas = std::get_if<Cas>(&*request)) {
    const StoredValue* v = co_await ctx.read<StoredValue>(cas->key);
    const std::optional<std::string> current = v ? std::optional<std::string>(v->value) : std::nullopt;
    if (current == cas->expected) {
      ctx.overwrite(cas->key, StoredValue(cas->value));
    } else {
      response = CasMismatch{current};
    }
  } else if (const auto* t = std::get_if<Transfer>(&*request)) {
    const std::int64_t from = balance_of(co_await ctx.read<StoredValue>(t->from), t->from);
    const std::int64_t to = balance_of(co_await ctx.read<StoredValue>(t->to), t->to);
    if (from < t->amount) {
      response = Insufficient{from};
    } else {
      ctx.overwrite(t->from, StoredValue(std::to_string(from - t->amount)));
      ctx.overwrite(t->to, StoredValue(std::to_string(to + t->amount)));
    }
  } else {
    for (const auto& [key, value] : std::get<PutMany>(*request).entries) ctx.overwrite(key, StoredValue(value));
  }
  const Payload encoded = encode(response);
  co_return std::string(reinterpret_cast<const char*>(encoded.data()), encoded.size());
}

std::unique_ptr<partition::Object> KvMachine::decode_object(const oracle::ObjectId&, std::span<const std::byte> bytes) const {
  return std::make_unique<StoredValue>(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::vector<oracle::PartitionId> KvOracle::destinations(std::span<const std::byte> bytes) const {
  std::string error;
  const std::optional<Request> request = decode_request(bytes, &error);
  if (!request) return placement().partitions();  // the replicas will answer `failed`
  std::vector<oracle::PartitionId> partitions;
  for (const std::string& key : keys_of(*request)) partitions.push_back(placement().owner(key));
  std::sort(partitions.begin(), partitions.end());
  partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
  return partitions;
}

std::vector<oracle::ObjectId> KvOracle::local_objects(std::span<const std::byte> bytes, oracle::PartitionId partition) const {
  std::string error;
  const std::optional<Request> request = decode_request(bytes, &error);
  if (!request) return {};
  std::vector<oracle::ObjectId> keys;
  for (std::string& key : read_keys_of(*request)) {
    if (placement().owner(key) == partition) keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace eyrie::kv
