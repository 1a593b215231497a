# Warnings are errors in every build of Berth's own code.
function(berth_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
    -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
    -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized
      # GCC 12 false positives at -O3: inside Boost.Asio, and in std::string (GCC PR 105651).
      -Wno-mismatched-new-delete -Wno-restrict)
  endif()
endfunction()
