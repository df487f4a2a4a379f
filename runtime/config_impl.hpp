#pragma once
// Private to runtime/config*.cpp: how a ConfigSection refers to the parsed TOML document.

#include <memory>
#include <toml.hpp>

#include "runtime/config.hpp"

namespace eyrie {

// A section points into the parsed document, which it keeps alive.
struct ConfigSection::Impl {
  std::shared_ptr<const toml::value> document;
  const toml::value* table = nullptr;  // nullptr: the file has no such section
};

std::shared_ptr<const ConfigSection::Impl> make_section_impl(std::shared_ptr<const toml::value> document,
                                                             const toml::value* table);

}  // namespace eyrie
