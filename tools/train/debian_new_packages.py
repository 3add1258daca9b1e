"""The python3-* packages of later Debian suites that an earlier suite lacks, as a curl config.

  python3 tools/train/debian_new_packages.py --mirror http://deb.debian.org/debian \\
      --suites bookworm trixie sid --out DEBS/curl.cfg
  curl --parallel --parallel-max 16 -K DEBS/curl.cfg          # the .deb files into DEBS/
  python3 tools/train/gather_debian.py --debs HELD DEBS --anywhere --known OLD/py-train.jsonl.xz ...

The first suite is the one earlier corpora came from; each later suite adds the packages that no
suite before it names (new upstream projects, not new versions of known ones, whose files
would mostly repeat). `-dbg` and `-doc` packages are left out, as in the first suite.
"""

import argparse
import io
import lzma
import os
import re
import urllib.request
from typing import Dict, List, Optional


def fetch_index(mirror: str, path: str) -> List[str]:
    """The stanzas of an .xz index of the archive (a Packages or Sources file)."""
    with urllib.request.urlopen(f"{mirror}/{path}") as r:
        return lzma.open(io.BytesIO(r.read()), "rt", encoding="utf-8").read().split("\n\n")


def packages(mirror: str, suite: str, field: str = "Filename") -> Dict[str, Optional[str]]:
    """{package: the first word of `field`, or None where the stanza lacks it} of a suite's
    main/binary-amd64 index (arch: all included)."""
    out: Dict[str, Optional[str]] = {}
    for stanza in fetch_index(mirror, f"dists/{suite}/main/binary-amd64/Packages.xz"):
        name = re.search(r"^Package:\s*(\S+)", stanza, re.M)
        value = re.search(rf"^{field}:\s*(\S+)", stanza, re.M)
        if name:
            out[name.group(1)] = value.group(1) if value else None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mirror", default="http://deb.debian.org/debian")
    ap.add_argument("--suites", nargs="+", required=True, help="the earlier suite first, then the later ones")
    ap.add_argument("--out", required=True, help="curl config to write (the .deb files go beside it)")
    a = ap.parse_args()
    known = set(packages(a.mirror, a.suites[0]))
    folder = os.path.dirname(os.path.abspath(a.out))
    lines = []
    for suite in a.suites[1:]:
        index = packages(a.mirror, suite)
        new = sorted(p for p in index if p.startswith("python3-") and not p.endswith(("-dbg", "-doc"))
                     and p not in known)
        for p in new:
            lines.append(f'url = "{a.mirror}/{index[p]}"\noutput = "{folder}/{os.path.basename(index[p])}"\n')
        print(f"{suite}: {len(new)} new python3-* packages")
        known |= set(index)
    with open(a.out, "w") as f:
        f.write("".join(lines))


if __name__ == "__main__":
    main()
