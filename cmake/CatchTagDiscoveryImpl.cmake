# Runs inside ctest (see CatchTagDiscovery.cmake): lists the binary's test cases as JSON and adds
# one ctest test per case, labelled with its tags.
if(NOT EXISTS "${E2E_DISCOVER_EXE}")
  add_test("${E2E_DISCOVER_TARGET}_NOT_BUILT" "${E2E_DISCOVER_TARGET}_NOT_BUILT")
  return()
endif()

execute_process(
  COMMAND "${E2E_DISCOVER_EXE}" --list-tests --reporter json
  OUTPUT_VARIABLE listing
  ERROR_VARIABLE listing_error
  RESULT_VARIABLE listing_result
  TIMEOUT 60)
if(NOT listing_result EQUAL 0)
  # A binary that cannot list its tests must fail the run, not vanish from it.
  add_test("${E2E_DISCOVER_TARGET}_DISCOVERY_FAILED" "${E2E_DISCOVER_EXE}" --list-tests)
  return()
endif()

string(JSON test_count ERROR_VARIABLE json_error LENGTH "${listing}" listings tests)
if(json_error OR test_count EQUAL 0)
  add_test("${E2E_DISCOVER_TARGET}_NO_TESTS" "${E2E_DISCOVER_EXE}" --list-tests)
  return()
endif()

math(EXPR last "${test_count} - 1")
foreach(index RANGE ${last})
  string(JSON name GET "${listing}" listings tests ${index} name)
  string(JSON tag_count LENGTH "${listing}" listings tests ${index} tags)
  set(labels ${E2E_DISCOVER_LABELS} ${E2E_DISCOVER_TARGET})
  if(tag_count GREATER 0)
    math(EXPR last_tag "${tag_count} - 1")
    foreach(tag_index RANGE ${last_tag})
      string(JSON tag GET "${listing}" listings tests ${index} tags ${tag_index})
      list(APPEND labels "${tag}")
    endforeach()
  endif()
  # Catch2 test-spec escaping: a name is matched literally once \ , [ ] are escaped.
  string(REPLACE "\\" "\\\\" spec "${name}")
  string(REPLACE "," "\\," spec "${spec}")
  string(REPLACE "[" "\\[" spec "${spec}")
  string(REPLACE "]" "\\]" spec "${spec}")
  set(test_name "${E2E_DISCOVER_PREFIX}${name}")
  add_test("${test_name}" "${E2E_DISCOVER_EXE}" "${spec}" --warn NoAssertions ${E2E_DISCOVER_EXTRA_ARGS})
  set_tests_properties("${test_name}" PROPERTIES
    LABELS "${labels}"
    TIMEOUT "${E2E_DISCOVER_TIMEOUT}"
    WORKING_DIRECTORY "${E2E_DISCOVER_WORKDIR}"
    SKIP_RETURN_CODE 4)
  if(E2E_DISCOVER_FIXTURES)
    set_tests_properties("${test_name}" PROPERTIES FIXTURES_REQUIRED "${E2E_DISCOVER_FIXTURES}")
  endif()
  if(E2E_DISCOVER_RESOURCE_LOCK)
    set_tests_properties("${test_name}" PROPERTIES RESOURCE_LOCK "${E2E_DISCOVER_RESOURCE_LOCK}")
  endif()
  if(E2E_DISCOVER_ENVIRONMENT)
    set_tests_properties("${test_name}" PROPERTIES ENVIRONMENT "${E2E_DISCOVER_ENVIRONMENT}")
  endif()
endforeach()
