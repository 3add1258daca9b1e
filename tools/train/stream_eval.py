"""Perplexity of a long token stream under the four cache policies, in PyTorch.

A reference for the engine's `endless ppl`, with the same semantics: tokens arrive in chunks;
a new token's position is its cache slot; when the cache is full the oldest window tokens are
evicted in a chunk and the kept window keys are rotated back by the number of evicted slots.

  dense      no eviction (positions grow with the stream)
  sink       `sinks` first tokens kept for ever + a rolling window
  window     the same with no sinks
  recompute  every chunk is predicted from a fresh prefill of the previous `window` tokens
"""

import math
from typing import Dict, List

import torch

from llama import LlamaForCausalLM


def _rotate(k: torch.Tensor, delta: int, inv_freq: torch.Tensor, rot: int) -> torch.Tensor:
    """k [1, T, kv, d] after RoPE at p -> RoPE at p + delta (delta may be negative)."""
    ang = delta * inv_freq.double()
    cos = torch.cat((ang.cos(), ang.cos())).to(k.dtype)
    sin = torch.cat((ang.sin(), ang.sin())).to(k.dtype)
    x, rest = k[..., :rot], k[..., rot:]
    half = rot // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return torch.cat((x * cos + rotated * sin, rest), dim=-1)


@torch.no_grad()
def stream_nll(model: LlamaForCausalLM, ids: List[int], mode: str, sinks: int, window: int,
               chunk: int = 64, device: str = "cuda") -> Dict:
    cfg = model.config
    rot = cfg.rotary_dim
    inv = model.model.rotary.inv_freq
    L = cfg.num_hidden_layers
    toks = torch.tensor(ids, device=device).unsqueeze(0)
    n = toks.shape[1]
    if mode == "window":
        sinks = 0
    empty = torch.zeros(1, 0, cfg.num_key_value_heads, cfg.head_dim, device=device)
    keys = [empty] * L
    values = [empty] * L
    nll = torch.zeros(n - 1, device=device, dtype=torch.float64)
    evict_chunk = max(1, window // 8)
    for start in range(0, n - 1, chunk):
        end = min(n - 1, start + chunk)
        new = toks[:, start:end]
        if mode == "recompute":
            ctx_start = max(0, start - window)
            seq = toks[:, ctx_start:end]
            pos = torch.arange(seq.shape[1], device=device).unsqueeze(0)
            logits, _ = model.forward_stream(seq, pos, [empty] * L, [empty] * L)
            logits = logits[:, start - ctx_start:]
        else:
            size = keys[0].shape[1]
            if mode != "dense" and size + new.shape[1] > sinks + window:
                e = max(size + new.shape[1] - (sinks + window), evict_chunk)
                e = min(e, size - sinks)
                for i in range(L):
                    kept_k = _rotate(keys[i][:, sinks + e:], -e, inv, rot)
                    keys[i] = torch.cat((keys[i][:, :sinks], kept_k), dim=1)
                    values[i] = torch.cat((values[i][:, :sinks], values[i][:, sinks + e:]), dim=1)
                size = keys[0].shape[1]
            pos = torch.arange(size, size + new.shape[1], device=device).unsqueeze(0)
            logits, kv = model.forward_stream(new, pos, keys, values)
            keys = [torch.cat((keys[i], kv[2 * i]), dim=1) for i in range(L)]
            values = [torch.cat((values[i], kv[2 * i + 1]), dim=1) for i in range(L)]
        target = toks[0, start + 1: end + 1]
        lp = torch.log_softmax(logits[0].double(), dim=-1)
        nll[start:end] = -lp.gather(1, target.unsqueeze(1)).squeeze(1)
    segs = [math.exp(nll[i: i + 1024].mean().item()) for i in range(0, n - 1, 1024)]
    return {"mode": mode, "sinks": sinks, "window": window, "tokens": n,
            "ppl": math.exp(nll.mean().item()), "ppl_per_1024": [round(s, 3) for s in segs]}
