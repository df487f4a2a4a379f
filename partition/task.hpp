#pragma once
// Task<T>: the coroutine type of StateMachine::execute and of any helper coroutine an
// application writes (`co_await helper(...)` nests them). Lazily started; single-threaded.
//
// The executor owns the outermost task and resumes it; when the command awaits a remote
// object the innermost coroutine suspends and control returns to the executor, which resumes
// that coroutine (through the awaitable's stored handle) once the value arrives. A finished
// inner task resumes its caller by symmetric transfer, so deep helper chains use no stack.
// An exception leaves the task through co_await / result(), as in ordinary code.

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

namespace eyrie::partition {

template <typename T>
class Task;

namespace detail {

// A finished task resumes whoever awaited it, or returns to the executor.
struct FinalAwaiter {
  bool await_ready() noexcept { return false; }
  template <typename P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
    const std::coroutine_handle<> next = h.promise().continuation;
    return next ? next : std::noop_coroutine();
  }
  void await_resume() noexcept {}
};

struct PromiseBase {
  std::coroutine_handle<> continuation{};
  std::exception_ptr error{};

  std::suspend_always initial_suspend() noexcept { return {}; }
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <typename T>
struct Promise : PromiseBase {
  std::optional<T> value{};
  Task<T> get_return_object() noexcept;
  template <typename U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() {
    if (error) std::rethrow_exception(error);
  }
};

}  // namespace detail

template <typename T = void>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle h) noexcept : h_(h) {}
  Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      destroy();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { destroy(); }

  // Awaited by another coroutine: run this one, resume the caller when it finishes.
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
    h_.promise().continuation = caller;
    return h_;
  }
  T await_resume() { return h_.promise().take(); }

  // Driven by the executor (outermost task only).
  bool valid() const noexcept { return static_cast<bool>(h_); }
  void start() { h_.resume(); }
  bool done() const noexcept { return h_.done(); }
  // Precondition: done(). Rethrows what the coroutine threw.
  T result() { return h_.promise().take(); }

 private:
  void destroy() noexcept {
    if (h_) h_.destroy();
    h_ = {};
  }
  Handle h_{};
};

namespace detail {
template <typename T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace eyrie::partition
