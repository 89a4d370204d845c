# cmake -P: the ESP-IDF component and the Zephyr module wrappers, run with
# the registration calls of their SDKs recorded instead of made (no SDK
# here), write what each would compile to $ENV{OUT}.idf and $ENV{OUT}.zephyr
# (one source a line, relative to the repository) and fail if a wrapper
# names no source or none of its include paths and definitions.
set(root ${CMAKE_CURRENT_LIST_DIR}/../../..)
get_filename_component(root ${root} ABSOLUTE)
set(CMAKE_CURRENT_BINARY_DIR $ENV{OUT}-bin)

function(record out srcs)
    set(lines "")
    foreach(s ${srcs})
        file(RELATIVE_PATH r ${root} ${s})
        string(APPEND lines "${r}\n")
    endforeach()
    file(WRITE ${out} "${lines}")
endfunction()

# ESP-IDF: idf_component_register() makes the component's library.
set(ESP_PLATFORM 1)
function(idf_component_register)
    cmake_parse_arguments(A "" "" "SRCS;INCLUDE_DIRS;REQUIRES" ${ARGN})
    record($ENV{OUT}.idf "${A_SRCS}")
    set(COMPONENT_LIB idf_fieldlm PARENT_SCOPE)
endfunction()
function(target_include_directories t scope)
    set_property(GLOBAL APPEND PROPERTY flm_incs ${ARGN})
endfunction()
function(target_compile_definitions t scope)
    set_property(GLOBAL APPEND PROPERTY flm_defs ${ARGN})
endfunction()
function(target_compile_options)
endfunction()
include(${root}/CMakeLists.txt)

# Zephyr: zephyr_library_named() and its sources.
function(zephyr_library_named n)
endfunction()
function(zephyr_library_sources)
    record($ENV{OUT}.zephyr "${ARGN}")
endfunction()
function(zephyr_include_directories)
    set_property(GLOBAL APPEND PROPERTY flm_incs ${ARGN})
endfunction()
function(zephyr_compile_definitions)
    set_property(GLOBAL APPEND PROPERTY flm_defs ${ARGN})
endfunction()
include(${root}/zephyr/CMakeLists.txt)

get_property(incs GLOBAL PROPERTY flm_incs)
get_property(defs GLOBAL PROPERTY flm_defs)
list(FIND incs ${root} at)
if(at EQUAL -1 OR NOT defs MATCHES "FLM_BUILD_CONFIG_FILE")
    message(FATAL_ERROR "a wrapper gave no include path or definitions: ${incs} / ${defs}")
endif()
