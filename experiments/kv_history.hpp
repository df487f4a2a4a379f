#pragma once
// The history file of kv clients (`eyrie kv load --history`), read by `eyrie kv check` and the
// multi-process tests, which judge it with the linearizability checker (KvModel).
//
// A text file, one operation per line (lines starting with '#' are comments):
//
//   <client> <invoked-ns> <responded-ns|-> <operation> => <output>
//
// client: the client's endpoint id (decimal); times: nanoseconds of the machine's monotonic
// clock, the same for every process (a '-' response: none seen, the output is unknown).
// operation: `get K`, `put K V`, `cas K E V`, `transfer K K AMOUNT`, `put_many N K V ...`;
// output: `ok`, `ok M` (get), `mismatch M`, `insufficient`, `unknown`. A key is written escaped;
// a value is `=` and the value escaped; M (a value or absence) is a value or `-`. Escaping:
// '%', '=' and bytes outside the printable ASCII range as %XX.

#include <filesystem>
#include <span>
#include <string>

#include "tests/checkers/kv_model.hpp"

namespace eyrie::experiments {

// Writes `history` to `path` (replacing it); throws std::runtime_error when it cannot.
void write_kv_history(const std::filesystem::path& path, std::span<const check::kv::KvOperation> history);

// Reads a history file; throws std::runtime_error ("FILE:LINE: what is wrong") for a file that
// cannot be read or a malformed line.
check::kv::KvHistory read_kv_history(const std::filesystem::path& path);

// One operation as a line (without the newline), and back (nullopt with a reason).
std::string format_kv_operation(const check::kv::KvOperation& op);
std::optional<check::kv::KvOperation> parse_kv_operation(std::string_view line, std::string* error);

}  // namespace eyrie::experiments
