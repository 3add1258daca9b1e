"""Write test fixtures from the real Hugging Face architectures, exported as the Hub serves them.

For each family (Llama, Qwen2, Phi-3, Mistral, Gemma 2, Gemma 3) this instantiates the family's
own `*ForCausalLM` class from `transformers` with a tiny random config, exports it with the
I/O of onnx-community / Optimum "decoder with past" exports

  inputs   input_ids [b, s] int64, attention_mask [b, past + s] int64, position_ids [b, s] int64
           (one family leaves position_ids out, as some exports do),
           past_key_values.N.key / .value [b, kv_heads, past, head_dim]
  outputs  logits [b, s, vocab], present.N.key / .value [b, kv_heads, past + s, head_dim]

as onnx/model.onnx (float32), onnx/model_fp16.onnx (float16 weights, K/V and logits, like the
Hub's fp16 files) and, for some, onnx/model_q4.onnx (int4 MatMulNBits weights), checks every
graph in onnxruntime against the PyTorch model (a cold prefill then a continuation over the
graph's own presents must equal one causal pass), and writes the model folder: config.json and
generation_config.json as `transformers` saves them, the family's real tokenizer and chat
template (cut to a small vocabulary by reduce_tokenizer.py), chat-reference.json (a few
conversations rendered by `transformers`' apply_chat_template, with the ids its tokenizer
gives), rope-reference.json (the rotary frequencies transformers computed for each layer type)
and reference.json (inputs and the float32 PyTorch model's outputs for a prefill and a
continuation, which the unit tests and verify_ort.mjs replay through onnxruntime-node).

  python3 tools/export/reduce_tokenizer.py /tmp/tokenizers          # here (needs npm)
  python3 tools/export/make_family_fixtures.py --tokenizers /tmp/tokenizers --out OUT
                                                                    # torch, transformers 5
"""

import argparse
import base64
import copy
import json
import math
import os
import shutil
import sys
import time
import traceback

import numpy as np
import onnx
import onnxruntime as ort
import torch
import transformers

HIDDEN = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, head_dim=16)

# Every family differs in what the engine must get right: rope variant, rotary fraction, biases,
# tied embeddings, sliding windows, per-layer rope, inputs.
FAMILIES = {
    "llama": dict(
        model_type="llama", tokenizer="llama3", seed=11,
        config=dict(HIDDEN, tie_word_embeddings=True, max_position_embeddings=2048),
        rope=dict(rope_type="llama3", rope_theta=500000.0, factor=8.0, low_freq_factor=1.0,
                  high_freq_factor=4.0, original_max_position_embeddings=64),
        bos="<|begin_of_text|>", eos=["<|end_of_text|>", "<|eot_id|>"],
    ),
    "qwen2": dict(
        model_type="qwen2", tokenizer="qwen3", seed=12, quant=True,
        config=dict(HIDDEN, tie_word_embeddings=True, max_position_embeddings=256,
                    use_sliding_window=False, sliding_window=4096),
        # yarn with factor = max_position_embeddings / original (as Qwen's long-context configs)
        rope=dict(rope_type="yarn", rope_theta=1000000.0, factor=4.0, original_max_position_embeddings=64),
        bos="<|endoftext|>", eos=["<|im_end|>", "<|endoftext|>"], pad="<|endoftext|>",
    ),
    "phi3": dict(
        model_type="phi3", tokenizer="llama3", seed=13,
        config=dict(HIDDEN, num_key_value_heads=4, tie_word_embeddings=False, max_position_embeddings=4096,
                    original_max_position_embeddings=256, partial_rotary_factor=0.5, sliding_window=2047),
        rope=dict(rope_type="longrope", rope_theta=10000.0,
                  short_factor=[1.0, 1.3, 2.1, 3.7], long_factor=[1.5, 2.5, 6.0, 16.0]),
        bos="<|begin_of_text|>", eos=["<|end_of_text|>", "<|eot_id|>"], pad="<|end_of_text|>",
    ),
    "mistral": dict(
        model_type="mistral", tokenizer="llama3", seed=14, position_ids=False,
        config=dict(HIDDEN, num_attention_heads=8, num_key_value_heads=2, head_dim=8,
                    tie_word_embeddings=False, max_position_embeddings=4096, sliding_window=1024),
        rope=dict(rope_type="default", rope_theta=1000000.0),
        bos="<|begin_of_text|>", eos=["<|end_of_text|>", "<|eot_id|>"],
    ),
    "gemma2": dict(
        model_type="gemma2", tokenizer="gemma3", seed=15,
        config=dict(HIDDEN, tie_word_embeddings=True, max_position_embeddings=8192, sliding_window=512,
                    query_pre_attn_scalar=16, attn_logit_softcapping=50.0, final_logit_softcapping=30.0,
                    layer_types=["sliding_attention", "full_attention"]),
        rope=dict(rope_type="default", rope_theta=10000.0),
        bos="<bos>", eos=["<eos>", "<end_of_turn>"], pad="<pad>",
    ),
    "gemma3": dict(
        model_type="gemma3_text", tokenizer="gemma3", seed=16,
        config=dict(HIDDEN, tie_word_embeddings=True, max_position_embeddings=32768, sliding_window=512,
                    query_pre_attn_scalar=16, layer_types=["sliding_attention", "full_attention"]),
        # Local layers: plain RoPE at 10K; global layers: 1M with linear scaling (as Gemma 3 4B+).
        rope_per_layer_type={
            "sliding_attention": dict(rope_type="default", rope_theta=10000.0),
            "full_attention": dict(rope_type="linear", rope_theta=1000000.0, factor=8.0),
        },
        legacy_rope=dict(rope_theta=1000000.0, rope_local_base_freq=10000.0,
                         rope_scaling=dict(rope_type="linear", factor=8.0)),
        bos="<bos>", eos=["<eos>", "<end_of_turn>"], pad="<pad>",
    ),
}

CONVERSATIONS = [
    dict(name="one-user", messages=[{"role": "user", "content": "Write hello world in Python."}]),
    dict(name="system-user", messages=[
        {"role": "system", "content": "You are a terse coding assistant."},
        {"role": "user", "content": "What does `x != 0` test?"},
    ]),
    dict(name="multi-turn", messages=[
        {"role": "system", "content": "You are a terse coding assistant."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Sort a list in place."},
    ]),
    dict(name="no-system-multi-turn", messages=[
        {"role": "user", "content": "Name a prime."},
        {"role": "assistant", "content": "7"},
        {"role": "user", "content": "Another one."},
    ]),
]


def log(*a):
    print(*a, flush=True)


def token_id(tok_json: dict, token: str) -> int:
    for a in tok_json["added_tokens"]:
        if a["content"] == token:
            return a["id"]
    return tok_json["model"]["vocab"][token]


def make_config(spec: dict, vocab: int, tok_json: dict):
    kw = dict(spec["config"], vocab_size=vocab, bos_token_id=token_id(tok_json, spec["bos"]),
              eos_token_id=[token_id(tok_json, t) for t in spec["eos"]])
    if spec.get("pad"):
        kw["pad_token_id"] = token_id(tok_json, spec["pad"])
    if "rope" in spec:
        tries = [dict(rope_parameters=dict(spec["rope"])),
                 dict(rope_theta=spec["rope"]["rope_theta"],
                      rope_scaling={k: v for k, v in spec["rope"].items() if k != "rope_theta"} or None)]
    else:
        tries = [dict(rope_parameters=spec["rope_per_layer_type"]), dict(spec["legacy_rope"])]
    errors = []
    for extra in tries:
        try:
            cfg = transformers.AutoConfig.for_model(spec["model_type"], **kw, **extra)
            cfg._attn_implementation = "eager"
            return cfg
        except Exception as e:  # the other spelling of the rope settings
            errors.append(repr(e))
    raise RuntimeError(f"config for {spec['model_type']} refused: {errors}")


def init_sharp(model, seed: int) -> None:
    """Random weights with peaked attention and logits spread over a few units, so that a wrong
    rotation or position shows in the output (the usual 0.02 init would hide it)."""
    g = torch.Generator().manual_seed(seed)
    tied = model.config.tie_word_embeddings
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:
                if "norm" in name:
                    # Gemma's norms scale by (1 + w), the others by w: keep the scale near 1.
                    base = 0.0 if "gemma" in model.config.model_type else 1.0
                    p.copy_(base + 0.1 * torch.randn(p.shape, generator=g))
                else:  # q/k/v biases
                    p.copy_(0.3 * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name:
                p.copy_(torch.randn(p.shape, generator=g) * (0.3 if tied else 1.0))
            else:
                gain = 2.5 if any(s in name for s in ("q_proj", "k_proj", "qkv_proj")) else 1.0
                gain = 3.0 if "lm_head" in name else gain
                p.copy_(torch.randn(p.shape, generator=g) * gain / math.sqrt(p.shape[1]))


def cache_layer(cache, i):
    if hasattr(cache, "layers"):
        return cache.layers[i].keys, cache.layers[i].values
    if hasattr(cache, "key_cache"):
        return cache.key_cache[i], cache.value_cache[i]
    return cache[i][0], cache[i][1]


def additive_mask(mask2d, n, dtype):
    """[b, 1, n, total]: 0 where a query may attend (causal and not padding), the lowest float elsewhere."""
    total = mask2d.shape[1]
    q = torch.arange(n) + (total - n)
    k = torch.arange(total)
    allowed = (k.unsqueeze(0) <= q.unsqueeze(1)).unsqueeze(0).unsqueeze(0) & mask2d.bool().unsqueeze(1).unsqueeze(2)
    return torch.where(allowed, torch.zeros((), dtype=dtype), torch.tensor(torch.finfo(dtype).min, dtype=dtype))


class WithPast(torch.nn.Module):
    """The Optimum-style signature around a transformers model. The graph builds the causal
    mask from attention_mask itself (`mask_style` "4d"), or hands the 2-D mask to the model."""

    def __init__(self, model, layers, positions, mask_style):
        super().__init__()
        self.model, self.layers, self.positions, self.mask_style = model, layers, positions, mask_style

    def forward(self, input_ids, attention_mask, *rest):
        if self.positions:
            position_ids, past = rest[0], rest[1:]
        else:
            past = rest
            n = input_ids.shape[1]
            position_ids = (torch.cumsum(attention_mask, -1) - 1)[:, attention_mask.shape[1] - n:]
        cache = transformers.DynamicCache()
        for i in range(self.layers):
            cache.update(past[2 * i], past[2 * i + 1], i)
        dtype = past[0].dtype
        mask = additive_mask(attention_mask, input_ids.shape[1], dtype) if self.mask_style == "4d" else attention_mask
        out = self.model(input_ids=input_ids, attention_mask=mask, position_ids=position_ids,
                         past_key_values=cache, use_cache=True)
        result = [out.logits]
        for i in range(self.layers):
            result.extend(cache_layer(out.past_key_values, i))
        return tuple(result)


def export(model, path, dtype, positions, mask_style):
    cfg = model.config
    L, kvh = cfg.num_hidden_layers, cfg.num_key_value_heads
    hd = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    past_len, n = 5, 3
    ids = torch.randint(0, cfg.vocab_size, (1, n))
    mask = torch.ones((1, past_len + n), dtype=torch.int64)
    pos = torch.arange(past_len, past_len + n).unsqueeze(0)
    pasts = [torch.randn(1, kvh, past_len, hd).to(dtype) for _ in range(2 * L)]
    names_in = ["input_ids", "attention_mask"] + (["position_ids"] if positions else [])
    args = [ids, mask] + ([pos] if positions else []) + pasts
    names_out = ["logits"]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    if positions:
        axes["position_ids"] = {0: "batch_size", 1: "sequence_length"}
    for i in range(L):
        for kind in ("key", "value"):
            names_in.append(f"past_key_values.{i}.{kind}")
            names_out.append(f"present.{i}.{kind}")
            axes[f"past_key_values.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length"}
            axes[f"present.{i}.{kind}"] = {0: "batch_size", 2: "total_sequence_length"}
    wrapper = WithPast(model, L, positions, mask_style).eval()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(wrapper, tuple(args), path, input_names=names_in, output_names=names_out,
                          dynamic_axes=axes, opset_version=17, dynamo=False, do_constant_folding=True)


def in_dtype(model, dtype):
    """A copy of `model` in `dtype` whose rotary frequencies stay float32, as a careful fp16
    export keeps them (rounded to fp16 they would drift from the true angles by up to
    position × 5e-4 rad, which no cache could re-rotate exactly)."""
    model = copy.deepcopy(model)
    saved = {n: b.detach().clone().float() for n, b in model.named_buffers() if "inv_freq" in n}
    model.to(dtype)
    for n, b in saved.items():
        owner, _, attr = n.rpartition(".")
        setattr(model.get_submodule(owner), attr, b)
    return model


def rope_reference(model):
    """The frequencies and cos/sin scale transformers uses, per rotary module."""
    freqs = {n: b.double().tolist() for n, b in model.named_buffers() if "inv_freq" in n}
    scales = {n: float(m.attention_scaling) for n, m in model.named_modules() if hasattr(m, "attention_scaling")}
    return dict(inv_freq=freqs, attention_scaling=scales)


def load_tokenizer(tok_dir):
    try:
        return transformers.AutoTokenizer.from_pretrained(tok_dir), None
    except Exception as e:  # fall back to the generic fast tokenizer with the file's own fields
        cfg = json.load(open(os.path.join(tok_dir, "tokenizer_config.json"), encoding="utf-8"))
        names = {k: cfg[k] for k in ("bos_token", "eos_token", "unk_token", "pad_token") if isinstance(cfg.get(k), str)}
        tok = transformers.PreTrainedTokenizerFast(tokenizer_file=os.path.join(tok_dir, "tokenizer.json"), **names)
        tok.chat_template = cfg["chat_template"]
        return tok, f"AutoTokenizer failed ({type(e).__name__}: {e}); used PreTrainedTokenizerFast"


def torch_full(model, ids):
    """One causal pass over the whole sequence, with transformers' own masking: the reference."""
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=True)
    return out.logits.float().numpy(), [t.float().numpy() for i in range(model.config.num_hidden_layers)
                                        for t in cache_layer(out.past_key_values, i)]


def ort_two_steps(path, ids, split, cfg):
    """A cold prefill of ids[:split], then the rest over the graph's own presents."""
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = {i.name: i for i in sess.get_inputs()}
    kv_type = np.float16 if names["past_key_values.0.key"].type == "tensor(float16)" else np.float32
    L, kvh = cfg.num_hidden_layers, cfg.num_key_value_heads
    hd = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    past = {f"past_key_values.{i}.{k}": np.zeros((1, kvh, 0, hd), kv_type) for i in range(L) for k in ("key", "value")}
    logits = []
    out_names = [o.name for o in sess.get_outputs()]
    for lo, hi in ((0, split), (split, ids.shape[1])):
        feeds = {"input_ids": ids[:, lo:hi].numpy().astype(np.int64),
                 "attention_mask": np.ones((1, hi), np.int64), **past}
        if "position_ids" in names:
            feeds["position_ids"] = np.arange(lo, hi, dtype=np.int64)[None]
        outs = dict(zip(out_names, sess.run(None, feeds)))
        logits.append(outs["logits"].astype(np.float32))
        past = {f"past_key_values.{i}.{k}": outs[f"present.{i}.{k}"] for i in range(L) for k in ("key", "value")}
    presents = [past[f"past_key_values.{i}.{k}"].astype(np.float32) for i in range(L) for k in ("key", "value")]
    io = {i.name: i.type for i in sess.get_inputs()} | {o.name: o.type for o in sess.get_outputs()}
    return np.concatenate(logits, axis=1), presents, io


def tensor_json(t):
    arr = t.detach().cpu().numpy()
    arr = arr.astype("<i8") if arr.dtype == np.int64 else arr.astype("<f4")
    return {"type": "int64" if arr.dtype == np.int64 else "float32", "dims": list(arr.shape),
            "b64": base64.b64encode(arr.tobytes()).decode("ascii")}


def torch_reference_cases(model, ids, split):
    """reference.json for tests/verify_ort.mjs: a cold prefill of ids[:split], then the rest over
    PyTorch's own cache, with every input and the float32 model's logits and presents."""
    cfg = model.config
    L, kvh = cfg.num_hidden_layers, cfg.num_key_value_heads
    hd = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    past = [torch.zeros(1, kvh, 0, hd) for _ in range(2 * L)]
    cache = None
    cases = []
    with torch.no_grad():
        for name, lo, hi in (("prefill", 0, split), ("continue", split, ids.shape[1])):
            pos = torch.arange(lo, hi).unsqueeze(0)
            mask = torch.ones((1, hi), dtype=torch.int64)
            out = model(input_ids=ids[:, lo:hi], attention_mask=mask, position_ids=pos, past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            presents = [t.clone() for i in range(L) for t in cache_layer(cache, i)]
            inputs = {"input_ids": tensor_json(ids[:, lo:hi]), "attention_mask": tensor_json(mask), "position_ids": tensor_json(pos)}
            outputs = {"logits": tensor_json(out.logits)}
            for i in range(L):
                inputs[f"past_key_values.{i}.key"], inputs[f"past_key_values.{i}.value"] = tensor_json(past[2 * i]), tensor_json(past[2 * i + 1])
                outputs[f"present.{i}.key"], outputs[f"present.{i}.value"] = tensor_json(presents[2 * i]), tensor_json(presents[2 * i + 1])
            cases.append({"name": name, "inputs": inputs, "outputs": outputs})
            past = presents
    return {"interface": "hf", "cases": cases}


def quantize_q4(src, dst):
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    q = MatMulNBitsQuantizer(onnx.load(src), block_size=32, is_symmetric=True, accuracy_level=4)
    q.process()
    q.model.save_model_to_file(dst, False)


def render_chats(tok_dir):
    """Each conversation as transformers renders it (with and without the generation prompt),
    and the ids of the rendering under the tokenizer.json semantics (special tokens parsed)."""
    from tokenizers import Tokenizer
    tok, fallback = load_tokenizer(tok_dir)
    raw = Tokenizer.from_file(os.path.join(tok_dir, "tokenizer.json"))
    cases = []
    for conv in CONVERSATIONS:
        for gen in (True, False) if conv["name"] == "multi-turn" else (True,):
            try:
                text = tok.apply_chat_template(conv["messages"], tokenize=False, add_generation_prompt=gen)
                error = None
            except Exception as e:  # a template may refuse a layout (e.g. a system role)
                text, error = None, f"{type(e).__name__}: {e}"
            ids = raw.encode(text, add_special_tokens=False).ids if text is not None else None
            cases.append(dict(name=conv["name"], add_generation_prompt=gen, messages=conv["messages"],
                              text=text, ids=ids, error=error))
    try:
        variables = {k: v for k, v in tok.special_tokens_map.items() if isinstance(v, str)}
    except Exception:
        variables = {k: getattr(tok, k) for k in ("bos_token", "eos_token", "unk_token", "pad_token")
                     if isinstance(getattr(tok, k, None), str)}
    return dict(transformers=transformers.__version__, tokenizer_class=type(tok).__name__, fallback=fallback,
                variables=variables, cases=cases)


def build(name, spec, tok_root, out_root, summary):
    t0 = time.time()
    tok_dir = os.path.join(tok_root, spec["tokenizer"])
    tok_json = json.load(open(os.path.join(tok_dir, "tokenizer.json"), encoding="utf-8"))
    vocab = len(tok_json["model"]["vocab"]) + sum(1 for a in tok_json["added_tokens"] if a["content"] not in tok_json["model"]["vocab"])
    cfg = make_config(spec, vocab, tok_json)
    torch.manual_seed(spec["seed"])
    model = transformers.AutoModelForCausalLM.from_config(cfg, attn_implementation="eager").float().eval()
    init_sharp(model, spec["seed"])
    out = os.path.join(out_root, f"hf-{name}")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "onnx"))
    model.config.save_pretrained(out)
    transformers.GenerationConfig(bos_token_id=cfg.bos_token_id, eos_token_id=cfg.eos_token_id,
                                  pad_token_id=getattr(cfg, "pad_token_id", None), do_sample=False,
                                  max_new_tokens=64).save_pretrained(out)
    for f in ("tokenizer.json", "tokenizer_config.json", "SOURCE.md"):
        shutil.copy(os.path.join(tok_dir, f), os.path.join(out, f))
    g = torch.Generator().manual_seed(spec["seed"] + 100)
    ids = torch.randint(0, vocab, (1, 12), generator=g)
    want_logits, want_kv = torch_full(model, ids)
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(torch_reference_cases(model, ids[:, :10], 7), f)
    spread = float(want_logits.std())
    positions = spec.get("position_ids", True)
    report = dict(family=name, arch=type(model).__name__, vocab=vocab, logit_std=round(spread, 3), graphs={})
    rope = rope_reference(model)
    with open(os.path.join(out, "rope-reference.json"), "w") as f:
        json.dump(rope, f, indent=1)
    report["rope"] = {k: (len(v), v[:2], v[-1]) for k, v in rope["inv_freq"].items()} | {"scale": rope["attention_scaling"]}
    for fname, dtype in (("model.onnx", torch.float32), ("model_fp16.onnx", torch.float16)):
        graph_model = model if dtype == torch.float32 else in_dtype(model, dtype)
        path = os.path.join(out, "onnx", fname)
        tol = 2e-4 * max(1.0, spread) if dtype == torch.float32 else 0.05 * max(1.0, spread)
        last = None
        for mask_style in ("4d", "2d"):
            try:
                export(graph_model, path, dtype, positions, mask_style)
                got_logits, got_kv, io = ort_two_steps(path, ids, 8, cfg)
                diff = float(np.abs(got_logits - want_logits).max())
                kv_diff = max(float(np.abs(a - b).max()) for a, b in zip(got_kv, want_kv))
                last = dict(mask=mask_style, logits_diff=diff, kv_diff=kv_diff, tol=tol, ir=onnx.load(path).ir_version,
                            ok=diff <= tol and kv_diff <= tol * 4,
                            io={k: v for k, v in io.items() if not k.startswith(("past_key_values.1", "present.1"))})
                if last["ok"]:
                    break
            except Exception as e:
                last = dict(mask=mask_style, error=f"{type(e).__name__}: {e}", trace=traceback.format_exc()[-1500:])
        report["graphs"][fname] = last
        if not last.get("ok"):
            os.path.exists(path) and os.remove(path)
    if spec.get("quant") and report["graphs"]["model.onnx"].get("ok"):
        path = os.path.join(out, "onnx", "model_q4.onnx")
        try:
            quantize_q4(os.path.join(out, "onnx", "model.onnx"), path)
            got_logits, _, io = ort_two_steps(path, ids, 8, cfg)
            report["graphs"]["model_q4.onnx"] = dict(
                logits_diff=float(np.abs(got_logits - want_logits).max()),
                matmulnbits=sum(n.op_type == "MatMulNBits" for n in onnx.load(path).graph.node))
        except Exception as e:
            report["graphs"]["model_q4.onnx"] = dict(error=f"{type(e).__name__}: {e}")
    try:
        chats = render_chats(tok_dir)
        with open(os.path.join(out, "chat-reference.json"), "w", encoding="utf-8") as f:
            json.dump(chats, f, ensure_ascii=False, indent=1)
        report["chats"] = sum(c["text"] is not None for c in chats["cases"])
    except Exception as e:
        report["chats"] = f"{type(e).__name__}: {e} {traceback.format_exc()[-800:]}"
    report["config"] = json.load(open(os.path.join(out, "config.json")))
    report["bytes"] = {f: os.path.getsize(os.path.join(out, "onnx", f)) for f in os.listdir(os.path.join(out, "onnx"))}
    report["seconds"] = round(time.time() - t0, 1)
    summary.append(report)
    log(json.dumps(report, indent=1, default=str))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenizers", required=True, help="folder made by reduce_tokenizer.py")
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    log(f"torch {torch.__version__} transformers {transformers.__version__} onnx {onnx.__version__} onnxruntime {ort.__version__}")
    torch.set_num_threads(4)
    summary = []
    for name, spec in FAMILIES.items():
        if a.only and name not in a.only:
            continue
        try:
            build(name, spec, a.tokenizers, a.out, summary)
        except Exception:
            log(f"{name}: FAILED\n{traceback.format_exc()}")
            summary.append(dict(family=name, error=traceback.format_exc()[-2000:]))
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=str)
    for r in summary:
        graphs = {k: (v.get("ok"), v.get("logits_diff"), v.get("error", "")[:200]) for k, v in r.get("graphs", {}).items()}
        log(r["family"], r.get("arch"), graphs, "chats:", r.get("chats"), r.get("error", "")[-300:])


if __name__ == "__main__":
    sys.exit(main())
