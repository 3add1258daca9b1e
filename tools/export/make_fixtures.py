"""Write the small random-weight test models in test/fixtures/models/.

Each fixture is a complete model directory (config.json, tokenizer.json, tokenizer_config.json,
generation_config.json, onnx/model.onnx) plus reference.json: inputs and the outputs PyTorch
computed for them, which tools/export/verify_ort.mjs replays through onnxruntime-node.

The shapes differ on purpose (head dim, KV-head count, rope_theta, partial rotary, rope
scaling, interface) so the engine's cache rotation is exercised beyond the bundled model.

  /usr/bin/python3 tools/export/make_fixtures.py [--out test/fixtures/models]
"""

import argparse
import base64
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_onnx import export_hf_with_past, export_streaming  # noqa: E402
from fuse_attention import fuse_model_dir  # noqa: E402
from llama import LlamaConfig, LlamaForCausalLM, init_random  # noqa: E402
from model_files import byte_level_bpe, token_id_fields, write_json, write_model_dir  # noqa: E402

# A few merges so the tokenizer is a real BPE, not only bytes ("Ġ" is a space, "Ċ" a newline).
MERGES = [
    ("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("e", "r"), ("o", "n"), ("r", "e"),
    ("Ġ", "Ġ"), ("ĠĠ", "ĠĠ"), ("ĠĠĠĠ", "ĠĠĠĠ"), ("Ġ", "f"), ("u", "n"), ("c", "t"), ("i", "o"),
    ("io", "n"), ("Ġf", "un"), ("Ġfun", "ct"), ("Ġfunct", "ion"), ("e", "t"),
    ("c", "on"), ("s", "t"), ("Ġ", "c"), ("Ġc", "on"), ("Ġcon", "st"), ("Ġ", "=")
]

FIXTURES = {
    # Standard HF with-past export, plain RoPE, GQA 4:2.
    "std-a": dict(
        interface="hf",
        cfg=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, head_dim=16, rope_theta=10000.0),
        seed=1,
    ),
    # Standard HF with-past export; head_dim 32 with hidden 96 (head_dim given explicitly),
    # one KV head, half the dims rotated, llama3 frequency scaling with a short original context
    # so low, medium and high frequency bands all occur.
    "std-b": dict(
        interface="hf",
        cfg=dict(hidden_size=96, intermediate_size=192, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=1, head_dim=32, rope_theta=500000.0, partial_rotary_factor=0.5,
                 rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                               "high_freq_factor": 4.0, "original_max_position_embeddings": 64}),
        seed=2,
    ),
    # The streaming interface; 8 heads of 16 over 2 KV heads, 3 layers, linear scaling,
    # three quarters of each head rotated, tied embeddings, vocabulary padded past the tokenizer.
    "stream-a": dict(
        interface="stream",
        cfg=dict(hidden_size=128, intermediate_size=160, num_hidden_layers=3, num_attention_heads=8,
                 num_key_value_heads=2, head_dim=16, rope_theta=100000.0, partial_rotary_factor=0.75,
                 rope_scaling={"rope_type": "linear", "factor": 2.0}, tie_word_embeddings=True),
        seed=3,
        pad_vocab_to=320,
    ),
    # One layer each: K/V then depend on the token and its position only, so after evictions
    # and re-rotation a sink cache must give the same logits as a fresh prefill of the cached
    # tokens (to float rounding), a check that deeper models cannot offer.
    "std-1layer": dict(
        interface="hf",
        cfg=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=1, num_attention_heads=2,
                 num_key_value_heads=1, head_dim=32, rope_theta=50000.0, partial_rotary_factor=0.25),
        seed=4,
    ),
    "stream-1layer": dict(
        interface="stream",
        cfg=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=1, num_attention_heads=4,
                 num_key_value_heads=4, head_dim=16, rope_theta=10000.0,
                 rope_scaling={"rope_type": "llama3", "factor": 4.0, "low_freq_factor": 1.0,
                               "high_freq_factor": 4.0, "original_max_position_embeddings": 128}),
        seed=5,
    ),
}


def tensor_json(t: torch.Tensor) -> dict:
    arr = t.detach().cpu().numpy()
    arr = arr.astype("<i8") if arr.dtype == np.int64 else arr.astype("<f4")
    return {"type": "int64" if arr.dtype == np.int64 else "float32", "dims": list(arr.shape),
            "b64": base64.b64encode(arr.tobytes()).decode("ascii")}


def reference_cases(model: LlamaForCausalLM, interface: str, seed: int):
    """Inputs and PyTorch outputs: a cold prefill, then a continuation over the model's own
    cache (past > 0); the streaming interface also gets a num_logits_to_keep case."""
    cfg = model.config
    g = torch.Generator().manual_seed(seed + 100)
    ids = torch.randint(0, cfg.vocab_size, (1, 10), generator=g)
    L = cfg.num_hidden_layers
    cases = []
    with torch.no_grad():
        full_logits = model.forward_train(ids)
        if interface == "stream":
            empty = [torch.zeros(1, 0, cfg.num_key_value_heads, cfg.head_dim) for _ in range(L)]
            pos = torch.arange(10).unsqueeze(0)
            logits1, kv1 = model.forward_stream(ids[:, :7], pos[:, :7], empty, empty, torch.tensor(0))
            keys, values = list(kv1[0::2]), list(kv1[1::2])
            logits2, kv2 = model.forward_stream(ids[:, 7:], pos[:, 7:], keys, values, torch.tensor(0))
            logits3, _ = model.forward_stream(ids[:, 7:], pos[:, 7:], keys, values, torch.tensor(1))
            both = torch.cat((logits1, logits2), dim=1)
            for name, past_k, past_v, sl, keep, logits, kv in (
                ("prefill", empty, empty, slice(0, 7), 0, logits1, kv1),
                ("continue", keys, values, slice(7, 10), 0, logits2, kv2),
                ("continue-keep-1", keys, values, slice(7, 10), 1, logits3, None),
            ):
                inputs = {"input_ids": tensor_json(ids[:, sl]), "position_ids": tensor_json(pos[:, sl])}
                for i in range(L):
                    inputs[f"past_key.{i}"] = tensor_json(past_k[i])
                    inputs[f"past_value.{i}"] = tensor_json(past_v[i])
                inputs["num_logits_to_keep"] = tensor_json(torch.tensor(keep, dtype=torch.int64))
                outputs = {"logits": tensor_json(logits)}
                if kv is not None:
                    for i in range(L):
                        outputs[f"key.{i}"] = tensor_json(kv[2 * i])
                        outputs[f"value.{i}"] = tensor_json(kv[2 * i + 1])
                cases.append({"name": name, "inputs": inputs, "outputs": outputs})
        else:
            empty = [torch.zeros(1, cfg.num_key_value_heads, 0, cfg.head_dim) for _ in range(L)]
            pos = torch.arange(10).unsqueeze(0)
            mask = torch.ones(1, 10, dtype=torch.int64)
            logits1, kv1 = model.forward_hf(ids[:, :7], mask[:, :7], pos[:, :7], empty, empty)
            keys, values = list(kv1[0::2]), list(kv1[1::2])
            logits2, kv2 = model.forward_hf(ids[:, 7:], mask, pos[:, 7:], keys, values)
            both = torch.cat((logits1, logits2), dim=1)
            for name, past_k, past_v, sl, m, logits, kv in (
                ("prefill", empty, empty, slice(0, 7), mask[:, :7], logits1, kv1),
                ("continue", keys, values, slice(7, 10), mask, logits2, kv2),
            ):
                inputs = {"input_ids": tensor_json(ids[:, sl]), "attention_mask": tensor_json(m),
                          "position_ids": tensor_json(pos[:, sl])}
                for i in range(L):
                    inputs[f"past_key_values.{i}.key"] = tensor_json(past_k[i])
                    inputs[f"past_key_values.{i}.value"] = tensor_json(past_v[i])
                outputs = {"logits": tensor_json(logits)}
                for i in range(L):
                    outputs[f"present.{i}.key"] = tensor_json(kv[2 * i])
                    outputs[f"present.{i}.value"] = tensor_json(kv[2 * i + 1])
                cases.append({"name": name, "inputs": inputs, "outputs": outputs})
    # The cached path must agree with one causal pass over the whole sequence.
    diff = (both - full_logits).abs().max().item()
    if diff > 1e-4:
        raise AssertionError(f"cached decode differs from a full pass by {diff}")
    spread = full_logits.std().item()
    return cases, diff, spread


def build(name: str, spec: dict, out_root: str) -> None:
    tok = byte_level_bpe(MERGES)
    n_tokens = len(tok["model"]["vocab"]) + len(tok["added_tokens"])
    vocab = max(n_tokens, spec.get("pad_vocab_to", 0))
    c = dict(spec["cfg"])
    cfg = LlamaConfig(vocab_size=vocab, max_position_embeddings=2048, **c)
    torch.manual_seed(spec["seed"])
    model = LlamaForCausalLM(cfg)
    init_random(model, spec["seed"])
    model.eval()
    out = os.path.join(out_root, name)
    write_model_dir(out, cfg.to_hf(**token_id_fields(tok)), tok, model_max_length=2048,
                    sampling={"do_sample": False, "max_new_tokens": 64})
    onnx_path = os.path.join(out, "onnx", "model.onnx")
    if spec["interface"] == "stream":
        export_streaming(model, onnx_path)
        fuse_model_dir(out)  # as shipped models are: decode steps read the cache in place
    else:
        export_hf_with_past(model, onnx_path)
    cases, diff, spread = reference_cases(model, spec["interface"], spec["seed"])
    write_json(os.path.join(out, "reference.json"), {"interface": spec["interface"], "cases": cases})
    size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(out) for f in fs)
    print(f"{name}: {spec['interface']} vocab={vocab} params={sum(p.numel() for p in model.parameters())} "
          f"cached-vs-full={diff:.2e} logit-std={spread:.2f} dir={size / 1024:.0f} KiB")
    if size > 2 * 1024 * 1024:
        raise AssertionError(f"{name} is {size} bytes; fixtures must stay under 2 MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "test", "fixtures", "models"))
    ap.add_argument("--only", nargs="*", help="fixture names to build (default: all)")
    a = ap.parse_args()
    for name, spec in FIXTURES.items():
        if a.only and name not in a.only:
            continue
        build(name, spec, os.path.abspath(a.out))


if __name__ == "__main__":
    main()
