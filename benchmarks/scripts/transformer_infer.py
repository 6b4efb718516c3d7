"""A BERT-base-shaped transformer encoder (torch.nn.TransformerEncoder) in inference, two MLPerf scenarios:
offline: samples/s at a fixed batch; single-stream: the 90th percentile latency of one query at a time (ms).

Checked first: the model's output on the device matches the same model on the CPU in float64 at a small size.
"""
import argparse

import torch
from torch import nn

import fedbench_torch as fb

p = argparse.ArgumentParser()
p.add_argument("--scenario", choices=["offline", "single-stream"], default="offline")
p.add_argument("--batch", type=int, default=64)
p.add_argument("--seq", type=int, default=128)
p.add_argument("--layers", type=int, default=12)
p.add_argument("--dtype", choices=["fp32", "fp16", "bf16"], default="fp32")
p.add_argument("--queries", type=int, default=200, help="single-stream: queries per figure")
p.add_argument("--iters", type=int, default=10, help="offline: batches per figure")
p.add_argument("--reps", type=int, default=5)
p.add_argument("--device", default="auto")
args = p.parse_args()

dev = fb.device(args.device)
dtype = fb.require_dtype(dev, args.dtype)
torch.manual_seed(42)


def encoder(layers):
    layer = nn.TransformerEncoderLayer(768, 12, 3072, dropout=0.0, activation="gelu", batch_first=True)
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False).eval()


# Numbers first: two layers, a short sequence, device and dtype against float64 on the CPU.
small = encoder(2)
x = torch.randn(2, 16, 768)
with torch.inference_mode():
    want = small.double()(x.double())
    got = small.float().to(dev, dtype)(x.to(dev, dtype)).to("cpu", torch.float64)
tol = {"fp32": 1e-3, "fp16": 5e-2, "bf16": 2e-1}[args.dtype]
worst = (got - want).abs().max().item()
if not worst <= tol:
    raise SystemExit(f"wrong results: encoder {args.dtype} on {fb.describe(dev)} is off by {worst} (tolerance {tol})")

model = encoder(args.layers).to(dev, dtype)
batch = args.batch if args.scenario == "offline" else 1
x = torch.randn(batch, args.seq, 768, device=dev, dtype=dtype)
with torch.inference_mode():
    for _ in range(3):
        model(x)
    fb.synchronize(dev)
    fb.begin()
    for _ in range(args.reps):
        if args.scenario == "offline":
            with fb.Timer(dev) as t:
                for _ in range(args.iters):
                    model(x)
            fb.figure(dev, samples_per_s=batch * args.iters / t.seconds)
        else:
            latencies = []
            for _ in range(args.queries):
                with fb.Timer(dev) as t:
                    model(x)
                latencies.append(t.seconds * 1e3)
            latencies.sort()
            fb.figure(dev, p90_ms=latencies[int(0.9 * (len(latencies) - 1))])
    fb.end()
