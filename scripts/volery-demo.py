#!/usr/bin/python3
"""A short demo of Volery with a real ZooKeeper client (kazoo), run by scripts/quickstart.

usage: volery-demo.py HOST:PORT

Creates, sets and reads a node, fires a data watch, creates an ephemeral sequential node and
runs a multi (transaction); prints what it does; exits 0 when every step did what ZooKeeper
promises, 1 otherwise. It leaves nothing behind but /quickstart (deleted again at the end).
"""
import sys
import threading
import time
import uuid

from kazoo.client import KazooClient


def main():
    hosts = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:2181"
    zk = KazooClient(hosts=hosts, timeout=20)
    zk.start(timeout=60)
    root = "/quickstart-" + uuid.uuid4().hex[:8]
    try:
        path = zk.create(root, b"hello")
        print(f"demo: create {path} 'hello'")
        stat = zk.set(root, b"world")
        data, stat = zk.get(root)
        assert data == b"world" and stat.version == 1, (data, stat)
        print(f"demo: set + get {root} -> {data.decode()!r} (version {stat.version})")

        fired = threading.Event()
        events = []

        def watcher(event):
            events.append(event)
            fired.set()

        zk.get(root, watch=watcher)
        zk.set(root, b"watched")
        assert fired.wait(30), "the data watch did not fire"
        print(f"demo: watch fired: {events[0].type} on {events[0].path}")

        seq = zk.create(root + "/worker-", b"", ephemeral=True, sequence=True)
        assert zk.exists(seq).ephemeralOwner == zk.client_id[0]
        print(f"demo: ephemeral sequential node {seq} (owned by session 0x{zk.client_id[0]:x})")

        tx = zk.transaction()
        tx.create(root + "/a", b"1")
        tx.create(root + "/b", b"2")
        tx.set_data(root, b"multi")
        results = tx.commit()
        assert not any(isinstance(r, Exception) for r in results), results
        print(f"demo: multi (create, create, set) -> {results[:2]} and a Stat")
        print(f"demo: children of {root}: {sorted(zk.get_children(root))}")
        zk.delete(root, recursive=True)
        print("demo: OK")
        return 0
    except Exception as e:  # every failure is a demo failure
        print(f"demo: FAILED: {e!r}", file=sys.stderr)
        return 1
    finally:
        zk.stop()
        zk.close()


if __name__ == "__main__":
    sys.exit(main())
