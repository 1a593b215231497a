# BERTH_FUZZ=ON builds the libFuzzer targets in fuzz/ (clang only): every library they link is
# instrumented for coverage and built with ASan + UBSan. Use a build directory of its own
# (scripts/fuzz.sh uses build-fuzz/) and build the `fuzz` target, which builds only the
# libraries the targets need.
option(BERTH_FUZZ "Build the libFuzzer targets (clang)" OFF)
if(BERTH_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "BERTH_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(BERTH_SANITIZE)
    message(FATAL_ERROR "BERTH_FUZZ brings its own sanitizers; leave BERTH_SANITIZE off")
  endif()
  # -fno-sanitize=function: clang 14 cannot emit its prologue data in coroutines split by the
  # coverage instrumentation ("Cannot represent a difference across sections").
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
