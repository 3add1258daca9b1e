"""Where the training documents come from, and which are held out.

  * TypeScript/JavaScript: the jsonl.xz files built by gather_corpus.py (npm packages; whole
    packages are held out there);
  * Python from Debian's archive: the py-train.jsonl.xz file built by gather_debian.py
    (python3-* packages under permissive licences; whole packages are held out there, and
    their top-level modules are listed in py-heldout-modules.txt);
  * Python and C/C++: source files already installed on the training machine (site-packages,
    the standard library, include folders). A file is held out when its top-level package or
    folder is, so held-out code is never seen in training, not even as a near-copy; files of a
    module held out from the Debian part are dropped altogether.
"""

import hashlib
import json
import lzma
import os
import re
import zlib
import site
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any, Callable, Iterable, Iterator, List, Optional, Tuple

SPECIAL_MARK = "<|"  # documents containing special-token text are dropped (see is_clean)
SPECIAL_TEXTS = ("<|bos|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|fim_prefix|>",
                 "<|fim_middle|>", "<|fim_suffix|>", "<|file_sep|>")
PY_EXT = (".py",)
C_EXT = (".h", ".hpp", ".hh", ".hxx", ".c", ".cc", ".cpp", ".cxx", ".cu", ".cuh", ".inl")
MAX_FILE = 200_000
HELDOUT_PERCENT = 3
_SPACE = re.compile(r"\s+")


@dataclass
class Doc:
    lang: str  # "ts", "js", "py", "c"
    path: str
    text: str
    group: str  # package / top-level folder: the unit of the train/held-out split


def lang_of(path: str) -> str:
    if path.endswith((".ts", ".tsx", ".mts", ".cts")):
        return "ts"
    if path.endswith(PY_EXT):
        return "py"
    if path.endswith(C_EXT):
        return "c"
    return "js"


def is_clean(text: str) -> bool:
    """Readable hand-written source: not minified, not huge, no special-token text in it
    (which would otherwise be parsed as the real control tokens)."""
    if len(text) < 64 or len(text) > MAX_FILE:
        return False
    if SPECIAL_MARK in text and any(s in text for s in SPECIAL_TEXTS):
        return False
    lines = text.count("\n") + 1
    if len(text) / lines > 90:
        return False
    if max(len(line) for line in text.split("\n")) > 1000:
        return False
    return not repetitive(text)


def repetitive(text: str) -> bool:
    """Tables, generated lists and copy-paste runs: text that compresses far better than code
    does, or whose lines are mostly repeats. Such files teach a model to loop."""
    if len(text) >= 2000 and len(zlib.compress(text.encode("utf-8", "ignore"), 6)) < 0.12 * len(text):
        return True
    lines = [line.strip() for line in text.split("\n") if len(line.strip()) > 8]
    return len(lines) >= 20 and len(set(lines)) < 0.5 * len(lines)

def held_out(group: str) -> bool:
    return int(hashlib.sha1(group.encode()).hexdigest(), 16) % 100 < HELDOUT_PERCENT


def json_lines(path: str) -> Iterator[Any]:
    """The JSON values of an .xz file of JSON lines (corpus records, mined pairs); a stream cut
    short (a snapshot of a corpus still being written) ends at its last complete line."""
    with lzma.open(path, "rt", encoding="utf-8") as f:
        try:
            for line in f:
                try:
                    yield json.loads(line)
                except ValueError:
                    return
        except (EOFError, lzma.LZMAError):
            return


def package_of(path: str, name: str = "js") -> str:
    """The package a corpus path belongs to: its first folder (two for a scoped npm name); a
    Debian top-level module file counts as its module."""
    parts = path.split("/")
    pkg = "/".join(parts[:2]) if path.startswith("@") else parts[0]
    return pkg[:-3] if name == "py" and pkg.endswith(".py") else pkg


def js_docs(corpus_dir: str, split: str, limit_bytes: Optional[int] = None, name: str = "js") -> Iterator[Doc]:
    """Documents of `{name}-{split}.jsonl.xz` (npm: js; Debian Python: py)."""
    total = 0
    path = os.path.join(corpus_dir, f"{name}-{split}.jsonl.xz")
    if not os.path.exists(path):
        return
    for d in json_lines(path):
        if not is_clean(d["text"]):
            continue
        yield Doc(lang_of(d["path"]), d["path"], d["text"], package_of(d["path"], name))
        total += len(d["text"])
        if limit_bytes and total >= limit_bytes:
            return


def _roots(kind: str) -> List[str]:
    if kind == "py":
        roots = list(site.getsitepackages()) + [sysconfig.get_paths()["stdlib"]]
    else:
        roots = ["/usr/include", "/usr/local/include", "/usr/local/cuda/include"] + list(site.getsitepackages())
    out = []
    for r in roots:
        r = os.path.realpath(r)
        if os.path.isdir(r) and not any(r == o or r.startswith(o + "/") for o in out):
            out.append(r)
    return out


def _walk(root: str, exts: Tuple[str, ...]) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", "tests_data", "node_modules"))
        for fn in sorted(filenames):
            if fn.endswith(exts):
                yield os.path.join(dirpath, fn)


def _read(path: str) -> Optional[str]:
    try:
        if os.path.getsize(path) > MAX_FILE:
            return None
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def disk_docs(kind: str, limit_bytes: Optional[int] = None, every: int = 1,
              exclude: frozenset = frozenset()) -> Tuple[List[Doc], List[Doc], dict]:
    """(train, held-out, per-group byte counts) of the Python or C/C++ files on this machine;
    ``every`` > 1 takes every n-th file (a spread-out sample for quick runs); files of the
    groups in ``exclude`` (modules held out elsewhere) are skipped."""
    exts = PY_EXT if kind == "py" else C_EXT
    paths: List[Tuple[str, str]] = []
    for root in _roots(kind):
        for p in _walk(root, exts):
            paths.append((root, p))
    paths = paths[::every]
    train: List[Doc] = []
    heldout: List[Doc] = []
    groups: dict = {}
    total = 0
    with ThreadPoolExecutor(32) as pool:
        for (root, p), text in zip(paths, pool.map(lambda rp: _read(rp[1]), paths)):
            if text is None or not is_clean(text):
                continue
            rel = os.path.relpath(p, root)
            group = rel.split("/")[0]
            if (group[:-3] if group.endswith(".py") else group) in exclude:
                continue
            doc = Doc(kind if kind == "py" else "c", rel, text, group)
            (heldout if held_out(group) else train).append(doc)
            groups[group] = groups.get(group, 0) + len(text)
            total += len(text)
            if limit_bytes and total >= limit_bytes:
                break
    return train, heldout, groups


def content_digest(text: str) -> bytes:
    """Equal for texts that differ only in white space (the same file in two versions of a
    package, re-indented or re-wrapped copies)."""
    return hashlib.sha256(_SPACE.sub("", text).encode()).digest()


def known_digests(paths: Iterable[str]) -> set:
    """The content_digest of every text in these corpora (.jsonl.xz): what a new gather leaves out."""
    return {content_digest(rec["text"]) for path in paths for rec in json_lines(path)}


def write_new_files(out: IO[str], files: Iterable[Tuple[str, str]], seen: set, limit_bytes: float,
                    held: Callable[[str], bool], prefix: str = "") -> int:
    """Write one package's (path, text) files, in the order given, to a .jsonl corpus as
    {"path": prefix + path, "text"} until `limit_bytes` of text are kept; unclean files, those
    `held` names and those whose content_digest is in `seen` (which grows) are left out. Returns
    the bytes kept."""
    kept = 0
    for rel, text in files:
        if kept >= limit_bytes or not is_clean(text) or held(rel):
            continue
        digest = content_digest(text)
        if digest in seen:
            continue
        seen.add(digest)
        out.write(json.dumps({"path": prefix + rel, "text": text}, ensure_ascii=False) + "\n")
        kept += len(text)
    return kept


def dedup(docs: Iterable[Doc], seen: set) -> List[Doc]:
    """Drops exact and near duplicates: texts with the same content_digest."""
    out = []
    for d in docs:
        h = content_digest(d.text)
        if h not in seen:
            seen.add(h)
            out.append(d)
    return out
