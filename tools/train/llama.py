"""The llama architecture fieldlm runs (llama2.c's model.py), in PyTorch,
and llama2.c checkpoint files: read (legacy float32, export.py "ak42" v1
float32 and v2 Q8_0) and write (legacy float32, what `fieldlm convert`
reads).

Conventions are run.c's, which fieldlm's integer engine and its float
reference (tools/ref/) follow: RMSNorm with eps 1e-5, RoPE base 10000 on
adjacent pairs (2i, 2i+1) of each head, query head h reads kv head
h // (n_heads // n_kv_heads), SwiGLU w2(silu(w1 x) * w3 x), the classifier
tied to the token embedding unless the checkpoint has its own.
"""
import math
import os
import struct
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    dim: int = 128
    hidden_dim: int = 352
    n_layers: int = 4
    n_heads: int = 4
    n_kv_heads: int = 2
    vocab_size: int = 512
    seq_len: int = 256
    shared_classifier: bool = True
    dropout: float = 0.0

    @property
    def head_dim(self):
        return self.dim // self.n_heads

    def check(self):
        if self.dim % self.n_heads or self.n_heads % self.n_kv_heads or self.head_dim % 2:
            raise ValueError("dim must be a multiple of n_heads, n_heads of n_kv_heads, and head_dim even")

    def as_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim, seq_len, theta=10000.0):
    freqs = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    ang = torch.outer(torch.arange(seq_len, dtype=torch.float64), freqs)
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x, cos, sin):
    # x: (B, T, H, hd); pairs (2i, 2i+1) rotate by angle pos * freq_i
    xr, xi = x[..., 0::2], x[..., 1::2]
    c, s = cos[None, :, None, :], sin[None, :, None, :]
    return torch.stack((xr * c - xi * s, xr * s + xi * c), dim=-1).flatten(-2)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        hd = cfg.head_dim
        self.n_heads, self.n_kv, self.hd = cfg.n_heads, cfg.n_kv_heads, hd
        self.wq = nn.Linear(cfg.dim, cfg.n_heads * hd, bias=False)
        self.wk = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.wv = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.wo = nn.Linear(cfg.n_heads * hd, cfg.dim, bias=False)
        self.dropout = cfg.dropout

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        q = self.wq(x).view(B, T, self.n_heads, self.hd)
        k = self.wk(x).view(B, T, self.n_kv, self.hd)
        v = self.wv(x).view(B, T, self.n_kv, self.hd)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        rep = self.n_heads // self.n_kv
        if rep > 1:  # query head h reads kv head h // rep
            k = k.repeat_interleave(rep, dim=2)
            v = v.repeat_interleave(rep, dim=2)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.hd))
        att = att.masked_fill(mask[:T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        if self.training and self.dropout:
            att = F.dropout(att, self.dropout)
        y = (att @ v).transpose(1, 2).reshape(B, T, -1)
        return self.wo(y)


class FeedForward(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.w1 = nn.Linear(cfg.dim, cfg.hidden_dim, bias=False)
        self.w2 = nn.Linear(cfg.hidden_dim, cfg.dim, bias=False)
        self.w3 = nn.Linear(cfg.dim, cfg.hidden_dim, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention_norm = RMSNorm(cfg.dim)
        self.attention = Attention(cfg)
        self.ffn_norm = RMSNorm(cfg.dim)
        self.feed_forward = FeedForward(cfg)
        self.dropout = cfg.dropout

    def forward(self, x, cos, sin, mask):
        h = self.attention(self.attention_norm(x), cos, sin, mask)
        if self.training and self.dropout:
            h = F.dropout(h, self.dropout)
        x = x + h
        h = self.feed_forward(self.ffn_norm(x))
        if self.training and self.dropout:
            h = F.dropout(h, self.dropout)
        return x + h


class Transformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        cfg.check()
        self.cfg = cfg
        self.tok_embeddings = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim)
        self.output = None if cfg.shared_classifier else nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        cos, sin = rope_tables(cfg.head_dim, cfg.seq_len)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        mask = torch.triu(torch.ones(cfg.seq_len, cfg.seq_len, dtype=torch.bool), diagonal=1)
        self.register_buffer("mask", mask, persistent=False)

    def init_weights(self, generator):
        """llama2.c's init: N(0, 0.02), output projections scaled by
        1/sqrt(2 n_layers), norms at 1."""
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02
                if name.endswith("wo.weight") or name.endswith("w2.weight"):
                    std = 0.02 / math.sqrt(2 * self.cfg.n_layers)
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=generator) * std)
            else:
                nn.init.ones_(p)

    def n_params(self):
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx, targets=None):
        T = idx.shape[1]
        x = self.tok_embeddings(idx)
        cos, sin = self.rope_cos[:T], self.rope_sin[:T]
        for layer in self.layers:
            x = layer(x, cos, sin, self.mask)
        x = self.norm(x)
        w = self.tok_embeddings.weight if self.output is None else self.output.weight
        logits = x @ w.t()
        if targets is None:
            return logits
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)
        return logits, loss

    @torch.no_grad()
    def greedy(self, ids, steps):
        """Greedy continuation of the token list ids (BOS first) as fieldlm
        run -n steps prints it (llama2.c's run.c): the tokens of positions
        1..steps (at most seq_len), stopping at BOS/EOS."""
        ids = list(ids)
        while len(ids) < min(steps, self.cfg.seq_len) + 1:
            logits = self(torch.tensor([ids]))[0, -1]
            nxt = int(torch.argmax(logits))
            if nxt in (1, 2):
                break
            ids.append(nxt)
        return ids


# ---- llama2.c checkpoints -------------------------------------------------

AK42_MAGIC = 0x616B3432


def _tensors_in_order(model):
    """run.c's legacy order, each tensor stacked over layers."""
    L = model.layers
    yield model.tok_embeddings.weight
    yield torch.stack([l.attention_norm.weight for l in L])
    for name in ("wq", "wk", "wv", "wo"):
        yield torch.stack([getattr(l.attention, name).weight for l in L])
    yield torch.stack([l.ffn_norm.weight for l in L])
    for name in ("w1", "w2", "w3"):
        yield torch.stack([getattr(l.feed_forward, name).weight for l in L])
    yield model.norm.weight


def export_legacy(model, path):
    """llama2.c's legacy float32 checkpoint (run.c, export.py --version 0)."""
    c = model.cfg
    vocab = c.vocab_size if c.shared_classifier else -c.vocab_size
    with open(path + ".tmp", "wb") as f:  # whole or not at all: renamed once written
        f.write(struct.pack("<7i", c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, vocab, c.seq_len))
        for t in _tensors_in_order(model):
            f.write(t.detach().float().contiguous().numpy().astype("<f4").tobytes())
        cos, sin = rope_tables(c.head_dim, c.seq_len)
        f.write(cos.numpy().astype("<f4").tobytes())
        f.write(sin.numpy().astype("<f4").tobytes())
        if not c.shared_classifier:
            f.write(model.output.weight.detach().float().numpy().astype("<f4").tobytes())
    os.replace(path + ".tmp", path)


def _floats(buf, pos, n):
    t = torch.frombuffer(bytearray(buf[pos:pos + 4 * n]), dtype=torch.float32)
    if t.numel() != n:
        raise ValueError("checkpoint truncated")
    return t.clone(), pos + 4 * n


def _q80(buf, pos, n, gs):
    q = torch.frombuffer(bytearray(buf[pos:pos + n]), dtype=torch.int8).float()
    s, pos2 = _floats(buf, pos + n, n // gs)
    if q.numel() != n:
        raise ValueError("checkpoint truncated")
    return (q.view(-1, gs) * s.view(-1, 1)).flatten(), pos2


def load_llama2c(path, seq_len=None):
    """Read a llama2.c checkpoint (legacy float32, ak42 v1 or v2) into a
    Transformer; seq_len overrides the file's context length."""
    buf = open(path, "rb").read()
    magic = struct.unpack_from("<I", buf, 0)[0]
    version = 0
    if magic == AK42_MAGIC:
        version = struct.unpack_from("<i", buf, 4)[0]
        if version not in (1, 2):
            raise ValueError(f"{path}: ak42 version {version} not supported")
        dim, hidden, nl, nh, nkv, vocab, seq = struct.unpack_from("<7i", buf, 8)
        shared = buf[36] != 0
        gs = struct.unpack_from("<i", buf, 37)[0]
        pos = 256
    else:
        dim, hidden, nl, nh, nkv, vocab, seq = struct.unpack_from("<7i", buf, 0)
        shared = vocab > 0
        vocab = abs(vocab)
        pos = 28
    cfg = Config(dim=dim, hidden_dim=hidden, n_layers=nl, n_heads=nh, n_kv_heads=nkv, vocab_size=vocab,
                 seq_len=seq_len or seq, shared_classifier=shared)
    model = Transformer(cfg)
    kv = dim // nh * nkv
    shapes = {"tok": (vocab, dim), "wq": (dim, dim), "wk": (kv, dim), "wv": (kv, dim), "wo": (dim, dim),
              "w1": (hidden, dim), "w2": (dim, hidden), "w3": (hidden, dim)}
    got = {}
    if version == 0:
        for name in ("tok", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn", "w1", "w2", "w3", "rms_final"):
            if name == "tok":
                n, shape = vocab * dim, (vocab, dim)
            elif name == "rms_final":
                n, shape = dim, (dim,)
            elif name.startswith("rms"):
                n, shape = nl * dim, (nl, dim)
            else:
                r, cc = shapes[name]
                n, shape = nl * r * cc, (nl, r, cc)
            t, pos = _floats(buf, pos, n)
            got[name] = t.view(shape)
        pos += 4 * seq * (dim // nh)  # freq_cis_real + freq_cis_imag
        if not shared:
            t, pos = _floats(buf, pos, vocab * dim)
            got["out"] = t.view(vocab, dim)
    else:
        for name, n in (("rms_att", nl * dim), ("rms_ffn", nl * dim), ("rms_final", dim)):
            t, pos = _floats(buf, pos, n)
            got[name] = t.view(nl, dim) if name != "rms_final" else t
        take = (lambda p, n: _q80(buf, p, n, gs)) if version == 2 else (lambda p, n: _floats(buf, p, n))
        t, pos = take(pos, vocab * dim)
        got["tok"] = t.view(vocab, dim)
        for name in ("wq", "wk", "wv", "wo", "w1", "w2", "w3"):
            r, cc = shapes[name]
            layers = []
            for _ in range(nl):
                t, pos = take(pos, r * cc)
                layers.append(t.view(r, cc))
            got[name] = torch.stack(layers)
        if not shared:
            t, pos = take(pos, vocab * dim)
            got["out"] = t.view(vocab, dim)
    if pos != len(buf):
        raise ValueError(f"{path}: {len(buf) - pos} bytes left after the weights (wrong config?)")
    with torch.no_grad():
        model.tok_embeddings.weight.copy_(got["tok"])
        model.norm.weight.copy_(got["rms_final"])
        for i, l in enumerate(model.layers):
            l.attention_norm.weight.copy_(got["rms_att"][i])
            l.ffn_norm.weight.copy_(got["rms_ffn"][i])
            for name in ("wq", "wk", "wv", "wo"):
                getattr(l.attention, name).weight.copy_(got[name][i])
            for name in ("w1", "w2", "w3"):
                getattr(l.feed_forward, name).weight.copy_(got[name][i])
        if not shared:
            model.output.weight.copy_(got["out"])
    return model


# ---- fieldlm images ---------------------------------------------------------

FLM_MAGIC = 0x494D4C46
_KINDS = {1: "tok", 2: "out", 3: "rms_final", 16: "rms_att", 17: "wq", 18: "wk", 19: "wv", 20: "wo",
          21: "rms_ffn", 22: "w1", 23: "w2", 24: "w3"}


def load_flm(path):
    """A fieldlm image (core/model/FORMAT.md) back to float: the weights
    dequantized (Q8 and Q4 groups, I32 norms) into a Transformer, and the
    tokenizer as (tokens, scores). Fine-tuning can so start from a shipped
    .flm; its int8 rounding (worst error half a quantization step) is the
    only loss."""
    buf = open(path, "rb").read()
    if len(buf) < 128 or struct.unpack_from("<I", buf, 0)[0] != FLM_MAGIC:
        raise ValueError(f"{path}: not a fieldlm image")
    major = struct.unpack_from("<H", buf, 4)[0]
    if major != 1:
        raise ValueError(f"{path}: image version {major} not supported")
    flags = struct.unpack_from("<I", buf, 0x0C)[0]
    dim, hidden, nl, nh, nkv, hd, vocab, seq = struct.unpack_from("<8I", buf, 0x20)
    n_tensors, entry = struct.unpack_from("<2I", buf, 0x48)
    table, tok_off = struct.unpack_from("<2Q", buf, 0x50)
    arch = struct.unpack_from("<I", buf, 0x70)[0] if struct.unpack_from("<H", buf, 6)[0] >= 1 else 0
    if arch != 0 or hd * nh != dim:
        raise ValueError(f"{path}: not a llama image (arch {arch})")
    cfg = Config(dim=dim, hidden_dim=hidden, n_layers=nl, n_heads=nh, n_kv_heads=nkv, vocab_size=vocab,
                 seq_len=seq, shared_classifier=bool(flags & 1))
    model = Transformer(cfg)
    got = {}
    for i in range(n_tensors):
        kind, layer, dtype = struct.unpack_from("<3H", buf, table + i * entry)
        rows, cols, gs = struct.unpack_from("<3I", buf, table + i * entry + 8)
        shift = struct.unpack_from("<i", buf, table + i * entry + 0x14)[0]
        off, size, soff, ssize = struct.unpack_from("<4Q", buf, table + i * entry + 0x18)
        name = _KINDS.get(kind)
        if name is None:
            continue  # rope_freq (computed) or a kind llama does not have
        if dtype == 3:  # I32
            v = torch.frombuffer(bytearray(buf[off:off + size]), dtype=torch.int32).double() * 2.0 ** -shift
            t = v.float()
        elif dtype in (1, 2):  # Q8, Q4
            ng = (cols + gs - 1) // gs
            if dtype == 1:
                q = torch.frombuffer(bytearray(buf[off:off + size]), dtype=torch.int8).view(rows, cols).double()
            else:
                b = torch.frombuffer(bytearray(buf[off:off + size]), dtype=torch.uint8).view(rows, -1).int()
                nib = torch.stack(((b & 15), (b >> 4) & 15), dim=-1).view(rows, -1)[:, :cols]
                q = torch.where(nib >= 8, nib - 16, nib).double()
            s = torch.frombuffer(bytearray(buf[soff:soff + ssize]), dtype=torch.int32).view(rows, ng).double()
            s = s.repeat_interleave(gs, dim=1)[:, :cols] * 2.0 ** -shift
            t = (q * s).float()
        else:
            raise ValueError(f"{path}: tensor kind {kind} has dtype {dtype}, not readable here")
        got[(name, layer)] = t.view(rows, cols) if rows > 1 else t.view(-1)
    with torch.no_grad():
        model.tok_embeddings.weight.copy_(got[("tok", 0)])
        model.norm.weight.copy_(got[("rms_final", 0)])
        for i, l in enumerate(model.layers):
            l.attention_norm.weight.copy_(got[("rms_att", i)])
            l.ffn_norm.weight.copy_(got[("rms_ffn", i)])
            for name in ("wq", "wk", "wv", "wo"):
                getattr(l.attention, name).weight.copy_(got[(name, i)])
            for name in ("w1", "w2", "w3"):
                getattr(l.feed_forward, name).weight.copy_(got[(name, i)])
        if not cfg.shared_classifier:
            model.output.weight.copy_(got[("out", 0)])
    # tokenizer section
    V, _, _, _, nbytes = struct.unpack_from("<5I", buf, tok_off)
    offs = struct.unpack_from(f"<{V + 1}I", buf, tok_off + 24)
    keys = struct.unpack_from(f"<{V}i", buf, tok_off + 24 + 4 * (V + 1))
    base = tok_off + 24 + 4 * (3 * V + 1)
    tokens = [buf[base + offs[i]:base + offs[i + 1]] for i in range(V)]
    scores = []
    for k in keys:
        bits = k if k >= 0 else ((-1 - k) | 0x80000000)
        scores.append(struct.unpack("<f", struct.pack("<I", bits))[0])
    return model, tokens, scores


def load_any(path, seq_len=None):
    """A llama2.c checkpoint or a fieldlm image: (model, tokenizer or None)."""
    with open(path, "rb") as f:
        magic = struct.unpack("<I", f.read(4))[0]
    if magic == FLM_MAGIC:
        model, tokens, scores = load_flm(path)
        return model, (tokens, scores)
    return load_llama2c(path, seq_len), None
