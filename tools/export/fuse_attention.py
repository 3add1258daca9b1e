"""Rewrites the attention of a streaming-interface graph (docs/streaming-onnx.md) so that a
decode step reads the cached K/V once, in place, and never copies them.

The graphs ``export_onnx.py`` writes attend the way the PyTorch code reads: per layer they
``Concat`` the past with the new K/V, transpose the result to head-major and multiply. Each
decode step therefore copies the whole cache (concat) and copies it again (transpose), for keys
and values of every layer: at a ~1,000-token cache that is most of the step's memory traffic.

The rewrite keeps the interface, the weights (``MatMulNBits`` blocks untouched) and the
projections, and replaces only the part between the grouped queries and the attention output
with an ``If``: few new tokens (a decode step) take the fast branch, more (a prefill chunk)
keep the original nodes, where one transpose is shared by many queries.

The fast branch never concatenates and never transposes the past. The past ``[1, P, kv, d]``
is read as the matrix ``[P, kv*d]`` (a free reshape) and multiplied by a block-diagonal matrix
of the queries ``[kv*d, kv*R]`` (R = queries per KV head): block ``g`` holds the queries of KV
head ``g``, the other blocks are zero, so each score row comes out of one contiguous read of
the cache. The new tokens' own scores (causal among themselves) are computed apart and joined
to the past's scores before one softmax; the values are read the same way and the diagonal
blocks kept. The zero blocks cost ``kv`` times the minimal arithmetic, which for a few queries
is far less than the copies it saves; that is why a prefill chunk keeps the original nodes.

Usage (the graph is rewritten in place unless --out is given):
    /usr/bin/python3 tools/export/fuse_attention.py models/default [--out OUT.onnx]
"""

import argparse
import copy
import json
import math
import os
import sys
from collections import defaultdict
from typing import Dict, List, Set

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FAST_TAG = "/fast_attention"
# A decode step is one token; a few more (speculative or typed-ahead tokens) still win.
DEFAULT_MAX_FAST_TOKENS = 4
NEG = float(np.finfo(np.float32).min)


def graph_maps(graph: onnx.GraphProto):
    producer: Dict[str, onnx.NodeProto] = {}
    consumers: Dict[str, List[onnx.NodeProto]] = defaultdict(list)
    for node in graph.node:
        for out in node.output:
            producer[out] = node
        for inp in node.input:
            consumers[inp].append(node)
    return producer, consumers


def follow_transposes_to_matmul(start: str, consumers, slot: int) -> onnx.NodeProto:
    """The MatMul that reads ``start`` (through Transpose/Reshape nodes only) as input ``slot``."""
    frontier = [start]
    seen: Set[str] = set()
    while frontier:
        value = frontier.pop()
        for node in consumers.get(value, []):
            if node.op_type == "MatMul" and node.input[slot] == value:
                return node
            if node.op_type in ("Transpose", "Reshape") and node.input[0] == value and node.output[0] not in seen:
                seen.add(node.output[0])
                frontier.append(node.output[0])
    raise ValueError(f"no attention MatMul reads {start!r}: is this a graph exported by tools/export/llama.py?")


def ancestors(value: str, producer) -> Set[int]:
    found: Set[int] = set()
    stack = [value]
    while stack:
        node = producer.get(stack.pop())
        if node is None or id(node) in found:
            continue
        found.add(id(node))
        stack.extend(node.input)
    return found


def descendants(values: List[str], consumers) -> Set[int]:
    found: Set[int] = set()
    stack = list(values)
    while stack:
        for node in consumers.get(stack.pop(), []):
            if id(node) not in found:
                found.add(id(node))
                stack.extend(node.output)
    return found


def const(name: str, array: np.ndarray) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name], name=name, value=numpy_helper.from_array(array, name))


def shared_prelude(heads: int, kv: int, d: int, max_fast: int) -> List[onnx.NodeProto]:
    """Values every layer's fast branch uses, computed once per run."""
    t = FAST_TAG
    rep = heads // kv
    i64 = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731
    eye = np.eye(kv, dtype=np.float32).reshape(kv, 1, kv, 1)
    return [
        helper.make_node("Shape", ["input_ids"], [f"{t}/n"], name=f"{t}/n", start=1, end=2),
        helper.make_node("Shape", ["past_key.0"], [f"{t}/past"], name=f"{t}/past", start=1, end=2),
        const(f"{t}/max_fast", i64(max_fast)),
        helper.make_node("LessOrEqual", [f"{t}/n", f"{t}/max_fast"], [f"{t}/is_fast_1"], name=f"{t}/is_fast_1"),
        const(f"{t}/scalar_shape", np.array([], dtype=np.int64)),
        helper.make_node("Reshape", [f"{t}/is_fast_1", f"{t}/scalar_shape"], [f"{t}/is_fast"], name=f"{t}/is_fast"),
        helper.make_node("Reshape", [f"{t}/n", f"{t}/scalar_shape"], [f"{t}/n_scalar"], name=f"{t}/n_scalar"),
        const(f"{t}/zero", np.array(0, dtype=np.int64)),
        const(f"{t}/one", np.array(1, dtype=np.int64)),
        helper.make_node("Range", [f"{t}/zero", f"{t}/n_scalar", f"{t}/one"], [f"{t}/range"], name=f"{t}/range"),
        const(f"{t}/key_axes", i64(1, 2, 3)),
        const(f"{t}/query_axes", i64(0, 1, 2)),
        helper.make_node("Unsqueeze", [f"{t}/range", f"{t}/key_axes"], [f"{t}/key_pos"], name=f"{t}/key_pos"),
        helper.make_node("Unsqueeze", [f"{t}/range", f"{t}/query_axes"], [f"{t}/query_pos"], name=f"{t}/query_pos"),
        # Causal bias [n, kv*R] for the new tokens' scores: row j is new key j, column (g, r, i)
        # query i of head (g, r); query i sees key j only if j <= i.
        helper.make_node("Greater", [f"{t}/key_pos", f"{t}/query_pos"], [f"{t}/future"], name=f"{t}/future"),
        const(f"{t}/neg", np.array(NEG, dtype=np.float32)),
        const(f"{t}/zeros", np.zeros((1, kv, rep, 1), dtype=np.float32)),
        helper.make_node("Where", [f"{t}/future", f"{t}/neg", f"{t}/zeros"], [f"{t}/causal_4d"], name=f"{t}/causal_4d"),
        const(f"{t}/rows_by_any", i64(0, -1)),
        helper.make_node("Reshape", [f"{t}/causal_4d", f"{t}/rows_by_any"], [f"{t}/causal"], name=f"{t}/causal"),
        helper.make_node("Concat", [f"{t}/past", f"{t}/n"], [f"{t}/split"], name=f"{t}/split", axis=0),
        const(f"{t}/rows_shape", i64(-1, kv * d)),
        const(f"{t}/q_bd_shape", i64(kv * d, -1)),
        const(f"{t}/o_shape", i64(kv, -1, kv, d)),
        const(f"{t}/axis2", i64(2)),
        const(f"{t}/eye", eye),
        const(f"{t}/eye_scaled", eye / np.float32(math.sqrt(d))),
    ]


def fast_branch(l: int, qg: str, past_k: str, new_k: str, past_v: str, new_v: str, out: str, kv: int, d: int) -> onnx.GraphProto:
    """Attention of the grouped queries ``qg`` [1, kv, R, d] (R = queries per KV head) over the
    past and the new K/V, every K/V matrix read in place as rows ``[tokens, kv*d]``."""
    t = f"{FAST_TAG}{l}"
    s = FAST_TAG
    i64 = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731
    nodes = [
        # Block-diagonal queries [kv*d, kv*R], 1/sqrt(d) folded in: column block g holds KV head g's queries.
        helper.make_node("Transpose", [qg], [f"{t}/q_t"], name=f"{t}/q_t", perm=[0, 3, 1, 2]),
        helper.make_node("Mul", [f"{t}/q_t", f"{s}/eye_scaled"], [f"{t}/q_blocks"], name=f"{t}/q_blocks"),
        helper.make_node("Reshape", [f"{t}/q_blocks", f"{s}/q_bd_shape"], [f"{t}/q_bd"], name=f"{t}/q_bd"),
        # Scores [P + n, kv*R]: the past's, then the new tokens' (causal among themselves).
        helper.make_node("Reshape", [past_k, f"{s}/rows_shape"], [f"{t}/k_rows"], name=f"{t}/k_rows"),
        helper.make_node("MatMul", [f"{t}/k_rows", f"{t}/q_bd"], [f"{t}/s_past"], name=f"{t}/s_past"),
        helper.make_node("Reshape", [new_k, f"{s}/rows_shape"], [f"{t}/k_new_rows"], name=f"{t}/k_new_rows"),
        helper.make_node("MatMul", [f"{t}/k_new_rows", f"{t}/q_bd"], [f"{t}/s_new"], name=f"{t}/s_new"),
        helper.make_node("Add", [f"{t}/s_new", f"{s}/causal"], [f"{t}/s_new_masked"], name=f"{t}/s_new_masked"),
        helper.make_node("Concat", [f"{t}/s_past", f"{t}/s_new_masked"], [f"{t}/scores"], name=f"{t}/scores", axis=0),
        helper.make_node("Softmax", [f"{t}/scores"], [f"{t}/probs"], name=f"{t}/probs", axis=0),
        helper.make_node("Split", [f"{t}/probs", f"{s}/split"], [f"{t}/p_past", f"{t}/p_new"], name=f"{t}/split", axis=0),
        # Values: probs^T x rows, past then new accumulated, then the diagonal blocks.
        helper.make_node("Reshape", [past_v, f"{s}/rows_shape"], [f"{t}/v_rows"], name=f"{t}/v_rows"),
        helper.make_node("Gemm", [f"{t}/p_past", f"{t}/v_rows"], [f"{t}/o_past"], name=f"{t}/o_past", transA=1),
        helper.make_node("Reshape", [new_v, f"{s}/rows_shape"], [f"{t}/v_new_rows"], name=f"{t}/v_new_rows"),
        helper.make_node("Gemm", [f"{t}/p_new", f"{t}/v_new_rows", f"{t}/o_past"], [f"{t}/o_all"], name=f"{t}/o_all", transA=1, beta=1.0),
        helper.make_node("Reshape", [f"{t}/o_all", f"{s}/o_shape"], [f"{t}/o_blocks"], name=f"{t}/o_blocks"),
        helper.make_node("Mul", [f"{t}/o_blocks", f"{s}/eye"], [f"{t}/o_diag"], name=f"{t}/o_diag"),
        helper.make_node("ReduceSum", [f"{t}/o_diag", f"{s}/axis2"], [out], name=f"{t}/out", keepdims=1),
    ]
    return helper.make_graph(nodes, f"fast_attention_{l}", [], [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)])


def fuse(model: onnx.ModelProto, heads: int, kv: int, d: int, max_fast: int) -> int:
    graph = model.graph
    if any(n.name.startswith(FAST_TAG) for n in graph.node):
        raise ValueError("this graph's attention is already rewritten")
    inputs = {i.name for i in graph.input}
    layers = sum(1 for name in inputs if name.startswith("past_key."))
    if layers == 0 or "input_ids" not in inputs:
        raise ValueError("not a streaming-interface graph: no input_ids / past_key.N inputs (see docs/streaming-onnx.md)")
    outputs = {o.name for o in graph.output}
    for l in range(layers):
        producer, consumers = graph_maps(graph)
        past_k, past_v = f"past_key.{l}", f"past_value.{l}"
        kcat = next((n for n in consumers[past_k] if n.op_type == "Concat"), None)
        vcat = next((n for n in consumers[past_v] if n.op_type == "Concat"), None)
        if kcat is None or vcat is None:
            raise ValueError(f"layer {l}: past K/V are not concatenated with the new ones as tools/export/llama.py writes them")
        new_k = next(i for i in kcat.input if i != past_k)
        new_v = next(i for i in vcat.input if i != past_v)
        scores = follow_transposes_to_matmul(kcat.output[0], consumers, 1)
        pv = follow_transposes_to_matmul(vcat.output[0], consumers, 1)
        out = pv.output[0]
        # The fast branch yields [kv, R, d] with a leading 1 kept by ReduceSum as [kv, R, 1, d]:
        # only a Reshape may read it, as in llama.py's export.
        if any(c.op_type != "Reshape" for c in consumers[out]):
            raise ValueError(f"layer {l}: the attention output is not only reshaped; cannot rewrite")
        region = ancestors(out, producer) & descendants([past_k, past_v], consumers)
        for node in graph.node:
            if id(node) not in region:
                continue
            for value in node.output:
                outside = [c for c in consumers.get(value, []) if id(c) not in region]
                if value != out and (outside or value in outputs):
                    raise ValueError(f"layer {l}: {value!r} of the attention is also used outside it; cannot rewrite")
        original = [copy.deepcopy(n) for n in graph.node if id(n) in region]
        for n in original:
            if out in n.output:
                n.output[list(n.output).index(out)] = f"{out}/original"
        prefill = helper.make_graph(original, f"attention_{l}", [], [helper.make_tensor_value_info(f"{out}/original", TensorProto.FLOAT, None)])
        decode = fast_branch(l, scores.input[0], past_k, new_k, past_v, new_v, f"{out}/fast", kv, d)
        branch = helper.make_node("If", [f"{FAST_TAG}/is_fast"], [out], name=f"{FAST_TAG}{l}/if", then_branch=decode, else_branch=prefill)
        # Copies: clearing the repeated field may release the messages it held.
        kept = [copy.deepcopy(branch) if n is pv else copy.deepcopy(n) for n in graph.node if id(n) not in region or n is pv]
        del graph.node[:]
        graph.node.extend(kept)
    # The prelude reads graph inputs only, so it can run first.
    rest = [copy.deepcopy(n) for n in graph.node]
    del graph.node[:]
    graph.node.extend(shared_prelude(heads, kv, d, max_fast) + rest)
    return layers


def fuse_model_dir(model_dir: str, out: str = "", max_fast: int = DEFAULT_MAX_FAST_TOKENS) -> str:
    """Rewrites ``model_dir``'s streaming graph (in place unless ``out``); returns the path written."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    heads = cfg["num_attention_heads"]
    kv = cfg.get("num_key_value_heads", heads)
    d = cfg.get("head_dim") or cfg["hidden_size"] // heads
    src = os.path.join(model_dir, "onnx", "model.onnx")
    # Weights kept in an external data file stay there (written beside the output graph).
    external = sorted({e.value for t in onnx.load(src, load_external_data=False).graph.initializer
                       if t.data_location == TensorProto.EXTERNAL for e in t.external_data if e.key == "location"})
    model = onnx.load(src)
    layers = fuse(model, heads, kv, d, max_fast)
    if layers != cfg["num_hidden_layers"]:
        raise ValueError(f"{src} has {layers} layers of past keys but config.json says {cfg['num_hidden_layers']}")
    dest = out or src
    if external:
        # onnx appends to an existing data file; the weights are in memory, so start it afresh.
        data = os.path.join(os.path.dirname(os.path.abspath(dest)), external[0])
        if os.path.exists(data):
            os.remove(data)
        onnx.save(model, dest, save_as_external_data=True, all_tensors_to_one_file=True, location=external[0], size_threshold=1024)
    else:
        onnx.save(model, dest)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", help="a model directory with config.json and onnx/model.onnx (streaming interface)")
    parser.add_argument("--out", default="", help="where to write the rewritten graph (default: over onnx/model.onnx)")
    parser.add_argument("--max-fast-tokens", type=int, default=DEFAULT_MAX_FAST_TOKENS,
                        help=f"runs of at most this many new tokens take the fast branch (default {DEFAULT_MAX_FAST_TOKENS})")
    args = parser.parse_args()
    try:
        path = fuse_model_dir(args.model_dir, args.out, args.max_fast_tokens)
    except (ValueError, OSError) as err:
        sys.exit(f"fuse_attention: {err}")
    print(f"rewrote the attention -> {path}")


if __name__ == "__main__":
    main()
