"""A smaller copy of a prepared corpus file that fits what one GPU call may carry.

  python tools/train/subsample_corpus.py --src /work/corpus --out .carry/corpus \
      --name js --mb 10.5 [--first-ext .ts,.tsx] [--seed 5]

Reads `{src}/{name}-train.jsonl.xz`, drops what prepare_data.py would drop anyway (unclean or
repetitive files, near-duplicates: sources.is_clean / sources.dedup), then keeps whole
packages in a seeded random order until the compressed output reaches --mb megabytes (xz -9).
Packages holding a file with one of --first-ext come first (TypeScript is scarce on npm).
--skip-manifest drops the packages an npm manifest (MANIFEST.tsv) lists as trained on, so that
a model trained on from shipped weights sees only code it has not seen. --heldout drops every
file that is also one of the evaluations' held-out files (white space aside: a package may bundle
another, held-out one), so that a copy never trains on what the evaluations sample.
Writes `{out}/{name}-train.jsonl.xz` and prints what was kept.
"""

import argparse
import json
import lzma
import os
import random
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heldout_overlap import heldout_digests  # noqa: E402
from sources import Doc, content_digest, json_lines, dedup, is_clean, package_of  # noqa: E402


def trained_packages(manifest: str) -> set:
    with open(manifest, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    return {row[0] for row in rows if row[4] == "train"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", required=True, help="js (npm) or py (Debian Python)")
    ap.add_argument("--mb", type=float, required=True, help="compressed size to stop at, in MB")
    ap.add_argument("--first-ext", default="", help="comma-separated extensions whose packages come first")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--skip-manifest", help="a MANIFEST.tsv whose training packages are left out")
    ap.add_argument("--heldout", help="the evaluations' held-out packages (tools/eval/.data/npm): their files are dropped")
    ap.add_argument("--kept", help="write the names of the kept packages here, one per line")
    a = ap.parse_args()
    skip = trained_packages(a.skip_manifest) if a.skip_manifest else set()

    held = heldout_digests(a.heldout) if a.heldout else {}
    packages = defaultdict(list)
    seen, dropped, left_out, held_found = set(), 0, set(), 0
    for rec in json_lines(os.path.join(a.src, f"{a.name}-train.jsonl.xz")):
        if not is_clean(rec["text"]):
            dropped += 1
            continue
        if held and content_digest(rec["text"]) in held:
            held_found += 1
            continue
        doc = Doc("", rec["path"], rec["text"], package_of(rec["path"], a.name))
        if doc.group in skip:
            left_out.add(doc.group)
            continue
        if dedup([doc], seen):
            packages[doc.group].append(rec)
        else:
            dropped += 1
    names = sorted(packages)
    random.Random(a.seed).shuffle(names)
    first = tuple(e for e in a.first_ext.split(",") if e)
    if first:
        names.sort(key=lambda n: not any(r["path"].endswith(first) for r in packages[n]))

    os.makedirs(a.out, exist_ok=True)
    out_path = os.path.join(a.out, f"{a.name}-train.jsonl.xz")
    # Raw bytes per compressed byte, measured on the first packages, decide where to stop;
    # the output is written once, at the best setting.
    budget = a.mb * 1e6
    probe = "".join(json.dumps(r) + "\n" for n in names[:200] for r in packages[n]).encode()
    ratio = len(probe) / max(1, len(lzma.compress(probe, preset=9)))
    kept, kept_names, raw, chars, by_ext = [], [], 0, 0, defaultdict(int)
    for n in names:
        lines = "".join(json.dumps(r) + "\n" for r in packages[n]).encode()
        if (raw + len(lines)) / ratio > budget:
            continue
        kept.append(lines)
        kept_names.append(n)
        raw += len(lines)
        for r in packages[n]:
            chars += len(r["text"])
            by_ext[os.path.splitext(r["path"])[1]] += len(r["text"])
    with lzma.open(out_path, "wb", preset=9) as f:
        for lines in kept:
            f.write(lines)
    if a.kept:
        with open(a.kept, "w", encoding="utf-8") as f:
            f.write("".join(f"{n}\n" for n in sorted(kept_names)))
    print(json.dumps({"file": out_path, "bytes": os.path.getsize(out_path), "packages": len(kept),
                      "of_packages": len(names), "left_out_packages": len(left_out), "dropped_docs": dropped, "heldout_files_dropped": held_found, "text_mb": round(chars / 1e6, 1),
                      "text_mb_by_ext": {k: round(v / 1e6, 1) for k, v in sorted(by_ext.items(), key=lambda kv: -kv[1])[:8]}}))


if __name__ == "__main__":
    main()
