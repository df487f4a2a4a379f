#!/usr/bin/python3
"""Volery against kazoo, run by compat_test.cpp (test VoleryCompat.Kazoo).

usage: kazoo_compat.py HOST:PORT

Basic operations, versions and BadVersion, ephemeral and sequential nodes, data/exists/child
watches, multi (success and failure), and the recipes Lock, Election, Counter, Barrier (and
DoubleBarrier), Queue (and LockingQueue). Each step asserts its results; every wait has a
deadline. Prints "kazoo compat: OK" and exits 0, or prints the failure and exits 1.
"""
import sys
import threading
import time
import traceback
import uuid

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, NoNodeError, NodeExistsError, NotEmptyError
from kazoo.protocol.states import EventType

WAIT = 60  # seconds, for any one event


def client(hosts):
    zk = KazooClient(hosts=hosts, timeout=20)
    zk.start(timeout=60)
    return zk


def step(name):
    print(f"kazoo compat: {name}", flush=True)


def basics(zk, root):
    step("basic operations and versions")
    assert zk.create(root + "/a", b"one") == root + "/a"
    data, stat = zk.get(root + "/a")
    assert data == b"one" and stat.version == 0 and stat.numChildren == 0, (data, stat)
    try:
        zk.create(root + "/a", b"x")
        raise AssertionError("create of an existing node succeeded")
    except NodeExistsError:
        pass
    stat = zk.set(root + "/a", b"two", version=0)
    assert stat.version == 1, stat
    try:
        zk.set(root + "/a", b"three", version=0)
        raise AssertionError("set at a stale version succeeded")
    except BadVersionError:
        pass
    assert zk.get(root + "/a")[0] == b"two"
    try:
        zk.delete(root + "/a", version=7)
        raise AssertionError("delete at a wrong version succeeded")
    except BadVersionError:
        pass
    zk.create(root + "/a/b", b"")
    try:
        zk.delete(root + "/a")
        raise AssertionError("delete of a node with children succeeded")
    except NotEmptyError:
        pass
    assert zk.get_children(root + "/a") == ["b"]
    zk.delete(root + "/a/b")
    zk.delete(root + "/a", version=1)
    assert zk.exists(root + "/a") is None
    try:
        zk.get(root + "/a")
        raise AssertionError("get of a deleted node succeeded")
    except NoNodeError:
        pass
    zk.ensure_path(root + "/deep/er/path")
    assert zk.exists(root + "/deep/er/path") is not None
    zk.delete(root + "/deep", recursive=True)


def ephemeral_and_sequential(hosts, zk, root):
    step("ephemeral and sequential nodes")
    other = client(hosts)
    try:
        path = other.create(root + "/eph", b"", ephemeral=True)
        assert zk.exists(path).ephemeralOwner == other.client_id[0]
        seqs = [other.create(root + "/seq-", b"", sequence=True) for _ in range(3)]
        numbers = [int(p[-10:]) for p in seqs]
        assert numbers == sorted(numbers) and len(set(numbers)) == 3, seqs
        eseq = other.create(root + "/eseq-", b"", ephemeral=True, sequence=True)
        assert int(eseq[-10:]) > numbers[-1], (eseq, seqs)
    finally:
        other.stop()
        other.close()
    # The session is closed: its ephemeral nodes are gone, the persistent ones stay.
    assert zk.exists(root + "/eph") is None
    assert zk.exists(eseq) is None
    assert all(zk.exists(p) is not None for p in seqs)
    for p in seqs:
        zk.delete(p)


def watches(hosts, zk, root):
    step("data, exists and child watches")
    other = client(hosts)
    try:
        zk.create(root + "/w", b"0")
        got = {"data": [], "exists": [], "child": []}
        fired = {k: threading.Event() for k in got}

        def recorder(kind):
            def watch(event):
                got[kind].append(event)
                fired[kind].set()
            return watch

        zk.get(root + "/w", watch=recorder("data"))
        assert zk.exists(root + "/absent", watch=recorder("exists")) is None
        zk.get_children(root + "/w", watch=recorder("child"))
        other.set(root + "/w", b"1")
        other.create(root + "/absent", b"")
        other.create(root + "/w/kid", b"")
        for kind in got:
            assert fired[kind].wait(WAIT), f"the {kind} watch did not fire"
        assert got["data"][0].type == EventType.CHANGED and got["data"][0].path == root + "/w", got["data"]
        assert got["exists"][0].type == EventType.CREATED and got["exists"][0].path == root + "/absent"
        assert got["child"][0].type == EventType.CHILD and got["child"][0].path == root + "/w"
        # One-shot: a second change fires nothing more.
        other.set(root + "/w", b"2")
        zk.sync(root + "/w")
        assert zk.get(root + "/w")[0] == b"2"
        assert len(got["data"]) == 1, got["data"]
        # A deletion fires the data watch as NodeDeleted.
        deleted = threading.Event()
        zk.exists(root + "/absent", watch=lambda e: e.type == EventType.DELETED and deleted.set())
        other.delete(root + "/absent")
        assert deleted.wait(WAIT), "the delete did not fire the exists watch"
        # DataWatch and ChildrenWatch, kazoo's own recipes over watches.
        seen = []
        data_seen = threading.Event()

        @zk.DataWatch(root + "/w")
        def on_data(data, stat):
            seen.append(data)
            if data == b"3":
                data_seen.set()

        other.set(root + "/w", b"3")
        assert data_seen.wait(WAIT), seen
        kids_seen = threading.Event()

        @zk.ChildrenWatch(root + "/w")
        def on_children(children):
            if sorted(children) == ["kid", "kid2"]:
                kids_seen.set()

        other.create(root + "/w/kid2", b"")
        assert kids_seen.wait(WAIT), "ChildrenWatch did not see kid2"
    finally:
        other.stop()
        other.close()
    zk.delete(root + "/w", recursive=True)


def multi(zk, root):
    step("multi")
    tx = zk.transaction()
    tx.create(root + "/m", b"a")
    tx.create(root + "/m/1", b"")
    tx.check(root, -1)  # any version
    tx.set_data(root + "/m", b"b")
    results = tx.commit()
    assert results[0] == root + "/m" and results[1] == root + "/m/1", results
    assert not any(isinstance(r, Exception) for r in results), results
    data, stat = zk.get(root + "/m")
    assert data == b"b" and stat.version == 1, (data, stat)
    # A failing check: nothing applies, the results say which op failed.
    tx = zk.transaction()
    tx.create(root + "/m/2", b"")
    tx.check(root + "/m", 0)
    tx.delete(root + "/m/1")
    results = tx.commit()
    assert isinstance(results[1], BadVersionError), results
    assert all(isinstance(r, Exception) for r in results), results
    assert zk.exists(root + "/m/2") is None and zk.exists(root + "/m/1") is not None
    tx = zk.transaction()
    tx.delete(root + "/m/1")
    tx.delete(root + "/m", version=1)
    assert tx.commit() == [True, True]
    assert zk.exists(root + "/m") is None


def run_threads(targets):
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 2)
        assert not t.is_alive(), "a recipe thread did not finish in time"


def lock(hosts, root):
    step("Lock")
    clients = [client(hosts) for _ in range(3)]
    try:
        holders = []
        inside = [0]
        errors = []
        guard = threading.Lock()

        def worker(i):
            try:
                for _ in range(3):
                    with clients[i].Lock(root + "/lock", f"c{i}"):
                        with guard:
                            inside[0] += 1
                            assert inside[0] == 1, "two holders at once"
                        holders.append(i)
                        time.sleep(0.01)
                        with guard:
                            inside[0] -= 1
            except Exception as e:  # reported by the main thread
                errors.append(e)

        run_threads([lambda i=i: worker(i) for i in range(3)])
        assert not errors, errors
        assert sorted(holders) == [0, 0, 0, 1, 1, 1, 2, 2, 2], holders
        # Contenders are visible while a lock is held.
        lk = clients[0].Lock(root + "/lock2", "first")
        assert lk.acquire(timeout=WAIT)
        other = clients[1].Lock(root + "/lock2", "second")
        assert not other.acquire(blocking=False)
        assert lk.contenders() == ["first"], lk.contenders()
        lk.release()
        assert other.acquire(timeout=WAIT)
        other.release()
    finally:
        for c in clients:
            c.stop()
            c.close()


def election(hosts, root):
    step("Election")
    clients = [client(hosts) for _ in range(3)]
    try:
        leaders = []
        done = [threading.Event() for _ in clients]

        def lead(i):
            leaders.append(i)
            done[i].set()

        elections = [c.Election(root + "/election", f"id{i}") for i, c in enumerate(clients)]
        threads = [threading.Thread(target=e.run, args=(lead, i), daemon=True) for i, e in enumerate(elections)]
        for t in threads:
            t.start()
        for d in done:
            assert d.wait(WAIT * 2), f"not every candidate led in turn: {leaders}"
        for t in threads:
            t.join(WAIT)
        assert sorted(leaders) == [0, 1, 2], leaders
        # Leaders took turns, one at a time: contenders are empty again.
        assert elections[0].contenders() == [], elections[0].contenders()
    finally:
        for c in clients:
            c.stop()
            c.close()


def counter(hosts, root):
    step("Counter")
    clients = [client(hosts) for _ in range(3)]
    try:
        def bump(i):
            c = clients[i].Counter(root + "/counter")
            for _ in range(10):
                c += 1

        run_threads([lambda i=i: bump(i) for i in range(3)])
        assert clients[0].Counter(root + "/counter").value == 30
        c = clients[0].Counter(root + "/counter")
        c -= 5
        assert c.value == 25 and c.pre_value == 30 and c.post_value == 25
    finally:
        for c in clients:
            c.stop()
            c.close()


def barrier(hosts, zk, root):
    step("Barrier and DoubleBarrier")
    b = zk.Barrier(root + "/barrier")
    b.create()
    passed = threading.Event()
    other = client(hosts)
    try:
        def waiter():
            if other.Barrier(root + "/barrier").wait(WAIT):
                passed.set()

        t = threading.Thread(target=waiter, daemon=True)
        t.start()
        assert not passed.wait(0.5), "passed a barrier that is up"
        b.remove()
        assert passed.wait(WAIT), "the barrier came down and the waiter did not pass"
        t.join(WAIT)
        # DoubleBarrier: three members enter together and leave together.
        clients = [client(hosts) for _ in range(3)]
        try:
            order = []

            def member(i):
                d = clients[i].DoubleBarrier(root + "/double", 3, f"m{i}")
                d.enter()
                order.append(("in", i))
                d.leave()
                order.append(("out", i))

            run_threads([lambda i=i: member(i) for i in range(3)])
            assert [kind for kind, _ in order[:3]] == ["in"] * 3, order
            assert sorted(i for kind, i in order if kind == "out") == [0, 1, 2], order
        finally:
            for c in clients:
                c.stop()
                c.close()
    finally:
        other.stop()
        other.close()


def queue(hosts, zk, root):
    step("Queue and LockingQueue")
    q = zk.Queue(root + "/queue")
    for i in range(5):
        q.put(f"item{i}".encode(), priority=100 if i != 3 else 1)
    assert len(q) == 5
    got = [q.get() for _ in range(5)]
    assert got == [b"item3", b"item0", b"item1", b"item2", b"item4"], got
    assert q.get() is None
    other = client(hosts)
    try:
        lq = zk.LockingQueue(root + "/lqueue")
        consumer = other.LockingQueue(root + "/lqueue")
        lq.put_all([b"a", b"b"])
        assert consumer.get(WAIT) == b"a"
        assert consumer.consume()
        assert consumer.get(WAIT) == b"b"
        assert consumer.consume()
        assert len(lq) == 0
        # A consumer blocks until an item arrives.
        result = []
        t = threading.Thread(target=lambda: result.append(consumer.get(WAIT)), daemon=True)
        t.start()
        time.sleep(0.2)
        lq.put(b"late")
        t.join(WAIT + 5)
        assert result == [b"late"], result
        assert consumer.consume()
    finally:
        other.stop()
        other.close()


def main():
    hosts = sys.argv[1]
    zk = client(hosts)
    root = "/kazoo-compat-" + uuid.uuid4().hex[:8]
    started = time.monotonic()
    try:
        zk.create(root, b"")
        basics(zk, root)
        ephemeral_and_sequential(hosts, zk, root)
        watches(hosts, zk, root)
        multi(zk, root)
        lock(hosts, root)
        election(hosts, root)
        counter(hosts, root)
        barrier(hosts, zk, root)
        queue(hosts, zk, root)
        zk.delete(root, recursive=True)
        assert zk.exists(root) is None
    except Exception:
        traceback.print_exc()
        print("kazoo compat: FAILED", flush=True)
        return 1
    finally:
        zk.stop()
        zk.close()
    print(f"kazoo compat: OK ({time.monotonic() - started:.1f}s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
