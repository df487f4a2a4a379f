// The kv service's requests and responses (apps/kv): every kind survives encode/decode, the
// decoder refuses requests the service cannot run (empty or oversized keys, negative or
// self transfers, empty or oversized put_many) and bytes that are no request; KvOracle sends a
// command to the owners of the keys it touches and prefetches the keys it reads.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "apps/kv/kv.hpp"

namespace eyrie::kv {
namespace {

using oracle::PartitionId;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Request round_trip(const Request& in) {
  std::string error;
  const Payload bytes = encode(in);
  const std::optional<Request> out = decode_request(bytes.bytes(), &error);
  EXPECT_TRUE(out) << error;
  return out.value_or(Request{});
}

Response round_trip(const Response& in) {
  std::string error;
  const Payload bytes = encode(in);
  const std::optional<Response> out = decode_response(bytes.bytes(), &error);
  EXPECT_TRUE(out) << error;
  return out.value_or(Response{});
}

TEST(KvCodec, request_roundTripOfEveryKind) {
  const std::string binary("k\0\xff", 3);
  const Request get = round_trip(Get{binary});
  ASSERT_TRUE(std::holds_alternative<Get>(get));
  EXPECT_EQ(std::get<Get>(get).key, binary);

  const Request put = round_trip(Put{"key", std::string("v\0v", 3)});
  ASSERT_TRUE(std::holds_alternative<Put>(put));
  EXPECT_EQ(std::get<Put>(put).key, "key");
  EXPECT_EQ(std::get<Put>(put).value, std::string("v\0v", 3));

  const Request empty_value = round_trip(Put{"key", ""});
  EXPECT_EQ(std::get<Put>(empty_value).value, "");

  const Request cas = round_trip(Cas{"c", std::string("old"), "new"});
  ASSERT_TRUE(std::holds_alternative<Cas>(cas));
  EXPECT_EQ(std::get<Cas>(cas).key, "c");
  EXPECT_EQ(std::get<Cas>(cas).expected, std::optional<std::string>("old"));
  EXPECT_EQ(std::get<Cas>(cas).value, "new");

  const Request cas_absent = round_trip(Cas{"c", std::nullopt, "first"});
  EXPECT_EQ(std::get<Cas>(cas_absent).expected, std::nullopt);
  // Expecting the empty value is not expecting absence.
  const Request cas_empty = round_trip(Cas{"c", std::string(""), "x"});
  EXPECT_EQ(std::get<Cas>(cas_empty).expected, std::optional<std::string>(""));

  const Request transfer = round_trip(Transfer{"from", "to", 1234567890123});
  ASSERT_TRUE(std::holds_alternative<Transfer>(transfer));
  EXPECT_EQ(std::get<Transfer>(transfer).from, "from");
  EXPECT_EQ(std::get<Transfer>(transfer).to, "to");
  EXPECT_EQ(std::get<Transfer>(transfer).amount, 1234567890123);
  EXPECT_EQ(std::get<Transfer>(round_trip(Transfer{"a", "b", 0})).amount, 0);

  const Request many = round_trip(PutMany{{{"a", "1"}, {"b", ""}, {"c", "3"}}});
  ASSERT_TRUE(std::holds_alternative<PutMany>(many));
  EXPECT_THAT(std::get<PutMany>(many).entries,
              ElementsAre(std::pair<std::string, std::string>{"a", "1"}, std::pair<std::string, std::string>{"b", ""},
                          std::pair<std::string, std::string>{"c", "3"}));
}

TEST(KvCodec, request_keysUpToTheLimitAndPutManyUpTo1024Entries) {
  const std::string longest(4096, 'k');
  EXPECT_EQ(std::get<Get>(round_trip(Get{longest})).key.size(), 4096u);
  PutMany many;
  for (int i = 0; i < 1024; ++i) many.entries.emplace_back("k" + std::to_string(i), "v");
  EXPECT_EQ(std::get<PutMany>(round_trip(many)).entries.size(), 1024u);
}

TEST(KvCodec, response_roundTripOfEveryKind) {
  EXPECT_EQ(std::get<Value>(round_trip(Value{std::string("v")})).value, std::optional<std::string>("v"));
  EXPECT_EQ(std::get<Value>(round_trip(Value{std::string("")})).value, std::optional<std::string>(""));
  EXPECT_EQ(std::get<Value>(round_trip(Value{std::nullopt})).value, std::nullopt);
  EXPECT_TRUE(std::holds_alternative<Ok>(round_trip(Ok{})));
  EXPECT_EQ(std::get<CasMismatch>(round_trip(CasMismatch{std::string("cur")})).current, std::optional<std::string>("cur"));
  EXPECT_EQ(std::get<CasMismatch>(round_trip(CasMismatch{std::nullopt})).current, std::nullopt);
  EXPECT_EQ(std::get<Insufficient>(round_trip(Insufficient{17})).balance, 17);
  EXPECT_EQ(std::get<Insufficient>(round_trip(Insufficient{-5})).balance, -5);
}

// decode_request's verdict on an encoded (not validated) request: the reason, or "" when accepted.
std::string rejection(const Request& request) {
  std::string error;
  const Payload bytes = encode(request);
  const std::optional<Request> out = decode_request(bytes.bytes(), &error);
  if (out) return "";
  EXPECT_FALSE(error.empty());
  return error;
}

TEST(KvCodec, decodeRequest_rejectsEmptyAndOversizedKeys) {
  const std::string too_long(4097, 'k');
  EXPECT_THAT(rejection(Get{""}), HasSubstr("a key needs 1..4096 bytes"));
  EXPECT_THAT(rejection(Get{too_long}), HasSubstr("a key needs 1..4096 bytes"));
  EXPECT_THAT(rejection(Put{"", "v"}), HasSubstr("a key needs 1..4096 bytes"));
  EXPECT_THAT(rejection(Cas{"", std::nullopt, "v"}), HasSubstr("a key needs 1..4096 bytes"));
  EXPECT_THAT(rejection(Transfer{"", "b", 1}), HasSubstr("a key needs 1..4096 bytes"));
  EXPECT_THAT(rejection(Transfer{"a", "", 1}), HasSubstr("a key needs 1..4096 bytes"));
  EXPECT_THAT(rejection(PutMany{{{"a", "1"}, {"", "2"}}}), HasSubstr("a key needs 1..4096 bytes"));
}

TEST(KvCodec, decodeRequest_rejectsANegativeTransfer) {
  EXPECT_THAT(rejection(Transfer{"a", "b", -1}), HasSubstr("a transfer amount must not be negative"));
}

// Regression: the decoder used to assign the transfer before checking from == to and to return
// it although reading had failed, so a self transfer came back as a valid request (and ran).
TEST(KvCodec, decodeRequest_rejectsATransferToItself) {
  EXPECT_THAT(rejection(Transfer{"a", "a", 5}), HasSubstr("a transfer needs two keys"));
}

TEST(KvCodec, decodeRequest_rejectsPutManyWithNoOrTooManyEntries) {
  EXPECT_THAT(rejection(PutMany{}), HasSubstr("put_many needs 1..1024 entries"));
  PutMany many;
  for (int i = 0; i < 1025; ++i) many.entries.emplace_back("k" + std::to_string(i), "v");
  EXPECT_THAT(rejection(many), HasSubstr("put_many needs 1..1024 entries"));
}

TEST(KvCodec, decoders_rejectBytesThatAreNoMessage) {
  const std::string garbage = "definitely not a kv request......";  // 33 bytes
  const std::string words = "0123456789abcdef0123456789abcdef";  // 32 bytes
  for (const std::string& text : {garbage, words, std::string()}) {
    const auto bytes = std::as_bytes(std::span(text.data(), text.size()));
    std::string error;
    EXPECT_FALSE(decode_request(bytes, &error)) << text;
    EXPECT_FALSE(error.empty()) << text;
    error.clear();
    EXPECT_FALSE(decode_response(bytes, &error)) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
  // A truncated request.
  const Payload full = encode(Put{"key", "value"});
  std::string error;
  EXPECT_FALSE(decode_request(full.bytes().first(full.size() - 8), &error));
  EXPECT_FALSE(error.empty());
}

TEST(KvCodec, keysOf_andReadKeysOf) {
  EXPECT_THAT(keys_of(Get{"g"}), ElementsAre("g"));
  EXPECT_THAT(read_keys_of(Get{"g"}), ElementsAre("g"));
  EXPECT_THAT(keys_of(Put{"p", "v"}), ElementsAre("p"));
  EXPECT_THAT(read_keys_of(Put{"p", "v"}), IsEmpty());  // a full overwrite
  EXPECT_THAT(read_keys_of(Cas{"c", std::nullopt, "v"}), ElementsAre("c"));
  EXPECT_THAT(keys_of(Transfer{"f", "t", 1}), ElementsAre("f", "t"));
  EXPECT_THAT(read_keys_of(Transfer{"f", "t", 1}), ElementsAre("f", "t"));
  EXPECT_THAT(keys_of(PutMany{{{"x", "1"}, {"y", "2"}}}), ElementsAre("x", "y"));
  EXPECT_THAT(read_keys_of(PutMany{{{"x", "1"}, {"y", "2"}}}), IsEmpty());
}

// Partition 1 owns keys below "m", partition 2 the rest.
class KvOracleTest : public ::testing::Test {
 protected:
  std::vector<PartitionId> destinations(const Request& r) const {
    const Payload bytes = encode(r);
    return oracle_.destinations(bytes.bytes());
  }
  std::vector<oracle::ObjectId> local(const Request& r, std::uint32_t partition) const {
    const Payload bytes = encode(r);
    return oracle_.local_objects(bytes.bytes(), PartitionId{partition});
  }
  KvOracle oracle_{std::make_shared<oracle::RangePlacement>(std::vector<PartitionId>{PartitionId{1}, PartitionId{2}},
                                                            std::vector<std::string>{"m"})};
};

TEST_F(KvOracleTest, destinations_areTheOwnersOfTheTouchedKeys) {
  EXPECT_THAT(destinations(Get{"apple"}), ElementsAre(PartitionId{1}));
  EXPECT_THAT(destinations(Put{"zebra", "v"}), ElementsAre(PartitionId{2}));
  EXPECT_THAT(destinations(Cas{"melon", std::nullopt, "v"}), ElementsAre(PartitionId{2}));
  EXPECT_THAT(destinations(Transfer{"apple", "banana", 1}), ElementsAre(PartitionId{1}));
  EXPECT_THAT(destinations(Transfer{"zebra", "apple", 1}), ElementsAre(PartitionId{1}, PartitionId{2}));
  EXPECT_THAT(destinations(PutMany{{{"x", "1"}, {"y", "2"}}}), ElementsAre(PartitionId{2}));
  EXPECT_THAT(destinations(PutMany{{{"y", "1"}, {"a", "2"}, {"z", "3"}}}), ElementsAre(PartitionId{1}, PartitionId{2}));
}

TEST_F(KvOracleTest, destinations_ofAMalformedRequestAreEveryPartition) {
  EXPECT_THAT(destinations(Get{""}), ElementsAre(PartitionId{1}, PartitionId{2}));
  const std::string garbage = "not a request!!!";
  EXPECT_THAT(oracle_.destinations(std::as_bytes(std::span(garbage.data(), garbage.size()))),
              ElementsAre(PartitionId{1}, PartitionId{2}));
}

TEST_F(KvOracleTest, localObjects_areTheReadKeysThePartitionOwns) {
  EXPECT_THAT(local(Get{"apple"}, 1), ElementsAre("apple"));
  EXPECT_THAT(local(Get{"apple"}, 2), IsEmpty());
  EXPECT_THAT(local(Cas{"zebra", std::nullopt, "v"}, 2), ElementsAre("zebra"));
  EXPECT_THAT(local(Transfer{"zebra", "apple", 1}, 1), ElementsAre("apple"));
  EXPECT_THAT(local(Transfer{"zebra", "apple", 1}, 2), ElementsAre("zebra"));
  EXPECT_THAT(local(Transfer{"apple", "banana", 1}, 1), ElementsAre("apple", "banana"));
  // Writes only: nothing to prefetch.
  EXPECT_THAT(local(Put{"apple", "v"}, 1), IsEmpty());
  EXPECT_THAT(local(PutMany{{{"apple", "1"}, {"zebra", "2"}}}, 1), IsEmpty());
  EXPECT_THAT(local(PutMany{{{"apple", "1"}, {"zebra", "2"}}}, 2), IsEmpty());
  EXPECT_THAT(local(Get{""}, 1), IsEmpty());  // malformed
}

}  // namespace
}  // namespace eyrie::kv
