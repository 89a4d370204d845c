# Plumbing for the cloud end-to-end tests (sourced by tests/sh/cloud_*.sh):
# test certificates, cloudsim on loopback, bounded CLI runs.
# Every process started here is bounded by `timeout -k` (SIGKILL 5 s after
# the TERM, its own or one passed on) and killed on exit.
set -u
cli="$BUILD/fieldlm"
sim="$BUILD/cloudsim"
fail() { echo "FAIL: $*"; exit 1; }

# Tests that need TLS in the runtime set need_tls=1 before sourcing this.
have_tls=0
grep -q 'FLM_HAL_HAS_TLS 1' "$BUILD/gen/flm_build_config.h" 2>/dev/null && have_tls=1
[ "${need_tls:-1}" = 0 ] || [ $have_tls = 1 ] ||
    { echo "skipped: this build has no TLS (make TLS=0)"; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "skipped: openssl is not installed"; exit 77; }
[ -x "$sim" ] || { echo "skipped: no $sim (it is built for BOARD=host only)"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/flm-cloud.XXXXXX")
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# absolute: a relative ca_file is read from the configuration file's folder
certs="$(cd "$BUILD" && pwd)/certs"
sh tools/cloudsim/mkcerts.sh "$certs" >"$work/mkcerts.log" 2>&1 ||
    fail "certificate generation: $(cat "$work/mkcerts.log")"

# wait_file FILE WHAT: up to 5 s for FILE to appear non-empty.
wait_file() {
    i=0
    while [ ! -s "$1" ]; do
        i=$((i + 1))
        [ $i -le 100 ] || return 1
        sleep 0.05
    done
}

# wait_grep PATTERN FILE: up to 5 s for FILE to contain PATTERN (the server
# logs a refused handshake only after the client has already gone).
wait_grep() {
    i=0
    until grep -q "$1" "$2" 2>/dev/null; do
        i=$((i + 1))
        [ $i -le 100 ] || return 1
        sleep 0.05
    done
}

# start_sim NAME [cloudsim options]: cloudsim on 127.0.0.1; sets PORT.
# Its requests are recorded in $work/NAME.rec.
start_sim() {
    name=$1
    shift
    : >"$work/$name.rec"
    timeout -k 5 "${SIM_SECONDS:-120}" "$sim" --port-file "$work/$name.port" --record "$work/$name.rec" "$@" \
        2>"$work/$name.simlog" &
    pids="$pids $!"
    wait_file "$work/$name.port" || fail "cloudsim $name did not start: $(cat "$work/$name.simlog")"
    PORT=$(cat "$work/$name.port")
}

# https_sim NAME CERTNAME [cloudsim options]: the TLS server with CERTNAME.crt/.key.
https_sim() {
    name=$1 cert=$2
    shift 2
    start_sim "$name" --cert "$certs/$cert.crt" --key "$certs/$cert.key" "$@"
}

# write_config FILE URL [more "key = value" lines]
write_config() {
    f=$1 url=$2
    shift 2
    {
        echo "# written by $(basename "$0")"
        echo "url = $url"
        echo "model = sim-model-1"
        for line in "$@"; do echo "$line"; done
    } >"$f"
}

# run_cloud NAME CONFIG [fieldlm cloud options]: sets RC; output in
# $work/NAME.out and $work/NAME.err. A hang is a failure of its own.
run_cloud() {
    name=$1 conf=$2
    shift 2
    timeout -k 5 40 "$cli" cloud -c "$conf" "$@" >"$work/$name.out" 2>"$work/$name.err"
    RC=$?
    [ $RC -ne 124 ] || fail "$name: fieldlm cloud hung (killed after 40 s)"
    if grep -q 'Sanitizer' "$work/$name.err"; then
        cat "$work/$name.err"
        fail "$name: sanitizer report"
    fi
}

# expect_error NAME TEXT: the run failed with exit 1 and said TEXT.
expect_error() {
    [ "$RC" -eq 1 ] || { cat "$work/$1.out" "$work/$1.err"; fail "$1: exit $RC, want 1"; }
    grep -qF -- "$2" "$work/$1.err" || { cat "$work/$1.err"; fail "$1: no '$2' on stderr"; }
}

# expect_ok NAME: the run succeeded.
expect_ok() {
    [ "$RC" -eq 0 ] || { cat "$work/$1.err"; fail "$1: exit $RC, want 0"; }
}

# requests NAME: how many requests cloudsim NAME recorded.
requests() {
    grep -c '^=== request ' "$work/$1.rec"
}

# use_stories260K: the reference stories260K from ../shared converted into
# $work ($model) and its router parameters ($params); skipped without it.
use_stories260K() {
    shared=${FLM_SHARED:-../shared}/models
    [ -f "$shared/stories260K.bin" ] || { echo "skipped: needs ../shared/models/stories260K.bin"; exit 77; }
    model="$work/stories260K.flm"
    params=tools/router/params/stories260K.router
    "$cli" convert --quiet --in "$shared/stories260K.bin" --tokenizer "$shared/tok512.bin" --out "$model" \
        >/dev/null || fail "convert"
}
