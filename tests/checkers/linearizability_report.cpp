#include "tests/checkers/linearizability.hpp"

// How the linearizability checker reports: verdicts, the explanation of a part that is not
// linearizable, and the folding of the parts into one report. The search is in
// linearizability.cpp.

#include <fmt/format.h>

#include <algorithm>

namespace eyrie::check {

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kLinearizable:
      return "linearizable";
    case Verdict::kNotLinearizable:
      return "not linearizable";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "?";
}

namespace {

std::string labels_text(const std::vector<std::string>& labels, std::size_t count) {
  std::string out;
  for (const std::string& label : labels) out += (out.empty() ? "" : "; ") + label;
  if (count > labels.size()) out += fmt::format("; and {} more", count - labels.size());
  return out;
}

}  // namespace

CheckResult LinearizabilityReport::result() const {
  switch (verdict) {
    case Verdict::kLinearizable:
      return CheckResult::ok();
    case Verdict::kNotLinearizable:
      return CheckResult::failed(fmt::format("not linearizable: {} of {} parts ({}). First: {}", parts_not_linearizable,
                                             parts, labels_text(not_linearizable_parts, parts_not_linearizable),
                                             explanation));
    case Verdict::kUnknown:
      return CheckResult::failed(
          fmt::format("linearizability unknown: the checker gave up on {} of {} parts ({}), and "
                      "passed the others. First: {}",
                      parts_unknown, parts, labels_text(unknown_parts, parts_unknown), explanation));
  }
  return CheckResult::failed("linearizability: bad verdict");
}

namespace linearizability_detail {

namespace {

std::string time_text(std::int64_t ns) {
  if (ns == kNeverNs) return "never";
  const bool negative = ns < 0;
  const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  return fmt::format("{}{}.{:06}ms", negative ? "-" : "", magnitude / 1'000'000, magnitude % 1'000'000);
}

}  // namespace

std::vector<std::size_t> next_candidates(std::span<const Interval> ops, std::span<const std::size_t> prefix) {
  std::vector<bool> placed(ops.size(), false);
  for (const std::size_t op : prefix) placed[op] = true;
  std::int64_t earliest_response = kNeverNs;
  for (std::size_t op = 0; op < ops.size(); ++op) {
    if (!placed[op]) earliest_response = std::min(earliest_response, ops[op].responded_ns);
  }
  std::vector<std::size_t> candidates;
  for (std::size_t op = 0; op < ops.size(); ++op) {
    if (!placed[op] && ops[op].invoked_ns <= earliest_response) candidates.push_back(op);
  }
  std::sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) {
    return std::pair(ops[a].invoked_ns, a) < std::pair(ops[b].invoked_ns, b);
  });
  return candidates;
}

std::string describe_operation(std::size_t index, NodeId client, const Interval& times, const std::string& what) {
  return fmt::format("#{} {} [{}, {}] {}", index, to_string(client), time_text(times.invoked_ns),
                     time_text(times.responded_ns), what);
}

std::string explain_failure(const std::string& label, std::span<const Interval> ops, const SearchOutcome& outcome,
                            const std::string& prefix_state, const std::function<std::string(std::size_t)>& describe,
                            const std::function<bool(std::size_t)>& step_ok) {
  constexpr std::size_t kPrefixShown = 8;
  constexpr std::size_t kCandidatesShown = 16;
  const std::vector<std::size_t>& prefix = outcome.longest_prefix;
  std::string out =
      fmt::format("part {}: not linearizable ({} operations, {} model steps).\n", label, ops.size(), outcome.steps);
  if (prefix.empty()) {
    out += "  No operation can be linearized first.\n";
  } else {
    out += fmt::format("  Longest linearizable prefix found: {} of {} operations{}:\n", prefix.size(), ops.size(),
                       prefix.size() > kPrefixShown ? fmt::format(" (the last {})", kPrefixShown) : "");
    for (std::size_t i = prefix.size() > kPrefixShown ? prefix.size() - kPrefixShown : 0; i < prefix.size(); ++i) {
      out += "    " + describe(prefix[i]) + "\n";
    }
  }
  out += fmt::format("  State {}: {}\n", prefix.empty() ? "at the start" : "after it", prefix_state);
  out += "  Operations that could come next, and none can:\n";
  const std::vector<std::size_t> candidates = next_candidates(ops, prefix);
  for (std::size_t i = 0; i < candidates.size() && i < kCandidatesShown; ++i) {
    out += "    " + describe(candidates[i]) +
           (step_ok(candidates[i]) ? "  -- possible here, but no linearization goes on from it\n"
                                   : "  -- impossible from this state\n");
  }
  if (candidates.size() > kCandidatesShown)
    out += fmt::format("    and {} more\n", candidates.size() - kCandidatesShown);
  return out;
}

void fold_part(LinearizabilityReport& report, const std::string& label, std::size_t operations, Verdict verdict,
               std::uint64_t steps, std::string explanation) {
  ++report.parts;
  report.largest_part_operations = std::max(report.largest_part_operations, operations);
  report.steps += steps;
  report.most_steps_in_a_part = std::max(report.most_steps_in_a_part, steps);
  if (verdict == Verdict::kNotLinearizable) {
    // A part that fails settles the verdict, whatever the parts not judged would have said.
    if (report.parts_not_linearizable++ == 0) report.explanation = std::move(explanation);
    if (report.not_linearizable_parts.size() < LinearizabilityReport::kSamplesMax) {
      report.not_linearizable_parts.push_back(label);
    }
    report.verdict = Verdict::kNotLinearizable;
  } else if (verdict == Verdict::kUnknown) {
    if (report.parts_unknown++ == 0 && report.verdict == Verdict::kLinearizable) {
      report.explanation = std::move(explanation);
    }
    if (report.unknown_parts.size() < LinearizabilityReport::kSamplesMax) report.unknown_parts.push_back(label);
    if (report.verdict == Verdict::kLinearizable) report.verdict = Verdict::kUnknown;
  }
}

}  // namespace linearizability_detail

}  // namespace eyrie::check
