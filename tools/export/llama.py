"""A Llama-shaped decoder written for ONNX export and for training.

One definition serves three callers:
  * training (``forward_train``): SDPA with ``is_causal``, no cache;
  * the streaming export (``forward_stream``): past K/V laid out ``[1, past, kv_heads, head_dim]``,
    returns only the new tokens' K/V (keys after RoPE);
  * the Hugging Face "decoder with past" export (``forward_hf``): past laid out
    ``[1, kv_heads, past, head_dim]``, returns the whole present K/V.

State-dict keys follow ``LlamaForCausalLM`` in ``transformers`` so ordinary tools can read the
weights. Attention is written out explicitly (no fused kernels) in the export paths so the graph
keeps a dynamic past length. Runs under torch 1.13 and torch 2.x.
"""

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class LlamaConfig:
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    rope_theta: float = 10000.0
    partial_rotary_factor: float = 1.0
    rope_scaling: Optional[Dict] = None
    rms_norm_eps: float = 1e-5
    max_position_embeddings: int = 2048
    tie_word_embeddings: bool = False
    extra: Dict = field(default_factory=dict)

    @property
    def rotary_dim(self) -> int:
        dim = int(self.head_dim * self.partial_rotary_factor)
        if dim % 2 != 0 or dim <= 0 or dim > self.head_dim:
            raise ValueError(
                f"partial_rotary_factor {self.partial_rotary_factor} gives rotary dim {dim} for "
                f"head_dim {self.head_dim}; it must be even and in (0, head_dim]")
        return dim

    def to_hf(self, **token_ids) -> Dict:
        """The ``config.json`` body in the standard ``LlamaForCausalLM`` form."""
        cfg = {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "head_dim": self.head_dim,
            "hidden_act": "silu",
            "max_position_embeddings": self.max_position_embeddings,
            "rms_norm_eps": self.rms_norm_eps,
            "rope_theta": self.rope_theta,
            "rope_scaling": self.rope_scaling,
            "attention_bias": False,
            "mlp_bias": False,
            "attention_dropout": 0.0,
            "tie_word_embeddings": self.tie_word_embeddings,
            "torch_dtype": "float32",
            "use_cache": True,
        }
        if self.partial_rotary_factor != 1.0:
            cfg["partial_rotary_factor"] = self.partial_rotary_factor
        cfg.update(token_ids)
        cfg.update(self.extra)
        return cfg

    @staticmethod
    def from_hf(cfg: Dict) -> "LlamaConfig":
        heads = cfg["num_attention_heads"]
        return LlamaConfig(
            vocab_size=cfg["vocab_size"],
            hidden_size=cfg["hidden_size"],
            intermediate_size=cfg["intermediate_size"],
            num_hidden_layers=cfg["num_hidden_layers"],
            num_attention_heads=heads,
            num_key_value_heads=cfg.get("num_key_value_heads", heads),
            head_dim=cfg.get("head_dim") or cfg["hidden_size"] // heads,
            rope_theta=cfg.get("rope_theta", 10000.0),
            partial_rotary_factor=cfg.get("partial_rotary_factor", 1.0),
            rope_scaling=cfg.get("rope_scaling"),
            rms_norm_eps=cfg.get("rms_norm_eps", 1e-5),
            max_position_embeddings=cfg.get("max_position_embeddings", 2048),
            tie_word_embeddings=cfg.get("tie_word_embeddings", False),
        )


def rope_inv_freq(cfg: LlamaConfig) -> torch.Tensor:
    """Per-pair inverse frequencies for the rotary dims, with ``rope_scaling`` applied.

    Computed in float64 so every exporter and the engine's own reference agree to the last bit
    that float32 can hold.
    """
    dim = cfg.rotary_dim
    inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    scaling = cfg.rope_scaling or {}
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if kind == "default":
        return inv
    if kind == "linear":
        return inv / float(scaling["factor"])
    if kind == "llama3":
        factor = float(scaling["factor"])
        low = float(scaling["low_freq_factor"])
        high = float(scaling["high_freq_factor"])
        old_ctx = float(scaling["original_max_position_embeddings"])
        low_wavelen = old_ctx / low
        high_wavelen = old_ctx / high
        wavelen = 2 * math.pi / inv
        scaled = torch.where(wavelen > low_wavelen, inv / factor, inv)
        smooth = (old_ctx / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen)
        return torch.where(medium, smoothed, scaled)
    raise ValueError(f"rope_scaling type {kind!r} is not supported (use default, linear or llama3)")


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


class Rotary(nn.Module):
    """cos/sin tables computed from position ids inside the graph (no length limit baked in)."""

    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.rot = cfg.rotary_dim
        self.register_buffer("inv_freq", rope_inv_freq(cfg).float(), persistent=False)

    def cos_sin(self, position_ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        # position_ids [b, n] -> cos/sin [b, n, 1, rot] (broadcast over heads in [b, n, h, d])
        freqs = position_ids.float().unsqueeze(-1) * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1).unsqueeze(2)
        return emb.cos(), emb.sin()

    def apply(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        # x [b, n, h, d]: rotate-half over the first `rot` dims, pass the rest through
        if self.rot == x.shape[-1]:
            return x * cos.to(x.dtype) + rotate_half(x) * sin.to(x.dtype)
        x_rot, x_pass = x[..., : self.rot], x[..., self.rot:]
        x_rot = x_rot * cos.to(x.dtype) + rotate_half(x_rot) * sin.to(x.dtype)
        return torch.cat((x_rot, x_pass), dim=-1)


def causal_allowed(n_new: torch.Tensor, total: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """[n_new, total] bool: new token i sees every past slot and new tokens j <= i."""
    rows = torch.arange(n_new, device=like.device).unsqueeze(1)
    cols = torch.arange(total, device=like.device).unsqueeze(0)
    return cols <= rows + (total - n_new)


class Attention(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.h = cfg.num_attention_heads
        self.kv = cfg.num_key_value_heads
        self.d = cfg.head_dim
        if self.h % self.kv != 0:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        self.q_proj = nn.Linear(cfg.hidden_size, self.h * self.d, bias=False)
        self.k_proj = nn.Linear(cfg.hidden_size, self.kv * self.d, bias=False)
        self.v_proj = nn.Linear(cfg.hidden_size, self.kv * self.d, bias=False)
        self.o_proj = nn.Linear(self.h * self.d, cfg.hidden_size, bias=False)

    def qkv(self, x, rotary: Rotary, cos, sin):
        b, n, _ = x.shape
        q = self.q_proj(x).view(b, n, self.h, self.d)
        k = self.k_proj(x).view(b, n, self.kv, self.d)
        v = self.v_proj(x).view(b, n, self.kv, self.d)
        return rotary.apply(q, cos, sin), rotary.apply(k, cos, sin), v

    def attend(self, q, k_all, v_all, allowed):
        """Explicit grouped-query attention.

        q [1, n, h, d]; k_all/v_all [1, kv, T, d]; allowed [n, T] or [1, 1, 1, n, T].
        Query heads are grouped per KV head instead of repeating K/V, so the cache is never
        expanded: head h uses KV head h // (h_total / kv), as Hugging Face's repeat_kv does.
        """
        b, n = q.shape[0], q.shape[1]
        rep = self.h // self.kv
        qg = q.reshape(b, n, self.kv, rep, self.d).permute(0, 2, 3, 1, 4)  # [b, kv, rep, n, d]
        qg = qg.reshape(b, self.kv, rep * n, self.d)
        scores = torch.matmul(qg, k_all.transpose(-1, -2)) / math.sqrt(self.d)  # [b, kv, rep*n, T]
        scores = scores.reshape(b, self.kv, rep, n, -1).float()
        scores = scores.masked_fill(~allowed, torch.finfo(torch.float32).min)
        probs = torch.softmax(scores, dim=-1).to(v_all.dtype).reshape(b, self.kv, rep * n, -1)
        out = torch.matmul(probs, v_all).reshape(b, self.kv, rep, n, self.d)
        out = out.permute(0, 3, 1, 2, 4).reshape(b, n, self.h * self.d)
        return self.o_proj(out)

    def forward_train(self, x, rotary: Rotary, cos, sin):
        q, k, v = self.qkv(x, rotary, cos, sin)
        if not hasattr(F, "scaled_dot_product_attention"):  # torch < 2.0: the explicit path
            n = x.shape[1]
            return self.attend(q, k.transpose(1, 2), v.transpose(1, 2), causal_allowed(n, n, x))
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        rep = self.h // self.kv
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        b, _, n, _ = out.shape
        return self.o_proj(out.transpose(1, 2).reshape(b, n, self.h * self.d))


class MLP(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.self_attn = Attention(cfg)
        self.mlp = MLP(cfg)
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


class LlamaModel(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.rotary = Rotary(cfg)


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.config = cfg
        self.model = LlamaModel(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight

    # ---- training: whole windows, positions 0..L-1, fused causal attention ----
    def forward_train(self, input_ids: torch.Tensor) -> torch.Tensor:
        m = self.model
        x = m.embed_tokens(input_ids)
        pos = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        cos, sin = m.rotary.cos_sin(pos)
        for layer in m.layers:
            x = x + layer.self_attn.forward_train(layer.input_layernorm(x), m.rotary, cos, sin)
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        return self.lm_head(m.norm(x))

    def _decode(self, input_ids, position_ids, merge_kv, allowed_fn, num_logits_to_keep=None):
        """Shared body of both export paths; ``merge_kv(i, k_new, v_new)`` returns the layer's
        full K/V in [1, kv, T, d] plus whatever the caller wants back for that layer."""
        m = self.model
        x = m.embed_tokens(input_ids)
        cos, sin = m.rotary.cos_sin(position_ids)
        returned = []
        for i, layer in enumerate(m.layers):
            h = layer.input_layernorm(x)
            q, k, v = layer.self_attn.qkv(h, m.rotary, cos, sin)
            k_all, v_all, back = merge_kv(i, k, v)
            allowed = allowed_fn(q, k_all)
            x = x + layer.self_attn.attend(q, k_all, v_all, allowed)
            x = x + layer.mlp(layer.post_attention_layernorm(x))
            returned.extend(back)
        x = m.norm(x)
        if num_logits_to_keep is not None:
            x = keep_last(x, num_logits_to_keep)
        return self.lm_head(x), returned

    # ---- the streaming interface (docs/streaming-onnx.md) ----
    def forward_stream(self, input_ids, position_ids, past_keys: List[torch.Tensor],
                       past_values: List[torch.Tensor], num_logits_to_keep=None):
        def merge(i, k, v):
            k_all = torch.cat((past_keys[i], k), dim=1).permute(0, 2, 1, 3)
            v_all = torch.cat((past_values[i], v), dim=1).permute(0, 2, 1, 3)
            return k_all, v_all, (k, v)

        def allowed(q, k_all):
            return causal_allowed(q.shape[1], k_all.shape[2], q)

        return self._decode(input_ids, position_ids, merge, allowed, num_logits_to_keep)

    # ---- the Hugging Face / Optimum "decoder with past" interface ----
    def forward_hf(self, input_ids, attention_mask, position_ids, past_keys, past_values):
        def merge(i, k, v):
            k_all = torch.cat((past_keys[i], k.permute(0, 2, 1, 3)), dim=2)
            v_all = torch.cat((past_values[i], v.permute(0, 2, 1, 3)), dim=2)
            return k_all, v_all, (k_all, v_all)

        def allowed(q, k_all):
            causal = causal_allowed(q.shape[1], k_all.shape[2], q)
            return causal & (attention_mask[:, None, None, None, :] > 0)

        return self._decode(input_ids, position_ids, merge, allowed)


def keep_last(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """x[:, -k:] for a scalar int64 tensor k, where k == 0 (or k > n) keeps everything.

    The token count is derived from the tensor itself so the exported graph stays dynamic.
    """
    n = torch.ones_like(x[0, :, 0], dtype=torch.int64).sum()
    k = torch.where((k > 0) & (k < n), k, n)
    # Gather over a Range rather than a Slice: exporters disagree on whether a sliced start
    # comes out 0-d or 1-d, and onnxruntime requires Slice starts to be 1-d.
    return x.index_select(1, torch.arange(n - k, n, device=x.device))


def init_random(model: LlamaForCausalLM, seed: int, sharp: bool = True) -> None:
    """Random weights for test fixtures.

    ``sharp`` scales the projections so attention is peaked and logits spread over several
    units: a wrong rotation or position then changes the output visibly, which a near-uniform
    model (ordinary 0.02 init) would hide.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight") or name.endswith("layernorm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name:
                # tied: the same matrix makes the logits, so keep them at a few units
                std = 0.3 if model.config.tie_word_embeddings else 1.0
                p.copy_(torch.randn(p.shape, generator=g) * std)
            else:
                fan_in = p.shape[1]
                gain = 1.0
                if sharp and any(s in name for s in ("q_proj", "k_proj")):
                    gain = 2.5
                if sharp and "lm_head" in name:
                    gain = 3.0
                p.copy_(torch.randn(p.shape, generator=g) * gain / math.sqrt(fan_in))
