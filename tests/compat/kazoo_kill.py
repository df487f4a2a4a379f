#!/usr/bin/python3
"""A replica killed under kazoo load, run by compat_test.cpp (test VoleryCompat.KillCoordinator).

usage: kazoo_kill.py HOST:PORT VICTIM_PID

Four threads, each with its own session, set and get their own path in a closed loop and record
the last acknowledged write (data and version). Once every thread has done 200 writes, VICTIM_PID
(a replica that coordinates Ridge ensembles) gets SIGKILL; the threads go on until each has done
200 more writes after the kill. A write that fails with a connection error (its outcome unknown)
is sent again until it is acknowledged, so the last write of each path is acknowledged. Checks:
each get returns the thread's last acknowledged write, versions only grow, and at the end a new
session reads every path's last acknowledged write. Prints "kill compat: OK" and exits 0, or
the failure and exits 1. The whole run has a deadline (240 s).
"""
import os
import signal
import sys
import threading
import time
import traceback
import uuid

from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss, OperationTimeoutError, SessionMovedError

THREADS = 4
WRITES = 200
DEADLINE = time.monotonic() + 240


def client(hosts):
    zk = KazooClient(hosts=hosts, timeout=20)
    zk.start(timeout=60)
    return zk


class Worker:
    def __init__(self, hosts, path):
        self.zk = client(hosts)
        self.path = path
        self.writes = 0
        self.writes_after_kill = 0
        self.retries = 0
        self.last_data = None
        self.last_version = -1
        self.error = None
        self.zk.create(path, b"")

    def retrying(self, call):
        while True:
            if time.monotonic() > DEADLINE:
                raise TimeoutError("deadline passed")
            try:
                return call()
            except (ConnectionLoss, OperationTimeoutError, SessionMovedError):
                self.retries += 1
                time.sleep(0.05)  # the client reconnects meanwhile

    def run(self, killed, stop):
        try:
            n = 0
            while not stop.is_set():
                n += 1
                data = f"{self.path}:{n}".encode()
                stat = self.retrying(lambda: self.zk.set(self.path, data))
                assert stat.version > self.last_version, (self.path, stat.version, self.last_version)
                self.last_data, self.last_version = data, stat.version
                self.writes += 1
                if killed.is_set():
                    self.writes_after_kill += 1
                read, rstat = self.retrying(lambda: self.zk.get(self.path))
                assert read == data and rstat.version == stat.version, (self.path, read, data, rstat.version)
        except Exception as e:  # reported by the main thread
            self.error = e
            traceback.print_exc()


def wait_until(condition, what):
    while not condition():
        if time.monotonic() > DEADLINE:
            raise AssertionError(f"deadline passed waiting for {what}")
        time.sleep(0.05)


def main():
    hosts, victim = sys.argv[1], int(sys.argv[2])
    root = "/kill-" + uuid.uuid4().hex[:8]
    setup = client(hosts)
    setup.create(root, b"")
    workers = [Worker(hosts, f"{root}/t{i}") for i in range(THREADS)]
    killed, stop = threading.Event(), threading.Event()
    threads = [threading.Thread(target=w.run, args=(killed, stop), daemon=True) for w in workers]
    try:
        for t in threads:
            t.start()
        failed = lambda: any(w.error for w in workers)
        wait_until(lambda: failed() or all(w.writes >= WRITES for w in workers), "writes before the kill")
        assert not failed()
        os.kill(victim, signal.SIGKILL)
        killed.set()
        killed_at = time.monotonic()
        print(f"kill compat: SIGKILL to {victim} after {[w.writes for w in workers]} writes", flush=True)
        wait_until(lambda: failed() or all(w.writes_after_kill >= WRITES for w in workers), "writes after the kill")
        stop.set()
        for t in threads:
            t.join(60)
            assert not t.is_alive(), "a worker did not stop"
        assert not failed(), [w.error for w in workers]
        print(f"kill compat: {sum(w.writes_after_kill for w in workers)} writes acknowledged in "
              f"{time.monotonic() - killed_at:.1f}s after the kill; {sum(w.retries for w in workers)} retries",
              flush=True)
        # A new session reads every path's last acknowledged write.
        reader = client(hosts)
        try:
            for w in workers:
                data, stat = reader.get(w.path)
                assert data == w.last_data and stat.version == w.last_version, (w.path, data, w.last_data,
                                                                                stat.version, w.last_version)
            reader.delete(root, recursive=True)
        finally:
            reader.stop()
            reader.close()
    except Exception:
        traceback.print_exc()
        print("kill compat: FAILED", flush=True)
        return 1
    finally:
        stop.set()
        for w in workers:
            w.zk.stop()
            w.zk.close()
        setup.stop()
        setup.close()
    print("kill compat: OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
