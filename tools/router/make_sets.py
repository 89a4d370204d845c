#!/usr/bin/env python3
"""Build the router's prompt sets from ../shared/data and tools/router/prompts.

Each source is split into a training part and a held-out part before anything
is learned from it (every fifth item, or every fifth block of ten paragraphs
for the stories, is held out), and written one prompt a line with `\\n` for a
line break, the format `fieldlm route --prompts` reads:

  OUT/train/<source>.txt, OUT/test/<source>.txt
  sources: easy (TinyStories windows of one to three sentences), gsm8k,
  mmlu (question and its four choices), own (tools/router/prompts/hard_own.txt)

Deterministic for a given --seed. Standard library only.
"""
import argparse
import json
import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))


def escape(s):
    return s.replace("\\", "\\\\").replace("\r", "").replace("\n", "\\n")


def sentences(paragraph):
    # a sentence ends at . ! or ? (optionally inside a closing quote) before a space
    parts = re.findall(r'.+?(?:[.!?]["\u201d]?(?=\s)|$)', paragraph.strip())
    return [p.strip() for p in parts if p.strip()]


def story_windows(path, rng, per_paragraph):
    paras = [l.strip() for l in open(path, encoding="utf-8") if l.strip()]
    train, test = [], []
    for i, p in enumerate(paras):
        sents = sentences(p)
        if not sents:
            continue
        held = (i // 10) % 5 == 0
        for _ in range(per_paragraph):
            k = rng.choice((1, 2, 3))
            k = min(k, len(sents))
            start = rng.randrange(0, len(sents) - k + 1)
            (test if held else train).append(" ".join(sents[start:start + k]))
    return train, test


def split_every_fifth(items):
    return ([x for i, x in enumerate(items) if i % 5 != 0], [x for i, x in enumerate(items) if i % 5 == 0])


def mmlu_prompt(o, rng):
    letters = "ABCD"
    style = rng.choice(("A) ", "(A) ", "A. "))
    lines = [o["question"].strip()]
    for letter, choice in zip(letters, o["choices"]):
        mark = style.replace("A", letter)
        lines.append(mark + str(choice).strip())
    return "\n".join(lines)


def dedupe(xs):
    seen, out = set(), []
    for x in xs:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "..", "shared"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--windows", type=int, default=3, help="story windows per paragraph")
    ap.add_argument("--max-train", type=int, default=3000, help="cap per source, training part")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    data = os.path.join(args.shared, "data")

    sets = {}
    sets["easy"] = story_windows(os.path.join(data, "tinystories_train_head_197k.txt"), rng, args.windows)
    gsm = [json.loads(l)["question"].strip() for l in open(os.path.join(data, "gsm8k_train.jsonl"))]
    sets["gsm8k"] = split_every_fifth(gsm)
    mmlu = [mmlu_prompt(json.loads(l), rng) for l in open(os.path.join(data, "mmlu_dev_val.jsonl"))]
    sets["mmlu"] = split_every_fifth(mmlu)
    own = [l.rstrip("\n") for l in open(os.path.join(HERE, "prompts", "hard_own.txt"), encoding="utf-8")
           if l.strip()]
    sets["own"] = split_every_fifth(own)

    for part in ("train", "test"):
        os.makedirs(os.path.join(args.out, part), exist_ok=True)
    for name, (train, test) in sets.items():
        train, test = dedupe(train), dedupe(test)
        test_set = set(test)
        train = [x for x in train if x not in test_set]  # nothing held out is trained on
        rng.shuffle(train)
        train = train[: args.max_train]
        for part, items in (("train", train), ("test", test)):
            with open(os.path.join(args.out, part, name + ".txt"), "w", encoding="utf-8") as f:
                for x in items:
                    f.write(escape(x) + "\n")
        print(f"{name}: {len(train)} train, {len(test)} held out")


if __name__ == "__main__":
    main()
