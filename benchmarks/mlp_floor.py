"""What bounds the MLP train step (train_step's 784-256-128-10, batch 128) from below.

    python -m benchmarks.mlp_floor              # 15 rounds
    python -m benchmarks.mlp_floor --quick      # 2 rounds

The step's issue 4 goal is 0.6x PyTorch's time. Three parts of it cannot get cheaper here:
- its eight matrix products (three forward, three weight gradients, two input gradients),
  timed alone as numpy calls on arrays of the step's shapes: numpy's BLAS (OpenBLAS in its
  wheels) is the only one the project's dependencies give, and PyTorch ships its own (MKL);
- the AdamW step on the model's 235k parameters (one fused kernel, memory-bound);
- the framework's cost per step, timed as the same train step (flatten, three linear
  layers with ReLUs, cross-entropy, backward, AdamW) on a 4-unit model, where the arithmetic
  is negligible.
Their sum, against 0.6x PyTorch's step timed in the same rounds (in a child process, as
train_step does), says how much room is left for everything else the step does (bias,
ReLU, softmax and their gradients). Rounds alternate the parts; medians are printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics

# isort: off
from tinygrad_opt import Tensor, loss, manual_seed, models, nn, optim  # before numpy loads
from tinygrad_opt.thread_pools import set_num_threads
import numpy as np
# isort: on

from .train_step import GOAL, TorchChild, make_batch, time_steps

STEPS = 10  # calls per timing, as train_step's rounds


def products(x: np.ndarray, model: nn.Module):
    """The step's eight products as numpy calls on arrays of its shapes (weight gradients
    written into preallocated arrays, as the linear layers do)."""
    rng = np.random.default_rng(0)
    w1, w2, w3 = (model[i].weight.data for i in (1, 3, 5))
    batch = x.shape[0]
    h1 = rng.random((batch, w1.shape[0]), dtype=np.float32)
    h2 = rng.random((batch, w2.shape[0]), dtype=np.float32)
    g3 = rng.random((batch, w3.shape[0]), dtype=np.float32)
    gw1, gw2, gw3 = (np.empty_like(w) for w in (w1, w2, w3))

    def run():
        x @ w1.T, h1 @ w2.T, h2 @ w3.T
        np.matmul(g3.T, h2, out=gw3)
        g2 = g3 @ w3
        np.matmul(g2.T, h1, out=gw2)
        g1 = g2 @ w2
        np.matmul(g1.T, x, out=gw1)

    return run


def train_step(model: nn.Module, x: Tensor, y: np.ndarray):
    """zero_grad, forward, cross-entropy, backward and AdamW, as train_step times it; also
    returns the optimizer (its step alone is one of the parts)."""
    optimizer = optim.AdamW(model.parameters(), lr=1e-3)

    def run():
        optimizer.zero_grad()
        loss.cross_entropy(model(x), y).backward()
        optimizer.step()

    return run, optimizer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds (a smoke run)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 15)")
    parser.add_argument("--threads", type=int, default=2, help="threads of both sides (2)")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (2 if args.quick else 15)
    if args.rounds < 1 or args.threads < 1:
        raise SystemExit(f"--rounds and --threads must be at least 1, got {args.rounds}, "
                         f"{args.threads}")
    set_num_threads(args.threads)
    manual_seed(0)
    model = models.mlp()
    x_np, y = make_batch("mlp")
    step, optimizer = train_step(model, Tensor(x_np), y)
    tiny = nn.Sequential(nn.Flatten(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(),
                         nn.Linear(4, 3))  # fmt: skip
    tiny_x = Tensor(np.random.default_rng(1).random((2, 4), dtype=np.float32))
    tiny_step, _ = train_step(tiny, tiny_x, y[:2] % 3)
    parts = {
        "MLP train step": step,
        "its 8 products (numpy)": products(x_np.reshape(len(x_np), -1), model),
        "its AdamW step": optimizer.step,
        "framework, 4-unit model": tiny_step,
    }
    child = None
    if importlib.util.find_spec("torch") is not None:
        child = TorchChild("mlp", 20, args.threads)
    # the optimizer steps stay well below the ~600 after which this fixed batch makes
    # AdamW's first moments denormal (README, "Long runs")
    for run in parts.values():  # warm-up (also compiles or loads the kernels)
        for _ in range(10):
            run()
    times: dict[str, list[float]] = {name: [] for name in parts}
    torch_ms: list[float] = []
    for _ in range(args.rounds):
        for name, run in parts.items():
            times[name].append(time_steps(run, 0, STEPS)[0])
        if child is not None:
            torch_ms.append(child.time(STEPS))
    if child is not None:
        child.close()

    medians = {name: statistics.median(v) for name, v in times.items()}
    print(f"MLP 784-256-128-10, batch 128; {args.rounds} rounds of {STEPS} calls each; "
          "median ms per call\n")
    for name, ms in medians.items():
        print(f"{name:<26} {ms:7.3f}")
    floor = sum(medians[n] for n in list(parts)[1:])
    print(f"{'sum of the three parts':<26} {floor:7.3f}")
    if torch_ms:
        goal = GOAL["mlp"] * statistics.median(torch_ms)
        print(f"{'PyTorch train step':<26} {statistics.median(torch_ms):7.3f}")
        print(f"\nthe goal ({GOAL['mlp']}x PyTorch) is {goal:.3f} ms; the three parts alone take "
              f"{100 * floor / goal:.0f}% of it, leaving {goal - floor:+.3f} ms for the bias, "
              "ReLU, softmax and their gradients")


if __name__ == "__main__":
    main()
