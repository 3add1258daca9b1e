"""Blend the weights of two quantised streaming graphs of the same model shape:
w = alpha * tuned + (1 - alpha) * base, written into a copy of the tuned graph and quantised
again exactly as finish.py quantises (checked: alpha = 1 gives back every initialiser of the
tuned graph bit for bit).

  /usr/bin/python3 tools/train/blend_onnx.py BASE.onnx TUNED.onnx OUT.onnx ALPHA

Why: continued training on a small, repeated corpus (finetune_device.sh) moves the model
towards editor-shaped completions but away from what it knew (held-out perplexity rises);
a point on the line between the two weight sets keeps most of both. Works on CPU in seconds,
so the blend is chosen by the evaluations in tools/eval/ without another GPU run.

Pairs the MatMulNBits nodes by name (both graphs come from the same exporter), the RMSNorm
weights by initialiser name, and the int8 embedding (DequantizeLinear after its Gather).
"""

import sys

import numpy as np
import onnx
from onnx import numpy_helper

EMBED = "model.model.embed_tokens.weight_"


def dequantise_nbits(q: np.ndarray, scales: np.ndarray, n: int, k: int, block: int) -> np.ndarray:
    q = q.reshape(n, -1)
    values = np.empty((n, q.shape[1] * 2), np.float32)
    values[:, 0::2] = q & 0x0F
    values[:, 1::2] = q >> 4
    return ((values.reshape(n, -1, block) - 8) * scales.reshape(n, -1, 1)).reshape(n, -1)[:, :k]


def quantise_nbits(w: np.ndarray, block: int):
    """Symmetric 4-bit blocks as onnxruntime's MatMulNBitsQuantizer writes them: the value of
    largest magnitude maps to -8, so the scale takes its sign."""
    n = w.shape[0]
    blocks = w.reshape(n, -1, block)
    peak = np.take_along_axis(blocks, np.abs(blocks).argmax(-1)[..., None], -1)[..., 0]
    scales = peak / -8.0
    scales[scales == 0] = 1.0
    q = np.clip(np.rint(blocks / scales[..., None]) + 8, 0, 15).astype(np.uint8).reshape(n, -1)
    return (q[:, 0::2] | (q[:, 1::2] << 4)).reshape(n, -1, block // 2), scales.astype(np.float32)


def quantise_uint8(w: np.ndarray):
    """Asymmetric per-tensor uint8 with zero in range, as quantize_dynamic writes the embedding."""
    lo, hi = min(0.0, float(w.min())), max(0.0, float(w.max()))
    scale = (hi - lo) / 255.0
    zero = np.rint(-lo / scale)
    return np.clip(np.rint(w / scale) + zero, 0, 255).astype(np.uint8), np.float32(scale), np.uint8(zero)


def blend(base_path: str, tuned_path: str, out_path: str, alpha: float) -> int:
    base = onnx.load(base_path)
    tuned = onnx.load(tuned_path)
    base_inits = {t.name: numpy_helper.to_array(t) for t in base.graph.initializer}
    tuned_inits = {t.name: t for t in tuned.graph.initializer}
    base_nodes = {n.name: n for n in base.graph.node}

    def get(name):
        return numpy_helper.to_array(tuned_inits[name])

    def put(name, value):
        old = get(name)
        tuned_inits[name].CopyFrom(numpy_helper.from_array(np.asarray(value).astype(old.dtype).reshape(old.shape), name))

    count = 0
    for node in tuned.graph.node:
        if node.op_type != "MatMulNBits":
            continue
        other = base_nodes.get(node.name)
        if other is None:
            raise ValueError(f"{base_path} has no node {node.name}: the graphs come from different exporters")
        attrs = {a.name: a.i for a in node.attribute}
        n, k, block = attrs["N"], attrs["K"], attrs["block_size"]
        w_tuned = dequantise_nbits(get(node.input[1]), get(node.input[2]), n, k, block)
        w_base = dequantise_nbits(base_inits[other.input[1]], base_inits[other.input[2]], n, k, block)
        q, scales = quantise_nbits(alpha * w_tuned + (1 - alpha) * w_base, block)
        put(node.input[1], q)
        put(node.input[2], scales)
        count += 1
    for name in tuned_inits:
        if name.endswith("norm.weight"):
            put(name, alpha * get(name) + (1 - alpha) * base_inits[name])
            count += 1
    if EMBED + "quantized" in tuned_inits:
        if get(EMBED + "quantized").dtype != np.uint8:
            raise ValueError(f"the embedding of {tuned_path} is not uint8; only quantize_dynamic's uint8 form is handled")
        def embedding(q, scale, zero):
            return (q.astype(np.float32) - zero.astype(np.float32)) * scale
        e = (alpha * embedding(*(get(EMBED + x) for x in ("quantized", "scale", "zero_point")))
             + (1 - alpha) * embedding(*(base_inits[EMBED + x] for x in ("quantized", "scale", "zero_point"))))
        q, scale, zero = quantise_uint8(e)
        put(EMBED + "quantized", q)
        put(EMBED + "scale", scale)
        put(EMBED + "zero_point", zero)
        count += 1
    onnx.save(tuned, out_path)
    return count


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    base, tuned, out, alpha = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    if not 0.0 <= alpha <= 1.0:
        sys.exit(f"ALPHA must lie in [0, 1] (the share of the tuned weights), got {alpha}")
    print(f"blended {blend(base, tuned, out, alpha)} tensors, {alpha} of {tuned} -> {out}")


if __name__ == "__main__":
    main()
