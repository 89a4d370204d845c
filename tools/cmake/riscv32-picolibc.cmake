# CMake toolchain file: bare-metal RV32IMC (ilp32, no FPU) with Debian's
# riscv64-unknown-elf-gcc and picolibc, the flags of boards/riscv32-virt.
# The application adds its startup and linker script (-T).
#
#   cmake -S app -B build -DCMAKE_TOOLCHAIN_FILE=<fieldlm>/tools/cmake/riscv32-picolibc.cmake
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_AR riscv64-unknown-elf-ar)
set(CMAKE_RANLIB riscv64-unknown-elf-ranlib)
set(flm_rv_flags "-march=rv32imc -mabi=ilp32 -mcmodel=medany --specs=picolibc.specs")
set(CMAKE_C_FLAGS_INIT "${flm_rv_flags} -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${flm_rv_flags}")
# (CMake passes the C flags, --specs included, to the link too.)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles -Wl,--gc-sections")
# No OS to run a test program: check the compiler with a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
