"""After training: export, check, quantise, evaluate and package the bundled model.

  python tools/train/finish.py --data /tmp/endless --repo . --out $OUT [--smoke]

1. export the trained weights to the streaming interface (fp32) and, for benchmarks, to the
   Hugging Face "decoder with past" interface;
2. compare onnxruntime with PyTorch (max logit difference, fp32, a prefill and a continuation);
3. quantise: int8 (`quantize_dynamic`) and int4 (`MatMulNBits`, block 32, embedding int8);
   measure held-out loss and CPU decode speed of each and ship the faster one whose loss
   rises by at most 3%;
4. perplexity of the held-out stream under dense/window/recompute/sink (PyTorch reference);
5. sample completions and chat answers;
6. write the model directory and split what must travel back into files under 16 MB.
"""

import argparse
import hashlib
import json
import math
import os
import shutil
import sys
import tarfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "export"))
from export_onnx import export_hf_with_past, export_streaming  # noqa: E402
from llama import LlamaConfig, LlamaForCausalLM  # noqa: E402
from model_files import SPECIAL_TOKENS, token_id_fields, write_json, write_model_dir  # noqa: E402
from stream_eval import stream_nll  # noqa: E402

PART = 15 * 1024 * 1024


def log(msg):
    print(f"[finish {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def ort_session(path, threads=0):
    import onnxruntime as ort
    so = ort.SessionOptions()
    if threads:
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def stream_feed(cfg, ids, pos, pasts=None, keep=0):
    feeds = {"input_ids": np.asarray(ids, np.int64)[None], "position_ids": np.asarray(pos, np.int64)[None],
             "num_logits_to_keep": np.array(keep, np.int64)}
    for i in range(cfg.num_hidden_layers):
        for kind in ("key", "value"):
            feeds[f"past_{kind}.{i}"] = (pasts[f"{kind}.{i}"] if pasts else
                                         np.zeros((1, 0, cfg.num_key_value_heads, cfg.head_dim), np.float32))
    return feeds


def check_ort_vs_torch(model, cfg, stream_path, hf_path, ids):
    """max |logit diff| between onnxruntime and PyTorch, both interfaces (the streaming one
    alone when hf_path is None), past = 0 and > 0."""
    out = {}
    sess = ort_session(stream_path)
    a, b = ids[:48], ids[48:56]
    r1 = sess.run(None, stream_feed(cfg, a, range(48)))
    names = [o.name for o in sess.get_outputs()]
    past = {n: v for n, v in zip(names, r1) if n != "logits"}
    r2 = sess.run(None, stream_feed(cfg, b, range(48, 56), past))
    with torch.no_grad():
        ref = model.forward_train(torch.tensor([ids[:56]])).numpy()[0]
    out["stream_prefill"] = float(np.abs(r1[0][0] - ref[:48]).max())
    out["stream_continue"] = float(np.abs(r2[0][0] - ref[48:56]).max())
    if hf_path is None:
        return out
    sess = ort_session(hf_path)
    feeds = {"input_ids": np.asarray([a], np.int64), "attention_mask": np.ones((1, 48), np.int64),
             "position_ids": np.arange(48, dtype=np.int64)[None]}
    for i in range(cfg.num_hidden_layers):
        for kind in ("key", "value"):
            feeds[f"past_key_values.{i}.{kind}"] = np.zeros((1, cfg.num_key_value_heads, 0, cfg.head_dim), np.float32)
    r = sess.run(None, feeds)
    names = [o.name for o in sess.get_outputs()]
    feeds = {"input_ids": np.asarray([b], np.int64), "attention_mask": np.ones((1, 56), np.int64),
             "position_ids": np.arange(48, 56, dtype=np.int64)[None]}
    for n, v in zip(names, r):
        if n.startswith("present."):
            feeds["past_key_values." + n[len("present."):]] = v
    r2 = sess.run(None, feeds)
    out["hf_prefill"] = float(np.abs(r[0][0] - ref[:48]).max())
    out["hf_continue"] = float(np.abs(r2[0][0] - ref[48:56]).max())
    return out


def quantise(fp32, int8_path, int4_path, int8=True):
    from onnxruntime.quantization import QuantType, quantize_dynamic
    made = {}
    try:
        if int8:
            quantize_dynamic(fp32, int8_path, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gather"])
            made["int8"] = int8_path
    except Exception as e:  # report, and ship what did work
        log(f"int8 quantisation failed: {e!r}")
    try:
        import onnx
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
        q = MatMulNBitsQuantizer(onnx.load(fp32), block_size=32, is_symmetric=True, accuracy_level=4)
        q.process()
        tmp = int4_path + ".matmul.onnx"
        q.model.save_model_to_file(tmp, False)
        try:  # the embedding Gather stays fp32 under MatMulNBits: make it int8 as well
            quantize_dynamic(tmp, int4_path, weight_type=QuantType.QInt8, op_types_to_quantize=["Gather"])
            os.remove(tmp)
        except Exception as e:
            log(f"int8 embedding on the int4 model failed ({e!r}); keeping an fp32 embedding")
            os.replace(tmp, int4_path)
        made["int4"] = int4_path
    except Exception as e:
        log(f"int4 quantisation failed: {e!r}")
    return made


def ort_loss(path, cfg, windows):
    sess = ort_session(path)
    losses = []
    for w in windows:
        logits = sess.run(["logits"], stream_feed(cfg, w[:-1], range(len(w) - 1)))[0][0].astype(np.float64)
        logits -= logits.max(-1, keepdims=True)
        lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        losses.append(-lp[np.arange(len(w) - 1), w[1:]].mean())
    return float(np.mean(losses))


def ort_speed(path, cfg, ids, threads=2):
    """ms per decoded token after a 512-token prefill, and prefill tokens/s, on `threads` CPU threads."""
    sess = ort_session(path, threads)
    names = [o.name for o in sess.get_outputs()]
    t = time.time()
    r = sess.run(None, stream_feed(cfg, ids[:512], range(512), keep=1))
    prefill = 512 / (time.time() - t)
    past = {n: v for n, v in zip(names, r) if n != "logits"}
    tok = int(r[0][0, -1].argmax())
    t = time.time()
    steps = 64
    for s in range(steps):
        r = sess.run(None, stream_feed(cfg, [tok], [512 + s], past, keep=1))
        for n, v in zip(names, r):
            if n != "logits":
                past[n] = np.concatenate((past[n], v), axis=1)
        tok = int(r[0][0, -1].argmax())
    return {"decode_ms_per_token": round((time.time() - t) * 1000 / steps, 2), "prefill_tok_per_s": round(prefill)}


@torch.no_grad()
def generate(model, tok, prompt_ids, max_new, stop_ids, device):
    cfg = model.config
    L = cfg.num_hidden_layers
    empty = torch.zeros(1, 0, cfg.num_key_value_heads, cfg.head_dim, device=device)
    keys, values = [empty] * L, [empty] * L
    ids = list(prompt_ids)
    new = torch.tensor([ids], device=device)
    out = []
    for _ in range(max_new):
        size = keys[0].shape[1]
        pos = torch.arange(size, size + new.shape[1], device=device).unsqueeze(0)
        logits, kv = model.forward_stream(new, pos, keys, values)
        keys = [torch.cat((keys[i], kv[2 * i]), 1) for i in range(L)]
        values = [torch.cat((values[i], kv[2 * i + 1]), 1) for i in range(L)]
        # greedy with a mild repetition penalty, as the product's defaults
        last = logits[0, -1].clone()
        for t in set(out[-64:]):
            last[t] = last[t] / 1.1 if last[t] > 0 else last[t] * 1.1
        nxt = int(last.argmax())
        if nxt in stop_ids:
            break
        out.append(nxt)
        new = torch.tensor([[nxt]], device=device)
    return tok.decode(out, skip_special_tokens=False)


SAMPLE_PROMPTS = [
    ("fim", "src/utils/math.ts",
     "export function clamp(value: number, min: number, max: number): number {\n  ", "\n}\n"),
    ("fim", "src/strings.ts",
     "/** Returns the string with its first letter in upper case. */\nexport function capitalize(s: string): string {\n  return ",
     ";\n}\n"),
    ("prefix", "src/http/fetchJson.ts",
     "export async function fetchJson<T>(url: string): Promise<T> {\n  const response = await fetch(url);\n", None),
    ("prefix", "lib/array.js", "function unique(array) {\n", None),
    ("prefix", "utils/files.py", "import os\n\n\ndef list_python_files(root):\n    \"\"\"Return every .py file under root.\"\"\"\n", None),
    ("chat", None, "Write a TypeScript function that reverses a string.", None),
    ("chat", None, "Write a JavaScript function that returns the largest number in an array.", None),
    ("chat", None, "Write a Python function that counts the words in a text file.", None),
]


def samples(model, tok, device):
    ids = {t: tok.token_to_id(t) for t in SPECIAL_TOKENS}
    stop = {ids["<|endoftext|>"], ids["<|im_end|>"], ids["<|file_sep|>"]}
    out = []
    for kind, path, text, suffix in SAMPLE_PROMPTS:
        if kind == "fim":
            prompt = f"<|file_sep|>{path}\n<|fim_suffix|>{suffix}<|fim_prefix|>{text}<|fim_middle|>"
        elif kind == "prefix":
            prompt = f"<|file_sep|>{path}\n{text}"
        else:
            prompt = f"<|im_start|>system\nYou are Endless, a coding assistant running locally in the editor. Answer with code.<|im_end|>\n<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n"
        p_ids = [ids["<|bos|>"]] + tok.encode(prompt).ids
        out.append({"kind": kind, "path": path, "prompt": text, "suffix": suffix,
                    "output": generate(model, tok, p_ids, 160, stop, device)})
    return out


def split_into(path, out_dir, name):
    parts = []
    with open(path, "rb") as f:
        i = 0
        while True:
            chunk = f.read(PART)
            if not chunk:
                break
            p = os.path.join(out_dir, f"{name}.part{i}")
            with open(p, "wb") as g:
                g.write(chunk)
            parts.append(os.path.basename(p))
            i += 1
    return parts


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--no-hf", action="store_true",
                    help="skip the Hugging Face \"decoder with past\" export (benchmarks only)")
    ap.add_argument("--baseline-onnx", help="also measure the stream perplexities of the weights read back "
                    "from this graph (the model training started from), for a before/after")
    ap.add_argument("--int8", action="store_true",
                    help="also make and measure the int8 variant (it lost 14%% in held-out loss last time)")
    a = ap.parse_args()
    t0 = time.time()
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(a.data, "tokenizer.json"))
    tok_json = json.load(open(os.path.join(a.data, "tokenizer.json")))
    tc = json.load(open(os.path.join(a.data, "train-config.json")))
    cfg = LlamaConfig(**tc)
    model = LlamaForCausalLM(cfg)
    state = torch.load(os.path.join(a.data, "model.pt"), map_location="cpu")
    model.load_state_dict(state)
    model.eval()
    ev = {"params": sum(p.numel() for p in model.parameters())}
    ids = {t: tok.token_to_id(t) for t in SPECIAL_TOKENS}

    work = os.path.join(a.data, "export")
    os.makedirs(work, exist_ok=True)
    fp32 = os.path.join(work, "model-fp32.onnx")
    hf32 = None if a.no_hf else os.path.join(work, "hf", "model.onnx")
    export_streaming(model, fp32)
    if hf32:
        export_hf_with_past(model, hf32)
    log(f"exported ({time.time() - t0:.0f}s)")

    stream_text = open(os.path.join(a.repo, "tools", "train", "heldout-stream.txt"), encoding="utf-8").read()
    stream_ids = [ids["<|bos|>"]] + tok.encode(stream_text).ids
    ev["heldout_stream_tokens"] = len(stream_ids)
    ev["ort_vs_torch_max_logit_diff"] = check_ort_vs_torch(model, cfg, fp32, hf32, stream_ids[:56])
    log(f"onnxruntime vs pytorch: {ev['ort_vs_torch_max_logit_diff']}")

    made = quantise(fp32, os.path.join(work, "model-int8.onnx"), os.path.join(work, "model-int4.onnx"), a.int8)
    # JavaScript's held-out windows, or TypeScript's where there are none (a smoke run's slice).
    val = np.load(os.path.join(a.data, "val-js.npy"))
    if len(val) == 0:
        val = np.load(os.path.join(a.data, "val-ts.npy"))
    val = val[: (2 if a.smoke else 8)].astype(np.int64)
    variants = {"fp32": fp32, **made}
    quant = {}
    for name, path in variants.items():
        quant[name] = {"bytes": os.path.getsize(path), "heldout_loss": round(ort_loss(path, cfg, val), 4),
                       **ort_speed(path, cfg, stream_ids[:600])}
        log(f"{name}: {quant[name]}")
    ev["quantisation"] = quant
    base = quant["fp32"]["heldout_loss"]
    small = [n for n in made if quant[n]["bytes"] < 46e6] or list(made)
    ok = [n for n in small if quant[n]["heldout_loss"] <= base * 1.03]
    if ok:
        chosen = min(ok, key=lambda n: quant[n]["decode_ms_per_token"])
    else:
        # Every quantised graph loses more than 3%: ship the closest one rather than none (the
        # log and eval.json say so; a grown shape's first round lost 4% at int4).
        chosen = min(small, key=lambda n: quant[n]["heldout_loss"])
        log(f"no quantised graph within 3% of fp32's held-out loss ({base}); closest: {chosen}")
    ev["shipped"] = chosen
    log(f"shipping {chosen} ({time.time() - t0:.0f}s)")
    # The shipped graph travels back first, so that a later failure cannot lose it.
    os.makedirs(a.out, exist_ok=True)
    early = split_into(variants[chosen], a.out, "model.onnx")
    with open(os.path.join(a.out, "sha256.txt"), "w") as f:
        f.write(f"{sha256(variants[chosen])}  model.onnx  {' '.join(early)}\n")
    # the same weights, quantised the same way, in the Hugging Face interface (for benchmarks)
    if hf32:
        hf_q = quantise(hf32, os.path.join(work, "hf", "model-int8.onnx"), os.path.join(work, "hf", "model-int4.onnx"), chosen == "int8")
        if chosen in hf_q:
            os.replace(hf_q[chosen], os.path.join(work, "hf", "model-quantised.onnx"))

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device)
    ev["stream_ppl_pytorch"] = []
    n_eval = 4096 if a.smoke else len(stream_ids)
    for window in (256, 1024):
        for mode in ("dense", "window", "recompute", "sink"):
            if mode == "dense" and window == 1024:
                continue  # dense does not depend on the window
            r = stream_nll(model, stream_ids[:n_eval], mode, 4, window, device=device)
            ev["stream_ppl_pytorch"].append(r)
            log(f"{mode} w={window}: ppl {r['ppl']:.3f}")
    if a.baseline_onnx:
        from onnx_weights import state_dict_from_onnx
        base_model = LlamaForCausalLM(cfg)
        base_model.load_state_dict(state_dict_from_onnx(a.baseline_onnx, cfg.hidden_size))
        base_model.to(device).eval()
        ev["baseline_stream_ppl_pytorch"] = []
        for window in (256, 1024):
            for mode in ("dense", "window", "recompute", "sink"):
                if mode == "dense" and window == 1024:
                    continue
                r = stream_nll(base_model, stream_ids[:n_eval], mode, 4, window, device=device)
                ev["baseline_stream_ppl_pytorch"].append(r)
                log(f"baseline {mode} w={window}: ppl {r['ppl']:.3f}")
        del base_model
    ev["samples"] = samples(model, tok, device)
    for s in ev["samples"]:
        log(f"{s['kind']} {s['prompt']!r} -> {s['output']!r}")

    # The model directory, as shipped.
    mdir = os.path.join(a.data, "default")
    hf_cfg = cfg.to_hf(**token_id_fields(tok_json))
    write_model_dir(mdir, hf_cfg, tok_json, model_max_length=cfg.max_position_embeddings,
                    sampling={"do_sample": False, "repetition_penalty": 1.1, "max_new_tokens": 256})
    os.makedirs(os.path.join(mdir, "onnx"), exist_ok=True)
    shutil.copy(variants[chosen], os.path.join(mdir, "onnx", "model.onnx"))
    # reference.json: onnxruntime (Python) outputs of the shipped graph, for tools/export/verify_ort.mjs
    sess = ort_session(os.path.join(mdir, "onnx", "model.onnx"))
    names = [o.name for o in sess.get_outputs()]
    f1 = stream_feed(cfg, stream_ids[:12], range(12), keep=4)
    r1 = sess.run(None, f1)
    past = {n: v for n, v in zip(names, r1) if n != "logits"}
    f2 = stream_feed(cfg, stream_ids[12:15], range(12, 15), past)
    r2 = sess.run(None, f2)

    def tj(x):
        import base64
        x = np.asarray(x)  # keeps 0-d scalars 0-d (ascontiguousarray would make them 1-d)
        return {"type": "int64" if x.dtype == np.int64 else "float32", "dims": list(x.shape),
                "b64": base64.b64encode(x.astype("<i8" if x.dtype == np.int64 else "<f4").tobytes()).decode()}
    cases = [{"name": "prefill-keep-4", "inputs": {k: tj(v) for k, v in f1.items()},
              "outputs": {"logits": tj(r1[0])}},
             {"name": "continue", "inputs": {k: tj(v) for k, v in f2.items()},
              "outputs": {n: tj(v) for n, v in zip(names, r2)}}]
    write_json(os.path.join(a.data, "reference.json"), {"interface": "stream", "source": "onnxruntime (Python)",
                                                        "cases": cases})

    # fp16 state dict without the tied lm_head copy (re-tied on load)
    half = {k: v.half() for k, v in state.items() if not (cfg.tie_word_embeddings and k == "lm_head.weight")}
    torch.save(half, os.path.join(a.data, "model-fp16.pt"))

    ev["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(a.data, "eval.json"), "w") as f:
        json.dump(ev, f, indent=2)

    # What travels back: small files in one archive, the graph in parts.
    os.makedirs(a.out, exist_ok=True)
    with tarfile.open(os.path.join(a.out, "results.tar.xz"), "w:xz") as tar:
        for fn in ("eval.json", "data-stats.json", "train-log.jsonl", "train-config.json", "reference.json"):
            p = os.path.join(a.data, fn)
            if os.path.exists(p):
                tar.add(p, arcname=fn)
        for fn in ("config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"):
            tar.add(os.path.join(mdir, fn), arcname=f"default/{fn}")
    # The streaming graph and its Hugging Face twin come back in parts (~58 MB of the 64 MiB a
    # call may return); the fp16 state dict stays in --data for a second, immediate call
    # (`split -b 15M model-fp16.pt`).
    parts = split_into(os.path.join(mdir, "onnx", "model.onnx"), a.out, "model.onnx")
    hf_path = os.path.join(work, "hf", "model-quantised.onnx")
    hf_parts = split_into(hf_path, a.out, "hf-model.onnx") if os.path.exists(hf_path) else []
    with open(os.path.join(a.out, "sha256.txt"), "w") as f:
        f.write(f"{sha256(os.path.join(mdir, 'onnx', 'model.onnx'))}  model.onnx  {' '.join(parts)}\n")
        if hf_parts:
            f.write(f"{sha256(hf_path)}  hf-model.onnx  {' '.join(hf_parts)}\n")
        p = os.path.join(a.data, "model-fp16.pt")
        f.write(f"{sha256(p)}  model-fp16.pt  {os.path.getsize(p)}\n")
    log(f"done ({time.time() - t0:.0f}s); out: {sorted(os.listdir(a.out))}")


if __name__ == "__main__":
    main()
