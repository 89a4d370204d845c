#!/usr/bin/python3
"""Greedy text from a llama2.c checkpoint in float32 (PyTorch): the float
reference for what `fieldlm run -t 0` prints from the converted model.

usage: generate.py --model model.bin --tokenizer tok.bin -p "Once upon a time" [-n 64] [--ids]
Prints the prompt and its continuation (-n positions in all, counting BOS
and the prompt, as fieldlm run's -n) and a newline, as fieldlm run does;
--ids prints the token ids instead.
"""
import argparse
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpe import Tokenizer  # noqa: E402
from llama import load_any  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("-p", "--prompt", default="")
    ap.add_argument("-n", "--steps", type=int, default=256)
    ap.add_argument("--ids", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, _ = load_any(a.model)
    model.eval()
    tok = Tokenizer.load(a.tokenizer)
    ids = model.greedy(tok.encode(a.prompt), a.steps)
    if a.ids:
        print(" ".join(map(str, ids)))
    else:
        sys.stdout.buffer.write(tok.decode(ids) + b"\n")


if __name__ == "__main__":
    main()
