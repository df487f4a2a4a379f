#include "runtime/payload.hpp"

#include <cstring>

#include "runtime/assert.hpp"

namespace eyrie {

Payload Payload::allocate(std::size_t size, std::byte*& out) {
  // Allocate whole 64-bit words so that the buffer is 8-byte aligned.
  const std::size_t words = (size + 7) / 8;
  std::shared_ptr<std::uint64_t[]> buffer(new std::uint64_t[words == 0 ? 1 : words]());
  out = reinterpret_cast<std::byte*>(buffer.get());
  return Payload(std::shared_ptr<const void>(buffer, buffer.get()), out, size);
}

Payload Payload::copy_of(std::span<const std::byte> bytes) {
  std::byte* out = nullptr;
  Payload p = allocate(bytes.size(), out);
  if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
  return p;
}

Payload Payload::copy_of(std::string_view text) {
  return copy_of(std::as_bytes(std::span<const char>(text.data(), text.size())));
}

Payload Payload::slice(std::size_t offset, std::size_t length) const {
  EYRIE_ASSERT(offset <= size_ && length <= size_ - offset);
  return Payload(owner_, data_ + offset, length);
}

bool operator==(const Payload& a, const Payload& b) {
  return a.size_ == b.size_ && (a.size_ == 0 || std::memcmp(a.data_, b.data_, a.size_) == 0);
}

}  // namespace eyrie
