#include "apps/cli/program.hpp"

#include <cstdio>
#include <exception>

#include "apps/cli/version.hpp"

namespace eyrie::cli {

namespace {

std::string& current_name() {
  static std::string name = "eyrie";
  return name;
}

void print(std::FILE* out, std::string_view text) { std::fwrite(text.data(), 1, text.size(), out); }

}  // namespace

const std::string& invoked_as() { return current_name(); }

int run_program(std::string_view program, std::string_view usage, std::span<const Command> commands, int argc,
                char** argv) {
  current_name() = std::string(program);
  if (argc < 2) {
    print(stderr, usage);
    return 2;
  }
  const std::string_view name = argv[1];
  if (name == "version" || name == "--version") {
    std::printf("%.*s %s\n", static_cast<int>(program.size()), program.data(), kVersion);
    return 0;
  }
  if (name == "help" || name == "--help" || name == "-h") {
    print(stdout, usage);
    return 0;
  }
  for (const Command& command : commands) {
    if (command.name != name) continue;
    if (!command.takes_its_name) current_name() = std::string(program) + " " + std::string(name);
    const int skip = command.takes_its_name ? 1 : 2;
    try {
      return command.run(std::span<char* const>(argv + skip, static_cast<std::size_t>(argc - skip)));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%.*s %s: %s\n", static_cast<int>(program.size()), program.data(), argv[1], e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "%.*s: unknown command '%s'\n\n", static_cast<int>(program.size()), program.data(), argv[1]);
  print(stderr, usage);
  return 2;
}

}  // namespace eyrie::cli
