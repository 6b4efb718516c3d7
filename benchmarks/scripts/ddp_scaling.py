"""Data-parallel training (torch DistributedDataParallel) of a small model at the world fedbench started
(WORLD_SIZE ranks, one per GPU, or gloo processes on CPU): weak scaling, a fixed batch per rank.

Prints on stdout, one JSON object per line, between FEDBENCH:BEGIN and FEDBENCH:END:
  {"backend", "transport"}                       what ran
  {"samples_per_s", "step_ms", "comm_share"}     per timed round: samples/s of the whole world (world × batch over
                                                 the slowest rank's step time); comm_share = 1 − (step without
                                                 gradient all-reduce, DDP's no_sync) / (step with it)
Scaling efficiency T(N) / (N × T(1)) is computed by fedbench's report across the cases of a sweep.
"""
import argparse
import datetime
import json
import os
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    ap.add_argument("--batch", type=int, default=64, help="samples per rank per step")
    ap.add_argument("--steps", type=int, default=20, help="timed steps per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--backend", choices=["gloo", "nccl"], default="gloo")
    a = ap.parse_args()

    import torch
    import torch.distributed as dist
    from torch import nn
    from torch.nn.parallel import DistributedDataParallel as DDP

    local = int(os.environ.get("LOCAL_RANK", "0"))
    if a.backend == "nccl":
        if not torch.cuda.is_available():
            print("FEDBENCH:SKIP NCCL needs CUDA GPUs; torch.cuda.is_available() is False here", flush=True)
            sys.exit(0)
        torch.cuda.set_device(local)
        dev = torch.device("cuda", local)
    else:
        dev = torch.device("cpu")
        torch.set_num_threads(1)  # ranks share the CPU cores: one thread each, so N ranks use N cores
    dist.init_process_group(a.backend, timeout=datetime.timedelta(seconds=120))
    n, rank = dist.get_world_size(), dist.get_rank()
    torch.manual_seed(1234)  # same initial weights on every rank (DDP also broadcasts rank 0's)
    if a.model == "mlp":
        model = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        shape = (a.batch, 256)
    else:
        model = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10),
        )
        shape = (a.batch, 3, 32, 32)
    model = DDP(model.to(dev), device_ids=[local] if dev.type == "cuda" else None)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    g = torch.Generator().manual_seed(rank)
    x = torch.randn(*shape, generator=g).to(dev)
    y = torch.randint(0, 10, (a.batch,), generator=g).to(dev)
    loss_fn = nn.CrossEntropyLoss()

    def step(sync: bool) -> None:
        opt.zero_grad(set_to_none=True)
        if sync:
            loss_fn(model(x), y).backward()
        else:
            with model.no_sync():
                loss_fn(model(x), y).backward()
        opt.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def timed(sync: bool) -> float:
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step(sync)
        t = torch.tensor([(time.perf_counter() - t0) / a.steps], dtype=torch.float64)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)  # the world moves at its slowest rank's pace
        return t.item()

    first = None
    for _ in range(3):  # warm-up; the loss must be finite
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    if not torch.isfinite(loss):
        print("loss is not finite after warm-up", file=sys.stderr, flush=True)
        sys.exit(3)
    print("FEDBENCH:BEGIN", flush=True)
    print(json.dumps({"backend": dist.get_backend(), "transport": "gloo over TCP" if a.backend == "gloo" else "NCCL"}), flush=True)
    for _ in range(a.rounds):
        with_sync = timed(True)
        local_only = timed(False) if n > 1 else with_sync
        print(
            json.dumps(
                {
                    "samples_per_s": n * a.batch / with_sync,
                    "step_ms": with_sync * 1e3,
                    "comm_share": max(0.0, 1 - local_only / with_sync),
                }
            ),
            flush=True,
        )
    print("FEDBENCH:END", flush=True)
    dist.destroy_process_group()
    # torch 1.13's gloo threads can hang the interpreter's shutdown after this (2 runs in 10 of 2 ranks on a 2-core
    # machine, until the case's time-out): every figure is printed and flushed, so leave without that shutdown
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
