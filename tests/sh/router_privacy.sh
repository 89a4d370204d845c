# The privacy guard end to end, with cloudsim's request log as the witness.
# Every case of tests/fixtures/privacy_cases.tsv is asked with mode = cloud
# (so without the guard every prompt would leave):
#  - local-only: a prompt with personal data stays (local:pii) and sends
#    nothing;
#  - a prompt without any goes up as it is;
#  - redact: it goes up with placeholders, no byte of any detected span is in
#    the request, and the answer (cloudsim echoes the prompt) comes back with
#    the values restored, whole.
# With the escalation log on ([log] escalations = on) in both: under
# local-only nothing a guarded prompt said is ever logged (those prompts
# never left; a clean one is), under redact each entry holds the redacted
# prompt and the cloud's answer with the placeholders, never a value.
# san: skip (its 268 cases run under SAN=1 as unit tests: guard_privacy_cases_*, and fuzz_privacy)
need_tls=0
. tests/lib/cloud_lib.sh

use_stories260K
cases=tests/fixtures/privacy_cases.tsv
deny=$(sed -n 's/^#!deny_words=//p' "$cases")

SIM_SECONDS=1200 start_sim privsim --timeout 1200
for policy in local-only redact; do
    cat >"$work/$policy.conf" <<EOF
[model]
path = $model
[router]
params = tools/router/params/stories260K.router
mode = cloud
[privacy]
policy = $policy
deny_words = $deny
[cloud]
url = http://127.0.0.1:$PORT/v1
model = sim-model-1
max_retries = 0
[log]
escalations = on
max_records = 1000
EOF
done

rec="$work/privsim.rec"
n=0 leaks=0
# The rows: prompt TAB redacted TAB spans (byte offsets into the unescaped prompt).
grep -v '^#' "$cases" | while IFS='	' read -r prompt redacted spans; do
    n=$((n + 1))
    text=$(printf '%b' "$prompt")
    policies="local-only redact"
    [ "$spans" != - ] || policies=redact # a clean prompt is sent as it is either way
    for policy in $policies; do
        before=$(wc -c <"$rec")
        FLM_STORE_DIR="$work/store-$policy" timeout 30 "$cli" ask -c "$work/$policy.conf" -p "$text" -n 8 >"$work/out" 2>"$work/err" ||
            { cat "$work/err"; fail "case $n ($policy): exit $?"; }
        sent=$(tail -c +$((before + 1)) "$rec")
        if [ "$spans" = - ]; then
            grep -q '^route=cloud reason=cloud:mode ' "$work/err" || { cat "$work/err"; fail "case $n ($policy): clean prompt did not go up"; }
            [ "$(cat "$work/out")" = "Echo: $text" ] || fail "case $n ($policy): answer changed: $(cat "$work/out")"
            continue
        fi
        if [ "$policy" = local-only ]; then
            grep -q '^route=local reason=local:pii ' "$work/err" || { cat "$work/err"; fail "case $n: not local:pii"; }
            [ -z "$sent" ] || fail "case $n: a local-only prompt reached the cloud"
            continue
        fi
        grep -q '^route=cloud reason=cloud:mode ' "$work/err" || { cat "$work/err"; fail "case $n (redact): not sent"; }
        [ -n "$sent" ] || fail "case $n (redact): nothing reached the cloud"
        # no byte of any span: each span's text is absent from the request
        for s in $spans; do
            off=${s#*:}; len=${off#*:}; off=${off%%:*}
            value=$(printf '%s' "$text" | tail -c +$((off + 1)) | head -c "$len")
            if printf '%s' "$sent" | grep -qF -- "$value"; then
                echo "case $n: '$value' reached the cloud"; exit 1
            fi
        done
        [ "$(cat "$work/out")" = "Echo: $text" ] ||
            fail "case $n (redact): the answer was not restored: $(cat "$work/out")"
    done
done || exit 1
rows=$(grep -vc '^#' "$cases")

# The escalation logs: what each policy kept of what left (and a clean
# prompt under local-only, to show that log is on).
clean="Tell me a story about a brave little boat."
FLM_STORE_DIR="$work/store-local-only" timeout 30 "$cli" ask -c "$work/local-only.conf" -p "$clean" -n 8 \
    >/dev/null 2>"$work/err" || { cat "$work/err"; fail "clean prompt (local-only)"; }
grep -q '^route=cloud reason=cloud:mode .* logged=1$' "$work/err" || { cat "$work/err"; fail "clean prompt (local-only): not logged"; }
for policy in local-only redact; do
    FLM_STORE_DIR="$work/store-$policy" "$cli" log export -c "$work/$policy.conf" -o "$work/$policy.jsonl" \
        2>"$work/export.err" || { cat "$work/export.err"; fail "log export ($policy)"; }
done
[ "$(wc -l <"$work/local-only.jsonl")" -eq 1 ] && grep -qF "\"prompt\":\"$clean\"" "$work/local-only.jsonl" ||
    fail "local-only: the escalation log holds more than the clean prompt: $(head -n 3 "$work/local-only.jsonl")"
[ "$(wc -l <"$work/redact.jsonl")" -eq "$rows" ] ||
    fail "redact: $(wc -l <"$work/redact.jsonl") entries in the escalation log, want $rows"
# each entry: the prompt as redacted, the answer (the echo) with the
# placeholders, and no byte of any of its row's spans
command -v python3 >/dev/null 2>&1 || { echo "skipped: the log check needs python3"; exit 77; }
grep -v '^#' "$cases" | python3 -c '
import json, sys, subprocess
rows = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
log = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(rows) == len(log)
def unescape(s):  # as the shell reads the row: printf %b
    return subprocess.run(["printf", "%b", s], capture_output=True, check=True).stdout.decode("utf-8").rstrip("\n")
for i, ((prompt, redacted, spans), e) in enumerate(zip(rows, log)):
    want = unescape(redacted if spans != "-" else prompt)
    assert e["prompt"] == want, (i, e["prompt"], want)
    assert e["answer"] == "Echo: " + want, (i, e["answer"])
    assert e["route"] == "cloud" and e["reason"] == "cloud:mode" and e["redacted"] == (spans != "-"), e
    text = unescape(prompt).encode("utf-8")
    logged = (e["prompt"] + "\n" + e["answer"]).encode("utf-8")
    for sp in spans.split() if spans != "-" else []:
        off, n = map(int, sp.split(":")[1:])
        assert text[off:off + n] not in logged, (i, text[off:off + n], "logged")
'  "$work/redact.jsonl" || fail "redact: an escalation log entry is not the redacted exchange"
echo "privacy end to end ok: $rows cases under local-only and redact, $(requests privsim) requests, no span sent;" \
     "escalation logs: under local-only only a clean prompt, $rows entries under redact, no span logged"
