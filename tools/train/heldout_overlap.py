"""Which held-out source files a training copy holds, white space aside.

  python3 tools/train/heldout_overlap.py --heldout tools/eval/.data/npm R4/js-train.jsonl.xz ...

--heldout is a folder (the evaluations' held-out packages, as tools/eval/fetch_heldout.sh
leaves them) or a .jsonl.xz corpus file (a held-out split). Prints, for each training file, how
many held-out files it holds and in which packages they came, so that a new round's data can be
checked before it is trained on (model card, stage 3). --list writes the held-out files found:
tools/eval/heldout-npm-seen.txt is that list for every training split gathered so far, and the
completion evaluation never samples a line from those files.
"""

import argparse
import json
import os
import sys
from collections import defaultdict
from typing import Dict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gather_corpus import EXTENSIONS  # noqa: E402
from sources import json_lines, content_digest, package_of  # noqa: E402

MIN_CHARS = 200  # shorter files (re-exports, stubs) are the same in many packages by nature


def heldout_digests(source: str) -> Dict[bytes, str]:
    found = {}
    if os.path.isdir(source):
        for folder, _, names in os.walk(source):
            for name in names:
                if not name.endswith(EXTENSIONS):
                    continue
                path = os.path.join(folder, name)
                try:
                    with open(path, encoding="utf-8") as f:
                        text = f.read()
                except (OSError, UnicodeDecodeError):
                    continue
                if len(text) >= MIN_CHARS:
                    found[content_digest(text)] = os.path.relpath(path, source)
    else:
        for rec in json_lines(source):
            if len(rec["text"]) >= MIN_CHARS:
                found[content_digest(rec["text"])] = rec["path"]
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--list", help="also write the held-out files found, one path (as under --heldout) per line")
    ap.add_argument("train", nargs="+", help="training copies (.jsonl.xz)")
    a = ap.parse_args()
    held = heldout_digests(a.heldout)
    print(f"held-out files: {len(held)}")
    seen = set()
    for path in a.train:
        hits, total = defaultdict(set), 0
        for rec in json_lines(path):
            digest = content_digest(rec["text"])
            if digest in held:
                total += 1
                hits[package_of(rec["path"])].add(package_of(held[digest]))
                seen.add(held[digest])
        print(json.dumps({"train": path, "heldout_files_found": total,
                          "by_training_package": {k: sorted(v) for k, v in sorted(hits.items())}}))
    if a.list:
        with open(a.list, "w", encoding="utf-8") as f:
            f.write("".join(f"{p}\n" for p in sorted(seen)))


if __name__ == "__main__":
    main()
