# Data that lives beside the project (../shared) and must not be copied into it. Tests read these
# paths at run time; when a path is missing they SKIP naming the variable, or FAIL when CI=true.
get_filename_component(_e2e_shared_default "${CMAKE_CURRENT_SOURCE_DIR}/../shared" ABSOLUTE)
set(E2E_SHARED_DIR "${_e2e_shared_default}" CACHE PATH "The shared/ folder beside the project")
set(E2E_SIGV4_VECTORS_DIR "${E2E_SHARED_DIR}/testdata/aws-sigv4" CACHE PATH
    "AWS SigV4 test-vector folder (shared/testdata/aws-sigv4)")
set(E2E_JUNIT_XSD "${E2E_SHARED_DIR}/schemas/junit-10.xsd" CACHE FILEPATH
    "JUnit XML schema the reports must validate against (shared/schemas/junit-10.xsd)")
