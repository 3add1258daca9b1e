"""Weights of a shipped streaming graph (int4 MatMulNBits + int8 embedding) as a PyTorch state
dict with Hugging Face key names, so that training can continue from the shipped model when its
fp16 state dict is not at hand.

  state = state_dict_from_onnx("models/default/onnx/model.onnx", hidden_size)

MatMulNBits (symmetric, 4 bits): B is uint8 [N, blocks, block/2], two values a byte, low nibble
first; weight[n, k] = (q - 8) * scale[n, block of k]; [N, K] is a Linear weight's [out, in].
The embedding goes through DequantizeLinear: (q - zero_point) * scale.
"""

import re
from typing import Dict

import numpy as np
import torch

_LINEAR = re.compile(r"/model/layers\.(\d+)/(self_attn|mlp)/(\w+_proj)/MatMul")
_NORM = re.compile(r"/model/(?:layers\.(\d+)/)?(input_layernorm|post_attention_layernorm|norm)/")


def _matmul_nbits(node, inits) -> np.ndarray:
    attrs = {a.name: a for a in node.attribute}
    n, k, block = attrs["N"].i, attrs["K"].i, attrs["block_size"].i
    q = inits[node.input[1]].reshape(n, -1)
    scales = inits[node.input[2]].reshape(n, -1).astype(np.float32)
    zero = 8.0
    if len(node.input) > 3 and node.input[3]:
        raise ValueError(f"{node.name}: asymmetric MatMulNBits is not supported")
    values = np.empty((n, q.shape[1] * 2), np.float32)
    values[:, 0::2] = q & 0x0F
    values[:, 1::2] = q >> 4
    values = values.reshape(n, -1, block) - zero
    return (values * scales[:, :, None]).reshape(n, -1)[:, :k]


def state_dict_from_onnx(path: str, hidden: int) -> Dict[str, torch.Tensor]:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    producers = {o: n for n in model.graph.node for o in n.output}
    state: Dict[str, np.ndarray] = {}
    for name, arr in inits.items():  # norm weights usually keep their names
        if re.fullmatch(r"model\.(layers\.\d+\.)?\w*norm\.weight", name):
            state[name] = arr.astype(np.float32)
    for node in model.graph.node:
        if node.op_type == "MatMulNBits":
            w = _matmul_nbits(node, inits)
            m = _LINEAR.search(node.name)
            if m:
                state[f"model.layers.{m.group(1)}.{m.group(2)}.{m.group(3)}.weight"] = w
            elif "lm_head" in node.name:
                state["lm_head.weight"] = w
        elif node.op_type == "Gather" and "embed_tokens" in node.name:
            src = node.input[0]
            if src in inits:
                state["model.embed_tokens.weight"] = inits[src].astype(np.float32)
            elif src in producers and producers[src].op_type == "DequantizeLinear":
                dq = producers[src]
                q = inits[dq.input[0]].astype(np.float32)
                scale = inits[dq.input[1]].astype(np.float32)
                zp = inits[dq.input[2]].astype(np.float32) if len(dq.input) > 2 and dq.input[2] else 0.0
                state["model.embed_tokens.weight"] = (q - zp) * scale
        elif node.op_type == "Mul":
            m = _NORM.search(node.name)
            if m:
                key = (f"model.layers.{m.group(1)}.{m.group(2)}.weight" if m.group(1) else "model.norm.weight")
                for i in node.input:
                    if key not in state and i in inits and inits[i].shape == (hidden,):
                        state[key] = inits[i].astype(np.float32)
    if "lm_head.weight" in state:  # tied: the 4-bit blockwise copy is the finer of the two
        state["model.embed_tokens.weight"] = state["lm_head.weight"]
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}
