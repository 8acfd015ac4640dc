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

A fourth row times the same step written by hand with no framework at all: plain numpy
arrays, no graph and no autograd, the same products, the project's ReLU and cross-entropy
kernels, and the AdamW step. Its ratio to PyTorch (the median of the per-round ratios) is
what any framework built on these dependencies could reach at zero cost of its own.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics

# isort: off
from tinygrad_opt import Tensor, loss, manual_seed, models, nn, optim  # before numpy loads
from tinygrad_opt.loss_kernels import rows_backward, rows_forward
from tinygrad_opt.nn.activation import relu_grad, relu_in_place
from tinygrad_opt.thread_pools import set_num_threads
import numpy as np
# isort: on

from .train_step import GOAL, TorchChild, make_batch, time_steps

STEPS = 10  # calls per timing, as train_step's rounds
THREE_PARTS = ("its 8 products (numpy)", "its AdamW step", "framework, 4-unit model")
HAND_WRITTEN = "hand-written step, no graph"


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


def hand_written_step(model: nn.Module, x: np.ndarray, y: np.ndarray):
    """The MLP's train step on plain arrays: forward, cross-entropy, the gradients written
    by hand into the optimizer's gradient buffer (as the linear layers do), then AdamW.
    Returns the step and a dict holding the loss it last computed."""
    linears = [model[i] for i in (1, 3, 5)]
    optimizer = optim.AdamW(model.parameters(), lr=1e-3)
    for p in model.parameters():
        p.grad = np.zeros_like(p.data)
    optimizer.zero_grad(set_to_none=False)  # .grad now views the optimizer's flat buffer
    x2 = x.reshape(len(x), -1)
    labels = y.astype(np.int64)
    no_weights = np.ones(linears[-1].out_features, dtype=x.dtype)
    last: dict[str, float] = {}

    def into_buffer(layer: nn.Linear, g: np.ndarray, layer_input: np.ndarray) -> None:
        np.matmul(g.T, layer_input, out=layer.weight.grad)
        g.sum(axis=0, out=layer.bias.grad)

    def step():
        (w1, b1), (w2, b2), (w3, b3) = ((m.weight.data, m.bias.data) for m in linears)
        h1 = x2 @ w1.T
        h1 += b1
        relu_in_place(h1)
        h2 = h1 @ w2.T
        h2 += b2
        relu_in_place(h2)
        z = h2 @ w3.T
        z += b3
        logp, row_weight, row_loss, _ = rows_forward(z, labels, -100, no_weights, 0.0)
        total = row_weight.sum()
        last["loss"] = row_loss.sum() / total
        upstream = np.full(len(labels), 1.0 / total, dtype=z.dtype)
        g3 = rows_backward(logp, labels, -100, no_weights, 0.0, upstream)
        into_buffer(linears[2], g3, h2)
        g2 = relu_grad(h2, g3 @ w3)
        into_buffer(linears[1], g2, h1)
        g1 = relu_grad(h1, g2 @ w2)
        into_buffer(linears[0], g1, x2)
        optimizer.step()

    return step, last


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
    manual_seed(0)
    by_hand, _ = hand_written_step(models.mlp(), x_np, y)
    parts = {
        "MLP train step": step,
        "its 8 products (numpy)": products(x_np.reshape(len(x_np), -1), model),
        "its AdamW step": optimizer.step,
        "framework, 4-unit model": tiny_step,
        HAND_WRITTEN: by_hand,
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
    for name in ("MLP train step", *THREE_PARTS):
        print(f"{name:<27} {medians[name]:7.3f}")
    floor = sum(medians[n] for n in THREE_PARTS)
    print(f"{'sum of the three parts':<27} {floor:7.3f}")
    print(f"{HAND_WRITTEN:<27} {medians[HAND_WRITTEN]:7.3f}")
    if torch_ms:
        goal = GOAL["mlp"] * statistics.median(torch_ms)
        print(f"{'PyTorch train step':<27} {statistics.median(torch_ms):7.3f}")
        print(f"\nthe goal ({GOAL['mlp']}x PyTorch) is {goal:.3f} ms; the three parts alone take "
              f"{100 * floor / goal:.0f}% of it, leaving {goal - floor:+.3f} ms for the bias, "
              "ReLU, softmax and their gradients")
        ratios = {name: statistics.median(a / b for a, b in zip(times[name], torch_ms))
                  for name in ("MLP train step", HAND_WRITTEN)}  # fmt: skip
        print(f"ours / PyTorch: the train step {ratios['MLP train step']:.3f}, the hand-written "
              f"step {ratios[HAND_WRITTEN]:.3f} (medians of the per-round ratios; goal "
              f"{GOAL['mlp']})")


if __name__ == "__main__":
    main()
