"""GEMM C = A·B (n×n) through torch.matmul: the GPU anchor for fedbench's own GEMM (cuBLAS on NVIDIA GPUs).

Checked first at n=128 against a float64 product; then `--reps` timed repetitions of `--iters` back-to-back calls,
each timed by CUDA events after synchronisation (warm-up excluded), one JSON figure line per repetition.
"""
import argparse

import torch

import fedbench_torch as fb

p = argparse.ArgumentParser()
p.add_argument("--n", type=int, default=4096)
p.add_argument("--dtype", choices=sorted(fb.DTYPES), default="fp32")
p.add_argument("--device", default="auto")
p.add_argument("--iters", type=int, default=20)
p.add_argument("--reps", type=int, default=10)
args = p.parse_args()

dev = fb.device(args.device)
dtype = fb.require_dtype(dev, args.dtype)
# fp32 means IEEE fp32: tensor-core tf32 only when asked for
torch.backends.cuda.matmul.allow_tf32 = args.dtype == "tf32"
torch.backends.cudnn.allow_tf32 = args.dtype == "tf32"

# Numbers first: a small product against float64, with a tolerance for the precision (inputs in [-1, 1)).
g = torch.Generator().manual_seed(42)
small_a, small_b = (torch.rand(128, 128, generator=g, dtype=torch.float64) * 2 - 1 for _ in range(2))
want = small_a @ small_b
got = (small_a.to(dev, dtype) @ small_b.to(dev, dtype)).to("cpu", torch.float64)
tol = {"fp32": 1e-4, "tf32": 5e-2, "bf16": 0.5, "fp16": 5e-2}[args.dtype]
worst = (got - want).abs().max().item()
if not worst <= tol:
    raise SystemExit(f"wrong results: GEMM n=128 {args.dtype} on {fb.describe(dev)} is off by {worst} (tolerance {tol})")

a = torch.rand(args.n, args.n, device=dev, dtype=dtype)
b = torch.rand(args.n, args.n, device=dev, dtype=dtype)
flop = 2 * args.n**3
for _ in range(3):  # warm-up: cuBLAS heuristics, clocks
    torch.matmul(a, b)
fb.synchronize(dev)
fb.begin()
for _ in range(args.reps):
    with fb.Timer(dev) as t:
        for _ in range(args.iters):
            torch.matmul(a, b)
    fb.figure(dev, gflops=flop * args.iters / t.seconds / 1e9, seconds_per_call=t.seconds / args.iters)
fb.end()
