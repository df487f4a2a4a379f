#pragma once
// kv: the smallest real service on the S-SMR runtime (docs/ssmr.md, "Write your first
// partitioned service"). String keys and values, placed by the cluster's placement (hash or
// range); get, put, compare-and-set, an atomic transfer between two balances (decimal int64
// values, absent = 0) that may live in different partitions, and put_many, a blind write of
// several keys marked as full overwrites, so that it needs no values from other partitions.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "oracle/oracle.hpp"
#include "partition/state_machine.hpp"
#include "runtime/payload.hpp"

namespace eyrie::kv {

struct Get {
  std::string key;
};
struct Put {
  std::string key;
  std::string value;
};
struct Cas {
  std::string key;
  std::optional<std::string> expected;  // nullopt: the key must be absent
  std::string value;
};
struct Transfer {
  std::string from;
  std::string to;
  std::int64_t amount = 0;
};
struct PutMany {
  std::vector<std::pair<std::string, std::string>> entries;
};
using Request = std::variant<Get, Put, Cas, Transfer, PutMany>;

struct Value {  // get
  std::optional<std::string> value;
};
struct Ok {};
struct CasMismatch {
  std::optional<std::string> current;
};
struct Insufficient {
  std::int64_t balance = 0;
};
using Response = std::variant<Value, Ok, CasMismatch, Insufficient>;

Payload encode(const Request& request);
// nullopt with a reason for bytes that are not a request.
std::optional<Request> decode_request(std::span<const std::byte> bytes, std::string* error);
Payload encode(const Response& response);
std::optional<Response> decode_response(std::span<const std::byte> bytes, std::string* error);
// The keys a request touches, and those it reads (the rest it only overwrites).
std::vector<std::string> keys_of(const Request& request);
std::vector<std::string> read_keys_of(const Request& request);

// One stored value.
class StoredValue final : public partition::Object {
 public:
  explicit StoredValue(std::string value) : value(std::move(value)) {}
  void serialize(std::string& out) const override { out = value; }
  std::unique_ptr<partition::Object> clone() const override { return std::make_unique<StoredValue>(value); }
  std::string value;
};

class KvMachine final : public partition::StateMachine {
 public:
  partition::Task<std::string> execute(partition::CommandContext& ctx, std::span<const std::byte> request) override;
  std::unique_ptr<partition::Object> decode_object(const oracle::ObjectId& id,
                                                   std::span<const std::byte> bytes) const override;
};

// Destinations: the owners of the keys a request touches; prefetch: the keys it reads.
class KvOracle final : public oracle::PartitioningOracle {
 public:
  explicit KvOracle(std::shared_ptr<const oracle::Placement> placement) : placement_(std::move(placement)) {}
  const oracle::Placement& placement() const override { return *placement_; }
  std::vector<oracle::PartitionId> destinations(std::span<const std::byte> request) const override;
  std::vector<oracle::ObjectId> local_objects(std::span<const std::byte> request,
                                              oracle::PartitionId partition) const override;

 private:
  std::shared_ptr<const oracle::Placement> placement_;
};

}  // namespace eyrie::kv
