# eyrie_capnp(<target> <schema>...): compiles Cap'n Proto schemas into <target>.
# Generated headers live under the build tree at the schema's repository path, so they are
# included like sources: "apps/echo/echo.capnp.h".
function(eyrie_capnp target)
  set(CAPNPC_SRC_PREFIX ${PROJECT_SOURCE_DIR})
  set(CAPNPC_OUTPUT_DIR ${PROJECT_BINARY_DIR})
  set(CAPNPC_IMPORT_DIRS ${PROJECT_SOURCE_DIR})
  capnp_generate_cpp(srcs hdrs ${ARGN})
  target_sources(${target} PRIVATE ${srcs} ${hdrs})
  target_include_directories(${target} PUBLIC ${PROJECT_BINARY_DIR})
  target_link_libraries(${target} PUBLIC CapnProto::capnp)
endfunction()

# eyrie_library(<name> <sources>...): a module library with the project's include root.
function(eyrie_library name)
  add_library(${name} STATIC ${ARGN})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
endfunction()
