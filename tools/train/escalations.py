#!/usr/bin/python3
"""Learn from the cloud: fine-tune the local model on a device's escalation
log (`fieldlm log export`), and say what it changed.

  escalations.py --log esc.jsonl --init models/fieldtales-800k.flm --out build/new.flm \\
      [--data original.txt[:N]] [--replay 48] [--steps 40] [--lr 3e-4] [--window 64]

Each log entry (one JSON object a line: prompt, answer, route, reason,
score, usage, ...) becomes a document: the prompt followed by the cloud's
answer, as the device continues a prompt when it answers it itself. Every
--holdout-th entry (default 5: the 5th, 10th, ...) is held out and never
trained on. The documents are trained on together with the original
training text (--data, as train.py takes it) and/or --replay N stories the
base model tells itself (sampled through `fieldlm run`, so the fine-tune
keeps what the model could do), starting from the base image (--init).
The result goes through the converter (`fieldlm convert`, int8 as the base)
into --out, with the base's router parameters copied beside it
(OUT.router: the same threshold).

Before and after, on the held-out entries, it reports
  answer_ppl     the local model's perplexity on the cloud's answers given
                 their prompts (float32 on the image's dequantized weights)
  exchange_ppl   `fieldlm ppl` (the device's integer engine) on the
                 held-out prompt + answer lines
  kept_local     the share of the held-out prompts the router would now
                 answer on the device (`fieldlm route`, same parameters and
                 threshold)
  story_ppl      `fieldlm ppl` on held-out replayed stories (with --replay):
                 what the model could do before must not be lost
and writes them to --report (JSON) and stdout.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg):
    print(f"escalations: {msg}", file=sys.stderr, flush=True)


def doc_of(prompt, answer):
    """The text the device would produce: the prompt, then the answer."""
    answer = answer.strip()
    sep = "" if not answer or prompt.endswith((" ", "\n")) else " "
    return (prompt + sep + answer).replace("\n", " ")


def read_log(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                e = json.loads(line)
            except ValueError as err:
                raise SystemExit(f"escalations: {path}:{n}: not a JSON object: {err}")
            if not isinstance(e, dict) or not isinstance(e.get("prompt"), str) or \
                    not isinstance(e.get("answer"), str):
                raise SystemExit(f"escalations: {path}:{n}: an entry needs a prompt and an answer")
            if e.get("route", "cloud") != "cloud" or not e["prompt"].strip() or not e["answer"].strip():
                continue
            entries.append(e)
    return entries


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"escalations: {' '.join(cmd[:3])} ... failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return r.stdout


def device_ppl(fieldlm, model, text_path):
    out = run([fieldlm, "ppl", "-m", model, "--text", text_path])
    w = out.split()
    return float(w[w.index("ppl") + 1])


def kept_local(fieldlm, model, params, prompts_path):
    out = run([fieldlm, "route", "-m", model, "--params", params, "--prompts", prompts_path])
    routes = [l.split("\t")[1] for l in out.splitlines() if l.strip()]
    return sum(r == "local" for r in routes) / max(1, len(routes)), routes


def answer_ppl(model_path, pairs):
    """Perplexity of each answer given its prompt: float32 on the image."""
    import torch
    sys.path.insert(0, HERE)
    from bpe import Tokenizer
    from llama import load_any
    torch.set_num_threads(1)
    model, flm_tok = load_any(model_path)
    tok = Tokenizer(*flm_tok)
    model.eval()
    T = model.cfg.seq_len
    nll, n = 0.0, 0
    with torch.no_grad():
        for prompt, answer in pairs:
            ids = tok.encode(doc_of(prompt, answer))[:T]
            p = tok.encode(prompt)
            k = 0
            while k < len(p) and k < len(ids) and p[k] == ids[k]:
                k += 1
            k = max(k, 1)  # the answer starts after the prompt's tokens (BOS at least)
            if len(ids) <= k:
                continue
            logits = model(torch.tensor([ids[:-1]]))[0].double()
            y = torch.tensor(ids[1:])
            y[:k - 1] = -100  # predictions of prompt tokens are not the answer's
            nll += float(torch.nn.functional.cross_entropy(logits, y, ignore_index=-100, reduction="sum"))
            n += len(ids) - k
    return math.exp(nll / max(n, 1)), n


def replay(fieldlm, model, n, seed0, steps, out_path):
    """n stories the base model tells itself, one per seed (as distill.py)."""
    kept = []
    seed = seed0
    while len(kept) < n and seed < seed0 + 4 * n + 8:
        r = subprocess.run([fieldlm, "run", "-m", model, "-t", "1", "--top-p", "0.9", "-s", str(seed),
                            "-n", str(steps), "-q"], capture_output=True)
        seed += 1
        if r.returncode != 0:
            raise SystemExit(f"escalations: fieldlm run failed: {r.stderr.decode(errors='replace')}")
        text = r.stdout.decode("utf-8", errors="replace").strip().replace("\n", " ")
        if text and text[-1] in ".!?\"'":
            kept.append(text)
    with open(out_path, "w", encoding="utf-8") as f:
        for t in kept:
            f.write(t + "\n")
    return kept


def measure(a, model, held, work, stories_path):
    prompts = os.path.join(work, "heldout-prompts.txt")
    exchanges = os.path.join(work, "heldout-exchanges.txt")
    with open(prompts, "w", encoding="utf-8") as f:
        for e in held:
            f.write(e["prompt"].replace("\\", "\\\\").replace("\n", "\\n") + "\n")
    with open(exchanges, "w", encoding="utf-8") as f:
        for e in held:
            f.write(doc_of(e["prompt"], e["answer"]) + "\n")
    ppl, n = answer_ppl(model, [(e["prompt"], e["answer"]) for e in held])
    share, routes = kept_local(a.fieldlm, model, a.router_params, prompts)
    m = {"answer_ppl": round(ppl, 4), "answer_tokens": n,
         "exchange_ppl": device_ppl(a.fieldlm, model, exchanges),
         "kept_local": round(share, 4), "routes": routes}
    if stories_path:
        m["story_ppl"] = device_ppl(a.fieldlm, model, stories_path)
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", required=True, help="the escalation log: fieldlm log export's JSON lines")
    ap.add_argument("--init", required=True, help="the base model image (.flm)")
    ap.add_argument("--out", required=True, help="the new image (.flm); OUT.router beside it")
    ap.add_argument("--data", action="append", default=[], metavar="FILE[:N]",
                    help="original training text, as train.py takes it (.txt: a document a line)")
    ap.add_argument("--replay", type=int, default=0, metavar="N",
                    help="also train on N stories the base model samples itself (and hold out N/4)")
    ap.add_argument("--log-repeat", type=int, default=1, metavar="R",
                    help="visits of each log document per epoch (default 1)")
    ap.add_argument("--holdout", type=int, default=5, metavar="K", help="hold out every K-th entry (default 5)")
    ap.add_argument("--router-params", help="router parameters (default: INIT.router)")
    ap.add_argument("--fieldlm", default="build/host/fieldlm")
    ap.add_argument("--work", help="working folder (default: OUT without .flm, plus .work)")
    ap.add_argument("--report", help="write the figures as JSON here")
    t = ap.add_argument_group("fine-tuning (train.py)")
    t.add_argument("--steps", type=int, default=40)
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--lr", type=float, default=3e-4)
    t.add_argument("--warmup", type=int, default=10)
    t.add_argument("--window", type=int, default=64, help="tokens per training window (default 64)")
    t.add_argument("--seed", type=int, default=1337)
    t.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()

    base = a.init
    a.router_params = a.router_params or os.path.splitext(base)[0] + ".router"
    if not os.path.exists(a.router_params):
        raise SystemExit(f"escalations: {a.router_params}: no router parameters (--router-params)")
    work = a.work or os.path.splitext(a.out)[0] + ".work"
    os.makedirs(work, exist_ok=True)

    entries = read_log(a.log)
    k = a.holdout
    held = [e for i, e in enumerate(entries) if k and i % k == k - 1]
    train = [e for i, e in enumerate(entries) if not (k and i % k == k - 1)]
    if not train or not held:
        raise SystemExit(f"escalations: {a.log}: {len(entries)} entries: too few to train on and hold out "
                         f"(every {k}th is held out)")
    log(f"{a.log}: {len(entries)} cloud answers: {len(train)} to train on, {len(held)} held out")
    train_path = os.path.join(work, "escalations-train.jsonl")
    with open(train_path, "w", encoding="utf-8") as f:
        for e in train:
            f.write(json.dumps({"text": doc_of(e["prompt"], e["answer"])}, ensure_ascii=False) + "\n")

    data = [f"{train_path}:{a.log_repeat}"] + a.data
    stories_held = None
    if a.replay:
        nh = max(1, a.replay // 4)
        stories = replay(a.fieldlm, base, a.replay + nh, 1, 256, os.path.join(work, "replay-all.txt"))
        sp = os.path.join(work, "replay.txt")
        stories_held = os.path.join(work, "replay-heldout.txt")
        with open(sp, "w", encoding="utf-8") as f:
            f.write("\n".join(stories[nh:]) + "\n")
        with open(stories_held, "w", encoding="utf-8") as f:
            f.write("\n".join(stories[:nh]) + "\n")
        data.append(sp)
        log(f"replay: {len(stories) - nh} stories of the base model to train on, {nh} held out")

    before = measure(a, base, held, work, stories_held)
    log(f"before: {json.dumps({x: y for x, y in before.items() if x != 'routes'})}")

    ft = os.path.join(work, "ft")
    cmd = [sys.executable, os.path.join(HERE, "train.py"), "--init", base, "--out-dir", ft,
           "--doc-mode", "lines", "--steps", str(a.steps), "--batch", str(a.batch), "--lr", str(a.lr),
           "--warmup", str(a.warmup), "--window", str(a.window), "--seed", str(a.seed),
           "--threads", str(a.threads), "--ckpt-every", "0", "--log-every", str(max(1, a.steps // 4))]
    for d in data:
        cmd += ["--data", d]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"escalations: train.py failed:\n{r.stderr[-3000:]}")
    for line in r.stderr.splitlines():
        if line.startswith(("step ", "train: ")):
            log(line)
    run([a.fieldlm, "convert", "--quiet", "--in", os.path.join(ft, "model.bin"), "--tokenizer",
         os.path.join(ft, "tokenizer.bin"), "--out", a.out])
    shutil.copyfile(a.router_params, os.path.splitext(a.out)[0] + ".router")

    after = measure(a, a.out, held, work, stories_held)
    log(f"after:  {json.dumps({x: y for x, y in after.items() if x != 'routes'})}")
    report = {"log": a.log, "entries": len(entries), "trained": len(train), "held_out": len(held),
              "base": base, "out": a.out, "router_params": a.router_params, "steps": a.steps,
              "before": before, "after": after}
    if a.report:
        with open(a.report, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
    print(f"held-out cloud answers ({len(held)} of {len(entries)} log entries, never trained on):")
    print(f"  {'':14} {'before':>10} {'after':>10}")
    rows = [("answer_ppl", "answer ppl"), ("exchange_ppl", "exchange ppl"), ("kept_local", "kept local")]
    if stories_held:
        rows.append(("story_ppl", "story ppl"))
    for key, name in rows:
        b, f_ = before[key], after[key]
        if key == "kept_local":
            print(f"  {name:14} {100 * b:9.1f}% {100 * f_:9.1f}%")
        else:
            print(f"  {name:14} {b:10.4f} {f_:10.4f}")
    print(f"wrote {a.out} (router parameters: {os.path.splitext(a.out)[0]}.router)")


if __name__ == "__main__":
    main()
