#include "experiments/kv_history.hpp"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace eyrie::experiments {

namespace {

using namespace check::kv;

std::string escape(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte <= 0x20 || byte >= 0x7f || ch == '%' || ch == '=') {
      out += fmt::format("%{:02X}", byte);
    } else {
      out += ch;
    }
  }
  return out;
}

std::optional<std::string> unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size()) return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc{} || end != text.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

std::string value_word(const std::string& value) { return "=" + escape(value); }
std::string maybe_word(const MaybeValue& value) { return value ? value_word(*value) : "-"; }

std::string input_words(const Input& input) {
  return std::visit(
      [](const auto& op) -> std::string {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, Get>) return "get " + escape(op.key);
        if constexpr (std::is_same_v<T, Put>) return "put " + escape(op.key) + " " + value_word(op.value);
        if constexpr (std::is_same_v<T, Cas>) {
          return "cas " + escape(op.key) + " " + maybe_word(op.expected) + " " + value_word(op.value);
        }
        if constexpr (std::is_same_v<T, Transfer>) {
          return fmt::format("transfer {} {} {}", escape(op.from), escape(op.to), op.amount);
        }
        if constexpr (std::is_same_v<T, PutMany>) {
          std::string out = fmt::format("put_many {}", op.writes.size());
          for (const auto& [k, v] : op.writes) out += " " + escape(k) + " " + value_word(v);
          return out;
        }
      },
      input);
}

std::string output_words(const Input& input, const Output& output) {
  switch (output.status) {
    case Status::kUnknown: return "unknown";
    case Status::kOk: return std::holds_alternative<Get>(input) ? "ok " + maybe_word(output.value) : "ok";
    case Status::kMismatch: return "mismatch " + maybe_word(output.value);
    case Status::kInsufficient: return "insufficient";
  }
  return "unknown";
}

// Reads the words of one line in order; every accessor fails the parse with a reason.
class Words {
 public:
  explicit Words(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && line[i] == ' ') ++i;
      const std::size_t start = i;
      while (i < line.size() && line[i] != ' ') ++i;
      if (i > start) words_.push_back(line.substr(start, i - start));
    }
  }
  bool done() const { return next_ == words_.size(); }
  std::string_view word(const char* what) {
    if (done()) throw std::invalid_argument(fmt::format("missing {}", what));
    return words_[next_++];
  }
  void expect(std::string_view literal) {
    const std::string_view w = word(std::string(literal).c_str());
    if (w != literal) throw std::invalid_argument(fmt::format("expected \"{}\", got \"{}\"", literal, w));
  }
  template <typename Int>
  Int integer(const char* what) {
    return number<Int>(word(what), what);
  }
  template <typename Int>
  static Int number(std::string_view w, const char* what) {
    Int value{};
    const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), value);
    if (ec != std::errc{} || end != w.data() + w.size()) throw std::invalid_argument(fmt::format("{}: not a number: \"{}\"", what, w));
    return value;
  }
  std::string key() {
    const std::string_view w = word("a key");
    std::optional<std::string> k = unescape(w);
    if (!k || k->empty()) throw std::invalid_argument(fmt::format("bad key \"{}\"", w));
    return *k;
  }
  std::string value() {
    const std::string_view w = word("a value");
    std::optional<std::string> v = w.starts_with('=') ? unescape(w.substr(1)) : std::nullopt;
    if (!v) throw std::invalid_argument(fmt::format("bad value \"{}\" (expected = and the value)", w));
    return *v;
  }
  MaybeValue maybe() {
    if (!done() && words_[next_] == "-") {
      ++next_;
      return std::nullopt;
    }
    return value();
  }

 private:
  std::vector<std::string_view> words_;
  std::size_t next_ = 0;
};

Input parse_input(Words& w) {
  const std::string_view kind = w.word("an operation");
  if (kind == "get") return Get{w.key()};
  if (kind == "put") {
    std::string key = w.key();
    return Put{std::move(key), w.value()};
  }
  if (kind == "cas") {
    std::string key = w.key();
    MaybeValue expected = w.maybe();
    return Cas{std::move(key), std::move(expected), w.value()};
  }
  if (kind == "transfer") {
    std::string from = w.key();
    std::string to = w.key();
    return Transfer{std::move(from), std::move(to), w.integer<std::int64_t>("the amount")};
  }
  if (kind == "put_many") {
    const auto n = w.integer<std::size_t>("the number of writes");
    if (n == 0 || n > 1'000'000) throw std::invalid_argument("put_many: expected 1..1000000 writes");
    PutMany m;
    for (std::size_t i = 0; i < n; ++i) {
      std::string key = w.key();
      m.writes.emplace_back(std::move(key), w.value());
    }
    return m;
  }
  throw std::invalid_argument(fmt::format("unknown operation \"{}\"", kind));
}

Output parse_output(Words& w, const Input& input) {
  const std::string_view status = w.word("an output");
  if (status == "unknown") return Output::unknown();
  if (status == "ok") return std::holds_alternative<Get>(input) ? Output::read(w.maybe()) : Output::ok();
  if (status == "mismatch") return Output::mismatch(w.maybe());
  if (status == "insufficient") return Output::insufficient();
  throw std::invalid_argument(fmt::format("unknown output \"{}\"", status));
}

}  // namespace

std::string format_kv_operation(const KvOperation& op) {
  return fmt::format("{} {} {} {} => {}", op.client.value, op.invoked_ns,
                     op.answered() ? std::to_string(op.responded_ns) : "-", input_words(op.input),
                     output_words(op.input, op.output));
}

std::optional<KvOperation> parse_kv_operation(std::string_view line, std::string* error) {
  try {
    Words w(line);
    KvOperation op;
    op.client = NodeId{w.integer<std::uint64_t>("the client")};
    op.invoked_ns = w.integer<std::int64_t>("the invocation time");
    const std::string_view responded = w.word("the response time");
    if (responded != "-") op.responded_ns = Words::number<std::int64_t>(responded, "the response time");
    op.input = parse_input(w);
    w.expect("=>");
    op.output = parse_output(w, op.input);
    if (!w.done()) throw std::invalid_argument("unexpected words after the output");
    if (op.answered() != (op.output.status != Status::kUnknown)) {
      throw std::invalid_argument("an operation has a response time exactly when its output is known");
    }
    if (op.answered() && op.responded_ns < op.invoked_ns) throw std::invalid_argument("response before invocation");
    return op;
  } catch (const std::invalid_argument& e) {
    if (error != nullptr) *error = e.what();
    return std::nullopt;
  }
}

void write_kv_history(const std::filesystem::path& path, std::span<const KvOperation> history) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::runtime_error(path.string() + ": cannot write the history file");
  out << "# eyrie kv history: client invoked-ns responded-ns|- operation => output (experiments/kv_history.hpp)\n";
  for (const KvOperation& op : history) out << format_kv_operation(op) << '\n';
  out.flush();
  if (!out) throw std::runtime_error(path.string() + ": cannot write the history file");
}

KvHistory read_kv_history(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open the history file");
  KvHistory history;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line.front() == '#') continue;
    std::string error;
    std::optional<KvOperation> op = parse_kv_operation(line, &error);
    if (!op) throw std::runtime_error(fmt::format("{}:{}: {}", path.string(), number, error));
    history.push_back(std::move(*op));
  }
  if (in.bad()) throw std::runtime_error(path.string() + ": read error");
  return history;
}

}  // namespace eyrie::experiments
