# fieldlm as an ESP-IDF component: this repository in the project's
# components/fieldlm (CMakeLists.txt includes this file when ESP_PLATFORM
# is set). The port is `none`: the application implements the system part
# of core/hal/hal_system.h on ESP-IDF (flm_hal_init/deinit, console and log
# on its UART or USB console, flm_hal_time_us from esp_timer_get_time,
# flm_hal_sleep_ms from vTaskDelay) and takes port/common's defaults for the
# rest, but those it names in FLM_HAL_OWN (an entropy source from
# esp_fill_random: entropy_none, with FLM_HAL_HAS_ENTROPY 1 in its option
# header). Set the options before project() in the project's
# CMakeLists.txt, or with idf.py -D:
#
#   set(FLM_CONFIG_FILE ${CMAKE_CURRENT_LIST_DIR}/main/fieldlm_options.h)
#   set(FLM_WITH_MBEDTLS ON)      # TLS on ESP-IDF's own mbedtls component
include(${CMAKE_CURRENT_LIST_DIR}/fieldlm.cmake)

set(flm_requires "")
if(FLM_WITH_MBEDTLS)
    set(flm_requires mbedtls)
endif()
flm_sources(flm_srcs flm_defs PORT none OWN "${FLM_HAL_OWN}" TLS "${FLM_WITH_MBEDTLS}")
list(TRANSFORM flm_srcs PREPEND ${FLM_ROOT}/)
idf_component_register(SRCS ${flm_srcs} REQUIRES ${flm_requires})
if(NOT CMAKE_BUILD_EARLY_EXPANSION)
    flm_interface(flm_incs flm_defs "${flm_defs}" "${FLM_CONFIG_FILE}" "${FLM_WITH_MBEDTLS}")
    target_include_directories(${COMPONENT_LIB} PUBLIC ${flm_incs})
    target_compile_definitions(${COMPONENT_LIB} PUBLIC ${flm_defs})
    target_compile_options(${COMPONENT_LIB} PRIVATE -std=c11)
endif()
