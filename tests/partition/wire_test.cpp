// The partition runtime's messages (partition/wire.hpp): every message survives encode/decode
// unchanged, and the decoders refuse what the schema cannot rule out (seq 0, acknowledgements
// beyond the command, unsorted partition lists, retry without partitions, unknown enum values)
// as well as bytes that are no message at all, each time with a reason and without crashing.

#include "partition/wire.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "partition/ssmr.capnp.h"
#include "runtime/capnp_codec.hpp"

namespace eyrie::partition {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Payload bytes_of(std::string_view text) { return Payload::copy_of(text); }

Exchange full_exchange() {
  return Exchange{.command = CommandKey{NodeId{77}, 12345},
                  .partition = PartitionId{3},
                  .signal = true,
                  .values = {ObjectValue{"alpha", true, bytes_of("value-a")},
                             ObjectValue{"beta", false, {}},
                             ObjectValue{std::string("bin\0key", 7), true, bytes_of(std::string_view("\0\1\2", 3))}},
                  .verdict = Verdict::failed,
                  .missing = {},
                  .error = "balance is not a number"};
}

// --- round trips ---

TEST(PartitionWire, command_roundTrip) {
  const Command in{.client_id = 0xfeedface12345678ULL, .seq = 42, .acked_below = 40, .reply_to = NodeId{900001},
                   .request = bytes_of("put k v")};
  std::string error;
  const auto out = decode_command(encode(in), &error);
  ASSERT_TRUE(out) << error;
  EXPECT_EQ(out->client_id, in.client_id);
  EXPECT_EQ(out->seq, 42u);
  EXPECT_EQ(out->acked_below, 40u);
  EXPECT_EQ(out->reply_to, NodeId{900001});
  EXPECT_EQ(out->request.as_string_view(), "put k v");
}

TEST(PartitionWire, command_ackedBelowEqualToSeqIsAllowed) {
  const Command in{.client_id = 1, .seq = 5, .acked_below = 5, .reply_to = NodeId{2}, .request = {}};
  std::string error;
  const auto out = decode_command(encode(in), &error);
  ASSERT_TRUE(out) << error;
  EXPECT_EQ(out->acked_below, 5u);
  EXPECT_TRUE(out->request.empty());
}

TEST(PartitionWire, exchange_roundTripWithValuesAndFailedVerdict) {
  const Exchange in = full_exchange();
  std::string error;
  const auto out = decode_exchange(encode(in), &error);
  ASSERT_TRUE(out) << error;
  EXPECT_EQ(out->command, (CommandKey{NodeId{77}, 12345}));
  EXPECT_EQ(out->partition, PartitionId{3});
  EXPECT_TRUE(out->signal);
  ASSERT_EQ(out->values.size(), 3u);
  EXPECT_EQ(out->values[0].id, "alpha");
  EXPECT_TRUE(out->values[0].present);
  EXPECT_EQ(out->values[0].bytes.as_string_view(), "value-a");
  EXPECT_EQ(out->values[1].id, "beta");
  EXPECT_FALSE(out->values[1].present);
  EXPECT_TRUE(out->values[1].bytes.empty());
  EXPECT_EQ(out->values[2].id, std::string("bin\0key", 7));
  EXPECT_EQ(out->values[2].bytes.as_string_view(), std::string_view("\0\1\2", 3));
  EXPECT_EQ(out->verdict, Verdict::failed);
  EXPECT_TRUE(out->missing.empty());
  EXPECT_EQ(out->error, "balance is not a number");
}

TEST(PartitionWire, exchange_roundTripWithRetryAndMissingPartitions) {
  Exchange in{.command = CommandKey{NodeId{5}, 1}, .partition = PartitionId{1}};
  in.verdict = Verdict::retry;
  in.missing = {PartitionId{2}, PartitionId{4}, PartitionId{9}};
  std::string error;
  const auto out = decode_exchange(encode(in), &error);
  ASSERT_TRUE(out) << error;
  EXPECT_FALSE(out->signal);
  EXPECT_TRUE(out->values.empty());
  EXPECT_EQ(out->verdict, Verdict::retry);
  EXPECT_THAT(out->missing, ElementsAre(PartitionId{2}, PartitionId{4}, PartitionId{9}));
  EXPECT_EQ(out->error, "");
}

TEST(PartitionWire, exchange_roundTripOfEachPlainVerdict) {
  for (Verdict v : {Verdict::none, Verdict::ok}) {
    const Exchange in{.command = CommandKey{NodeId{8}, 3}, .partition = PartitionId{2}, .verdict = v};
    std::string error;
    const auto out = decode_exchange(encode(in), &error);
    ASSERT_TRUE(out) << error;
    EXPECT_EQ(out->verdict, v);
  }
}

TEST(PartitionWire, pull_roundTrip) {
  std::string error;
  const auto out = decode_pull(encode(Pull{CommandKey{NodeId{11}, 99}, PartitionId{6}}), &error);
  ASSERT_TRUE(out) << error;
  EXPECT_EQ(out->command, (CommandKey{NodeId{11}, 99}));
  EXPECT_EQ(out->partition, PartitionId{6});
}

TEST(PartitionWire, reply_roundTripOkFailedAndRetry) {
  const Reply ok{.client_id = 7, .seq = 3, .status = ReplyStatus::ok, .body = bytes_of("v"), .destinations = {},
                 .partition = PartitionId{1}};
  const Reply failed{.client_id = 7, .seq = 4, .status = ReplyStatus::failed, .body = bytes_of("boom"),
                     .destinations = {}, .partition = PartitionId{2}};
  const Reply retry{.client_id = 7, .seq = 5, .status = ReplyStatus::retry, .body = {},
                    .destinations = {PartitionId{1}, PartitionId{3}}, .partition = PartitionId{1}};
  std::string error;
  const auto a = decode_reply(encode(ok), &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->client_id, 7u);
  EXPECT_EQ(a->seq, 3u);
  EXPECT_EQ(a->status, ReplyStatus::ok);
  EXPECT_EQ(a->body.as_string_view(), "v");
  EXPECT_EQ(a->partition, PartitionId{1});
  const auto b = decode_reply(encode(failed), &error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->status, ReplyStatus::failed);
  EXPECT_EQ(b->body.as_string_view(), "boom");
  EXPECT_EQ(b->partition, PartitionId{2});
  const auto c = decode_reply(encode(retry), &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->status, ReplyStatus::retry);
  EXPECT_THAT(c->destinations, ElementsAre(PartitionId{1}, PartitionId{3}));
}

TEST(PartitionWire, state_roundTrip) {
  const std::vector<ObjectValue> in{ObjectValue{"a", true, bytes_of("1")}, ObjectValue{"b", true, bytes_of("")},
                                    ObjectValue{"c", true, bytes_of("three")}};
  std::string error;
  const auto out = decode_state(encode_state(in), &error);
  ASSERT_TRUE(out) << error;
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[0].id, "a");
  EXPECT_EQ((*out)[0].bytes.as_string_view(), "1");
  EXPECT_EQ((*out)[1].bytes.as_string_view(), "");
  EXPECT_EQ((*out)[2].id, "c");
  EXPECT_EQ((*out)[2].bytes.as_string_view(), "three");
  const auto empty = decode_state(encode_state({}), &error);
  ASSERT_TRUE(empty) << error;
  EXPECT_TRUE(empty->empty());
}

// --- rejections ---

// Every decoder on `payload`: each must refuse it with a reason.
void expect_every_decoder_rejects(const Payload& payload, const std::string& what) {
  std::string error;
  EXPECT_FALSE(decode_command(payload, &error)) << what;
  EXPECT_FALSE(error.empty()) << what;
  error.clear();
  EXPECT_FALSE(decode_exchange(payload, &error)) << what;
  EXPECT_FALSE(error.empty()) << what;
  error.clear();
  EXPECT_FALSE(decode_pull(payload, &error)) << what;
  EXPECT_FALSE(error.empty()) << what;
  error.clear();
  EXPECT_FALSE(decode_reply(payload, &error)) << what;
  EXPECT_FALSE(error.empty()) << what;
  error.clear();
  EXPECT_FALSE(decode_state(payload, &error)) << what;
  EXPECT_FALSE(error.empty()) << what;
}

TEST(PartitionWire, decoders_rejectGarbage) {
  expect_every_decoder_rejects(bytes_of("this is not a Cap'n Proto message"), "text, 33 bytes");
  expect_every_decoder_rejects(bytes_of("0123456789abcdef0123456789abcdef"), "text, 32 bytes");
  expect_every_decoder_rejects(bytes_of("1234567"), "7 bytes");
  expect_every_decoder_rejects(Payload{}, "empty");
  std::string error;
  EXPECT_FALSE(decode_command(bytes_of("1234567"), &error));
  EXPECT_THAT(error, HasSubstr("not a multiple of 8 bytes"));
}

TEST(PartitionWire, decoders_rejectEveryTruncation) {
  const std::vector<Payload> messages{
      encode(Command{.client_id = 1, .seq = 2, .acked_below = 1, .reply_to = NodeId{3}, .request = bytes_of("req")}),
      encode(full_exchange()), encode(Pull{CommandKey{NodeId{1}, 1}, PartitionId{1}}),
      encode(Reply{.client_id = 1, .seq = 1, .status = ReplyStatus::ok, .body = bytes_of("b"), .destinations = {},
                   .partition = PartitionId{1}}),
      encode_state({ObjectValue{"k", true, bytes_of("v")}})};
  for (std::size_t m = 0; m < messages.size(); ++m) {
    const Payload& full = messages[m];
    ASSERT_GT(full.size(), 8u);
    for (std::size_t length = 0; length < full.size(); ++length) {
      expect_every_decoder_rejects(Payload::copy_of(full.bytes().first(length)),
                                   "message " + std::to_string(m) + " cut to " + std::to_string(length));
    }
  }
}

TEST(PartitionWire, decoders_surviveFlippedBytes) {
  // A flipped byte may still leave a valid message (in a data field); it must never crash, and
  // a refusal must say why.
  const Payload full = encode(full_exchange());
  for (std::size_t i = 0; i < full.size(); ++i) {
    std::string copy(full.as_string_view());
    copy[i] = static_cast<char>(copy[i] ^ 0xa5);
    const Payload damaged = bytes_of(copy);
    std::string error;
    if (!decode_exchange(damaged, &error)) {
      EXPECT_FALSE(error.empty()) << "byte " << i;
    }
    error.clear();
    if (!decode_command(damaged, &error)) {
      EXPECT_FALSE(error.empty()) << "byte " << i;
    }
    error.clear();
    if (!decode_reply(damaged, &error)) {
      EXPECT_FALSE(error.empty()) << "byte " << i;
    }
  }
}

TEST(PartitionWire, command_rejectsSeqZero) {
  std::string error;
  EXPECT_FALSE(decode_command(encode(Command{.client_id = 1, .seq = 0, .acked_below = 0, .reply_to = NodeId{1}}), &error));
  EXPECT_THAT(error, HasSubstr("command seq 0"));
}

TEST(PartitionWire, command_rejectsAckedBelowBeyondSeq) {
  std::string error;
  EXPECT_FALSE(decode_command(encode(Command{.client_id = 1, .seq = 4, .acked_below = 5, .reply_to = NodeId{1}}), &error));
  EXPECT_THAT(error, HasSubstr("ackedBelow beyond the command's own seq"));
}

TEST(PartitionWire, exchange_rejectsUnsortedOrRepeatedMissingPartitions) {
  Exchange m{.command = CommandKey{NodeId{1}, 1}, .partition = PartitionId{1}, .verdict = Verdict::retry};
  m.missing = {PartitionId{3}, PartitionId{2}};
  std::string error;
  EXPECT_FALSE(decode_exchange(encode(m), &error));
  EXPECT_THAT(error, HasSubstr("missing: not sorted and unique"));
  m.missing = {PartitionId{2}, PartitionId{2}};
  error.clear();
  EXPECT_FALSE(decode_exchange(encode(m), &error));
  EXPECT_THAT(error, HasSubstr("missing: not sorted and unique"));
}

TEST(PartitionWire, exchange_rejectsRetryWithoutMissingAndMissingWithoutRetry) {
  std::string error;
  const Exchange retry_alone{.command = CommandKey{NodeId{1}, 1}, .partition = PartitionId{1}, .verdict = Verdict::retry};
  EXPECT_FALSE(decode_exchange(encode(retry_alone), &error));
  EXPECT_THAT(error, HasSubstr("retry needs missing partitions"));
  const Exchange ok_with_missing{.command = CommandKey{NodeId{1}, 1}, .partition = PartitionId{1},
                                 .verdict = Verdict::ok, .missing = {PartitionId{2}}};
  error.clear();
  EXPECT_FALSE(decode_exchange(encode(ok_with_missing), &error));
  EXPECT_FALSE(error.empty());
}

TEST(PartitionWire, reply_rejectsRetryWithoutDestinationsAndDestinationsWithoutRetry) {
  std::string error;
  EXPECT_FALSE(decode_reply(encode(Reply{.client_id = 1, .seq = 1, .status = ReplyStatus::retry, .partition = PartitionId{1}}), &error));
  EXPECT_THAT(error, HasSubstr("a retry reply needs destinations"));
  error.clear();
  EXPECT_FALSE(decode_reply(encode(Reply{.client_id = 1, .seq = 1, .status = ReplyStatus::ok,
                                         .destinations = {PartitionId{1}}, .partition = PartitionId{1}}), &error));
  EXPECT_THAT(error, HasSubstr("a retry reply needs destinations (and only it)"));
}

TEST(PartitionWire, reply_rejectsUnsortedDestinations) {
  std::string error;
  EXPECT_FALSE(decode_reply(encode(Reply{.client_id = 1, .seq = 1, .status = ReplyStatus::retry,
                                         .destinations = {PartitionId{2}, PartitionId{1}}, .partition = PartitionId{1}}), &error));
  EXPECT_THAT(error, HasSubstr("destinations: not sorted and unique"));
}

TEST(PartitionWire, exchange_rejectsAnUnknownVerdict) {
  capnp::MallocMessageBuilder builder;
  auto out = builder.initRoot<wire::Exchange>();
  out.initCommand().setSeq(1);
  out.setVerdict(static_cast<wire::VerdictKind>(5));
  std::string error;
  EXPECT_FALSE(decode_exchange(encode_capnp(builder), &error));
  EXPECT_THAT(error, HasSubstr("unknown verdict"));
}

TEST(PartitionWire, reply_rejectsAnUnknownStatus) {
  capnp::MallocMessageBuilder builder;
  auto out = builder.initRoot<wire::Reply>();
  out.setSeq(1);
  out.setStatus(static_cast<wire::ReplyStatus>(3));
  std::string error;
  EXPECT_FALSE(decode_reply(encode_capnp(builder), &error));
  EXPECT_THAT(error, HasSubstr("unknown reply status"));
}

TEST(PartitionWire, exchange_rejectsTooManyMissingPartitions) {
  capnp::MallocMessageBuilder builder;
  auto out = builder.initRoot<wire::Exchange>();
  out.setVerdict(wire::VerdictKind::RETRY);
  auto missing = out.initMissing(5000);
  for (unsigned i = 0; i < missing.size(); ++i) missing.set(i, i + 1);
  std::string error;
  EXPECT_FALSE(decode_exchange(encode_capnp(builder), &error));
  EXPECT_THAT(error, HasSubstr("too many partitions"));
}

}  // namespace
}  // namespace eyrie::partition
