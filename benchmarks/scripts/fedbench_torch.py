"""Shared by the PyTorch anchor scripts: device choice, fedbench's window markers and figure lines.

fedbench's `command` workload reads one JSON object per line on stdout (`metric.json` in benchmarks/pytorch.yaml),
times and meters only what lies between FEDBENCH:BEGIN and FEDBENCH:END, turns `FEDBENCH:SKIP <reason>` into a
skipped record with that reason, and keeps `FEDBENCH:DEVICE <text>` as the record's `engine.device`.

One rule in every script: a case runs on the device it asks for (`--device cuda` for the suite's GPU cases, `cpu` for
its CPU-sized ones) or is skipped at once, with the reason; so is a precision the device cannot compute.
"""
import json
import sys

import torch


def skip(reason: str) -> None:
    print(f"FEDBENCH:SKIP {reason}", flush=True)
    sys.exit(0)


def device(requested: str) -> torch.device:
    """The device asked for (auto: CUDA when present, else CPU); what really runs is said to fedbench for the record."""
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        skip(f"a GPU case: no CUDA device here (torch {torch.__version__}, {build})")
    dev = torch.device(requested)
    print(f"FEDBENCH:DEVICE {describe(dev)}", flush=True)
    print(f"device: {describe(dev)}; torch {torch.__version__}", file=sys.stderr, flush=True)
    return dev


def require_dtype(dev: torch.device, name: str) -> torch.dtype:
    """The precision, or a skipped case where this device cannot compute it (tried on a tiny matmul)."""
    if name == "tf32" and dev.type != "cuda":
        skip("tf32 is a tensor-core mode of NVIDIA GPUs; this case runs on the CPU")
    dtype = DTYPES[name]
    try:
        ones = torch.ones(4, 4, device=dev, dtype=dtype)
        torch.nn.functional.layer_norm(ones @ ones, (4,))
    except RuntimeError as err:
        skip(f"{name} is not computed on {describe(dev)} by torch {torch.__version__}: {str(err).splitlines()[0]}")
    return dtype


def describe(dev: torch.device) -> str:
    if dev.type == "cuda":
        return f"cuda:{torch.cuda.current_device()} {torch.cuda.get_device_name()}"
    return f"cpu, {torch.get_num_threads()} threads"


def synchronize(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize()


class Timer:
    """Seconds of device work: CUDA events (synchronised) on a GPU, the wall clock after the call on a CPU."""

    def __init__(self, dev: torch.device):
        self.dev = dev

    def __enter__(self):
        import time

        if self.dev.type == "cuda":
            self.start, self.end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            self.start.record()
        else:
            self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        import time

        if self.dev.type == "cuda":
            self.end.record()
            self.end.synchronize()
            self.seconds = self.start.elapsed_time(self.end) / 1e3
        else:
            self.seconds = time.perf_counter() - self.t0
        return False


def begin() -> None:
    print("FEDBENCH:BEGIN", flush=True)


def end() -> None:
    print("FEDBENCH:END", flush=True)


def figure(dev: torch.device, **values) -> None:
    print(json.dumps({"device": describe(dev), **values}), flush=True)


DTYPES = {"fp32": torch.float32, "tf32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
