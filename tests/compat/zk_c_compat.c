/* Volery against ZooKeeper's C client (libzookeeper_mt), run by compat_test.cpp.
 *
 * usage: zk_c_compat HOST:PORT
 *
 * zookeeper_init and a wait for the session, zoo_create/zoo_get/zoo_set/zoo_delete with
 * versions (BadVersion where ZooKeeper answers it), zoo_get_children, a data watcher that must
 * fire, zoo_multi (all applied, then one failing check that applies nothing). Prints
 * "c compat: OK" and exits 0, or prints the failed check and exits 1. Every wait is bounded. */
#define THREADED 1
#include <zookeeper/zookeeper.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int connected = 0;
static int data_events = 0;
static char event_path[256];

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "c compat: FAILED at line %d: %s\n", __LINE__, #cond);        \
      exit(1);                                                                       \
    }                                                                                \
  } while (0)
#define CHECK_RC(call, expected)                                                     \
  do {                                                                               \
    int rc_ = (call);                                                                \
    if (rc_ != (expected)) {                                                         \
      fprintf(stderr, "c compat: FAILED at line %d: %s returned %d (%s), expected %s\n", __LINE__, #call, rc_, \
              zerror(rc_), #expected);                                               \
      exit(1);                                                                       \
    }                                                                                \
  } while (0)

static void session_watcher(zhandle_t* zh, int type, int state, const char* path, void* context) {
  (void)zh; (void)path; (void)context;
  if (type == ZOO_SESSION_EVENT) {
    pthread_mutex_lock(&lock);
    connected = state == ZOO_CONNECTED_STATE;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
  }
}

static void data_watcher(zhandle_t* zh, int type, int state, const char* path, void* context) {
  (void)zh; (void)state; (void)context;
  if (type == ZOO_CHANGED_EVENT) {
    pthread_mutex_lock(&lock);
    ++data_events;
    snprintf(event_path, sizeof event_path, "%s", path);
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
  }
}

/* Waits until *flag is non-zero, at most `seconds`; returns its value. */
static int wait_for(int* flag, int seconds) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += seconds;
  pthread_mutex_lock(&lock);
  while (!*flag && pthread_cond_timedwait(&changed, &lock, &deadline) == 0) {
  }
  const int value = *flag;
  pthread_mutex_unlock(&lock);
  return value;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: zk_c_compat HOST:PORT\n");
    return 2;
  }
  zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
  zhandle_t* zh = zookeeper_init(argv[1], session_watcher, 20000, 0, 0, 0);
  CHECK(zh != NULL);
  CHECK(wait_for(&connected, 60));

  char root[64];
  snprintf(root, sizeof root, "/c-compat-%d", (int)getpid());
  char created[256];
  CHECK_RC(zoo_create(zh, root, "v0", 2, &ZOO_OPEN_ACL_UNSAFE, 0, created, sizeof created), ZOK);
  CHECK(strcmp(created, root) == 0);
  CHECK_RC(zoo_create(zh, root, "again", 5, &ZOO_OPEN_ACL_UNSAFE, 0, created, sizeof created), ZNODEEXISTS);

  char buffer[256];
  int length = sizeof buffer;
  struct Stat stat;
  CHECK_RC(zoo_get(zh, root, 0, buffer, &length, &stat), ZOK);
  CHECK(length == 2 && memcmp(buffer, "v0", 2) == 0 && stat.version == 0);

  /* Versions: a set at the right version bumps it, at a wrong one answers BadVersion. */
  CHECK_RC(zoo_set(zh, root, "v1", 2, 0), ZOK);
  CHECK_RC(zoo_set(zh, root, "bad", 3, 0), ZBADVERSION);
  length = sizeof buffer;
  CHECK_RC(zoo_get(zh, root, 0, buffer, &length, &stat), ZOK);
  CHECK(length == 2 && memcmp(buffer, "v1", 2) == 0 && stat.version == 1);

  /* Children. */
  char child[300];
  for (int i = 0; i < 3; ++i) {
    snprintf(child, sizeof child, "%s/child-%d", root, i);
    CHECK_RC(zoo_create(zh, child, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, created, sizeof created), ZOK);
  }
  struct String_vector children;
  CHECK_RC(zoo_get_children(zh, root, 0, &children), ZOK);
  CHECK(children.count == 3);
  deallocate_String_vector(&children);

  /* A data watch that must fire once the node changes. */
  length = sizeof buffer;
  CHECK_RC(zoo_wget(zh, root, data_watcher, NULL, buffer, &length, &stat), ZOK);
  CHECK_RC(zoo_set(zh, root, "v2", 2, 1), ZOK);
  CHECK(wait_for(&data_events, 30));
  CHECK(strcmp(event_path, root) == 0);

  /* Multi: all of it applies... */
  char multi_child[300];
  snprintf(multi_child, sizeof multi_child, "%s/multi", root);
  char multi_path[300];
  zoo_op_t ops[3];
  zoo_op_result_t results[3];
  zoo_create_op_init(&ops[0], multi_child, "m", 1, &ZOO_OPEN_ACL_UNSAFE, 0, multi_path, sizeof multi_path);
  zoo_check_op_init(&ops[1], root, 2);
  zoo_set_op_init(&ops[2], root, "v3", 2, 2, NULL);
  CHECK_RC(zoo_multi(zh, 3, ops, results), ZOK);
  CHECK(results[0].err == ZOK && results[1].err == ZOK && results[2].err == ZOK);
  CHECK(strcmp(multi_path, multi_child) == 0);
  /* ... or none of it: a check at a stale version fails the whole multi. */
  snprintf(child, sizeof child, "%s/never", root);
  zoo_create_op_init(&ops[0], child, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, created, sizeof created);
  zoo_check_op_init(&ops[1], root, 0);
  CHECK_RC(zoo_multi(zh, 2, ops, results), ZBADVERSION);
  CHECK(results[1].err == ZBADVERSION);
  CHECK_RC(zoo_exists(zh, child, 0, &stat), ZNONODE);

  /* Deletes with versions; a node with children cannot go. */
  CHECK_RC(zoo_delete(zh, root, -1), ZNOTEMPTY);
  CHECK_RC(zoo_delete(zh, multi_child, 5), ZBADVERSION);
  CHECK_RC(zoo_delete(zh, multi_child, 0), ZOK);
  for (int i = 0; i < 3; ++i) {
    snprintf(child, sizeof child, "%s/child-%d", root, i);
    CHECK_RC(zoo_delete(zh, child, -1), ZOK);
  }
  CHECK_RC(zoo_delete(zh, root, 3), ZOK);
  CHECK_RC(zoo_exists(zh, root, 0, &stat), ZNONODE);

  CHECK_RC(zookeeper_close(zh), ZOK);
  printf("c compat: OK\n");
  return 0;
}
