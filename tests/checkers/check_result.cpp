#include "tests/checkers/check_result.hpp"

#include <fmt/format.h>

namespace eyrie::check {

void ViolationRecorder::record(Time at, std::string what) {
  if (count_++ == 0) {
    first_at_ = at;
    first_ = std::move(what);
  }
}

CheckResult ViolationRecorder::result() const {
  if (count_ == 0) return CheckResult::ok();
  std::string reason = fmt::format("at {}: {}", to_string(first_at_.time_since_epoch()), first_);
  if (count_ > 1) reason += fmt::format(" (and {} more violations)", count_ - 1);
  return CheckResult::failed(std::move(reason));
}

}  // namespace eyrie::check
