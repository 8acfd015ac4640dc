"""What denormal numbers in an optimizer's state cost, and what set_flush_denormal(True) buys.

    python -m benchmarks.denormals            # 2M parameters, 15 rounds
    python -m benchmarks.denormals --quick    # 200k parameters, 3 rounds

The state of a long training run: AdamW on float32 parameters whose gradient is exactly zero
for a fraction of the entries (dead units, always-zero input pixels), where the first
moment has decayed into the denormal range and stuck there (3 x 2**-149: 0.9 times it rounds
back to it). Three setups, timed in turns within each round so host load hits all alike:

- clean: the same zero gradients, but no denormals in the state (a run's first ~800 steps),
  timed with flushing off and on (what the flags cost where there is nothing to flush);
- denormal: the stuck first moments, IEEE arithmetic (the default, as PyTorch's);
- flushed: set_flush_denormal(True); its first step turns them to zero, the timed steps
  after it run on the flushed state.

Printed: median ms per step over the rounds and the ratio to clean. When torch is importable,
torch's fused AdamW on the same arrays, with torch.set_flush_denormal off and on.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics

import numpy as np

from tinygrad_opt import Tensor, optim
from tinygrad_opt.denormals import set_flush_denormal

from .train_step import time_steps

STUCK = np.float32(3 * 2.0**-149)  # a first moment that beta1 = 0.9 no longer shrinks
ZERO_FRACTION = 0.25


def make_problem(size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(parameters, gradient with ZERO_FRACTION exact zeros, second moment)."""
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(size).astype(np.float32)
    g = rng.standard_normal(size).astype(np.float32)
    g[rng.random(size) < ZERO_FRACTION] = 0.0
    v = np.full(size, 1e-6, dtype=np.float32)
    return p, g, v


def adamw_stepper(size: int, stuck: bool):
    """One of our AdamW steps on a 4-tensor model, state set up after one warm-up step."""
    p, g, v = make_problem(size)
    params = []
    for chunk_p, chunk_g in zip(np.array_split(p, 4), np.array_split(g, 4)):
        t = Tensor(chunk_p.copy(), requires_grad=True)
        t.grad = chunk_g.copy()
        params.append(t)
    opt = optim.AdamW(params, lr=1e-6)
    opt.step()  # builds the state
    for t, chunk_g, chunk_v in zip(params, np.array_split(g, 4), np.array_split(v, 4)):
        state = opt.state[t]
        state["exp_avg"][...] = np.where(chunk_g == 0, STUCK if stuck else 0, 1e-3)
        state["exp_avg_sq"][...] = chunk_v
    return opt.step, lambda: sum(int(_denormal(opt.state[t]["exp_avg"]).sum()) for t in params)


def _denormal(a: np.ndarray) -> np.ndarray:
    return (a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)


def torch_stepper(size: int):
    """torch's fused AdamW on the stuck state (None without torch)."""
    if importlib.util.find_spec("torch") is None:
        return None
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as in optim_step: fair waiting
    import torch

    p, g, v = make_problem(size)
    param = torch.from_numpy(p.copy()).requires_grad_()
    param.grad = torch.from_numpy(g.copy())
    opt = torch.optim.AdamW([param], lr=1e-6, fused=True)
    opt.step()

    def reset():
        state = opt.state[param]
        state["exp_avg"].copy_(torch.from_numpy(np.where(g == 0, STUCK, 1e-3).astype(np.float32)))
        state["exp_avg_sq"].copy_(torch.from_numpy(v))

    return torch, opt.step, reset


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200k parameters, 3 rounds")
    args = parser.parse_args(argv)
    size, rounds, steps = (200_000, 3, 5) if args.quick else (2_000_000, 15, 10)

    clean, _ = adamw_stepper(size, stuck=False)
    denormal, count_denormal = adamw_stepper(size, stuck=True)
    flushed, count_flushed = adamw_stepper(size, stuck=True)
    set_flush_denormal(True)
    flushed()  # the step that flushes; the timed ones run on what it left
    setups = [
        ("clean", clean, False), ("clean flushed", clean, True),
        ("denormal", denormal, False), ("flushed", flushed, True),
    ]  # fmt: skip
    torch_side = torch_stepper(size)
    if torch_side is not None:
        torch, torch_step, reset = torch_side

        def torch_setup(mode: bool):
            def step():
                torch.set_flush_denormal(mode)
                reset()
                return torch_step

            return step

        # reset() puts the stuck state back before each round's steps (torch's flushing
        # may have zeroed part of it); it runs untimed.
        setups += [("torch denormal", torch_setup(False), None),
                   ("torch flushed", torch_setup(True), None)]  # fmt: skip
    results: dict[str, list[float]] = {name: [] for name, _, _ in setups}
    for round_index in range(rounds):
        shift = round_index % len(setups)  # each setup takes each place in turn
        for name, step, mode in setups[shift:] + setups[:shift]:
            if mode is None:  # torch: set its mode and state, then time its step
                step = step()
            else:
                set_flush_denormal(mode)
            results[name].append(time_steps(step, 0, steps)[0])
    set_flush_denormal(False)
    if torch_side is not None:
        torch.set_flush_denormal(False)

    print(f"AdamW on {size:,} float32 parameters, {ZERO_FRACTION:.0%} of them with a zero "
          f"gradient; {rounds} rounds of {steps} steps per setup, in turns")
    print(f"denormal first moments left: {count_denormal():,} (IEEE), {count_flushed():,} "
          "(flushed)\n")
    base = statistics.median(results["clean"])
    print(f"{'setup':<16} {'ms/step':>8} {'x clean':>8}")
    print("-" * 34)
    for name, values in results.items():
        ms = statistics.median(values)
        print(f"{name:<16} {ms:8.3f} {ms / base:8.2f}")
    print("\nms/step: median over the rounds of each round's median step.")


if __name__ == "__main__":
    main()
