#include "tests/checkers/kv_service.hpp"

namespace eyrie::check::kv {

namespace app = ::eyrie::kv;

Input model_input(const app::Request& r) {
  return std::visit(
      [](const auto& op) -> Input {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, app::Get>) return Get{op.key};
        if constexpr (std::is_same_v<T, app::Put>) return Put{op.key, op.value};
        if constexpr (std::is_same_v<T, app::Cas>) return Cas{op.key, op.expected, op.value};
        if constexpr (std::is_same_v<T, app::Transfer>) return Transfer{op.from, op.to, op.amount};
        if constexpr (std::is_same_v<T, app::PutMany>) return PutMany{op.entries};
      },
      r);
}

Output model_output(const app::Response& r) {
  return std::visit(
      [](const auto& res) -> Output {
        using T = std::decay_t<decltype(res)>;
        if constexpr (std::is_same_v<T, app::Value>) return Output::read(res.value);
        if constexpr (std::is_same_v<T, app::Ok>) return Output::ok();
        if constexpr (std::is_same_v<T, app::CasMismatch>) return Output::mismatch(res.current);
        if constexpr (std::is_same_v<T, app::Insufficient>) return Output::insufficient();
      },
      r);
}

}  // namespace eyrie::check::kv
