#!/usr/bin/python3
"""Differential test: Volery against a real ZooKeeper 3.8.

For each seed, a random operation sequence runs first against a standalone Debian ZooKeeper
(it chooses the sequence: versions right and wrong come from the state it reads) and is then
replayed unchanged against a multi-process Volery cluster through its ZooKeeper gateway. Every
result (return values, stats, ACLs, error codes, sync's path) must be equal up to zxids, times
and session ids: ephemeralOwner is mapped to the session that made the node (A, B, B2, ...),
children are compared as sets. Requests are sent raw (kazoo's request records through
KazooClient._call), so kazoo neither checks nor rewrites paths and invalid ones reach the server.

Watches: exists, getData and getChildren2 set watches half of the time, from both sessions, and
every seed starts with a scripted watch sequence (Generator.scripted). Each session's events are
read off the wire, in arrival order among its replies (kazoo's reader thread logs both). After
each operation, every session with a watch on a path the operation may have changed reads each
such path and waits for the answers: both systems send an event before a later reply that
reflects it (Volery: at the watched path's partition, where that read runs), so the events a
session logged between two operations are exactly those the first one fired. They are compared
per operation and session, placed before or after the operation's reply; within one operation
ordered by path (each path's in arrival order: the events of one change come from several
partitions in Volery, and ZooKeeper promises no order among them).

Error answers: after the seeds, requests kazoo cannot send (TTL modes, unknown opcodes, malformed
records, bad frames) go on plain sockets after a handshake; the answer (code, body) and whether
the connection stays usable must be equal (ERROR_PROBES). Operations ZooKeeper 3.8 runs and Volery
deliberately does not (UNSUPPORTED_PROBES, docs/volery.md) are not compared: Volery must answer
its documented error.

    zk_differential.py --eyrie build/bin/eyrie [--seeds 1..4] [--ops 250]
    zk_differential.py --self-check ...   # a second ZooKeeper instead of Volery

Exit status 0 when every seed and every error answer agrees; 1 with the first difference of
each seed printed.
"""

import argparse
import logging
import os
import random
import shutil
import socket
import struct
import sys
import tempfile
import time

try:
    import kazoo  # noqa: F401
except ImportError:
    print("differential: SKIPPED (python3-kazoo is not installed)")
    sys.exit(77)
if shutil.which("java") is None or not os.path.exists("/usr/share/java/zookeeper.jar"):
    print("differential: SKIPPED (java or ZooKeeper's jars are missing: Debian package zookeeper)")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "experiments", "zookeeper"))

from kazoo.client import KazooClient  # noqa: E402
from kazoo.exceptions import EXCEPTIONS  # noqa: E402
from kazoo.protocol.connection import ConnectionHandler  # noqa: E402
from kazoo.protocol.serialization import (  # noqa: E402
    Auth, CheckVersion, Close, Create, Create2, Delete, Exists, GetACL, GetChildren2, GetData,
    MultiHeader, SetACL, SetData, Sync, Transaction, Watch, int_struct, read_string, stat_struct)
from kazoo.protocol.states import ZnodeStat  # noqa: E402
from kazoo.security import (  # noqa: E402
    ACL, Id, Permissions, make_digest_acl, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, CREATOR_ALL_ACL)

import servers  # noqa: E402

CONTAINER_OWNER = -(1 << 63)  # ZooKeeper's EphemeralType.CONTAINER_EPHEMERAL_OWNER
REQUEST_TIMEOUT_S = 15


class CreateContainer(Create2):
    """createContainer (opcode 19): a Create2 record, answered with a Create2Response."""
    type = 19


class Multi(Transaction):
    """kazoo's Transaction reads only create/delete/setData/check results; a 3.8 server also
    answers create2 (a container's create inside a multi)."""

    @classmethod
    def deserialize(cls, buffer, offset):
        results = []
        header, offset = MultiHeader.deserialize(buffer, offset)
        while not header.done:
            if header.type == Create.type:
                path, offset = read_string(buffer, offset)
                results.append(("created", path))
            elif header.type in (Create2.type, CreateContainer.type):
                path, offset = read_string(buffer, offset)
                stat = ZnodeStat._make(stat_struct.unpack_from(buffer, offset))
                offset += stat_struct.size
                results.append(("created2", path, stat))
            elif header.type == Delete.type:
                results.append(("deleted",))
            elif header.type == SetData.type:
                stat = ZnodeStat._make(stat_struct.unpack_from(buffer, offset))
                offset += stat_struct.size
                results.append(("set", stat))
            elif header.type == CheckVersion.type:
                results.append(("checked",))
            elif header.type == -1:
                err = int_struct.unpack_from(buffer, offset)[0]
                offset += int_struct.size
                results.append(("error", EXCEPTIONS[err].__name__))
            else:
                results.append(("unknown-type", header.type))
                break
            header, offset = MultiHeader.deserialize(buffer, offset)
        return results


EVENT_NAMES = {1: "NodeCreated", 2: "NodeDeleted", 3: "NodeDataChanged", 4: "NodeChildrenChanged"}


def no_watcher(_event):
    """The watcher a watched read carries: kazoo sends watch=true for any callable. The events
    themselves are read off the wire below, not from kazoo's callbacks (another thread)."""


# Each session's wire log: kazoo's reader thread appends every watch event and every reply, in
# the order they arrive on the connection, to `client.diff_log` (when the client has one). That
# thread reads the socket in order, so the log is the server's order, independent of how the
# threads of this process are scheduled.
_read_watch_event = ConnectionHandler._read_watch_event
_read_response = ConnectionHandler._read_response


def _logged_watch_event(self, buffer, offset):
    log = getattr(self.client, "diff_log", None)
    if log is not None:
        event, _ = Watch.deserialize(buffer, offset)
        log.append(("event", EVENT_NAMES.get(event.type, event.type), event.path))
    return _read_watch_event(self, buffer, offset)


def _logged_response(self, header, buffer, offset):
    log = getattr(self.client, "diff_log", None)
    if log is not None and self.client._pending:
        log.append(("reply", self.client._pending[0][0]))  # the request it answers
    return _read_response(self, header, buffer, offset)


ConnectionHandler._read_watch_event = _logged_watch_event
ConnectionHandler._read_response = _logged_response


ACLS = {
    "open": OPEN_ACL_UNSAFE,
    "read": READ_ACL_UNSAFE,
    "creator": CREATOR_ALL_ACL,
    "u1": [make_digest_acl("u1", "p1", all=True)],
    "u2read": [make_digest_acl("u2", "p2", all=True), ACL(Permissions.READ, Id("world", "anyone"))],
    "nodelete": [ACL(Permissions.ALL & ~Permissions.DELETE, Id("world", "anyone"))],
}
USERS = {"u1": "u1:p1", "u2": "u2:p2"}
MODES = {"persistent": 0, "ephemeral": 1, "sequential": 2, "ephemeral_sequential": 3, "container": 4}


# Differences found and not fixed yet, each a predicate over (op, zookeeper's result, Volery's).
# They are counted and printed; any other difference fails the test. --strict drops the list.
KNOWN_DIFFERENCES = {
}


def parent(path):
    return path.rsplit("/", 1)[0] or "/"


class Generator:
    """Chooses the next operation, reading ZooKeeper's state through an observer session (its
    reads change nothing the sequence can see)."""

    def __init__(self, seed, observer):
        self.rng = random.Random(seed)
        self.root = "/diff-%d" % seed  # fresh servers every run: the same seed, the same sequence
        self.observer = observer
        names = ["a", "b", "c"]
        self.paths = [self.root]
        for x in names:
            self.paths.append("%s/%s" % (self.root, x))
            for y in names[:2]:
                self.paths.append("%s/%s/%s" % (self.root, x, y))
                self.paths.append("%s/%s/%s/%s" % (self.root, x, y, "z"))
        self.invalid = ["", "a", self.root + "/", self.root + "//a", self.root + "/./a",
                        self.root + "/../a", self.root + "/a/..", self.root + "/a\u0000b"]
        # Outside the root only what cannot change (the sequences run against one server each,
        # seed after seed): reads of /zookeeper..., and writes that must fail.
        self.special_reads = ["/zookeeper", "/zookeeper/config", "/zookeeper/quota", "/zookeeper/x"]
        self.special_writes = ["/", "/zookeeper", "/zookeeper/config"]
        self.containers = set()
        self.sessions = ["A", "B"]  # B is replaced by B2, B3, ... when it closes
        self.watched = []  # the paths under the root that watched reads named, oldest first

    def stat(self, path):
        try:
            return self.observer.exists(path)
        except Exception:
            return None

    def children(self, path):
        try:
            return sorted(self.observer.get_children(path))
        except Exception:
            return []

    def walk(self):
        """An existing node under the root (sequential and ephemeral names included)."""
        path = self.root
        while self.rng.random() < 0.65:
            names = self.children(path)
            if not names:
                break
            path = path + "/" + self.rng.choice(names)
        return path

    def path(self, allow_invalid=True, fresh=False, write=True):
        """Mostly an existing node, or (fresh) a pool name whose parent exists."""
        r = self.rng.random()
        if allow_invalid and r < 0.03:
            return self.rng.choice(self.invalid)
        if allow_invalid and r < 0.06:
            return self.rng.choice(self.special_writes if write else self.special_reads)
        if write and self.watched and r < 0.25:
            # A path a read recently watched (its data, its existence), or a child of it (its
            # children): so that the random part fires watches too.
            path = self.rng.choice(self.watched[-8:])
            if fresh and self.stat(path) is not None:
                path = path + "/" + self.rng.choice(["a", "b", "c"])
            return path
        if not fresh and r < 0.6:
            return self.walk()
        path = self.rng.choice(self.paths)
        while self.rng.random() < 0.8 and path != self.root and self.stat(parent(path)) is None:
            path = parent(path)
        return path

    def config_if_special(self, path):
        """setData and setACL succeed on "/" and "/zookeeper": only the read-only config node."""
        return "/zookeeper/config" if path in self.special_writes else path

    def version(self, path):
        s = self.stat(path)
        r = self.rng.random()
        if r < 0.35:
            return -1
        current = s.version if s else 0
        return current if r < 0.75 else current + self.rng.choice([1, 2, -2])

    def observe(self, op, result):
        """Learns from ZooKeeper's result which paths are containers (a stat shows ephemeralOwner
        0 for them): every path ever created as one counts as one from then on."""
        if len(op) > 2 and op[1] == "create" and op[5] == "container" and result[0] == "ok":
            self.containers.add(op[2])
        if len(op) > 2 and op[1] == "multi" and result[0] == "ok" and all(r[0] != "error" for r in result[1]):
            self.containers.update(o[1] for o in op[2] if o[0] == "create" and o[4] == "container")

    def is_container(self, path):
        return path in self.containers

    def empties_container(self, path):
        """ZooKeeper deletes an emptied container only later; Volery at once. Never empty one."""
        if not self.is_container(parent(path)):
            return False
        s = self.stat(parent(path))
        return s is not None and s.numChildren <= 1

    def data(self):
        return self.rng.choice([b"", b"x", b"hello", bytes(self.rng.randrange(256) for _ in range(40))])

    def create(self, allow_invalid=True):
        mode = self.rng.choice(list(MODES))
        path = self.path(allow_invalid=allow_invalid, fresh=self.rng.random() < 0.8)
        if mode in ("sequential", "ephemeral_sequential"):
            if path in self.special_writes:
                mode = "persistent"  # never a node outside the root
            else:
                path = path + ("/s-" if path == self.root else "-s")
        if mode.startswith("ephemeral") and self.is_container(parent(path)):
            mode = "persistent"  # a container's ephemeral child may empty it when its session ends
        acl = "open" if self.rng.random() < 0.7 else self.rng.choice(list(ACLS))
        opcode = "create2" if self.rng.random() < 0.5 else "create"
        return ("create", path, self.data(), acl, mode, opcode)

    def next(self):
        r = self.rng.random()
        session = "A" if self.rng.random() < 0.6 else self.sessions[-1]
        if r < 0.30:
            op = self.create()
        elif r < 0.40:
            path = self.path()
            if self.empties_container(path):
                return self.next()
            op = ("delete", path, self.version(path))
        elif r < 0.52:
            path = self.config_if_special(self.path())
            op = ("set", path, self.data(), self.version(path))
        elif r < 0.58:
            op = ("exists", self.watched_path(), self.rng.random() < 0.7)
        elif r < 0.66:
            op = ("get", self.path(write=False), self.rng.random() < 0.7)
        elif r < 0.74:
            op = ("children", self.path(write=False), self.rng.random() < 0.7)
        elif r < 0.78:
            op = ("getacl", self.path(write=False))
        elif r < 0.82:
            path = self.config_if_special(self.path())
            op = ("setacl", path, self.rng.choice(list(ACLS)), self.version(path))
        elif r < 0.84:
            op = ("addauth", self.rng.choice(list(USERS)))
        elif r < 0.96:
            op = self.multi()
        elif r < 0.985:
            op = ("sync", self.path(fresh=self.rng.random() < 0.5, write=False))
        else:
            name = "B%d" % len(self.sessions)
            self.sessions.append(name)
            return ("reopen", name)
        if op[0] in ("exists", "get", "children") and op[2] and op[1].startswith(self.root + "/"):
            self.watched.append(op[1])
        return (session,) + op

    def watched_path(self):
        """exists: as often a missing pool name (its watch fires on NodeCreated) as a node."""
        if self.rng.random() < 0.4:
            path = self.rng.choice(self.paths)
            if self.stat(path) is None:
                return path
        return self.path(write=False)

    def scripted(self):
        """The watch cases every seed starts with, whatever its random part does: a data watch
        that fires once (one-shot), an exists watch on a missing node (NodeCreated), data and
        child watches of one session and of two on a deleted node (one NodeDeleted per session),
        NodeChildrenChanged on the parent, the watches an ephemeral's removal fires when its
        session closes (its own included), a multi's events, and an event filtered by the node's
        ACL (ZooKeeper 3.8 delivers one only to a session with READ on the node)."""
        w, root = self.root + "/w", self.root
        ops = [
            ("A", "create", w, b"w", "open", "persistent", "create"),
            ("B", "create", w + "/e", b"", "open", "ephemeral", "create2"),
            ("A", "get", w, True),
            ("B", "children", w, True),
            ("B", "exists", w + "/x", True),
            ("A", "exists", w + "/e", True),
            ("B", "get", w + "/e", True),
            ("A", "set", w, b"1", -1),  # NodeDataChanged to A, before its own reply
            ("B", "set", w, b"2", -1),  # nothing: A's watch fired already
            ("A", "create", w + "/x", b"", "open", "persistent", "create"),  # NodeCreated, NodeChildrenChanged to B
            ("A", "get", w + "/x", True),
            ("A", "children", w + "/x", True),
            ("B", "exists", w + "/x", True),
            ("A", "children", w, True),
            ("B", "delete", w + "/x", -1),  # one NodeDeleted each to A and B, NodeChildrenChanged to A
            ("A", "children", w, True),
            ("A", "sync", w),
            ("B", "sync", w + "/missing"),
            ("reopen", "B2"),  # B's ephemeral goes: NodeDeleted to A and B, NodeChildrenChanged to A
            ("B2", "exists", w + "/e", True),
            ("A", "create", w + "/e", b"", "open", "ephemeral", "create"),  # NodeCreated to B2
            ("B2", "get", w, True),
            ("B2", "children", w, True),
            ("A", "multi", [("set", w, b"3", -1), ("create", w + "/m", b"", "open", "persistent"),
                            ("delete", w + "/m", -1)]),  # NodeDataChanged, one NodeChildrenChanged to B2
            ("A", "children", root, True),
            ("B2", "create", root + "/s-", b"", "open", "sequential", "create2"),  # NodeChildrenChanged to A
            ("B2", "get", w, True),
            ("A", "set", w, b"4", 7),  # a failed write fires nothing
            ("A", "multi", [("set", w, b"5", -1), ("check", w, 0)]),  # nor does a failed multi
            ("A", "addauth", "u1"),
            ("A", "create", w + "/g", b"", "u1", "persistent", "create"),
            ("B2", "exists", w + "/g", True),  # no READ on it: exists needs none
            ("A", "exists", w + "/g", True),
            ("A", "set", w + "/g", b"1", -1),  # NodeDataChanged to A only: events need READ
            ("B2", "exists", w + "/g", True),
            ("A", "delete", w + "/g", -1),  # and B2's watch is spent
        ]
        self.sessions.append("B2")
        return ops

    def multi(self):
        ops = []
        for _ in range(self.rng.randrange(1, 5)):
            r = self.rng.random()
            if r < 0.45:
                c = self.create(allow_invalid=False)
                ops.append(("create", c[1], c[2], c[3], c[4]))
            elif r < 0.6:
                path = self.path(allow_invalid=False)
                if self.is_container(parent(path)):
                    continue
                ops.append(("delete", path, self.version(path)))
            elif r < 0.85:
                path = self.path(allow_invalid=False)
                ops.append(("set", path, self.data(), self.version(path)))
            else:
                path = self.path(allow_invalid=False)
                ops.append(("check", path, self.version(path)))
        return ("multi", ops)


class System:
    """One server under test: its sessions, and each operation's result in comparable form."""

    def __init__(self, name, hosts):
        self.name = name
        self.hosts = hosts
        self.sessions = {}
        self.owner_names = {}
        self.logs = {}  # session -> its wire log (events and replies, in arrival order)
        self.armed = {}  # session -> paths its watches may fire on (a watched read answered)
        self.ephemerals = {}  # session -> the ephemeral nodes it made
        self.request = None  # the request of the operation running

    def open(self, name):
        client = KazooClient(self.hosts, timeout=20)
        client.diff_log = self.logs[name] = []
        client.start(timeout=30)
        self.sessions[name] = client
        self.owner_names[client.client_id[0]] = name
        self.armed[name] = set()
        self.ephemerals[name] = set()

    def close_all(self):
        for client in self.sessions.values():
            try:
                client.stop()
                client.close()
            except Exception:
                pass
        self.sessions = {}
        self.logs = {}

    def call(self, session, request):
        client = self.sessions[session]
        result = client.handler.async_result()
        self.request = request
        client._call(request, result)
        try:
            return ("ok", result.get(timeout=REQUEST_TIMEOUT_S))
        except Exception as e:  # a ZooKeeper error code, or no answer
            return ("error", type(e).__name__)

    def step(self, op):
        """Runs one operation and returns (its result, the watch events each session got
        because of it, placed relative to the operation's reply).

        Before the next operation every event this one fired must have arrived: each session
        with a watch on a path the operation may have changed (its paths, their ancestors, the
        nodes it created; a closed session's ephemerals) reads each such path (exists, no
        watch) and waits for the replies. ZooKeeper (one server) sends an event before any
        later reply on the watcher's connection; Volery sends it before any reply of a command
        that ran after the firing one at the watched path's partition, which such a read is
        (docs/volery.md, Watches). So what a session's log holds between two operations is
        exactly what the first one fired, in both systems."""
        self.request = None
        closing = None
        if op[0] == "reopen":
            closing = [n for n in self.sessions if n != "A"][0]
        result = self.run(op)
        touched = self.touched(op, result, closing)
        self.barrier(touched)
        self.learn(op, result)
        events = {}
        for name in sorted(self.logs):
            chunk = self.chunk(name, op, closing)
            if chunk:
                events[name] = chunk
        if closing is not None:
            del self.logs[closing]
        return (result, events)

    def touched(self, op, result, closing):
        """The paths whose watches the operation may fire: its own, their ancestors (a parent's
        child watch, a container emptied up the tree) and what it created."""
        paths = set()
        if closing is not None:
            paths.update(self.ephemerals.pop(closing))
            self.armed.pop(closing)
        elif op[1] == "multi":
            paths.update(o[1] for o in op[2])
            if result[0] == "ok":
                paths.update(r[1] for r in result[1] if r[0] in ("created", "created2"))
        elif op[1] not in ("addauth",):
            paths.add(op[2])
            if op[1] == "create" and result[0] == "ok":
                paths.add(result[1] if isinstance(result[1], str) else result[1][0])
        for path in list(paths):
            while path and path != "/" and "/" in path:
                path = path.rsplit("/", 1)[0] or "/"
                paths.add(path)
        return paths

    def barrier(self, touched):
        waiting = []
        for name, client in self.sessions.items():
            for path in sorted(self.armed.get(name, set()) & touched):
                result = client.handler.async_result()
                client._call(Exists(path, None), result)
                waiting.append(result)
        for result in waiting:
            try:
                result.get(timeout=REQUEST_TIMEOUT_S)
            except Exception:
                pass  # an error answer is an answer: it came after the events

    def learn(self, op, result):
        """Which watches the operation left set, and which ephemerals it made."""
        if op[0] == "reopen":
            return
        session, kind = op[0], op[1]
        if kind in ("exists", "get", "children") and op[3]:
            # exists sets a watch on a missing node too; getData and getChildren only on one
            # they answer.
            if result[0] == "ok" or (kind == "exists" and result == ("ok", None)):
                self.armed[session].add(op[2])
        if kind == "create" and op[5].startswith("ephemeral") and result[0] == "ok":
            self.ephemerals[session].add(result[1] if isinstance(result[1], str) else result[1][0])
        if kind == "multi" and result[0] == "ok":
            for o, r in zip(op[2], result[1]):
                if o[0] == "create" and o[4].startswith("ephemeral") and r[0] in ("created", "created2"):
                    self.ephemerals[session].add(r[1])

    def chunk(self, name, op, closing):
        """The session's events since the last operation, in segments split by the operation's
        reply (when the session made it): [events..., "reply", events...]. Within a segment
        events are ordered by path, each path's in arrival order: ZooKeeper orders the events of
        one change its own way, Volery's come from the partitions of their paths, each in order,
        interleaved as they arrive; across operations the order is compared exactly."""
        log = self.logs[name]
        count = len(log)
        entries, log[:count] = log[:count], []
        segments, current = [], []
        for entry in entries:
            if entry[0] == "event":
                current.append((entry[1], entry[2]))
                self.disarm(name, entry[2])
            elif entry[1] is self.request or (name == closing and isinstance(entry[1], Close)):
                segments.append(tuple(sorted(current, key=lambda e: e[1])))
                segments.append("reply")
                current = []
        segments.append(tuple(sorted(current, key=lambda e: e[1])))
        if all(segment in ((), "reply") for segment in segments):
            return None
        return tuple(segments)

    def disarm(self, name, path):
        """An event fires all of the session's watches of its kind on the path; keeping the
        path armed (it may hold a watch of the other kind) costs only a read."""
        if name in self.armed and not self.watch_left(name, path):
            self.armed[name].discard(path)

    def watch_left(self, name, path):
        client = self.sessions.get(name)
        return client is not None and (path in client._data_watchers or path in client._child_watchers)

    def stat(self, s):
        if s is None:
            return None
        owner = s.ephemeralOwner
        if owner == CONTAINER_OWNER:
            owner = "container"
        elif owner != 0:
            owner = self.owner_names.get(owner, "unknown-session")
        return {"version": s.version, "cversion": s.cversion, "aversion": s.aversion,
                "ephemeralOwner": owner, "dataLength": s.dataLength, "numChildren": s.numChildren}

    def normalize(self, value):
        if isinstance(value, ZnodeStat):
            return self.stat(value)
        if isinstance(value, tuple):
            return tuple(self.normalize(v) for v in value)
        if isinstance(value, list):
            return [self.normalize(v) for v in value]
        return value

    def run(self, op):
        if op[0] == "reopen":
            old = self.sessions.pop([n for n in self.sessions if n != "A"][0])
            old.stop()
            old.close()
            self.open(op[1])
            return ("ok",)
        session, kind, args = op[0], op[1], op[2:]
        if kind == "create":
            path, data, acl, mode, opcode = args
            if mode == "container":
                request = CreateContainer(path, data, ACLS[acl], MODES[mode])
            elif opcode == "create2":
                request = Create2(path, data, ACLS[acl], MODES[mode])
            else:
                request = Create(path, data, ACLS[acl], MODES[mode])
            return self.normalize(self.call(session, request))
        if kind == "delete":
            return self.call(session, Delete(args[0], args[1]))
        if kind == "set":
            return self.normalize(self.call(session, SetData(args[0], args[1], args[2])))
        watcher = no_watcher if len(args) > 1 and args[1] else None
        if kind == "exists":
            return self.normalize(self.call(session, Exists(args[0], watcher)))
        if kind == "get":
            return self.normalize(self.call(session, GetData(args[0], watcher)))
        if kind == "sync":
            return self.call(session, Sync(args[0]))
        if kind == "children":
            status, value = self.call(session, GetChildren2(args[0], watcher))
            if status == "ok":
                return (status, sorted(value[0]), self.stat(value[1]))
            return (status, value)
        if kind == "getacl":
            status, value = self.call(session, GetACL(args[0]))
            if status == "ok":
                acls = sorted((a.perms, a.id.scheme, a.id.id) for a in value[0])
                return (status, acls, self.stat(value[1]))
            return (status, value)
        if kind == "setacl":
            return self.normalize(self.call(session, SetACL(args[0], ACLS[args[1]], args[2])))
        if kind == "addauth":
            return self.call(session, Auth(0, "digest", USERS[args[0]]))
        if kind == "multi":
            return self.normalize(self.call(session, Multi([self.multi_op(o) for o in args[0]])))
        raise ValueError(kind)

    @staticmethod
    def multi_op(o):
        if o[0] == "create":
            return Create(o[1], o[2], ACLS[o[3]], MODES[o[4]])
        if o[0] == "delete":
            return Delete(o[1], o[2])
        if o[0] == "set":
            return SetData(o[1], o[2], o[3])
        return CheckVersion(o[1], o[2])


def run_seed(seed, ops_count, zookeeper, volery, known, stats):
    """Runs the seed's sequence on both; returns None or a description of the first difference.
    Differences in `known` are counted there (name -> [count, first example])."""
    observer = KazooClient(zookeeper.hosts, timeout=20)
    observer.start(timeout=30)
    for credential in USERS.values():
        observer.add_auth("digest", credential)
    generator = Generator(seed, observer)
    ops = [("A", "create", generator.root, b"root", "open", "persistent", "create")]
    results = []
    zookeeper.open("A")
    zookeeper.open("B")
    try:
        ops.extend(generator.scripted())
        for op in ops:
            results.append(zookeeper.step(op))
        while len(ops) < ops_count:
            op = generator.next()
            ops.append(op)
            results.append(zookeeper.step(op))
            generator.observe(op, results[-1][0])
        for _, events in results:
            for segments in events.values():
                for segment in segments:
                    if segment != "reply":
                        for event in segment:
                            stats[event[0]] = stats.get(event[0], 0) + 1
        stats["sync"] = sum(1 for op in ops if len(op) > 1 and op[1] == "sync")
        stats["watched reads"] = sum(1 for op in ops if len(op) > 3 and op[1] in ("exists", "get", "children") and op[3])
    finally:
        zookeeper.close_all()
        observer.stop()
        observer.close()
    volery.open("A")
    volery.open("B")
    try:
        for index, op in enumerate(ops):
            got = volery.step(op)
            if got == results[index]:
                continue
            name = next((n for n, p in KNOWN_DIFFERENCES.items() if n in known and p(op, results[index], got)), None)
            if name is None:
                return index, op, results[index], got, ops
            known[name][0] += 1
            if known[name][1] is None:
                known[name][1] = (seed, index, op, results[index], got)
    finally:
        volery.close_all()
    return None


# ---- Error answers, on raw connections ------------------------------------------------------
#
# Requests kazoo cannot send (unknown opcodes, TTL modes, malformed records, bad frames) go on a
# plain socket after a handshake. A probe's outcome: the answer (error code, and the body when
# there is one: a multi's results, a sync's path) or "closed" when the connection closed without
# one, and whether the connection still answers an exists afterwards.

def jute_string(value):
    if value is None:
        return struct.pack(">i", -1)
    if isinstance(value, str):
        value = value.encode()
    return struct.pack(">i", len(value)) + value


def jute_frame(payload):
    return struct.pack(">i", len(payload)) + payload


def request_frame(opcode, body, xid=1):
    return jute_frame(struct.pack(">ii", xid, opcode) + body)


def create_body(path, flags, ttl=None):
    body = jute_string(path) + jute_string(b"x") + struct.pack(">i", 1) + struct.pack(">i", 31)
    body += jute_string("world") + jute_string("anyone") + struct.pack(">i", flags)
    return body + (struct.pack(">q", ttl) if ttl is not None else b"")


def multi_header(opcode, done=False):
    return struct.pack(">i?i", opcode, done, -1)


def multi_body(*ops):
    return b"".join(multi_header(opcode) + body for opcode, body in ops) + multi_header(-1, True)


MISSING = "/diff-probe/none"  # never made: a create under it fails if it gets that far
# name -> the frame; ZooKeeper's answer and Volery's must be equal.
ERROR_PROBES = {
    "reconfig on a standalone server": request_frame(16, jute_string(None) * 3 + struct.pack(">q", -1)),
    "create, mode PERSISTENT_WITH_TTL": request_frame(1, create_body(MISSING, 5)),
    "create2, mode PERSISTENT_SEQUENTIAL_WITH_TTL": request_frame(15, create_body(MISSING, 6)),
    "create, TTL mode and a bad path": request_frame(1, create_body("probe", 5)),
    "createContainer, TTL mode": request_frame(19, create_body(MISSING, 5)),
    "create, mode 7": request_frame(1, create_body(MISSING, 7)),
    "create, mode -3": request_frame(1, create_body(MISSING, -3)),
    "createContainer, mode 7": request_frame(19, create_body(MISSING, 7)),
    "createTTL, TTL mode (extendedTypes off)": request_frame(21, create_body(MISSING, 5, 1000)),
    "createTTL, TTL mode, ttl 0": request_frame(21, create_body(MISSING, 5, 0)),
    "createTTL, TTL mode, bad path": request_frame(21, create_body("probe", 6, 10)),
    "opcode 99": request_frame(99, b""),
    "opcode -50": request_frame(-50, b""),
    "opcode 1000": request_frame(1000, jute_string("/")),
    "getData, path cut short": request_frame(4, struct.pack(">i", 10) + b"/ab"),
    "getData, no body": request_frame(4, b""),
    "getData, length -5": request_frame(4, struct.pack(">i", -5) + b"\0"),
    "exists, a NUL in the path": request_frame(3, jute_string("/a\0b") + b"\1"),
    "getData, a NUL in the path": request_frame(4, jute_string("/a\0b") + b"\1"),
    "exists, no watch flag": request_frame(3, jute_string("/")),
    "getChildren2, length past the frame": request_frame(12, struct.pack(">i", 1 << 20) + b"/a\0"),
    "create, ACL list cut short": request_frame(1, jute_string(MISSING) + jute_string(b"x") + struct.pack(">ii", 3, 31)),
    "setData, no data": request_frame(5, jute_string("/")),
    "delete, no version": request_frame(2, jute_string(MISSING)),
    "setACL, no version": request_frame(7, jute_string(MISSING) + struct.pack(">i", 0)),
    "sync, path cut short": request_frame(9, struct.pack(">i", 3)),
    "sync, null path": request_frame(9, jute_string(None)),
    "sync, relative path": request_frame(9, jute_string("a/b")),
    "getACL, no body": request_frame(6, b""),
    "multi, getData inside": request_frame(14, multi_body((4, jute_string("/") + b"\0"))),
    "multi, cut short": request_frame(14, multi_header(1) + jute_string(MISSING)),
    "multi, create with a TTL mode": request_frame(14, multi_body((1, create_body(MISSING, 5)))),
    "multi, create with mode 7": request_frame(14, multi_body((2, jute_string(MISSING) + struct.pack(">i", -1)),
                                                              (1, create_body(MISSING + "/x", 7)))),
    "multi, create with a TTL mode after a failing check": request_frame(14, multi_body(
        (13, jute_string(MISSING) + struct.pack(">i", 0)), (1, create_body(MISSING, 5)))),
    "multi, create with mode 7 after one that succeeds": request_frame(14, multi_body(
        (13, jute_string("/") + struct.pack(">i", -1)), (1, create_body(MISSING, 7)))),
    "multi, createTTL with a TTL mode": request_frame(14, multi_body((21, create_body(MISSING, 5, 100)))),
    "setWatches, cut short": request_frame(101, struct.pack(">qi", 0, 2)),
    "setWatches2, cut short": request_frame(105, struct.pack(">q", 0)),
    "auth, unknown scheme": request_frame(100, struct.pack(">i", 0) + jute_string("nosuch") + jute_string(b"x"), xid=-4),
    "auth, cut short": request_frame(100, struct.pack(">i", 0), xid=-4),
    "header cut short": jute_frame(b"\0\0\0"),
    "frame length -1": struct.pack(">i", -1),
    "frame over jute.maxbuffer": struct.pack(">i", 0x100000) + bytes(16),
}
# Operations ZooKeeper 3.8 runs and Volery deliberately does not (docs/volery.md, "Opcodes
# Volery does not run"): not compared; Volery must answer as given here and keep the
# connection. ZooKeeper's answer is printed for reference only, where sending it is harmless.
UNSUPPORTED_PROBES = {
    "checkWatches": (request_frame(17, jute_string("/") + struct.pack(">i", 1)), -6, True),
    "removeWatches": (request_frame(18, jute_string("/") + struct.pack(">i", 1)), -6, True),
    "deleteContainer": (request_frame(20, jute_string(MISSING)), -6, True),
    "multiRead": (request_frame(22, multi_body((4, jute_string("/") + b"\0"))), -6, True),
    "getEphemerals": (request_frame(103, jute_string("/")), -6, True),
    "getAllChildrenNumber": (request_frame(104, jute_string("/")), -6, True),
    "addWatch": (request_frame(106, jute_string("/") + struct.pack(">i", 0)), -6, True),
    "whoAmI": (request_frame(107, b""), -6, True),
    # ZooKeeper 3.8 runs createTTL with a mode without TTL: alone it answers BadArguments for a
    # ttl >= 0 and its standalone server dies on ttl -1; inside a multi it makes the node. Not
    # sent to ZooKeeper.
    "createTTL, mode PERSISTENT": (request_frame(21, create_body(MISSING, 0, 1000)), -6, True),
    # Volery has no SASL: AuthFailed, and the connection closes. ZooKeeper without SASL
    # configured answers an empty token.
    "sasl": (request_frame(102, jute_string(b"token")), -115, False),
}
NOT_SENT_TO_ZOOKEEPER = {"createTTL, mode PERSISTENT"}


class RawConnection:
    def __init__(self, hosts):
        host, port = hosts.split(",")[0].rsplit(":", 1)
        self.socket = socket.create_connection((host, int(port)), timeout=REQUEST_TIMEOUT_S)
        self.buffer = b""
        # ConnectRequest: protocol 0, lastZxidSeen 0, timeout 10 s, session 0, a zero password.
        self.socket.sendall(jute_frame(struct.pack(">iqiq", 0, 0, 10000, 0) + jute_string(bytes(16)) + b"\0"))
        if self.read_frame() is None:
            raise RuntimeError("no ConnectResponse from %s" % hosts)

    def read_frame(self):
        while True:
            if len(self.buffer) >= 4:
                length = struct.unpack(">i", self.buffer[:4])[0]
                if len(self.buffer) >= 4 + length:
                    frame, self.buffer = self.buffer[4:4 + length], self.buffer[4 + length:]
                    return frame
            try:
                data = self.socket.recv(65536)
            except OSError:  # a reset, or no answer in time: the connection is not usable
                return None
            if not data:
                return None
            self.buffer += data

    def answer(self, xid):
        """(error code, body) of the reply to xid, or None when the connection closed first."""
        while True:
            frame = self.read_frame()
            if frame is None:
                return None
            reply_xid, _, err = struct.unpack(">iqi", frame[:16])
            if reply_xid == xid:
                return err, frame[16:]

    def usable(self):
        try:
            self.socket.sendall(request_frame(3, jute_string("/") + b"\0", xid=777))
        except OSError:
            return False
        answer = self.answer(777)
        return answer is not None and answer[0] == 0

    def close(self):
        try:
            self.socket.sendall(request_frame(-11, b"", xid=778))  # closeSession
            self.answer(778)
        except OSError:
            pass
        self.socket.close()


def multi_results(body):
    """A multi reply's results: (type, error) for each; the error's code for type -1."""
    results, offset = [], 0
    while offset + 9 <= len(body):
        opcode, done, err = struct.unpack_from(">i?i", body, offset)
        offset += 9
        if done:
            break
        if opcode == -1:
            err = struct.unpack_from(">i", body, offset)[0]
            offset += 4
        results.append((opcode, err))
    return results


def probe(hosts, frame):
    """Sends one frame on a fresh connection: (answer, usable afterwards)."""
    connection = RawConnection(hosts)
    try:
        xid = struct.unpack(">i", frame[4:8])[0] if len(frame) >= 8 else 1
        connection.socket.sendall(frame)
        answer = connection.answer(xid)
        if answer is None:
            outcome = "closed"
        else:
            err, body = answer
            opcode = struct.unpack(">i", frame[8:12])[0] if len(frame) >= 12 else None
            if opcode == 14 and err == 0:
                outcome = (err, multi_results(body))
            elif opcode == 9 and err == 0:
                outcome = (err, read_string(body, 0)[0])
            else:
                outcome = (err, body.hex())
        return outcome, connection.usable()
    finally:
        connection.close()


def run_error_probes(zookeeper_hosts, volery_hosts, unsupported=True):
    """Returns the list of failures (empty when every probe agrees)."""
    failures = []
    for name, frame in ERROR_PROBES.items():
        expected = probe(zookeeper_hosts, frame)
        got = probe(volery_hosts, frame)
        if expected != got:
            failures.append("%s: zookeeper %r, volery %r" % (name, expected, got))
    for name, (frame, code, usable) in UNSUPPORTED_PROBES.items() if unsupported else []:
        got = probe(volery_hosts, frame)
        reference = None if name in NOT_SENT_TO_ZOOKEEPER else probe(zookeeper_hosts, frame)
        if got[0] == "closed" or got[0][0] != code or got[1] != usable:
            failures.append("%s (not run by Volery): volery %r, expected error %d, connection %s (zookeeper %r)"
                            % (name, got, code, "kept" if usable else "closed", reference))
    return failures


def parse_seeds(text):
    """"1..4" or "1,5,9"; each seed once (a seed's root, /diff-<seed>, is made once per run)."""
    if ".." in text:
        low, high = text.split("..")
        return list(range(int(low), int(high) + 1))
    return list(dict.fromkeys(int(s) for s in text.split(",")))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eyrie", help="the eyrie binary")
    parser.add_argument("--self-check", action="store_true",
                        help="replay on a second ZooKeeper instead of Volery (the test's own determinism)")
    parser.add_argument("--seeds", default="1..4")
    parser.add_argument("--ops", type=int, default=250, help="operations per seed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--strict", action="store_true", help="known differences fail too")
    parser.add_argument("--no-errors", action="store_true", help="skip the error answers (raw requests)")
    args = parser.parse_args()
    if not args.eyrie and not args.self_check:
        parser.error("--eyrie is required (or --self-check)")

    servers.stop_on_sigterm()
    logging.basicConfig(level=logging.ERROR)  # kazoo's reconnection chatter
    directory = tempfile.mkdtemp(prefix="eyrie-differential-")
    zookeeper_servers = volery_cluster = None
    failures = 0
    try:
        zookeeper_servers = servers.ZooKeeper(os.path.join(directory, "zookeeper"), servers=1)
        os.makedirs(os.path.join(directory, "volery"))
        if args.self_check:
            volery_cluster = servers.ZooKeeper(os.path.join(directory, "volery"), servers=1)
        else:
            volery_cluster = servers.Volery(os.path.abspath(args.eyrie), os.path.join(directory, "volery"),
                                            partitions=2, acceptor_storage="disk")
        zookeeper_servers.wait_ready()
        volery_cluster.wait_ready()
        zookeeper = System("zookeeper", zookeeper_servers.hosts())
        volery = System("volery", volery_cluster.hosts())
        known = {} if args.strict else {name: [0, None] for name in KNOWN_DIFFERENCES}
        for seed in parse_seeds(args.seeds):
            started = time.monotonic()
            stats = {}
            difference = run_seed(seed, args.ops, zookeeper, volery, known, stats)
            elapsed = time.monotonic() - started
            if difference is None:
                print("seed %d: %d operations agree (%.1f s; %s)"
                      % (seed, args.ops, elapsed, ", ".join("%s %d" % kv for kv in sorted(stats.items()))), flush=True)
                continue
            failures += 1
            index, op, expected, got, ops = difference
            print("seed %d: FIRST DIFFERENCE at operation %d" % (seed, index))
            print("  op:        %r" % (op,))
            print("  zookeeper: %r" % (expected,))
            print("  volery:    %r" % (got,))
            print("  preceding operations:")
            for i in range(max(0, index - 5), index):
                print("    %d: %r" % (i, ops[i]))
            sys.stdout.flush()
        if not args.no_errors:
            started = time.monotonic()
            errors = run_error_probes(zookeeper_servers.hosts(), volery_cluster.hosts(), not args.self_check)
            for line in errors:
                print("error answers: DIFFERENCE %s" % line)
            failures += 1 if errors else 0
            if not errors:
                print("error answers: %d requests agree, %d unsupported %s (%.1f s)"
                      % (len(ERROR_PROBES), len(UNSUPPORTED_PROBES),
                         "not checked" if args.self_check else "answered as documented",
                         time.monotonic() - started), flush=True)
        for name, (count, example) in known.items():
            if count:
                seed, index, op, expected, got = example
                print("known difference '%s': %d time(s); first: seed %d operation %d %r: zookeeper %r, volery %r"
                      % (name, count, seed, index, op, expected, got))
    except Exception:
        failures += 1
        if volery_cluster is not None and hasattr(volery_cluster, "logs"):
            for log in volery_cluster.logs():
                print("--- %s" % log)
                with open(log, errors="replace") as f:
                    print("".join(f.readlines()[-15:]))
        raise
    finally:
        if volery_cluster is not None:
            volery_cluster.stop()
        if zookeeper_servers is not None:
            zookeeper_servers.stop()
        if args.keep:
            print("kept %s" % directory)
        else:
            shutil.rmtree(directory, ignore_errors=True)
    print("differential: %s" % ("OK" if failures == 0 else "%d seed(s) differ" % failures))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
