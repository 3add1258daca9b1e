"""Training windows of chat conversations only, with the loss on the answers alone.

  python3 tools/train/chat_windows.py --pairs pairs.jsonl.xz --tokenizer models/default/tokenizer.json \
      --out /tmp/endless-chat [--max-lines 12]

Each mined pair ([description, name, code, language], `mine_pairs.py`) becomes one conversation
laid out as `samples.chat_sample` lays out those of a mixed round (a system prompt half of the
time, one of the request phrasings, the answer in a fenced block) and ends with
`<|endoftext|>`, as every packed sample does. Conversations follow each other after the window's
`<|bos|>`; none is cut across windows (the rest of a window is padding).

Writes to --out: tokenizer.json; train.npy (uint16 [windows, 1025]); train-mask.npy (uint8, the
same shape: 1 where a token is a target, that is within an assistant turn, its `<|im_end|>`
included; train.py then scores only those); val-js.npy (windows of
tools/train/heldout-stream.txt, to watch what the code loss does meanwhile); data-stats.json.
The request tokens are left out of the loss: they are the user's words, and a round with
conversations mixed into code spent its capacity on predicting them too.
"""

import argparse
import json
import lzma
import os
import random
import shutil

from collections import Counter

import numpy as np
from tokenizers import Tokenizer

from prepare_data import WINDOW, windows
from samples import chat_sample

ANSWER_START = "<|im_start|>assistant\n"
ANSWER_END = "<|im_end|>"


def answer_spans(text: str):
    """Character spans of the assistant turns, each with its closing <|im_end|>."""
    start = text.find(ANSWER_START)
    while start >= 0:
        begin = start + len(ANSWER_START)
        end = text.index(ANSWER_END, begin) + len(ANSWER_END)
        yield begin, end
        start = text.find(ANSWER_START, end)


def encode(tok: Tokenizer, text: str, end: int):
    """Token ids of a conversation, then <|endoftext|> as after every packed sample, and a 0/1
    target flag per token."""
    enc = tok.encode(text)
    spans = list(answer_spans(text))
    flags = [int(any(b <= s < e for b, e in spans)) for s, _ in enc.offsets]
    return enc.ids + [end], flags + [0]


def pack(conversations, bos: int, pad: int):
    """Whole conversations (each at most WINDOW tokens) after one <|bos|> a window; the rest of
    a window is padding."""
    rows, masks, ids, flags = [], [], [bos], [0]

    def close():
        rows.append(ids + [pad] * (WINDOW + 1 - len(ids)))
        masks.append(flags + [0] * (WINDOW + 1 - len(flags)))

    for c_ids, c_flags in conversations:
        if len(ids) + len(c_ids) > WINDOW + 1:
            close()
            ids, flags = [bos], [0]
        ids += c_ids
        flags += c_flags
    if len(ids) > 1:
        close()
    return np.asarray(rows, np.uint16), np.asarray(masks, np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-lines", type=int, default=12, help="longest answer kept, in lines")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(a.out, exist_ok=True)
    shutil.copy(a.tokenizer, os.path.join(a.out, "tokenizer.json"))
    tok = Tokenizer.from_file(a.tokenizer)
    bos, pad = tok.token_to_id("<|bos|>"), tok.token_to_id("<|endoftext|>")
    rng = random.Random(a.seed)
    with lzma.open(a.pairs, "rt", encoding="utf-8") as f:
        pairs = [p for p in map(json.loads, f) if p[2].count("\n") < a.max_lines]
    rng.shuffle(pairs)
    conversations = [c for c in (encode(tok, chat_sample([tuple(p)], rng), pad) for p in pairs) if len(c[0]) <= WINDOW]
    train, mask = pack(conversations, bos, pad)
    np.save(os.path.join(a.out, "train.npy"), train)
    np.save(os.path.join(a.out, "train-mask.npy"), mask)
    stream = open(os.path.join(here, "heldout-stream.txt"), encoding="utf-8").read()
    np.save(os.path.join(a.out, "val-js.npy"), windows(np.asarray(tok.encode(stream).ids, np.uint16), bos))
    stats = {"pairs": len(pairs), "by_language": dict(Counter(p[3] for p in pairs)), "windows": int(len(train)),
             "target_tokens": int(mask.sum()), "tokens": int(len(train) + sum(len(c[0]) for c in conversations))}
    with open(os.path.join(a.out, "data-stats.json"), "w") as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
