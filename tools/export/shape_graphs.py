"""Random-weight streaming graphs of other model shapes, laid out as the bundled model's, to time
decode (bench/shapeDecode.ts) before training a shape: the streaming export, int4 `MatMulNBits`
(block 32, symmetric, accuracy level 4) on every projection and the tied output layer, and the
fused attention. The embedding stays float32: a decode step reads one of its rows.

  /usr/bin/python3 tools/export/shape_graphs.py --out /tmp/shapes h640l10=640,10,10,5,1728 ...

A shape is NAME=hidden,layers,heads,kv_heads,mlp (head dim 64, the bundled vocabulary and
tokenizer). The int4 blocks are written by blend_onnx.quantise_nbits, which writes them as
onnxruntime's quantiser does; onnxruntime's Python package is not needed.
"""

import argparse
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "train"))
from blend_onnx import quantise_nbits  # noqa: E402
from export_onnx import export_streaming  # noqa: E402
from fuse_attention import fuse_model_dir  # noqa: E402
from llama import LlamaConfig, LlamaForCausalLM, init_random  # noqa: E402

BUNDLED = os.path.join(HERE, "..", "..", "models", "default")
BLOCK = 32


def matmuls_to_nbits(path: str) -> None:
    """Every MatMul by a constant weight becomes a MatMulNBits of that weight."""
    model = onnx.load(path)
    inits = {t.name: t for t in model.graph.initializer}
    nodes = []
    for node in model.graph.node:
        if node.op_type != "MatMul" or node.input[1] not in inits:
            nodes.append(node)
            continue
        w = numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)  # [K, N]
        k, n = w.shape
        q, scales = quantise_nbits(np.ascontiguousarray(w.T), BLOCK)
        names = (node.input[1] + "_q4", node.input[1] + "_scales")
        model.graph.initializer.extend([numpy_helper.from_array(q, names[0]),
                                        numpy_helper.from_array(scales.reshape(-1), names[1])])
        nodes.append(helper.make_node("MatMulNBits", [node.input[0], *names], list(node.output), name=node.name,
                                      domain="com.microsoft", K=k, N=n, bits=4, block_size=BLOCK, accuracy_level=4))
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    used = {name for node in model.graph.node for name in node.input}
    kept = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, path)


def write_shape(out: str, hidden: int, layers: int, heads: int, kv: int, mlp: int) -> int:
    with open(os.path.join(BUNDLED, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    cfg = LlamaConfig(vocab_size=config["vocab_size"], hidden_size=hidden, intermediate_size=mlp,
                      num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv, head_dim=64,
                      rope_theta=config["rope_theta"], max_position_embeddings=config["max_position_embeddings"],
                      tie_word_embeddings=True)
    model = LlamaForCausalLM(cfg).eval()
    init_random(model, seed=1, sharp=False)
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    export_streaming(model, os.path.join(out, "onnx", "model.onnx"))
    matmuls_to_nbits(os.path.join(out, "onnx", "model.onnx"))
    config.update(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                  num_key_value_heads=kv, intermediate_size=mlp)
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    for name in ("generation_config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(BUNDLED, name), out)
    fuse_model_dir(out)
    return sum(p.numel() for p in model.parameters())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("shapes", nargs="+", help="NAME=hidden,layers,heads,kv_heads,mlp")
    a = ap.parse_args()
    for spec in a.shapes:
        name, _, dims = spec.partition("=")
        try:
            hidden, layers, heads, kv, mlp = (int(x) for x in dims.split(","))
        except ValueError:
            sys.exit(f"a shape is NAME=hidden,layers,heads,kv_heads,mlp (five whole numbers), got {spec!r}")
        params = write_shape(os.path.join(a.out, name), hidden, layers, heads, kv, mlp)
        print(f"{name}: {params:,} parameters -> {os.path.join(a.out, name)}", flush=True)


if __name__ == "__main__":
    main()
