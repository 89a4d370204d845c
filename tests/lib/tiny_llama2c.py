"""A tiny llama2.c float32 checkpoint and tokenizer (standard library only),
for tests that need something to convert without ../shared:

    python3 tests/lib/tiny_llama2c.py OUT.bin TOKENIZER.bin
"""
import random
import struct
import sys

dim, hidden, layers, heads, kv_heads, vocab, seq = 64, 128, 1, 2, 2, 260, 32
head = dim // heads
rng = random.Random(7)


def floats(n, scale=0.1):
    return struct.pack("<%df" % n, *[rng.uniform(-scale, scale) for _ in range(n)])


with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab, seq))
    kv = dim * kv_heads // heads
    f.write(floats(vocab * dim))
    f.write(struct.pack("<%df" % (layers * dim), *([1.0] * layers * dim)))
    for n in (dim * dim, dim * kv, dim * kv, dim * dim):
        f.write(floats(layers * n))
    f.write(struct.pack("<%df" % (layers * dim), *([1.0] * layers * dim)))
    for n in (hidden * dim, dim * hidden, hidden * dim):
        f.write(floats(layers * n))
    f.write(struct.pack("<%df" % dim, *([1.0] * dim)))
    f.write(floats(seq * head // 2) * 2)  # freq_cis, unused

with open(sys.argv[2], "wb") as f:
    pieces = [b"<unk>", b"\n<s>\n", b"\n</s>\n"] + [b"<0x%02X>" % i for i in range(256)] + [b" a"]
    f.write(struct.pack("<i", max(len(p) for p in pieces)))
    for i, p in enumerate(pieces):
        f.write(struct.pack("<fi", -float(i), len(p)) + p)
