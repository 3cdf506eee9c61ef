# libFuzzer harnesses of every parser in C (tests/fuzz/fuzz_*.c), built with clang when it can link
# -fsanitize=fuzzer (Debian: clang and libfuzzer-14-dev, which tools/setup installs); otherwise skipped with a
# message. Each runs in ctest for ANIMA_FUZZ_SECONDS (default 25) from its committed corpus
# tests/fuzz/corpus/NAME (read-only; what it finds goes to build/fuzz/corpus/NAME). A crash leaves its input
# in build/fuzz/ (crash-*): it becomes a regression input in tests/fuzz/corpus/NAME once fixed.
#   cmake --build build --target fuzzers && build/fuzz/fuzz_options -max_total_time=600 tests/fuzz/corpus/options
#
# Built by default (and run by ctest) unless the catalogue is so large that its group files are packed
# (layout.py: more than 64 group files, thousands of subsystems): they would compile all of its C once more, with
# AddressSanitizer, for parsers that do not depend on its size. -DANIMA_FUZZ=ON/OFF overrides.
set(ANIMA_FUZZ AUTO CACHE STRING "build the fuzzers by default: AUTO (unless the catalogue is large), ON or OFF")
find_program(ANIMA_FUZZ_CC NAMES clang-14 clang)
set(ANIMA_FUZZ_SECONDS 25 CACHE STRING "seconds each fuzzer runs in ctest")
set(_fuzz_want ON)
if(ANIMA_FUZZ STREQUAL "AUTO")
  if(ANIMA_GEN_SOURCES MATCHES "group__pack_")
    set(_fuzz_want OFF)
    message(STATUS "fuzzers: not built by default for a catalogue this large (-DANIMA_FUZZ=ON builds them)")
  endif()
elseif(NOT ANIMA_FUZZ)
  set(_fuzz_want OFF)
  message(STATUS "fuzzers: not built (ANIMA_FUZZ=${ANIMA_FUZZ})")
endif()
# Whether clang links -fsanitize=fuzzer is asked once per build directory (a re-configure after each catalogue
# edit would otherwise pay for a compile and a link).
if(_fuzz_want AND ANIMA_FUZZ_CC AND NOT DEFINED ANIMA_FUZZ_LINKS)
  file(WRITE "${CMAKE_BINARY_DIR}/fuzz/probe.c"
       "#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n")
  execute_process(COMMAND "${ANIMA_FUZZ_CC}" -fsanitize=fuzzer "${CMAKE_BINARY_DIR}/fuzz/probe.c"
                          -o "${CMAKE_BINARY_DIR}/fuzz/probe"
                  RESULT_VARIABLE _fuzz_rc OUTPUT_QUIET ERROR_QUIET)
  if(_fuzz_rc EQUAL 0)
    set(ANIMA_FUZZ_LINKS ON CACHE INTERNAL "clang links -fsanitize=fuzzer")
  else()
    set(ANIMA_FUZZ_LINKS OFF CACHE INTERNAL "clang links -fsanitize=fuzzer")
  endif()
endif()
set(_fuzz_ok OFF)
if(ANIMA_FUZZ_CC AND ANIMA_FUZZ_LINKS)
  set(_fuzz_ok ON)
endif()

if(NOT _fuzz_want)
elseif(NOT _fuzz_ok)
  message(STATUS "fuzzers: not built (no clang that links -fsanitize=fuzzer: apt-get install clang libfuzzer-14-dev)")
else()
  set(_fuzz_dir "${CMAKE_BINARY_DIR}/fuzz")
  file(MAKE_DIRECTORY "${_fuzz_dir}/obj")
  set(_fuzz_cflags -std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror
      -fsanitize=address,undefined -fno-sanitize-recover=all
      -I${CMAKE_SOURCE_DIR}/core -I${ANIMA_GEN_DIR} -I${CMAKE_SOURCE_DIR}/efi)
  set(_fuzz_units ${ANIMA_CORE_SOURCES} ${ANIMA_GEN_SOURCES} "${CMAKE_SOURCE_DIR}/efi/livecmd.c"
      "${CMAKE_SOURCE_DIR}/efi/cmdline.c")
  set(_fuzz_objs)
  foreach(src ${_fuzz_units})
    get_filename_component(_n "${src}" NAME_WE)
    set(_obj "${_fuzz_dir}/obj/${_n}.o")
    add_custom_command(OUTPUT "${_obj}"
      COMMAND "${ANIMA_FUZZ_CC}" ${_fuzz_cflags} -fsanitize=fuzzer-no-link -MD -MF "${_obj}.d" -c "${src}" -o "${_obj}"
      DEPENDS "${src}"
      DEPFILE "${_obj}.d"
      COMMENT "FUZZ CC ${_n}.c"
      VERBATIM)
    list(APPEND _fuzz_objs "${_obj}")
  endforeach()
  # lld links the five of them in half the time of the default linker: they are linked again after every
  # catalogue edit (they contain its generated C).
  find_program(ANIMA_FUZZ_LLD NAMES ld.lld ld.lld-14)
  set(_fuzz_ld)
  if(ANIMA_FUZZ_LLD)
    set(_fuzz_ld -fuse-ld=lld)
  endif()
  set(_fuzzers)
  foreach(name options cmdline livecmd checkpoint scenario)
    set(_exe "${_fuzz_dir}/fuzz_${name}")
    # The harness is an object of its own, so that relinking after a catalogue edit does not compile it again.
    set(_harness "${_fuzz_dir}/obj/harness_${name}.o")
    add_custom_command(OUTPUT "${_harness}"
      COMMAND "${ANIMA_FUZZ_CC}" ${_fuzz_cflags} -fsanitize=fuzzer-no-link -MD -MF "${_harness}.d"
              -c "${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${name}.c" -o "${_harness}"
      DEPENDS "${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${name}.c"
      DEPFILE "${_harness}.d"
      COMMENT "FUZZ CC fuzz_${name}.c"
      VERBATIM)
    add_custom_command(OUTPUT "${_exe}"
      COMMAND "${ANIMA_FUZZ_CC}" ${_fuzz_cflags} -fsanitize=fuzzer ${_fuzz_ld} "${_harness}" ${_fuzz_objs} -o "${_exe}"
      DEPENDS "${_harness}" ${_fuzz_objs}
      COMMENT "FUZZ LD fuzz_${name}"
      VERBATIM)
    list(APPEND _fuzzers "${_exe}")
    add_test(NAME fuzz_${name}
      COMMAND sh -c "mkdir -p \"$1\" && exec \"$0\" -max_total_time=${ANIMA_FUZZ_SECONDS} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=\"$2/\" \"$1\" \"$3\""
              "${_exe}" "${_fuzz_dir}/corpus/${name}" "${_fuzz_dir}" "${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name}")
  endforeach()
  add_custom_target(fuzzers ALL DEPENDS ${_fuzzers})
  add_dependencies(fuzzers anima_generate)
endif()
