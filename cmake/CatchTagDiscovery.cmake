# e2e_catch_discover_tests(<target> [TEST_PREFIX <p>] [TIMEOUT <s>] [EXTRA_ARGS ...] [LABELS ...]
#                          [FIXTURES_REQUIRED ...] [ENVIRONMENT ...] [RESOURCE_LOCK ...])
#
# Registers every Catch2 test case of <target> as its own ctest test whose LABELS are the test
# case's tags (so `ctest -L smoke` or `ctest -L STD-018` select by tag) plus the target name.
# Debian's Catch.cmake does not map tags to labels, hence this module. Discovery runs when ctest
# starts (like Catch's PRE_TEST mode) by reading the binary's JSON test listing; every test runs
# with --warn NoAssertions so a test case that asserts nothing fails.
set(_E2E_CATCH_DISCOVERY_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/CatchTagDiscoveryImpl.cmake")

function(e2e_catch_discover_tests target)
  cmake_parse_arguments(ARG "" "TEST_PREFIX;TIMEOUT" "EXTRA_ARGS;LABELS;FIXTURES_REQUIRED;ENVIRONMENT;RESOURCE_LOCK" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_discovery.cmake")
  file(GENERATE OUTPUT "${include_file}" CONTENT
"set(E2E_DISCOVER_EXE \"$<TARGET_FILE:${target}>\")
set(E2E_DISCOVER_TARGET \"${target}\")
set(E2E_DISCOVER_PREFIX \"${ARG_TEST_PREFIX}\")
set(E2E_DISCOVER_TIMEOUT \"${ARG_TIMEOUT}\")
set(E2E_DISCOVER_EXTRA_ARGS \"${ARG_EXTRA_ARGS}\")
set(E2E_DISCOVER_LABELS \"${ARG_LABELS}\")
set(E2E_DISCOVER_FIXTURES \"${ARG_FIXTURES_REQUIRED}\")
set(E2E_DISCOVER_ENVIRONMENT \"${ARG_ENVIRONMENT}\")
set(E2E_DISCOVER_RESOURCE_LOCK \"${ARG_RESOURCE_LOCK}\")
set(E2E_DISCOVER_WORKDIR \"${CMAKE_CURRENT_BINARY_DIR}\")
include(\"${_E2E_CATCH_DISCOVERY_SCRIPT}\")
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()
