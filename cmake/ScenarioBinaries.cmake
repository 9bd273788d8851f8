# Scenario binaries: one per runtime target plus the runtime-agnostic e2e-platform.
#
#   e2e_add_runtime_binary(<runtime> [ID_SLOT <n>] SOURCES <runtime-specific sources...>)
#     -> e2e-<runtime>: the shared smoke connectivity contract (compiled once per runtime with
#        E2E_RUNTIME="<runtime>") plus the runtime's own cases. ID_SLOT is the position of the
#        runtime's ID in E2E_ID(python_id, java_id, ...): python 0, java 1; required for others.
#   e2e_add_platform_binary(SOURCES <sources...>)  -> e2e-platform (E2E_RUNTIME="platform")
#
# Every binary links e2e::scenario (fixtures + failure listener) and Catch2's main, so it keeps the
# stock Catch2 command line. The targets made so far are in the global property E2E_SCENARIO_BINARIES.
set(E2E_SMOKE_CONNECTIVITY_SOURCE "${PROJECT_SOURCE_DIR}/scenarios/smoke/connectivity.cpp"
    CACHE INTERNAL "The smoke connectivity contract compiled into every runtime binary")

function(_e2e_scenario_binary target runtime)
  add_executable(${target} ${ARGN})
  target_link_libraries(${target} PRIVATE e2e::scenario e2e::lib e2e::matchers Catch2::Catch2WithMain)
  target_compile_definitions(${target} PRIVATE E2E_RUNTIME="${runtime}")
  e2e_target_warnings(${target})
  set_property(GLOBAL APPEND PROPERTY E2E_SCENARIO_BINARIES ${target})
endfunction()

function(e2e_add_runtime_binary runtime)
  cmake_parse_arguments(ARG "" "ID_SLOT" "SOURCES" ${ARGN})
  if(NOT DEFINED ARG_ID_SLOT)
    if(runtime STREQUAL "python")
      set(ARG_ID_SLOT 0)
    elseif(runtime STREQUAL "java")
      set(ARG_ID_SLOT 1)
    else()
      message(FATAL_ERROR "e2e_add_runtime_binary(${runtime}): pass ID_SLOT (its position in E2E_ID(...))")
    endif()
  endif()
  _e2e_scenario_binary(e2e-${runtime} ${runtime} "${E2E_SMOKE_CONNECTIVITY_SOURCE}" ${ARG_SOURCES})
  target_compile_definitions(e2e-${runtime} PRIVATE E2E_RUNTIME_SLOT=${ARG_ID_SLOT})
endfunction()

function(e2e_add_platform_binary)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  _e2e_scenario_binary(e2e-platform platform ${ARG_SOURCES})
endfunction()
