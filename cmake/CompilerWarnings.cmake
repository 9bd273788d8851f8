# e2e_target_warnings(<target>): the project's warning set; E2E_WARNINGS_AS_ERRORS (the dev
# preset turns it on) makes them errors.
option(E2E_WARNINGS_AS_ERRORS "Treat compiler warnings as errors" OFF)

function(e2e_target_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Wunused -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough
    # At -O2/-O3 GCC 12 reports false null dereferences inside libstdc++ and Asio; Debug keeps it.
    $<$<CONFIG:Debug>:-Wnull-dereference>
    # Options structs are filled with designated initializers that leave defaults out on purpose.
    -Wno-missing-field-initializers)
  if(E2E_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
