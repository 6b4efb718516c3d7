"""One torch.distributed collective over message sizes by doubling, nccl-tests' way: each size's result checked
first, then timed (median of several batches of calls), time per call, algbw and busbw per size.

Started by fedbench as the ranks of a `nodes` × `gpusPerNode` case (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK,
LOCAL_RANK, LOCAL_WORLD_SIZE set; no launcher of its own). Prints on stdout, one JSON object per line:
  {"backend": ..., "transport": ...}                       what ran (NCCL's own log names its transport)
  {"collective", "dtype", "bytes", "timeUs", "algbw", "busbw", "checked"}   one per size (GB/s = 1e9 B/s)
Bytes are nccl-tests' sizes: the whole buffer of one rank for all-reduce and broadcast, the gathered buffer
(n × the per-rank part) for all-gather, reduce-scatter and all-to-all, the message for send/recv.
"""
import argparse
import datetime
import json
import os
import statistics
import sys
import time

COLLECTIVES = ["all_reduce", "all_gather", "reduce_scatter", "broadcast", "all_to_all", "send_recv"]


def skip(reason: str) -> None:
    print(f"FEDBENCH:SKIP {reason}", flush=True)
    sys.exit(0)


def bus_factor(collective: str, n: int) -> float:
    """nccl-tests' doc/PERFORMANCE.md: busbw = algbw × this factor."""
    if collective == "all_reduce":
        return 2 * (n - 1) / n
    if collective in ("all_gather", "reduce_scatter", "all_to_all"):
        return (n - 1) / n
    return 1.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--collective", choices=COLLECTIVES, required=True)
    ap.add_argument("--backend", choices=["gloo", "nccl"], required=True)
    ap.add_argument("--dtype", choices=["fp32", "bf16", "fp16"], default="fp32")
    ap.add_argument("--min-bytes", type=int, default=8)
    ap.add_argument("--max-bytes", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=0.05, help="time per batch of calls at each size")
    ap.add_argument("--batches", type=int, default=5)
    a = ap.parse_args()

    import torch
    import torch.distributed as dist

    world = int(os.environ["WORLD_SIZE"])
    rank = int(os.environ["RANK"])
    local = int(os.environ.get("LOCAL_RANK", "0"))
    per_node = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    if a.backend == "nccl":
        if not torch.cuda.is_available():
            skip("NCCL needs CUDA GPUs; torch.cuda.is_available() is False here")
        if torch.cuda.device_count() < per_node:
            skip(f"{per_node} ranks per node need {per_node} GPUs; this node has {torch.cuda.device_count()}")
        torch.cuda.set_device(local)  # one GPU per rank, LOCAL_RANK among the visible ones (as torchrun)
        dev = torch.device("cuda", local)
    else:
        dev = torch.device("cpu")
    if a.collective == "send_recv" and world % 2:
        skip(f"send/recv pairs ranks; {world} ranks is odd")
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[a.dtype]
    if a.backend == "gloo" and a.collective == "reduce_scatter":
        skip(f"torch {torch.__version__}'s gloo backend has no reduce_scatter")
    if a.backend == "gloo" and a.dtype != "fp32" and a.collective in ("all_reduce", "reduce_scatter"):
        skip(f"gloo reduces fp32 here; {a.dtype} sums are NCCL's (torch {torch.__version__})")

    dist.init_process_group(a.backend, timeout=datetime.timedelta(seconds=120))
    n = dist.get_world_size()
    transport = (
        "NCCL (see its NCCL_DEBUG=INFO lines)"
        if a.backend == "nccl"
        else ("gloo over TCP (loopback)" if os.environ.get("MASTER_ADDR") in ("127.0.0.1", "localhost") else "gloo over TCP")
    )
    esize = torch.tensor([], dtype=dtype).element_size()

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def nothing() -> None:
        pass

    def setup(nbytes: int):
        """The call for this size, and a check of its result; None when the size is too small for n ranks."""
        count = nbytes // esize
        part = count // n
        if a.collective in ("all_gather", "reduce_scatter", "all_to_all"):
            if part < 1:
                return None
            count = part * n
        if count < 1:
            return None
        if a.collective == "all_reduce":
            x = torch.empty(count, dtype=dtype, device=dev)

            def run():
                dist.all_reduce(x)

            return lambda: x.fill_(rank + 1), run, lambda: bool((x == n * (n + 1) / 2).all()), count * esize
        if a.collective == "all_gather":
            src = torch.full((part,), rank, dtype=dtype, device=dev)
            outs = [torch.empty(part, dtype=dtype, device=dev) for _ in range(n)]

            def run():
                dist.all_gather(outs, src)

            return nothing, run, lambda: all(bool((o == r).all()) for r, o in enumerate(outs)), count * esize
        if a.collective == "reduce_scatter":
            ins = [torch.full((part,), rank + 1, dtype=dtype, device=dev) for _ in range(n)]
            out = torch.empty(part, dtype=dtype, device=dev)

            def run():
                dist.reduce_scatter(out, ins)

            return nothing, run, lambda: bool((out == n * (n + 1) / 2).all()), count * esize
        if a.collective == "broadcast":
            x = torch.empty(count, dtype=dtype, device=dev)

            def run():
                dist.broadcast(x, 0)

            return lambda: x.fill_(7 if rank == 0 else 0), run, lambda: bool((x == 7).all()), count * esize
        if a.collective == "all_to_all":
            # chunk j of rank r goes to rank j: rank r receives chunk r of every rank, each filled with its sender
            src = torch.full((count,), rank, dtype=dtype, device=dev)
            out = torch.empty(count, dtype=dtype, device=dev)
            expect = torch.arange(n, dtype=dtype, device=dev).repeat_interleave(part)

            def run():
                dist.all_to_all_single(out, src)

            return nothing, run, lambda: bool((out == expect).all()), count * esize
        # send_recv: even ranks send to the next odd one
        x = torch.empty(count, dtype=dtype, device=dev)
        peer = rank + 1 if rank % 2 == 0 else rank - 1

        def run():
            if rank % 2 == 0:
                dist.send(x, peer)
            else:
                dist.recv(x, peer)

        # the pair's odd rank's number travels from the even rank to the odd one
        return lambda: x.fill_(peer if rank % 2 == 0 else -1), run, lambda: bool((x == max(rank, peer)).all()), count * esize

    sizes = []
    s = a.min_bytes
    while s <= a.max_bytes:
        sizes.append(s)
        s *= 2

    print("FEDBENCH:BEGIN", flush=True)
    print(json.dumps({"backend": dist.get_backend(), "transport": transport}), flush=True)
    for nbytes in sizes:
        built = setup(nbytes)
        if built is None:
            continue
        prep, run, check, real_bytes = built
        prep()  # the timed calls below leave their buffers as they are (a sum keeps doubling: no denormals)
        run()
        sync()
        ok = torch.tensor([1 if check() else 0], dtype=torch.int32, device=dev)
        dist.all_reduce(ok, op=dist.ReduceOp.MIN)
        if ok.item() != 1:
            print(f"{a.collective} {real_bytes} B: wrong result on some rank", file=sys.stderr, flush=True)
            sys.exit(3)
        # calls per batch: enough for --seconds, agreed by all ranks (the slowest rank's estimate)
        dist.barrier()
        t0 = time.perf_counter()
        run()
        sync()
        one = torch.tensor([time.perf_counter() - t0], dtype=torch.float64)
        dist.all_reduce(one, op=dist.ReduceOp.MAX)
        iters = max(3, min(10000, int(a.seconds / max(one.item(), 1e-7))))
        times = []
        for _ in range(a.batches):
            dist.barrier()
            t0 = time.perf_counter()
            for _ in range(iters):
                run()
            sync()
            times.append((time.perf_counter() - t0) / iters)
        t = statistics.median(times)
        algbw = real_bytes / t / 1e9
        row = {
            "collective": a.collective,
            "dtype": a.dtype,
            "bytes": real_bytes,
            "timeUs": t * 1e6,
            "algbw": algbw,
            "busbw": algbw * bus_factor(a.collective, n),
            "checked": True,
        }
        print(json.dumps(row), flush=True)
    print("FEDBENCH:END", flush=True)
    dist.destroy_process_group()
    # torch 1.13's gloo threads can hang the interpreter's shutdown after this (2 runs in 10 of 2 ranks on a 2-core
    # machine, until the case's time-out): every figure is printed and flushed, so leave without that shutdown
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
