"""Mine short request/answer pairs from corpora already gathered, for a chat-weighted round.

  python tools/train/mine_pairs.py --out .carry/pairs.jsonl.xz --max-lines 12 \
      /work/corpus-v3/js:js /work/corpus:py ...

Each argument is FOLDER:NAME, read as `{FOLDER}/{NAME}-train.jsonl.xz` (held-out files are never
read). The pairs are those `samples.extract_pairs` finds (a doc comment and the documented
function under it), kept when the function has at most --max-lines lines and stands alone: every
name it reads is a parameter, a local, itself or a language built-in. The chat panel's "write a
small function" requests want short answers that implement what is asked; most mined answers
are long, or delegate to a helper of their package that the answer does not show. Pairs whose
code repeats one already kept (white space aside) are dropped. Writes one JSON list per line:
[description, name, code, lang].
"""

import argparse
import builtins
import json
import lzma
import os
import re
import symtable
import sys
from collections import Counter
from functools import partial
from multiprocessing import Pool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from samples import extract_pairs  # noqa: E402
from sources import content_digest, js_docs  # noqa: E402

_JS_GLOBALS = frozenset("""
    Math Array Object String Number Boolean JSON Date RegExp Map Set WeakMap WeakSet Promise Symbol
    BigInt Error TypeError RangeError SyntaxError Reflect Intl parseInt parseFloat isNaN isFinite
    encodeURIComponent decodeURIComponent encodeURI decodeURI Infinity NaN undefined console
    setTimeout clearTimeout structuredClone ArrayBuffer Uint8Array Int32Array Float64Array
    Record Partial Readonly ReadonlyArray Pick Omit Exclude Extract NonNullable ReturnType Iterable
    string number boolean unknown any never void object keyof infer is asserts
""".split())
_JS_KEYWORDS = frozenset("""
    if else for while do return const let var function new typeof instanceof in of true false null
    this class extends super try catch finally throw switch case default break continue async
    await yield delete export import from as static get set type interface enum declare readonly
    public private protected
""".split())
_JS_NOISE = re.compile(r"//[^\n]*|/\*.*?\*/|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|`(?:[^`\\]|\\.)*`", re.S)
_JS_NAME = re.compile(r"(?<![\w$.])[A-Za-z_$][\w$]*")
_JS_DECLARED = re.compile(
    r"\b(?:const|let|var)\s+(\{[^}]*\}|\[[^\]]*\]|[A-Za-z_$][\w$]*)"   # locals, destructured too
    r"|\bfunction\s*\*?\s*[\w$]*\s*\(([^)]*)\)"                        # (nested) function params
    r"|\(([^()]*)\)\s*(?::[^=]{1,60})?=>|([A-Za-z_$][\w$]*)\s*=>"         # arrow params
    r"|\bcatch\s*\(([^)]*)\)")
_PY_BUILTINS = frozenset(dir(builtins))


def _code_only(m: re.Match) -> str:
    """Comments and strings go; a template literal keeps the code of its `${...}` parts."""
    text = m.group(0)
    return " ".join(re.findall(r"\$\{([^}]*)\}", text)) if text.startswith("`") else " "


def _js_standalone(code: str, name: str) -> bool:
    code = _JS_NOISE.sub(_code_only, code)
    head_end = code.find("{")
    head = code[:head_end] if head_end > 0 else ""
    # the head's names (parameters, their types and generics) count as declared
    known = set(_JS_NAME.findall(head)) | {name} | _JS_GLOBALS | _JS_KEYWORDS
    for m in _JS_DECLARED.finditer(code):
        known.update(_JS_NAME.findall(" ".join(g for g in m.groups() if g)))
    body = re.sub(r"(?<![\w$.?])[A-Za-z_$][\w$]*\s*:(?!:)", " ", code[head_end:])  # object keys
    return all(n in known or (len(n) == 1 and n.isupper()) for n in _JS_NAME.findall(body))


def _py_standalone(code: str, name: str) -> bool:
    try:
        table = symtable.symtable(code, "<pair>", "exec")
    except (SyntaxError, ValueError):
        return False
    pending = list(table.get_children())
    while pending:
        t = pending.pop()
        pending.extend(t.get_children())
        for sym in t.get_symbols():
            if sym.is_referenced() and sym.is_global() and sym.get_name() not in _PY_BUILTINS \
                    and sym.get_name() != name:
                return False
    return True


def standalone(code: str, name: str, lang: str) -> bool:
    """Every name the function reads is its own, or the language's."""
    return _py_standalone(code, name) if lang == "py" else _js_standalone(code, name)


def _pairs_of(max_lines, doc):
    return [p for p in extract_pairs(doc) if p[2].count("\n") < max_lines and standalone(p[2], p[1], p[3])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-lines", type=int, default=12, help="longest answer kept, in lines")
    ap.add_argument("corpora", nargs="+", help="FOLDER:NAME (js for npm corpora, py for Debian Python)")
    a = ap.parse_args()
    seen, kept = set(), Counter()
    with lzma.open(a.out, "wt", encoding="utf-8", preset=9) as out, Pool(os.cpu_count()) as pool:
        for spec in a.corpora:
            folder, name = spec.rsplit(":", 1)
            for pairs in pool.imap(partial(_pairs_of, a.max_lines), js_docs(folder, "train", name=name), chunksize=64):
                for desc, fn, code, lang in pairs:
                    digest = content_digest(code)
                    if digest in seen:
                        continue
                    seen.add(digest)
                    kept[lang] += 1
                    out.write(json.dumps([desc, fn, code, lang]) + "\n")
            print(f"{spec}: {dict(kept)} so far", flush=True)
    print(json.dumps({"pairs": dict(kept), "max_lines": a.max_lines}))


if __name__ == "__main__":
    main()
