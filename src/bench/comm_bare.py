"""bench:comm's baseline: the all-reduce loop a user would write by hand with torch.distributed (gloo), nothing of
fedbench. Started twice by the bench with the rendezvous variables set. For each size (doubling): a warm-up call,
calls per batch chosen for SECONDS per batch, BATCHES batches; prints one JSON line {bytes, timeUs} per size (rank 0)."""
import datetime
import json
import os
import statistics
import sys
import time

import torch
import torch.distributed as dist

lo, hi, seconds, batches = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=120))
rank = dist.get_rank()
size = lo
while size <= hi:
    x = torch.ones(size // 4, dtype=torch.float32)
    dist.all_reduce(x)
    dist.barrier()
    t0 = time.perf_counter()
    dist.all_reduce(x)
    one = torch.tensor([time.perf_counter() - t0], dtype=torch.float64)
    dist.all_reduce(one, op=dist.ReduceOp.MAX)
    iters = max(3, min(10000, int(seconds / max(one.item(), 1e-7))))
    times = []
    for _ in range(batches):
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(iters):
            dist.all_reduce(x)
        times.append((time.perf_counter() - t0) / iters)
    if rank == 0:
        print(json.dumps({"bytes": size, "timeUs": statistics.median(times) * 1e6}), flush=True)
    size *= 2
dist.destroy_process_group()
# as comm.py: torch 1.13's gloo threads can hang the interpreter's shutdown; everything is printed already
sys.stdout.flush()
os._exit(0)
