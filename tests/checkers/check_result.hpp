#pragma once
// The verdict of a checker, and a recorder for violations found while a run goes on. Shared by
// every checker (echo today; multicast order and linearizability later) so that `eyrie sim`
// and the tests report failures the same way: the first violation, when it happened, and how
// many more followed.

#include <cstdint>
#include <string>
#include <utility>

#include "runtime/types.hpp"

namespace eyrie::check {

class CheckResult {
 public:
  static CheckResult ok() { return CheckResult(true, {}); }
  static CheckResult failed(std::string reason) { return CheckResult(false, std::move(reason)); }

  bool passed() const { return passed_; }
  const std::string& reason() const { return reason_; }  // empty when passed

 private:
  CheckResult(bool passed, std::string reason) : passed_(passed), reason_(std::move(reason)) {}
  bool passed_;
  std::string reason_;
};

// Keeps the first violation (the one worth debugging: later ones are often its consequences)
// and counts the rest, so memory stays bounded however broken the system under test is.
class ViolationRecorder {
 public:
  void record(Time at, std::string what);
  bool any() const { return count_ > 0; }
  std::uint64_t count() const { return count_; }
  // "at 12.500s: <first violation> (and 3 more violations)", or ok.
  CheckResult result() const;

 private:
  std::uint64_t count_ = 0;
  Time first_at_{};
  std::string first_;
};

}  // namespace eyrie::check
