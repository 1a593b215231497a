# Warnings are errors in every build of Berth's own code.
function(berth_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
    -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
    -Wimplicit-fallthrough -Wno-maybe-uninitialized
    # GCC 12 reports false positives inside Boost.Asio at -O3.
    -Wno-mismatched-new-delete)
endfunction()
