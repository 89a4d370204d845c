#!/usr/bin/python3
"""BPE tokenizer trainer and encoder, in llama2.c's tokenizer.bin format.

The vocabulary follows llama2.c's conventions (its tok512.bin, written by
its tokenizer.py from sentencepiece): id 0 "<unk>", 1 "\\n<s>\\n" (BOS),
2 "\\n</s>\\n" (EOS), 3..258 the byte-fallback tokens "<0x00>".."<0xFF>"
(fieldlm's tokenizer requires them there), then the merges with scores
0, -1, -2, ... in the order they were learned, then the single characters.
The file is: int32 max_token_length, then per token float32 score, int32
length, bytes.

Encoding is llama2.c's encode() exactly (fieldlm's core/infer/tokenizer.c):
a dummy-prefix space, one token per UTF-8 character (its byte tokens if the
character is not in the vocabulary), then repeatedly merge the adjacent pair
whose concatenation is a token with the highest score, the leftmost on ties.
Training splits text into pieces at every space (a piece starts with it)
and around every newline, and never makes a token with a space after its
first byte, a newline beside another byte, or '<' / '>' (so no merge can
spell a special or byte token): no token can then span two pieces, so
encoding each piece alone (cached) gives llama2.c's tokens for the whole
text.

usage: bpe.py train --vocab 512 --out tok.bin FILE...      (FILE: .txt or .jsonl)
       bpe.py encode --tokenizer tok.bin "some text"
"""
import argparse
import collections
import os
import re
import struct
import sys

N_SPECIAL = 259
PIECE_RE = re.compile(r" ?[^ \n]+| |\n")


def pieces(text):
    """The pieces of text as the encoder sees it (dummy prefix included)."""
    return PIECE_RE.findall(" " + text)


def special_tokens():
    toks = [b"<unk>", b"\n<s>\n", b"\n</s>\n"] + [b"<0x%02X>" % i for i in range(256)]
    return toks


class Tokenizer:
    def __init__(self, tokens, scores):
        assert len(tokens) == len(scores)
        self.tokens, self.scores = tokens, scores
        self.ids = {}
        for i, t in enumerate(tokens):
            if i >= 3:
                self.ids.setdefault(t, i)  # lookups never land on <unk>, BOS, EOS
        self.cache = {}

    @property
    def vocab_size(self):
        return len(self.tokens)

    @classmethod
    def load(cls, path):
        buf = open(path, "rb").read()
        pos, tokens, scores = 4, [], []
        while pos < len(buf):
            s, n = struct.unpack_from("<fi", buf, pos)
            pos += 8
            tokens.append(buf[pos:pos + n])
            scores.append(s)
            pos += n
        return cls(tokens, scores)

    def save(self, path):
        with open(path + ".tmp", "wb") as f:  # whole or not at all: renamed once written
            f.write(struct.pack("<i", max(len(t) for t in self.tokens)))
            for t, s in zip(self.tokens, self.scores):
                f.write(struct.pack("<fi", s, len(t)))
                f.write(t)
        os.replace(path + ".tmp", path)

    def _encode_piece(self, piece):
        ids = []
        for ch in piece:
            b = ch.encode("utf-8", errors="surrogatepass")
            i = self.ids.get(b)
            if i is None:
                ids.extend(x + 3 for x in b)
            else:
                ids.append(i)
        toks, sc = self.tokens, self.scores
        while len(ids) > 1:
            best, best_i, best_id = None, -1, -1
            for k in range(len(ids) - 1):
                j = self.ids.get(toks[ids[k]] + toks[ids[k + 1]])
                if j is not None and (best is None or sc[j] > best):
                    best, best_i, best_id = sc[j], k, j
            if best_i < 0:
                break
            ids[best_i:best_i + 2] = [best_id]
        return ids

    def encode(self, text, bos=True):
        out = [1] if bos else []
        if not text:
            return out
        for p in pieces(text):
            ids = self.cache.get(p)
            if ids is None:
                ids = self.cache[p] = self._encode_piece(p)
            out.extend(ids)
        return out

    def decode(self, ids):
        """Bytes of ids as fieldlm prints them (BOS dropped, the space after
        BOS stripped, byte tokens as their byte)."""
        out, prev = bytearray(), None
        for i in ids:
            if i in (1, 2):
                prev = i
                continue
            t = self.tokens[i]
            if prev == 1 and t.startswith(b" "):
                t = t[1:]
            if 3 <= i < N_SPECIAL:
                t = bytes([i - 3])
            out += t
            prev = i
        return bytes(out)


def train(texts, vocab_size, char_coverage=0.9999, log=sys.stderr):
    """Learn a vocabulary of vocab_size tokens from the texts; deterministic
    (ties broken by the tokens' bytes)."""
    if vocab_size < N_SPECIAL + 2:
        raise ValueError(f"vocabulary of {vocab_size}: at least {N_SPECIAL + 2} (specials, bytes, space)")
    words = collections.Counter()
    for t in texts:
        words.update(pieces(t))
    chars = collections.Counter()
    for w, n in words.items():
        for ch in w:
            chars[ch] += n
    total = sum(chars.values())
    order = sorted(chars.items(), key=lambda kv: (-kv[1], kv[0]))
    room = vocab_size - N_SPECIAL
    keep, covered = [], 0
    for ch, n in order:
        if ch == " " or (covered < char_coverage * total and len(keep) < room):
            keep.append(ch)
            covered += n
    keep = keep[:room]
    if " " not in keep:
        keep[-1] = " "
    char_set = set(keep)
    n_merges = room - len(keep)

    # symbols: token bytes; words as tuples of symbols (byte fallback as None barriers)
    seqs = []
    for w, n in sorted(words.items()):
        syms = [ch.encode("utf-8") if ch in char_set else None for ch in w]
        if len(syms) > 1:
            seqs.append([syms, n])
    merges, known = [], set(c.encode("utf-8") for c in keep)

    def mergeable(a, b):
        if a is None or b is None:
            return False
        ab = a + b
        if b"\n" in ab or b" " in ab[1:] or b"<" in ab or b">" in ab:
            return False
        return True

    while len(merges) < n_merges:
        pairs = collections.Counter()
        for syms, n in seqs:
            for k in range(len(syms) - 1):
                if mergeable(syms[k], syms[k + 1]):
                    pairs[(syms[k], syms[k + 1])] += n
        if not pairs:
            break
        (a, b), cnt = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        ab = a + b
        if ab not in known:
            merges.append(ab)
            known.add(ab)
        for s in seqs:
            syms = s[0]
            k, out = 0, []
            while k < len(syms):
                if k + 1 < len(syms) and syms[k] == a and syms[k + 1] == b:
                    out.append(ab)
                    k += 2
                else:
                    out.append(syms[k])
                    k += 1
            s[0] = out
        seqs = [s for s in seqs if len(s[0]) > 1]
        if log and len(merges) % 50 == 0:
            print(f"bpe: {len(merges)}/{n_merges} merges, last {ab!r} x{cnt}", file=log, flush=True)
    tokens = special_tokens() + merges + [c.encode("utf-8") for c in keep]
    scores = [0.0] * N_SPECIAL + [-float(i) for i in range(len(merges) + len(keep))]
    # fewer merges than room (a tiny text): pad with unused, unreachable tokens
    k = 0
    while len(tokens) < vocab_size:
        tokens.append(b"<pad%d>" % k)
        scores.append(-1e9)
        k += 1
    return Tokenizer(tokens, scores)


def read_docs(path, mode="paragraphs"):
    """Documents of a training file. .jsonl: one {"text": ...} a line.
    Text: 'lines' makes each non-empty line a document (fieldlm ppl's
    protocol); 'paragraphs' joins lines up to a blank line; 'file' is one
    document."""
    import json
    with open(path, encoding="utf-8") as f:
        data = f.read()
    if path.endswith(".jsonl"):
        return [json.loads(l)["text"] for l in data.splitlines() if l.strip()]
    if mode == "file":
        return [data.strip("\n")] if data.strip() else []
    if mode == "lines":
        return [l for l in data.split("\n") if l]
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", data) if p.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="learn a vocabulary")
    t.add_argument("files", nargs="+")
    t.add_argument("--vocab", type=int, default=512)
    t.add_argument("--max-docs", type=int, default=0, help="at most N documents of each file (0: all)")
    t.add_argument("--out", required=True)
    e = sub.add_parser("encode", help="print the token ids of a text")
    e.add_argument("--tokenizer", required=True)
    e.add_argument("text")
    a = ap.parse_args()
    if a.cmd == "train":
        docs = []
        for p in a.files:
            d = read_docs(p)
            docs += d[:a.max_docs] if a.max_docs else d
        tok = train(docs, a.vocab)
        tok.save(a.out)
        n = sum(len(tok.encode(d)) - 1 for d in docs)
        nb = sum(len(d.encode()) for d in docs)
        print(f"bpe: wrote {a.out}: {tok.vocab_size} tokens; {len(docs)} documents, {nb} bytes -> {n} tokens "
              f"({nb / max(n, 1):.2f} bytes a token)", file=sys.stderr)
    else:
        tok = Tokenizer.load(a.tokenizer)
        print(" ".join(str(i) for i in tok.encode(a.text)))


if __name__ == "__main__":
    main()
