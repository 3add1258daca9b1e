"""Carries a trained model's weights into a larger shape, so that training goes on from what the
model knows rather than from scratch (train.py --shape).

Three changes are supported; the first two together make a model larger that decodes no slower
on the CPU (bench/README.md, "Larger shapes"): decode there is bound by reading the weights and
the cache, and halving the KV heads halves the cache read at a full window.

* More MLP channels. A new channel starts silent: its column of ``down_proj`` is zero, so the
  grown model computes exactly what the old one did, and its ``gate_proj``/``up_proj`` rows are
  random at the spread of the trained rows, so the channel learns once its output weight moves.
* Fewer KV heads, the one lossy step. Query head ``h`` reads KV head ``h // (heads / kv)``, so a
  merged head serves the query heads of the heads it replaces. Averaging those heads (the
  grouped-query attention paper's conversion) lost too much here; instead each merged head is
  the best low-rank fit of its group, measured on the inputs the attention really sees, and
  what the fit leaves per old head is folded into that head's readers: a complex scale per
  rotary pair into the queries (it commutes with RoPE), a [d, d] matrix into ``o_proj``.
  ``refine_attention`` then fits each merged layer's output to the old layer's on the same
  inputs, by gradient steps on its four projections.
* More layers, spread over the depth, each a copy of the layer before it whose output
  projections are zero: like a new MLP channel, it starts silent.

Everything else (hidden size, query heads, head size, embedding, norms) must match.

Measured on held-out windows of 1,024 tokens (tools/train/heldout-stream.txt), model 0.4 (512
wide, 8 layers, 4 KV heads), nats/token, merged to 2 KV heads: on 4 windows, 2.375 as shipped,
5.13 by averaging, 4.05 by the fit weighted by the norm's gains, 2.80 weighted by the inputs of
1,536 tokens of 3 other windows. With 512 tokens of 2 other windows measured (2.88 merged),
``refine_attention`` on those tokens reached 2.75 after 5 steps and 2.71 after 20; with 1,024
tokens of 4 other windows (2.80 merged), 2.61 after 40. Widening the MLP or adding layers
changes nothing (2.375).

  grown = grow_state(state, {"hidden_size": 512, "num_hidden_layers": 8, "num_attention_heads": 8,
                             "num_key_value_heads": 2, "intermediate_size": 2304}, head_dim=64,
                     covs=input_moments(attention_io(source_model, windows)))
"""

from typing import Dict, List, Optional, Tuple

import numpy as np
import torch


class ShapeError(ValueError):
    pass


def shape_of(state: Dict[str, torch.Tensor], head_dim: int) -> Dict[str, int]:
    """The shape a state dict (Hugging Face key names) holds."""
    layers = 1 + max(int(k.split(".")[2]) for k in state if k.startswith("model.layers."))
    return {
        "hidden_size": state["model.embed_tokens.weight"].shape[1],
        "num_hidden_layers": layers,
        "num_attention_heads": state["model.layers.0.self_attn.q_proj.weight"].shape[0] // head_dim,
        "num_key_value_heads": state["model.layers.0.self_attn.k_proj.weight"].shape[0] // head_dim,
        "intermediate_size": state["model.layers.0.mlp.gate_proj.weight"].shape[0],
    }


def check_growable(have: Dict[str, int], want: Dict[str, int]) -> None:
    for key in ("hidden_size", "num_attention_heads"):
        if have[key] != want[key]:
            raise ShapeError(f"{key} is {have[key]} in the starting weights and {want[key]} in the new shape; "
                             "only num_hidden_layers and intermediate_size may grow and num_key_value_heads shrink")
    for key in ("num_hidden_layers", "intermediate_size"):
        if want[key] < have[key]:
            raise ShapeError(f"{key} cannot shrink ({have[key]} -> {want[key]})")
    kv_from, kv_to = have["num_key_value_heads"], want["num_key_value_heads"]
    if kv_to > kv_from or kv_from % kv_to != 0:
        raise ShapeError(f"num_key_value_heads {kv_from} -> {kv_to}: the new count must divide the old one")


def _complex_pairs(rows: np.ndarray) -> np.ndarray:
    """One head's rows [d, hidden] as d/2 complex rows: RoPE turns the pair (i, i + d/2) of a
    query or key by an angle, which is a multiplication by a unit complex number."""
    half = rows.shape[0] // 2
    return rows[:half] + 1j * rows[half:]


def _real_rows(pairs: np.ndarray) -> np.ndarray:
    return np.concatenate([pairs.real, pairs.imag])


def input_weighting(layer: Dict[str, np.ndarray]):
    """(L, L^-1) with L L^T the second moment of what the projections read: measured (`cov`,
    from real text) when given, else the layer norm's gains squared on the diagonal."""
    if "cov" in layer:
        values, vectors = np.linalg.eigh(layer["cov"])
        root = np.sqrt(np.maximum(values, values.max() * 1e-8))
        return vectors * root, (vectors / root).T
    gain = np.abs(layer["norm"]) + 1e-6
    return np.diag(gain), np.diag(1 / gain)


def merge_kv_heads(layer: Dict[str, np.ndarray], kv_to: int, head_dim: int) -> Dict[str, np.ndarray]:
    """One layer's q/k/v/o weights ([out, in]) with its KV heads merged in groups into `kv_to`.

    Keys: for every rotary pair, the merged head's complex row is the best rank-one fit of the
    group's rows (weighted by how strongly the queries read each of them), and each query head's
    pair is turned and scaled by its old head's coefficient, so scores stay close and RoPE still
    commutes with it. Values: the merged head is the group's best rank-`head_dim` fit, and the
    rest of each old head goes into `o_proj`. Errors are weighed by what the projections read
    (`input_weighting`).
    """
    w, w_inv = input_weighting(layer)
    q, k, v, o = (layer[name].astype(np.float64) for name in ("q", "k", "v", "o"))
    heads, kv_from, d = q.shape[0] // head_dim, k.shape[0] // head_dim, head_dim
    group, per_kv = kv_from // kv_to, heads // kv_from
    head = lambda m, i: m[i * d:(i + 1) * d]  # noqa: E731
    new_k, new_v, new_q, new_o = [], [], q.copy(), o.copy()
    for g_new in range(kv_to):
        olds = range(g_new * group, (g_new + 1) * group)
        readers = {g: range(g * per_kv, (g + 1) * per_kv) for g in olds}
        # Keys, pair by pair.
        kp = np.stack([_complex_pairs(head(k, g)) @ w for g in olds])  # [group, d/2, hidden]
        qp = {h: _complex_pairs(head(q, h)) for g in olds for h in readers[g]}
        reach = np.stack([np.sqrt(sum(np.sum(np.abs(qp[h] @ w) ** 2, axis=1) for h in readers[g])) for g in olds])
        merged = np.empty(kp.shape[1:], dtype=complex)
        for i in range(kp.shape[1]):
            u, s, vh = np.linalg.svd(kp[:, i, :] * reach[:, i:i + 1], full_matrices=False)
            merged[i] = s[0] * vh[0] @ w_inv
            for j, g in enumerate(olds):
                c = u[j, 0] / reach[j, i]
                for h in readers[g]:
                    qp[h][i] = qp[h][i] * np.conj(c)
        new_k.append(_real_rows(merged))
        for h, pairs in qp.items():
            new_q[h * d:(h + 1) * d] = _real_rows(pairs)
        # Values, all rows at once; each old head's share lands in the o_proj columns reading it.
        out_reach = np.stack([np.sqrt(sum(np.sum(head(o.T, h) ** 2, axis=1) for h in readers[g])) for g in olds]) + 1e-6
        stacked = np.concatenate([(head(v, g) @ w) * out_reach[j][:, None] for j, g in enumerate(olds)])
        u, s, vh = np.linalg.svd(stacked, full_matrices=False)
        new_v.append(s[:d, None] * vh[:d] @ w_inv)
        for j, g in enumerate(olds):
            mix = u[j * d:(j + 1) * d, :d] / out_reach[j][:, None]  # old head g ~= mix @ merged head
            for h in readers[g]:
                new_o[:, h * d:(h + 1) * d] = o[:, h * d:(h + 1) * d] @ mix
    return {"q": new_q, "k": np.concatenate(new_k), "v": np.concatenate(new_v), "o": new_o}


def widen_mlp(state: Dict[str, torch.Tensor], prefix: str, size: int, generator: torch.Generator) -> None:
    gate, up, down = (state[f"{prefix}.{name}.weight"] for name in ("gate_proj", "up_proj", "down_proj"))
    added = size - gate.shape[0]
    if added == 0:
        return

    def fresh(w: torch.Tensor) -> torch.Tensor:
        # New rows at the spread of the trained ones, so that the channels are neither dead nor loud.
        return torch.randn(added, w.shape[1], generator=generator, dtype=w.dtype) * w.std()

    state[f"{prefix}.gate_proj.weight"] = torch.cat([gate, fresh(gate)])
    state[f"{prefix}.up_proj.weight"] = torch.cat([up, fresh(up)])
    state[f"{prefix}.down_proj.weight"] = torch.cat([down, torch.zeros(down.shape[0], added, dtype=down.dtype)], dim=1)


def grow_state(state: Dict[str, torch.Tensor], want: Dict[str, int], head_dim: int, seed: int = 1,
               covs: Optional[List[np.ndarray]] = None) -> Dict[str, torch.Tensor]:
    """A new state dict of shape ``want`` (config keys as in ``shape_of``) from ``state``;
    ``covs`` (per layer, from ``input_moments``) lets the KV merge weigh real inputs."""
    have = shape_of(state, head_dim)
    check_growable(have, want)
    grown = {k: v.clone() for k, v in state.items()}
    generator = torch.Generator().manual_seed(seed)
    for i in range(have["num_hidden_layers"]):
        attn = f"model.layers.{i}.self_attn"
        if want["num_key_value_heads"] != have["num_key_value_heads"]:
            names = {key: f"{attn}.{key}_proj.weight" for key in "qkvo"}
            layer = {key: grown[name].double().numpy() for key, name in names.items()}
            layer["norm"] = grown[f"model.layers.{i}.input_layernorm.weight"].double().numpy()
            if covs is not None:
                layer["cov"] = covs[i]
            for key, w in merge_kv_heads(layer, want["num_key_value_heads"], head_dim).items():
                grown[names[key]] = torch.from_numpy(w).to(state[names[key]].dtype)
        widen_mlp(grown, f"model.layers.{i}.mlp", want["intermediate_size"], generator)
    return deepen(grown, have["num_hidden_layers"], want["num_hidden_layers"])


def layer_positions(layers: int, want: int) -> List[int]:
    """Where each of ``layers`` old layers sits among ``want``: the new ones are spread evenly,
    each right after the old layer it copies."""
    added = want - layers
    return [i + (i * added) // layers for i in range(layers)]


def deepen(state: Dict[str, torch.Tensor], layers: int, want: int) -> Dict[str, torch.Tensor]:
    """``state`` with ``want - layers`` layers added (``layer_positions``): each new layer is a
    copy of the layer before it with its two output projections zero, so it adds nothing to the
    residual stream until training moves them, and the model computes what it did."""
    kept = {k: v for k, v in state.items() if not k.startswith("model.layers.")}
    starts = layer_positions(layers, want) + [want]
    for i in range(layers):
        prefix = f"model.layers.{i}."
        for at in range(starts[i], starts[i + 1]):
            for key, value in state.items():
                if not key.startswith(prefix):
                    continue
                silent = at > starts[i] and key.endswith(("o_proj.weight", "down_proj.weight"))
                kept[f"model.layers.{at}.{key[len(prefix):]}"] = torch.zeros_like(value) if silent else value.clone()
    return kept


def attention_io(model, windows: torch.Tensor) -> List[Tuple[torch.Tensor, torch.Tensor]]:
    """Per layer of ``model`` (a ``LlamaForCausalLM``), its attention's input (after the norm)
    and output [n, length, hidden] over ``windows`` [n, length] of token ids, in one pass."""
    inputs: List[torch.Tensor] = []
    outputs: List[torch.Tensor] = []
    layers = model.model.layers
    handles = [layer.self_attn.q_proj.register_forward_pre_hook(lambda _m, args: inputs.append(args[0].detach()))
               for layer in layers]
    handles += [layer.self_attn.o_proj.register_forward_hook(lambda _m, _args, out: outputs.append(out.detach()))
                for layer in layers]
    try:
        with torch.no_grad():
            for window in windows:
                model.forward_train(window[None])
    finally:
        for handle in handles:
            handle.remove()
    n = len(layers)
    # Hooks fire layer by layer per window: regroup by layer.
    return [(torch.cat(inputs[i::n]), torch.cat(outputs[i::n])) for i in range(n)]


def input_moments(io: List[Tuple[torch.Tensor, torch.Tensor]]) -> List[np.ndarray]:
    """Per layer, the second moment [hidden, hidden] of the attention's input (``attention_io``)."""
    moments = []
    for x, _ in io:
        rows = x.double().reshape(-1, x.shape[-1])
        moments.append((rows.T @ rows / len(rows)).cpu().numpy())
    return moments


def refine_attention(grown, io: List[Tuple[torch.Tensor, torch.Tensor]], steps: int = 150, lr: float = 3e-4) -> List[float]:
    """Fits the attention of each old layer in ``grown`` to what that layer of the source model
    output on its own inputs (``attention_io`` of the source), by a few full-batch Adam steps on
    its q/k/v/o weights, starting from the merge. Returns, per layer, the output error left
    (mean squared, relative to the output's)."""
    rotary = grown.model.rotary
    length = io[0][0].shape[1]
    cos, sin = rotary.cos_sin(torch.arange(length, device=io[0][0].device).unsqueeze(0))
    left = []
    for (x, y), at in zip(io, layer_positions(len(io), len(grown.model.layers))):
        attn = grown.model.layers[at].self_attn
        params = [getattr(attn, name).weight for name in ("q_proj", "k_proj", "v_proj", "o_proj")]
        opt = torch.optim.Adam(params, lr=lr)
        scale = y.pow(2).mean()
        for step in range(steps + 1):
            error = (attn.forward_train(x, rotary, cos, sin) - y).pow(2).mean() / scale
            if step == steps:
                break
            opt.zero_grad()
            error.backward()
            opt.step()
        left.append(float(error))
        for p in params:
            p.grad = None
    return left
