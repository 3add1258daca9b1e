"""Weights of a shipped streaming graph (int4 MatMulNBits + int8 embedding) as a PyTorch state
dict with Hugging Face key names, so that training can continue from the shipped model when its
fp16 state dict is not at hand.

  state = state_dict_from_onnx("models/default/onnx/model.onnx", hidden_size)

With tied=False the embedding and the output layer keep their own roundings, which
reproduces the graph itself (to the ~0.2 in logits that its int8 activations cost); with
tied=True (the model's own form) both take the embedding's int8 copy.

MatMulNBits (symmetric, 4 bits): B is uint8 [N, blocks, block/2], two values a byte, low nibble
first; weight[n, k] = (q - 8) * scale[n, block of k]; [N, K] is a Linear weight's [out, in].
The embedding goes through DequantizeLinear: (q - zero_point) * scale.
"""

import re
from typing import Dict

import numpy as np
import torch

# Node names differ by exporter: `/model/layers.7/self_attn/o_proj/MatMul` (module paths) or,
# from the TorchScript exporter of the shipped graph, `/o_proj_7/MatMul_Q4`,
# `/mlp/gate_proj_7/MatMul_Q4` (layer 0 has no suffix).
_LINEAR = re.compile(r"/model/layers\.(\d+)/(self_attn|mlp)/(\w+_proj)/MatMul")
_LINEAR_FLAT = re.compile(r"^/(?:mlp/)?(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)(?:_(\d+))?/MatMul")
_GROUP = {"q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn",
          "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"}
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


def state_dict_from_onnx(path: str, hidden: int, tied: bool = True) -> Dict[str, torch.Tensor]:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    producers = {o: n for n in model.graph.node for o in n.output}
    state: Dict[str, np.ndarray] = {}
    for name, arr in inits.items():  # norm weights keep their names, under one more `model.` at times
        m = re.fullmatch(r"(?:model\.)?(model\.(?:layers\.\d+\.)?\w*norm\.weight)", name)
        if m:
            state[m.group(1)] = arr.astype(np.float32)
    for node in model.graph.node:
        if node.op_type == "MatMulNBits":
            w = _matmul_nbits(node, inits)
            m = _LINEAR.search(node.name)
            flat = _LINEAR_FLAT.search(node.name)
            if m:
                state[f"model.layers.{m.group(1)}.{m.group(2)}.{m.group(3)}.weight"] = w
            elif flat:
                proj, layer = flat.group(1), int(flat.group(2) or 0)
                state[f"model.layers.{layer}.{_GROUP[proj]}.{proj}.weight"] = w
            elif "lm_head" in node.name:
                state["lm_head.weight"] = w
        elif node.op_type == "Gather" and "embed_tokens" in node.name:
            src = node.input[0]
            consumers = [n for n in model.graph.node if node.output[0] in n.input]
            if src in inits and len(consumers) == 1 and consumers[0].op_type == "DequantizeLinear":
                dq = consumers[0]  # int8 rows gathered first, dequantised after
                scale = inits[dq.input[1]].astype(np.float32)
                zp = inits[dq.input[2]].astype(np.float32) if len(dq.input) > 2 and dq.input[2] else 0.0
                state["model.embed_tokens.weight"] = (inits[src].astype(np.float32) - zp) * scale
            elif src in inits:
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
    if tied and "model.embed_tokens.weight" in state:
        # One matrix serves both ends. The graph holds two roundings of it: int8 with one scale
        # for the embedding (steps of ~0.01) and int4 in blocks of 32 for the output layer
        # (coarser); the int8 copy is the nearer to the trained weights.
        state["lm_head.weight"] = state["model.embed_tokens.weight"]
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}
