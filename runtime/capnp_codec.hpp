#pragma once
// Cap'n Proto <-> Payload. Every protocol message body is one Cap'n Proto message in flat-array
// form (segment table included), so it is self-describing and can be read in place.
//
// Reading untrusted bytes: `read_capnp` validates the framing and every pointer of the message
// (a full traversal) before the visitor sees it, bounds the work a hostile message can cause
// (traversal and nesting limits), and catches any exception the visitor raises while reading.
// Visitors should copy what they need into plain C++ values and change no role state inside the
// visitor, so that a message rejected halfway leaves everything intact.

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <optional>
#include <string>
#include <vector>

#include "runtime/payload.hpp"

namespace eyrie {

Payload encode_capnp(capnp::MessageBuilder& builder);

// The words of `payload` as Cap'n Proto expects them: in place when aligned, else copied into
// `scratch`. Returns nullopt when the size is not a whole number of words.
std::optional<kj::ArrayPtr<const capnp::word>> capnp_words(const Payload& payload,
                                                            std::vector<capnp::word>& scratch);

capnp::ReaderOptions untrusted_reader_options(std::size_t message_words);

// Reads `payload` as a message whose root is `Root` and calls visit(Root::Reader). Returns false,
// with a one-line reason in *error, when the payload is malformed or `visit` throws.
template <typename Root, typename Visit>
bool read_capnp(const Payload& payload, Visit&& visit, std::string* error) {
  std::vector<capnp::word> scratch;
  auto words = capnp_words(payload, scratch);
  if (!words) {
    if (error) *error = "payload size " + std::to_string(payload.size()) + " is not a multiple of 8 bytes";
    return false;
  }
  try {
    capnp::FlatArrayMessageReader reader(*words, untrusted_reader_options(words->size()));
    if (reader.getEnd() != words->end()) {
      if (error) *error = "trailing bytes after the message";
      return false;
    }
    auto root = reader.getRoot<Root>();
    (void)root.totalSize();  // traverses every pointer: out-of-bounds data throws here
    visit(root);
    return true;
  } catch (const kj::Exception& e) {
    if (error) *error = std::string("malformed Cap'n Proto message: ") + e.getDescription().cStr();
  } catch (const std::exception& e) {
    if (error) *error = std::string("rejected message: ") + e.what();
  }
  return false;
}

}  // namespace eyrie
