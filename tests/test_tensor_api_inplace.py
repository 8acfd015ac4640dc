"""Memory-layout queries (ops/properties.py), in-place forms (ops/in_place.py), random fills
and sampling (ops/random_fill.py), and the function forms of methods (ops/functions.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor

RNG = np.random.default_rng(5)
M = RNG.standard_normal((4, 5))


# ----------------------------------------------------------------------- properties
def test_stride_offset_contiguity_sizes():
    base = tg.zeros(3, 4, 5)
    view = base[:, 1:, ::2]
    assert base.stride() == (20, 5, 1) and base.stride(-1) == 1
    assert view.stride() == (20, 5, 2) and view.stride(1) == 5
    assert view.storage_offset() == 5 and base.storage_offset() == 0
    assert base.is_contiguous() and not view.is_contiguous()
    assert view.nelement() == 3 * 3 * 3 == view.numel()
    assert view.element_size() == 4 == view.itemsize
    assert view.nbytes == 27 * 4
    assert tg.zeros(2, dtype=tg.float64).element_size() == 8
    assert view.data_ptr() == base.data_ptr() + 5 * 4
    assert tg.tensor(2.0).stride() == ()
    assert tg.is_floating_point(base) and not tg.zeros(2, dtype=tg.long).is_floating_point()
    with pytest.raises(ValueError, match="out of range"):
        base.stride(3)


# ------------------------------------------------------------------------- in-place
def test_clamp_forms():
    x = Tensor(M.copy())
    np.testing.assert_array_equal(tg.clamp_min(x, 0.1).data, np.where(M < 0.1, 0.1, M))
    np.testing.assert_array_equal(x.clamp_max(0.1).data, np.where(M > 0.1, 0.1, M))
    check_grads(lambda t: tg.clamp_min(t, 0.1), M)
    view = x.detach()
    assert x.clamp_(-0.5, 0.5) is x
    np.testing.assert_array_equal(view.data, np.minimum(np.maximum(M, -0.5), 0.5))
    x.clamp_min_(0.0)
    x.clamp_max_(0.25)
    assert x.data.min() >= 0 and x.data.max() <= 0.25
    ints = tg.arange(5)
    with pytest.raises(TypeError, match="cannot be stored"):
        ints.clamp_(1.5)
    np.testing.assert_array_equal(ints.data, np.arange(5))  # unchanged after the error


def test_in_place_refused_on_leaf_requiring_grad_and_allowed_under_no_grad():
    w = Tensor(M.copy(), requires_grad=True)
    for call in (
        lambda: w.clamp_(0, 1),
        lambda: w.addcmul_(Tensor(M), Tensor(M)),
        lambda: w.masked_fill_(Tensor(M > 0), 0.0),
        lambda: w.uniform_(),
        lambda: w.normal_(),
    ):
        with pytest.raises(RuntimeError, match="requires grad"):
            call()
    np.testing.assert_array_equal(w.data, M)
    with tg.no_grad():
        w.clamp_(0, 1)
    np.testing.assert_array_equal(w.data, np.clip(M, 0, 1))
    x = Tensor(M.copy())
    with pytest.raises(RuntimeError, match="operand requires grad"):
        x.addcmul_(Tensor(M, requires_grad=True), Tensor(M))


def test_in_place_change_after_use_refuses_backward():
    w = Tensor(M.copy(), requires_grad=True)
    x = Tensor(M.copy())
    y = (w * x).sum()
    x.index_fill_(0, Tensor(np.array([1])), 2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_addcmul_addcdiv_values_and_grads():
    t1, t2 = RNG.standard_normal((4, 5)), RNG.standard_normal(5) + 3
    np.testing.assert_allclose(
        tg.addcmul(Tensor(M), Tensor(t1), Tensor(t2), value=0.5).data, M + 0.5 * t1 * t2
    )
    np.testing.assert_allclose(
        tg.addcdiv(Tensor(M), Tensor(t1), Tensor(t2), value=-2).data, M - 2 * t1 / t2
    )
    check_grads(lambda x, a, b: tg.addcdiv(x, a, b, value=-2), M, t1, t2)
    check_grads(lambda x, a, b: x.addcmul(a, b, value=0.5), M, t1, t2)
    x = Tensor(M.copy())
    x.addcmul_(Tensor(t1), Tensor(t2), value=2).addcdiv_(Tensor(t1), Tensor(t2))
    np.testing.assert_allclose(x.data, M + 2 * t1 * t2 + t1 / t2)
    with pytest.raises(TypeError, match="floating"):
        x.addcdiv_(tg.ones(5, dtype=tg.long), tg.ones(5, dtype=tg.long))


def test_scatter_style_in_place_forms_write_into_the_array():
    x = tg.zeros(3, 2)
    alias = x.detach()
    x.scatter_(0, Tensor(np.array([[2, 0]])), 5.0)
    np.testing.assert_array_equal(alias.data, [[0, 5], [0, 0], [5, 0]])
    x.scatter_add_(0, Tensor(np.array([[2, 2]])), tg.ones(1, 2))
    x.index_add_(1, Tensor(np.array([0, 0])), tg.ones(3, 2), alpha=2)
    x.index_copy_(0, Tensor(np.array([1])), Tensor(np.array([[7.0, 8.0]], np.float32)))
    x.masked_fill_(Tensor(np.array([True, False])), -1.0)
    np.testing.assert_array_equal(alias.data, [[-1, 5], [-1, 8], [-1, 1]])
    x.index_fill_(1, Tensor(np.array([1])), 0.0)
    x.masked_scatter_(Tensor(np.array([[False, True]])), Tensor(np.array([1.0, 2, 3], np.float32)))
    np.testing.assert_array_equal(alias.data, [[-1, 1], [-1, 2], [-1, 3]])
    with pytest.raises(ValueError, match="only the other operands may broadcast"):
        tg.zeros(3).masked_fill_(tg.ones(2, 3, dtype=tg.bool), 1.0)


def test_detach_in_place():
    w = Tensor(M, requires_grad=True)
    y = w * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    np.testing.assert_array_equal(y.data, 2 * M)


# --------------------------------------------------------------------- random fills
FILLS = [
    ("uniform_", (-1.0, 3.0), 1.0, 16 / 12),
    ("normal_", (2.0, 0.5), 2.0, 0.25),
    ("exponential_", (2.0,), 0.5, 0.25),
    ("geometric_", (0.25,), 4.0, 0.75 / 0.0625),
    ("bernoulli_", (0.3,), 0.3, 0.21),
    ("random_", (3, 9), 5.5, (6 * 6 - 1) / 12),
    ("log_normal_", (0.0, 0.5), math.exp(0.125), (math.exp(0.25) - 1) * math.exp(0.25)),
]


@pytest.mark.parametrize("name, args, mean, var", FILLS)
def test_random_fill_moments_and_seeding(name, args, mean, var):
    n = 200_000
    tg.manual_seed(3)
    x = tg.zeros(n, dtype=tg.float64)
    assert getattr(x, name)(*args) is x
    # the sample mean is within 5 standard errors; the variance within 5%
    assert abs(x.data.mean() - mean) < 5 * math.sqrt(var / n)
    assert x.data.var() == pytest.approx(var, rel=0.05)
    tg.manual_seed(3)
    again = getattr(tg.zeros(n, dtype=tg.float64), name)(*args)
    np.testing.assert_array_equal(again.data, x.data)
    own = getattr(tg.zeros(n, dtype=tg.float64), name)(*args, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(own.data, x.data)


def test_random_fill_ranges_and_dtypes():
    tg.manual_seed(0)
    r = tg.zeros(10_000, dtype=tg.long).random_(5)
    assert set(np.unique(r.data).tolist()) == set(range(5))
    small = tg.zeros(1000, dtype=tg.int8).random_()
    assert small.data.min() >= 0 and small.data.max() <= 127
    f = tg.zeros(1000, dtype=tg.float16).random_()
    assert f.data.min() >= 0 and f.data.max() <= 2**11
    u = tg.zeros(1000).uniform_(**{"from": 2.0, "to": 3.0})
    assert u.dtype == np.float32 and 2 <= u.data.min() and u.data.max() < 3
    g = tg.zeros(1000, dtype=tg.int32).geometric_(0.5)
    assert g.dtype == np.int32 and g.data.min() >= 1
    c = tg.zeros(100_001, dtype=tg.float64).cauchy_(1.0, 2.0)
    # Cauchy: median 1 and quartiles 1 -/+ sigma
    assert np.median(c.data) == pytest.approx(1.0, abs=0.05)
    assert np.percentile(c.data, 75) == pytest.approx(3.0, abs=0.1)
    probs = Tensor(np.array([0.0, 1.0, 0.0]))
    np.testing.assert_array_equal(tg.zeros(3).bernoulli_(probs).data, [0, 1, 0])


def test_random_fill_errors_leave_the_tensor_unchanged():
    x = tg.ones(4)
    for call, error in (
        (lambda: x.uniform_(2, 1), ValueError),
        (lambda: x.normal_(0, -1), ValueError),
        (lambda: x.exponential_(0), ValueError),
        (lambda: x.geometric_(1.5), ValueError),
        (lambda: x.bernoulli_(1.5), ValueError),
        (lambda: x.random_(5, 5), ValueError),
        (lambda: x.log_normal_(0, 0), ValueError),
        (lambda: tg.ones(2, dtype=tg.long).normal_(), TypeError),
        (lambda: x.uniform_(generator=3), TypeError),
    ):
        with pytest.raises(error):
            call()
    np.testing.assert_array_equal(x.data, np.ones(4))


def test_random_fill_refuses_bounds_outside_the_dtype():
    # int8 holds -128..127 and uint8 0..255: draws from [0, 1000) or [-5, 3) would wrap around
    for dtype, bounds in ((tg.int8, (0, 1000)), (tg.uint8, (-5, 3)), (tg.bool, (0, 3))):
        x = tg.zeros(50, dtype=dtype)
        with pytest.raises(ValueError, match=f"out of range for a {np.dtype(x.dtype)} tensor"):
            x.random_(*bounds)
        np.testing.assert_array_equal(x.data, 0)
    edge = tg.zeros(2000, dtype=tg.int8).random_(-128, 128)  # the full range is allowed
    assert edge.data.min() < -100 and edge.data.max() > 100


def test_bernoulli_multinomial_normal_randint_like():
    tg.manual_seed(1)
    p = np.array([0.1, 0.5, 0.9])
    draws = tg.bernoulli(Tensor(np.tile(p, (20_000, 1))))
    assert draws.dtype == np.float64 and set(np.unique(draws.data)) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.data.mean(axis=0), p, atol=0.015)

    weights = np.array([[1.0, 2.0, 0.0, 7.0], [5.0, 5.0, 0.0, 0.0]])
    with_rep = tg.multinomial(Tensor(weights), 50_000, replacement=True).data
    assert with_rep.shape == (2, 50_000) and with_rep.dtype == np.int64
    for r in range(2):
        freq = np.bincount(with_rep[r], minlength=4) / 50_000
        np.testing.assert_allclose(freq, weights[r] / weights[r].sum(), atol=0.01)
    no_rep = tg.multinomial(Tensor(np.tile(weights[:1], (20_000, 1))), 2).data
    assert (no_rep[:, 0] != no_rep[:, 1]).all() and not (no_rep == 2).any()
    # first draw ~ weights; second given the first ~ the remaining weights renormalised
    first = np.bincount(no_rep[:, 0], minlength=4) / 20_000
    np.testing.assert_allclose(first, [0.1, 0.2, 0.0, 0.7], atol=0.015)
    second_after_3 = no_rep[no_rep[:, 0] == 3, 1]
    np.testing.assert_allclose(np.mean(second_after_3 == 1), 2 / 3, atol=0.02)
    with pytest.raises(ValueError, match="without replacement"):
        tg.multinomial(Tensor(weights), 5)
    with pytest.raises(ValueError, match=">= 0"):
        tg.multinomial(Tensor(np.array([1.0, -1.0])), 1)

    mean = Tensor(np.array([[0.0], [10.0]]), requires_grad=True)
    out = tg.normal(mean, Tensor(np.full(30_000, 2.0)))
    assert out.shape == (2, 30_000) and out.dtype == np.float64
    np.testing.assert_allclose(out.data.mean(axis=1), [0.0, 10.0], atol=0.05)
    np.testing.assert_allclose(out.data.std(axis=1), [2.0, 2.0], rtol=0.03)
    out.sum().backward()  # as torch: a graph with a zero gradient
    np.testing.assert_array_equal(mean.grad, np.zeros((2, 1)))
    assert tg.normal(1.0, 2.0, (3, 4)).shape == (3, 4)
    with pytest.raises(TypeError, match="size"):
        tg.normal(1.0, 2.0)

    ints = tg.randint_like(tg.zeros(10_000, dtype=tg.int32), 3, 9)
    assert ints.dtype == np.int32 and set(np.unique(ints.data).tolist()) == set(range(3, 9))
    assert tg.randint_like(tg.zeros(2, 3), 5).dtype == np.float32


# ------------------------------------------------------------------ function forms
def test_function_forms_are_the_methods():
    x = Tensor(M)
    np.testing.assert_array_equal(tg.reshape(x, (5, 4)).data, M.reshape(5, 4))
    np.testing.assert_array_equal(tg.permute(x, (1, 0)).data, M.T)
    np.testing.assert_array_equal(tg.transpose(x, 0, 1).data, M.T)
    np.testing.assert_array_equal(tg.t(x).data, M.T)
    assert tg.unsqueeze(x, 1).shape == (4, 1, 5)
    assert tg.squeeze(tg.unsqueeze(x, 0)).shape == (4, 5)
    np.testing.assert_array_equal(tg.neg(x).data, -M)
    np.testing.assert_array_equal(tg.mul(x, 2).data, 2 * M)
    np.testing.assert_array_equal(tg.gt(x, 0).data, M > 0)
    np.testing.assert_array_equal(tg.eq(x, x).data, np.ones_like(M, bool))
    np.testing.assert_allclose(tg.std(x, 1).data, M.std(axis=1, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(tg.var(x, correction=0).data, M.var(), rtol=1e-12)
    assert tg.clone(x).data is not x.data
    check_grads(lambda t: tg.clone(tg.transpose(t, 0, 1)), M)


def test_add_sub_div_pow_functions():
    x, y = Tensor(M), Tensor(np.arange(1.0, 6.0))
    np.testing.assert_allclose(tg.add(x, y, alpha=2).data, M + 2 * np.arange(1.0, 6.0))
    np.testing.assert_allclose(tg.sub(x, y, alpha=0.5).data, M - 0.5 * np.arange(1.0, 6.0))
    np.testing.assert_allclose(tg.sub(3.0, x).data, 3.0 - M)
    np.testing.assert_allclose(tg.pow(2.0, x).data, 2.0**M)
    check_grads(lambda a, b: tg.add(a, b, alpha=-3), M, np.arange(1.0, 6.0))
    check_grads(lambda a: tg.pow(2.0, a), M)
    a = np.array([-7, 7, -6, 5, 0])
    b = np.array([2, -2, 4, 5, 3])
    floor = tg.div(Tensor(a), Tensor(b), rounding_mode="floor")
    trunc = tg.divide(Tensor(a), Tensor(b), rounding_mode="trunc")
    assert floor.dtype == np.int64 and trunc.dtype == np.int64
    assert floor.data.tolist() == [math.floor(p / q) for p, q in zip(a, b)]
    assert trunc.data.tolist() == [int(p / q) for p, q in zip(a, b)]
    f = tg.div(Tensor(M * 5), y, rounding_mode="trunc")
    np.testing.assert_array_equal(f.data, np.trunc(M * 5 / np.arange(1.0, 6.0)))
    with pytest.raises(ValueError, match="rounding_mode"):
        tg.div(x, y, rounding_mode="round")


def test_integer_div_with_rounding_keeps_the_dtype_and_refuses_zero_divisors():
    # int32 by a Python int stays int32 (a number never widens a tensor), from either side
    i32 = Tensor(np.array([7, -7], dtype=np.int32))
    for mode, want in (("floor", [3, -4]), ("trunc", [3, -3])):
        out = tg.div(i32, 2, rounding_mode=mode)
        assert out.dtype == np.int32 and out.data.tolist() == want
    back = tg.div(7, Tensor(np.array([2, -2], dtype=np.int32)), rounding_mode="floor")
    assert back.dtype == np.int32 and back.data.tolist() == [3, -4]
    for mode in ("floor", "trunc"):  # numpy would give 0 with a warning
        with pytest.raises(ZeroDivisionError, match="div: integer division by zero"):
            tg.div(Tensor(np.array([3, -3])), Tensor(np.array([0, 2])), rounding_mode=mode)


def test_in_place_function_forms():
    x = tg.arange(5.0)
    assert tg.clamp_(x, 1, 3) is x and x.data.tolist() == [1, 1, 2, 3, 3]
    tg.zero_(x)
    assert x.data.tolist() == [0] * 5
    tg.fill_(x, 2.0)
    assert x.data.tolist() == [2] * 5
