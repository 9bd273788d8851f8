# Every dependency comes from Debian 12 packages (scripts/install-deps); nothing is downloaded.
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS url)
find_package(RapidJSON REQUIRED CONFIG)
find_package(fmt REQUIRED CONFIG)
find_package(yaml-cpp REQUIRED CONFIG)
find_package(Catch2 3.7 REQUIRED CONFIG)

# Debian's RapidJSON config exports variables, not a target.
if(NOT TARGET e2e_rapidjson)
  add_library(e2e_rapidjson INTERFACE)
  target_include_directories(e2e_rapidjson SYSTEM INTERFACE ${RapidJSON_INCLUDE_DIRS} ${RAPIDJSON_INCLUDE_DIRS})
  target_compile_definitions(e2e_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
endif()
