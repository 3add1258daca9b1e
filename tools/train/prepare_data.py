"""Train the tokenizer and build the training windows (run on the training machine).

  python tools/train/prepare_data.py --corpus .corpus --out /tmp/endless [--smoke] [--deadline EPOCH]

Writes to --out: tokenizer.json, train.npy (uint16 [windows, 1025]: <|bos|> + 1024 tokens),
val-{ts,js,py,c}.npy (held-out windows per language) and data-stats.json.
"""

import argparse
import json
import os
import random
import sys
import time
import multiprocessing
from multiprocessing.pool import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "export"))
from model_files import SPECIAL_TOKENS  # noqa: E402
from samples import chat_sample, doc_samples  # noqa: E402
from sources import json_lines, dedup, disk_docs, js_docs  # noqa: E402

WINDOW = 1024


def log(msg: str) -> None:
    print(f"[prepare {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def train_tokenizer(texts, vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def _batches(docs, size=48):
    docs = sorted(docs, key=lambda d: d.path)  # neighbours share a package: FIM context from siblings
    return [docs[i: i + size] for i in range(0, len(docs), size)]


_TOK = None
_EOT = 0


def _init_worker(tokenizer_path: str, eot: int) -> None:
    # Each worker process encodes with its own single-threaded tokenizer: far faster than one
    # process's thread pool, and the samples never travel back as text.
    global _TOK, _EOT
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    from tokenizers import Tokenizer
    _TOK = Tokenizer.from_file(tokenizer_path)
    _EOT = eot


def _encode_texts(texts):
    out = []
    for enc in _TOK.encode_batch(texts):
        ids = enc.ids
        ids.append(_EOT)
        out.append(np.asarray(ids, dtype=np.uint16))
    return out


def _work(args):
    batch, seed, fim_rate, editor = args
    samples, pairs = doc_samples(batch, seed, fim_rate, editor)
    return _encode_texts(samples), pairs, sum(len(x) for x in samples)


def build_samples(docs, seed: int, pool: Pool, deadline: float = 1e18, fim_rate: float = 0.6, editor: bool = False):
    """Encoded samples (uint16 arrays ending in <|endoftext|>), chat pairs, characters.

    Work goes out in waves so that a deadline leaves no queued work behind in the pool."""
    encoded, pairs, chars = [], [], 0
    jobs = [(b, seed * 1_000_003 + i, fim_rate, editor) for i, b in enumerate(_batches(docs))]
    wave = 4 * (os.cpu_count() or 8)
    for start in range(0, len(jobs), wave):
        for e, p, c in pool.map(_work, jobs[start: start + wave], chunksize=1):
            encoded.extend(e)
            pairs.extend(p)
            chars += c
        if time.time() > deadline and start + wave < len(jobs):
            log(f"data deadline reached after {start + wave} of {len(jobs)} batches")
            break
    return encoded, pairs, chars


def encode_chats(pairs, rng: random.Random, pool: Pool):
    texts = chats(pairs, rng)
    out = []
    for e in pool.imap(_encode_texts, [texts[i: i + 256] for i in range(0, len(texts), 256)]):
        out.extend(e)
    return out


def chats(pairs, rng: random.Random):
    rng.shuffle(pairs)
    out, i = [], 0
    while i < len(pairs):
        k = rng.choice((1, 1, 2, 3))
        out.append(chat_sample(pairs[i: i + k], rng))
        i += k
    return out


def windows(stream: np.ndarray, bos: int) -> np.ndarray:
    n = len(stream) // WINDOW
    w = stream[: n * WINDOW].reshape(n, WINDOW)
    return np.concatenate([np.full((n, 1), bos, np.uint16), w], axis=1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True, help="folder with js-train.jsonl.xz and js-heldout.jsonl.xz")
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", type=int, default=16384)
    ap.add_argument("--tokenizer", help="reuse this tokenizer.json (the shipped model's) instead of training one")
    ap.add_argument("--chat-repeat", type=int, default=2, help="conversations per mined pair (fresh phrasing each)")
    ap.add_argument("--pairs", help="more mined pairs, short ones from earlier corpora (mine_pairs.py's .jsonl.xz)")
    ap.add_argument("--pairs-repeat", type=int, default=1, help="conversations per pair of --pairs")
    ap.add_argument("--smoke", action="store_true", help="a small slice of everything, for a quick check")
    ap.add_argument("--deadline", type=float, default=0, help="epoch seconds by which data must be ready")
    ap.add_argument("--js-repeat", type=int, default=2, help="passes over the JS/TS docs (fresh FIM each)")
    ap.add_argument("--py-repeat", type=int, default=1, help="passes over the Python docs (fresh FIM each)")
    ap.add_argument("--py-cap-mb", type=float, default=600)
    ap.add_argument("--c-cap-mb", type=float, default=150, help="0: no C/C++ at all (the folders are not read)")
    ap.add_argument("--disk-py-every", type=int, default=1,
                    help="take every n-th Python file installed on this machine (0: none)")
    ap.add_argument("--fim-rate", type=float, default=0.6, help="share of code documents cut for FIM")
    ap.add_argument("--editor-fim", action="store_true",
                    help="FIM cuts and windows shaped like the editor's requests (samples._editor_window)")
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    t0 = time.time()
    deadline = a.deadline or t0 + 10_000
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    every = 40 if a.smoke else 1
    js_limit = 4_000_000 if a.smoke else None

    seen = set()
    js_train = dedup(js_docs(a.corpus, "train", js_limit), seen)
    js_held = dedup(js_docs(a.corpus, "heldout", js_limit and js_limit // 4), seen)
    log(f"js/ts: {len(js_train)} train docs, {len(js_held)} held-out docs")
    # Debian's Python first (its held-out modules are dropped from this machine's copies too)
    deb_train = dedup(js_docs(a.corpus, "train", js_limit, name="py"), seen)
    held_modules_path = os.path.join(a.corpus, "py-heldout-modules.txt")
    held_modules = frozenset(open(held_modules_path).read().split()) if os.path.exists(held_modules_path) else frozenset()
    py_train, py_held, py_groups = (disk_docs("py", every=every * a.disk_py_every, exclude=held_modules)
                                    if a.disk_py_every else ([], [], {}))
    c_train, c_held, c_groups = disk_docs("c", every=every) if a.c_cap_mb > 0 else ([], [], {})
    py_train, py_held = deb_train + dedup(py_train, seen), dedup(py_held, seen)
    log(f"python: {len(deb_train)} Debian docs, {len(py_train) - len(deb_train)} from this machine; "
        f"{len(held_modules)} held-out modules excluded")
    c_train, c_held = dedup(c_train, seen), dedup(c_held, seen)

    def cap(docs, mb):
        rng.shuffle(docs)
        out, total = [], 0
        for d in docs:
            if total >= mb * 1e6:
                break
            out.append(d)
            total += len(d.text)
        return out

    py_train = cap(py_train, a.py_cap_mb)
    c_train = cap(c_train, a.c_cap_mb)
    mb = lambda docs: round(sum(len(d.text) for d in docs) / 1e6, 1)  # noqa: E731
    stats = {
        "train_mb": {"js/ts": mb(js_train), "py": mb(py_train), "c/c++": mb(c_train)},
        "heldout_mb": {"js/ts": mb(js_held), "py": mb(py_held), "c/c++": mb(c_held)},
        "py_groups": len(py_groups), "c_groups": len(c_groups),
    }
    log(f"documents: {stats} ({time.time() - t0:.0f}s)")

    # Tokenizer on a mixed sample that leans towards TypeScript/JavaScript.
    sample = []
    for docs, share in ((js_train, 0.5), (py_train, 0.3), (c_train, 0.2)):
        budget = (3e6 if a.smoke else 48e6) * share
        for d in random.Random(7).sample(docs, len(docs)):
            if budget <= 0:
                break
            sample.append(d.text)
            budget -= len(d.text)
    if a.tokenizer:
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(a.tokenizer)
    else:
        tok = train_tokenizer(sample, a.vocab)
    tok.save(os.path.join(a.out, "tokenizer.json"))
    ids = {t: tok.token_to_id(t) for t in SPECIAL_TOKENS}
    log(f"tokenizer: vocab {tok.get_vocab_size()}, specials {ids} ({time.time() - t0:.0f}s)")

    data_deadline = deadline - 10
    # forkserver: workers start clean, not forked from a process running tokenizer threads
    with multiprocessing.get_context("forkserver").Pool(os.cpu_count(), initializer=_init_worker,
              initargs=(os.path.join(a.out, "tokenizer.json"), ids["<|endoftext|>"])) as pool:
        # held-out windows per language first (small), laid out like the training data
        val = {}
        for name, docs in (("ts", [d for d in js_held if d.lang == "ts"]),
                           ("js", [d for d in js_held if d.lang == "js"]),
                           ("py", py_held), ("c", c_held)):
            e, p, _ = build_samples(docs[:3000], 99, pool, fim_rate=a.fim_rate, editor=a.editor_fim)
            e += encode_chats(p, random.Random(5), pool)
            random.Random(3).shuffle(e)
            w = windows(np.concatenate(e) if e else np.zeros(0, np.uint16), ids["<|bos|>"])[:256]
            np.save(os.path.join(a.out, f"val-{name}.npy"), w)
            val[name] = int(len(w))
        stats["val_windows"] = val

        encoded, pairs, chars = [], [], 0
        js_pairs = 0
        # Python and C/C++ get one pass each; TypeScript/JavaScript, the product's languages,
        # get --js-repeat passes with fresh FIM cuts. Each pass gets an equal share of the time
        # left, so a deadline trims every source rather than dropping the last.
        passes = ([(js_train, a.seed + r) for r in range(a.js_repeat)]
                  + [(py_train, a.seed + 11 + 100 * r) for r in range(a.py_repeat)] + [(c_train, a.seed + 12)])
        for i, (docs, seed) in enumerate(passes):
            share = (data_deadline - time.time()) / (len(passes) - i)
            e, p, c = build_samples(docs, seed, pool, time.time() + share, a.fim_rate, a.editor_fim)
            encoded += e
            chars += c
            if docs is js_train and seed == a.seed:
                js_pairs = len(p)
            if seed in (a.seed, a.seed + 11, a.seed + 12):  # the pairs of a document once
                pairs += p
            log(f"pass {i}: {len(e)} samples ({time.time() - t0:.0f}s)")
        code_tokens = sum(len(x) for x in encoded)
        chat = []
        for _ in range(a.chat_repeat):
            chat += encode_chats(list(pairs), rng, pool)
        stats["chat_pairs"] = {"js/ts": js_pairs, "py": len(pairs) - js_pairs}
        if a.pairs:
            extra = [tuple(p) for p in json_lines(a.pairs)]
            for _ in range(a.pairs_repeat):
                chat += encode_chats(list(extra), rng, pool)
            stats["chat_pairs"]["extra"] = len(extra)
            stats["chat_pairs"]["extra_repeat"] = a.pairs_repeat
        stats["samples"] = {"code+fim": len(encoded), "chat": len(chat)}
        encoded += chat
        rng.shuffle(encoded)
        log(f"samples: {stats['samples']}, chat pairs {stats['chat_pairs']} ({time.time() - t0:.0f}s)")

    stream = np.concatenate(encoded)
    train = windows(stream, ids["<|bos|>"])
    np.random.default_rng(a.seed).shuffle(train)
    np.save(os.path.join(a.out, "train.npy"), train)
    stats["train_windows"] = int(len(train))
    stats["train_tokens"] = int(train.size)
    stats["chars_per_token"] = round(chars / max(1, code_tokens), 3)
    stats["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(a.out, "data-stats.json"), "w") as f:
        json.dump(stats, f, indent=2)
    log(f"train windows {len(train)} ({train.size / 1e6:.0f}M tokens); {json.dumps(stats)}")


if __name__ == "__main__":
    main()
