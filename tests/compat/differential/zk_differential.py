#!/usr/bin/python3
"""Differential test: Volery against a real ZooKeeper 3.8.

For each seed, a random operation sequence runs first against a standalone Debian ZooKeeper
(it chooses the sequence: versions right and wrong come from the state it reads) and is then
replayed unchanged against a multi-process Volery cluster through its ZooKeeper gateway. Every
result (return values, stats, ACLs, error codes) must be equal up to zxids, times and session
ids: ephemeralOwner is mapped to the session that made the node (A, B, B2, ...), children are
compared as sets. Requests are sent raw (kazoo's request records through KazooClient._call), so
kazoo neither checks nor rewrites paths and invalid ones reach the server.

    zk_differential.py --eyrie build/bin/eyrie [--seeds 1..4] [--ops 250]

Exit status 0 when every seed agrees; 1 with the first difference of each seed printed.
"""

import argparse
import logging
import os
import random
import shutil
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
from kazoo.protocol.serialization import (  # noqa: E402
    Auth, CheckVersion, Create, Create2, Delete, Exists, GetACL, GetChildren2, GetData,
    MultiHeader, SetACL, SetData, Transaction, int_struct, read_string, stat_struct)
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
            op = ("exists", self.path(write=False))
        elif r < 0.66:
            op = ("get", self.path(write=False))
        elif r < 0.74:
            op = ("children", self.path(write=False))
        elif r < 0.78:
            op = ("getacl", self.path(write=False))
        elif r < 0.82:
            path = self.config_if_special(self.path())
            op = ("setacl", path, self.rng.choice(list(ACLS)), self.version(path))
        elif r < 0.84:
            op = ("addauth", self.rng.choice(list(USERS)))
        elif r < 0.985:
            op = self.multi()
        else:
            name = "B%d" % len(self.sessions)
            self.sessions.append(name)
            return ("reopen", name)
        return (session,) + op

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

    def open(self, name):
        client = KazooClient(self.hosts, timeout=20)
        client.start(timeout=30)
        self.sessions[name] = client
        self.owner_names[client.client_id[0]] = name

    def close_all(self):
        for client in self.sessions.values():
            try:
                client.stop()
                client.close()
            except Exception:
                pass
        self.sessions = {}

    def call(self, session, request):
        client = self.sessions[session]
        result = client.handler.async_result()
        client._call(request, result)
        try:
            return ("ok", result.get(timeout=REQUEST_TIMEOUT_S))
        except Exception as e:  # a ZooKeeper error code, or no answer
            return ("error", type(e).__name__)

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
        if kind == "exists":
            return self.normalize(self.call(session, Exists(args[0], None)))
        if kind == "get":
            return self.normalize(self.call(session, GetData(args[0], None)))
        if kind == "children":
            status, value = self.call(session, GetChildren2(args[0], None))
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


def run_seed(seed, ops_count, zookeeper, volery, known):
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
        results.append(zookeeper.run(ops[0]))
        while len(ops) < ops_count:
            op = generator.next()
            ops.append(op)
            results.append(zookeeper.run(op))
            generator.observe(op, results[-1])
    finally:
        zookeeper.close_all()
        observer.stop()
        observer.close()
    volery.open("A")
    volery.open("B")
    try:
        for index, op in enumerate(ops):
            got = volery.run(op)
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


def parse_seeds(text):
    """"1..4" or "1,5,9"; each seed once (a seed's root, /diff-<seed>, is made once per run)."""
    if ".." in text:
        low, high = text.split("..")
        return list(range(int(low), int(high) + 1))
    return list(dict.fromkeys(int(s) for s in text.split(",")))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eyrie", required=True, help="the eyrie binary")
    parser.add_argument("--seeds", default="1..4")
    parser.add_argument("--ops", type=int, default=250, help="operations per seed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--strict", action="store_true", help="known differences fail too")
    args = parser.parse_args()

    servers.stop_on_sigterm()
    logging.basicConfig(level=logging.ERROR)  # kazoo's reconnection chatter
    directory = tempfile.mkdtemp(prefix="eyrie-differential-")
    zookeeper_servers = volery_cluster = None
    failures = 0
    try:
        zookeeper_servers = servers.ZooKeeper(os.path.join(directory, "zookeeper"), servers=1)
        os.makedirs(os.path.join(directory, "volery"))
        volery_cluster = servers.Volery(os.path.abspath(args.eyrie), os.path.join(directory, "volery"),
                                        partitions=2, acceptor_storage="disk")
        zookeeper_servers.wait_ready()
        volery_cluster.wait_ready()
        zookeeper = System("zookeeper", zookeeper_servers.hosts())
        volery = System("volery", volery_cluster.hosts())
        known = {} if args.strict else {name: [0, None] for name in KNOWN_DIFFERENCES}
        for seed in parse_seeds(args.seeds):
            started = time.monotonic()
            difference = run_seed(seed, args.ops, zookeeper, volery, known)
            elapsed = time.monotonic() - started
            if difference is None:
                print("seed %d: %d operations agree (%.1f s)" % (seed, args.ops, elapsed), flush=True)
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
        for name, (count, example) in known.items():
            if count:
                seed, index, op, expected, got = example
                print("known difference '%s': %d time(s); first: seed %d operation %d %r: zookeeper %r, volery %r"
                      % (name, count, seed, index, op, expected, got))
    except Exception:
        failures += 1
        if volery_cluster is not None:
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
