# --json for scripts: run, ppl, info and ask print one JSON object on
# stdout (and nothing on stderr but errors): the text, the statistics and,
# for ask, the route and its reason. Checked with python3's json module
# when it is there, by its keys otherwise.
need_tls=0
. tests/lib/cloud_lib.sh
model=models/fieldtales-800k.flm
# check NAME KEY=VALUE...: the object in $work/NAME.out has these (python3)
check() {
    name=$1; shift
    [ "$(wc -l <"$work/$name.out")" -eq 1 ] || fail "$name: not one line: $(cat "$work/$name.out")"
    [ -s "$work/$name.err" ] && fail "$name: stderr: $(cat "$work/$name.err")"
    command -v python3 >/dev/null 2>&1 || { grep -q '^{.*}$' "$work/$name.out" || fail "$name: not an object"; return; }
    python3 - "$work/$name.out" "$@" <<'PY' || fail "$name: $(cat "$work/$name.out")"
import json, sys
o = json.load(open(sys.argv[1]))
for kv in sys.argv[2:]:
    k, want = kv.split("=", 1)
    v = o
    for part in k.split("."):
        v = v[part]
    if want == "*":
        continue
    if want.startswith("~"):
        assert want[1:] in str(v), (k, v)
    elif str(v) != want:
        sys.exit("%s = %r, want %r" % (k, v, want))
PY
}
"$cli" run -p 'Once "upon" a time' -n 40 -t 0 --json >"$work/run.out" 2>"$work/run.err" || fail "run --json"
check run 'prompt=Once "upon" a time' 'text=*' tokens.generated=* stop=length seed=* arena_bytes=* tok_per_s=*
grep -q 'Once \\"upon\\"' "$work/run.out" || fail "the prompt's quotes are not escaped"
"$cli" run -p "Once upon a time" -n 40 -t 0 -q --no-display-prompt >"$work/plain.out"
if command -v python3 >/dev/null 2>&1; then
    [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["text"])' "$work/run.out")" = \
      "$("$cli" run -p 'Once "upon" a time' -n 40 -t 0 -q --no-display-prompt)" ] || fail "run --json text differs from the plain run"
fi
"$cli" run -p "Once upon a time" -n 20 --json >"$work/seed.out" 2>"$work/seed.err" || fail "run --json seeded"
check seed seed_drawn=True
"$cli" ppl --text tools/router/prompts/hard_own.txt --lines 10 --json >"$work/ppl.out" 2>"$work/ppl.err" || fail "ppl --json"
check ppl lines=10 tokens=* ppl=* nll=* nll_fixed=* interrupted=False
"$cli" info "$model" --json >"$work/info.out" 2>"$work/info.err" || fail "info --json"
check info "model=$model" architecture=llama config.dim=128 config.vocab_size=512 flash_bytes=$(wc -c <"$model") integrity=ok ram_bytes=*

shared=${FLM_SHARED:-../shared}/models
if [ -f "$shared/stories260K.bin" ]; then
    "$cli" convert --quiet --in "$shared/stories260K.bin" --tokenizer "$shared/tok512.bin" --out "$work/s.flm" >/dev/null || fail "convert"
    start_sim json
    printf '[model]\npath = %s\n[cloud]\nurl = http://127.0.0.1:%s/v1\nmodel = sim-model-1\nmax_retries = 0\n[router]\nparams = %s\n' \
        "$work/s.flm" "$PORT" "$(pwd)/tools/router/params/stories260K.router" >"$work/ask.conf"
    timeout 60 "$cli" ask -c "$work/ask.conf" -n 48 --json -p "What is the capital of Australia?" >"$work/cloud.out" 2>"$work/cloud.err" || fail "ask --json cloud"
    check cloud route=cloud reason=cloud:difficulty "text=~Echo: What is the capital" degraded=False score=*
    timeout 60 "$cli" ask -c "$work/ask.conf" -n 48 --json -p "Once upon a time, there was a little girl named Lily. She loved to play in the park." \
        >"$work/local.out" 2>"$work/local.err" || fail "ask --json local"
    check local route=local reason=local:confident text=* tokens.completion=*
else
    echo "ask --json not checked: needs $shared/stories260K.bin for the router"
fi
echo "json_out ok"
