#!/usr/bin/python3
"""Perplexity in float32 (PyTorch) with fieldlm ppl's protocol: each
non-empty line of the text is a document, BOS + llama2.c's encode, scored
teacher-forced at positions 0 .. min(n, seq_len) - 2. Also per byte of
text, which compares models with different tokenizers.

usage: eval.py --model M.bin --tokenizer tok.bin --text FILE     (llama2.c checkpoint)
       eval.py --model M.flm --text FILE                         (fieldlm image, dequantized)
Prints: tokens N nll X ppl Y bytes B nll/byte Z
"""
import argparse
import math
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpe import Tokenizer  # noqa: E402
from llama import load_any  # noqa: E402


@torch.no_grad()
def score(model, tok, lines):
    model.eval()
    nll, n, nbytes = 0.0, 0, 0
    T = model.cfg.seq_len
    for line in lines:
        ids = tok.encode(line)
        nbytes += len(line.encode("utf-8"))
        ids = ids[:T]
        if len(ids) < 2:
            continue
        logits = model(torch.tensor([ids[:-1]]))[0].double()
        nll += float(torch.nn.functional.cross_entropy(logits, torch.tensor(ids[1:]), reduction="sum"))
        n += len(ids) - 1
    return nll, n, nbytes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer")
    ap.add_argument("--text", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, flm_tok = load_any(a.model)
    tok = Tokenizer.load(a.tokenizer) if a.tokenizer else Tokenizer(*flm_tok)
    with open(a.text, encoding="utf-8") as f:
        lines = [l for l in f.read().split("\n") if l]
    nll, n, nbytes = score(model, tok, lines)
    print(f"tokens {n} nll {nll / n:.6f} ppl {math.exp(nll / n):.4f} bytes {nbytes} nll/byte {nll / nbytes:.6f}")


if __name__ == "__main__":
    main()
