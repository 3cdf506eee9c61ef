# efi/font.cmake - the dashboard's console font: a PSF file shipped by Debian (console-setup-linux), turned
# into C by tools/psf2c in the build tree at build time; included by efi/CMakeLists.txt.
set(ANIMA_FONT /usr/share/consolefonts/Lat15-Terminus16.psf.gz CACHE FILEPATH
    "PSF1/PSF2 console font of the dashboard (optionally gzipped)")
if(NOT EXISTS "${ANIMA_FONT}")
  message(FATAL_ERROR "dashboard font ${ANIMA_FONT} not found: apt-get install console-setup-linux, "
                      "or configure with -DANIMA_FONT=FILE.psf")
endif()
get_filename_component(ANIMA_PSF2C ${CMAKE_CURRENT_SOURCE_DIR}/../tools/psf2c ABSOLUTE)
set(ANIMA_FONT_C ${CMAKE_CURRENT_BINARY_DIR}/font.c)
add_custom_command(OUTPUT ${ANIMA_FONT_C}
  COMMAND ${ANIMA_PYTHON} ${ANIMA_PSF2C} ${ANIMA_FONT} -o ${ANIMA_FONT_C}
  DEPENDS ${ANIMA_FONT} ${ANIMA_PSF2C}
  COMMENT "PSF2C font.c"
  VERBATIM)
anima_efi_compile(font ${ANIMA_FONT_C})
