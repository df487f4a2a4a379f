/* A ZooKeeper C client (libzookeeper_mt) session whose gateway is killed, run by
 * kazoo_failover.py (test VoleryCompat.GatewayFailover in compat_test.cpp).
 *
 * usage: zk_c_failover HOST:PORT,HOST:PORT WATCHED CREATED EARLY
 *
 * Connects to the hosts in the order given (zoo_deterministic_conn_order), so to the first one
 * while it is up, sets data watches on WATCHED and EARLY (which must exist) and an exists watch
 * on CREATED (which must not), all with the global watcher, and reports on stdout, a line each:
 *   connected PORT SESSION   the session is (re)established: the gateway's client port, the
 *                            session id (hex)
 *   watching                 the watches are set
 *   event TYPE PATH          a watch event: created, deleted, changed or child
 *   connecting | expired | auth_failed   other session states
 * then waits for "exit" on stdin, closes the session, prints "closed" and exits 0 (1 on a
 * failed call). Unlike kazoo, this client keeps its watches across a reconnection and sets them
 * again with setWatches (relativeZxid: the last zxid it saw), which is what the test checks.
 * Its session timeout is 30 s. The process ends itself after 300 s (alarm), whatever happens. */
#define THREADED 1
#include <zookeeper/zookeeper.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int connected = 0;

static void say(const char* line) {
  pthread_mutex_lock(&lock);
  fputs(line, stdout);
  fputc('\n', stdout);
  fflush(stdout);
  pthread_mutex_unlock(&lock);
}

static int connected_port(zhandle_t* zh) {
  struct sockaddr_storage addr;
  socklen_t length = sizeof addr;
  if (zookeeper_get_connected_host(zh, (struct sockaddr*)&addr, &length) == NULL) return -1;
  if (addr.ss_family == AF_INET) return ntohs(((struct sockaddr_in*)&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6*)&addr)->sin6_port);
  return -1;
}

static const char* event_name(int type) {
  if (type == ZOO_CREATED_EVENT) return "created";
  if (type == ZOO_DELETED_EVENT) return "deleted";
  if (type == ZOO_CHANGED_EVENT) return "changed";
  if (type == ZOO_CHILD_EVENT) return "child";
  return "other";
}

static void watcher(zhandle_t* zh, int type, int state, const char* path, void* context) {
  char line[512];
  (void)context;
  if (type != ZOO_SESSION_EVENT) {
    snprintf(line, sizeof line, "event %s %s", event_name(type), path);
    say(line);
    return;
  }
  if (state == ZOO_CONNECTED_STATE) {
    snprintf(line, sizeof line, "connected %d %llx", connected_port(zh),
             (unsigned long long)zoo_client_id(zh)->client_id);
    say(line);
    pthread_mutex_lock(&lock);
    connected = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
  } else if (state == ZOO_EXPIRED_SESSION_STATE) {
    say("expired");
  } else if (state == ZOO_AUTH_FAILED_STATE) {
    say("auth_failed");
  } else if (state == ZOO_CONNECTING_STATE) {
    say("connecting");
  }
}

static void fail(const char* what, int rc) {
  fprintf(stderr, "zk_c_failover: %s: %d (%s)\n", what, rc, zerror(rc));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: zk_c_failover HOST:PORT,HOST:PORT WATCHED CREATED EARLY\n");
    return 2;
  }
  alarm(300);
  zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
  zoo_deterministic_conn_order(1);
  zhandle_t* zh = zookeeper_init(argv[1], watcher, 30000, 0, NULL, 0);
  if (zh == NULL) fail("zookeeper_init", ZSYSTEMERROR);

  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  pthread_mutex_lock(&lock);
  while (!connected) {
    if (pthread_cond_timedwait(&changed, &lock, &deadline) != 0) {
      pthread_mutex_unlock(&lock);
      fail("no session within 60 s", ZOPERATIONTIMEOUT);
    }
  }
  pthread_mutex_unlock(&lock);

  char buffer[64];
  int length = sizeof buffer;
  struct Stat stat;
  int rc = zoo_get(zh, argv[2], 1, buffer, &length, &stat);
  if (rc != ZOK) fail("zoo_get of WATCHED", rc);
  rc = zoo_exists(zh, argv[3], 1, &stat);
  if (rc != ZNONODE) fail("zoo_exists of CREATED", rc);
  length = sizeof buffer;
  rc = zoo_get(zh, argv[4], 1, buffer, &length, &stat);
  if (rc != ZOK) fail("zoo_get of EARLY", rc);
  say("watching");

  char line[64];
  while (fgets(line, sizeof line, stdin) != NULL && strncmp(line, "exit", 4) != 0) {
  }
  rc = zookeeper_close(zh);
  if (rc != ZOK) fail("zookeeper_close", rc);
  say("closed");
  return 0;
}
