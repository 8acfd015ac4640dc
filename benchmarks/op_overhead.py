"""Per-op overhead of the autograd engine on tiny tensors, where Python dominates.

The workload is a chain of `y = tanh(y * a + b)` on 16-element float32 tensors, where `a` and
`b` require grad: three recorded ops per link. We time the forward pass alone and the forward
plus `backward()`, and report microseconds per op (total time / (3 * links)); the best of
many repeats is kept, as is usual for micro-benchmarks on a shared machine. When PyTorch is
importable, its eager mode is timed on the same workload and printed alongside (it is never a
dependency). Goal from issue 2: at most 8 us per op for forward + backward.

Run: `python -m benchmarks.op_overhead [--quick]`.
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import numpy as np

SIZE = 16
OPS_PER_LINK = 3


def _chain_tinygrad(links: int):
    from tinygrad_opt import Tensor

    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal(SIZE).astype(np.float32))
    a = Tensor(rng.standard_normal(SIZE).astype(np.float32) * 0.5, requires_grad=True)
    b = Tensor(rng.standard_normal(SIZE).astype(np.float32) * 0.1, requires_grad=True)

    def forward():
        y = x
        for _ in range(links):
            y = (y * a + b).tanh()
        return y.sum()

    def forward_backward():
        a.grad = None
        b.grad = None
        forward().backward()

    return forward, forward_backward


def _chain_torch(links: int):
    import torch

    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(SIZE, generator=gen)
    a = (torch.randn(SIZE, generator=gen) * 0.5).requires_grad_()
    b = (torch.randn(SIZE, generator=gen) * 0.1).requires_grad_()

    def forward():
        y = x
        for _ in range(links):
            y = torch.tanh(y * a + b)
        return y.sum()

    def forward_backward():
        a.grad = None
        b.grad = None
        forward().backward()

    return forward, forward_backward


def _best_seconds(fn, repeats: int) -> float:
    fn()  # warm-up: first-call costs are not per-op overhead
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def measure(make_chain, links: int, repeats: int) -> tuple[float, float]:
    """(forward, forward + backward) microseconds per op."""
    forward, forward_backward = make_chain(links)
    ops = OPS_PER_LINK * links
    fwd = _best_seconds(forward, repeats) / ops * 1e6
    both = _best_seconds(forward_backward, repeats) / ops * 1e6
    return fwd, both


def main(quick: bool = False) -> list[dict]:
    # Short chains timed many times: on a busy machine a short run is less likely to be
    # preempted, and the best of many repeats is the overhead itself.
    links = 100 if quick else 200
    repeats = 10 if quick else 100
    rows = [("tinygrad_opt", *measure(_chain_tinygrad, links, repeats))]
    if importlib.util.find_spec("torch") is not None:
        rows.append(("torch (eager)", *measure(_chain_torch, links, repeats)))
    print(f"tanh(y * a + b) chain, {SIZE} float32 elements, {links} links = "
          f"{OPS_PER_LINK * links} ops, best of {repeats}")
    print(f"{'framework':<16}{'fwd us/op':>12}{'fwd+bwd us/op':>16}")
    for name, fwd, both in rows:
        print(f"{name:<16}{fwd:>12.2f}{both:>16.2f}")
    print("goal: fwd+bwd <= 8.00 us/op")
    return [{"framework": name, "fwd_us": fwd, "fwd_bwd_us": both} for name, fwd, both in rows]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run")
    main(quick=parser.parse_args().quick)
