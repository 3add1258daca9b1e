"""Export a ``LlamaForCausalLM`` (tools/export/llama.py) to ONNX.

Two interfaces:
  * ``export_streaming``: the interface of docs/streaming-onnx.md (the engine's fast path);
  * ``export_hf_with_past``: the standard Hugging Face / Optimum "decoder with past" layout.

Opset 17 with the TorchScript exporter (``dynamo=False`` where the keyword exists), dynamic axes
for every sequence length; the graphs come out as IR 8, which onnxruntime-node 1.30 loads.

Command line (re-export saved weights):
  python tools/export/export_onnx.py --weights model.pt --config config.json \
      --interface stream --out onnx/model.onnx
"""

import argparse
import inspect
import json
import os
import sys
from typing import List

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama import LlamaConfig, LlamaForCausalLM  # noqa: E402

OPSET = 17


class _StreamingWrapper(torch.nn.Module):
    def __init__(self, model: LlamaForCausalLM):
        super().__init__()
        self.model = model
        self.layers = model.config.num_hidden_layers

    def forward(self, input_ids, position_ids, *rest):
        pasts = rest[: 2 * self.layers]
        keys, values = list(pasts[0::2]), list(pasts[1::2])
        keep = rest[2 * self.layers] if len(rest) > 2 * self.layers else None
        logits, kv = self.model.forward_stream(input_ids, position_ids, keys, values, keep)
        return (logits, *kv)


class _HfWrapper(torch.nn.Module):
    def __init__(self, model: LlamaForCausalLM):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *pasts):
        keys, values = list(pasts[0::2]), list(pasts[1::2])
        logits, kv = self.model.forward_hf(input_ids, attention_mask, position_ids, keys, values)
        return (logits, *kv)


def _export(module, args, path, input_names, output_names, dynamic_axes):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    kwargs = dict(
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=dynamic_axes,
        opset_version=OPSET,
        do_constant_folding=True,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, path, **kwargs)
    _check(path)


def _check(path: str) -> None:
    import onnx

    m = onnx.load(path)
    onnx.checker.check_model(m)
    if m.ir_version > 10:
        raise RuntimeError(f"{path}: IR version {m.ir_version} > 10; onnxruntime-node 1.30 rejects it")


def _sample_inputs(cfg: LlamaConfig, n: int, past: int, heads_first: bool):
    shape = (1, cfg.num_key_value_heads, past, cfg.head_dim) if heads_first else (
        1, past, cfg.num_key_value_heads, cfg.head_dim)
    ids = torch.randint(0, cfg.vocab_size, (1, n), dtype=torch.int64)
    pos = torch.arange(past, past + n, dtype=torch.int64).unsqueeze(0)
    pasts: List[torch.Tensor] = []
    for _ in range(cfg.num_hidden_layers):
        pasts += [torch.randn(shape), torch.randn(shape)]
    return ids, pos, pasts


def export_streaming(model: LlamaForCausalLM, path: str, with_logits_to_keep: bool = True) -> None:
    cfg = model.config
    # Trace with past > 0 and n > 1 so no length is specialised into the graph.
    ids, pos, pasts = _sample_inputs(cfg, n=3, past=5, heads_first=False)
    names_in = ["input_ids", "position_ids"]
    names_out = ["logits"]
    axes = {"input_ids": {1: "seq"}, "position_ids": {1: "seq"}, "logits": {1: "keep"}}
    for i in range(cfg.num_hidden_layers):
        names_in += [f"past_key.{i}", f"past_value.{i}"]
        names_out += [f"key.{i}", f"value.{i}"]
        axes[f"past_key.{i}"] = {1: "past"}
        axes[f"past_value.{i}"] = {1: "past"}
        axes[f"key.{i}"] = {1: "seq"}
        axes[f"value.{i}"] = {1: "seq"}
    args = [ids, pos, *pasts]
    if with_logits_to_keep:
        names_in.append("num_logits_to_keep")
        args.append(torch.tensor(0, dtype=torch.int64))
    _export(_StreamingWrapper(model), tuple(args), path, names_in, names_out, axes)


def export_hf_with_past(model: LlamaForCausalLM, path: str) -> None:
    cfg = model.config
    ids, pos, pasts = _sample_inputs(cfg, n=3, past=5, heads_first=True)
    mask = torch.ones((1, 8), dtype=torch.int64)
    names_in = ["input_ids", "attention_mask", "position_ids"]
    names_out = ["logits"]
    axes = {
        "input_ids": {0: "batch", 1: "seq"},
        "attention_mask": {0: "batch", 1: "total"},
        "position_ids": {0: "batch", 1: "seq"},
        "logits": {0: "batch", 1: "seq"},
    }
    for i in range(cfg.num_hidden_layers):
        for kind in ("key", "value"):
            names_in.append(f"past_key_values.{i}.{kind}")
            names_out.append(f"present.{i}.{kind}")
            axes[f"past_key_values.{i}.{kind}"] = {0: "batch", 2: "past"}
            axes[f"present.{i}.{kind}"] = {0: "batch", 2: "total"}
    _export(_HfWrapper(model), (ids, mask, pos, *pasts), path, names_in, names_out, axes)


def load_model(weights: str, config_path: str) -> LlamaForCausalLM:
    with open(config_path) as f:
        cfg = LlamaConfig.from_hf(json.load(f))
    model = LlamaForCausalLM(cfg)
    state = torch.load(weights, map_location="cpu")
    model.load_state_dict(state, strict=False)
    missing = [k for k in model.state_dict() if k not in state and not (
        cfg.tie_word_embeddings and k == "lm_head.weight")]
    if missing:
        raise KeyError(f"{weights} lacks weights: {missing[:5]}")
    return model.float().eval()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True, help="state dict saved with torch.save (HF key names)")
    ap.add_argument("--config", required=True, help="config.json in LlamaForCausalLM form")
    ap.add_argument("--interface", choices=["stream", "hf"], default="stream")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    model = load_model(a.weights, a.config)
    if a.interface == "stream":
        export_streaming(model, a.out)
    else:
        export_hf_with_past(model, a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
