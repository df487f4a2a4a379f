#pragma once
// eyrie cluster status: asks every node of a cluster file for its metrics through an external
// endpoint and prints a one-line status (live with --watch; a health gate with --wait-healthy).

#include <span>

namespace eyrie::cli {

int status_command(std::span<char* const> args);

}  // namespace eyrie::cli
