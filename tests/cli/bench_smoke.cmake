# What the bench smoke tests share (included by bench_*_smoke.cmake).

# Runs `${EYRIE} <args>` and sets OUT to its one output line; fails unless it exits 0 with
# exactly one line.
function(bench_json_line OUT)
  execute_process(COMMAND ${EYRIE} ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 150)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "eyrie ${ARGN}: status ${status}\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  string(STRIP "${out}" out)
  string(REGEX MATCHALL "[^\n]+" lines "${out}")
  list(LENGTH lines count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "expected one JSON line, got ${count}:\n${out}")
  endif()
  set(${OUT} "${out}" PARENT_SCOPE)
endfunction()

# Fails unless the JSON object `json` (or its member `member`, when not empty) has every field.
function(require_json_fields json member)
  foreach(field ${ARGN})
    string(JSON value ERROR_VARIABLE missing GET "${json}" ${member} ${field})
    if(missing)
      message(FATAL_ERROR "field ${member} ${field}: ${missing}\n${json}")
    endif()
  endforeach()
endfunction()
