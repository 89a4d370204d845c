#!/usr/bin/python3
"""Distillation corpus: stories sampled through fieldlm itself from a
teacher model (`fieldlm run -m TEACHER -t 1 --top-p 1 -s SEED -n 512`, an
empty prompt, so each story starts at BOS), one seed per story, exact
duplicates dropped, stories cut by the length limit dropped (they end
mid-sentence). Writes JSON lines {"seed": N, "text": "..."}: the same seeds
give the same file on every machine (fieldlm's sampler is integer-only).

usage: distill.py --fieldlm build/host/fieldlm --teacher T.flm --seeds 1-20000 --out corpus.jsonl

An interrupted run continues where it stopped (the file is read back: its
last seed, and its stories for the duplicate check); --fresh starts over.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def parse_range(s):
    lo, _, hi = s.partition("-")
    return int(lo), int(hi or lo)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fieldlm", default="build/host/fieldlm")
    ap.add_argument("--teacher", required=True, help="teacher .flm (stories260K converted by fieldlm convert)")
    ap.add_argument("--seeds", required=True, help="seed range LO-HI, inclusive")
    ap.add_argument("--steps", type=int, default=512, help="positions per run (fieldlm run -n)")
    ap.add_argument("--temp", default="1.0")
    ap.add_argument("--top-p", default="1")
    ap.add_argument("--out", required=True)
    ap.add_argument("--fresh", action="store_true", help="overwrite --out instead of continuing it")
    a = ap.parse_args()
    lo, hi = parse_range(a.seeds)
    seen = set()
    kept = dup = cut = 0
    first = lo
    if not a.fresh and os.path.exists(a.out):
        good = 0
        with open(a.out, "rb") as f:
            data = f.read()
        for line in data.split(b"\n"):
            try:
                rec = json.loads(line)
            except ValueError:
                break  # a line cut short by the interruption
            seen.add(rec["text"])
            first = rec["seed"] + 1
            good += len(line) + 1
        with open(a.out, "r+b") as f:
            f.truncate(good)
        kept = len(seen)
        if kept:
            print(f"distill: {a.out}: {kept} stories, continuing at seed {first}", file=sys.stderr)
    # a copy of the program, so a rebuild during the run does not stop it
    exe = os.path.join(tempfile.mkdtemp(prefix="distill-"), "fieldlm")
    shutil.copy2(a.fieldlm, exe)
    t0 = time.time()
    with open(a.out, "a", encoding="utf-8") as out:
        for seed in range(first, hi + 1):
            r = subprocess.run([exe, "run", "-m", a.teacher, "-t", a.temp, "--top-p", a.top_p,
                                "-s", str(seed), "-n", str(a.steps)], capture_output=True)
            if r.returncode != 0:
                sys.exit(f"distill: fieldlm run -s {seed} failed: {r.stderr.decode(errors='replace')}")
            text = r.stdout.decode("utf-8", errors="replace")
            text = text[:-1] if text.endswith("\n") else text  # run's closing newline
            text = text.strip()
            if not text or text[-1] not in ".!?\"'":
                cut += 1
                continue
            if text in seen:
                dup += 1
                continue
            seen.add(text)
            out.write(json.dumps({"seed": seed, "text": text}, ensure_ascii=False) + "\n")
            kept += 1
            out.flush()
            done = seed - first + 1
            if seed % 500 == 0:
                el = time.time() - t0
                left = el / done * (hi - seed)
                print(f"distill: seed {seed} kept {kept} dup {dup} cut {cut} "
                      f"{el:.0f}s, {left:.0f}s left", file=sys.stderr, flush=True)
    shutil.rmtree(os.path.dirname(exe), ignore_errors=True)
    print(f"distill: {kept} stories from seeds {lo}-{hi} ({dup} duplicates, {cut} cut by the length limit)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
