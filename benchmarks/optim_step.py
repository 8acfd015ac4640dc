"""Optimizer step time against the memory-bandwidth bound measured in the same run.

    python -m benchmarks.optim_step            # 10M float32 params over 20 tensors
    python -m benchmarks.optim_step --quick    # 1M params, fewer repeats

For every registered optimizer: ms per step on 10 million float32 parameters spread over 20
tensors of mixed sizes, and its bound: the bytes its rule must move (read params, grads and
state; write params and state: (2 + 1 + 2 * state buffers) x 4 bytes per parameter)
divided by the bandwidth of a STREAM-style triad over the same number of elements (a = b +
s * c, or in place a = a + s * b, whichever is faster; 3 x 4 bytes per element; Numba
parallel). % of bound: 100% = as fast as memory allows. When torch is importable, also
torch.optim's fastest CPU path (fused, else foreach). Then the cost of many small tensors
(1,000 x 1,000 vs one 1,000,000) and the first step in a new process with Numba's cache
warm. Each timing is the best of several repeats, as STREAM reports (on a shared machine
the best is the least disturbed).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time

import numpy as np
from numba import prange

from tinygrad_opt import Tensor, optim
from tinygrad_opt.jit import kernel

# Hyperparameters for optimizers whose defaults do not exercise their full rule (or that
# have no default lr). Small lrs keep 100+ steps on fixed random grads finite.
HYPERPARAMETERS = {
    "sgd": {"lr": 1e-4, "momentum": 0.9},
    "lars": {"lr": 1e-4},
    "rmsprop": {"lr": 1e-4},
    "adagrad": {"lr": 1e-4},
}
CLOSURE_BASED = {"lbfgs"}  # line-search optimizers do not have a fixed per-step traffic
TORCH_NAMES = {
    "sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "adagrad": "Adagrad",
    "rmsprop": "RMSprop", "nadam": "NAdam", "radam": "RAdam", "adamax": "Adamax",
    "adadelta": "Adadelta", "adafactor": "Adafactor",
}  # fmt: skip


@kernel
def _triad(a, b, c, s):
    for i in prange(a.size):
        a[i] = b[i] + s * c[i]


@kernel
def _triad_in_place(a, b, s):
    for i in prange(a.size):
        a[i] = a[i] + s * b[i]


def mixed_sizes(total: int, count: int = 20) -> list[int]:
    """`count` tensor sizes summing to `total`: a few big matrices, medium ones, small biases."""
    weights = np.array([0.5 ** (i % 7) * (1.0 if i % 3 else 0.05) for i in range(count)])
    sizes = np.maximum((weights / weights.sum() * total).astype(np.int64), 1)
    sizes[0] += total - sizes.sum()
    return [int(s) for s in sizes]


def timeit(fn, repeats: int) -> float:
    """Best seconds per call over `repeats` calls (after the caller's warm-up)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


class Triad:
    """STREAM-style triads over n float32 elements, 3 x 4 bytes per element each.

    Two forms: STREAM's a = b + s * c, and the in-place a = a + s * b. The second has the
    access pattern of an optimizer (read-modify-write), while the first also pays the
    write-allocate read of `a` that STREAM does not count; the faster of the two sets the
    bandwidth, so the bound is never made easy by an unfair baseline.
    """

    def __init__(self, n: int) -> None:
        self.a, self.b, self.c = (np.ones(n, dtype=np.float32) for _ in range(3))
        self.bytes = 3 * 4 * n
        self.classic()
        self.in_place()

    def classic(self) -> None:
        _triad(self.a, self.b, self.c, np.float32(0.5))

    def in_place(self) -> None:
        # alternating signs keep `a` bounded over many repeats
        _triad_in_place(self.a, self.b, np.float32(1e-3))
        _triad_in_place(self.a, self.b, np.float32(-1e-3))


def interleaved(fn, triad: Triad, repeats: int) -> tuple[float, float]:
    """Best seconds of `fn`, and the best triad bandwidth in bytes/s, timed alternately so
    that load from other processes hits both alike."""
    fn_times, triad_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        middle = time.perf_counter()
        triad.classic()
        classic_end = time.perf_counter()
        triad.in_place()  # two passes
        end = time.perf_counter()
        fn_times.append(middle - start)
        triad_times.append(min(classic_end - middle, (end - classic_end) / 2))
    return min(fn_times), triad.bytes / min(triad_times)


def make_params(sizes: list[int], rng: np.random.Generator) -> list[Tensor]:
    params = []
    for size in sizes:
        p = Tensor(rng.standard_normal(size, dtype=np.float32), requires_grad=True)
        p.grad = rng.standard_normal(size, dtype=np.float32)
        params.append(p)
    return params


def bytes_per_step(opt: optim.Optimizer) -> int:
    """Traffic an update rule cannot avoid: params r/w, grads r, each state buffer r/w."""
    total = 0
    for buffer in opt.flat_buffers():
        item = buffer.dtype.itemsize
        total += 3 * buffer.data.size * item
        total += sum(2 * state.size * item for state in buffer.state.values())
    return total


def build(name: str, sizes: list[int]) -> optim.Optimizer:
    params = make_params(sizes, np.random.default_rng(0))
    opt = optim.create(name, params, **HYPERPARAMETERS.get(name, {}))
    opt.step()  # compile (or load from cache) and touch every page
    opt.step()
    return opt


def time_torch(name: str, sizes: list[int], repeats: int) -> float | None:
    if importlib.util.find_spec("torch") is None or name not in TORCH_NAMES:
        return None
    import torch

    cls = getattr(torch.optim, TORCH_NAMES[name], None)
    if cls is None:
        return None
    params = [torch.randn(s, requires_grad=True) for s in sizes]
    for p in params:
        p.grad = torch.randn_like(p)
    best = None
    for flag in ("fused", "foreach"):
        try:
            opt = cls(params, **HYPERPARAMETERS.get(name, {}), **{flag: True})
            opt.step()
            opt.step()
        except (TypeError, RuntimeError, ValueError):
            continue
        seconds = timeit(opt.step, repeats)
        best = seconds if best is None else min(best, seconds)
    return best


def first_step_in_new_process(name: str) -> float:
    """Seconds for the first step() in a fresh interpreter (run twice: the first warms the
    Numba cache on disk, the second is what a user sees on every later run)."""
    code = (
        "import time, numpy as np\n"
        "from tinygrad_opt import Tensor, optim\n"
        "ps = [Tensor(np.ones(s, dtype=np.float32), requires_grad=True) for s in (1000, 10)]\n"
        "for p in ps: p.grad = np.ones_like(p.data)\n"
        f"opt = optim.create({name!r}, ps, **{HYPERPARAMETERS.get(name, {})!r})\n"
        "t = time.perf_counter(); opt.step(); print(time.perf_counter() - t)\n"
    )
    seconds = 0.0
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if out.returncode != 0:
            return float("nan")
        seconds = float(out.stdout.strip().splitlines()[-1])
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M parameters, fewer repeats")
    args = parser.parse_args(argv)
    total = 1_000_000 if args.quick else 10_000_000
    repeats = 5 if args.quick else 20
    sizes = mixed_sizes(total)
    triad = Triad(total)
    print(f"{total:,} float32 parameters in {len(sizes)} tensors "
          f"({min(sizes):,} .. {max(sizes):,} each); bound = bytes / triad bandwidth "
          "measured alternately with each optimizer's steps\n")

    header = (f"{'optimizer':<11} {'ms/step':>9} {'bound ms':>9} {'% bound':>8} "
              f"{'triad GB/s':>10} {'torch ms':>9}")
    print(header)
    print("-" * len(header))
    for name in optim.available():
        if name in CLOSURE_BASED:
            print(f"{name:<11} (closure-based line search: no fixed traffic per step)")
            continue
        opt = build(name, sizes)
        seconds, bandwidth = interleaved(opt.step, triad, repeats)
        bound = bytes_per_step(opt) / bandwidth
        del opt
        torch_seconds = time_torch(name, sizes, repeats)
        torch_text = "-" if torch_seconds is None else f"{torch_seconds * 1e3:.2f}"
        print(
            f"{name:<11} {seconds * 1e3:9.2f} {bound * 1e3:9.2f} "
            f"{100 * bound / seconds:7.0f}% {bandwidth / 1e9:10.2f} {torch_text:>9}"
        )

    print("\nmany small tensors (Adam, float32, the same 1,000,000 parameters):")
    one = build("adam", [1_000_000])
    many = build("adam", [1_000] * 1_000)
    times = {"one": [], "many": []}
    for _ in range(repeats):  # alternate, for the same reason as above
        times["one"].append(timeit(one.step, 1))
        times["many"].append(timeit(many.step, 1))
    single, multiple = min(times["one"]), min(times["many"])
    print(f"  1 x 1,000,000  {single * 1e3:8.3f} ms/step")
    print(f"  1,000 x 1,000  {multiple * 1e3:8.3f} ms/step")
    print(f"  ratio          {multiple / single:8.2f}x  (goal <= 1.5x)")

    print("\nfirst step in a new process, Numba cache warm (goal < 1 s):")
    for name in ["adam"] if args.quick else ["sgd", "adam", "adamw"]:
        print(f"  {name:<10} {first_step_in_new_process(name) * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
