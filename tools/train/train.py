#!/usr/bin/python3
"""Train or fine-tune a llama model for fieldlm on plain text, on the CPU.

  train.py --tokenizer tok.bin --data a.txt --data b.jsonl:2 --out-dir out/ [model and schedule options]
  train.py --init models/fieldtales-800k.flm --data mine.txt --out-dir out/ --steps 300 --lr 5e-4

Each document (a paragraph of a .txt file, --doc-mode; a {"text": ...} line
of a .jsonl file) is encoded as BOS + llama2.c's encode of its text
(bpe.py). A training window is seq_len + 1 tokens of a file's documents
laid end to end, starting at a document's BOS, so every document is also
seen from position 0 as `fieldlm ppl` scores it. An epoch visits every
document start once (FILE:N: N times) in an order drawn from the seed.

Deterministic: fixed seeds, torch's deterministic algorithms and a fixed
thread count (--threads, also given to OpenBLAS/OpenMP) give the same
weights bit for bit on the same machine and libraries; a run resumed from
its checkpoint (--resume) continues exactly as if it had not stopped.

Writes OUT_DIR/ckpt.pt (model, optimizer, step: --resume continues it) every
--ckpt-every steps and at the end, and OUT_DIR/model.bin, a llama2.c
float32 checkpoint for `fieldlm convert`, at the end, beside
OUT_DIR/tokenizer.bin (a copy of the tokenizer): then

  fieldlm convert --in OUT_DIR/model.bin --tokenizer OUT_DIR/tokenizer.bin --out my.flm

--init takes a llama2.c checkpoint (legacy float32, export.py ak42 v1 or v2)
or a fieldlm image (.flm, dequantized; its tokenizer is used when
--tokenizer is not given).
"""
import argparse
import math
import os
import sys
import time


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", action="append", required=True, metavar="FILE[:N]",
                    help="training text (.txt or .jsonl); :N visits its documents N times an epoch")
    ap.add_argument("--doc-mode", choices=("paragraphs", "lines", "file"), default="paragraphs",
                    help="what a document is in a .txt file (default: paragraphs, split at blank lines)")
    ap.add_argument("--eval", metavar="FILE", help="held-out text (one document a non-empty line, as fieldlm ppl)")
    ap.add_argument("--eval-every", type=int, default=0, help="evaluate every N steps (0: at the end only)")
    ap.add_argument("--tokenizer", help="llama2.c tokenizer.bin (bpe.py train); default: the --init image's")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--init", metavar="CKPT", help="start from this llama2.c checkpoint or .flm image (fine-tuning)")
    ap.add_argument("--resume", action="store_true", help="continue OUT_DIR/ckpt.pt")
    m = ap.add_argument_group("model (ignored with --init or --resume)")
    m.add_argument("--dim", type=int, default=128)
    m.add_argument("--hidden-dim", type=int, default=352)
    m.add_argument("--layers", type=int, default=4)
    m.add_argument("--heads", type=int, default=4)
    m.add_argument("--kv-heads", type=int, default=2)
    m.add_argument("--seq-len", type=int, default=256)
    s = ap.add_argument_group("schedule")
    s.add_argument("--window", type=int, default=0, metavar="N",
                   help="tokens per training window (default 0: the model's seq_len); shorter is much "
                        "cheaper when fine-tuning on short documents")
    s.add_argument("--steps", type=int, default=1000)
    s.add_argument("--batch", type=int, default=16)
    s.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    s.add_argument("--min-lr", type=float, default=None, help="final learning rate (default lr / 10)")
    s.add_argument("--warmup", type=int, default=None, help="warm-up steps (default steps / 20)")
    s.add_argument("--weight-decay", type=float, default=0.1)
    s.add_argument("--grad-clip", type=float, default=1.0)
    s.add_argument("--dropout", type=float, default=0.0)
    s.add_argument("--seed", type=int, default=1337)
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--ckpt-every", type=int, default=500)
    s.add_argument("--stop-after", type=int, default=0, metavar="N",
                   help="checkpoint and stop after N steps of this run (train in slices; --resume goes on)")
    s.add_argument("--log-every", type=int, default=10)
    return ap.parse_args(argv)


args = parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import torch  # noqa: E402  (after the thread variables)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpe import Tokenizer, read_docs  # noqa: E402
from llama import Config, Transformer, export_legacy, load_any  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Data:
    """Every file's documents as one token stream with its document starts."""

    def __init__(self, specs, tok, doc_mode, seq_len):
        self.streams, self.starts = [], []  # starts: (file index, offset), repeated N times
        self.seq_len = seq_len
        self.n_tokens = 0
        for fi, spec in enumerate(specs):
            path, _, rep = spec.rpartition(":")
            if not path or not rep.isdigit():
                path, rep = spec, "1"
            ids, starts = [], []
            for d in read_docs(path, doc_mode):
                starts.append(len(ids))
                ids += tok.encode(d)
            ids.append(1)
            t = torch.tensor(ids, dtype=torch.int64)
            if t.numel() < 2:
                raise SystemExit(f"train: {path}: no text")
            # pad so that a window from the last start is full (-1: not scored)
            t = torch.cat([t, torch.full((seq_len + 1,), -1, dtype=torch.int64)])
            self.streams.append(t)
            self.starts += [(fi, s) for s in starts] * int(rep)
            self.n_tokens += len(ids)
            log(f"train: {path}: {len(starts)} documents, {len(ids)} tokens, x{rep}")

    def order(self, seed, epoch):
        g = torch.Generator().manual_seed(seed * 1000003 + epoch)
        return torch.randperm(len(self.starts), generator=g)

    def batch(self, idx):
        xs = []
        for i in idx.tolist():
            fi, s = self.starts[i]
            xs.append(self.streams[fi][s:s + self.seq_len + 1])
        w = torch.stack(xs)
        x = w[:, :-1].clone()
        x[x < 0] = 0
        return x, w[:, 1:]


def lr_at(step, a):
    warm = a.warmup if a.warmup is not None else max(1, a.steps // 20)
    lo = a.min_lr if a.min_lr is not None else a.lr / 10
    if step < warm:
        return a.lr * (step + 1) / warm
    p = min(1.0, (step - warm) / max(1, a.steps - warm))
    return lo + 0.5 * (a.lr - lo) * (1 + math.cos(math.pi * p))


@torch.no_grad()
def evaluate(model, tok, path):
    """fieldlm ppl's protocol: each non-empty line from BOS, positions up to seq_len."""
    model.eval()
    nll, n = 0.0, 0
    T = model.cfg.seq_len
    for line in read_docs(path, "lines"):
        ids = tok.encode(line)[:T]
        if len(ids) < 2:
            continue
        x = torch.tensor([ids[:-1]])
        y = torch.tensor([ids[1:]])
        logits = model(x)
        nll += float(torch.nn.functional.cross_entropy(logits[0].double(), y[0], reduction="sum"))
        n += len(ids) - 1
    model.train()
    return nll / max(n, 1), n


def fmt_time(s):
    s = int(s)
    return f"{s // 3600}h{s // 60 % 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def main(a):
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(a.seed)
    os.makedirs(a.out_dir, exist_ok=True)
    ckpt_path = os.path.join(a.out_dir, "ckpt.pt")
    tok_path = os.path.join(a.out_dir, "tokenizer.bin")
    init_tok = None

    state = None
    if a.resume:
        state = torch.load(ckpt_path)
        cfg = Config(**state["config"])
        model = Transformer(cfg)
        model.load_state_dict(state["model"])
        log(f"train: resuming {ckpt_path} at step {state['step']}")
    elif a.init:
        model, init_tok = load_any(a.init)
        cfg = model.cfg
        log(f"train: fine-tuning {a.init}")
    if a.tokenizer:
        tok = Tokenizer.load(a.tokenizer)
    elif init_tok:
        tok = Tokenizer(*init_tok)
    elif a.resume and os.path.exists(tok_path):
        tok = Tokenizer.load(tok_path)
    else:
        raise SystemExit("train: --tokenizer is needed (only a .flm --init brings its own)")
    if not a.resume or not os.path.exists(tok_path):
        tok.save(tok_path)
    if not a.resume and not a.init:
        cfg = Config(dim=a.dim, hidden_dim=a.hidden_dim, n_layers=a.layers, n_heads=a.heads,
                     n_kv_heads=a.kv_heads, vocab_size=tok.vocab_size, seq_len=a.seq_len)
        model = Transformer(cfg)
        model.init_weights(torch.Generator().manual_seed(a.seed))
    cfg.dropout = a.dropout
    for l in model.layers:
        l.dropout = l.attention.dropout = a.dropout
    if tok.vocab_size != cfg.vocab_size:
        raise SystemExit(f"train: the tokenizer has {tok.vocab_size} tokens, the model {cfg.vocab_size}")
    log(f"train: {model.n_params():,} parameters: dim {cfg.dim} hidden {cfg.hidden_dim} layers {cfg.n_layers} "
        f"heads {cfg.n_heads} kv_heads {cfg.n_kv_heads} vocab {cfg.vocab_size} seq_len {cfg.seq_len}")

    if a.window < 0 or a.window > cfg.seq_len:
        raise SystemExit(f"train: --window {a.window} is not in 1..seq_len {cfg.seq_len}")
    data = Data(a.data, tok, a.doc_mode, a.window or cfg.seq_len)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": other, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
    step, epoch, cursor = 0, 0, 0
    if state:
        opt.load_state_dict(state["optimizer"])
        step, epoch, cursor = state["step"], state["epoch"], state["cursor"]
        torch.set_rng_state(state["rng"])
    order = data.order(a.seed, epoch)

    def save():
        torch.save({"config": cfg.as_dict(), "model": model.state_dict(), "optimizer": opt.state_dict(),
                    "step": step, "epoch": epoch, "cursor": cursor, "rng": torch.get_rng_state(),
                    "args": vars(a)}, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)

    model.train()
    t0, tok_done, loss_avg = time.time(), 0, None
    start_step = step
    while step < a.steps:
        parts, have = [], 0
        while have < a.batch:
            if cursor >= len(order):
                epoch, cursor = epoch + 1, 0
                order = data.order(a.seed, epoch)
            take = min(a.batch - have, len(order) - cursor)
            parts.append(order[cursor:cursor + take])
            cursor += take
            have += take
        x, y = data.batch(torch.cat(parts))
        lr = lr_at(step, a)
        for g in opt.param_groups:
            g["lr"] = lr
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if a.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), a.grad_clip)
        opt.step()
        step += 1
        tok_done += int((y >= 0).sum())
        lv = float(loss)
        loss_avg = lv if loss_avg is None else 0.9 * loss_avg + 0.1 * lv
        if step % a.log_every == 0 or step == a.steps or step == start_step + 1:
            el = time.time() - t0
            tps = tok_done / el if el > 0 else 0.0
            left = el / (step - start_step) * (a.steps - step)
            log(f"step {step}/{a.steps} loss {lv:.4f} (avg {loss_avg:.4f}) lr {lr:.2e} epoch {epoch} "
                f"{tps:.0f} tok/s {fmt_time(el)} elapsed, {fmt_time(left)} left")
        if a.eval and a.eval_every and step % a.eval_every == 0 and step < a.steps:
            nll, n = evaluate(model, tok, a.eval)
            log(f"eval step {step}: held-out nll {nll:.4f} ppl {math.exp(nll):.4f} ({n} tokens)")
        if a.ckpt_every and step % a.ckpt_every == 0:
            save()
        if a.stop_after and step - start_step >= a.stop_after and step < a.steps:
            save()
            log(f"train: stopped at step {step} (--stop-after); --resume continues")
            return
    save()
    out = os.path.join(a.out_dir, "model.bin")
    export_legacy(model, out)
    log(f"train: wrote {ckpt_path} and {out} (llama2.c float32 checkpoint; tokenizer {tok_path})")
    if a.eval:
        nll, n = evaluate(model, tok, a.eval)
        log(f"eval final: held-out nll {nll:.4f} ppl {math.exp(nll):.4f} ({n} tokens)")
    print(f"final loss {loss_avg:.4f}")


if __name__ == "__main__":
    main(args)
