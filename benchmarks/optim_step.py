"""Optimizer step time against the memory-bandwidth bound measured in the same run.

    python -m benchmarks.optim_step            # 10M float32 params over 20 tensors
    python -m benchmarks.optim_step --quick    # 1M params, fewer rounds

For every registered optimizer: ms per step on 10 million float32 parameters spread over 20
tensors of mixed sizes, and its bound: the bytes its rule must move (read params, grads and
state; write params and state: (2 + 1 + 2 * state buffers) x 4 bytes per parameter)
divided by the bandwidth of a STREAM-style triad over the same number of elements (a = b +
s * c, or in place a = a + s * b, whichever is faster; 3 x 4 bytes per element; Numba
parallel; each pass on arrays not in cache, see Triad). % of bound: 100% = as fast as
memory allows. Rules that need per-tensor
statistics before they can update (LAMB, LARS, Adafactor) cannot make a single pass; they
are also given the bound of the fewest passes their rule allows (see MIN_PASS_ARRAYS).
When torch is importable, also torch.optim's fastest CPU path (fused, else foreach) with
the same hyperparameters on the same sizes. Then the cost of many small tensors (1,000 x
1,000 vs one 1,000,000) and the first step in a new process with Numba's cache warm.

How it stays honest on a shared, noisy machine: every optimizer (ours and torch's) and the
triad are built once, then timed round-robin for many rounds (in a new shuffled order each round),
so a burst of load from another process hits every row alike instead of ruining one. Each
figure is the best (minimum) over the rounds, as STREAM reports; the bandwidth is the best
triad over the whole run, so every row is held to the same bound. The spread column
(median / best - 1) shows how disturbed the run was: a row with a large spread deserves a
re-run before its number is believed.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
from numba import prange

from tinygrad_opt import Tensor, optim
from tinygrad_opt.jit import kernel

# Hyperparameters for optimizers whose defaults do not exercise their full rule (or that
# have no default lr). Small lrs keep 100+ steps on fixed random grads finite. torch gets
# the same ones, so the comparison is like for like (SGD with momentum on both sides).
HYPERPARAMETERS = {
    "sgd": {"lr": 1e-4, "momentum": 0.9},
    "lars": {"lr": 1e-4},
    "rmsprop": {"lr": 1e-4},
    "adagrad": {"lr": 1e-4},
}
CLOSURE_BASED = {"lbfgs"}  # line-search optimizers do not have a fixed per-step traffic
MATRIX_ONLY = {"muon"}  # refuses the benchmark's 1-D tensors; its cost is matmuls, not traffic
# takes only the gradients of sparse embedding lookups; its traffic is the rows they touch
SPARSE_ONLY = {"sparseadam"}
TORCH_NAMES = {
    "sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "adagrad": "Adagrad",
    "rmsprop": "RMSprop", "nadam": "NAdam", "radam": "RAdam", "adamax": "Adamax",
    "adadelta": "Adadelta", "adafactor": "Adafactor",
    "rprop": "Rprop", "asgd": "ASGD",
}  # fmt: skip

# Arrays of one parameter's size that a rule needing per-tensor statistics must read or
# write per step at the least (each counted once per pass that touches it):
# - LAMB: the trust ratio needs ||update|| before any parameter moves. Pass 1 reads p, g, m,
#   v and writes m, v; pass 2 reads p, m, v and writes p: 10 (one pass would be 7).
# - LARS: the local lr needs ||p|| and ||g|| first. Pass 1 reads p, g; pass 2 reads p, g,
#   buf and writes buf, p: 7 (one pass would be 5).
# - Adafactor, a factored (>= 2-D) tensor: RMS(u) needs the new column statistics, which
#   need every row of g. Pass 1 reads g and p (for RMS(p)), and ||u||^2 follows from its
#   column sums of g^2 / row_var when eps1 clamps no v_hat; pass 2 reads g, p and writes p:
#   5 (one pass would be 3; the factored state is sublinear).
#   An unfactored (1-D) tensor: pass 1 reads g, p, variance and writes variance (v_hat is
#   final, so ||u|| comes too); pass 2 reads g, p, variance and writes p: 8 (one pass: 5).
#   The benchmark's weight tensors are matrices and its biases vectors (param_shape).
MIN_PASS_ARRAYS = {"lamb": (2, 10), "lars": (2, 7)}
ADAFACTOR_ARRAYS = {"factored": (2, 5), "unfactored": (2, 8)}


@kernel
def _triad(a, b, c, s):
    for i in prange(a.size):
        a[i] = b[i] + s * c[i]


@kernel
def _triad_in_place(a, b, s):
    for i in prange(a.size):
        a[i] = a[i] + s * b[i]


# Width of the benchmark's weight matrices (see param_shape).
MATRIX_COLS = 512


def mixed_sizes(total: int, count: int = 20) -> list[int]:
    """`count` tensor sizes summing to `total`: a few big matrices, medium ones, small biases.
    Matrix sizes (every index not divisible by 3) are whole rows of MATRIX_COLS when they
    have at least 8 rows; index 0, a vector, takes up the difference."""
    weights = np.array([0.5 ** (i % 7) * (1.0 if i % 3 else 0.05) for i in range(count)])
    sizes = np.maximum((weights / weights.sum() * total).astype(np.int64), 1)
    for i in range(count):
        if i % 3 and sizes[i] >= 8 * MATRIX_COLS:
            sizes[i] -= sizes[i] % MATRIX_COLS
    sizes[0] += total - sizes.sum()
    return [int(s) for s in sizes]


def param_shape(index: int, size: int) -> tuple[int, ...]:
    """The shape of tensor `index` of mixed_sizes: (size / MATRIX_COLS, MATRIX_COLS) for the
    weight matrices, (size,) for the vectors. Only Adafactor sees the difference: it keeps
    factored row/column statistics for matrices, a full second moment for vectors."""
    if index % 3 and size >= 8 * MATRIX_COLS and size % MATRIX_COLS == 0:
        return (size // MATRIX_COLS, MATRIX_COLS)
    return (size,)


def timeit(fn, repeats: int) -> float:
    """Best seconds per call over `repeats` calls (after the caller's warm-up)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def last_level_cache_bytes() -> int:
    """The largest CPU cache the OS reports (Linux sysfs); 64 MiB where it reports none."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    sizes = []
    for path in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        with open(path) as f:
            text = f.read().strip()
        if text[:-1].isdigit() and text[-1] in units:
            sizes.append(int(text[:-1]) * units[text[-1]])
        elif text.isdigit():
            sizes.append(int(text))
    return max(sizes, default=64 << 20)


class Triad:
    """STREAM-style triads over n float32 elements, 3 x 4 bytes per element each.

    Two forms: STREAM's a = b + s * c, and the in-place a = a + s * b. The second has the
    access pattern of an optimizer (read-modify-write), while the first also pays the
    write-allocate read of `a` that STREAM does not count; the faster of the two sets the
    bandwidth, so the bound is never made easy by an unfair baseline.

    STREAM's rule is that a triad's arrays must not still be in cache from its previous pass,
    or it times the cache instead of memory. One set of three arrays can fit in a large
    last-level cache (this project's 2-core VM reports 480 MiB of L3: the triad then read
    52-55 GB/s on a busy host and 84 GB/s on a quiet one). So each pass takes the next of
    several sets of arrays, enough that the sets used between two passes over the same set
    fill twice the last-level cache, as the optimizers' own buffers (visited in turn with the
    other rows') are evicted between their steps.
    """

    def __init__(self, n: int) -> None:
        set_bytes = 3 * 4 * n
        count = max(2, -(-2 * last_level_cache_bytes() // set_bytes) + 1)
        self.sets = [tuple(np.ones(n, dtype=np.float32) for _ in range(3)) for _ in range(count)]
        self.signs = [1.0] * count  # alternate per set: keeps each `a` bounded over many passes
        self.next = 0
        self.bytes = 3 * 4 * n
        self.classic()
        self.in_place()

    def _take(self) -> int:
        k = self.next
        self.next = (k + 1) % len(self.sets)
        return k

    def classic(self) -> None:
        a, b, c = self.sets[self._take()]
        _triad(a, b, c, np.float32(0.5))

    def in_place(self) -> None:
        """Two passes (callers divide by 2), each over another set of arrays."""
        for _ in range(2):
            k = self._take()
            a, b, _ = self.sets[k]
            _triad_in_place(a, b, np.float32(1e-3 * self.signs[k]))
            self.signs[k] = -self.signs[k]

    def best_seconds(self) -> float:
        """Time both forms once; the faster one's seconds per pass."""
        start = time.perf_counter()
        self.classic()
        middle = time.perf_counter()
        self.in_place()  # two passes
        end = time.perf_counter()
        return min(middle - start, (end - middle) / 2)


def interleaved(fn, triad: Triad, repeats: int) -> tuple[float, float]:
    """Best seconds of `fn`, and the best triad bandwidth in bytes/s, timed alternately so
    that load from other processes hits both alike."""
    fn_times, triad_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        fn_times.append(time.perf_counter() - start)
        triad_times.append(triad.best_seconds())
    return min(fn_times), triad.bytes / min(triad_times)


def round_robin(
    steps: dict[str, tuple[Callable[[], object], Callable[[], object] | None]],
    triad: Triad,
    rounds: int,
) -> dict[str, np.ndarray]:
    """Seconds per round of each name's (ours, torch) steps, with a triad between them.

    Each round visits every name once, in an order shuffled anew each round (seeded, so runs
    repeat), and times ours, the triad, then torch (if any) back to back: the three samples
    of a visit are milliseconds apart, so their ratios cancel the load of the moment, and
    every name's samples are spread over the whole run. Shuffled, not rotated: rotating
    keeps each name's predecessor, and what ran just before skews a step on this machine
    (rows that always followed a name without a torch step paired ~10% lower, run after run).
    Returns an array of shape (rounds, 3) per name (NaN where there is no torch step).
    """
    names = list(steps)
    times = {name: np.full((rounds, 3), np.nan) for name in names}
    order = np.random.default_rng(0)
    for r in range(rounds):
        for name in order.permutation(names):
            ours, theirs = steps[name]
            start = time.perf_counter()
            ours()
            times[name][r, 0] = time.perf_counter() - start
            times[name][r, 1] = triad.best_seconds()
            if theirs is not None:
                start = time.perf_counter()
                theirs()
                times[name][r, 2] = time.perf_counter() - start
    return times


def make_params(sizes: list[int], rng: np.random.Generator) -> list[Tensor]:
    params = []
    for index, size in enumerate(sizes):
        shape = param_shape(index, size)
        p = Tensor(rng.standard_normal(shape, dtype=np.float32), requires_grad=True)
        p.grad = rng.standard_normal(shape, dtype=np.float32)
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


def min_pass_bytes(name: str, opt: optim.Optimizer) -> tuple[int, int]:
    """(passes, bytes) of the fewest passes `name`'s rule allows (MIN_PASS_ARRAYS,
    ADAFACTOR_ARRAYS); one pass and bytes_per_step for rules that need no statistics first."""
    single = bytes_per_step(opt)
    if name == "adafactor":
        passes, total = 1, 0
        for buffer in opt.flat_buffers():
            item = buffer.dtype.itemsize
            unfactored = buffer.state["variance"].size
            factored = buffer.data.size - unfactored
            small = buffer.state["row_var"].size + buffer.state["col_var"].size
            for count, kind in ((factored, "factored"), (unfactored, "unfactored")):
                if count:
                    passes = max(passes, ADAFACTOR_ARRAYS[kind][0])
                    total += ADAFACTOR_ARRAYS[kind][1] * count * item
            total += 2 * small * item
        return passes, total
    if name not in MIN_PASS_ARRAYS:
        return 1, single
    passes, arrays = MIN_PASS_ARRAYS[name]
    per_param = sum(b.data.size * b.dtype.itemsize for b in opt.flat_buffers())
    return passes, single + (arrays - round(single / per_param)) * per_param


def build(name: str, sizes: list[int]) -> optim.Optimizer:
    params = make_params(sizes, np.random.default_rng(0))
    opt = optim.create(name, params, **HYPERPARAMETERS.get(name, {}))
    opt.step()  # compile (or load from cache) and touch every page
    opt.step()
    return opt


def build_torch(name: str, sizes: list[int]) -> tuple[str, Callable[[], object]] | None:
    """(flag, step) of torch.optim's faster CPU path for `name`, fused or foreach (picked by a
    few interleaved trial steps), on parameters shaped as ours; None without torch or
    without a torch counterpart."""
    if importlib.util.find_spec("torch") is None or name not in TORCH_NAMES:
        return None
    # torch's OpenMP workers spin after each parallel region by default. On this shared
    # 2-core box that made torch's fused Adam ~10x slower under load (109 vs 15 ms) and the
    # step timed after it ~4% slower; waiting passively (as our Numba workers do, see
    # thread_pools.py) is the fair setting. Read when torch loads; OMP_WAIT_POLICY=ACTIVE
    # in the environment keeps torch's default.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    cls = getattr(torch.optim, TORCH_NAMES[name], None)
    if cls is None:
        return None
    params = [torch.randn(*param_shape(i, s), requires_grad=True) for i, s in enumerate(sizes)]
    for p in params:
        p.grad = torch.randn_like(p)
    steps = {}
    for flag in ("fused", "foreach"):
        try:
            opt = cls(params, **HYPERPARAMETERS.get(name, {}), **{flag: True})
            opt.step()
            opt.step()
        except (TypeError, RuntimeError, ValueError):
            continue
        steps[flag] = opt.step
    if not steps:
        return None
    trials = {flag: [] for flag in steps}
    for _ in range(3):
        for flag, step in steps.items():
            trials[flag].append(timeit(step, 1))
    flag = min(trials, key=lambda f: min(trials[f]))
    return flag, steps[flag]


def time_torch(name: str, sizes: list[int], repeats: int) -> float | None:
    """Best seconds per step of torch's faster path for `name` (None without torch)."""
    built = build_torch(name, sizes)
    return None if built is None else timeit(built[1], repeats)


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


def spread(samples: np.ndarray) -> float:
    """Median over best, minus 1: 0.05 means the typical sample was 5% slower than the best."""
    return float(np.median(samples) / samples.min() - 1.0)


def step_table(total: int, rounds: int, names: list[str] | None = None) -> None:
    """Print the per-optimizer table (see the module docstring)."""
    sizes = mixed_sizes(total)
    triad = Triad(total)
    skipped = CLOSURE_BASED | MATRIX_ONLY | SPARSE_ONLY
    names = [n for n in (names or optim.available()) if n not in skipped]
    ours = {name: build(name, sizes) for name in names}
    torch_paths = {name: build_torch(name, sizes) for name in names}
    steps = {
        name: (ours[name].step, None if torch_paths[name] is None else torch_paths[name][1])
        for name in names
    }
    times = round_robin(steps, triad, rounds)
    every_triad = np.concatenate([t[:, 1] for t in times.values()])

    print(f"{total:,} float32 parameters in {len(sizes)} tensors "
          f"({min(sizes):,} .. {max(sizes):,} each); {rounds} rounds, each in a new "
          f"shuffled order")
    print(f"triad bandwidth over the run: best {triad.bytes / every_triad.min() / 1e9:.1f} "
          f"GB/s, median {triad.bytes / np.median(every_triad) / 1e9:.1f}, worst "
          f"{triad.bytes / every_triad.max() / 1e9:.1f}\n")
    header = (f"{'optimizer':<11} {'ms/step':>8} {'spread':>7} {'GB/s':>6} {'bound ms':>9} "
              f"{'% bound':>8} {'paired':>7} {'passes':>7} {'% k-pass':>9} "
              f"{'torch ms':>9} {'torch/ours':>10}")
    print(header)
    print("-" * len(header))
    for name in names:
        t = times[name]
        seconds = t[:, 0].min()
        scale = bytes_per_step(ours[name]) / triad.bytes  # bound = scale * triad seconds
        bound = scale * t[:, 1].min()
        quiet = t[:, 1] <= np.median(t[:, 1])  # the visits whose triad was least disturbed
        paired = np.median(scale * t[quiet, 1] / t[quiet, 0])
        passes, pass_bytes = min_pass_bytes(name, ours[name])
        pass_paired = np.median(pass_bytes / triad.bytes * t[quiet, 1] / t[quiet, 0])
        pass_text = f"{100 * pass_paired:.0f}%" if passes > 1 else "-"
        path = torch_paths[name]
        torch_text = ratio_text = "-"
        if path is not None:
            torch_text = f"{t[:, 2].min() * 1e3:.2f} {path[0][:2]}"
            ratio_text = f"{np.median(t[:, 2] / t[:, 0]):.2f}x"
        print(f"{name:<11} {seconds * 1e3:8.2f} {100 * spread(t[:, 0]):6.0f}% "
              f"{triad.bytes / t[:, 1].min() / 1e9:6.1f} {bound * 1e3:9.2f} "
              f"{100 * bound / seconds:7.0f}% {100 * paired:6.0f}% {passes:>7} "
              f"{pass_text:>9} {torch_text:>9} {ratio_text:>10}")
    print(
        "\nms/step, torch ms: best of the rounds. spread: median / best - 1 of our steps. "
        "GB/s: best of\nthe triads timed right after this row's steps. bound: bytes of one "
        "pass (params r/w, grads r,\neach state r/w) at that bandwidth; % bound = bound / "
        "ms/step (bests). paired: the median\nof the same ratio taken within each visit, over "
        "the quieter half of the visits (those whose\ntriad was at most its median): "
        "robust to load that comes and goes.\nk-pass: LAMB, LARS and Adafactor "
        "need per-tensor statistics before they update: paired % of\nthe bound of the "
        "fewest passes their rule allows (MIN_PASS_ARRAYS, ADAFACTOR_ARRAYS).\ntorch: the "
        "faster of fused (fu) / foreach (fo), same hyperparameters; torch/ours: median of\n"
        "the per-visit ratios, > 1 means ours is faster."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M parameters, fewer rounds")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds, each visiting every optimizer once")
    parser.add_argument("--only", nargs="+", default=None, metavar="NAME",
                        help="time only these optimizers")
    args = parser.parse_args(argv)
    total = 1_000_000 if args.quick else 10_000_000
    rounds = args.rounds or (10 if args.quick else 30)
    if rounds < 1:
        raise SystemExit(f"--rounds must be at least 1, got {rounds}")
    unknown = set(args.only or ()) - set(optim.available())
    if unknown:
        raise SystemExit(f"unknown optimizer(s) {sorted(unknown)}; expected some of "
                         f"{optim.available()}")
    step_table(total, rounds, args.only)

    repeats = rounds
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
