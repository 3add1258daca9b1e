"""The files that sit beside the ONNX graph in a model directory (Hugging Face layout).

Shared by the test fixtures and the bundled model so both carry the same special tokens,
chat template and generation defaults (docs/prompt-format.md).
"""

import json
import os
from typing import Dict, List, Sequence, Tuple

# The special tokens of docs/prompt-format.md. `<|bos|>` is the dedicated sink token.
SPECIAL_TOKENS: List[str] = [
    "<|bos|>",
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|file_sep|>",
]

# ChatML. The template does not emit `<|bos|>`: the engine puts the sink token once at the
# start of the endless stream, not before every rendered turn.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def byte_to_unicode() -> Dict[int, str]:
    """The byte -> printable character table of byte-level BPE (GPT-2 convention): printable
    Latin-1 bytes map to themselves, the rest to code points from 256 upward, in byte order."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table = {}
    extra = 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def byte_level_bpe(merges: Sequence[Tuple[str, str]], specials: Sequence[str] = SPECIAL_TOKENS) -> Dict:
    """A complete ``tokenizers`` byte-level BPE tokenizer.json body.

    ids: 0..255 the byte tokens, then one per merge, then the special tokens.
    ``merges`` are pairs of strings already in byte-level characters (e.g. ("Ġ", "t")).
    """
    vocab: Dict[str, int] = {}
    for b, ch in sorted(byte_to_unicode().items()):
        vocab[ch] = b
    for left, right in merges:
        if left not in vocab or right not in vocab:
            raise ValueError(f"merge {left!r} + {right!r} uses a token not yet in the vocabulary")
        vocab.setdefault(left + right, len(vocab))
    added = []
    for tok in specials:
        added.append({
            "id": len(vocab) + len(added), "content": tok, "single_word": False, "lstrip": False,
            "rstrip": False, "normalized": False, "special": True,
        })
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": byte_level,
        "post_processor": None,
        "decoder": byte_level,
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab, "merges": [[left, right] for left, right in merges],
        },
    }


def special_ids(tokenizer_json: Dict) -> Dict[str, int]:
    return {t["content"]: t["id"] for t in tokenizer_json["added_tokens"]}


def tokenizer_config(tokenizer_json: Dict, model_max_length: int) -> Dict:
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<|bos|>",
        "eos_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "add_bos_token": False,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": model_max_length,
        "additional_special_tokens": [t for t in SPECIAL_TOKENS if t not in ("<|bos|>", "<|endoftext|>")],
        "added_tokens_decoder": {
            str(t["id"]): {k: t[k] for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
            for t in tokenizer_json["added_tokens"]
        },
        "chat_template": CHAT_TEMPLATE,
    }


def token_id_fields(tokenizer_json: Dict) -> Dict[str, object]:
    ids = special_ids(tokenizer_json)
    return {
        "bos_token_id": ids["<|bos|>"],
        "eos_token_id": [ids["<|endoftext|>"], ids["<|im_end|>"]],
        "pad_token_id": ids["<|endoftext|>"],
    }


def generation_config(tokenizer_json: Dict, **sampling) -> Dict:
    cfg = {"_from_model_config": False, **token_id_fields(tokenizer_json)}
    cfg.update(sampling)
    return cfg


def write_json(path: str, obj: Dict) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_model_dir(out_dir: str, hf_config: Dict, tokenizer_json: Dict, model_max_length: int,
                    sampling: Dict) -> None:
    write_json(os.path.join(out_dir, "config.json"), hf_config)
    write_json(os.path.join(out_dir, "tokenizer.json"), tokenizer_json)
    write_json(os.path.join(out_dir, "tokenizer_config.json"), tokenizer_config(tokenizer_json, model_max_length))
    write_json(os.path.join(out_dir, "generation_config.json"), generation_config(tokenizer_json, **sampling))
