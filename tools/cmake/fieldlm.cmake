# The functions every CMake entry point shares (CMakeLists.txt, the
# ESP-IDF component, the Zephyr module): the sources of one configuration
# from tools/cmake/sources.cmake, and the definitions a target needs.
include(${CMAKE_CURRENT_LIST_DIR}/sources.cmake)
set(FLM_ROOT ${CMAKE_CURRENT_LIST_DIR}/../.. CACHE INTERNAL "")
get_filename_component(FLM_ROOT ${FLM_ROOT} ABSOLUTE)

# flm_sources(OUT_SRCS OUT_DEFS PORT p OWN "a;b" TLS on|off): what the
# Makefile compiles into libfieldlm.a for that port (relative paths), and
# the port's capability definitions. As the rules.mk files do: core/, the
# port's folder (with port/common's semihosting for cortexm and riscv),
# port/common's shared pieces, for bare metal (cortexm, riscv, none)
# port/common's defaults but those in OWN, and mbedTLS's
# transport or the plain-TCP one.
function(flm_sources out_srcs out_defs)
    cmake_parse_arguments(A "" "PORT;TLS" "OWN" ${ARGN})
    set(srcs ${FLM_CORE_SOURCES})
    set(defs "")
    if(A_PORT STREQUAL "posix")
        list(APPEND srcs ${FLM_PORT_posix_SOURCES})
        set(defs ${FLM_PORT_posix_DEFINES})
    elseif(A_PORT STREQUAL "cortexm" OR A_PORT STREQUAL "riscv" OR A_PORT STREQUAL "none")
        if(NOT A_PORT STREQUAL "none")
            list(APPEND srcs ${FLM_PORT_${A_PORT}_SOURCES} ${FLM_SEMIHOST_SOURCES})
        endif()
    else()
        message(FATAL_ERROR "FLM_PORT '${A_PORT}': posix, cortexm, riscv or none")
    endif()
    list(APPEND srcs ${FLM_COMMON_SOURCES})
    if(NOT A_PORT STREQUAL "posix")
        foreach(d ${FLM_BAREMETAL_HAL_DEFAULTS})
            list(FIND A_OWN ${d} owned)
            if(owned EQUAL -1)
                list(APPEND srcs port/common/hal_${d}.c)
            endif()
        endforeach()
    endif()
    if(A_TLS)
        list(APPEND srcs ${FLM_TLS_SOURCES})
    else()
        list(APPEND srcs ${FLM_TLS_NONE_SOURCES})
    endif()
    set(${out_srcs} ${srcs} PARENT_SCOPE)
    set(${out_defs} ${defs} PARENT_SCOPE)
endfunction()

# flm_interface(OUT_INCS OUT_DEFS defs config_file tls): what the library
# and everything that includes its headers must agree on: the include path
# (the repository root: headers are included as "core/base/arena.h"), the
# port's capabilities, the build's facts (FLM_BUILD_CONFIG_FILE, written
# here: is mbedTLS linked) and the application's option header, so the
# application's view of every struct is the library's.
function(flm_interface out_incs out_defs defs config_file tls)
    if(tls)
        set(has_tls 1)
    else()
        set(has_tls 0)
    endif()
    set(gen ${CMAKE_CURRENT_BINARY_DIR}/fieldlm-gen)
    set(text "#define FLM_HAL_HAS_TLS ${has_tls}\n")
    set(old "")
    if(EXISTS ${gen}/flm_build_config.h)
        file(READ ${gen}/flm_build_config.h old)
    endif()
    if(NOT old STREQUAL text)
        file(WRITE ${gen}/flm_build_config.h "${text}")
    endif()
    list(APPEND defs "FLM_BUILD_CONFIG_FILE=\"flm_build_config.h\"")
    if(config_file)
        get_filename_component(cfg ${config_file} ABSOLUTE)
        list(APPEND defs "FLM_USER_CONFIG_FILE=\"${cfg}\"")
    endif()
    set(${out_incs} ${FLM_ROOT} ${gen} PARENT_SCOPE)
    set(${out_defs} ${defs} PARENT_SCOPE)
endfunction()
