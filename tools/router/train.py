#!/usr/bin/env python3
"""Train the router's parameters from `fieldlm route --features` output.

  train.py weights  --sets DIR --out MODEL.router
      Fit the linear model on DIR/train/*.tsv (easy.tsv is the easy class,
      every other source hard, each source weighted equally within its
      class): logistic regression on standardised features, weights held
      >= 0 (each feature is oriented so that larger means harder; a negative
      weight would let a few odd examples teach that, say, a question mark
      makes a prompt easier), L2-regularised, full-batch Adam from a fixed
      start: deterministic. The threshold is left at 0.5.

  train.py threshold --sets DIR --params MODEL.router [--easy-rate 0.05]
      Re-choose the threshold from the scores the device's own integer
      engine gave the training prompts (DIR/train/*.scored.tsv, written by
      `fieldlm route --params MODEL.router --features`): the lowest score
      that escalates at most --easy-rate of the easy prompts. Rewrites the
      threshold in MODEL.router.

  train.py report --sets DIR --params MODEL.router [--plot OUT.png]
      Held-out figures from DIR/test/*.scored.tsv: AUROC of each hard source
      against the easy prompts, the escalation rate of every source at the
      threshold, and a ROC curve per source (gnuplot).

  train.py cascade --sets DIR --params MODEL.router [--easy-rate 0.05]
      Whether cascade mode would add anything: from DIR/test/*.probe.tsv
      (`fieldlm route --params MODEL.router --features --probe 8`), the
      AUROC of the first generated tokens' mean NLL alone per hard source,
      and, among the prompts pre-routing keeps local, how many hard ones a
      cascade threshold on it would catch at --easy-rate more easy prompts.

Standard library only; the blob layout is core/router/router.h's.
"""
import argparse
import glob
import math
import os
import struct
import subprocess
import sys
import zlib

MAGIC = 0x524D4C46  # "FLMR"
VERSION = 1


def read_tsv(path):
    rows, names = [], None
    for line in open(path, encoding="utf-8"):
        cols = line.rstrip("\n").split("\t")
        if line.startswith("#"):
            names = [c.lstrip("#") for c in cols]
            continue
        rows.append(dict(zip(names, cols)))
    return names, rows


def feature_names(names):
    skip = {"score", "route", "reason", "score_q16"}
    return [n for n in names if n not in skip]


def load_sources(sets, part, suffix):
    out = {}
    for path in sorted(glob.glob(os.path.join(sets, part, "*" + suffix))):
        src = os.path.basename(path)[: -len(suffix)]
        out[src] = read_tsv(path)
    return out


# ---- the blob ---------------------------------------------------------------

def write_blob(path, threshold, bias, weights):
    body = struct.pack("<IHHIi", MAGIC, VERSION, len(weights), threshold, bias)
    body += struct.pack("<%di" % len(weights), *weights)
    body += struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)
    with open(path + ".tmp", "wb") as f:  # whole or not at all: renamed once written
        f.write(body)
    os.replace(path + ".tmp", path)


def read_blob(path):
    b = open(path, "rb").read()
    magic, version, n, threshold, bias = struct.unpack_from("<IHHIi", b, 0)
    assert magic == MAGIC and version == VERSION, "not router parameters"
    weights = list(struct.unpack_from("<%di" % n, b, 16))
    return threshold, bias, weights


# ---- fitting ------------------------------------------------------------------

def fit(X, y, w_row, l2, steps, lr):
    n, d = len(X), len(X[0])
    w = [0.0] * d
    b = 0.0
    m = [0.0] * (d + 1)
    v = [0.0] * (d + 1)
    total = sum(w_row)
    for t in range(1, steps + 1):
        gw = [0.0] * d
        gb = 0.0
        for xi, yi, wi in zip(X, y, w_row):
            z = b + sum(a * c for a, c in zip(w, xi))
            p = 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0
            g = (p - yi) * wi
            gb += g
            for j in range(d):
                gw[j] += g * xi[j]
        grads = [g / total + l2 * wj for g, wj in zip(gw, w)] + [gb / total]
        for j, g in enumerate(grads):
            m[j] = 0.9 * m[j] + 0.1 * g
            v[j] = 0.999 * v[j] + 0.001 * g * g
            step = lr * (m[j] / (1 - 0.9 ** t)) / (math.sqrt(v[j] / (1 - 0.999 ** t)) + 1e-8)
            if j < d:
                w[j] = max(0.0, w[j] - step)  # the sign constraint
            else:
                b -= step
        if t % 100 == 0 or t == steps:
            loss = 0.0
            for xi, yi, wi in zip(X, y, w_row):
                z = b + sum(a * c for a, c in zip(w, xi))
                p = min(max(1.0 / (1.0 + math.exp(-max(min(z, 60), -60))), 1e-12), 1 - 1e-12)
                loss -= wi * (yi * math.log(p) + (1 - yi) * math.log(1 - p))
            print(f"step {t}/{steps} loss {loss / total:.5f}", file=sys.stderr)
    return w, b


def cmd_weights(a):
    srcs = load_sources(a.sets, "train", ".tsv")
    srcs = {k: v for k, v in srcs.items() if not k.endswith(".scored")}
    names = feature_names(srcs["easy"][0])
    X, y, wr = [], [], []
    hard = [s for s in srcs if s != "easy"]
    for src, (_, rows) in srcs.items():
        label = 0 if src == "easy" else 1
        share = 1.0 / len(rows) / (1 if src == "easy" else len(hard))
        for r in rows:
            if r["score"] == "-":  # decided by a rule, never scored
                continue
            X.append([int(r[n]) / 65536.0 for n in names])
            y.append(label)
            wr.append(share)
    d = len(names)
    mean = [sum(x[j] for x in X) / len(X) for j in range(d)]
    std = [math.sqrt(sum((x[j] - mean[j]) ** 2 for x in X) / len(X)) or 1.0 for j in range(d)]
    Z = [[(x[j] - mean[j]) / std[j] for j in range(d)] for x in X]
    w, b = fit(Z, y, wr, a.l2, a.steps, a.lr)
    raw = [w[j] / std[j] for j in range(d)]
    bias = b - sum(w[j] * mean[j] / std[j] for j in range(d))
    q = [int(round(x * 65536)) for x in raw]
    write_blob(a.out, 32768, int(round(bias * 65536)), q)
    for n, wj, qj in zip(names, raw, q):
        print(f"  {n:18s} {wj:10.4f}  (Q16 {qj})", file=sys.stderr)
    print(f"  {'bias':18s} {bias:10.4f}", file=sys.stderr)


# ---- threshold and report -------------------------------------------------------

def scores(rows):
    return [int(r["score_q16"]) for r in rows if r.get("score") != "-"]


def cmd_threshold(a):
    srcs = load_sources(a.sets, "train", ".scored.tsv")
    easy = sorted(scores(srcs["easy"][1]), reverse=True)
    allowed = int(math.floor(a.easy_rate * len(easy)))
    threshold = min(easy[allowed] + 1, 65536) if allowed < len(easy) else 0
    _, bias, weights = read_blob(a.params)
    write_blob(a.params, threshold, bias, weights)
    esc = sum(s >= threshold for s in easy) / len(easy)
    print(f"threshold {threshold / 65536:.6f} (Q16 {threshold}): {esc:.2%} of {len(easy)} easy "
          f"training prompts escalated")


def auroc(neg, pos):
    # probability that a hard prompt scores above an easy one (ties count half)
    allv = sorted([(s, 0) for s in neg] + [(s, 1) for s in pos])
    rank_sum, i = 0.0, 0
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        avg = (i + 1 + j) / 2.0
        rank_sum += avg * sum(1 for k in range(i, j) if allv[k][1] == 1)
        i = j
    npos, nneg = len(pos), len(neg)
    return (rank_sum - npos * (npos + 1) / 2.0) / (npos * nneg)


def roc_points(neg, pos):
    cuts = sorted(set(neg + pos), reverse=True)
    pts = [(0.0, 0.0)]
    for c in cuts:
        pts.append((sum(s >= c for s in neg) / len(neg), sum(s >= c for s in pos) / len(pos)))
    pts.append((1.0, 1.0))
    return pts


def cmd_report(a):
    threshold, _, _ = read_blob(a.params)
    srcs = load_sources(a.sets, "test", ".scored.tsv")
    easy = scores(srcs["easy"][1])
    lines = ["| held-out source | prompts | AUROC vs easy | escalated at the threshold |",
             "|---|---|---|---|"]
    esc_easy = sum(s >= threshold for s in easy) / len(easy)
    lines.append(f"| easy (TinyStories windows) | {len(easy)} | - | {esc_easy:.1%} |")
    pooled = []
    curves = {}
    for src in sorted(srcs):
        if src == "easy":
            continue
        rows = srcs[src][1]
        s = scores(rows)
        # prompts a rule sent up (too long for the context) count as escalated
        ruled = sum(1 for r in rows if r.get("score") == "-" and r.get("route") == "cloud")
        esc = (sum(x >= threshold for x in s) + ruled) / len(rows)
        lines.append(f"| {src} | {len(rows)} | {auroc(easy, s):.4f} | {esc:.1%} |")
        pooled += s
        curves[src] = roc_points(easy, s)
    lines.append(f"| all hard, pooled | {len(pooled)} | {auroc(easy, pooled):.4f} | "
                 f"{sum(x >= threshold for x in pooled) / len(pooled):.1%} |")
    print(f"threshold {threshold / 65536:.4f}")
    print("\n".join(lines))
    if a.plot:
        base = os.path.splitext(a.plot)[0]
        model = os.path.splitext(os.path.basename(a.params))[0]
        plots = []
        for src, pts in curves.items():
            dat = f"{base}.{src}.dat"
            with open(dat, "w") as f:
                for x, y in pts:
                    f.write(f"{x} {y}\n")
            plots.append(f"'{dat}' with lines lw 2 title '{src}'")
        script = (f"set terminal png size 640,480\nset output '{a.plot}'\n"
                  "set xlabel 'easy prompts escalated'\nset ylabel 'hard prompts escalated'\n"
                  f"set title 'Router ROC on held-out prompts ({model}, integer engine)'\n"
                  "set key right bottom\nset xrange [0:1]\nset yrange [0:1]\nset grid\n"
                  f"plot {', '.join(plots)}, x with lines dt 2 lc rgb 'gray' title 'chance'\n")
        subprocess.run(["gnuplot"], input=script.encode(), check=True)
        print(f"wrote {a.plot}")


def cmd_cascade(a):
    threshold, _, _ = read_blob(a.params)
    srcs = load_sources(a.sets, "test", ".probe.tsv")
    def probes(rows, local_only=False):
        return [int(r["probe_nll"]) for r in rows if r.get("probe_nll", "-1") != "-1"
                and (not local_only or r.get("route") == "local")]
    easy_rows = srcs["easy"][1]
    easy, easy_local = probes(easy_rows), probes(easy_rows, True)
    # the cascade threshold: at most --easy-rate of ALL easy prompts added
    allowed = int(math.floor(a.easy_rate * len(easy_rows)))
    cut = sorted(easy_local, reverse=True)
    cthr = cut[allowed] + 1 if allowed < len(cut) else min(cut, default=0)
    print(f"cascade on {os.path.basename(a.params)}: mean NLL of the first generated tokens")
    print("| held-out source | AUROC vs easy (probe alone) | kept local by pre-routing | of them caught by the cascade |")
    print("|---|---|---|---|")
    for src in sorted(srcs):
        if src == "easy":
            continue
        rows = srcs[src][1]
        local = probes(rows, True)
        caught = sum(p >= cthr for p in local)
        print(f"| {src} | {auroc(easy, probes(rows)):.4f} | {len(local)} | {caught} |")
    added = sum(p >= cthr for p in easy_local)
    print(f"easy prompts the cascade would add: {added} of {len(easy_rows)} ({added / len(easy_rows):.1%})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("weights")
    w.add_argument("--sets", required=True)
    w.add_argument("--out", required=True)
    w.add_argument("--l2", type=float, default=1e-3)
    w.add_argument("--steps", type=int, default=600)
    w.add_argument("--lr", type=float, default=0.05)
    t = sub.add_parser("threshold")
    t.add_argument("--sets", required=True)
    t.add_argument("--params", required=True)
    t.add_argument("--easy-rate", type=float, default=0.05)
    r = sub.add_parser("report")
    r.add_argument("--sets", required=True)
    r.add_argument("--params", required=True)
    r.add_argument("--plot")
    c = sub.add_parser("cascade")
    c.add_argument("--sets", required=True)
    c.add_argument("--params", required=True)
    c.add_argument("--easy-rate", type=float, default=0.05)
    a = ap.parse_args()
    {"weights": cmd_weights, "threshold": cmd_threshold, "report": cmd_report,
     "cascade": cmd_cascade}[a.cmd](a)


if __name__ == "__main__":
    main()
