"""Python that Debian's source packages hold and their binary packages do not install: test
suites, examples, build and documentation scripts of the packages gather_debian.py kept.

  python3 tools/train/gather_debian_sources.py list --manifest tools/train/MANIFEST-debian.tsv \\
      --out SRC/curl.cfg                          # the upstream tarballs of those packages
  curl --parallel --parallel-max 16 -K SRC/curl.cfg
  python3 tools/train/gather_debian_sources.py gather --manifest tools/train/MANIFEST-debian.tsv \\
      --tarballs SRC --known PY/py-train.jsonl.xz --heldout-modules PY/py-heldout-modules.txt \\
      --out PYSRC

A source package is read only when every binary package of it that the manifest lists is kept
for training (so its licences were found permissive) and none is held out; the licence file
of a binary package is its source's `debian/copyright`, so the same decision covers the
upstream tarball. Files that an earlier corpus holds (white space aside) are left out, so only
what the binary packages do not install is added, and so are the files of held-out modules
under any name. Output: `py-train.jsonl.xz` ({"path": "<source>/<path>", "text": ...}) and
`MANIFEST.tsv` (source, version, bytes kept).
"""

import argparse
import lzma
import os
import re
import sys
import tarfile
from typing import Dict, Iterator, Set, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from debian_new_packages import fetch_index, packages  # noqa: E402
from gather_debian import MAX_FILE_BYTES, MAX_PACKAGE_BYTES  # noqa: E402
from sources import known_digests, write_new_files  # noqa: E402

# An upstream tarball (or one of its components), or a native package's only one; not debian/.
UPSTREAM = re.compile(r"^(?P<source>[^_]+)_(?P<version>[^_]+?)(\.orig(-[\w-]+)?)?\.tar\.\w+$")


def upstream_tarball(file: str):
    """The match of UPSTREAM (source, version) for an upstream tarball's file name, else None."""
    return None if ".debian.tar." in file else UPSTREAM.match(file)


def manifest_sources(mirror: str, suite: str, manifest: str) -> Set[str]:
    """The source packages whose binaries in the manifest are all kept for training."""
    # a binary package without a Source field is built from the source of its own name
    binaries = {package: source or package for package, source in packages(mirror, suite, "Source").items()}
    split_of: Dict[str, Set[str]] = {}
    for line in open(manifest, encoding="utf-8").read().splitlines()[1:]:
        package, _, _, _, split = line.split("\t")[:5]
        split_of.setdefault(binaries.get(package, package), set()).add(split)
    return {s for s, splits in split_of.items() if splits == {"train"}}


def list_tarballs(a: argparse.Namespace) -> None:
    wanted = manifest_sources(a.mirror, a.suite, a.manifest)
    lines = []
    for stanza in fetch_index(a.mirror, f"dists/{a.suite}/main/source/Sources.xz"):
        name = re.search(r"^Package:\s*(\S+)", stanza, re.M)
        if not name or name.group(1) not in wanted:
            continue
        folder = re.search(r"^Directory:\s*(\S+)", stanza, re.M).group(1)
        for file in re.findall(r"^ [0-9a-f]{32} \d+ (\S+)$", stanza, re.M):
            if upstream_tarball(file):
                lines.append(f'url = "{a.mirror}/{folder}/{file}"\noutput = "{os.path.dirname(os.path.abspath(a.out))}/{file}"\n')
    with open(a.out, "w") as f:
        f.write("".join(lines))
    print(f"{len(wanted)} source packages, {len(lines)} tarballs")


def python_files(path: str) -> Iterator[Tuple[str, str]]:
    """(path below the tarball's top folder, text) of its .py files of at most MAX_FILE_BYTES."""
    with tarfile.open(path) as tar:
        for m in tar:
            if m.isfile() and m.name.endswith(".py") and m.size <= MAX_FILE_BYTES:
                try:
                    yield m.name.split("/", 1)[-1], tar.extractfile(m).read().decode("utf-8")
                except UnicodeDecodeError:
                    pass


def gather(a: argparse.Namespace) -> None:
    wanted = manifest_sources(a.mirror, a.suite, a.manifest)
    seen = known_digests(a.known)
    held_modules = set(open(a.heldout_modules).read().split()) if a.heldout_modules else set()
    os.makedirs(a.out, exist_ok=True)
    kept_of: Dict[Tuple[str, str], int] = {}
    with lzma.open(os.path.join(a.out, "py-train.jsonl.xz"), "wt", encoding="utf-8", preset=6) as out:
        for file in sorted(os.listdir(a.tarballs)):
            m = upstream_tarball(file)
            if not m or m.group("source") not in wanted:
                continue
            files = []  # what a download that failed or was cut short held before the fault is kept
            try:
                files.extend(python_files(os.path.join(a.tarballs, file)))
            except (tarfile.TarError, EOFError, OSError) as e:
                print(f"skip {file}: {str(e).splitlines()[0]}")
            kept = write_new_files(out, files, seen, MAX_PACKAGE_BYTES,
                                   lambda rel: any(p.removesuffix(".py") in held_modules for p in rel.split("/")),
                                   prefix=f"{m.group('source')}/")
            if kept:
                key = (m.group("source"), m.group("version"))
                kept_of[key] = kept_of.get(key, 0) + kept
    rows = sorted((s, v, b) for (s, v), b in kept_of.items())
    with open(os.path.join(a.out, "MANIFEST.tsv"), "w", encoding="utf-8") as f:
        f.write("source\tversion\tbytes\n" + "".join(f"{s}\t{v}\t{b}\n" for s, v, b in rows))
    print(f"debian sources: {len(rows)} packages, {sum(r[2] for r in rows) / 1e6:.1f} MB of Python the corpora did not hold")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["list", "gather"])
    ap.add_argument("--mirror", default="http://deb.debian.org/debian")
    ap.add_argument("--suite", default="bookworm")
    ap.add_argument("--manifest", required=True, help="gather_debian.py's manifest: which binary packages were kept")
    ap.add_argument("--out", required=True, help="list: the curl config to write; gather: the output folder")
    ap.add_argument("--tarballs", help="gather: the folder the tarballs were downloaded to")
    ap.add_argument("--known", nargs="*", default=[], help="gather: corpora (.jsonl.xz) whose files are left out")
    ap.add_argument("--heldout-modules", help="gather: py-heldout-modules.txt of the Debian corpus")
    a = ap.parse_args()
    (list_tarballs if a.step == "list" else gather)(a)


if __name__ == "__main__":
    main()
