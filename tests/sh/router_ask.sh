# fieldlm ask end to end against cloudsim: every reason code of the router,
# and the cloud's request log holds exactly the prompts that were escalated.
need_tls=0
. tests/lib/cloud_lib.sh

use_stories260K

start_sim asksim
# conf NAME [more lines for [router]]: a device file with [model], [cloud], [router]
conf() {
    name=$1
    shift
    {
        echo "[model]"
        echo "path = $model"
        echo "[cloud]"
        echo "url = http://127.0.0.1:$PORT/v1"
        echo "model = sim-model-1"
        echo "max_retries = 0"
        echo "[router]"
        echo "params = $params"
        for line in "$@"; do echo "$line"; done
    } >"$work/$name.conf"
}
# ask CONF NAME PROMPT [env...]: sets RC; $work/NAME.out, .err
ask() {
    c=$1 name=$2 prompt=$3
    shift 3
    env "$@" timeout 60 "$cli" ask -c "$work/$c.conf" -p "$prompt" -n 48 \
        >"$work/$name.out" 2>"$work/$name.err"
    RC=$?
    [ $RC -ne 124 ] || fail "$name: ask hung"
    ! grep -q Sanitizer "$work/$name.err" || { cat "$work/$name.err"; fail "$name: sanitizer"; }
}
# expect NAME ROUTE REASON
expect() {
    [ "$RC" -eq 0 ] || { cat "$work/$1.err"; fail "$1: exit $RC"; }
    grep -q "^route=$2 reason=$3 " "$work/$1.err" || { cat "$work/$1.err"; fail "$1: want $2 $3"; }
}
up=""   # prompts that must have reached the cloud
easy="Once upon a time, there was a little girl named Lily. She loved to play in the park."
hard="What is the capital of Australia?"

conf plain
ask plain confident "$easy"
expect confident local local:confident
[ -s "$work/confident.out" ] || fail "no local answer"
grep -q 'score=0\.[0-9]\{4\}' "$work/confident.err" || fail "confident: no score"

ask plain difficulty "$hard"
expect difficulty cloud cloud:difficulty
grep -q "^Echo: $hard" "$work/difficulty.out" || fail "difficulty: not the cloud's answer"
up="$up|$hard"

conf rules "force_cloud = weather, the stock market" "force_local = koala"
ask rules forcecloud "Lily looked at the weather and smiled."
expect forcecloud cloud cloud:rule
up="$up|Lily looked at the weather and smiled."
ask rules forcelocal "What does a KOALA eat?"
expect forcelocal local local:rule

conf tiny
sed -i 's/^path = .*/&\ncontext = 16/' "$work/tiny.conf"
long="Tom and Mia went to the big park with their dog Max and they played ball all day long until the sun went down."
ask tiny toolong "$long"
expect toolong cloud cloud:too-long
up="$up|$long"

ask plain linkdown "$hard Tell me more." FLM_LINK=down
expect linkdown local local:offline
grep -q 'degraded' "$work/linkdown.err" || fail "offline: not marked degraded"
[ -s "$work/linkdown.out" ] || fail "linkdown: no local answer"

conf nocloud
sed -i '/^\[cloud\]/,/^max_retries/d' "$work/nocloud.conf"
ask nocloud nocloud "$hard"
expect nocloud local local:cloud-unavailable

ask plain failed "[fault:500] $hard"
expect failed local local:cloud-failed
grep -q 'degraded (cloud: cloud endpoint returned an HTTP error)' "$work/failed.err" || fail "failed: not marked degraded"
[ -s "$work/failed.out" ] || fail "failed: no local answer"
up="$up|[fault:500] $hard"

conf mode "mode = cloud"
ask mode mode "$easy Then she went home."
expect mode cloud cloud:mode
up="$up|$easy Then she went home."

conf cascade "mode = cascade" "cascade_window = 4" "cascade_nll = 0.01"
ask cascade cascade "$easy One day"
expect cascade cloud cloud:cascade
up="$up|$easy One day"
conf keep "mode = cascade" "cascade_window = 4" "cascade_nll = 20"
ask keep keep "$easy One day"
expect keep local local:confident

# the request log: exactly the escalated prompts, each once
n=$(requests asksim)
want=$(printf '%s' "$up" | tr '|' '\n' | grep -c .)
[ "$n" -eq "$want" ] || { grep -A3 '^=== request' "$work/asksim.rec"; fail "cloud saw $n requests, want $want"; }
printf '%s' "$up" | tr '|' '\n' | grep . | while IFS= read -r p; do
    grep -qF -- "$p" "$work/asksim.rec" || fail "not in the cloud's log: $p"
done
for p in "$easy" "What does a KOALA eat?"; do
    ! grep -qF -- "\"content\":\"$p\"" "$work/asksim.rec" || fail "went up but was local: $p"
done
echo "router ask ok: every reason code, $n prompts escalated"
