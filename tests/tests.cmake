# Every suite runs under ctest; the Python suites run with the same interpreter as the generator.
set(ANIMA_TEST_ENV
  "ANIMA_SIM=$<TARGET_FILE:anima-sim>"
  "ANIMA_BUILD=${CMAKE_BINARY_DIR}"
  "ANIMA_PYTHON=${ANIMA_PYTHON}"
  "ANIMA_CATALOGUE=${ANIMA_CATALOGUE}"
  "PYTHONDONTWRITEBYTECODE=1")

function(anima_pytest name dir)
  if(EXISTS "${CMAKE_SOURCE_DIR}/${dir}")
    add_test(NAME ${name}
             COMMAND "${ANIMA_PYTHON}" -m pytest -q -p no:cacheprovider "${CMAKE_SOURCE_DIR}/${dir}" ${ARGN}
             WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}")
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${ANIMA_TEST_ENV}")
  endif()
endfunction()

anima_pytest(generator tests/gen)
anima_pytest(engine tests/engine)
anima_pytest(report tests/report)
anima_pytest(sweep tests/sweep)
anima_pytest(organism tests/organism)
anima_pytest(hardening tests/hardening)
# The QEMU suites boot many machines: one ctest entry per file lets ctest -j2 run two at a time.
file(GLOB _qemu_tests RELATIVE "${CMAKE_SOURCE_DIR}" CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/tests/qemu/test_*.py")
foreach(t ${_qemu_tests})
  get_filename_component(_name "${t}" NAME_WE)
  string(REPLACE "test_" "qemu_" _name "${_name}")
  anima_pytest(${_name} ${t})
endforeach()

# The engine and the organism under AddressSanitizer and UndefinedBehaviorSanitizer (a build of its own).
add_test(NAME sanitize COMMAND sh "${CMAKE_SOURCE_DIR}/tests/sanitize" WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}")
set_tests_properties(sanitize PROPERTIES ENVIRONMENT "${ANIMA_TEST_ENV}")
include("${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz.cmake")

# The soak's short form (tools/soak runs the full 100,000,000 ticks by hand): seeded random stimuli, every
# variable within its declared range each simulated day, every death with a cause.
add_test(NAME soak COMMAND "${ANIMA_PYTHON}" "${CMAKE_SOURCE_DIR}/tools/soak" --ticks 20000000
         --sim "$<TARGET_FILE:anima-sim>" --build "${CMAKE_BINARY_DIR}")

# Static analysis of core/ and efi/ (with the generated headers): cppcheck's warning and portability checks,
# clean but for the false positives listed in tests/lint/cppcheck-suppressions.txt.
find_program(ANIMA_CPPCHECK cppcheck)
if(ANIMA_CPPCHECK)
  add_test(NAME lint_cppcheck
           COMMAND sh -c "exec \"$0\" --quiet --enable=warning,portability --std=c11 --error-exitcode=1 --suppressions-list=\"$1/tests/lint/cppcheck-suppressions.txt\" -I\"$1/core\" -I\"$2\" -I\"$1/efi\" \"$1\"/core/*.c \"$1\"/efi/*.c \"$1\"/efi/pc/*.c"
                   "${ANIMA_CPPCHECK}" "${CMAKE_SOURCE_DIR}" "${ANIMA_GEN_DIR}")
endif()
