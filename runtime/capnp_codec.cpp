#include "runtime/capnp_codec.hpp"

#include <algorithm>
#include <cstring>

namespace eyrie {

Payload encode_capnp(capnp::MessageBuilder& builder) {
  const std::size_t words = capnp::computeSerializedSizeInWords(builder);
  std::byte* out = nullptr;
  Payload payload = Payload::allocate(words * sizeof(capnp::word), out);
  kj::ArrayPtr<capnp::word> target(reinterpret_cast<capnp::word*>(out), words);
  // Write the segment table and segments straight into the payload buffer (no second copy).
  auto segments = builder.getSegmentsForOutput();
  kj::ArrayPtr<capnp::byte> bytes = target.asBytes();
  kj::ArrayOutputStream stream(bytes);
  capnp::writeMessage(stream, segments);
  return payload;
}

std::optional<kj::ArrayPtr<const capnp::word>> capnp_words(const Payload& payload,
                                                            std::vector<capnp::word>& scratch) {
  if (payload.size() % sizeof(capnp::word) != 0) return std::nullopt;
  const std::size_t words = payload.size() / sizeof(capnp::word);
  if (payload.word_aligned()) {
    return kj::ArrayPtr<const capnp::word>(reinterpret_cast<const capnp::word*>(payload.data()), words);
  }
  scratch.resize(words);
  if (words > 0) std::memcpy(scratch.data(), payload.data(), payload.size());
  return kj::ArrayPtr<const capnp::word>(scratch.data(), words);
}

capnp::ReaderOptions untrusted_reader_options(std::size_t message_words) {
  capnp::ReaderOptions options;
  // A valid message cannot need to read more than its own size a few times over; a hostile one
  // (pointers aliasing the same data) is cut off early instead of amplifying its work.
  options.traversalLimitInWords = std::max<std::size_t>(message_words * 4, 1024);
  options.nestingLimit = 64;
  return options;
}

}  // namespace eyrie
