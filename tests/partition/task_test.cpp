// Task<T>: the coroutine type of StateMachine::execute. Values and exceptions travel out of
// nested helper coroutines as in ordinary calls, a suspension deep in a helper chain returns
// control to whoever resumed the outermost task, and resuming the stored handle finishes the
// chain; an unfinished task destroys every frame of its chain.

#include "partition/task.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace eyrie::partition {
namespace {

Task<int> forty_two() { co_return 42; }

TEST(Task, result_returnsTheValueOnceStartedAndDone) {
  Task<int> task = forty_two();
  ASSERT_TRUE(task.valid());
  EXPECT_FALSE(task.done());  // lazily started
  task.start();
  ASSERT_TRUE(task.done());
  EXPECT_EQ(task.result(), 42);
}

TEST(Task, moveLeavesTheSourceInvalid) {
  Task<int> a = forty_two();
  Task<int> b = std::move(a);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  ASSERT_TRUE(b.valid());
  Task<int> c;
  EXPECT_FALSE(c.valid());
  c = std::move(b);
  c.start();
  EXPECT_EQ(c.result(), 42);
}

Task<void> append(std::string& log, std::string what) {
  log += what;
  co_return;
}

Task<int> add_one(int x) { co_return x + 1; }

Task<std::string> caller(std::string& log) {
  co_await append(log, "a");
  const int two = co_await add_one(1);
  co_await append(log, std::to_string(two));
  const int four = co_await add_one(co_await add_one(two));
  log += "b";
  co_return log + ":" + std::to_string(four);
}

TEST(Task, nestedTasksResumeTheirCaller) {
  std::string log;
  Task<std::string> task = caller(log);
  EXPECT_EQ(log, "");  // nothing ran before start()
  task.start();
  ASSERT_TRUE(task.done());
  EXPECT_EQ(task.result(), "a2b:4");
  EXPECT_EQ(log, "a2b");
}

Task<int> deep(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await deep(depth - 1);
}

TEST(Task, aDeepChainOfHelpersFinishes) {
  // Symmetric transfer: a thousand nested frames complete.
  Task<int> task = deep(1000);
  task.start();
  ASSERT_TRUE(task.done());
  EXPECT_EQ(task.result(), 1000);
}

Task<int> throws_logic_error() {
  throw std::logic_error("inner failure");
  co_return 0;
}

Task<void> throws_in_void() {
  throw std::runtime_error("void failure");
  co_return;
}

Task<std::string> catches_nested() {
  try {
    (void)co_await throws_logic_error();
  } catch (const std::logic_error& e) {
    co_return std::string("caught: ") + e.what();
  }
  co_return "not caught";
}

TEST(Task, nestedExceptionReachesTheAwaitingCoroutine) {
  Task<std::string> task = catches_nested();
  task.start();
  ASSERT_TRUE(task.done());
  EXPECT_EQ(task.result(), "caught: inner failure");
}

Task<int> passes_through(bool& after_await_ran) {
  const int x = co_await throws_logic_error();
  after_await_ran = true;
  co_return x;
}

Task<int> two_levels_up(bool& after_await_ran) { co_return co_await passes_through(after_await_ran) + 1; }

TEST(Task, uncaughtNestedExceptionLeavesThroughTheOutermostResult) {
  bool after_await_ran = false;
  Task<int> task = two_levels_up(after_await_ran);
  task.start();
  ASSERT_TRUE(task.done());
  EXPECT_THROW((void)task.result(), std::logic_error);
  EXPECT_FALSE(after_await_ran);  // the code after the failing await never ran
}

Task<void> void_caller() { co_await throws_in_void(); }

TEST(Task, anExceptionFromATaskOfVoidReachesResult) {
  Task<void> task = void_caller();
  task.start();
  ASSERT_TRUE(task.done());
  try {
    task.result();
    FAIL() << "result() should rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "void failure");
  }
}

// An awaitable like an object access: it suspends, the test stores the handle (as the executor
// does) and later resumes it with a value.
struct Mailbox {
  std::coroutine_handle<> waiting{};
  int value = 0;
  int suspensions = 0;
};

struct Receive {
  Mailbox& box;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    box.waiting = h;
    ++box.suspensions;
  }
  int await_resume() const noexcept { return box.value; }
};

Task<int> innermost(Mailbox& box, std::string& log) {
  log += "<inner";
  const int v = co_await Receive{box};
  log += " got " + std::to_string(v);
  const int w = co_await Receive{box};
  log += " got " + std::to_string(w) + ">";
  co_return v * 100 + w;
}

Task<int> middle(Mailbox& box, std::string& log) {
  const int r = co_await innermost(box, log);
  log += " middle";
  co_return r + 1;
}

Task<int> outer(Mailbox& box, std::string& log) {
  const int r = co_await middle(box, log);
  log += " outer";
  co_return r * 2;
}

TEST(Task, aSuspendingAwaitableWorksThroughTwoLevelsOfNesting) {
  Mailbox box;
  std::string log;
  Task<int> task = outer(box, log);
  task.start();
  // Suspended in the innermost coroutine: control came back here.
  EXPECT_FALSE(task.done());
  EXPECT_EQ(box.suspensions, 1);
  ASSERT_TRUE(box.waiting);
  EXPECT_EQ(log, "<inner");

  box.value = 3;
  std::exchange(box.waiting, {}).resume();
  EXPECT_FALSE(task.done());
  EXPECT_EQ(box.suspensions, 2);
  EXPECT_EQ(log, "<inner got 3");

  box.value = 7;
  std::exchange(box.waiting, {}).resume();
  ASSERT_TRUE(task.done());
  EXPECT_EQ(log, "<inner got 3 got 7> middle outer");
  EXPECT_EQ(task.result(), (307 + 1) * 2);
}

struct Tracker {
  int* destroyed;
  ~Tracker() { ++*destroyed; }
};

Task<int> tracked_inner(Mailbox& box, int& destroyed) {
  Tracker t{&destroyed};
  co_return co_await Receive{box};
}

Task<int> tracked_outer(Mailbox& box, int& destroyed) {
  Tracker t{&destroyed};
  co_return co_await tracked_inner(box, destroyed);
}

TEST(Task, destroyingAnUnfinishedTaskFreesEveryFrameOfItsChain) {
  Mailbox box;
  int destroyed = 0;
  {
    Task<int> task = tracked_outer(box, destroyed);
    task.start();
    ASSERT_FALSE(task.done());
    ASSERT_TRUE(box.waiting);
    EXPECT_EQ(destroyed, 0);
  }
  // Both frames' locals were destroyed (the inner task lives in the outer frame); ASan would
  // report a leak if a frame had been left behind.
  EXPECT_EQ(destroyed, 2);
}

TEST(Task, destroyingANeverStartedTaskRunsNothing) {
  std::string log;
  { Task<std::string> task = caller(log); }
  EXPECT_EQ(log, "");
}

TEST(Task, moveAssigningOverAnUnfinishedTaskDestroysIt) {
  Mailbox box;
  int destroyed = 0;
  Task<int> task = tracked_outer(box, destroyed);
  task.start();
  ASSERT_FALSE(task.done());
  task = forty_two();
  EXPECT_EQ(destroyed, 2);
  task.start();
  EXPECT_EQ(task.result(), 42);
}

}  // namespace
}  // namespace eyrie::partition
