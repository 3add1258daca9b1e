"""Turn source documents into training samples laid out as docs/prompt-format.md says.

  code   <|file_sep|>{path}\\n{content}
  FIM    [<|file_sep|>{other path}\\n{chunk}\\n ...] <|file_sep|>{path}\\n<|fim_suffix|>{suffix}<|fim_prefix|>{prefix}<|fim_middle|>{middle}
  chat   [<|im_start|>system\\n{system}<|im_end|>\\n] (<|im_start|>user\\n{request}<|im_end|>\\n<|im_start|>assistant\\n{reply}<|im_end|>\\n)+

Every sample is followed by <|endoftext|> when packed (the model ends a FIM middle with it).
Chat requests come from the corpus itself: a doc comment or docstring becomes "Write a
function that ...", answered by the function that follows it.
"""

import random
import re
from typing import List, Optional, Tuple

from sources import Doc

LANG = {"ts": ("TypeScript", "ts"), "js": ("JavaScript", "js"), "py": ("Python", "python"), "c": ("C++", "cpp")}
SYSTEM_PROMPTS = [
    "You are Endless, a coding assistant running locally in the editor. Answer with code.",
    "You are a helpful coding assistant.",
    "You are Endless, a small local coding assistant.",
]
REQUESTS = [
    "Write a {lang} function `{sig}` that {desc}",
    "Write a {lang} function `{sig}` that {desc}",
    "Write a {lang} function `{name}` that {desc}",
    "Write a {lang} function that {desc}",
    "Implement `{name}` in {lang}. It {desc}",
    "In {lang}, how do I write a function that {desc}?",
    "Can you write `{name}` for me? It {desc} Use {lang}.",
    "{Desc}",
]
MAX_CODE = 1500
MAX_ANSWER_LINES = 40
# Answers must stand alone: no module imports, no object state, no framework globals.
_OUTSIDE = re.compile(r"\bthis\.|\bself\.|\bcls\.|\brequire\(|^\s*(?:import|from)\s|\bsuper\(", re.M)

_JS_DOC = re.compile(
    r"/\*\*(?P<doc>(?:(?!\*/).){10,800}?)\*/[ \t]*\n(?P<indent>[ \t]*)"
    r"(?P<head>(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*(?P<fn>[A-Za-z_$][\w$]*)\s*[(<]"
    r"|(?:export\s+)?(?:const|let)\s+(?P<arrow>[A-Za-z_$][\w$]*)\s*(?::[^=\n]{1,80})?=\s*(?:async\s*)?\("
    r"|(?:(?:public|private|protected|static|async|override)\s+)*(?!(?:if|for|while|switch|catch|return|function)\b)"
    r"(?P<method>[A-Za-z_$][\w$]*)\s*\([^)\n]*\)\s*(?::[^{\n]{1,80})?\{)",
    re.S)
_METHOD_PARAMS = re.compile(r"\s*(?:self|cls)\b")
_PY_DEF = re.compile(
    r"^(?P<indent>[ \t]*)(?:async\s+)?def\s+(?P<name>\w+)\s*\((?P<params>(?:.|\n){0,400}?)\)[^\n]*:[ \t]*\n"
    r"[ \t]+[rRuU]?(?P<q>\"\"\"|''')(?P<doc>(?:.|\n){10,800}?)(?P=q)", re.M)


def code_sample(doc: Doc) -> str:
    return f"<|file_sep|>{doc.path}\n{doc.text}"


# Shares of the cut kinds (cumulative thresholds on one draw): nothing to insert, one whole
# line from its indentation, the rest of a line, 1-8 lines from an indentation, a short span.
CUTS_MIXED = (0.05, 0.35, 0.60, 0.85)
# Editor-shaped: mostly whole lines typed from the auto-indent, as the editor asks most often.
CUTS_EDITOR = (0.04, 0.60, 0.75, 0.92)
# Characters the editor keeps around the cursor at the default window, before and after it:
# the shares of src/engine/defaults.ts (EDITOR_CONTEXT) of 960 tokens at 3 characters each.
# One editor-shaped cut is taken per window's worth of a file, at most EDITOR_CUTS_MAX.
_EDITOR_WINDOW_CHARS = 960 * 3
EDITOR_PREFIX_CHARS, EDITOR_SUFFIX_CHARS = int(_EDITOR_WINDOW_CHARS * 0.5), int(_EDITOR_WINDOW_CHARS * 0.35)
EDITOR_SPAN = EDITOR_PREFIX_CHARS + EDITOR_SUFFIX_CHARS
EDITOR_CUTS_MAX = 12


def _cursor_split(text: str, rng: random.Random, cuts=CUTS_MIXED) -> Tuple[str, str, str]:
    """(prefix, middle, suffix) around a cursor, shaped like editor completions: a whole line
    typed from its indentation (the most common request: the editor has auto-indented), the
    rest of a line, a few lines from an indentation, a short span, or nothing to insert."""
    n = len(text)
    cursor = rng.randrange(0, n)
    r = rng.random()
    empty, line, rest, lines = cuts
    if r < empty:  # nothing to insert: the model should end at once
        return text[:cursor], "", text[cursor:]
    if r < line or (rest <= r < lines):  # from a line's indentation: one line, or 1-8 lines
        start = text.rfind("\n", 0, cursor) + 1
        line_end = text.find("\n", start)
        line_end = n if line_end < 0 else line_end
        cursor = start + len(text[start:line_end]) - len(text[start:line_end].lstrip(" \t"))
        if r < line:
            return text[:cursor], text[cursor:line_end], text[line_end:]
        end = cursor
        for _ in range(rng.randint(1, 8)):
            nl = text.find("\n", end)
            if nl < 0:
                end = n
                break
            end = nl + 1
        end = end - 1 if end > cursor and text[end - 1] == "\n" else end  # the suffix keeps the newline
        return text[:cursor], text[cursor:end], text[end:]
    if r < rest:  # the rest of the current line
        end = text.find("\n", cursor)
        end = n if end < 0 else end
        return text[:cursor], text[cursor:end], text[end:]
    end = min(n, cursor + rng.randint(1, 200))  # any short span
    return text[:cursor], text[cursor:end], text[end:]


def _editor_window(prefix: str, suffix: str, rng: random.Random) -> Tuple[str, str]:
    """The window the editor keeps around the cursor (src/completion/contextBuilder.ts): the
    prefix from a line start within its budget, the suffix up to the last line end within its
    budget. The budgets are the default window's (960 tokens: 1,440 and 1,008 characters) most
    of the time, otherwise drawn, so that other window settings are seen too."""
    if rng.random() < 0.7:
        p_max, s_max = EDITOR_PREFIX_CHARS, EDITOR_SUFFIX_CHARS
    else:
        p_max, s_max = rng.randint(200, 2500), rng.randint(0, 1200)
    if len(prefix) > p_max:
        start = len(prefix) - p_max
        nl = prefix.find("\n", start)
        prefix = prefix[nl + 1:] if 0 <= nl < len(prefix) - 1 else prefix[start:]
    if len(suffix) > s_max:
        nl = suffix.rfind("\n", 0, s_max + 1)
        suffix = suffix[: nl + 1] if nl > 0 else suffix[:s_max]
    return prefix, suffix


def fim_sample(doc: Doc, rng: random.Random, context: List[Doc], editor: bool = False) -> str:
    prefix, middle, suffix = _cursor_split(doc.text, rng, CUTS_EDITOR if editor else CUTS_MIXED)
    # The editor keeps a window around the cursor, not the whole file.
    if editor:
        prefix, suffix = _editor_window(prefix, suffix, rng)
    else:
        prefix = prefix[-rng.randint(200, 2500):]
        suffix = suffix[: rng.randint(0, 1200)]
    parts = []
    for other in context:
        start = rng.randrange(0, max(1, len(other.text) - 800))
        chunk = other.text[start: start + rng.randint(200, 1200)]
        parts.append(f"<|file_sep|>{other.path}\n{chunk}\n")
    parts.append(f"<|file_sep|>{doc.path}\n<|fim_suffix|>{suffix}<|fim_prefix|>{prefix}<|fim_middle|>{middle}")
    return "".join(parts)


def _clean_desc(raw: str, lang: str) -> Optional[str]:
    lines = []
    for line in raw.split("\n"):
        line = line.strip().lstrip("*").strip()
        if lang in ("ts", "js") and line.startswith("@"):
            break
        if lang == "py" and not line and lines:
            break  # first paragraph of the docstring
        if line.lower().startswith(("args:", "parameters", "returns:", ":param", "example")):
            break
        if line:
            lines.append(line)
    desc = " ".join(lines)
    desc = re.sub(r"\{@\w+\s+([^}]*)\}", r"\1", desc).strip()
    words = desc.split()
    if len(words) < 4 or len(desc) > 300 or "TODO" in desc or "http" in desc or "deprecated" in desc.lower():
        return None
    return desc


def _brace_body(text: str, start: int) -> Optional[int]:
    """End index of the function body whose '{' is the first one outside the parameter list
    after ``start``; None for a declaration with no body (an overload, a `.d.ts` signature, an
    arrow returning an expression), which ends at a ';' first. Strings and comments are not
    parsed; a short limit keeps mistakes rare and small."""
    nesting, open_at = 0, -1
    for i in range(start, min(len(text), start + 400)):
        c = text[i]
        if c in "([":
            nesting += 1
        elif c in ")]":
            nesting -= 1
        elif nesting == 0 and c == ";":
            return None
        elif nesting == 0 and c == "{":
            open_at = i
            break
    if open_at < 0:
        return None
    depth = 0
    for i in range(open_at, min(len(text), start + MAX_CODE)):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _py_body(text: str, start: int, indent: str) -> Optional[int]:
    pos = text.find("\n", start) + 1
    end = pos
    while pos < len(text):
        nl = text.find("\n", pos)
        line = text[pos: nl if nl >= 0 else len(text)]
        if line.strip() and not line.startswith(indent + " ") and not line.startswith(indent + "\t"):
            break
        pos = len(text) if nl < 0 else nl + 1
        if line.strip():
            end = pos
        if end - start > MAX_CODE:
            return None
    return end if end > start else None


def self_contained(code: str) -> bool:
    """Small enough to be an answer and free of outside dependencies."""
    return code.count("\n") < MAX_ANSWER_LINES and not _OUTSIDE.search(code)


def signature(code: str, name: str) -> str:
    """`name(a, b)`: the parameter names of the function's head, without types or defaults."""
    m = re.search(re.escape(name) + r"\s*(?:<[^>]*>)?\s*\(([^)]*)\)", code)
    if not m:
        return name
    params = []
    for p in m.group(1).split(","):
        p = re.split(r"[:=]", p.strip())[0].strip()
        if p and p not in ("self", "cls"):
            params.append(p)
    return f"{name}({', '.join(params)})"


def extract_pairs(doc: Doc) -> List[Tuple[str, str, str, str]]:
    """(description, function name, code, lang) for documented, self-contained functions in ``doc``."""
    out = []
    if doc.lang in ("ts", "js"):
        for m in _JS_DOC.finditer(doc.text):
            desc = _clean_desc(m.group("doc"), doc.lang)
            end = _brace_body(doc.text, m.start("head")) if desc else None
            if end is None:
                continue
            code = doc.text[m.start("head"): end]
            if not self_contained(code):
                continue
            out.append((desc, m.group("fn") or m.group("arrow") or m.group("method"), _dedent(code, m.group("indent")), doc.lang))
    elif doc.lang == "py":
        for m in _PY_DEF.finditer(doc.text):
            desc = _clean_desc(m.group("doc"), "py")
            end = _py_body(doc.text, m.start(), m.group("indent")) if desc else None
            # private helpers, and methods: a request for a function should not get `self`
            if end is None or m.group("name").startswith("_") or _METHOD_PARAMS.match(m.group("params")):
                continue
            code = doc.text[m.start(): end].rstrip()
            if not self_contained(code):
                continue
            out.append((desc, m.group("name"), _dedent(code, m.group("indent")), "py"))
    return out


def _dedent(code: str, indent: str) -> str:
    if not indent:
        return code
    return "\n".join(line[len(indent):] if line.startswith(indent) else line for line in code.split("\n"))


def _request(desc: str, name: str, lang: str, rng: random.Random, sig: str = "") -> str:
    lang_name = LANG[lang][0]
    lowered = desc[0].lower() + desc[1:] if desc[:1].isupper() and not desc[1:2].isupper() else desc
    lowered = lowered.rstrip(".")
    tpl = rng.choice(REQUESTS)
    if tpl == "{Desc}":
        return f"{desc.rstrip('.')}. Write it in {lang_name}."
    return tpl.format(lang=lang_name, name=name, sig=sig or name, desc=lowered + ("" if tpl.endswith("?") else "."),
                      Desc=desc).replace("..", ".").replace(".?", "?")


def chat_sample(pairs: List[Tuple[str, str, str, str]], rng: random.Random) -> str:
    parts = []
    if rng.random() < 0.5:
        parts.append(f"<|im_start|>system\n{rng.choice(SYSTEM_PROMPTS)}<|im_end|>\n")
    for desc, name, code, lang in pairs:
        fence = LANG[lang][1]
        parts.append(f"<|im_start|>user\n{_request(desc, name, lang, rng, signature(code, name))}<|im_end|>\n")
        parts.append(f"<|im_start|>assistant\n```{fence}\n{code}\n```<|im_end|>\n")
    return "".join(parts)


def doc_samples(docs: List[Doc], seed: int, fim_rate: float = 0.6, editor: bool = False) -> Tuple[List[str], List[Tuple]]:
    """Samples for a batch of neighbouring docs (same package, so FIM context chunks come
    from sibling files, as in the editor) and the chat pairs found in them. ``editor``: FIM
    cuts and windows shaped like the editor's requests (see _editor_window)."""
    rng = random.Random(seed)
    samples, pairs = [], []
    for i, doc in enumerate(docs):
        if rng.random() < fim_rate:
            # An editor window keeps ~1.9K characters around its cursor: one cut of a long file
            # would leave most of it unused, so editor-shaped FIM takes a cut per window's worth.
            cuts = min(EDITOR_CUTS_MAX, 1 + len(doc.text) // EDITOR_SPAN) if editor else 1
            for _ in range(cuts):
                k = rng.choice((0, 0, 1, 2))
                context = [d for d in docs[max(0, i - k): i] if d.lang == doc.lang]
                samples.append(fim_sample(doc, rng, context, editor))
        else:
            samples.append(code_sample(doc))
        pairs.extend(extract_pairs(doc))
    return samples, pairs
