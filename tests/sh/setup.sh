# The README's set-up: `sh .ci/install host` (the main job: build and run the
# host CLI) and `sh .ci/install test` (every test) install only what is
# missing, as root without sudo (a stock Debian 12 container) and as a user
# through sudo, and refuse clearly with neither. apt-get, dpkg-query, id and
# sudo are stand-ins that log their calls: the test must not install.
set -u
fail() { echo "FAIL: $*"; exit 1; }
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT

# The host set is small: no cross toolchain, emulator, fuzzer, PyTorch or browser.
for p in $(cat .ci/packages-host.txt); do
    case $p in
        gcc-*-linux-gnu*|gcc-arm-none-eabi|*newlib*|qemu*|*-cross|clang|libclang*|python3-torch|chromium*|nodejs|valgrind|cppcheck|stunnel4)
            fail "$p is for the tests, not the host CLI (.ci/packages-host.txt)" ;;
    esac
done
grep -qx build-essential .ci/packages-host.txt || fail "the host set lacks build-essential"
grep -qx libmbedtls-dev .ci/packages-host.txt || fail "the host set lacks libmbedtls-dev (the cloud over TLS)"

# The README keeps exactly two set-up commands, one per set, and the first
# one runs the main job.
n=$(grep -c '^sh \.ci/install ' README.md)
[ "$n" -eq 2 ] || fail "README has $n set-up commands, wants 2"
grep -q '^sh \.ci/install host && make && \./build/host/fieldlm run ' README.md || fail "README: the host set-up command"
grep -q '^sh \.ci/install test && make' README.md || fail "README: the test set-up command"

# Stand-ins: only these and a few plain tools are on PATH (no real sudo).
bin=$dir/bin; mkdir -p "$bin"
for t in sh cat tr grep env dirname; do ln -s "$(command -v $t)" "$bin/$t"; done
cat >"$bin/apt-get" <<'X'
#!/bin/sh
echo "apt-get $* uid=$FAKE_UID sudo=${IN_SUDO:-no} frontend=${DEBIAN_FRONTEND:-}" >>"$LOG"
X
cat >"$bin/dpkg-query" <<'X'
#!/bin/sh
for p; do :; done
grep -qx "$p" "$INSTALLED" && printf 'install ok installed'
exit 0
X
cat >"$bin/dpkg" <<'X'
#!/bin/sh
case $1 in
    --print-architecture) echo amd64 ;;
    --print-foreign-architectures) [ -f "$ARCHS" ] && cat "$ARCHS" ;;
    --add-architecture) echo "dpkg $* uid=$FAKE_UID" >>"$LOG"; echo "$2" >>"$ARCHS" ;;
esac
exit 0
X
cat >"$bin/id" <<'X'
#!/bin/sh
echo "$FAKE_UID"
X
cat >"$bin/sudo.real" <<'X'
#!/bin/sh
IN_SUDO=yes FAKE_UID=0 exec "$@"
X
chmod +x "$bin"/*
install_as() { # UID SET [with-sudo]
    rm -f "$bin/sudo"; [ "${3:-}" ] && ln -s sudo.real "$bin/sudo"
    : >"$dir/log"
    PATH=$bin LOG=$dir/log INSTALLED=$dir/installed ARCHS=$dir/archs FAKE_UID=$1 sh .ci/install "$2" >"$dir/out" 2>&1
}

: >"$dir/installed"
install_as 0 host || fail "as root without sudo: $(cat "$dir/out")"
grep -q '^apt-get update .*uid=0 sudo=no frontend=noninteractive' "$dir/log" || fail "root: update: $(cat "$dir/log")"
grep -q '^apt-get install -y -qq build-essential libmbedtls-dev ca-certificates uid=0 sudo=no frontend=noninteractive' "$dir/log" \
    || fail "root: install: $(cat "$dir/log")"

install_as 1000 host yes || fail "as a user with sudo: $(cat "$dir/out")"
grep -q '^apt-get install .*uid=0 sudo=yes frontend=noninteractive' "$dir/log" || fail "sudo: $(cat "$dir/log")"

install_as 1000 host; rc=$?
[ $rc -eq 1 ] || fail "as a user without sudo: exit $rc"
grep -q 'needs root: run it as root or install sudo; missing: build-essential' "$dir/out" || fail "no-sudo message: $(cat "$dir/out")"
[ -s "$dir/log" ] && fail "no-sudo ran apt-get: $(cat "$dir/log")"

# Only the missing ones; nothing at all when nothing is missing.
printf 'build-essential\nca-certificates\n' >"$dir/installed"
install_as 0 host || fail "partial"
grep -q '^apt-get install -y -qq libmbedtls-dev uid' "$dir/log" || fail "partial install: $(cat "$dir/log")"
cat .ci/packages-host.txt .ci/packages.txt >"$dir/installed"
install_as 1000 test || fail "all installed: $(cat "$dir/out")"
[ -s "$dir/log" ] && fail "apt-get ran with nothing missing: $(cat "$dir/log")"

# The test set is the host set and the rest, each once.
: >"$dir/installed"
install_as 0 test || fail "test set"
for p in $(cat .ci/packages-host.txt .ci/packages.txt); do
    [ "$(grep -o " $p " "$dir/log" | wc -l)" -eq 1 ] || fail "test set: $p not exactly once: $(cat "$dir/log")"
done
# the ARM boards' mbedTLS: its architectures are added once, before the update
grep -q '^dpkg --add-architecture arm64 uid=0' "$dir/log" || fail "arm64 not added: $(cat "$dir/log")"
grep -q '^dpkg --add-architecture armhf uid=0' "$dir/log" || fail "armhf not added: $(cat "$dir/log")"
[ "$(sed -n '/^dpkg --add/=' "$dir/log" | tail -n 1)" -lt "$(sed -n '/^apt-get update/=' "$dir/log")" ] ||
    fail "architectures added after the update: $(cat "$dir/log")"
grep -qx 'libmbedtls-dev:arm64' .ci/packages.txt || fail "the test set lacks libmbedtls-dev:arm64"
install_as 0 test || fail "test set again"
[ "$(grep -c '^dpkg --add-architecture' "$dir/log")" -eq 0 ] || fail "an architecture added twice: $(cat "$dir/log")"
install_as 0 bogus; [ $? -eq 2 ] || fail "unknown set"
echo "setup ok"
