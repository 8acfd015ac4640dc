"""Training-step time (forward + backward + AdamW step) of the four reference models.

    python -m benchmarks.train_step            # 7 rounds of 10 steps per model and side
    python -m benchmarks.train_step --quick    # 1 round of 5 steps
    python -m benchmarks.train_step --models lenet5 bn_cnn --threads 2

Models (tinygrad_opt.models), all on 28x28x1 input with 10 classes: MLP 784-256-128-10
(batch 128), LeNet-5 (batch 64), a Keras-style CNN (batch 128) and a BatchNorm CNN (batch
128). Each step is zero_grad, forward, cross-entropy, backward and AdamW(lr=1e-3).step().
After warm-up steps (which also compile or load the Numba kernels), ours and torch take turns:
each round times 10 steps of ours, then 10 of torch's (the same architecture with the same
initial weights, torch.set_num_threads(threads), in a child process that stays up), so load
from other processes on a shared machine hits both alike. Printed: medians over the rounds,
and the median of the per-round ratios ours / PyTorch (goals: MLP <= 0.6, each CNN <= 1.0).

Threads: numpy's OpenBLAS and Numba each keep their own pool; importing tinygrad_opt makes
both sleep instead of spinning between calls (see tinygrad_opt/thread_pools.py: spinning
pools steal the cores the other needs next). Set the variables yourself to override.
Numba's OpenMP layer and torch share one libgomp in a process (same soname), and our
OMP_WAIT_POLICY=PASSIVE default made torch ~1.3x slower on the small models; so torch is
timed in a child process that imports torch first, without the variables we defaulted.

--threads N sets the thread count of BOTH sides: torch.set_num_threads(N) and, for ours,
OpenBLAS's and Numba's pools (thread_pools.set_num_threads). Before, it set torch only, so the
"1 thread" comparison timed ours on all cores against torch on one. Without --threads, torch
uses all cores and ours whatever OPENBLAS_NUM_THREADS / NUMBA_NUM_THREADS say (default: all).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# isort: off
from tinygrad_opt import Tensor, loss, manual_seed, models, nn, optim  # before numpy loads
from tinygrad_opt.thread_pools import applied_defaults, set_num_threads
import numpy as np
# isort: on

BATCH = {"mlp": 128, "lenet5": 64, "keras_cnn": 128, "bn_cnn": 128}
GOAL = {"mlp": 0.6, "lenet5": 1.0, "keras_cnn": 1.0, "bn_cnn": 1.0}


def make_batch(name: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((BATCH[name], 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, BATCH[name])
    return x, y


def time_steps(step, warmup: int, steps: int) -> tuple[float, float]:
    """Median wall and process-CPU milliseconds per call of step() after `warmup` calls.
    CPU time above wall time x threads in use shows threads spinning instead of working."""
    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(steps):
        start, start_cpu = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1000.0 * statistics.median(wall), 1000.0 * statistics.median(cpu)


def ours_step_ms(name: str, warmup: int, steps: int) -> tuple[float, nn.Module]:
    """Median wall ms per train step of model `name`, and the model (used by `tinygrad-opt
    bench`: keep this signature)."""
    step, model = ours_stepper(name)
    return time_steps(step, warmup, steps)[0], model


def ours_stepper(name: str):
    """A function running one train step of model `name` (fresh, seed 0), and the model."""
    manual_seed(0)
    model = models.create(name)
    model.train()
    optimizer = optim.AdamW(model.parameters(), lr=1e-3)
    x_np, y = make_batch(name)
    x = Tensor(x_np)

    def step():
        optimizer.zero_grad()
        out = loss.cross_entropy(model(x), y)
        out.backward()
        optimizer.step()

    return step, model


def torch_model_like(model: nn.Module):
    """The same architecture in torch, with our model's initial weights copied in."""
    import torch

    layers = []
    for layer in model:
        if isinstance(layer, nn.Conv2d):
            t = torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                                stride=layer.stride, padding=layer.padding)
        elif isinstance(layer, nn.Linear):
            t = torch.nn.Linear(layer.in_features, layer.out_features)
        elif isinstance(layer, nn.BatchNorm2d):
            t = torch.nn.BatchNorm2d(layer.num_features)
        elif isinstance(layer, nn.MaxPool2d):
            t = torch.nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding)
        elif isinstance(layer, nn.ReLU):
            t = torch.nn.ReLU()
        elif isinstance(layer, nn.Flatten):
            t = torch.nn.Flatten()
        elif isinstance(layer, nn.Dropout):
            t = torch.nn.Dropout(layer.p)
        else:
            raise TypeError(f"no torch equivalent registered for {type(layer).__name__}")
        layers.append(t)
    torch_model = torch.nn.Sequential(*layers)
    state = {k: torch.from_numpy(np.array(v)) for k, v in model.state_dict().items()}
    torch_model.load_state_dict(state)
    return torch_model


def torch_stepper(name: str, model: nn.Module, threads: int):
    import torch

    torch.set_num_threads(threads)
    torch_model = torch_model_like(model)
    torch_model.train()
    optimizer = torch.optim.AdamW(torch_model.parameters(), lr=1e-3)
    x_np, y_np = make_batch(name)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def step():
        optimizer.zero_grad()
        out = torch.nn.functional.cross_entropy(torch_model(x), y)
        out.backward()
        optimizer.step()

    return step


class TorchChild:
    """torch's train step in a child process that loads torch (and its OpenMP runtime)
    before tinygrad_opt, with the environment minus the variables tinygrad_opt defaulted.
    The model is rebuilt there from the same seed, so it starts from the same weights. The
    child stays up so its timings can alternate with ours: `time(steps)` -> median ms.
    `module` names the benchmark whose `_torch_child()` runs there (layers.py uses it too)."""

    def __init__(
        self, name: str, warmup: int, threads: int, module: str = "benchmarks.train_step"
    ) -> None:
        env = {k: v for k, v in os.environ.items() if k not in applied_defaults}
        code = f"import torch, sys; from {module} import _torch_child; _torch_child()"
        args = [sys.executable, "-c", code, name, str(warmup), str(threads)]
        root = Path(__file__).resolve().parents[1]
        self.name = name
        self.process = subprocess.Popen(args, env=env, cwd=root, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        # wait until torch has loaded and warmed up: that takes both cores for a second or
        # two, and timing ours meanwhile made ours look ~1.5x slower
        self._read_line()

    def _read_line(self) -> str:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"torch timing of {self.name} failed:\n"
                               f"{self.process.stderr.read()}")
        return line

    def time(self, steps: int) -> float:
        self.process.stdin.write(f"{steps}\n")
        self.process.stdin.flush()
        return float(self._read_line())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def _torch_child() -> None:
    name, warmup, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    manual_seed(0)  # as ours_stepper: the same initial weights
    step = torch_stepper(name, models.create(name), threads)
    for _ in range(warmup):
        step()
    print("ready", flush=True)
    for line in sys.stdin:
        print(time_steps(step, 0, int(line))[0], flush=True)


def paired_rounds(call, child: TorchChild | None, warmup: int, rounds: int, calls: int):
    """Warm `call` up, then per round time `calls` of ours and, when torch is there, as many
    of torch's right after: lists of ours (wall ms, cpu ms) and torch's ms, one per round."""
    for _ in range(warmup):
        call()
    ours, ours_cpu, theirs = [], [], []
    for _ in range(rounds):
        wall, cpu = time_steps(call, 0, calls)
        ours.append(wall)
        ours_cpu.append(cpu)
        if child is not None:
            theirs.append(child.time(calls))
    return ours, ours_cpu, theirs


def torch_columns(ours: list[float], theirs: list[float]) -> str:
    """torch's median ms, the median of the per-round ratios ours / torch and their range."""
    ratios = sorted(a / b for a, b in zip(ours, theirs))
    spread = f"{ratios[0]:.2f}-{ratios[-1]:.2f}"
    return f" {statistics.median(theirs):>9.2f} {statistics.median(ratios):>6.2f} {spread:>11}"


def numba_layer() -> str:
    """The threading layer Numba chose (known after the first parallel kernel ran)."""
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet
        return "not chosen yet"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few steps (a smoke run)")
    parser.add_argument("--models", nargs="+", default=list(BATCH), choices=list(BATCH))
    parser.add_argument("--rounds", type=int, default=7, help="alternations of ours and torch")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for ours (OpenBLAS + Numba) and torch (default: all cores)")
    args = parser.parse_args(argv)
    if args.threads is None:
        args.threads = os.cpu_count() or 1
        ours_threads = "env defaults"
    else:
        openblas_set = set_num_threads(args.threads)
        ours_threads = "Numba + OpenBLAS" if openblas_set else "Numba only, OpenBLAS not found"
    warmup, steps, rounds = (2, 5, 1) if args.quick else (5, 10, args.rounds)
    have_torch = importlib.util.find_spec("torch") is not None
    print(f"train step = fwd + bwd + AdamW step; {rounds} rounds of {steps} steps, ours and "
          f"torch alternating; {os.cpu_count()} cores; "
          f"torch {'found' if have_torch else 'not installed'}")
    print(f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')} "
          f"OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT')} "
          f"threads={args.threads} (ours: {ours_threads}; torch)")
    header = f"{'model':<10} {'batch':>5} {'ours ms':>9} {'(cpu ms)':>9}"
    if have_torch:
        header += f" {'torch ms':>9} {'ratio':>6} {'range':>11} {'goal':>5}"
    print(header)
    print("-" * len(header))
    for name in args.models:
        step, _ = ours_stepper(name)
        child = TorchChild(name, warmup, args.threads) if have_torch else None
        ours, ours_cpu, theirs = paired_rounds(step, child, warmup, rounds, steps)
        row = (f"{name:<10} {BATCH[name]:>5} {statistics.median(ours):>9.2f} "
               f"{statistics.median(ours_cpu):>9.2f}")
        if child is not None:
            child.close()
            row += f"{torch_columns(ours, theirs)} {GOAL[name]:>5.1f}"
        print(row, flush=True)
    print("ms: median over the rounds of each round's median step; ratio: median of the "
          "per-round\nratios ours / torch (range: lowest-highest), robust to load that comes "
          "and goes.")
    print(f"Numba threading layer: {numba_layer()}")


if __name__ == "__main__":
    main()
