"""Build the Debian Python part of the training corpus from python3-* package files.

  apt-get update && apt-get download python3-...     (.deb files into one folder)
  python3 tools/train/gather_debian.py --debs DIR --out .corpus

Output (in --out, the ignored folder that travels to the GPU machine):
  py-train.jsonl.xz         {"path": "<module path under dist-packages>", "text": ...}
  py-heldout-modules.txt    top-level modules of the held-out packages: the training machine's
                            own copies of them are dropped too
and MANIFEST-debian.tsv beside this script: package, version, licence, bytes kept, split.

Kept: .py files under usr/lib/python3/dist-packages (with --anywhere, every .py file under usr/:
applications, examples, the standard library) of packages whose machine-readable
copyright file (usr/share/doc/<package>/copyright) gives only permissive licences for the
upstream files. Held out: the packages listed in tools/eval/heldout-debian.txt (3% of names by
hash), whole, and no training file may repeat one of theirs: pass their folder in --debs too.
Files pass the same cleanliness tests as the rest (sources.is_clean). --known names earlier
corpora (py-train.jsonl.xz files): a file they hold, or one differing only in white space, is
left out, so a later suite (trixie, sid) adds only new code.
"""

import argparse
import io
import lzma
import os
import re
import subprocess
import sys
import tarfile
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sources import content_digest, known_digests, write_new_files  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PERMISSIVE = re.compile(
    r"^(expat|mit|mit-0|isc|bsd-2-clause|bsd-3-clause|bsd-4-clause|bsd|apache-2\.0|apache-2|apache|"
    r"psf|psf-2|psf-2\.0|python|python-2\.0|zlib|unlicense|cc0|cc0-1\.0|public-domain|0bsd|zope-2\.1|hpnd|"
    r"x11|mpl-2\.0)$", re.I)
DIST = "usr/lib/python3/dist-packages/"
# Where a .py file lies outside dist-packages: the part of its path that names it.
_ELSEWHERE = re.compile(r"^usr/(?:lib/python3\.\d+/(?:dist-packages/|site-packages/)?|share/doc/|share/|lib/|)(?P<rel>.+\.py)$")
MAX_PACKAGE_BYTES = 1_500_000
MAX_FILE_BYTES = 200_000


def licences(copyright_text: str) -> Optional[List[str]]:
    """Licence names of the upstream (non-debian/*) Files stanzas of a DEP-5 copyright file,
    or None when the file is not machine-readable."""
    if "Format:" not in copyright_text[:400]:
        return None
    names = []
    for stanza in re.split(r"\n\s*\n", copyright_text):
        files = re.search(r"^Files:\s*(.+(?:\n[ \t].+)*)", stanza, re.M)
        lic = re.search(r"^License:\s*(.+)$", stanza, re.M)
        if not files or not lic:
            continue
        if all(f.startswith("debian/") for f in files.group(1).split()):
            continue
        names.append(lic.group(1).strip())
    return names or None


def permissive(names: List[str]) -> bool:
    """Every stanza has a permissive option (`A or B` needs one of them, `A and B` both)."""
    for name in names:
        options = re.split(r"\s+or\s+", name, flags=re.I)
        if not any(all(PERMISSIVE.match(part.strip(" ()")) for part in re.split(r"\s+and\s+|,", opt, flags=re.I))
                   for opt in options):
            return False
    return True


def module_path(name: str, anywhere: bool) -> Optional[str]:
    """The path a .py file of a package is known by (relative to dist-packages, the standard
    library or its application folder), or None when it is not kept."""
    if name.startswith(DIST):
        return name[len(DIST):]
    m = _ELSEWHERE.match(name) if anywhere else None
    return m.group("rel") if m else None


def read_deb(path: str, anywhere: bool = False) -> Tuple[Optional[str], Dict[str, str]]:
    """(copyright text, {module path: text}) of one .deb."""
    data = subprocess.run(["dpkg-deb", "--fsys-tarfile", path], capture_output=True, check=True).stdout
    copyright_text = None
    files: Dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for m in tar.getmembers():
            name = m.name.lstrip("./")
            if not m.isfile():
                continue
            if name.startswith("usr/share/doc/") and name.endswith("/copyright"):
                copyright_text = tar.extractfile(m).read().decode("utf-8", "replace")
            elif name.endswith(".py") and m.size <= MAX_FILE_BYTES and (rel := module_path(name, anywhere)):
                try:
                    files[rel] = tar.extractfile(m).read().decode("utf-8")
                except UnicodeDecodeError:
                    pass
    return copyright_text, files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--debs", nargs="+", required=True, help="folders of .deb files")
    ap.add_argument("--out", required=True)
    ap.add_argument("--heldout", default=os.path.join(HERE, "..", "eval", "heldout-debian.txt"))
    ap.add_argument("--manifest", default=os.path.join(HERE, "MANIFEST-debian.tsv"))
    ap.add_argument("--anywhere", action="store_true", help="keep .py files outside dist-packages too")
    ap.add_argument("--known", nargs="*", default=[], help="earlier corpora (.jsonl.xz) whose files are left out")
    ap.add_argument("--max-package-mb", type=float, default=MAX_PACKAGE_BYTES / 1e6,
                    help="text kept per package, files in path order (so one large project cannot crowd out "
                         "the rest); with --known naming the earlier corpora, a larger value gathers what "
                         "an earlier run's limit left out")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    held = {line.split("=")[0].strip() for line in open(a.heldout) if line.strip()}
    rows = []
    held_modules = set()
    seen = known_digests(a.known)
    skipped: Dict[str, int] = {}
    debs = sorted({f: os.path.join(d, f) for d in a.debs for f in os.listdir(d) if f.endswith(".deb")}.values())
    # held-out packages first, so that their files are known before any training file is kept
    debs.sort(key=lambda p: os.path.basename(p).split("_")[0] not in held)
    with lzma.open(os.path.join(a.out, "py-train.jsonl.xz"), "wt", encoding="utf-8", preset=6) as out:
        for path in debs:
            package, version = os.path.basename(path).split("_")[:2]
            version = version.replace("%3a", ":")
            try:
                copyright_text, files = read_deb(path, a.anywhere)
            except (subprocess.CalledProcessError, tarfile.TarError) as e:
                print(f"skip {path}: {e}")
                continue
            if not files:
                continue
            if package in held:
                held_modules.update(rel.split("/")[0].removesuffix(".py") for rel in files)
                seen.update(content_digest(text) for text in files.values())
                rows.append((package, version, "-", sum(len(t) for t in files.values()), "heldout"))
                continue
            names = licences(copyright_text or "")
            if names is None or not permissive(names):
                skipped["licence"] = skipped.get("licence", 0) + 1
                continue
            # a held-out module shipped again under another package's name stays held out
            kept = write_new_files(out, sorted(files.items()), seen, a.max_package_mb * 1e6,
                                   lambda rel: rel.split("/")[0].removesuffix(".py") in held_modules)
            if kept:
                rows.append((package, version, " | ".join(sorted(set(names))), kept, "train"))
    with open(os.path.join(a.out, "py-heldout-modules.txt"), "w") as f:
        f.write("".join(f"{m}\n" for m in sorted(held_modules)))
    with open(a.manifest, "w", encoding="utf-8") as f:
        f.write("package\tversion\tlicence\tbytes\tsplit\n")
        for row in sorted(rows):
            f.write("\t".join(str(x) for x in row) + "\n")
    train = [r for r in rows if r[4] == "train"]
    print(f"debian: {len(train)} packages kept ({sum(r[3] for r in train) / 1e6:.1f} MB), "
          f"{len(rows) - len(train)} held out ({len(held_modules)} modules); skipped {skipped}; "
          f"py-train.jsonl.xz {os.path.getsize(os.path.join(a.out, 'py-train.jsonl.xz')) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
