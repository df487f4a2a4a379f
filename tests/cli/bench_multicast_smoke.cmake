cmake_minimum_required(VERSION 3.25)
# `eyrie bench multicast` for one small configuration: the line is JSON with every documented
# field, and Ridge delivered something. Not a benchmark: the figures themselves are not judged.
include(${CMAKE_CURRENT_LIST_DIR}/bench_smoke.cmake)
bench_json_line(out bench multicast --groups 1 --size 100 --storage memory --optimistic off
                --seconds 1 --warmup-seconds 0.3 --low-seconds 0.5 --raw-seconds 0.3)
require_json_fields("${out}" "" groups learners size storage optimistic msgs_per_s mb_per_s_per_learner cons_p50_us
        cons_p99_us opt_p50_us opt_p99_us mistake_rate cons_p50_low_load_us cons_p99_low_load_us opt_p50_low_load_us
        opt_p99_low_load_us mistake_rate_low_load raw_mb_per_s raw_rtt_p50_us mb_ratio_vs_raw p50_ratio_vs_rtt
        opt_ratio_vs_cons targets)
string(JSON rate GET "${out}" msgs_per_s)
string(JSON p50 GET "${out}" cons_p50_low_load_us)
string(JSON raw GET "${out}" raw_mb_per_s)
if(NOT rate GREATER 0 OR NOT p50 GREATER 0 OR NOT raw GREATER 0)
  message(FATAL_ERROR "expected msgs_per_s, cons_p50_low_load_us and raw_mb_per_s > 0:\n${out}")
endif()
message(STATUS "${out}")
