#include "apps/cli/options.hpp"

#include <charconv>
#include <iostream>

namespace eyrie::cli {

namespace po = boost::program_options;

bool parse_options(std::span<char* const> args, const po::options_description& options, po::variables_map& vm,
                   const po::positional_options_description* positional) {
  std::vector<std::string> words(args.begin(), args.end());
  try {
    po::command_line_parser parser(words);
    parser.options(options);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::cout << options << "\n";
      return false;
    }
    po::notify(vm);
    return true;
  } catch (const po::error& e) {
    vm.clear();
    usage_error(options, e.what());
    return false;
  }
}

int usage_error(const po::options_description& options, std::string_view message) {
  std::cerr << "error: " << message << "\n\n" << options << "\n";
  return 2;
}

std::optional<long long> parse_integer(std::string_view text) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<std::vector<long long>> parse_integer_list(std::string_view text, long long min, long long max) {
  std::vector<long long> values;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const auto value = parse_integer(text.substr(0, comma));
    if (!value || *value < min || *value > max) return std::nullopt;
    values.push_back(*value);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  if (values.empty()) return std::nullopt;
  return values;
}

}  // namespace eyrie::cli
