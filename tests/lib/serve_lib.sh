# Plumbing for the `fieldlm serve` tests (sourced by tests/sh/serve_*.sh):
# the model and router parameters, cloudsim, servers on loopback with
# their ports and process ids, bounded curl, and the npm clients. Built on
# tests/lib/cloud_lib.sh (cloudsim, $work, cleanup of every process).
need_tls=0
. tests/lib/cloud_lib.sh
# a failure shows the servers' logs too
fail() {
    for f in "$work"/*.log; do
        [ -f "$f" ] && { echo "--- $(basename "$f") (last lines):"; tail -n 15 "$f"; }
    done
    echo "FAIL: $*"
    exit 1
}

load=$BUILD/httpload
[ -x "$load" ] || { echo "skipped: no $load (it is built for BOARD=host only)"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "skipped: curl is not installed (.ci/packages.txt has it)"; exit 77; }
shared=${FLM_SHARED:-../shared}/models
[ -f "$shared/stories260K.bin" ] || { echo "skipped: needs ../shared/models/stories260K.bin"; exit 77; }
model="$work/stories260K.flm"
"$cli" convert --quiet --in "$shared/stories260K.bin" --tokenizer "$shared/tok512.bin" --out "$model" \
    >/dev/null || fail "convert"
params=tools/router/params/stories260K.router
san=0
case "$BUILD" in *-san) san=1 ;; esac

easy="Once upon a time, there was a little girl named Lily. She loved to play in the park."
hard="What is the capital of Australia?"

# serve_conf NAME [cloud PORT] [lines for [server]...]: $work/NAME.conf
serve_conf() {
    name=$1
    shift
    cport=""
    if [ "${1:-}" = cloud ]; then
        cport=$2
        shift 2
    fi
    {
        echo "[model]"
        echo "path = $model"
        echo "[router]"
        echo "params = $params"
        if [ -n "$cport" ]; then
            echo "[cloud]"
            echo "url = http://127.0.0.1:$cport/v1"
            echo "model = sim-model-1"
            echo "max_retries = 0"
        fi
        echo "[server]"
        echo "port = 0"
        for line in "$@"; do echo "$line"; done
    } >"$work/$name.conf"
}

# start_serve NAME CONF [fieldlm serve options]: sets SPORT and SPID;
# the server's log is $work/NAME.log. SPID is the `timeout` around it,
# run --foreground so that a signal sent to it reaches the server once (a
# second one ends the stop's grace), and SIGKILL follows 10 s later.
start_serve() {
    sname=$1 sconf=$2
    shift 2
    rm -f "$work/$sname.port"
    timeout --foreground -k 10 300 "$cli" serve -c "$sconf" --port-file "$work/$sname.port" "$@" \
        >"$work/$sname.stdout" 2>"$work/$sname.log" &
    SPID=$!
    pids="$pids $SPID"
    wait_file "$work/$sname.port" || fail "serve $sname did not start: $(cat "$work/$sname.log")"
    SPORT=$(cat "$work/$sname.port")
    BASE="http://127.0.0.1:$SPORT"
}

# stop_serve NAME PID [signalled]: SIGTERM (unless the test has signalled
# it already: a second signal would cut the grace), then it must be gone
# within 10 s with exit 0.
stop_serve() {
    [ "${3:-}" = signalled ] || kill -TERM "$2" 2>/dev/null
    i=0
    while kill -0 "$2" 2>/dev/null; do
        i=$((i + 1))
        [ $i -le 200 ] || fail "serve $1 still running 10 s after SIGTERM"
        sleep 0.05
    done
    wait "$2"
    rc=$?
    [ $rc -eq 0 ] || { cat "$work/$1.log"; fail "serve $1 exited $rc after SIGTERM, want 0"; }
    ! grep -q Sanitizer "$work/$1.log" || { cat "$work/$1.log"; fail "serve $1: sanitizer report"; }
}

# c ARGS...: curl, bounded, silent, no proxy from the environment
c() {
    curl -sS --noproxy '*' --max-time 30 "$@"
}

# until_body URL TEXT [TRIES]: GET URL every 0.1 s until its reply (head
# and body) holds TEXT; $work/until has the last one. False if it never did.
until_body() {
    i=0
    while [ $i -lt "${3:-50}" ]; do
        c -i "$1" >"$work/until" 2>&1 && grep -qF -- "$2" "$work/until" && return 0
        i=$((i + 1))
        sleep 0.1
    done
    return 1
}

# until_file FILE TEXT: up to 5 s for FILE to hold TEXT.
until_file() {
    i=0
    until grep -qF -- "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -le 100 ] || return 1
        sleep 0.05
    done
}

# jhas FILE TEXT [WHAT]: FILE holds TEXT (the server writes compact JSON).
jhas() {
    grep -qF -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "${3:-$1}: no $2"; }
}

# missing WHAT: a tool this test needs is not here. A developer's machine
# skips (exit 77, saying what); CI installs everything (.ci/packages.txt),
# so there it is a failure.
missing() {
    [ "${CI:-}" = true ] && fail "$1 (CI installs it: .ci/packages.txt)"
    echo "skipped: $1"
    exit 77
}

# node_setup: the npm clients (tests/node/package-lock.json) installed with
# npm ci into build/node/, beside copies of the scripts (ES modules find
# their packages from where they are). Sets NODEDIR.
node_setup() {
    command -v node >/dev/null 2>&1 || missing "node is not installed"
    command -v npm >/dev/null 2>&1 || missing "npm is not installed"
    NODEDIR=build/node
    mkdir -p "$NODEDIR"
    if ! cmp -s tests/node/package-lock.json "$NODEDIR/package-lock.json" || [ ! -d "$NODEDIR/node_modules" ]; then
        cp tests/node/package.json tests/node/package-lock.json "$NODEDIR/"
        if ! (cd "$NODEDIR" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1; then
            cat "$work/npm.log"
            rm -f "$NODEDIR/package-lock.json"
            missing "npm ci could not install tests/node's packages (no registry?)"
        fi
    fi
    cp tests/node/*.mjs "$NODEDIR/"
}
