# riskd_strict(target): the project's own code builds with these warnings,
# as errors unless RISKD_WERROR is OFF. Generated protobuf code does not.
function(riskd_strict target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
    -Wformat=2
    # GCC 12 reports false -Wrestrict positives inside std::string at -O3
    # (GCC bug 105329).
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
  if(RISKD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# riskd_test(name sources... LIBS libs...): a GoogleTest executable registered
# with CTest, one CTest test per TEST().
# PROPERTIES takes single-word values only: gtest_discover_tests flattens a
# list (LABELS "a;b" becomes LABELS a and a property b); for several labels
# set the directory's LABELS property (tests/engine/CMakeLists.txt).
function(riskd_test name)
  cmake_parse_arguments(T "" "" "LIBS;PROPERTIES" ${ARGN})
  add_executable(${name} ${T_UNPARSED_ARGUMENTS})
  riskd_strict(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ${T_PROPERTIES})
endfunction()
