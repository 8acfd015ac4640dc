"""benchmarks/pass_floor.py: its floor kernels run on live optimizers' arrays, so they must
leave every value as it was, really make their loads, and move the bytes the bound counts."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_opt import Tensor, optim

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT))  # pass_floor imports benchmarks.optim_step
    try:
        spec = importlib.util.spec_from_file_location(
            "benchmarks.pass_floor", ROOT / "benchmarks" / "pass_floor.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(ROOT))


def small_optimizer(name, rng):
    params = [
        Tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        for shape in ((40, 16), (16,), (7, 16))
    ]
    for p in params:
        p.grad = rng.standard_normal(p.shape).astype(np.float32)
    hp = {"lr": 1e-3} if name == "lars" else {}
    opt = optim.create(name, params, **hp)
    opt.step()  # fills the state buffers with non-zero values
    return opt


@pytest.mark.parametrize("name", ["lamb", "lars", "adafactor", "adam"])
def test_floor_passes_leave_the_optimizer_unchanged(bench, name):
    opt = small_optimizer(name, np.random.default_rng(3))
    buffer = opt.flat_buffers()[0]
    before = [buffer.data.copy(), buffer.grad.copy()]
    before += [state.copy() for state in buffer.state.values()]
    for run in bench.floor_passes(name, opt):
        run()
    after = [buffer.data, buffer.grad, *buffer.state.values()]
    for old, new in zip(before, after):
        np.testing.assert_array_equal(new, old)


def test_floor_loads_are_real(bench):
    rng = np.random.default_rng(4)
    a, b, c, d = (rng.standard_normal(1000).astype(np.float32) for _ in range(4))
    zero = np.float32(0.0)
    reference = float(np.sum(a, dtype=np.float64) + np.sum(b, dtype=np.float64))
    assert bench.load_two(a, b, zero) == pytest.approx(reference, rel=1e-4, abs=1e-3)
    total = bench.load_four_store_two(a, b, c, d, zero)
    assert total == pytest.approx(float(np.sum(a, dtype=np.float64)), rel=1e-4, abs=1e-3)


def test_floor_arrays_add_up_to_the_bound_of_each_rule(bench):
    from benchmarks.optim_step import ADAFACTOR_ARRAYS, MIN_PASS_ARRAYS

    expected = dict(MIN_PASS_ARRAYS, adafactor=ADAFACTOR_ARRAYS["factored"], adam=(1, 7))
    for name in bench.RULES:
        passes, arrays = expected[name]
        assert len(bench.FLOOR_ARRAYS[name]) == passes
        assert sum(bench.FLOOR_ARRAYS[name]) == arrays


def test_floor_passes_refuse_a_rule_without_a_floor(bench):
    opt = small_optimizer("lamb", np.random.default_rng(5))
    with pytest.raises(ValueError, match="no floor for 'sgd'"):
        bench.floor_passes("sgd", opt)


def test_adafactor_arithmetic_kernels_compute_their_sums_and_leave_p_alone(bench):
    rng = np.random.default_rng(6)
    rows, cols = 9, 16
    g = rng.standard_normal(rows * cols).astype(np.float64)
    p = rng.standard_normal(rows * cols).astype(np.float64)
    row_sums = np.zeros(rows)
    col_parts = np.zeros((2, cols))
    total = bench.adafactor_sums(g, p, cols, row_sums, col_parts, 0.0)
    np.testing.assert_allclose(row_sums, (g.reshape(rows, cols) ** 2).sum(axis=1))
    np.testing.assert_allclose(col_parts.sum(axis=0), (g.reshape(rows, cols) ** 2).sum(axis=0))
    assert total == pytest.approx(float(np.sum(p * p)))
    before = p.copy()
    bench.adafactor_update(g, p, cols, np.zeros(rows), np.zeros(cols), 1.0)
    np.testing.assert_array_equal(p, before)
    a, b = rng.random(rows), rng.random(cols)
    bench.adafactor_update(g, p, cols, a, b, 0.5)
    expected = 0.5 * before.reshape(rows, cols) - a[:, None] * g.reshape(rows, cols) * b
    np.testing.assert_allclose(p.reshape(rows, cols), expected)


def test_adafactor_arithmetic_runs_on_a_live_optimizer_without_changing_it(bench):
    opt = small_optimizer("adafactor", np.random.default_rng(7))
    buffer = opt.flat_buffers()[0]
    before = buffer.data.copy()
    for run in bench.adafactor_arithmetic(opt, 16):
        run()
    np.testing.assert_array_equal(buffer.data, before)
