// Volery's wire codec under random input (apps/volery/codec.hpp). Property: every value within
// the limits, of every alternative, survives encode/decode unchanged (a seeded generator draws
// them). Corruption: every truncation of a valid encoding is refused, and random byte flips of
// valid encodings never crash any decoder (a flip inside a data field may still decode; a refusal
// always says why). Random byte strings and random word-aligned messages are refused or decoded,
// never crash. Run under ASan/UBSan with the sanitize preset for the strongest check.

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <string>

#include "apps/volery/codec.hpp"
#include "runtime/rng.hpp"

namespace eyrie::volery {
namespace {

// Draws random values within the codec's limits (sizes kept small so that thousands run fast;
// the limits themselves are tested one by one in codec_test.cpp).
class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  std::size_t below(std::size_t bound) { return static_cast<std::size_t>(rng_.uniform(bound)); }
  bool coin() { return rng_.chance(1, 2); }
  std::int32_t int32() { return static_cast<std::int32_t>(rng_.next_u64()); }
  std::int64_t int64() { return static_cast<std::int64_t>(rng_.next_u64()); }
  std::int64_t non_negative() { return static_cast<std::int64_t>(rng_.next_u64() >> 1); }
  std::int64_t positive() { return 1 + static_cast<std::int64_t>(rng_.uniform(0x7fffffffffffffffULL)); }
  // An int32 that is often one of the interesting ones.
  std::int32_t version() {
    static constexpr std::int32_t kSpecial[] = {kAnyVersion, 0, 1, INT32_MAX, INT32_MIN};
    return coin() ? kSpecial[below(5)] : int32();
  }

  // Any bytes, NUL and high bytes included.
  std::string bytes(std::size_t max) {
    std::string out(below(max + 1), '\0');
    for (char& c : out) c = static_cast<char>(rng_.uniform(256));
    return out;
  }
  std::string path() {
    if (rng_.chance(1, 10)) return bytes(24);  // the codec does not check path syntax
    std::string out;
    const std::size_t components = below(4);
    for (std::size_t i = 0; i <= components; ++i) out += "/" + std::string(1 + below(6), static_cast<char>('a' + below(26)));
    return out;
  }
  Id id() { return Id{bytes(10), bytes(40)}; }
  std::vector<Acl> acl() {
    std::vector<Acl> out(below(5));
    for (Acl& a : out) a = Acl{int32(), id()};
    return out;
  }
  CreateMode mode() { return static_cast<CreateMode>(below(5)); }

  Create create() { return Create{path(), bytes(64), acl(), mode()}; }
  Delete remove() { return Delete{path(), version()}; }
  SetData set_data() { return SetData{path(), bytes(64), version()}; }
  Check check() { return Check{path(), version()}; }

  MultiOp multi_op() {
    switch (below(4)) {
      case 0: return create();
      case 1: return remove();
      case 2: return set_data();
      default: return check();
    }
  }

  Op op(std::size_t kind) {
    switch (kind) {
      case 0: return create();
      case 1: return remove();
      case 2: return set_data();
      case 3: return check();
      case 4: return GetData{path(), coin()};
      case 5: return Exists{path(), coin()};
      case 6: return GetChildren{path(), coin()};
      case 7: return GetAcl{path()};
      case 8: return SetAcl{path(), acl(), version()};
      case 9: return Sync{path()};
      case 10: {
        Multi m;
        m.ops.resize(below(6));
        for (MultiOp& o : m.ops) o = multi_op();
        return m;
      }
      case 11: return CreateSession{static_cast<std::int32_t>(1 + below(INT32_MAX)), bytes(16)};
      case 12: {
        Tick t;
        t.renew.resize(below(6));
        for (SessionId& s : t.renew) s = positive();
        return t;
      }
      case 13: return CloseSession{};
      default: return Reattach{bytes(16)};
    }
  }
  static constexpr std::size_t kOpKinds = std::variant_size_v<Op>;

  Request request(std::size_t kind) {
    Request r;
    r.session = coin() ? 0 : non_negative();
    r.seq = rng_.next_u64();
    r.previous = r.seq == 0 || coin() ? 0 : rng_.uniform(r.seq);
    r.gateway = NodeId{rng_.next_u64()};
    r.auth.resize(below(4));
    for (Id& i : r.auth) i = id();
    r.op = op(kind);
    return r;
  }

  Stat stat() {
    return Stat{int64(), int64(), int64(), int64(), int32(), int32(), int32(), int64(), int32(), int32(), int64()};
  }
  Result result(bool inside_multi) {
    Result r;
    r.code = coin() ? static_cast<Code>(int32()) : Code::ok;
    if (coin()) r.path = path();
    if (coin()) r.stat = stat();
    if (coin()) r.data = bytes(64);
    r.children.resize(below(4));
    for (std::string& c : r.children) c = bytes(12);
    r.acl = acl();
    if (!inside_multi && rng_.chance(1, 4)) {
      r.results.resize(below(5));
      for (Result& sub : r.results) sub = result(true);
    }
    r.session = coin() ? 0 : non_negative();
    r.timeout_ms = int32();
    r.expired.resize(below(4));
    for (SessionId& s : r.expired) s = positive();
    return r;
  }
  Reply reply() {
    Reply r;
    r.status = coin() ? Reply::Status::done : Reply::Status::out_of_order;
    r.zxid = non_negative();
    r.marks.resize(below(4));
    for (EventMark& m : r.marks) m = EventMark{PartitionId{static_cast<std::uint32_t>(rng_.next_u64())}, rng_.next_u64()};
    r.result = result(false);
    return r;
  }
  Notification notification() {
    if (coin()) {
      SessionExpired x{positive(), non_negative(), {}};
      x.marks.resize(below(4));
      for (EventMark& m : x.marks) m = EventMark{PartitionId{static_cast<std::uint32_t>(rng_.next_u64())}, rng_.next_u64()};
      return x;
    }
    return WatchEvent{.session = positive(),
                      .type = static_cast<EventType>(1 + below(4)),
                      .path = path(),
                      .partition = PartitionId{static_cast<std::uint32_t>(rng_.next_u64())},
                      .number = std::max<std::uint64_t>(1, rng_.next_u64()),
                      .zxid = non_negative(),
                      .acl = {}};
  }

 private:
  Rng rng_;
};

constexpr int kValuesPerKind = 1000;

TEST(VoleryCodecFuzz, request_everyRandomRequestOfEveryOperationRoundTrips) {
  Generator gen(1);
  for (std::size_t kind = 0; kind < Generator::kOpKinds; ++kind) {
    for (int i = 0; i < kValuesPerKind; ++i) {
      const Request in = gen.request(kind);
      ASSERT_EQ(in.op.index(), kind);
      std::string error;
      const Payload bytes = encode(in);
      const std::optional<Request> out = decode_request(bytes.bytes(), &error);
      ASSERT_TRUE(out) << describe(in.op) << ": " << error;
      ASSERT_EQ(*out, in) << describe(in.op);
    }
  }
}

TEST(VoleryCodecFuzz, reply_everyRandomReplyRoundTrips) {
  Generator gen(2);
  for (int i = 0; i < 3000; ++i) {
    const Reply in = gen.reply();
    std::string error;
    const Payload bytes = encode(in);
    const std::optional<Reply> out = decode_reply(bytes.bytes(), &error);
    ASSERT_TRUE(out) << i << ": " << error;
    ASSERT_EQ(*out, in) << i;
  }
}

TEST(VoleryCodecFuzz, notification_everyRandomNotificationRoundTrips) {
  Generator gen(3);
  for (int i = 0; i < 3000; ++i) {
    const Notification in = gen.notification();
    std::string error;
    const Payload bytes = encode(in);
    const std::optional<Notification> out = decode_notification(bytes.bytes(), &error);
    ASSERT_TRUE(out) << i << ": " << error;
    ASSERT_EQ(*out, in) << i;
  }
}

// Runs every decoder on `bytes`: none may crash, and each refusal must give a reason.
void decode_with_every_decoder(std::span<const std::byte> bytes, const std::string& what) {
  std::string error;
  if (!decode_request(bytes, &error)) {
    EXPECT_FALSE(error.empty()) << what;
  }
  error.clear();
  if (!decode_reply(bytes, &error)) {
    EXPECT_FALSE(error.empty()) << what;
  }
  error.clear();
  if (!decode_notification(bytes, &error)) {
    EXPECT_FALSE(error.empty()) << what;
  }
}

// A few valid encodings of each message kind.
std::vector<Payload> samples(Generator& gen) {
  std::vector<Payload> out;
  for (std::size_t kind = 0; kind < Generator::kOpKinds; ++kind) out.push_back(encode(gen.request(kind)));
  for (int i = 0; i < 6; ++i) out.push_back(encode(gen.reply()));
  for (int i = 0; i < 6; ++i) out.push_back(encode(gen.notification()));
  return out;
}

TEST(VoleryCodecFuzz, decoders_refuseEveryTruncation) {
  Generator gen(4);
  for (const Payload& full : samples(gen)) {
    for (std::size_t length = 0; length < full.size(); ++length) {
      const auto cut = full.bytes().first(length);
      std::string error;
      EXPECT_FALSE(decode_request(cut, &error)) << "cut to " << length;
      EXPECT_FALSE(error.empty());
      error.clear();
      EXPECT_FALSE(decode_reply(cut, &error)) << "cut to " << length;
      error.clear();
      EXPECT_FALSE(decode_notification(cut, &error)) << "cut to " << length;
    }
  }
}

TEST(VoleryCodecFuzz, decoders_surviveEveryFlippedByte) {
  Generator gen(5);
  for (const Payload& full : samples(gen)) {
    for (std::size_t i = 0; i < full.size(); ++i) {
      for (unsigned char mask : {0x01, 0x80, 0xa5, 0xff}) {
        std::string copy(full.as_string_view());
        copy[i] = static_cast<char>(copy[i] ^ mask);
        decode_with_every_decoder(std::as_bytes(std::span(copy.data(), copy.size())),
                                  "byte " + std::to_string(i) + " ^ " + std::to_string(mask));
      }
    }
  }
}

TEST(VoleryCodecFuzz, decoders_surviveRandomDamage) {
  Generator gen(6);
  Rng rng(7);
  const std::vector<Payload> valid = samples(gen);
  for (int round = 0; round < 20000; ++round) {
    const Payload& full = valid[rng.uniform(valid.size())];
    std::string copy(full.as_string_view());
    const std::uint64_t flips = 1 + rng.uniform(8);
    for (std::uint64_t f = 0; f < flips; ++f) copy[rng.uniform(copy.size())] = static_cast<char>(rng.uniform(256));
    if (rng.chance(1, 4)) copy.resize(rng.uniform(copy.size() + 1) / 8 * 8);  // cut at a word boundary
    decode_with_every_decoder(std::as_bytes(std::span(copy.data(), copy.size())), "round " + std::to_string(round));
  }
}

TEST(VoleryCodecFuzz, decoders_surviveRandomBytes) {
  Rng rng(8);
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(rng.uniform(20) * 8, '\0');
    for (char& c : bytes) c = static_cast<char>(rng.uniform(256));
    if (bytes.size() >= 8 && rng.chance(1, 2)) {
      // A plausible segment table (one segment of the right size), so the pointers get read.
      const std::uint32_t words = static_cast<std::uint32_t>(bytes.size() / 8 - 1);
      for (int k = 0; k < 4; ++k) bytes[k] = 0;
      for (int k = 0; k < 4; ++k) bytes[4 + k] = static_cast<char>((words >> (8 * k)) & 0xff);
    }
    decode_with_every_decoder(std::as_bytes(std::span(bytes.data(), bytes.size())), "round " + std::to_string(round));
  }
}

}  // namespace
}  // namespace eyrie::volery
