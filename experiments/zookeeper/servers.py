"""Starting and stopping the servers the differential test and the benchmark compare: a Debian
ZooKeeper 3.8 (standalone or a 3-server ensemble) and a multi-process Volery cluster, all on
127.0.0.1 with ports chosen at run time and state in a temporary directory.

Every process started here is stopped by its own handle (its process id), never by name.
"""

import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
import time

ZOOKEEPER_CLASSPATH = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar"


def _die_with_parent():
    """In the child before exec: SIGKILL when the test's process dies, however it dies."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def stop_on_sigterm():
    """SIGTERM (ctest's timeout, Ctrl-C's cousin) unwinds through the `finally` blocks that stop
    the servers, instead of leaving them running."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def free_ports(count):
    """Ports the kernel hands out now; bound together so that they differ."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_port(port, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


class ZooKeeper:
    """A ZooKeeper 3.8 server set: one standalone server, or an ensemble of `servers`."""

    def __init__(self, directory, servers=1, force_sync=True):
        self.directory = directory
        self.processes = []
        self.client_ports = []
        ports = free_ports(3 * servers)
        for i in range(servers):
            data_dir = os.path.join(directory, "zk-%d" % (i + 1))
            os.makedirs(data_dir, exist_ok=True)
            client_port = ports[3 * i]
            lines = [
                "tickTime=2000",
                "initLimit=10",
                "syncLimit=5",
                "dataDir=%s" % data_dir,
                "clientPort=%d" % client_port,
                "clientPortAddress=127.0.0.1",
                "maxClientCnxns=0",
                "forceSync=%s" % ("yes" if force_sync else "no"),
                "admin.enableServer=false",
                "4lw.commands.whitelist=*",
                # ZooKeeper deletes an emptied container within a minute; the differential
                # test never empties one (Volery deletes it at once), so keep the checker idle.
                "znode.container.checkIntervalMs=3600000",
            ]
            if servers > 1:
                for j in range(servers):
                    lines.append("server.%d=127.0.0.1:%d:%d" % (j + 1, ports[3 * j + 1], ports[3 * j + 2]))
                with open(os.path.join(data_dir, "myid"), "w") as f:
                    f.write("%d\n" % (i + 1))
            config = os.path.join(directory, "zoo-%d.cfg" % (i + 1))
            with open(config, "w") as f:
                f.write("\n".join(lines) + "\n")
            main = ("org.apache.zookeeper.server.quorum.QuorumPeerMain" if servers > 1
                    else "org.apache.zookeeper.server.ZooKeeperServerMain")
            log = open(os.path.join(directory, "zk-%d.log" % (i + 1)), "w")
            self.processes.append(subprocess.Popen(
                ["java", "-Xmx512m", "-cp", ZOOKEEPER_CLASSPATH,
                 "-Dzookeeper.admin.enableServer=false", main, config],
                stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent))
            self.client_ports.append(client_port)

    def wait_ready(self, timeout_s=90):
        from kazoo.client import KazooClient
        deadline = time.monotonic() + timeout_s
        for port in self.client_ports:
            if not wait_port(port, max(1, deadline - time.monotonic())):
                raise RuntimeError("ZooKeeper did not open port %d" % port)
        # An ensemble answers only once it has a leader.
        while time.monotonic() < deadline:
            client = KazooClient("127.0.0.1:%d" % self.client_ports[0])
            try:
                client.start(timeout=10)
                client.stop()
                client.close()
                return
            except Exception:
                time.sleep(0.5)
        raise RuntimeError("ZooKeeper did not answer")

    def hosts(self):
        return ",".join("127.0.0.1:%d" % p for p in self.client_ports)

    def pids(self):
        return [p.pid for p in self.processes]

    def stop(self):
        for p in self.processes:
            if p.poll() is None:
                p.kill()
        for p in self.processes:
            p.wait()
        self.processes = []


class Volery:
    """A Volery cluster as `volery init` lays it out (`partitions` x 3 replicas with their Ridge
    ensembles, one gateway node), started with `eyrie cluster up`. `volery` is taken from the
    folder of `eyrie`."""

    def __init__(self, eyrie, directory, partitions=2, acceptor_storage="disk"):
        self.eyrie = eyrie
        self.directory = directory
        volery = os.path.join(os.path.dirname(eyrie), "volery")
        subprocess.run([volery, "init", "--dir", directory, "--partitions", str(partitions), "--replicas", "3",
                        "--gateways", "1", "--base-port", "auto", "--client-port", "auto",
                        "--acceptor-storage", acceptor_storage, "--name", "volery-compat"],
                       check=True, stdout=subprocess.DEVNULL)
        self.config = os.path.join(directory, "cluster.toml")
        with open(self.config) as f:
            self.client_port = int(re.search(r"^client_port = (\d+)$", f.read(), re.MULTILINE).group(1))
        subprocess.run([eyrie, "cluster", "up", "--config", self.config], check=True,
                       stdout=subprocess.DEVNULL)
        self.up = True

    def wait_ready(self, timeout_s=90):
        from kazoo.client import KazooClient
        deadline = time.monotonic() + timeout_s
        if not wait_port(self.client_port, timeout_s):
            raise RuntimeError("the Volery gateway did not open port %d" % self.client_port)
        while time.monotonic() < deadline:
            client = KazooClient(self.hosts(), timeout=10)
            try:
                client.start(timeout=10)
                client.exists("/")
                client.stop()
                client.close()
                return
            except Exception:
                time.sleep(0.5)
        raise RuntimeError("Volery did not answer")

    def hosts(self):
        return "127.0.0.1:%d" % self.client_port

    def pids(self):
        """The nodes' process ids, from the pid files `eyrie cluster up` writes."""
        pids = []
        for root, _, files in os.walk(os.path.join(self.directory, "data")):
            for name in files:
                if name.endswith(".pid"):
                    with open(os.path.join(root, name)) as f:
                        text = f.read().strip()
                    if text.isdigit():
                        pids.append(int(text))
        return sorted(pids)

    def logs(self):
        out = []
        for root, _, files in os.walk(os.path.join(self.directory, "data")):
            for name in files:
                if name.endswith(".log"):
                    out.append(os.path.join(root, name))
        return sorted(out)

    def stop(self):
        if self.up:
            subprocess.run([self.eyrie, "cluster", "down", "--config", self.config, "--grace", "5"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.up = False
