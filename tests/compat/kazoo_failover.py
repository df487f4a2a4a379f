#!/usr/bin/python3
"""A gateway killed under kazoo load, run by compat_test.cpp (test VoleryCompat.GatewayFailover).

usage: kazoo_failover.py HOST1:PORT1,HOST2:PORT2 PID1,PID2 [ZK_C_FAILOVER]

HOSTi:PORTi are the ZooKeeper client ports of two Volery gateways, PIDi their processes, and
ZK_C_FAILOVER the zk_c_failover program (ZooKeeper's C client; without it the watches are not
checked). Four threads, each with its own kazoo session (connect string: both gateways, kazoo
picks one at random) and 4 paths of its own, run rounds in a closed loop: a setData of each path,
pipelined (all 4 in flight at once), then a getData of each, pipelined, recording each path's last
acknowledged write (data and version); each session also owns an ephemeral node. Once every
thread has done 100 rounds, the gateway that holds most kazoo sessions (read from the sessions'
sockets) is chosen; a C client session is opened on it (it tries the hosts in order) and sets data
watches on two existing nodes (`watched`, `early`) and an exists watch on an absent one
(`created`). Then the C client is stopped (SIGSTOP), that gateway gets SIGKILL, a session on the
other gateway sets `early` (its event goes to the dead gateway), and the C client goes on
(SIGCONT). Checks (ZooKeeper's session move, no acknowledged write lost):
- every session of the killed gateway, kazoo's and the C client's, reconnects to the other one
  with the same session id, and no session ever expires (no state LOST, client id unchanged, no
  expiry event);
- the C client's watches, which it sets again with setWatches on reconnecting, fire exactly once
  each: `early` (changed before the session moved: only setWatches can tell it), then `watched`
  (NodeDataChanged) and `created` (NodeCreated), changed once the session had moved; nothing
  else fires;
- after the kill, every kazoo session's ephemeral node still exists, owned by its session;
- the threads go on until each has done 100 more rounds after the kill. A request that fails
  with ConnectionLoss or OperationTimeout (a write's outcome unknown) is sent again until it is
  answered.
  An acknowledged setData's version is the previous one + 1, or, when it took k > 1 attempts
  (each applied at most once), between previous + 1 and previous + k; each get returns exactly
  the last acknowledged data and version; SessionMoved (or any other error) fails the test;
- at the end a new session reads every path's last acknowledged write; after the sessions close,
  their ephemeral nodes are gone.
Prints "failover compat: SIGKILL to gateway PID ..." at the kill, then "failover compat: OK" and
exits 0, or the failure and exits 1. The whole run has a deadline (240 s).
"""
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid

from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss, OperationTimeoutError
from kazoo.protocol.states import KazooState

THREADS = 4
PATHS = 4  # per session, written in pipelined rounds
ROUNDS = 100
DEADLINE = time.monotonic() + 240


def client(hosts):
    # 30 s sessions (Volery negotiates up to 40 s): ample for a reconnection on a loaded machine.
    zk = KazooClient(hosts=hosts, timeout=30)
    zk.start(timeout=60)
    return zk


def peer_port(zk):
    """The client port of the gateway the session is connected to, or None while it is not."""
    sock = zk._connection._socket
    if sock is None or not zk.connected:
        return None
    try:
        return sock.getpeername()[1]
    except OSError:
        return None


class Worker:
    """A kazoo session that owns PATHS paths and an ephemeral node."""

    def __init__(self, hosts, root, i):
        self.zk = client(hosts)
        self.session_id = self.zk.client_id[0]
        self.states = []
        self.zk.add_listener(self.states.append)
        self.paths = [f"{root}/t{i}-{j}" for j in range(PATHS)]
        self.ephemeral = f"{root}/e{i}"
        self.rounds = 0
        self.rounds_after_kill = 0
        self.retries = 0
        self.last = {path: (b"", 0) for path in self.paths}  # the last acknowledged (data, version)
        self.error = None
        for path in self.paths:
            self.zk.create(path, b"")
        self.zk.create(self.ephemeral, b"", ephemeral=True)

    def pipelined(self, calls):
        """Sends calls[path]() (an async request) for every path at once, and again for each one
        that fails with a connection error, until every one is answered; returns (the answers, the
        number of attempts), each by path."""
        answers, attempts = {}, dict.fromkeys(calls, 0)
        while len(answers) < len(calls):
            if time.monotonic() > DEADLINE:
                raise TimeoutError("deadline passed")
            sent = {}
            for path, call in calls.items():
                if path not in answers:
                    attempts[path] += 1
                    sent[path] = call()
            for path, result in sent.items():
                try:
                    answers[path] = result.get(timeout=60)
                except (ConnectionLoss, OperationTimeoutError):
                    self.retries += 1
            if len(answers) < len(calls):
                time.sleep(0.05)  # the client reconnects meanwhile
        return answers, attempts

    def run(self, killed, stop):
        try:
            n = 0
            while not stop.is_set():
                n += 1
                data = {path: f"{path}:{n}".encode() for path in self.paths}
                stats, attempts = self.pipelined(
                    {path: (lambda path=path: self.zk.set_async(path, data[path])) for path in self.paths})
                for path in self.paths:
                    # Only this session writes the path: each attempt was applied at most once,
                    # and the acknowledged one was applied.
                    version = self.last[path][1]
                    assert version + 1 <= stats[path].version <= version + attempts[path], (
                        path, stats[path].version, version, attempts[path])
                    self.last[path] = (data[path], stats[path].version)
                self.rounds += 1
                if killed.is_set():
                    self.rounds_after_kill += 1
                reads, _ = self.pipelined({path: (lambda path=path: self.zk.get_async(path)) for path in self.paths})
                for path in self.paths:
                    read, stat = reads[path]
                    assert (read, stat.version) == self.last[path], (path, read, stat.version, self.last[path])
        except Exception as e:  # reported by the main thread
            self.error = e
            traceback.print_exc()


class CWatcher:
    """zk_c_failover (ZooKeeper's C client) as a child process: its stdout lines, read by a thread."""

    def __init__(self, binary, hosts, watched, created, early):
        self.process = subprocess.Popen([binary, hosts, watched, created, early], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        self.lines = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            with self.lock:
                self.lines.append(line.split())

    def seen(self, since=0):
        with self.lock:
            return list(self.lines[since:])

    def expect(self, condition, what, since=0):
        """The first line from `since` on for which condition(words) holds."""
        found = []
        wait_until(lambda: found.extend(l for l in self.seen(since) if condition(l)) or found
                   or self.process.poll() is not None, f"zk_c_failover: {what}")
        assert found, (f"zk_c_failover ended ({self.process.returncode}) before {what}", self.seen())
        return found[0]

    def pause(self):
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def wait_until(condition, what):
    while not condition():
        if time.monotonic() > DEADLINE:
            raise AssertionError(f"deadline passed waiting for {what}")
        time.sleep(0.05)


def main():
    hosts = sys.argv[1]
    pids = [int(p) for p in sys.argv[2].split(",")]
    c_watcher_binary = sys.argv[3] if len(sys.argv) > 3 else None
    host_list = hosts.split(",")
    ports = [int(h.rsplit(":", 1)[1]) for h in host_list]
    assert len(ports) == 2 and len(pids) == 2, "expected two gateways and their two PIDs"
    root = "/failover-" + uuid.uuid4().hex[:8]
    watched, created, early = f"{root}/watched", f"{root}/created", f"{root}/early"
    setup = client(hosts)
    setup.create(root, b"")
    setup.create(watched, b"before")
    setup.create(early, b"before")
    workers = [Worker(hosts, root, i) for i in range(THREADS)]
    killed, stop = threading.Event(), threading.Event()
    threads = [threading.Thread(target=w.run, args=(killed, stop), daemon=True) for w in workers]
    changer, reader, c_watcher = None, None, None
    try:
        for t in threads:
            t.start()
        failed = lambda: any(w.error for w in workers)
        wait_until(lambda: failed() or all(w.rounds >= ROUNDS for w in workers), "rounds before the kill")
        assert not failed()

        # The gateway that holds most sessions dies.
        on = {}
        wait_until(lambda: all(peer_port(w.zk) in ports for w in workers), "every session connected")
        for w in workers:
            on.setdefault(peer_port(w.zk), []).append(w)
        victim = max(range(2), key=lambda g: len(on.get(ports[g], [])))
        victim_port, survivor_port, victim_pid = ports[victim], ports[1 - victim], pids[victim]
        moving = on[victim_port]
        # The C client's session, on that gateway (it tries the hosts in order), watches.
        if c_watcher_binary:
            c_watcher = CWatcher(c_watcher_binary, f"{host_list[victim]},{host_list[1 - victim]}", watched, created,
                                 early)
            c_port, c_session = c_watcher.expect(lambda l: l[:1] == ["connected"], "a session")[1:]
            assert int(c_port) == victim_port, (c_port, victim_port)
            c_watcher.expect(lambda l: l == ["watching"], "its watches")
        # The C client is stopped (SIGSTOP) across the kill while a session on the other gateway
        # changes `early`: the event goes to the dead gateway, so the C client learns of the
        # change only from its setWatches when it reconnects.
        changer = client(host_list[1 - victim])
        c_lines_before_kill = len(c_watcher.seen()) if c_watcher else 0
        if c_watcher:
            c_watcher.pause()
        os.kill(victim_pid, signal.SIGKILL)
        killed.set()
        killed_at = time.monotonic()
        changer.set(early, b"after")
        if c_watcher:
            c_watcher.resume()
        print(f"failover compat: SIGKILL to gateway {victim_pid} (port {victim_port}) holding "
              f"{len(moving)} of {THREADS} kazoo sessions, after {[w.rounds for w in workers]} rounds", flush=True)

        # Its sessions reconnect to the other gateway, as the same sessions.
        wait_until(lambda: failed() or all(peer_port(w.zk) == survivor_port for w in moving),
                   "the kazoo sessions of the killed gateway on the surviving one")
        assert not failed(), [w.error for w in workers]
        for w in workers:
            assert w.zk.client_id[0] == w.session_id, (w.paths, w.zk.client_id[0], w.session_id)
            assert KazooState.LOST not in w.states, (w.paths, w.states)
        print(f"failover compat: {len(moving)} kazoo sessions moved in {time.monotonic() - killed_at:.1f}s",
              flush=True)
        if c_watcher:
            c_watcher.expect(lambda l: l == ["connected", str(survivor_port), c_session], "the same session, moved",
                             since=c_lines_before_kill)
            print(f"failover compat: the C client's session moved in {time.monotonic() - killed_at:.1f}s", flush=True)
            # Its watches were set again by setWatches: `early`, changed before the session moved,
            # fires; nothing else changed yet, so nothing else fired.
            c_watcher.expect(lambda l: l == ["event", "changed", early], "NodeDataChanged of the early change")
            assert [l for l in c_watcher.seen() if l[:1] in (["event"], ["expired"], ["auth_failed"])] == [
                ["event", "changed", early]], c_watcher.seen()

        # Changes made now fire the watches set before the kill, each once.
        changer.set(watched, b"after")
        changer.create(created, b"")
        for w in workers:
            stat = changer.exists(w.ephemeral)
            assert stat is not None and stat.ephemeralOwner == w.session_id, (w.ephemeral, stat, w.session_id)
        if c_watcher:
            c_watcher.expect(lambda l: l == ["event", "changed", watched], "NodeDataChanged")
            c_watcher.expect(lambda l: l == ["event", "created", created], "NodeCreated")

        wait_until(lambda: failed() or all(w.rounds_after_kill >= ROUNDS for w in workers), "rounds after the kill")
        stop.set()
        for t in threads:
            t.join(60)
            assert not t.is_alive(), "a worker did not stop"
        assert not failed(), [w.error for w in workers]
        print(f"failover compat: {PATHS * sum(w.rounds_after_kill for w in workers)} writes acknowledged in "
              f"{time.monotonic() - killed_at:.1f}s after the kill; {sum(w.retries for w in workers)} retries",
              flush=True)
        for w in workers:
            assert w.zk.client_id[0] == w.session_id, (w.paths, w.zk.client_id[0], w.session_id)
            assert KazooState.LOST not in w.states, (w.paths, w.states)
        if c_watcher:
            c_watcher.process.stdin.write("exit\n")
            c_watcher.process.stdin.flush()
            c_watcher.expect(lambda l: l == ["closed"], "its close")
            assert c_watcher.process.wait(60) == 0, c_watcher.seen()
            print(f"failover compat: the C client said {' | '.join(' '.join(l) for l in c_watcher.seen())}",
                  flush=True)
            # Each watch fired exactly once; the session never expired.
            events = [l for l in c_watcher.seen() if l[:1] in (["event"], ["expired"], ["auth_failed"])]
            assert events == [["event", "changed", early], ["event", "changed", watched],
                              ["event", "created", created]], c_watcher.seen()

        # A new session reads every path's last acknowledged write.
        reader = client(hosts)
        for w in workers:
            for path in w.paths:
                data, stat = reader.get(path)
                assert (data, stat.version) == w.last[path], (path, data, stat.version, w.last[path])
        # Closed sessions leave no ephemeral node.
        for w in workers:
            w.zk.stop()
        for w in workers:
            assert reader.exists(w.ephemeral) is None, w.ephemeral
        reader.delete(root, recursive=True)
    except Exception:
        traceback.print_exc()
        print("failover compat: FAILED", flush=True)
        return 1
    finally:
        stop.set()
        if c_watcher:
            c_watcher.stop()
        for zk in [w.zk for w in workers] + [c for c in (setup, changer, reader) if c is not None]:
            zk.stop()
            zk.close()
    print("failover compat: OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
