"""Forward + backward time per call of the layers built on Tensor ops or the conv kernels.

    python -m benchmarks.layers                  # 7 rounds of 10 calls per layer and side
    python -m benchmarks.layers --quick          # 1 round of 3 calls
    python -m benchmarks.layers --layers lstm gru --threads 1

Each call is forward, sum of the output(s) and backward, with gradients reaching the
parameters and every float input that takes one (the gradients are cleared first). Sizes are
those of a small model (see CASES): LSTM / GRU 64 -> 128 over 50 steps, batch 32;
MultiheadAttention and TransformerEncoderLayer at d_model 128, 4 heads, 64 tokens, batch 16;
a DCGAN-style ConvTranspose2d 64 -> 32, 4x4, stride 2; bilinear interpolate x2; grid_sample
on MNIST-sized images through an affine grid; EmbeddingBag(10000, 64, mode='mean') over 2048
bags of 20 indices. Dropout is 0 so both sides do the same arithmetic.

As benchmarks/train_step.py: after warm-up (which compiles or loads the Numba kernels), ours
and torch take turns, each round timing `calls` calls of ours then as many of torch's (in a
child process that imports torch first, without the thread variables tinygrad_opt defaulted,
and stays up); printed are medians over the rounds and the median of the per-round ratios
ours / torch, with their range. torch builds the same layer with its own initial weights:
the values differ, the work does not. --threads N (default 2) sets both sides' thread count.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys

# isort: off
from tinygrad_opt import Tensor, manual_seed, nn  # before numpy loads
from tinygrad_opt.nn import functional as F
from tinygrad_opt.thread_pools import set_num_threads
import numpy as np
# isort: on

from benchmarks.train_step import (
    TorchChild,
    numba_layer,
    paired_rounds,
    time_steps,
    torch_columns,
)

# name -> shape description printed in the table
CASES = {
    "lstm": "LSTM 64->128, L50 N32",
    "gru": "GRU 64->128, L50 N32",
    "mha": "MHA 128/4h, L64 N16",
    "encoder": "EncLayer 128/4h/512",
    "convT": "ConvT 64->32 k4s2 14px",
    "interp": "bilinear x2 (32,16,28,28)",
    "grid": "grid_sample (32,1,28,28)",
    "emb_bag": "EmbBag 10k x64, 2048x20",
}
BAGS, BAG_SIZE, ROWS = 2048, 20, 10000


def make_inputs(name: str, seed: int = 0) -> dict[str, np.ndarray]:
    """The float32 inputs (and integer indices) of case `name`, the same on both sides."""
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    if name in ("lstm", "gru"):
        return {"x": normal(50, 32, 64)}
    if name in ("mha", "encoder"):
        return {"x": normal(64, 16, 128)}  # (L, N, E): batch_first=False, PyTorch's default
    if name == "convT":
        return {"x": normal(32, 64, 14, 14)}
    if name == "interp":
        return {"x": normal(32, 16, 28, 28)}
    if name == "grid":  # small rotations, scalings and shifts around the identity
        theta = np.tile(np.eye(2, 3, dtype=np.float32), (32, 1, 1)) + 0.1 * normal(32, 2, 3)
        return {"x": normal(32, 1, 28, 28), "theta": theta}
    if name == "emb_bag":
        indices = rng.integers(0, ROWS, BAGS * BAG_SIZE).astype(np.int64)
        offsets = np.arange(0, BAGS * BAG_SIZE, BAG_SIZE, dtype=np.int64)
        return {"indices": indices, "offsets": offsets}
    raise ValueError(f"unknown case {name!r}; expected one of {list(CASES)}")


def _caller(name: str, nn_lib, functional, leaf, constant):
    """A function running one forward + backward of case `name` with the library whose
    `nn` and `nn.functional` are given (ours and torch share the names), and the leaves
    whose gradients it clears and fills. leaf(array) makes a float input that requires
    grad, constant(array) an index input: one description of the work for both sides."""
    data = make_inputs(name)
    floats = {k: leaf(v) for k, v in data.items() if v.dtype.kind == "f"}
    module = None
    if name in ("lstm", "gru"):
        module = (nn_lib.LSTM if name == "lstm" else nn_lib.GRU)(64, 128)
        run = lambda: module(floats["x"])[0]  # noqa: E731
    elif name == "mha":
        module = nn_lib.MultiheadAttention(128, 4)
        run = lambda: module(floats["x"], floats["x"], floats["x"], need_weights=False)[0]  # noqa: E731
    elif name == "encoder":
        module = nn_lib.TransformerEncoderLayer(128, 4, 512, dropout=0.0)
        run = lambda: module(floats["x"])  # noqa: E731
    elif name == "convT":
        module = nn_lib.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
        run = lambda: module(floats["x"])  # noqa: E731
    elif name == "interp":
        run = lambda: functional.interpolate(floats["x"], scale_factor=2,  # noqa: E731
                                             mode="bilinear", align_corners=False)
    elif name == "grid":
        def run():
            grid = functional.affine_grid(floats["theta"], (32, 1, 28, 28), align_corners=False)
            return functional.grid_sample(floats["x"], grid, align_corners=False)
    elif name == "emb_bag":
        module = nn_lib.EmbeddingBag(ROWS, 64, mode="mean")
        indices, offsets = constant(data["indices"]), constant(data["offsets"])
        run = lambda: module(indices, offsets)  # noqa: E731
    else:
        raise ValueError(f"unknown case {name!r}; expected one of {list(CASES)}")
    if module is not None:
        module.train()
    leaves = list(floats.values()) + (list(module.parameters()) if module is not None else [])

    def call():
        for leaf_tensor in leaves:
            leaf_tensor.grad = None
        run().sum().backward()

    return call, leaves


def ours_caller(name: str):
    """(call, leaves) of case `name` with our layers (see _caller)."""
    manual_seed(0)
    return _caller(name, nn, F, lambda a: Tensor(a, requires_grad=True), lambda a: a)


def torch_caller(name: str, threads: int):
    """The same call in torch (its own initial weights; the same inputs and work)."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    return _caller(name, torch.nn, torch.nn.functional,
                   lambda a: torch.from_numpy(a).requires_grad_(), torch.from_numpy)[0]


def _torch_child() -> None:
    name, warmup, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    call = torch_caller(name, threads)
    for _ in range(warmup):
        call()
    print("ready", flush=True)
    for line in sys.stdin:
        print(time_steps(call, 0, int(line))[0], flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few calls (a smoke run)")
    parser.add_argument("--layers", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--rounds", type=int, default=7, help="alternations of ours and torch")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for ours (OpenBLAS + Numba) and torch (default 2)")
    args = parser.parse_args(argv)
    openblas_set = set_num_threads(args.threads)
    ours_threads = "Numba + OpenBLAS" if openblas_set else "Numba only, OpenBLAS not found"
    warmup, calls, rounds = (1, 3, 1) if args.quick else (3, 10, args.rounds)
    have_torch = importlib.util.find_spec("torch") is not None
    print(f"call = forward + sum + backward; {rounds} rounds of {calls} calls, ours and torch "
          f"alternating; {os.cpu_count()} cores; "
          f"torch {'found' if have_torch else 'not installed'}")
    print(f"threads={args.threads} (ours: {ours_threads}; torch)")
    header = f"{'layer':<8} {'size':<26} {'ours ms':>9} {'(cpu ms)':>9}"
    if have_torch:
        header += f" {'torch ms':>9} {'ratio':>6} {'range':>11}"
    print(header)
    print("-" * len(header))
    for name in args.layers:
        call, _ = ours_caller(name)
        child = (TorchChild(name, warmup, args.threads, module="benchmarks.layers")
                 if have_torch else None)  # fmt: skip
        ours, ours_cpu, theirs = paired_rounds(call, child, warmup, rounds, calls)
        row = (f"{name:<8} {CASES[name]:<26} {statistics.median(ours):>9.2f} "
               f"{statistics.median(ours_cpu):>9.2f}")
        if child is not None:
            child.close()
            row += torch_columns(ours, theirs)
        print(row, flush=True)
    print("ms: median over the rounds of each round's median call; ratio: median of the "
          "per-round\nratios ours / torch (range: lowest-highest).")
    print(f"Numba threading layer: {numba_layer()}")


if __name__ == "__main__":
    main()
