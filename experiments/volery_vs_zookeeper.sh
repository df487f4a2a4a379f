#!/usr/bin/env bash
# Volery against a 3-server ZooKeeper ensemble under the same load, at matched durability
# (docs/volery.md, "Benchmark: Volery against ZooKeeper"). Builds eyrie and zk_load, then runs
# experiments/zookeeper/volery_vs_zookeeper.py; options pass through (--seconds, --sessions,
# --outstanding, --durability disk,memory, --systems volery-1p,volery-2p,zookeeper).
#
#   experiments/volery_vs_zookeeper.sh --seconds 10
#
# Needs Debian's zookeeper (server jars), libzookeeper-mt-dev and python3-kazoo (/usr/bin/python3).
# EYRIE_BUILD_DIR=<dir> uses an already configured build tree (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${EYRIE_BUILD_DIR:-build}"
if [ ! -f "$build/CMakeCache.txt" ]; then cmake --preset default >/dev/null; fi
cmake --build "$build" --target eyrie volery zk_load >/dev/null
exec /usr/bin/python3 experiments/zookeeper/volery_vs_zookeeper.py \
  --eyrie "$build/bin/eyrie" --zk-load "$build/bin/zk_load" "$@"
