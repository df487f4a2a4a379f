#include "runtime/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <toml.hpp>

#include "runtime/config_impl.hpp"

namespace eyrie {

namespace {

std::string describe(const toml::value& v) {
  switch (v.type()) {
    case toml::value_t::boolean: return fmt::format("boolean {}", v.as_boolean());
    case toml::value_t::integer: return fmt::format("integer {}", v.as_integer());
    case toml::value_t::floating: return fmt::format("number {}", v.as_floating());
    case toml::value_t::string: return fmt::format("string \"{}\"", v.as_string().str);
    case toml::value_t::array: return "an array";
    case toml::value_t::table: return "a table";
    default: return "a date or time";
  }
}

}  // namespace

std::shared_ptr<const ConfigSection::Impl> make_section_impl(std::shared_ptr<const toml::value> document,
                                                             const toml::value* table) {
  auto impl = std::make_shared<ConfigSection::Impl>();
  impl->document = std::move(document);
  impl->table = table;
  return impl;
}

ConfigSection::ConfigSection(std::shared_ptr<const Impl> impl, std::string file, std::string name)
    : impl_(std::move(impl)),
      file_(std::move(file)),
      name_(std::move(name)),
      used_keys_(std::make_shared<std::set<std::string, std::less<>>>()) {}

ConfigSection::~ConfigSection() = default;

bool ConfigSection::present() const { return impl_ && impl_->table != nullptr; }

bool ConfigSection::has(std::string_view key) const {
  return present() && impl_->table->as_table().count(std::string(key)) != 0;
}

void ConfigSection::fail(std::string_view key, std::string_view what) const {
  std::string where = file_;
  if (present() && has(key)) {
    const auto line = impl_->table->as_table().at(std::string(key)).location().line();
    if (line > 0) where += fmt::format(":{}", line);
  }
  const std::string section = name_.empty() ? "" : fmt::format("[{}] ", name_);
  throw ConfigError(fmt::format("{}: {}{}: {}", where, section, key, what));
}

namespace {

// The value at `key`, or nullptr when absent; marks the key as known.
const toml::value* lookup(const ConfigSection& s, const ConfigSection::Impl* impl,
                          std::set<std::string, std::less<>>& used, std::string_view key) {
  used.emplace(key);
  if (!impl || !impl->table) return nullptr;
  const auto& table = impl->table->as_table();
  auto it = table.find(std::string(key));
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace

std::int64_t ConfigSection::integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                                    std::int64_t max) const {
  const toml::value* v = lookup(*this, impl_.get(), *used_keys_, key);
  if (!v) return fallback;
  if (!v->is_integer() || v->as_integer() < min || v->as_integer() > max) {
    fail(key, fmt::format("expected an integer in {}..{}, got {}", min, max, describe(*v)));
  }
  return v->as_integer();
}

std::int64_t ConfigSection::required_integer(std::string_view key, std::int64_t min, std::int64_t max) const {
  if (!has(key)) fail(key, fmt::format("missing; expected an integer in {}..{}", min, max));
  return integer(key, 0, min, max);
}

double ConfigSection::number(std::string_view key, double fallback, double min, double max) const {
  const toml::value* v = lookup(*this, impl_.get(), *used_keys_, key);
  if (!v) return fallback;
  double x = 0;
  if (v->is_floating()) {
    x = v->as_floating();
  } else if (v->is_integer()) {
    x = static_cast<double>(v->as_integer());
  } else {
    fail(key, fmt::format("expected a number in {}..{}, got {}", min, max, describe(*v)));
  }
  if (!(x >= min && x <= max)) fail(key, fmt::format("expected a number in {}..{}, got {}", min, max, x));
  return x;
}

bool ConfigSection::boolean(std::string_view key, bool fallback) const {
  const toml::value* v = lookup(*this, impl_.get(), *used_keys_, key);
  if (!v) return fallback;
  if (!v->is_boolean()) fail(key, fmt::format("expected true or false, got {}", describe(*v)));
  return v->as_boolean();
}

std::string ConfigSection::string(std::string_view key, std::string_view fallback) const {
  const toml::value* v = lookup(*this, impl_.get(), *used_keys_, key);
  if (!v) return std::string(fallback);
  if (!v->is_string()) fail(key, fmt::format("expected a string, got {}", describe(*v)));
  return v->as_string().str;
}

std::string ConfigSection::required_string(std::string_view key) const {
  if (!has(key)) fail(key, "missing; expected a string");
  std::string s = string(key, "");
  if (s.empty()) fail(key, "expected a non-empty string");
  return s;
}

std::string ConfigSection::choice(std::string_view key, std::string_view fallback,
                                  std::span<const std::string_view> choices) const {
  std::string s = string(key, fallback);
  if (std::find(choices.begin(), choices.end(), s) != choices.end()) return s;
  std::string list;
  for (std::string_view c : choices) list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", c);
  fail(key, fmt::format("expected one of {}, got \"{}\"", list, s));
}

std::vector<std::string> ConfigSection::string_list(std::string_view key, std::vector<std::string> fallback) const {
  const toml::value* v = lookup(*this, impl_.get(), *used_keys_, key);
  if (!v) return fallback;
  if (!v->is_array()) fail(key, fmt::format("expected an array of strings, got {}", describe(*v)));
  std::vector<std::string> out;
  for (const toml::value& item : v->as_array()) {
    if (!item.is_string()) fail(key, fmt::format("expected an array of strings, found {}", describe(item)));
    out.push_back(item.as_string().str);
  }
  return out;
}

std::vector<std::int64_t> ConfigSection::integer_list(std::string_view key, std::vector<std::int64_t> fallback,
                                                      std::int64_t min, std::int64_t max) const {
  const toml::value* v = lookup(*this, impl_.get(), *used_keys_, key);
  if (!v) return fallback;
  const std::string expected = fmt::format("expected an array of integers in {}..{}", min, max);
  if (!v->is_array()) fail(key, fmt::format("{}, got {}", expected, describe(*v)));
  std::vector<std::int64_t> out;
  for (const toml::value& item : v->as_array()) {
    if (!item.is_integer() || item.as_integer() < min || item.as_integer() > max) {
      fail(key, fmt::format("{}, found {}", expected, describe(item)));
    }
    out.push_back(item.as_integer());
  }
  return out;
}

Duration ConfigSection::milliseconds(std::string_view key, Duration fallback, Duration min, Duration max) const {
  using std::chrono::duration_cast;
  using ms = std::chrono::milliseconds;
  const std::int64_t value = integer(key, duration_cast<ms>(fallback).count(), duration_cast<ms>(min).count(),
                                     duration_cast<ms>(max).count());
  return has(key) ? Duration(ms(value)) : fallback;
}

ConfigSection ConfigSection::table(std::string_view key) const {
  const toml::value* v = lookup(*this, impl_.get(), *used_keys_, key);
  const std::string name = name_.empty() ? std::string(key) : name_ + "." + std::string(key);
  if (v && !v->is_table()) fail(key, fmt::format("expected a table, got {}", describe(*v)));
  return ConfigSection(make_section_impl(impl_ ? impl_->document : nullptr, v), file_, name);
}

std::vector<ConfigSection> ConfigSection::table_array(std::string_view key) const {
  const toml::value* v = lookup(*this, impl_.get(), *used_keys_, key);
  std::vector<ConfigSection> out;
  if (!v) return out;
  if (!v->is_array()) fail(key, fmt::format("expected an array of tables ([[{}]]), got {}", key, describe(*v)));
  const auto& items = v->as_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_table()) fail(key, fmt::format("expected tables ([[{}]]), found {}", key, describe(items[i])));
    out.emplace_back(make_section_impl(impl_->document, &items[i]), file_, fmt::format("{}[{}]", key, i));
  }
  return out;
}

void ConfigSection::reject_unknown_keys() const {
  if (!present()) return;
  std::vector<std::string> unknown;
  for (const auto& [key, value] : impl_->table->as_table()) {
    if (!used_keys_->count(key)) unknown.push_back(key);
  }
  if (unknown.empty()) return;
  std::sort(unknown.begin(), unknown.end());  // the table is unordered: report deterministically
  std::string known;
  for (const std::string& k : *used_keys_) known += fmt::format("{}{}", known.empty() ? "" : ", ", k);
  fail(unknown.front(), fmt::format("unknown key (known keys here: {})", known.empty() ? "none" : known));
}

}  // namespace eyrie
