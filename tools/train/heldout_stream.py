"""Write tools/train/heldout-stream.txt: one long stream of held-out TypeScript/JavaScript.

The files come from npm packages that no training window ever saw (gather_corpus.py holds out
whole packages). Declaration files are left out. Each file is preceded by a `// file:` line, as a user's session would move
from file to file. Used for the perplexity table of the model card and by benchmarks.

  python3 tools/train/heldout_stream.py --corpus .corpus [--chars 150000]
"""

import argparse
import json
import lzma
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--chars", type=int, default=150_000)
    ap.add_argument("--out", default=os.path.join(HERE, "heldout-stream.txt"))
    a = ap.parse_args()
    docs = []
    with lzma.open(os.path.join(a.corpus, "js-heldout.jsonl.xz"), "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            text = d["text"]
            declaration = d["path"].endswith((".d.ts", ".d.mts", ".d.cts"))
            if (not declaration and 1_000 <= len(text) <= 12_000 and "<|" not in text
                    and max(map(len, text.split("\n"))) < 200):
                docs.append(d)
    random.Random(42).shuffle(docs)
    # TypeScript first (the product's main language), then JavaScript, spread over packages.
    docs.sort(key=lambda d: 0 if d["path"].endswith((".ts", ".mts", ".tsx")) else 1)
    out, total, per_pkg = [], 0, {}
    for d in docs:
        pkg = d["path"].split("/")[0]
        if per_pkg.get(pkg, 0) >= 4:
            continue
        per_pkg[pkg] = per_pkg.get(pkg, 0) + 1
        out.append(f"// file: {d['path']}\n{d['text'].rstrip()}\n\n")
        total += len(out[-1])
        if total >= a.chars:
            break
    random.Random(1).shuffle(out)
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("".join(out))
    print(f"{a.out}: {total} chars from {len(out)} files of {len(per_pkg)} packages")


if __name__ == "__main__":
    main()
