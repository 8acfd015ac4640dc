"""Adafactor kernel vs the numpy reference of PyTorch's Adafactor, plus behaviour checks."""

import numba
import numpy as np
import pytest
from error_messages import invalid
from optim_reference import compare_with_reference
from optim_reference_b2 import (
    REFERENCES_B2,
    check_compiles_once_per_dtype,
    check_float32_tracks_float64,
    check_progress_on_rosenbrock,
    check_reduces_regression_loss,
    check_state_dict_round_trip,
    two_threads_for_every_run,
)

from tinygrad_opt import Tensor
from tinygrad_opt.optim import Adafactor, adafactor, adafactor_kernel, optimizer

OPTIONS = [
    {},
    {"lr": 0.05, "weight_decay": 0.1, "maximize": True},
    {"eps": (1e-3, 1e-2), "d": 1.5, "beta2_decay": -0.5},
]
# matrices (factored over the last two dims, batched above), vectors, a scalar, empties, and
# a 40 x 3 matrix (split into several row blocks where a test makes CHUNK small)
SHAPES = [[(7, 5), (0,), (13,), (3, 0), (40, 3)], [(3, 4, 2), (), (2, 3, 1, 6)]]


@pytest.mark.parametrize("options", OPTIONS)
def test_adafactor_matches_reference(options):
    compare_with_reference(lambda groups: Adafactor(groups), REFERENCES_B2["adafactor"],
                           [options, {"lr": 0.03}], shapes=SHAPES)  # fmt: skip


def test_vectors_span_many_chunks(monkeypatch):
    monkeypatch.setattr(adafactor, "CHUNK", 3)
    compare_with_reference(lambda groups: Adafactor(groups), REFERENCES_B2["adafactor"],
                           [{}, {"lr": 0.03}], shapes=SHAPES, steps=10)  # fmt: skip


def test_state_is_factored_with_pytorch_s_shapes_and_names():
    w = Tensor(np.ones((2, 5, 3)), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    opt = Adafactor([w, b])
    assert set(opt.state[w]) == {"step", "row_var", "col_var"}
    assert opt.state[w]["row_var"].shape == (2, 5, 1)
    assert opt.state[w]["col_var"].shape == (2, 1, 3)
    assert set(opt.state[b]) == {"step", "variance"} and opt.state[b]["variance"].shape == (3,)
    sd = opt.state_dict()
    assert set(sd["state"][0]) == {"step", "row_var", "col_var"}
    assert set(sd["state"][1]) == {"step", "variance"}
    # sublinear memory: the matrix keeps 2 * (5 + 3) numbers, not 30
    (buffer,) = opt.flat_buffers()
    assert buffer.state["row_var"].size + buffer.state["col_var"].size == 16


def test_first_step_of_a_vector_is_relative_and_clipped():
    """t = 1: beta2_t = 0 so v = g^2, u = sign(g) (RMS 1, no clipping at d=1), and the step is
    max(eps2, RMS(p)) * min(lr, 1) per coordinate."""
    p = Tensor(np.array([3.0, -4.0]), requires_grad=True)
    opt = Adafactor([p], lr=0.1)
    p.grad = np.array([0.5, 2.0])
    opt.step()
    rms = np.sqrt((9 + 16) / 2)
    np.testing.assert_allclose(p.data, [3.0 - 0.1 * rms, -4.0 - 0.1 * rms], rtol=1e-14)


def test_adafactor_reduces_a_regression_loss():
    check_reduces_regression_loss("adafactor", {"lr": 0.1})


def test_adafactor_makes_progress_on_rosenbrock():
    check_progress_on_rosenbrock("adafactor", {"lr": 0.1})


def test_adafactor_state_dict_round_trip_is_bit_identical():
    check_state_dict_round_trip("adafactor", {"weight_decay": 0.1})


def test_adafactor_float32_tracks_float64():
    check_float32_tracks_float64("adafactor", {"lr": 0.05})


@pytest.mark.parametrize(
    "kwargs, message",
    [({"lr": -1.0}, invalid("lr", -1.0, "0.0 <= lr <= inf")),
     ({"beta2_decay": 0.5}, invalid("beta2_decay", 0.5, "-inf <= beta2_decay <= 0.0")),
     ({"eps": (-1.0, 1e-3)}, invalid("eps1 (eps[0])", -1.0, "0.0 <= eps1 (eps[0]) <= inf")),
     ({"eps": (None, -1.0)}, invalid("eps2 (eps[1])", -1.0, "0.0 <= eps2 (eps[1]) <= inf")),
     ({"eps": 1e-3}, invalid("eps", 0.001, "a pair (eps1 or None, eps2)")),
     ({"d": 0.5}, invalid("d", 0.5, "1.0 <= d <= inf")),
     ({"weight_decay": -1.0}, invalid("weight_decay", -1.0, "0.0 <= weight_decay <= inf"))],
)  # fmt: skip
def test_adafactor_rejects_invalid_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adafactor([Tensor(np.ones(2), requires_grad=True)], **kwargs)


def test_adafactor_kernel_compiles_once_per_dtype():
    check_compiles_once_per_dtype("adafactor", adafactor_kernel.adafactor_kernel, {})


def _factors(opt, t, eps1):
    """(v_hat, minimum v_hat of each row) of a factored tensor, from its checked state."""
    rows, cols = opt.state[t]["row_var"], opt.state[t]["col_var"]
    rvm = np.maximum(rows.mean(axis=-2, keepdims=True), eps1)
    return rows * cols / rvm, rows * cols.min(axis=-1, keepdims=True) / rvm


def test_clamp_binding_for_some_elements_takes_the_exact_path():
    """eps1 = 1 is near v_hat ~ 1 here, so the clamp binds for some elements and not others:
    these matrices must take the exact sweep for ||u||^2 and the clamped update, with rows
    that cannot clamp still using the multiply-only form."""
    eps1 = 1.0
    opt, tensors = compare_with_reference(
        lambda groups: Adafactor(groups), REFERENCES_B2["adafactor"],
        [{"eps": (eps1, 1e-3)}, {"eps": (eps1, 1e-2), "lr": 0.03}], shapes=SHAPES,
    )  # fmt: skip
    v_hat, row_min = _factors(opt, tensors[0][4], eps1)  # the 40 x 3 matrix
    assert 0 < (v_hat < eps1**2).mean() < 1
    assert 0 < (row_min > eps1**2).mean() < 1


def test_unclamped_matrix_over_many_row_blocks_takes_the_closed_form(monkeypatch):
    """Default eps1: the clamp binds nowhere, so ||u||^2 comes from sweep 1's column sums;
    300 rows are more than the kernel's row blocks, and with a small CHUNK (the least
    elements per block) each matrix is cut into them, so the sums cross task boundaries."""
    from tinygrad_opt.optim.adafactor_kernel import _blocks

    monkeypatch.setattr(adafactor, "CHUNK", 16)
    row_blocks = max(8, 2 * numba.get_num_threads())  # adafactor.py's
    assert _blocks(300, 4, row_blocks, 16) == _blocks(300, 3, row_blocks, 16) == row_blocks
    opt, tensors = compare_with_reference(
        lambda groups: Adafactor(groups), REFERENCES_B2["adafactor"],
        [{}, {"lr": 0.03, "weight_decay": 0.1}], shapes=[[(300, 4), (5,)], [(2, 300, 3)]],
        steps=20,
    )  # fmt: skip
    for t in (tensors[0][0], tensors[1][0]):
        v_hat, _ = _factors(opt, t, float(np.finfo(np.float64).eps))
        assert v_hat.min() > 1e-6


@pytest.mark.parametrize("parts", [1, 2, 3, 5, 40])
def test_threads_get_contiguous_task_shares_balanced_by_elements(parts):
    """_tasks cuts the task list into `parts` contiguous shares by element count: together
    they cover every task once, and no share exceeds an even split by more than one task."""
    from tinygrad_opt.optim.adafactor_kernel import COLS, _tasks

    # rows: param offset, factored, batch, rows, cols, row_var / col_var / variance offsets
    layout = np.array([
        [0, 1, 1, 300, 64, 0, 0, 0],
        [19200, 0, 1, 1, 5000, 0, 0, 0],
        [24200, 1, 2, 9, 7, 300, 64, 5000],
        [24326, 0, 1, 1, 37, 0, 0, 5000],
    ], dtype=np.int64)  # fmt: skip
    tasks, _, _, bounds = _tasks(layout, 512, 8, parts)
    work = [(hi - lo) * (layout[k, COLS] if b >= 0 else 1) for k, b, lo, hi, _, _ in tasks]
    assert sum(work) == 300 * 64 + 5000 + 2 * 9 * 7 + 37
    assert bounds[0] == 0 and bounds[-1] == len(tasks) and len(bounds) == parts + 1
    assert all(np.diff(bounds) >= 0)
    shares = [sum(work[bounds[i] : bounds[i + 1]]) for i in range(parts)]
    assert max(shares) <= sum(work) / parts + max(work)


def test_row_blocks_are_never_smaller_than_a_chunk_nor_more_than_rows():
    from tinygrad_opt.optim.adafactor_kernel import _blocks

    assert _blocks(300, 16, 8, 16384) == 1  # 4,800 elements: one block
    assert _blocks(4819, 512, 8, 16384) == 8  # 2.5M elements: row_blocks of them
    assert _blocks(40, 512, 8, 16384) == 1  # 20,480: one block of >= chunk
    assert _blocks(64, 512, 8, 16384) == 2
    assert _blocks(3, 100000, 8, 16) == 3  # never more blocks than rows
    assert _blocks(0, 5, 8, 16) == 1 and _blocks(5, 0, 8, 16) == 1


def test_one_thread_and_two_give_bit_identical_steps(monkeypatch):
    """Each task's partial sums are added in task order whatever thread ran it, so the
    split of the tasks over threads cannot change a single bit (CHUNK made small so the
    300 x 16 matrix is cut into several blocks, which the two threads share; the minimum
    size for the thread pool set to 0, else these few thousand elements run on one thread
    whatever the thread count)."""
    monkeypatch.setattr(adafactor, "CHUNK", 64)
    monkeypatch.setattr(optimizer, "PARALLEL_MIN_SIZE", 0)
    rng = np.random.default_rng(5)
    shapes = [(300, 16), (1000,), (4, 9, 7), (37,)]
    results = []
    before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            params = [Tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
                      for s in shapes]  # fmt: skip
            grads = np.random.default_rng(6)
            opt = Adafactor(params, lr=0.02)
            for _ in range(3):
                for p in params:
                    p.grad = grads.standard_normal(p.shape).astype(np.float32)
                opt.step()
            results.append([p.data.copy() for p in params])
            rng = np.random.default_rng(5)
    finally:
        numba.set_num_threads(before)
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two Numba threads")
@pytest.mark.parametrize("eps", [(None, 1e-3), (1.0, 1e-3)])
def test_two_threads_match_the_reference_where_a_matrix_is_split_between_them(
    monkeypatch, eps
):  # fmt: skip
    """Sweep 2 runs in the thread that summed all of a matrix's rows, or after sweep 1 for a
    matrix whose row blocks two threads shared; a tensor whose tasks were all one thread's
    is updated there too when its ||u||^2 is known (eps1 = 1 makes the clamp bind in some
    matrices, whose update waits for sweeps 3 and 4): every path against the reference.
    CHUNK = 3 cuts the 40 x 3 matrix into row blocks that straddle the threads' cut while
    the 7 x 5 one stays whole with the first thread (checked on the task table first)."""
    from tinygrad_opt.optim.adafactor_kernel import _split_between_threads, _tasks

    monkeypatch.setattr(adafactor, "CHUNK", 3)
    with two_threads_for_every_run(monkeypatch):
        params = [Tensor(np.ones(s), requires_grad=True) for s in SHAPES[0]]
        opt = Adafactor(params)
        for p in params:
            p.grad = np.ones(p.shape)
        (run,) = opt.flat_buffers()[0].runs(None)
        row_blocks = max(8, 2 * numba.get_num_threads())  # adafactor.py's
        _, mats, _, bounds = _tasks(opt._layout(run), 3, row_blocks, 2)
        split = [_split_between_threads(mats, m, bounds) for m in range(len(mats))]
        assert any(split) and not all(split)
        compare_with_reference(lambda groups: Adafactor(groups), REFERENCES_B2["adafactor"],
                               [{"eps": eps}, {"lr": 0.03, "eps": eps}], shapes=SHAPES,
                               steps=10)  # fmt: skip


def test_relative_step_is_capped_by_one_over_sqrt_t_when_lr_is_large():
    """rho_t = min(lr, 1 / sqrt(t)): with lr = 1 and a constant gradient, v stays g^2 and
    u = sign(g) (RMS 1), so step t moves every coordinate by RMS(p_{t-1}) / sqrt(t)."""
    p0 = np.array([3.0, -4.0, 1.0, 2.0])
    g = np.array([0.5, -2.0, 1.0, 3.0])
    p = Tensor(p0.copy(), requires_grad=True)
    opt = Adafactor([p], lr=1.0)
    expected = p0.copy()
    for t in range(1, 7):
        p.grad = g.copy()
        opt.step()
        expected = expected - np.sqrt(np.mean(expected**2)) / np.sqrt(t) * np.sign(g)
        np.testing.assert_allclose(p.data, expected, rtol=1e-13, atol=1e-15)


def test_lr_above_one_over_sqrt_t_matches_reference():
    """lr = 0.5 binds rho_t for t <= 4, 1 / sqrt(t) binds afterwards."""
    compare_with_reference(lambda groups: Adafactor(groups), REFERENCES_B2["adafactor"],
                           [{"lr": 0.5}, {"lr": 2.0, "d": 1.2}], shapes=SHAPES,
                           steps=12)  # fmt: skip


def test_eps1_default_is_float32_machine_epsilon_and_clamps_sqrt_v_not_v():
    """float32, t = 1, tiny grads: v = g^2, sqrt(v) = |g| < eps1 = finfo(float32).eps, so
    u = g / eps1 (RMS below 1, no clipping) and p -= lr * RMS(p) * u."""
    p0 = np.array([3.0, -4.0], dtype=np.float32)
    g = np.array([1e-9, -2e-9], dtype=np.float32)
    p = Tensor(p0.copy(), requires_grad=True)
    opt = Adafactor([p], lr=0.1)
    p.grad = g.copy()
    opt.step()
    eps1 = float(np.finfo(np.float32).eps)
    u = g.astype(np.float64) / eps1
    expected = p0 - 0.1 * np.sqrt(12.5) * u
    np.testing.assert_allclose(p.data, expected, rtol=1e-6)
    # a matrix: row_var * col_var / mean(row_var) = g^2 is below eps1^2 everywhere as well
    w0 = np.ones((2, 3), dtype=np.float32)
    w = Tensor(w0.copy(), requires_grad=True)
    opt = Adafactor([w], lr=0.1)
    w.grad = np.full((2, 3), 1e-9, dtype=np.float32)
    opt.step()
    np.testing.assert_allclose(w.data, w0 - 0.1 * (1e-9 / eps1), rtol=1e-6)
