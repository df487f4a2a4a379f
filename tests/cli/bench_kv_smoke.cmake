cmake_minimum_required(VERSION 3.25)
# `eyrie bench kv` for one small configuration (two partitions, 10% multi-partition, one replica
# each): the line is JSON with every documented field, and commands were answered on S-SMR and
# on bare Ridge. Not a benchmark: the figures themselves are not judged.
include(${CMAKE_CURRENT_LIST_DIR}/bench_smoke.cmake)
bench_json_line(out bench kv --partitions 2 --multi-percent 10 --size 100 --replicas 1 --clients 2 --window 5
                --keys 64 --seconds 1 --warmup-seconds 0.3)
require_json_fields("${out}" "" bench partitions replicas clients window size multi_percent keys storage seconds
        commands_per_s p50_us p99_us issued multi_partition_share timeouts failed breakdown ridge ratio_vs_ridge targets)
require_json_fields("${out}" breakdown multicast_p50_us multicast_p99_us queue_p50_us queue_p99_us
        cross_partition_wait_p50_us cross_partition_wait_p99_us execution_p50_us execution_p99_us)
require_json_fields("${out}" ridge commands_per_s p50_us p99_us issued multi_partition_share timeouts failed
        multicast_p50_us multicast_p99_us)
string(JSON rate GET "${out}" commands_per_s)
string(JSON ridge_rate GET "${out}" ridge commands_per_s)
string(JSON execution GET "${out}" breakdown execution_p50_us)
string(JSON failed GET "${out}" failed)
if(NOT rate GREATER 0 OR NOT ridge_rate GREATER 0 OR execution STREQUAL "null" OR NOT failed EQUAL 0)
  message(FATAL_ERROR "expected commands_per_s and ridge.commands_per_s > 0, an execution time, no failure:\n${out}")
endif()
message(STATUS "${out}")
