"""Copy bandwidth inside one node, as a matrix over its GPUs and the host (what nvbandwidth and CUDA's
p2pBandwidthLatencyTest show): every GPU to every other GPU (peer-to-peer where the driver allows it, through the
host where it does not), host to each GPU and each GPU to host (pinned host memory). Each copy is checked first
(a pattern copied, then compared where it landed), then timed: batches of copies of one buffer, each batch ended by
synchronising both devices, the median batch's bandwidth. One direction per cell (source → destination), GB/s = 1e9 B/s.

Prints on stdout, one JSON object per line:
  {"src": "gpu0", "dst": "gpu1", "bytes": ..., "gbPerSec": ..., "peer": true, "checked": true}   one per cell
  {"figure": ..., "of": "peer" | "host"}     the case's figure: the slowest cell of that kind (a weak link shows)
"""
import argparse
import json
import os
import statistics
import sys
import time


def skip(reason: str) -> None:
    print(f"FEDBENCH:SKIP {reason}", flush=True)
    sys.exit(0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--figure", choices=["peer", "host"], required=True, help="which cells give the case's figure")
    ap.add_argument("--bytes", type=int, default=256 << 20, help="buffer size per copy")
    ap.add_argument("--copies", type=int, default=10, help="copies per batch")
    ap.add_argument("--batches", type=int, default=5)
    a = ap.parse_args()

    import torch

    if not torch.cuda.is_available():
        skip(f"copies between GPUs need CUDA; torch.cuda.is_available() is False here (torch {torch.__version__})")
    n = torch.cuda.device_count()
    if a.figure == "peer" and n < 2:
        seen = os.environ.get("CUDA_VISIBLE_DEVICES")
        skip(
            f"GPU-to-GPU copies need two GPUs or more; this process sees {n}"
            + (f" (CUDA_VISIBLE_DEVICES={seen}: a Slurm job sees the GPUs it asked for, scheduler.gpus.perJob)" if seen else "")
        )

    def buffer(where: str) -> "torch.Tensor":
        if where == "host":
            return torch.empty(a.bytes, dtype=torch.uint8, pin_memory=True)
        return torch.empty(a.bytes, dtype=torch.uint8, device=torch.device("cuda", int(where[3:])))

    def sync(*where: str) -> None:
        for w in where:
            if w != "host":
                torch.cuda.synchronize(int(w[3:]))

    # a byte pattern that a copy shifted, cut short or left unwritten does not match (251: prime, so no period of 2^k)
    pattern = torch.arange(251, dtype=torch.uint8).repeat(a.bytes // 251 + 1)[: a.bytes].contiguous()

    def cell(src: str, dst: str) -> dict:
        s, d = buffer(src), buffer(dst)
        s.copy_(pattern)
        d.zero_()
        sync(src, dst)
        d.copy_(s, non_blocking=True)
        sync(src, dst)
        checked = bool(torch.equal(d.cpu(), pattern))
        if not checked:
            raise SystemExit(f"copy {src} -> {dst}: the {a.bytes} bytes that arrived differ from those sent")
        rates = []
        for _ in range(a.batches):
            sync(src, dst)
            t0 = time.perf_counter()
            for _ in range(a.copies):
                d.copy_(s, non_blocking=True)
            sync(src, dst)
            rates.append(a.bytes * a.copies / (time.perf_counter() - t0) / 1e9)
        peer = None
        if src != "host" and dst != "host":
            peer = bool(torch.cuda.can_device_access_peer(int(src[3:]), int(dst[3:])))
        del s, d
        torch.cuda.empty_cache()
        return {"src": src, "dst": dst, "bytes": a.bytes, "gbPerSec": statistics.median(rates), "peer": peer, "checked": checked}

    gpus = [f"gpu{i}" for i in range(n)]
    cells = []
    for src in ["host", *gpus]:
        for dst in ["host", *gpus]:
            if src == dst or (src == "host" and dst == "host"):
                continue
            c = cell(src, dst)
            cells.append(c)
            print(json.dumps(c), flush=True)
    mine = [c for c in cells if (c["peer"] is not None) == (a.figure == "peer")]
    print(json.dumps({"figure": min(c["gbPerSec"] for c in mine), "of": a.figure}), flush=True)


if __name__ == "__main__":
    main()
