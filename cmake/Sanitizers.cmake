# E2E_SANITIZE: comma-free list of sanitizers applied to every target (the asan preset sets
# "address;undefined").
set(E2E_SANITIZE "" CACHE STRING "Sanitizers to enable, e.g. address;undefined")
if(E2E_SANITIZE)
  list(JOIN E2E_SANITIZE "," _e2e_sanitizers)
  add_compile_options(-fsanitize=${_e2e_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_e2e_sanitizers})
endif()
