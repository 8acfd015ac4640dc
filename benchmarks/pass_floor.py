"""How far the two-pass rules (LAMB, LARS, Adafactor) are from what this machine's memory allows.

    python -m benchmarks.pass_floor            # 10M parameters, 15 rounds
    python -m benchmarks.pass_floor --quick    # 1M parameters, 3 rounds

optim_step holds these rules to the bound of the fewest passes they allow: the bytes of
those passes at the bandwidth of a STREAM-style triad (a = a + s * b: two loads, one store per
element). Their passes have other mixes: LARS's and Adafactor's first pass only loads (p and
g), LAMB's loads four arrays and stores two. So each pass gets a floor here: a plain kernel
that makes exactly that pass's loads and stores on the optimizer's own arrays, with no
arithmetic beyond keeping them (scale 0, so nothing changes). The rule cannot beat the sum of
its floors; if that sum is below 80% of the bound, so is the rule, however good its kernel.

Every timed call starts cold, as an optimizer step in a training loop does: a sweep through
a separate 1.2 GB buffer first evicts the caches (the host's last-level cache is large, and
a step repeated back to back ran up to 25% faster than one after other work). Printed per
rule, medians over the rounds: step, floor (pass 1 + pass 2), the k-pass bound at the median
cold triad of the run, floor / bound and step / floor (as % of the floor's speed).

Last, Adafactor's passes are timed with only the arithmetic its rule cannot avoid (row and
column sums of g^2 and the sum of p^2, then a multiply-only update), as two plain kernels on
the same arrays: what any Adafactor kernel must at least pay beyond the floor.

step / floor is the steady figure: both sides move the same bytes under the same conditions.
floor / bound moves with the triad, whose rate on this shared VM depends on what ran before
it (40-75 GB/s over this project's runs; a cold triad sits at the low end), so read it as
a range over runs, not a verdict.
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
from numba import prange

from tinygrad_opt import optim
from tinygrad_opt.jit import kernel

from .optim_step import MATRIX_COLS, Triad, build, min_pass_bytes, mixed_sizes

# Adam, a one-pass rule, is the reference row: its floor / bound shows what a mix of seven
# streams costs against the triad's three, before any second pass.
RULES = ("lamb", "lars", "adafactor", "adam")
# Arrays each floor pass loads plus stores; their sum is optim_step's k-pass count
# (MIN_PASS_ARRAYS, and ADAFACTOR_ARRAYS for a factored matrix; Adam's one pass: 7).
FLOOR_ARRAYS = {"lamb": (6, 4), "lars": (2, 5), "adafactor": (2, 3), "adam": (7,)}
EVICT_ELEMENTS = 150_000_000  # float32, x2 buffers: 1.2 GB swept before every timed call


@kernel
def load_two(a, b, zero):
    """Loads a and b once (LARS's and Adafactor's first pass: p and g) and returns their sum,
    so the loads cannot be dropped. Sums in the arrays' dtype (`zero`): a float32 loop runs at
    full vector width."""
    total = zero
    for i in prange(a.size):
        total += a[i] + b[i]
    return total


@kernel
def load_four_store_two(a, b, c, d, s):
    """Loads a, b, c, d; stores c and d (LAMB's first pass: p, g, m, v -> m, v); returns
    sum(a), so its loads stay. s = 0 leaves c and d as they were."""
    total = s
    for i in prange(a.size):
        c[i] = c[i] + s * b[i]
        d[i] = d[i] + s * b[i]
        total += a[i]
    return total


@kernel
def load_four_store_three(a, b, c, d, s):
    """Loads a, b, c, d; stores a, c and d (Adam's one pass: p, g, m, v -> p, m, v)."""
    for i in prange(a.size):
        c[i] = c[i] + s * b[i]
        d[i] = d[i] + s * b[i]
        a[i] = a[i] + s * (c[i] + d[i])


@kernel
def load_three_store_one(a, b, c, s):
    """Loads a, b, c; stores a (LAMB's second pass: p, m, v -> p)."""
    for i in prange(a.size):
        a[i] = a[i] + s * (b[i] + c[i])


@kernel
def load_three_store_two(a, b, c, s):
    """Loads a, b, c; stores a and c (LARS's second pass: p, g, buf -> buf, p)."""
    for i in prange(a.size):
        buf = c[i] + s * b[i]
        c[i] = buf
        a[i] = a[i] + s * buf


@kernel
def load_two_store_one(a, b, s):
    """Loads a and b; stores a (Adafactor's second pass: p, g -> p)."""
    for i in prange(a.size):
        a[i] = a[i] + s * b[i]


@kernel
def adafactor_sums(g, p, cols, row_sums, col_parts, zero):
    """Adafactor's first pass reduced to what its rule cannot avoid, on rows of `cols`:
    each row's sum of g^2 (into row_sums), the column sums of g^2 (one row of col_parts per
    thread), and the sum of p^2 (returned). Nothing else: no moving averages, no clamp
    checks, no ||u||^2. Sums in the arrays' dtype (`zero`), as a float32 loop vectorises."""
    rows = g.size // cols
    parts = col_parts.shape[0]
    total = 0.0
    for th in prange(parts):
        acc = col_parts[th]
        p_sum = zero
        for r in range(th * rows // parts, (th + 1) * rows // parts):
            gs, ps = g[r * cols : (r + 1) * cols], p[r * cols : (r + 1) * cols]
            row = zero
            for c in range(cols):
                square = gs[c] * gs[c]
                row += square
                p_sum += ps[c] * ps[c]
                acc[c] += square
            row_sums[r] = row
        total += p_sum
    return total


@kernel
def adafactor_update(g, p, cols, row_factor, col_factor, decay):
    """Adafactor's second pass reduced to its multiply-only form:
    p = p * decay - row_factor[r] * g * col_factor[c]. With decay 1 and zero factors it leaves
    p as it was."""
    rows = g.size // cols
    for r in prange(rows):
        gs, ps = g[r * cols : (r + 1) * cols], p[r * cols : (r + 1) * cols]
        f = row_factor[r]
        for c in range(cols):
            ps[c] = ps[c] * decay - f * gs[c] * col_factor[c]


def adafactor_arithmetic(opt: optim.Optimizer, cols: int) -> list:
    """`adafactor_sums` and `adafactor_update` as calls on `opt`'s flat p and g, viewed as
    rows of `cols` (the benchmark's weight matrices are; its few vectors are counted as
    rows too, which only helps the kernels)."""
    buffer = opt.flat_buffers()[0]
    n = buffer.data.size - buffer.data.size % cols
    p, g = buffer.data[:n], buffer.grad[:n]
    zero = np.zeros((), dtype=p.dtype)[()]
    row_sums = np.zeros(n // cols, dtype=p.dtype)
    col_parts = np.zeros((numba.get_num_threads(), cols), dtype=p.dtype)
    row_factor = np.zeros(n // cols, dtype=p.dtype)
    col_factor = np.zeros(cols, dtype=p.dtype)
    one = p.dtype.type(1.0)
    return [lambda: adafactor_sums(g, p, cols, row_sums, col_parts, zero),
            lambda: adafactor_update(g, p, cols, row_factor, col_factor, one)]


def floor_passes(name: str, opt: optim.Optimizer) -> list:
    """The floor kernels of `name`'s passes as calls on `opt`'s flat buffers (one run)."""
    buffer = opt.flat_buffers()[0]
    p, g, state = buffer.data, buffer.grad, buffer.state
    zero = np.zeros((), dtype=p.dtype)[()]
    if name == "lamb":
        m, v = state["exp_avg"], state["exp_avg_sq"]
        return [lambda: load_four_store_two(p, g, m, v, zero),
                lambda: load_three_store_one(p, m, v, zero)]
    if name == "lars":
        buf = state["momentum_buffer"]
        return [lambda: load_two(p, g, zero), lambda: load_three_store_two(p, g, buf, zero)]
    if name == "adafactor":
        return [lambda: load_two(p, g, zero), lambda: load_two_store_one(p, g, zero)]
    if name == "adam":
        m, v = state["exp_avg"], state["exp_avg_sq"]
        return [lambda: load_four_store_three(p, g, m, v, zero)]
    raise ValueError(f"pass_floor: no floor for {name!r}; expected one of {RULES}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M parameters, 3 rounds")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 15)")
    args = parser.parse_args(argv)
    total = 1_000_000 if args.quick else 10_000_000
    rounds = args.rounds or (3 if args.quick else 15)
    if rounds < 1:
        raise SystemExit(f"--rounds must be at least 1, got {rounds}")
    sizes = mixed_sizes(total)
    triad = Triad(total)
    opts = {name: build(name, sizes) for name in RULES}
    floors = {name: floor_passes(name, opts[name]) for name in RULES}
    evict_a = np.ones(EVICT_ELEMENTS // (10 if args.quick else 1), dtype=np.float32)
    evict_b = np.ones_like(evict_a)

    def cold(fn) -> float:
        load_two_store_one(evict_a, evict_b, np.float32(0.0))
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    arithmetic = adafactor_arithmetic(opts["adafactor"], MATRIX_COLS)
    for passes in (*floors.values(), arithmetic):  # compile (or load) the floor kernels
        for run in passes:
            run()
    times = {name: np.zeros((rounds, 3)) for name in RULES}  # step, pass 1, pass 2 (or 0)
    arithmetic_times = np.zeros((rounds, 2))
    triad_seconds = []
    for r in range(rounds):
        for name in RULES:
            times[name][r, 0] = cold(opts[name].step)
            for k, run in enumerate(floors[name]):
                times[name][r, 1 + k] = cold(run)
        for k, run in enumerate(arithmetic):
            arithmetic_times[r, k] = cold(run)
        triad_seconds.append(cold(triad.in_place) / 2)  # two passes
    bandwidth = triad.bytes / np.median(triad_seconds)

    print(f"{total:,} float32 parameters in {len(sizes)} tensors; {rounds} rounds, every call "
          f"cold; median triad {bandwidth / 1e9:.1f} GB/s\n")
    header = (f"{'optimizer':<10} {'step ms':>8} {'floor ms':>9} {'pass 1':>7} {'pass 2':>7} "
              f"{'bound ms':>9} {'floor/bound':>12} {'step/floor':>11}")
    print(header)
    print("-" * len(header))
    for name in RULES:
        step, first, second = np.median(times[name], axis=0)
        floor = first + second
        bound = min_pass_bytes(name, opts[name])[1] / bandwidth
        second_text = f"{second * 1e3:7.2f}" if len(floors[name]) > 1 else f"{'-':>7}"
        print(f"{name:<10} {step * 1e3:8.2f} {floor * 1e3:9.2f} {first * 1e3:7.2f} "
              f"{second_text} {bound * 1e3:9.2f} {100 * bound / floor:11.0f}% "
              f"{100 * floor / step:10.0f}%")
    first, second = np.median(arithmetic_times, axis=0)
    floor = np.median(times["adafactor"][:, 1:].sum(axis=1))
    bound = min_pass_bytes("adafactor", opts["adafactor"])[1] / bandwidth
    print(f"\nadafactor's unavoidable arithmetic alone (row and column sums of g^2, sum of p^2; "
          f"a multiply-only update):\n{(first + second) * 1e3:.2f} ms ({first * 1e3:.2f} + "
          f"{second * 1e3:.2f}), {100 * bound / (first + second):.0f}% of the bound, "
          f"{100 * floor / (first + second):.0f}% of the floor's speed")
    print(
        "\nfloor: plain kernels making each pass's loads and stores on the optimizer's own "
        "arrays.\nbound: optim_step's k-pass bound (MIN_PASS_ARRAYS, ADAFACTOR_ARRAYS bytes; "
        "Adam: one pass)\nat the median triad. floor/bound above 80% means the goal is "
        "reachable in principle;\nstep/floor is how close the kernel comes to its floor."
    )


if __name__ == "__main__":
    main()
