"""One MPI collective over message sizes by doubling (mpi4py on host buffers, as OSU's micro-benchmarks time them):
each size's result checked first, then timed (median of several batches of calls), time per call, algbw and busbw by
nccl-tests' formulas, so the rows read like comm.py's.

Started by MPI's own launcher (`mpirun -np N`, or `srun --mpi=…` in a job), not by fedbench's ranks. Rank 0 prints on
stdout, one JSON object per line:
  {"backend": "mpi", "transport": ..., "world": N, "nodes": M}   the library, and the ranks and nodes taking part
  {"collective", "dtype", "bytes", "timeUs", "algbw", "busbw", "checked"}   one per size (GB/s = 1e9 B/s)
Bytes as nccl-tests counts them: a rank's buffer for all-reduce and broadcast, the gathered buffer for all-gather and
all-to-all, the message for send/recv.
"""
import argparse
import json
import statistics
import sys
import time

COLLECTIVES = ["all_reduce", "all_gather", "broadcast", "all_to_all", "send_recv"]


def skip(reason: str) -> None:
    print(f"FEDBENCH:SKIP {reason}", flush=True)
    sys.exit(0)


def bus_factor(collective: str, n: int) -> float:
    """nccl-tests' doc/PERFORMANCE.md: busbw = algbw × this factor."""
    if collective == "all_reduce":
        return 2 * (n - 1) / n
    if collective in ("all_gather", "all_to_all"):
        return (n - 1) / n
    return 1.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--collective", choices=COLLECTIVES, required=True)
    ap.add_argument("--min-bytes", type=int, default=8)
    ap.add_argument("--max-bytes", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=0.05, help="time per batch of calls at each size")
    ap.add_argument("--batches", type=int, default=5)
    a = ap.parse_args()
    try:
        import numpy as np
        from mpi4py import MPI
    except ImportError as e:
        skip(f"requires mpi4py and numpy ({e})")

    comm = MPI.COMM_WORLD
    rank, n = comm.Get_rank(), comm.Get_size()
    if n < 2:
        skip("one MPI rank: start it with mpirun -np N (N ≥ 2)")
    if a.collective == "send_recv" and n % 2:
        skip(f"send_recv pairs ranks: {n} is odd")
    hosts = comm.allgather(MPI.Get_processor_name())
    library = MPI.Get_library_version().splitlines()[0].split(",")[0].strip()
    esize = 4  # fp32

    def setup(nbytes: int):
        """(prepare, run, check, bytes as nccl-tests counts them), or None when the size does not divide."""
        if a.collective in ("all_gather", "all_to_all"):
            part = nbytes // esize // n
            if part == 0:
                return None
            count = part * n
        else:
            count = nbytes // esize
            if count == 0:
                return None
        if a.collective == "all_reduce":
            src, out = np.empty(count, np.float32), np.empty(count, np.float32)
            return (lambda: src.fill(rank + 1), lambda: comm.Allreduce(src, out, op=MPI.SUM),
                    lambda: bool((out == n * (n + 1) / 2).all()), count * esize)
        if a.collective == "all_gather":
            src, out = np.empty(part, np.float32), np.empty(count, np.float32)
            expect = np.repeat(np.arange(n, dtype=np.float32), part)
            return (lambda: src.fill(rank), lambda: comm.Allgather(src, out),
                    lambda: bool((out == expect).all()), count * esize)
        if a.collective == "broadcast":
            x = np.empty(count, np.float32)
            return (lambda: x.fill(7 if rank == 0 else -1), lambda: comm.Bcast(x, root=0),
                    lambda: bool((x == 7).all()), count * esize)
        if a.collective == "all_to_all":
            src, out = np.empty(count, np.float32), np.empty(count, np.float32)
            expect = np.repeat(np.arange(n, dtype=np.float32), part)
            return (lambda: src.fill(rank), lambda: comm.Alltoall(src, out),
                    lambda: bool((out == expect).all()), count * esize)
        # send_recv: even ranks send to the next odd one
        x = np.empty(count, np.float32)
        peer = rank + 1 if rank % 2 == 0 else rank - 1

        def run():
            if rank % 2 == 0:
                comm.Send(x, dest=peer)
            else:
                comm.Recv(x, source=peer)

        return (lambda: x.fill(peer if rank % 2 == 0 else -1), run,
                lambda: bool((x == max(rank, peer)).all()), count * esize)

    sizes = []
    s = a.min_bytes
    while s <= a.max_bytes:
        sizes.append(s)
        s *= 2

    if rank == 0:
        print("FEDBENCH:BEGIN", flush=True)
        transport = f"{library} (its transport choice is not reported)"
        print(json.dumps({"backend": "mpi", "transport": transport, "world": n, "nodes": len(set(hosts))}), flush=True)
    for nbytes in sizes:
        built = setup(nbytes)
        if built is None:
            continue
        prep, run, check, real_bytes = built
        prep()
        run()
        if comm.allreduce(1 if check() else 0, op=MPI.MIN) != 1:
            if rank == 0:
                print(f"{a.collective} {real_bytes} B: wrong result on some rank", file=sys.stderr, flush=True)
            comm.Abort(3)
        # calls per batch: enough for --seconds, agreed by all ranks (the slowest rank's estimate)
        comm.Barrier()
        t0 = time.perf_counter()
        run()
        one = comm.allreduce(time.perf_counter() - t0, op=MPI.MAX)
        iters = max(3, min(10000, int(a.seconds / max(one, 1e-7))))
        times = []
        for _ in range(a.batches):
            comm.Barrier()
            t0 = time.perf_counter()
            for _ in range(iters):
                run()
            # the slowest rank's time is the collective's
            times.append(comm.allreduce(time.perf_counter() - t0, op=MPI.MAX) / iters)
        t = statistics.median(times)
        algbw = real_bytes / t / 1e9
        if rank == 0:
            row = {"collective": a.collective, "dtype": "fp32", "bytes": real_bytes, "timeUs": t * 1e6,
                   "algbw": algbw, "busbw": algbw * bus_factor(a.collective, n), "checked": True}
            print(json.dumps(row), flush=True)
    if rank == 0:
        print("FEDBENCH:END", flush=True)


if __name__ == "__main__":
    main()
