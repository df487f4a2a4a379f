#!/usr/bin/python3
"""Volery against ZooKeeper under the same load (zk_load), at matched durability.

For each durability level, starts in turn, on 127.0.0.1 with ports chosen at run time:
  volery-1p  Volery, 1 partition x 3 replicas (+ 1 gateway node)
  volery-2p  Volery, 2 partitions x 3 replicas (+ 1 gateway node)
  zookeeper  a 3-server ZooKeeper 3.8 ensemble
with "disk": Volery acceptor_storage = "disk" vs ZooKeeper forceSync=yes, and "memory":
acceptor_storage = "memory" vs forceSync=no. Against each it runs zk_load for setData and
getData with 100 B and 1 KiB payloads, prints each run's JSON line, then a comparison table with
Volery/ZooKeeper ratios of ops/s, ops per server CPU-second and p50 latency (and one JSON line
per comparison row).

    volery_vs_zookeeper.py --eyrie build/bin/eyrie --zk-load build/bin/zk_load [--seconds 10]
        [--sessions 4[,16,...]] [--outstanding 25] [--durability disk,memory]
"""

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import servers  # noqa: E402

WORKLOADS = [("set", 100), ("set", 1024), ("get", 100), ("get", 1024)]


def run_load(args, label, hosts, pids, op, payload, sessions, root):
    command = [args.zk_load, "--hosts", hosts, "--sessions", str(sessions),
               "--outstanding", str(args.outstanding), "--op", op, "--payload-bytes", str(payload),
               "--seconds", str(args.seconds), "--warmup-seconds", str(args.warmup_seconds),
               "--pids", ",".join(str(p) for p in pids), "--label", label, "--root", root]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, timeout=args.seconds + 120)
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else '{"error":"no output"}'
    print(line, flush=True)
    return json.loads(line)


def measure(args, system, durability, directory):
    if system == "zookeeper":
        server = servers.ZooKeeper(directory, servers=3, force_sync=(durability == "disk"))
    else:
        server = servers.Volery(args.eyrie, directory, partitions=int(system[-2]),
                                acceptor_storage=durability)
    results = {}
    try:
        server.wait_ready()
        pids = server.pids()
        index = 0
        for sessions in args.sessions:
            for op, payload in WORKLOADS:
                label = "%s/%s" % (system, durability)
                results[(op, payload, sessions)] = run_load(args, label, server.hosts(), pids, op, payload,
                                                            sessions, "/zk_load_%d" % index)
                index += 1
    finally:
        server.stop()
    return results


def ratio(a, b):
    return a / b if b else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eyrie", required=True)
    parser.add_argument("--zk-load", required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup-seconds", type=float, default=1)
    parser.add_argument("--sessions", default="4",
                        help="sessions of zk_load, or a comma-separated list to run each workload with each")
    parser.add_argument("--outstanding", type=int, default=25)
    parser.add_argument("--durability", default="disk,memory")
    parser.add_argument("--systems", default="volery-1p,volery-2p,zookeeper")
    args = parser.parse_args()
    args.eyrie = os.path.abspath(args.eyrie)
    args.zk_load = os.path.abspath(args.zk_load)
    try:
        args.sessions = [int(n) for n in args.sessions.split(",")]
        if any(n < 1 for n in args.sessions):
            raise ValueError
    except ValueError:
        parser.error("--sessions: expected positive integers, comma-separated")

    servers.stop_on_sigterm()
    logging.basicConfig(level=logging.ERROR)  # kazoo's reconnection chatter
    directory = tempfile.mkdtemp(prefix="eyrie-volery-vs-zookeeper-")
    table = {}
    try:
        for durability in args.durability.split(","):
            for system in args.systems.split(","):
                sub = os.path.join(directory, "%s-%s" % (system, durability))
                os.makedirs(sub)
                table[(system, durability)] = measure(args, system, durability, sub)
    finally:
        shutil.rmtree(directory, ignore_errors=True)

    comparisons = []
    print()
    print("%-7s %-4s %5s %4s  %-10s %10s %8s %9s %12s   %s" % (
        "durab.", "op", "bytes", "sess", "system", "ops/s", "p50 ms", "p99 ms", "ops/cpu-s",
        "vs zookeeper (ops/s, ops/cpu-s, p50)"))
    for durability in args.durability.split(","):
        for sessions in args.sessions:
            for op, payload in WORKLOADS:
                key = (op, payload, sessions)
                zk = table.get(("zookeeper", durability), {}).get(key, {})
                for system in args.systems.split(","):
                    r = table.get((system, durability), {}).get(key, {})
                    if "ops_per_s" not in r:
                        print("%-7s %-4s %5d %4d  %-10s %s" % (durability, op, payload, sessions, system,
                                                               r.get("error", "no result")))
                        continue
                    versus = ""
                    if system != "zookeeper" and "ops_per_s" in zk:
                        ratios = (ratio(r["ops_per_s"], zk["ops_per_s"]),
                                  ratio(r["ops_per_server_cpu_s"], zk["ops_per_server_cpu_s"]),
                                  ratio(r["p50_us"], zk["p50_us"]))
                        versus = "%.2fx, %.2fx, %.2fx" % ratios
                        comparisons.append(json.dumps({"comparison": system, "durability": durability, "op": op,
                                                       "payload_bytes": payload, "sessions": sessions,
                                                       "ops_per_s_ratio": round(ratios[0], 3),
                                                       "ops_per_cpu_s_ratio": round(ratios[1], 3),
                                                       "p50_ratio": round(ratios[2], 3)}))
                    print("%-7s %-4s %5d %4d  %-10s %10.0f %8.2f %9.2f %12.0f   %s" % (
                        durability, op, payload, sessions, system, r["ops_per_s"], r["p50_us"] / 1000.0,
                        r["p99_us"] / 1000.0, r["ops_per_server_cpu_s"], versus))
    print()
    for line in comparisons:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
