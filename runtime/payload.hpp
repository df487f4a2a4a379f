#pragma once
// Payload: an immutable, cheaply copyable byte buffer. Copies share the bytes, so a message
// can be queued, duplicated by the simulator or kept by a role without copying its contents.
//
// Buffers that Payload allocates are 8-byte aligned, and the transport keeps received
// envelopes' payloads at word-aligned offsets, so Cap'n Proto messages inside a payload can be
// read in place (see runtime/capnp_codec.hpp, which copies when alignment is not given).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace eyrie {

class Payload {
 public:
  Payload() = default;

  // Shares `owner`'s bytes in [data, data + size); `owner` keeps them alive.
  Payload(std::shared_ptr<const void> owner, const std::byte* data, std::size_t size)
      : owner_(std::move(owner)), data_(data), size_(size) {}

  static Payload copy_of(std::span<const std::byte> bytes);
  static Payload copy_of(std::string_view text);
  // A zero-filled, word-aligned buffer of `size` bytes that the caller fills through `out`
  // before sharing the payload (for encoders that know the size up front).
  static Payload allocate(std::size_t size, std::byte*& out);

  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  std::string_view as_string_view() const {
    return {reinterpret_cast<const char*>(data_), size_};
  }
  bool word_aligned() const {
    return reinterpret_cast<std::uintptr_t>(data_) % 8 == 0 && size_ % 8 == 0;
  }
  // A sub-range sharing the same owner. Precondition: offset + length <= size().
  Payload slice(std::size_t offset, std::size_t length) const;

  friend bool operator==(const Payload& a, const Payload& b);

 private:
  std::shared_ptr<const void> owner_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace eyrie
