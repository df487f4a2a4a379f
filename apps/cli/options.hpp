#pragma once
// Command-line helpers shared by the subcommands (Boost.Program_options).

#include <boost/program_options.hpp>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace eyrie::cli {

// Parses `args` against `options` (plus positional names, if any). Prints --help to stdout and
// errors with the usage to stderr; returns false when the command should stop (then
// vm.count("help") says whether it was a help request).
bool parse_options(std::span<char* const> args, const boost::program_options::options_description& options,
                   boost::program_options::variables_map& vm,
                   const boost::program_options::positional_options_description* positional = nullptr);

// Prints "error: <message>" and the usage to stderr; returns 2 (the exit status for bad usage).
int usage_error(const boost::program_options::options_description& options, std::string_view message);

// A whole decimal integer, or nullopt ("12x", "", overflow).
std::optional<long long> parse_integer(std::string_view text);

// Comma-separated integers, each in [min, max] ("100,8192"), or nullopt (empty, a bad item).
std::optional<std::vector<long long>> parse_integer_list(std::string_view text, long long min, long long max);

}  // namespace eyrie::cli
