# The CMake integration for vendor SDKs (CMakeLists.txt, tools/cmake/,
# zephyr/): it compiles what the Makefile compiles, and it builds.
#  1. tools/cmake/sources.cmake is what `make cmake-sources` writes now;
#  2. for each port the CMake configuration's sources are `make sources`'
#     for the matching board: posix (host, TLS=0), cortexm (mps2-an385 with
#     the RAM store), riscv (riscv32-virt with the RAM store, and with its
#     flash store supplied by the application: FLM_HAL_OWN=store_ram); the
#     ESP-IDF component and the Zephyr module (run with their SDKs'
#     registration calls recorded: tests/cmake/sdk/wrappers.cmake) compile
#     port `none`: cortexm's list without port/cortexm/ (and the
#     semihosting it brings from port/common);
#  3. a RISC-V firmware (tests/cmake/riscv32-virt: the board's application
#     as the SDK project's sources, the toolchain file
#     tools/cmake/riscv32-picolibc.cmake) builds with add_subdirectory(),
#     passes the HAL self-test and prints the host's story under QEMU;
#  4. a host program (tests/cmake/host) with cloud TLS on an mbedTLS target
#     its project defines builds, links, and tells `fieldlm run`'s story.
set -u
command -v cmake >/dev/null || { echo "cmake not installed (see .ci/packages.txt)"; exit 77; }
case "${BUILD:-}" in
    *-san) echo "the CMake builds run once, in the plain (non-sanitizer) pass"; exit 77 ;;
esac
unset MAKEFLAGS MFLAGS MAKELEVEL
root=$(pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "$*"; status=1; }

# ---- 1. the checked-in lists are current ------------------------------------
make -s cmake-sources CMAKE_SOURCES="$tmp/sources.cmake" || { echo "make cmake-sources failed"; exit 1; }
cmp -s "$tmp/sources.cmake" tools/cmake/sources.cmake ||
    { diff tools/cmake/sources.cmake "$tmp/sources.cmake"; fail "tools/cmake/sources.cmake is stale: run make cmake-sources"; }

# ---- 2. the same sources as the Makefile, port by port ------------------------
# agree NAME CMAKE-LIST MAKE-ARGS...: the configured list equals `make sources`'.
# Its build folder is a scratch one (BUILD=): reading the Makefile writes the
# stamps of BUILD (gen/flm_build_config.h, the archives' member lists), and
# with TLS=0 or another store they would make the next plain build of
# build/host (or build/mps2-an385, build/riscv32-virt) recompile and relink
# it, here ~25 s of CPU, and under a script tests/run.sh runs beside this one.
agree() {
    name=$1 list=$2; shift 2
    make -s sources BUILD="$tmp/mk.$name" "$@" | sort > "$tmp/make.$name"
    sort "$list" > "$tmp/cmake.$name"
    if cmp -s "$tmp/make.$name" "$tmp/cmake.$name"; then
        echo "$name: the $(wc -l < "$tmp/make.$name") sources of make $*"
    else
        echo "$name: CMake and make $* differ (< make, > cmake):"; diff "$tmp/make.$name" "$tmp/cmake.$name"; status=1
    fi
}
# configure NAME ARGS...: configure the library alone, into $tmp/NAME.
configure() {
    name=$1; shift
    cmake -S "$root" -B "$tmp/$name" "$@" >"$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log"; fail "cmake $name: configure failed"; return 1; }
}
configure posix -DFLM_PORT=posix && agree posix "$tmp/posix/fieldlm-sources.txt" BOARD=host TLS=0
if command -v arm-none-eabi-gcc >/dev/null; then
    configure cortexm -DFLM_PORT=cortexm -DCMAKE_SYSTEM_NAME=Generic -DCMAKE_C_COMPILER=arm-none-eabi-gcc \
        -DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY &&
        agree cortexm "$tmp/cortexm/fieldlm-sources.txt" BOARD=mps2-an385 MPS2_STORE=ram MPS2_WATCHDOG=none
    grep -v -e '^port/cortexm/' -e '^port/common/semihost\.c$' "$tmp/cortexm/fieldlm-sources.txt" | sort > "$tmp/none.txt"
    (cd "$tmp" && OUT="$tmp/wrap" cmake -P "$root/tests/cmake/sdk/wrappers.cmake") || fail "the SDK wrappers failed"
    for sdk in idf zephyr; do
        sort "$tmp/wrap.$sdk" > "$tmp/wrap.$sdk.sorted" 2>/dev/null
        if [ -s "$tmp/none.txt" ] && cmp -s "$tmp/none.txt" "$tmp/wrap.$sdk.sorted"; then
            echo "$sdk wrapper: port none, the $(wc -l < "$tmp/none.txt") sources of cortexm without port/cortexm/"
        else
            echo "$sdk wrapper's sources differ (< cortexm without port/cortexm, > the wrapper):"
            diff "$tmp/none.txt" "$tmp/wrap.$sdk.sorted"; status=1
        fi
    done
else
    echo "arm-none-eabi-gcc not installed: cortexm and the SDK wrappers not compared"
fi

rv=
if command -v riscv64-unknown-elf-gcc >/dev/null && command -v qemu-system-riscv32 >/dev/null &&
   [ -f /usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs ]; then
    rv=1
    tc=-DCMAKE_TOOLCHAIN_FILE=$root/tools/cmake/riscv32-picolibc.cmake
    configure riscv -DFLM_PORT=riscv "$tc" && agree riscv "$tmp/riscv/fieldlm-sources.txt" BOARD=riscv32-virt RISCV_STORE=ram
else
    echo "the RISC-V toolchain, picolibc or qemu-system-riscv32 not installed: no cross build"
fi

# ---- 3. a RISC-V firmware built with CMake -------------------------------------
make -s -j2 SAN=0 cli >"$tmp/cli.log" 2>&1 || { cat "$tmp/cli.log"; echo "make cli failed"; exit 1; }
model=models/fieldtales-800k.flm
build/host/fieldlm run -m $model -p "Once upon a time" -n 64 -t 0 --ctx 256 >"$tmp/want" 2>/dev/null ||
    { echo "fieldlm run failed"; exit 1; }
if [ -n "$rv" ]; then
    if cmake -S tests/cmake/riscv32-virt -B "$tmp/fw" "$tc" -DCMAKE_BUILD_TYPE=Release >"$tmp/fw.log" 2>&1 &&
       cmake --build "$tmp/fw" -j2 >>"$tmp/fw.log" 2>&1; then
        agree riscv-own-store "$tmp/fw/fieldlm/fieldlm-sources.txt" BOARD=riscv32-virt
        q="qemu-system-riscv32 -M virt -bios none -display none -monitor none -serial stdio -semihosting-config enable=on,target=native -kernel $tmp/fw/firmware.elf"
        if timeout 300 $q -append "-n 64 -t 0 --ctx 256" >"$tmp/fw.out" 2>"$tmp/fw.err" </dev/null &&
           cmp -s "$tmp/want" "$tmp/fw.out"; then
            echo "riscv32-virt firmware (CMake): the host's story ($(wc -c < "$tmp/want") bytes)"
        else
            cat "$tmp/fw.err"; diff "$tmp/want" "$tmp/fw.out" | head; fail "the CMake-built firmware's story differs"
        fi
        timeout 300 $q -append "--selftest" >/dev/null 2>"$tmp/fw.err" </dev/null ||
            { cat "$tmp/fw.err"; fail "the CMake-built firmware's self-test failed"; }
    else
        tail -n 30 "$tmp/fw.log"; fail "the CMake RISC-V firmware did not build"
    fi
fi

# ---- 4. a host program with the project's mbedTLS target ------------------------
if make -s sources BOARD=host | grep -qx port/mbedtls/tls.c; then
    if cmake -S tests/cmake/host -B "$tmp/host" >"$tmp/host.log" 2>&1 && cmake --build "$tmp/host" -j2 >>"$tmp/host.log" 2>&1; then
        agree posix-tls "$tmp/host/fieldlm/fieldlm-sources.txt" BOARD=host
        if "$tmp/host/story" $model 64 >"$tmp/story.out" 2>"$tmp/story.err" && cmp -s "$tmp/want" "$tmp/story.out"; then
            grep -qx 'tls 1' "$tmp/story.err" || fail "the host program was built without TLS: $(cat "$tmp/story.err")"
            echo "host program (CMake, TLS on the project's mbedTLS): fieldlm run's story"
        else
            cat "$tmp/story.err"; diff "$tmp/want" "$tmp/story.out" | head; fail "the CMake host program's story differs"
        fi
    else
        tail -n 30 "$tmp/host.log"; fail "the CMake host program did not build"
    fi
else
    echo "no static mbedTLS (libmbedtls-dev): the host program not built"
fi
exit $status
