"""Train the bundled model (bf16, torch.compile, DDP over any number of GPUs).

  torchrun --nproc_per_node=N tools/train/train.py --data /tmp/endless --deadline EPOCH

The learning rate follows the fraction of the time budget used, not a step count, so the run
ends on time whatever the GPU's speed: linear warm-up over the first 3%, cosine decay to 10%
at the deadline. With --passes the budget is also spent by passes over the data, and whichever
runs out first sets the fraction: training on from shipped weights over-fits after one pass of
new code, however much time is left. --schedule-s spreads one schedule over several calls (one
call lasts at most minutes): each call stops at its deadline, and --resume continues the same
schedule, weights and optimizer state where the last call stopped. Rank 0 decides when to stop
and tells the others. Writes to --data: model.pt (fp32 state dict, Hugging Face key names),
optimizer.pt (to resume), config.json (LlamaForCausalLM form), train-log.jsonl (step, tokens
seen, loss, lr, throughput, held-out loss, the schedule's fraction at the end). Where --data
also holds train-mask.npy (chat_windows.py), only the tokens it flags are targets.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "export"))
from llama import LlamaConfig, LlamaForCausalLM  # noqa: E402

MODEL = dict(hidden_size=512, intermediate_size=1408, num_hidden_layers=8, num_attention_heads=8,
             num_key_value_heads=4, head_dim=64, rope_theta=10000.0, tie_word_embeddings=True,
             max_position_embeddings=1024, rms_norm_eps=1e-5)


class TrainStep(torch.nn.Module):
    """Loss of one batch; the module DDP wraps and torch.compile compiles."""

    def __init__(self, model: LlamaForCausalLM):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logits = self.model.forward_train(x)
        # targets of -100 (outside train-mask.npy's tokens) do not count
        return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100)


def parse_shape(text: str) -> dict:
    names = ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size")
    values = [int(v) for v in text.split(",")]
    if len(values) != len(names):
        raise argparse.ArgumentTypeError(f"{text!r}: give {','.join(names)}")
    return dict(zip(names, values))


def init_weights(model: LlamaForCausalLM, layers: int) -> None:
    # GPT-2 style: 0.02 everywhere, output projections scaled down by depth.
    for name, p in model.named_parameters():
        if p.dim() == 2:
            std = 0.02 / math.sqrt(2 * layers) if name.endswith(("o_proj.weight", "down_proj.weight")) else 0.02
            torch.nn.init.normal_(p, mean=0.0, std=std)


def lr_at(frac: float, peak: float) -> float:
    warm = 0.03
    if frac < warm:
        return peak * frac / warm
    t = min(1.0, (frac - warm) / (1 - warm))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


@torch.no_grad()
def mixed_precision(device):
    """bf16 autocast on a GPU; plain fp32 on the CPU, where bf16 is slower."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def held_out_loss(step_fn, val: np.ndarray, device, batch: int) -> float:
    losses = []
    for i in range(0, len(val), batch):
        w = torch.from_numpy(val[i: i + batch].astype(np.int64)).to(device)
        with mixed_precision(device):
            losses.append(step_fn(w[:, :-1], w[:, 1:]).item())
    return float(np.mean(losses)) if losses else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--deadline", type=float, required=True, help="epoch seconds at which training stops")
    ap.add_argument("--batch", type=int, default=64, help="windows per GPU per step")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps too (smoke runs)")
    ap.add_argument("--passes", type=float, default=0, help="end the schedule after this many passes over the data too")
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--init-onnx", help="start from the weights of this shipped int4 streaming graph")
    ap.add_argument("--resume", action="store_true",
                    help="continue an earlier call's run in --data: its model.pt and optimizer state, the "
                         "windows after those it trained on and, with --schedule-s, its schedule")
    ap.add_argument("--schedule-s", type=float, default=0,
                    help="seconds of training the schedule spans over all calls (default: this call's budget)")
    ap.add_argument("--shape", type=parse_shape, default={},
                    help="HIDDEN,LAYERS,HEADS,KV_HEADS,MLP instead of the shipped shape; --init-onnx weights "
                         "of another shape are grown into it (grow.py: wider MLP, fewer KV heads)")
    a = ap.parse_args()
    shape = {**MODEL, **a.shape}

    ddp = "RANK" in os.environ
    if ddp:
        dist.init_process_group("nccl")
        rank, world = dist.get_rank(), dist.get_world_size()
        local = int(os.environ["LOCAL_RANK"])
    else:
        rank, world, local = 0, 1, 0
    # Without a GPU the same code runs on the CPU, slowly and in fp32 (bf16 is slower there):
    # enough to check a recipe with --max-steps and --no-compile before GPU time is spent on it.
    if torch.cuda.is_available():
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    torch.manual_seed(1234)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True

    with open(os.path.join(a.data, "tokenizer.json")) as f:
        vocab = len(json.load(f)["model"]["vocab"])
    cfg = LlamaConfig(vocab_size=vocab, **shape)
    model = LlamaForCausalLM(cfg)
    init_weights(model, cfg.num_hidden_layers)
    model.to(device)
    n_params = sum(p.numel() for p in model.parameters())

    train = np.load(os.path.join(a.data, "train.npy"), mmap_mode="r")
    # chat_windows.py: only the flagged tokens (the answers) are targets
    mask_path = os.path.join(a.data, "train-mask.npy")
    target_mask = np.load(mask_path, mmap_mode="r") if os.path.exists(mask_path) else None
    vals = {n: np.load(os.path.join(a.data, f"val-{n}.npy")) for n in ("ts", "js", "py", "c")
            if os.path.exists(os.path.join(a.data, f"val-{n}.npy"))}
    def val_losses(m, windows=32):
        return {n: round(held_out_loss(model_loss(m), v[:windows], device, 16), 4) for n, v in vals.items()}

    init_record = None
    resumed = resume_point(a.data) if a.resume else None
    if resumed:
        model.load_state_dict(torch.load(os.path.join(a.data, "model.pt"), map_location=device))
        init_record = {"event": "resume", "from_step": resumed["step"], "val_before": val_losses(model)}
    elif a.init_onnx:
        # Continue from the shipped model; if its weights do not read back as a working model
        # (held-out loss no better than a barely trained one), train from scratch instead.
        from grow import attention_io, grow_state, input_moments, refine_attention, shape_of
        from onnx_weights import state_dict_from_onnx
        state = state_dict_from_onnx(a.init_onnx, cfg.hidden_size)
        source_shape = shape_of(state, cfg.head_dim)
        grown = any(shape[k] != v for k, v in source_shape.items())
        source = LlamaForCausalLM(LlamaConfig(vocab_size=vocab, **{**shape, **source_shape})).to(device) if grown else model
        fresh = {k: v.clone() for k, v in model.state_dict().items()}
        missing, unexpected = source.load_state_dict({k: v.to(device) for k, v in state.items()}, strict=False)
        missing = [k for k in missing if k != "lm_head.weight"]
        before = val_losses(source)
        used = not missing and all(v < 3.0 for v in before.values() if v == v)  # NaN: no windows
        init_record = {"event": "init", "from": a.init_onnx, "used": used, "missing": missing,
                       "unexpected": list(unexpected), "val_before": before}
        if used and grown:
            # The KV merge weighs the inputs the source model's attention really sees, and the
            # merged layers are then fitted to its outputs on the same windows.
            io = attention_io(source, torch.from_numpy(train[:8].astype(np.int64)).to(device))
            grown_state = grow_state(state, shape, cfg.head_dim, covs=input_moments(io))
            model.load_state_dict({k: v.to(device) for k, v in grown_state.items()}, strict=False)
            init_record.update(grown_from=source_shape, val_grown=val_losses(model))
            if shape["num_key_value_heads"] != source_shape["num_key_value_heads"]:
                init_record["attention_error_left"] = [round(e, 4) for e in refine_attention(model, io)]
                init_record["val_refined"] = val_losses(model)
            del io
        if not used:
            model.load_state_dict(fresh)
        del source

    step_mod = TrainStep(model)
    if ddp:
        step_mod = torch.nn.parallel.DistributedDataParallel(step_mod, device_ids=[local])
    step_fn = step_mod if a.no_compile else torch.compile(step_mod)

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8, fused=True)
    if resumed and os.path.exists(os.path.join(a.data, "optimizer.pt")):
        opt.load_state_dict(torch.load(os.path.join(a.data, "optimizer.pt"), map_location=device))

    log_path = os.path.join(a.data, "train-log.jsonl")
    logf = open(log_path, "a" if resumed else "w") if rank == 0 else None

    def log(rec):
        if rank == 0:
            rec["time"] = round(time.time() - t_start, 1)
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            print(json.dumps(rec), flush=True)

    order = np.random.default_rng(0).permutation(len(train))
    per_step = a.batch * world
    pass_steps = a.passes * len(train) / per_step
    t_start = time.time()
    t_train = None  # set after the first (compiling) step: the budget fraction counts from there
    step, tokens, pos = 0, 0, 0
    if resumed:
        # The same order as the earlier call (reshuffled at the same steps), from where it stopped.
        step, tokens = resumed["step"], resumed["tokens"]
        for k in range(step):
            if pos + per_step > len(order):
                order, pos = np.random.default_rng(k).permutation(len(train)), 0
            pos += per_step
    first_step = step
    # Where the schedule stands: 0 for a new run; a resumed run spanning calls goes on from its fraction.
    frac_before = resumed.get("frac", 0.0) if resumed and a.schedule_s else 0.0
    ctrl = torch.zeros(2, device=device)
    if rank == 0:
        print(f"params {n_params / 1e6:.2f}M, vocab {vocab}, world {world}, {len(train)} windows, "
              f"{per_step * 1024} tokens/step", flush=True)
    if init_record:
        log(init_record)
    while True:
        if pos + per_step > len(order):
            order = np.random.default_rng(step).permutation(len(train))
            pos = 0
        idx = np.sort(order[pos + rank * a.batch: pos + (rank + 1) * a.batch])
        pos += per_step
        w = torch.from_numpy(train[idx].astype(np.int64)).to(device, non_blocking=True)
        now = time.time()
        if t_train is None:
            frac = frac_before
        elif a.schedule_s:
            frac = frac_before + (now - t_train) / a.schedule_s
        else:
            frac = (now - t_train) / max(1.0, a.deadline - t_train)
        if pass_steps:
            frac = max(frac, (step - first_step) / pass_steps)
        if rank == 0:
            ctrl[0] = frac
            ctrl[1] = 1.0 if (frac >= 1.0 or now >= a.deadline or (a.max_steps and step >= a.max_steps)) else 0.0
        if ddp:
            dist.broadcast(ctrl, 0)
        frac, stop = float(ctrl[0]), bool(ctrl[1] > 0)
        if stop:
            break
        lr = lr_at(frac, a.lr)
        for g in opt.param_groups:
            g["lr"] = lr
        y = w[:, 1:]
        if target_mask is not None:
            keep = torch.from_numpy(target_mask[idx][:, 1:].astype(np.bool_)).to(device, non_blocking=True)
            y = torch.where(keep, y, torch.full_like(y, -100))
        with mixed_precision(device):
            loss = step_fn(w[:, :-1], y)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        tokens += per_step * 1024
        if t_train is None:
            if device.type == "cuda":
                torch.cuda.synchronize()
            t_train = time.time()
            tok_mark, t_mark = tokens, t_train
            log({"step": step, "event": "compiled", "compile_s": round(t_train - t_start, 1)})
        if step % 50 == 0:
            l = loss.item()
            t = time.time()
            rec = {"step": step, "tokens": tokens, "loss": round(l, 4), "lr": round(lr, 6),
                   "grad_norm": round(float(gnorm), 3), "tok_per_s": round((tokens - tok_mark) / (t - t_mark))}
            tok_mark, t_mark = tokens, t
            if step % 250 == 0 and rank == 0:
                step_mod.eval()
                rec["val"] = val_losses(model)
                step_mod.train()
            log(rec)

    train_s = time.time() - (t_train or time.time())
    if rank == 0:
        final = val_losses(model, None)
        log({"step": step, "event": "done", "tokens": tokens, "train_s": round(train_s, 1),
             "frac": round(min(1.0, frac), 4), "params": n_params, "val": final, "gpus": world,
             "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"})
        state = {k: v.float().cpu() for k, v in model.state_dict().items()}
        torch.save(state, os.path.join(a.data, "model.pt"))
        torch.save(opt.state_dict(), os.path.join(a.data, "optimizer.pt"))
        with open(os.path.join(a.data, "train-config.json"), "w") as f:
            json.dump({"vocab_size": vocab, **shape}, f, indent=2)
    if ddp:
        dist.barrier()
        dist.destroy_process_group()


def resume_point(data: str) -> dict:
    """The last "done" record of an earlier call's train-log.jsonl in --data."""
    with open(os.path.join(data, "train-log.jsonl")) as f:
        done = [r for r in map(json.loads, f) if r.get("event") == "done"]
    if not done:
        raise SystemExit(f"--resume: no finished run in {data}/train-log.jsonl; train without --resume first")
    return done[-1]


def model_loss(model):
    """An uncompiled loss function for evaluation (shapes differ from training)."""
    def fn(x, y):
        logits = model.forward_train(x)
        return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), y.reshape(-1))
    return fn


if __name__ == "__main__":
    main()
