#pragma once
// What the two programs (`eyrie`, main.cpp; `volery`, volery_main.cpp) share: dispatch of
// argv[1] to a command, --help and --version, errors caught and printed, and the name the
// running command goes by in its usage and error texts.

#include <span>
#include <string>
#include <string_view>

namespace eyrie::cli {

struct Command {
  std::string_view name;
  int (*run)(std::span<char* const> args);
  // The program's own name stands for the command family: `volery get ...` runs the `eyrie
  // volery` command with "get" among its arguments, and goes by "volery".
  bool takes_its_name = false;
};

// Runs the command argv[1] names, with the arguments after it; answers help, --help, -h,
// version and --version; prints `usage` (to stderr, exit status 2) for a missing or unknown
// command, and "<program> <command>: <what>" (exit status 1) for an exception.
int run_program(std::string_view program, std::string_view usage, std::span<const Command> commands, int argc,
                char** argv);

// The name the running command goes by: "eyrie node", "volery node", "eyrie volery", or
// "volery" for volery's operations. "eyrie" outside run_program (tests).
const std::string& invoked_as();

}  // namespace eyrie::cli
