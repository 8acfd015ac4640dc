"""clip_grad_norm_ / clip_grad_value_ vs numpy, on flat-buffer views and on plain arrays."""

import math

import numpy as np
import pytest

from tinygrad_opt import Tensor
from tinygrad_opt.nn.utils import clip_grad_norm_, clip_grad_value_
from tinygrad_opt.optim import SGD

SHAPES = [(30, 20), (20,), (0,), (5, 4, 3), (), (130, 140)]  # last: parallel path


def params_with_grads(rng, flat, dtype=np.float64, scale=3.0):
    params = [Tensor(rng.normal(size=s).astype(dtype), requires_grad=True) for s in SHAPES]
    if flat:
        SGD(params)  # makes every p._grad_storage a view of one flat buffer
    for p in params:
        g = np.asarray(scale * rng.normal(size=p.shape), dtype=dtype)
        if flat:
            np.copyto(p._grad_storage, g)
            p.grad = p._grad_storage
        else:
            p.grad = g
    return params


def numpy_norm(grads, norm_type):
    flat = np.concatenate([g.astype(np.float64).ravel() for g in grads])
    if norm_type == math.inf:
        return np.max(np.abs(flat))
    return np.sum(np.abs(flat) ** norm_type) ** (1.0 / norm_type)


@pytest.mark.parametrize("flat", [True, False])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0, "inf"])
def test_clip_grad_norm_matches_numpy(flat, norm_type):
    rng = np.random.default_rng(0)
    params = params_with_grads(rng, flat)
    grads = [p.grad.copy() for p in params]
    p_norm = float(norm_type)
    expected_total = numpy_norm(grads, p_norm)
    total = clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type)
    np.testing.assert_allclose(total, expected_total, rtol=1e-12)
    assert total.item() == float(total)
    coef = min(1.0, 1.0 / (expected_total + 1e-6))
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad, g * coef, rtol=1e-12, atol=0)
    np.testing.assert_allclose(numpy_norm([p.grad for p in params], p_norm), 1.0, rtol=1e-5)


def test_clip_grad_norm_float32_and_flat_view_still_writes_through():
    rng = np.random.default_rng(1)
    params = params_with_grads(rng, True, dtype=np.float32)
    expected = numpy_norm([p.grad for p in params], 2.0)
    total = clip_grad_norm_(params, 0.5)
    np.testing.assert_allclose(total, expected, rtol=1e-6)
    assert params[0].grad is params[0]._grad_storage
    np.testing.assert_allclose(numpy_norm([p.grad for p in params], 2.0), 0.5, rtol=1e-5)


def test_small_norm_leaves_grads_unchanged_and_missing_grads_are_skipped():
    rng = np.random.default_rng(2)
    params = params_with_grads(rng, False, scale=1e-3)
    params[0].grad = None
    grads = [None if p.grad is None else p.grad.copy() for p in params]
    total = clip_grad_norm_(params, 10.0)
    np.testing.assert_allclose(total, numpy_norm([g for g in grads if g is not None], 2.0))
    for p, g in zip(params[1:], grads[1:]):
        np.testing.assert_array_equal(p.grad, g)
    assert clip_grad_norm_([Tensor(np.ones(2), requires_grad=True)], 1.0) == 0.0


def test_non_contiguous_grads_are_clipped_in_place():
    p = Tensor(np.zeros((4, 6)), requires_grad=True)
    p.grad = np.asfortranarray(np.arange(24.0).reshape(4, 6))
    g = p.grad.copy()
    total = clip_grad_norm_(p, 1.0)
    np.testing.assert_allclose(total, np.linalg.norm(g))
    np.testing.assert_allclose(p.grad, g / (np.linalg.norm(g) + 1e-6))


def test_nonfinite_norm_raises_when_asked_and_otherwise_spreads_nan():
    rng = np.random.default_rng(3)
    params = params_with_grads(rng, True)
    params[1].grad[3] = np.nan
    before = [p.grad.copy() for p in params]
    with pytest.raises(RuntimeError, match="nan"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    for p, g in zip(params, before):
        np.testing.assert_array_equal(p.grad, g)
    assert math.isnan(clip_grad_norm_(params, 1.0))
    assert np.isnan(params[0].grad).all()
    params = params_with_grads(rng, True)
    params[0].grad[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="inf"):
        clip_grad_norm_(params, 1.0, norm_type=math.inf, error_if_nonfinite=True)


@pytest.mark.parametrize("flat", [True, False])
def test_clip_grad_value_clamps_like_numpy(flat):
    rng = np.random.default_rng(4)
    params = params_with_grads(rng, flat)
    params[0].grad[0, 0] = np.nan
    grads = [p.grad.copy() for p in params]
    assert clip_grad_value_(params, 0.7) is None
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad, np.clip(g, -0.7, 0.7))


def test_bad_arguments_raise():
    p = Tensor(np.ones(2), requires_grad=True)
    p.grad = np.ones(2)
    with pytest.raises(TypeError, match="max_norm"):
        clip_grad_norm_([p], "1")
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm_([p], 1.0, norm_type="fro")
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm_([p], 1.0, norm_type=math.nan)
    with pytest.raises(TypeError, match="Tensors"):
        clip_grad_norm_([np.ones(2)], 1.0)
    with pytest.raises(TypeError, match="clip_value"):
        clip_grad_value_([p], None)


def test_grads_that_are_views_of_a_users_own_array_are_clipped_in_place():
    storage = np.arange(1.0, 11.0)
    a = Tensor(np.zeros((2, 3)), requires_grad=True)
    b = Tensor(np.zeros(4), requires_grad=True)
    a.grad, b.grad = storage[:6].reshape(2, 3), storage[6:]
    expected = np.arange(1.0, 11.0)
    total = clip_grad_norm_([a, b], 2.0)
    np.testing.assert_allclose(total, np.linalg.norm(expected))
    np.testing.assert_allclose(storage, expected * 2.0 / (np.linalg.norm(expected) + 1e-6))
    assert a.grad.base is storage


@pytest.mark.parametrize("missing", [0, 2, 5])
def test_flat_buffer_grads_with_a_gap_clip_exactly_the_present_ones(missing):
    rng = np.random.default_rng(5)
    params = params_with_grads(rng, True)
    params[missing].grad = None
    storage = [p._grad_storage.copy() for p in params]
    present = [p.grad.copy() for p in params if p.grad is not None]
    total = clip_grad_norm_(params, 0.1)
    np.testing.assert_allclose(total, numpy_norm(present, 2.0), rtol=1e-12)
    coef = 0.1 / (numpy_norm(present, 2.0) + 1e-6)
    for i, p in enumerate(params):
        if i == missing:
            np.testing.assert_array_equal(p._grad_storage, storage[i])  # untouched
        else:
            np.testing.assert_allclose(p.grad, storage[i] * coef, rtol=1e-12)


@pytest.mark.parametrize("norm_type", [1.0, 3.0, math.inf, -math.inf])
def test_non_contiguous_grads_use_the_same_norm(norm_type):
    """A Fortran-order grad goes through numpy; its norm must be the same p-norm (torch's
    vector_norm: sum |g|^p ^ 1/p, max |g| for inf, min |g| for -inf)."""
    rng = np.random.default_rng(6)
    a = Tensor(np.zeros((4, 6)), requires_grad=True)
    b = Tensor(np.zeros(5), requires_grad=True)
    a.grad = np.asfortranarray(rng.normal(size=(4, 6)) * 3.0)
    b.grad = rng.normal(size=5) * 3.0
    grads = [a.grad.copy(), b.grad.copy()]
    flat = np.abs(np.concatenate([g.ravel() for g in grads]))
    if norm_type == math.inf:
        expected = flat.max()
    elif norm_type == -math.inf:
        expected = flat.min()
    else:
        expected = np.sum(flat**norm_type) ** (1.0 / norm_type)
    total = clip_grad_norm_([a, b], 0.5, norm_type=norm_type)
    np.testing.assert_allclose(total, expected, rtol=1e-12)
    coef = min(1.0, 0.5 / (expected + 1e-6))
    for p, g in zip((a, b), grads):
        np.testing.assert_allclose(p.grad, g * coef, rtol=1e-12)


@pytest.mark.parametrize("flat", [True, False])
def test_minus_inf_norm_is_the_smallest_magnitude(flat):
    rng = np.random.default_rng(7)
    params = params_with_grads(rng, flat)
    grads = [p.grad.copy() for p in params]
    expected = min(np.abs(g).min() for g in grads if g.size)
    total = clip_grad_norm_(params, 1e-9, norm_type=-math.inf)
    np.testing.assert_allclose(total, expected, rtol=1e-12)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad, g * (1e-9 / (expected + 1e-6)), rtol=1e-12)


@pytest.mark.parametrize("where", [0, 3, 5])
def test_inf_norm_with_a_nan_anywhere_is_nan(where):
    """torch's max propagates NaN: the inf-norm is NaN and error_if_nonfinite raises."""
    rng = np.random.default_rng(8)
    params = params_with_grads(rng, True)
    params[where].grad.reshape(-1)[0] = np.nan
    with pytest.raises(RuntimeError, match="nan"):
        clip_grad_norm_(params, 1.0, norm_type=math.inf, error_if_nonfinite=True)
    assert math.isnan(clip_grad_norm_(params, 1.0, norm_type=math.inf))


def test_clip_grad_value_clamps_a_non_contiguous_grad_in_place():
    p = Tensor(np.zeros((3, 4)), requires_grad=True)
    p.grad = np.asfortranarray(np.linspace(-3.0, 3.0, 12).reshape(3, 4))
    grad = p.grad
    expected = np.clip(grad, -1.0, 1.0)
    clip_grad_value_([p], 1.0)
    assert p.grad is grad
    np.testing.assert_array_equal(p.grad, expected)


@pytest.mark.parametrize("flat", [True, False])
@pytest.mark.parametrize("norm_type", [0, 0.5])
def test_norm_orders_below_one_follow_pytorchs_norm_of_norms(flat, norm_type):
    """PyTorch's total is the norm of the per-gradient norms. For p > 0 that is the norm of
    all entries (here p = 0.5), but for p = 0 it counts the gradients with any nonzero
    entry: 2 here (one gradient is all zeros, one has zeros in it), not the 35 nonzeros.
    Checked against torch 2.13: 2.0 for [1, 0, 2, 0, 3], [0, 0, 5], zeros(4)."""
    grads = [np.zeros((5, 8)), np.zeros(3), np.zeros((2, 2))]
    grads[0][:] = np.arange(40).reshape(5, 8) % 7  # 34 nonzeros and some zeros
    grads[1][2] = 5.0
    params = [Tensor(np.ones(g.shape), requires_grad=True) for g in grads]
    if flat:
        SGD(params)
    for p, g in zip(params, grads):
        if flat:
            np.copyto(p._grad_storage, g)
            p.grad = p._grad_storage
        else:
            p.grad = g.copy()
    per_grad = [np.sum(np.abs(g) ** norm_type) if norm_type else np.count_nonzero(g)
                for g in grads]  # fmt: skip
    expected = np.count_nonzero(per_grad) if norm_type == 0 else (
        np.sum(np.array(per_grad)) ** (1.0 / norm_type)
    )
    total = clip_grad_norm_(params, max_norm=1e9, norm_type=norm_type)
    assert total == pytest.approx(expected, rel=1e-12)
    if norm_type == 0:
        assert total == 2.0


@pytest.mark.parametrize("norm_type", [2.0, 3.0])
def test_float32_norm_of_millions_of_entries_is_summed_in_float64(norm_type):
    """The squares of two million float32 entries of 0.1 summed in float32 drift by far more
    than 1e-9 (each thread's running sum reaches thousands, whose float32 ulp is ~1e-4)."""
    g = np.full(2_000_000, 0.1, dtype=np.float32)
    p = Tensor(np.zeros(g.size, dtype=np.float32), requires_grad=True)
    p.grad = g.copy()
    total = clip_grad_norm_([p], max_norm=1e9, norm_type=norm_type)
    expected = (g.size * float(g[0]) ** norm_type) ** (1.0 / norm_type)
    np.testing.assert_allclose(total, expected, rtol=1e-9)
    np.testing.assert_array_equal(p.grad, g)  # below max_norm: untouched


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, -math.inf, 0])
def test_no_gradients_at_all_give_a_zero_norm_for_every_order(norm_type):
    """PyTorch returns 0 when no parameter has a gradient, whatever norm_type (a min over
    nothing would otherwise be inf, which error_if_nonfinite would reject)."""
    params = [Tensor(np.ones(3), requires_grad=True), Tensor(np.ones((2, 2)), requires_grad=True)]
    for ps in (params, []):
        total = clip_grad_norm_(ps, 1.0, norm_type=norm_type, error_if_nonfinite=True)
        assert total == 0.0 and isinstance(total, np.float64)


@pytest.mark.parametrize("flat", [True, False])
def test_negative_norm_orders_and_numeric_strings_are_accepted_as_in_pytorch(flat):
    """PyTorch takes float(norm_type) and any real order: (sum |g|**p) ** (1/p) for p < 0.
    For [3, 1] and [2] with p = -1: (1/3 + 1 + 1/2) ** -1 = 6/11; a zero entry makes the
    sum infinite and the norm 0. Empty gradients are skipped, as for -inf (PyTorch raises:
    a negative order has no identity)."""
    params = [Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(1), requires_grad=True)]
    if flat:
        SGD(params)
    for p, g in zip(params, ([3.0, 1.0], [2.0])):
        p.grad = np.array(g)
    assert clip_grad_norm_(params, 1e9, norm_type=-1) == pytest.approx(6 / 11, rel=1e-14)
    assert clip_grad_norm_(params, 1e9, norm_type="-1") == pytest.approx(6 / 11, rel=1e-14)
    assert clip_grad_norm_(params, 1e9, norm_type="2") == pytest.approx(math.sqrt(14), rel=1e-14)
    params[1].grad = np.array([0.0])
    assert clip_grad_norm_(params, 1e9, norm_type=-2.0) == 0.0
    empty = Tensor(np.zeros(0), requires_grad=True)
    empty.grad = np.zeros(0)
    assert clip_grad_norm_([params[0], empty], 1e9, norm_type=-1) == pytest.approx(0.75)
    assert clip_grad_norm_([empty], 1e9, norm_type=-1) == math.inf


@pytest.mark.parametrize("flat", [True, False])
def test_clip_grad_value_with_a_negative_or_nan_value_is_torch_clamp(flat):
    """PyTorch clamps to [-v, v] with torch.clamp, which sets every entry to max when
    min > max (v < 0: all become v) and gives NaN for a NaN bound; NaN entries stay NaN."""
    rng = np.random.default_rng(5)
    params = params_with_grads(rng, flat)
    params[0].grad[0, 0] = np.nan
    clip_grad_value_(params, -0.3)
    for p in params:
        expected = np.full(p.shape, -0.3)
        if p is params[0]:
            expected[0, 0] = np.nan
        np.testing.assert_array_equal(p.grad, expected)
    clip_grad_value_(params, math.nan)
    for p in params:
        assert np.isnan(p.grad).all()
