#!/usr/bin/env python3
"""The PyTorch side of ./llm bench: the same work as the engine, fp32, one JSON line per row.

    torch_bench.py gemm   --n 256 --threads 2
    torch_bench.py train  --preset gpt2-124m --batch 4 --context 64 --steps 5 --threads 2 [--tied]
    torch_bench.py decode --preset gpt2-124m --tokens 64 --threads 2 [--batch 32]
    torch_bench.py prefill --preset gpt2-124m --prompt 256 --threads 2
    torch_bench.py lora   --context 128 --steps 3 --rank 16 --threads 2

On the CPU by default (the peer of the CPU backend); --device cuda runs the same code on the GPU (the peer
of the TornadoVM backend: eager fp32, TF32 off unless --tf32), timing with torch.cuda.synchronize() and
reporting the device's peak memory.

The model is the book's GPT (chapter 4, dropout 0.1 as in the presets) with a fused qkv projection;
decode uses a KV cache allocated once and written in place (see decode()).
Run with Debian's python3-torch (and libopenblas0-pthread) as /usr/bin/python3.
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    "gpt2-124m": dict(vocab=50257, ctx=1024, emb=768, heads=12, layers=12),
    "gpt2-medium": dict(vocab=50257, ctx=1024, emb=1024, heads=16, layers=24),
    "small": dict(vocab=50257, ctx=256, emb=384, heads=6, layers=6),
    "tiny": dict(vocab=97, ctx=16, emb=32, heads=4, layers=2),
}


class Block(nn.Module):
    def __init__(self, c, nh, qkv_bias, drop):
        super().__init__()
        self.nh = nh
        self.drop = drop
        self.resid_drop = nn.Dropout(drop)
        self.ln_1, self.ln_2 = nn.LayerNorm(c), nn.LayerNorm(c)
        self.c_attn = nn.Linear(c, 3 * c, bias=qkv_bias)
        self.c_proj = nn.Linear(c, c)
        self.fc, self.proj = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)

    def forward(self, x, cache=None):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.nh, c // self.nh).transpose(1, 2) for z in (q, k, v))
        if cache is not None:
            if "k" in cache:
                k, v = torch.cat([cache["k"], k], dim=2), torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        y = self._attend(q, k, v, cache is None or t > 1)
        x = x + self.resid_drop(self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c)))
        return x + self.resid_drop(self.proj(F.gelu(self.fc(self.ln_2(x)), approximate="tanh")))

    def _attend(self, q, k, v, causal):
        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
        if causal:
            t, s = q.size(-2), k.size(-2)
            mask = torch.ones(t, s, dtype=torch.bool, device=q.device).triu(s - t + 1)
            att = att.masked_fill(mask, float("-inf"))
        return F.dropout(torch.softmax(att, dim=-1), self.drop, self.training) @ v


class GPT(nn.Module):
    def __init__(self, p, tied, drop=0.1):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(p["vocab"], p["emb"]), nn.Embedding(p["ctx"], p["emb"])
        self.emb_drop = nn.Dropout(drop)
        self.blocks = nn.ModuleList(Block(p["emb"], p["heads"], False, drop) for _ in range(p["layers"]))
        self.ln_f = nn.LayerNorm(p["emb"])
        self.head = nn.Linear(p["emb"], p["vocab"], bias=False)
        if tied:
            self.head.weight = self.wte.weight

    def forward(self, idx, caches=None, start=0):
        x = self.emb_drop(self.wte(idx) + self.wpe(torch.arange(start, start + idx.size(1), device=idx.device)))
        for i, blk in enumerate(self.blocks):
            x = blk(x, None if caches is None else caches[i])
        return self.head(self.ln_f(x))


DEVICE = torch.device("cpu")


def sync():
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_device_mb():
    return torch.cuda.max_memory_allocated() / 2**20 if DEVICE.type == "cuda" else None


def gemm(args):
    c = 768
    for name, k, n in [("qkv", c, 3 * c), ("attn_proj", c, c), ("fc", c, 4 * c), ("fc_proj", 4 * c, c), ("lm_head", c, 50257)]:
        x, w = torch.randn(args.n, k, device=DEVICE), torch.randn(n, k, device=DEVICE)
        dout = torch.randn(args.n, n, device=DEVICE)
        for _ in range(2):
            x @ w.T
        reps = max(3, int((2e12 if DEVICE.type == "cuda" else 2e10) / (2 * args.n * k * n)))
        sync()
        t0 = time.perf_counter()
        for _ in range(reps):
            x @ w.T
        sync()
        fwd = 2 * args.n * k * n / ((time.perf_counter() - t0) / reps) / 1e9
        t0 = time.perf_counter()
        for _ in range(reps):
            dout @ w
            dout.T @ x
        sync()
        bwd = 4 * args.n * k * n / ((time.perf_counter() - t0) / reps) / 1e9
        print(json.dumps({"bench": "gemm", "shape": f"{args.n}x{k}x{n}", "name": name, "device": str(DEVICE), "tf32": args.tf32,
                          "forward_gflops": fwd, "backward_gflops": bwd}))


def train(args):
    torch.manual_seed(0)
    model = GPT(PRESETS[args.preset], args.tied).to(DEVICE)
    opt = torch.optim.AdamW(model.parameters(), lr=4e-4, weight_decay=0.1)
    v = PRESETS[args.preset]["vocab"]
    x = torch.randint(0, v, (args.batch, args.context), device=DEVICE)
    y = torch.randint(0, v, (args.batch, args.context), device=DEVICE)
    times = []
    for step in range(args.steps + 1):
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync()
        if step > 0:
            times.append(time.perf_counter() - t0)
    per = sum(times) / len(times)
    print(json.dumps({"bench": "train", "preset": args.preset, "tied": args.tied, "batch": args.batch, "context": args.context,
                      "device": str(DEVICE), "tf32": args.tf32,
                      "tokens_per_s": args.batch * args.context / per, "step_ms": per * 1e3, "peak_rss_mb": peak_rss_mb(),
                      "peak_device_mb": peak_device_mb(), "loss": loss.item()}))


class LoraLinear(nn.Module):
    """A frozen linear layer plus (alpha / r) · x·Aᵀ·Bᵀ, PEFT's LoRA (A Kaiming-uniform, B zero)."""

    def __init__(self, n_in, n_out, r, alpha):
        super().__init__()
        self.base = nn.Linear(n_in, n_out, bias=False).requires_grad_(False)
        self.a = nn.Parameter(torch.empty(r, n_in).uniform_(-1 / math.sqrt(n_in), 1 / math.sqrt(n_in)))
        self.b = nn.Parameter(torch.zeros(n_out, r))
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + self.scale * (x @ self.a.t()) @ self.b.t()


class LlamaBlock(nn.Module):
    """Llama 3's block: RMSNorm, grouped-query attention with rotate-half RoPE, SwiGLU; every linear a LoraLinear."""

    def __init__(self, h, nh, nkv, inter, r, alpha):
        super().__init__()
        self.nh, self.nkv, self.d = nh, nkv, h // nh
        self.g1 = nn.Parameter(torch.ones(h), requires_grad=False)
        self.g2 = nn.Parameter(torch.ones(h), requires_grad=False)
        self.q, self.k, self.v = LoraLinear(h, nh * self.d, r, alpha), LoraLinear(h, nkv * self.d, r, alpha), LoraLinear(h, nkv * self.d, r, alpha)
        self.o = LoraLinear(nh * self.d, h, r, alpha)
        self.gate, self.up, self.down = LoraLinear(h, inter, r, alpha), LoraLinear(h, inter, r, alpha), LoraLinear(inter, h, r, alpha)

    @staticmethod
    def rms(x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * g

    def rope(self, x, cos, sin):
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * cos + rotated * sin

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        n = self.rms(x, self.g1)
        q = self.rope(self.q(n).view(b, t, self.nh, self.d).transpose(1, 2), cos, sin)
        k = self.rope(self.k(n).view(b, t, self.nkv, self.d).transpose(1, 2), cos, sin)
        v = self.v(n).view(b, t, self.nkv, self.d).transpose(1, 2)
        k, v = k.repeat_interleave(self.nh // self.nkv, dim=1), v.repeat_interleave(self.nh // self.nkv, dim=1)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.d)
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        att = scores.softmax(-1) @ v
        x = x + self.o(att.transpose(1, 2).reshape(b, t, -1))
        n = self.rms(x, self.g2)
        return x + self.down(F.silu(self.gate(n)) * self.up(n))


def lora(args):
    """A LoRA fine-tuning step of a Llama-shaped model (GPT-2 124M's width, depth and vocabulary; 4 key/value heads;
    SwiGLU 2048; tied head): the base frozen, adapters of rank r on the seven linear layers, AdamW on the adapters."""
    torch.manual_seed(0)
    h, nh, nkv, inter, layers, v, r = 768, 12, 4, 2048, 12, 50257, args.rank
    blocks = nn.ModuleList([LlamaBlock(h, nh, nkv, inter, r, 2.0 * r) for _ in range(layers)])
    embed = nn.Parameter(0.02 * torch.randn(v, h), requires_grad=False)
    g = nn.Parameter(torch.ones(h), requires_grad=False)
    d = h // nh
    inv = 1.0 / (500000 ** (torch.arange(0, d, 2).float() / d))
    ang = torch.outer(torch.arange(args.context).float(), inv)
    cos, sin = torch.cat([ang.cos(), ang.cos()], -1), torch.cat([ang.sin(), ang.sin()], -1)
    params = [p for p in blocks.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    x = torch.randint(0, v, (1, args.context))
    y = torch.randint(0, v, (1, args.context))
    times = []
    for step in range(args.steps + 1):
        t0 = time.perf_counter()
        z = embed[x]
        for blk in blocks:
            z = blk(z, cos, sin)
        logits = LlamaBlock.rms(z, g) @ embed.t()
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step > 0:
            times.append(time.perf_counter() - t0)
    per = sum(times) / len(times)
    print(json.dumps({"bench": "lora", "context": args.context, "rank": r, "tokens_per_s": args.context / per,
                      "step_ms": per * 1e3, "trainable": sum(p.numel() for p in params), "peak_rss_mb": peak_rss_mb()}))


@torch.inference_mode()
def decode(args):
    """Greedy decode of --batch sequences together, as a competent user writes it: a KV cache allocated once
    for the whole run ([layers, 2, batch, heads, positions, head size]) and written in place, attention over
    the filled positions only, the output head on the newest position only, no autograd bookkeeping
    (inference_mode). tokens_per_s counts every sequence's tokens."""
    torch.manual_seed(0)
    p = PRESETS[args.preset]
    model = GPT(p, True).to(DEVICE).eval()
    c, nh, layers, b = p["emb"], p["heads"], p["layers"], args.batch
    hd = c // nh
    total = 1 + args.tokens
    kv = torch.zeros(layers, 2, b, nh, total, hd, device=DEVICE)
    scale = 1.0 / math.sqrt(hd)

    def step(tokens, pos):
        x = model.wte.weight[tokens] + model.wpe.weight[pos]  # [b, c]
        for i, blk in enumerate(model.blocks):
            q, k, v = blk.c_attn(blk.ln_1(x)).split(c, dim=-1)
            kv[i, 0, :, :, pos] = k.view(b, nh, hd)
            kv[i, 1, :, :, pos] = v.view(b, nh, hd)
            keys, values = kv[i, 0, :, :, : pos + 1], kv[i, 1, :, :, : pos + 1]
            att = torch.softmax((keys @ q.view(b, nh, hd, 1)).squeeze(-1) * scale, dim=-1)
            y = (att.unsqueeze(2) @ values).reshape(b, c)
            x = x + blk.c_proj(y)
            x = x + blk.proj(F.gelu(blk.fc(blk.ln_2(x)), approximate="tanh"))
        return model.head(model.ln_f(x))

    logits = step(torch.full((b,), 50256 % p["vocab"], device=DEVICE), 0)
    sync()
    t0 = time.perf_counter()
    for pos in range(1, args.tokens + 1):
        logits = step(logits.argmax(-1), pos)
    sync()
    dt = time.perf_counter() - t0
    print(json.dumps({"bench": "decode", "preset": args.preset, "batch": b, "tokens": args.tokens, "device": str(DEVICE),
                      "tf32": args.tf32, "tokens_per_s": b * args.tokens / dt, "peak_device_mb": peak_device_mb()}))


@torch.inference_mode()
def prefill(args):
    """A prompt of --prompt tokens through every block at once (causal attention), the output head on its last
    position only: what serving computes before the first token. Best of three after a warm-up run."""
    torch.manual_seed(0)
    p = PRESETS[args.preset]
    model = GPT(p, True).to(DEVICE).eval()
    ids = torch.randint(0, p["vocab"], (1, args.prompt), device=DEVICE)

    def run():
        x = model.wte(ids) + model.wpe(torch.arange(args.prompt, device=DEVICE))
        for blk in model.blocks:
            x = blk(x)
        return model.head(model.ln_f(x[:, -1]))

    run()
    best = float("inf")
    for _ in range(3):
        sync()
        t0 = time.perf_counter()
        run()
        sync()
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"bench": "prefill", "preset": args.preset, "prompt": args.prompt, "device": str(DEVICE),
                      "tf32": args.tf32, "tokens_per_s": args.prompt / best, "ms": best * 1e3}))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["gemm", "train", "decode", "prefill", "lora"])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--preset", default="gpt2-124m")
    ap.add_argument("--batch", type=int, help="train: 4, decode: 1 (default)")
    ap.add_argument("--context", type=int, default=64)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--prompt", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tied", action="store_true")
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--tf32", action="store_true", help="TF32 tensor cores for fp32 matrix products (cuda)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    DEVICE = torch.device(a.device)
    if a.batch is None:
        a.batch = 1 if a.mode == "decode" else 4
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.allow_tf32 = a.tf32
    {"gemm": gemm, "train": train, "decode": decode, "prefill": prefill, "lora": lora}[a.mode](a)
