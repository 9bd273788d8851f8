# Use ccache when it is installed (scripts/install-deps installs it); rebuilds of a clean clone
# in CI and on developer machines then mostly hit the cache.
find_program(E2E_CCACHE ccache)
if(E2E_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${E2E_CCACHE}" CACHE STRING "Compiler launcher" FORCE)
endif()
