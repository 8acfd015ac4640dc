"""Elementwise math, scans and statistics of the PyTorch Tensor API (ops/unary_math.py,
binary_math.py, special.py, scan.py, statistics.py): values against math-module and naive
numpy references, float64 finite-difference gradients, NaN/Inf and dtype rules, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor

RNG = np.random.default_rng(7)


def uniform(lo, hi, *shape):
    return RNG.uniform(lo, hi, shape)


def vec(fn):
    return np.vectorize(fn, otypes=[np.float64])


# ------------------------------------------------------------------------ unary elementwise
def _digamma_ref(x):
    """psi by its series psi(x) = -gamma + sum_{k>=0} (1/(k+1) - 1/(k+x)), summed far out
    after a shift by the recurrence: an independent (slow) reference."""
    shift = 0.0
    while x < 20:
        shift -= 1.0 / x
        x += 1.0
    # asymptotic expansion at x >= 20 with exact rational coefficients
    return shift + math.log(x) - 1 / (2 * x) - 1 / (12 * x**2) + 1 / (120 * x**4) - 1 / (
        252 * x**6
    ) + 1 / (240 * x**8) - 1 / (132 * x**10)


UNARY = [
    ("acos", vec(math.acos), (-0.9, 0.9)),
    ("asin", vec(math.asin), (-0.9, 0.9)),
    ("atan", vec(math.atan), (-3, 3)),
    ("cosh", vec(math.cosh), (-3, 3)),
    ("sinh", vec(math.sinh), (-3, 3)),
    ("tan", vec(math.tan), (-1.2, 1.2)),
    ("erf", vec(math.erf), (-3, 3)),
    ("erfc", vec(math.erfc), (-3, 3)),
    ("lgamma", vec(math.lgamma), (0.1, 30)),
    ("digamma", vec(_digamma_ref), (0.2, 30)),
    ("log1p", vec(math.log1p), (-0.9, 5)),
    ("log2", vec(math.log2), (0.1, 5)),
    ("log10", vec(math.log10), (0.1, 5)),
    ("exp2", vec(lambda v: 2.0**v), (-3, 3)),
    ("expm1", vec(math.expm1), (-3, 3)),
    ("deg2rad", vec(math.radians), (-360, 360)),
    ("rad2deg", vec(math.degrees), (-7, 7)),
    ("frac", vec(lambda v: math.fmod(v, 1.0)), (-5, 5)),
]


@pytest.mark.parametrize("name,ref,bounds", UNARY, ids=[u[0] for u in UNARY])
def test_unary_values_gradients_and_float32(name, ref, bounds):
    a = uniform(*bounds, 3, 4)
    if name == "frac":  # keep the finite-difference step away from integers
        a = np.where(np.abs(a - np.round(a)) < 0.05, a + 0.1, a)
    method = getattr(Tensor, name)
    np.testing.assert_allclose(method(Tensor(a)).data, ref(a), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(getattr(tg, name)(Tensor(a)).data, ref(a), rtol=1e-12, atol=1e-12)
    out32 = method(Tensor(a.astype(np.float32)))
    assert out32.dtype == np.float32
    check_grads(method, a, rtol=1e-5, atol=1e-6)


def test_lgamma_to_float64_rounding_including_negative_arguments():
    x = np.concatenate([np.linspace(-30.5, 40, 2001), np.logspace(-10, 5, 400)])
    x = x[np.abs(x - np.round(x)) > 1e-9]  # off the poles
    want = vec(math.lgamma)(x)
    got = tg.lgamma(Tensor(x)).data
    positive = x > 0
    np.testing.assert_allclose(got[positive], want[positive], rtol=2e-14, atol=5e-14)
    # below 0.5 the reflection formula subtracts lgamma(1 - x) from log(pi / |sin(pi x)|):
    # absolute error of a few ulps of those terms
    np.testing.assert_allclose(got[~positive], want[~positive], rtol=2e-14, atol=2e-13)
    check_grads(tg.lgamma, np.array([-2.5, -0.3, 0.7, 3.3, 12.0]))


def test_lgamma_digamma_poles_and_infinities_as_torch():
    x = np.array([0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, np.nan, 1.0, 2.0])
    lg = tg.lgamma(Tensor(x)).data
    np.testing.assert_array_equal(lg[:6], np.inf)
    assert np.isnan(lg[6]) and lg[7] == 0 and lg[8] == 0
    dg = tg.digamma(Tensor(x)).data
    assert dg[0] == -np.inf and dg[1] == np.inf  # psi(+0) = -inf, psi(-0) = +inf
    assert np.isnan(dg[2]) and np.isnan(dg[3]) and np.isnan(dg[5]) and dg[4] == np.inf
    np.testing.assert_allclose(dg[7], -0.5772156649015329, rtol=5e-14)  # -Euler's gamma


def test_digamma_gradient_is_trigamma():
    check_grads(tg.digamma, np.array([-1.5, -0.2, 0.4, 2.5, 9.0]), rtol=1e-5, atol=1e-6)


def test_erfinv_inverts_erf_with_infinities_at_the_ends():
    y = uniform(-0.999, 0.999, 50)
    x = tg.erfinv(Tensor(y)).data
    np.testing.assert_allclose(vec(math.erf)(x), y, rtol=1e-13, atol=1e-15)
    ends = tg.erfinv(Tensor(np.array([-1.0, 1.0, 1.5, np.nan]))).data
    assert ends[0] == -np.inf and ends[1] == np.inf and np.isnan(ends[2]) and np.isnan(ends[3])
    check_grads(tg.erfinv, uniform(-0.9, 0.9, 6))


def test_erfc_keeps_its_tail_where_one_minus_erf_cancels():
    out = tg.erfc(Tensor(np.array([10.0, 25.0]))).data
    np.testing.assert_allclose(out, [math.erfc(10.0), math.erfc(25.0)], rtol=1e-14)
    assert out[1] > 0


def test_integer_input_gives_float32_and_special_values_follow_numpy():
    assert tg.acos(Tensor(np.array([0, 1]))).dtype == np.float32
    assert tg.log1p(Tensor(np.array([1, 2]))).dtype == np.float32
    out = tg.acos(Tensor(np.array([2.0, np.nan]))).data
    assert np.isnan(out).all()
    assert tg.log1p(Tensor(np.array([-1.0]))).data[0] == -np.inf
    assert tg.expm1(Tensor(np.array([-np.inf]))).data[0] == -1


def test_trunc_fix_sgn_signbit():
    a = np.array([-2.7, -0.5, 0.0, -0.0, 1.5, np.inf, np.nan])
    np.testing.assert_array_equal(tg.trunc(Tensor(a)).data, np.trunc(a))
    np.testing.assert_array_equal(Tensor(a).fix().data, np.trunc(a))
    assert tg.trunc(Tensor(np.array([3, -4]))).dtype == np.int64
    np.testing.assert_array_equal(tg.sgn(Tensor(a)).data, [-1, -1, 0, 0, 1, 1, 0])
    np.testing.assert_array_equal(
        tg.signbit(Tensor(a)).data, [True, True, False, True, False, False, False]
    )
    x = Tensor(a[:5], requires_grad=True)
    tg.trunc(x).sum().backward()
    np.testing.assert_array_equal(x.grad, 0)


def test_frac_refuses_integers():
    with pytest.raises(TypeError, match="frac: needs a floating-point tensor"):
        tg.frac(Tensor(np.array([1, 2])))


# ----------------------------------------------------------------------- binary elementwise
BINARY = [
    ("atan2", np.arctan2, (-2, 2), (-2, 2)),
    ("hypot", np.hypot, (-2, 2), (-2, 2)),
    ("fmod", lambda a, b: a - b * np.trunc(a / b), (-5, 5), (0.7, 2)),
    ("remainder", lambda a, b: a - b * np.floor(a / b), (-5, 5), (-2, -0.7)),
    ("xlogy", lambda a, b: a * np.log(b), (-2, 2), (0.2, 3)),
    ("logaddexp", lambda a, b: np.log(np.exp(a) + np.exp(b)), (-3, 3), (-3, 3)),
    ("logaddexp2", lambda a, b: np.log2(2**a + 2**b), (-3, 3), (-3, 3)),
    ("float_power", lambda a, b: a**b, (0.5, 2), (-2, 2)),
    ("true_divide", lambda a, b: a / b, (-2, 2), (0.5, 2)),
]


@pytest.mark.parametrize("name,ref,ba,bb", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1))])
def test_binary_values_and_broadcast_gradients(name, ref, ba, bb, shapes):
    a, b = uniform(*ba, *shapes[0]), uniform(*bb, *shapes[1])
    if name in ("fmod", "remainder"):  # keep a / b away from the integer jumps
        q = a / b
        a = np.where(np.abs(q - np.round(q)) < 0.05, a + 0.2 * b, a)
    fn = getattr(tg, name)
    np.testing.assert_allclose(fn(Tensor(a), Tensor(b)).data, ref(a, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(getattr(Tensor(a), name)(Tensor(b)).data, ref(a, b), rtol=1e-12)
    check_grads(fn, a, b)


def test_binary_dtypes_follow_the_arithmetic_rules():
    i = Tensor(np.array([-7, 7, 5]))
    j = Tensor(np.array([3, -3, 2]))
    assert tg.atan2(i, j).dtype == np.float32
    np.testing.assert_array_equal(tg.fmod(i, j).data, [-1, 1, 1])
    np.testing.assert_array_equal(tg.remainder(i, j).data, [2, -2, 1])
    np.testing.assert_array_equal(tg.floor_divide(i, j).data, [-3, -3, 2])
    assert tg.fmod(i, j).dtype == np.int64
    f32 = Tensor(np.array([1.5, -2.5], dtype=np.float32))
    assert tg.atan2(f32, 2.0).dtype == np.float32
    assert tg.xlogy(f32, 3).dtype == np.float32
    assert tg.float_power(f32, 2).dtype == np.float64
    np.testing.assert_allclose(tg.float_power(f32, 2).data, [2.25, 6.25])


def test_integer_division_by_zero_raises():
    with pytest.raises(ZeroDivisionError, match="remainder: integer division by zero"):
        tg.remainder(Tensor(np.array([5])), Tensor(np.array([0])))
    with pytest.raises(ValueError, match=r"atan2: shapes \(3,\) and \(2,\) cannot broadcast"):
        tg.atan2(Tensor(np.ones(3)), Tensor(np.ones(2)))


def test_floor_divide_rounds_down_with_zero_gradient():
    x = Tensor(np.array([-7.0, 7.5]), requires_grad=True)
    out = tg.floor_divide(x, 2)
    np.testing.assert_array_equal(out.data, [-4, 3])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, 0)


def test_xlogy_zero_times_log_zero_is_zero_but_nan_propagates():
    x = Tensor(np.array([0.0, 0.0, 2.0]), requires_grad=True)
    out = tg.xlogy(x, Tensor(np.array([0.0, np.nan, 1.0])))
    assert out.data[0] == 0 and np.isnan(out.data[1]) and out.data[2] == 0
    out.sum().backward()
    assert x.grad[0] == 0  # log(0) is not used where x == 0
    assert np.isnan(x.grad[1])


def test_xlogy_gradient_in_x_is_log_y_even_where_x_is_zero():
    # d/dx x log y = log y for y > 0 whatever x; 0 only where x == 0 and y <= 0 (as torch)
    x = Tensor(np.array([0.0, 0.0, 0.0, 1.5]), requires_grad=True)
    y = np.array([0.5, 3.0, -1.0, 2.0])
    tg.xlogy(x, Tensor(y)).sum().backward()
    np.testing.assert_allclose(x.grad, [math.log(0.5), math.log(3.0), 0.0, math.log(2.0)])


def test_logaddexp_does_not_overflow_and_handles_infinities():
    out = tg.logaddexp(Tensor(np.array([1000.0, -np.inf, np.inf])),
                       Tensor(np.array([1000.0, -np.inf, 1.0]))).data
    np.testing.assert_allclose(out[0], 1000 + math.log(2), rtol=1e-15)
    assert out[1] == -np.inf and out[2] == np.inf


def test_logaddexp_gradients_with_one_infinite_operand():
    # d/da log(e^a + e^b) = 1 / (1 + e^(b - a)): 0 for a finite and b = +inf, 1 for a = +inf
    for op, base in ((tg.logaddexp, math.e), (tg.logaddexp2, 2.0)):
        a = Tensor(np.array([1.0, np.inf, 0.5, -np.inf]), requires_grad=True)
        b = Tensor(np.array([np.inf, 2.0, -0.25, 3.0]), requires_grad=True)
        op(a, b).sum().backward()
        sig = 1 / (1 + base ** (-0.25 - 0.5))
        np.testing.assert_allclose(a.grad, [0.0, 1.0, sig, 0.0])
        np.testing.assert_allclose(b.grad, [1.0, 0.0, 1 - sig, 1.0])


def test_atan2_gradient_at_the_origin_is_zero():
    y = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    x = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    tg.atan2(y, x).sum().backward()
    np.testing.assert_allclose(y.grad, [0.0, 2.0 / 5.0])  # x / (x^2 + y^2), 0 at (0, 0)
    np.testing.assert_allclose(x.grad, [0.0, -1.0 / 5.0])


def test_lerp_with_scalar_and_tensor_weights():
    a, b, w = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4)), RNG.random((4,))
    np.testing.assert_allclose(tg.lerp(Tensor(a), Tensor(b), 0.25).data, a + 0.25 * (b - a))
    np.testing.assert_allclose(Tensor(a).lerp(Tensor(b), Tensor(w)).data, a + w * (b - a))
    check_grads(lambda x, y: tg.lerp(x, y, 0.25), a, b)
    check_grads(tg.lerp, a, b, w)
    with pytest.raises(TypeError, match="lerp: needs floating-point"):
        tg.lerp(Tensor(np.array([1, 2])), Tensor(np.array([3, 4])), 0.5)


def test_logical_ops_and_isin():
    a = Tensor(np.array([0.0, 1.5, -2.0, 0.0]))
    b = Tensor(np.array([1, 0, 3, 0]))
    np.testing.assert_array_equal(tg.logical_and(a, b).data, [False, False, True, False])
    np.testing.assert_array_equal(a.logical_or(b).data, [True, True, True, False])
    np.testing.assert_array_equal(a.logical_xor(b).data, [True, True, False, False])
    np.testing.assert_array_equal(a.logical_not().data, [True, False, False, True])
    assert tg.logical_and(a, b).dtype == np.bool_
    e = Tensor(np.array([[1, 2], [3, 4]]))
    np.testing.assert_array_equal(tg.isin(e, Tensor(np.array([2, 4]))).data, [[0, 1], [0, 1]])
    np.testing.assert_array_equal(tg.isin(e, 3, invert=True).data, [[1, 1], [0, 1]])


# ---------------------------------------------------------------------------------- scans
def _naive_cumprod(a, ax):
    out = np.moveaxis(a.copy(), ax, -1)
    for k in range(1, out.shape[-1]):
        out[..., k] = out[..., k - 1] * out[..., k]
    return np.moveaxis(out, -1, ax)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumprod_values_and_gradients_with_zeros(dim):
    a = RNG.uniform(0.5, 1.5, (4, 5)) * RNG.choice([-1, 1], (4, 5))
    np.testing.assert_allclose(tg.cumprod(Tensor(a), dim).data, _naive_cumprod(a, dim))
    check_grads(lambda t: t.cumprod(dim), a)
    z = a.copy()
    z[1, 2] = 0.0  # one zero
    z[3, 0] = z[3, 3] = 0.0  # two zeros in one row
    z[0, 0] = 0.0
    # d y_k / d x_i with zeros by the product formula, summed against a random seed
    x = Tensor(z, requires_grad=True)
    seed = RNG.standard_normal(z.shape)
    (tg.cumprod(x, dim) * Tensor(seed)).sum().backward()
    m = np.moveaxis(z, dim, -1)
    s = np.moveaxis(seed, dim, -1)
    want = np.zeros_like(m)
    n = m.shape[-1]
    for i in range(n):
        for k in range(i, n):
            others = np.prod(np.delete(m[..., : k + 1], i, axis=-1), axis=-1)
            want[..., i] += s[..., k] * others
    np.testing.assert_allclose(x.grad, np.moveaxis(want, -1, dim), rtol=1e-12, atol=1e-12)


def test_cumprod_integer_gives_int64_and_needs_dim():
    assert tg.cumprod(Tensor(np.array([1, 2, 3], dtype=np.int32)), 0).dtype == np.int64
    with pytest.raises(TypeError, match="cumprod: dim is required"):
        Tensor(np.ones(3)).cumprod()


def _naive_cummax(a):
    values, indices = np.empty_like(a), np.empty(a.shape, np.int64)
    best, where = a[0], 0
    for k, v in enumerate(a):
        if np.isnan(best):
            if np.isnan(v):
                where = k
        elif np.isnan(v) or v >= best:
            best, where = v, k
        values[k], indices[k] = best, where
    return values, indices


def test_cummax_cummin_ties_take_the_later_index_and_nan_sticks():
    a = np.array([1.0, 3, 3, 2, np.nan, 5, np.nan])
    values, indices = tg.cummax(Tensor(a), 0)
    want_v, want_i = _naive_cummax(a)
    np.testing.assert_array_equal(values.data, want_v)
    np.testing.assert_array_equal(indices.data, want_i)
    values, indices = Tensor(-a).cummin(dim=0)
    np.testing.assert_array_equal(values.data, -want_v)
    np.testing.assert_array_equal(indices.data, want_i)
    assert indices.dtype == np.int64


def test_cummax_gradient_goes_to_the_running_argmax():
    a = np.array([[0.5, 2.0, 1.0, 3.0], [4.0, 1.0, 5.0, 2.0]])
    x = Tensor(a, requires_grad=True)
    values, indices = tg.cummax(x, 1)
    seed = RNG.standard_normal(a.shape)
    (values * Tensor(seed)).sum().backward()
    want = np.zeros_like(a)
    for r in range(2):
        for k in range(4):
            want[r, indices.data[r, k]] += seed[r, k]
    np.testing.assert_allclose(x.grad, want)
    check_grads(lambda t: tg.cummin(t, 0).values, RNG.standard_normal((4, 3)))


def test_logcumsumexp_is_stable_and_differentiable():
    a = RNG.standard_normal((3, 5)) * 3
    want = np.log(np.cumsum(np.exp(a), axis=1))
    np.testing.assert_allclose(tg.logcumsumexp(Tensor(a), 1).data, want, rtol=1e-13)
    big = np.array([1000.0, 1001.0, -np.inf])
    both = 1001 + math.log1p(math.exp(-1))
    np.testing.assert_allclose(Tensor(big).logcumsumexp(0).data, [1000, both, both])
    check_grads(lambda t: tg.logcumsumexp(t, 0), a * 10)


def test_diff_orders_prepend_append_and_bool():
    a = RNG.standard_normal((3, 5))
    p = RNG.standard_normal((3, 1))
    want = np.diff(np.concatenate([p, a], axis=1), n=2, axis=1)
    np.testing.assert_allclose(tg.diff(Tensor(a), 2, prepend=Tensor(p)).data, want)
    np.testing.assert_allclose(Tensor(a).diff(dim=0, append=Tensor(a[:1])).data,
                               np.diff(np.concatenate([a, a[:1]]), axis=0))
    check_grads(lambda t, q: tg.diff(t, 2, 1, prepend=q), a, p)
    np.testing.assert_array_equal(tg.diff(Tensor(np.array([True, False, False]))).data,
                                  [True, False])
    assert tg.diff(Tensor(np.array([1, 4, 9]))).dtype == np.int64
    with pytest.raises(ValueError, match="diff: prepend must have as many dimensions"):
        tg.diff(Tensor(a), prepend=Tensor(1.0))


# ----------------------------------------------------------------------------- statistics
def test_median_is_the_lower_median_and_returns_values_indices_with_dim():
    a = np.array([[4.0, 1.0, 3.0, 2.0], [7.0, 5.0, 6.0, 8.0]])
    assert tg.median(Tensor(a)).data == np.sort(a.ravel())[3]  # lower of the middle pair
    values, indices = Tensor(a).median(1)
    np.testing.assert_array_equal(values.data, [2.0, 6.0])
    np.testing.assert_array_equal(indices.data, [3, 2])
    kept = tg.median(Tensor(a), dim=1, keepdim=True)
    assert kept.values.shape == (2, 1) and kept.indices.shape == (2, 1)
    check_grads(lambda t: t.median(1).values, RNG.standard_normal((3, 5)))
    check_grads(lambda t: tg.median(t), RNG.standard_normal((3, 5)))


def test_median_nan_and_nanmedian():
    a = np.array([[1.0, np.nan, 3.0, 2.0], [np.nan, 4.0, 0.0, np.nan]])
    values, indices = tg.median(Tensor(a), 1)
    assert np.isnan(values.data).all()
    np.testing.assert_array_equal(indices.data, [1, 0])
    values, indices = tg.nanmedian(Tensor(a), 1)
    np.testing.assert_array_equal(values.data, [2.0, 0.0])
    np.testing.assert_array_equal(indices.data, [3, 2])
    assert np.isnan(tg.median(Tensor(a)).data)
    assert tg.nanmedian(Tensor(a)).data == 2.0  # sorted numbers 0 1 2 3 4


def test_median_of_all_elements_splits_its_gradient_among_ties_and_is_nan_when_empty():
    # median over everything: a subgradient shared equally by the elements equal to it
    x = Tensor(np.array([[2.0, 1.0, 2.0], [5.0, 2.0, 0.0]]), requires_grad=True)
    tg.median(x).backward()  # sorted 0 1 2 2 2 5: the lower median 2 occurs three times
    np.testing.assert_allclose(x.grad, [[1 / 3, 0, 1 / 3], [0, 1 / 3, 0]])
    y = Tensor(np.array([np.nan, 1.0, np.nan, 3.0]), requires_grad=True)
    tg.median(y).backward()  # NaN: shared by the NaNs
    np.testing.assert_allclose(y.grad, [0.5, 0, 0.5, 0])
    z = Tensor(np.array([np.nan, 4.0, 1.0, 4.0]), requires_grad=True)
    tg.nanmedian(z).backward()  # median of 1 4 4 is 4
    np.testing.assert_allclose(z.grad, [0, 0.5, 0, 0.5])
    empty = Tensor(np.zeros((0, 3)), requires_grad=True)
    out = tg.median(empty)
    assert out.shape == () and np.isnan(out.item())
    out.backward()
    assert empty.grad.shape == (0, 3)
    with pytest.raises(ValueError, match="median of an empty int64 tensor"):
        tg.median(Tensor(np.zeros(0, dtype=np.int64)))


QUANTILE_METHODS = {
    "linear": lambda s, pos: s[int(np.floor(pos))] + (pos - np.floor(pos)) * (
        s[int(np.ceil(pos))] - s[int(np.floor(pos))]),
    "lower": lambda s, pos: s[int(np.floor(pos))],
    "higher": lambda s, pos: s[int(np.ceil(pos))],
    "midpoint": lambda s, pos: (s[int(np.floor(pos))] + s[int(np.ceil(pos))]) / 2,
    "nearest": lambda s, pos: s[int(np.round(pos))],
}


@pytest.mark.parametrize("interpolation", list(QUANTILE_METHODS))
def test_quantile_interpolation_modes_against_the_definition(interpolation):
    a = RNG.standard_normal((3, 6))
    qs = [0.0, 0.1, 0.3, 0.5, 0.9, 1.0]
    out = tg.quantile(Tensor(a), qs, dim=1, interpolation=interpolation).data
    assert out.shape == (6, 3)
    for i, q in enumerate(qs):
        for r in range(3):
            s = np.sort(a[r])
            want = QUANTILE_METHODS[interpolation](s, q * 5)
            np.testing.assert_allclose(out[i, r], want, rtol=1e-14)
    check_grads(lambda t: tg.quantile(t, [0.25, 0.7], dim=1, interpolation=interpolation), a)


def test_quantile_scalar_q_keepdim_all_elements_nan_and_errors():
    a = RNG.standard_normal((2, 3))
    assert tg.quantile(Tensor(a), 0.5).shape == ()
    assert tg.quantile(Tensor(a), 0.5, keepdim=True).shape == (1, 1)
    assert tg.quantile(Tensor(a), [0.5], dim=0, keepdim=True).shape == (1, 1, 3)
    np.testing.assert_allclose(tg.quantile(Tensor(a), 0.5).data, np.median(a))
    b = a.copy()
    b[0, 1] = np.nan
    assert np.isnan(tg.quantile(Tensor(b), 0.5, dim=1).data[0])
    np.testing.assert_allclose(tg.nanquantile(Tensor(b), 0.5, dim=1).data[0],
                               np.mean([a[0, 0], a[0, 2]]))
    with pytest.raises(ValueError, match=r"quantile: q values must be in \[0, 1\]"):
        tg.quantile(Tensor(a), 1.5)
    with pytest.raises(ValueError, match="interpolation must be one of"):
        tg.quantile(Tensor(a), 0.5, interpolation="cubic")
    with pytest.raises(TypeError, match="quantile: needs a floating-point tensor"):
        tg.quantile(Tensor(np.array([1, 2])), 0.5)


def test_mode_picks_the_smallest_most_frequent_value_and_its_last_index():
    a = np.array([[1.0, 2, 2, 3, 3], [5, 5, 4, 4, 4]])
    values, indices = tg.mode(Tensor(a))
    np.testing.assert_array_equal(values.data, [2, 4])
    np.testing.assert_array_equal(indices.data, [2, 4])
    x = Tensor(a, requires_grad=True)
    x.mode(1).values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 1, 0, 0], [0, 0, 0, 0, 1]])


def test_kthvalue_values_indices_gradient_and_range_error():
    a = RNG.standard_normal((4, 5))
    values, indices = tg.kthvalue(Tensor(a), 2, 0)
    np.testing.assert_array_equal(values.data, np.sort(a, axis=0)[1])
    np.testing.assert_array_equal(a[indices.data, np.arange(5)], values.data)
    check_grads(lambda t: t.kthvalue(3).values, a)
    with pytest.raises(ValueError, match=r"kthvalue: k must be an int in \[1, 5\]"):
        Tensor(a).kthvalue(6)


def test_nansum_nanmean_ignore_nan_in_values_and_gradients():
    a = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]])
    np.testing.assert_array_equal(tg.nansum(Tensor(a), 1).data, [4.0, 0.0])
    out = tg.nanmean(Tensor(a), dim=1).data
    assert out[0] == 2.0 and np.isnan(out[1])
    x = Tensor(a, requires_grad=True)
    x.nansum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 0, 1], [0, 0, 0]])
    y = Tensor(a[:1], requires_grad=True)
    y.nanmean().backward()
    np.testing.assert_array_equal(y.grad, [[0.5, 0, 0.5]])


def test_var_mean_std_mean_and_count_nonzero():
    a = RNG.standard_normal((3, 5))
    v, m = tg.var_mean(Tensor(a), 1, correction=0)
    np.testing.assert_allclose(v.data, a.var(axis=1))
    np.testing.assert_allclose(m.data, a.mean(axis=1))
    s, m = tg.std_mean(Tensor(a), keepdim=True)
    np.testing.assert_allclose(s.data, [[a.std(ddof=1)]])
    z = np.array([[0, 1, 2], [0, 0, 3]])
    np.testing.assert_array_equal(tg.count_nonzero(Tensor(z), dim=0).data, [0, 1, 2])
    assert Tensor(z).count_nonzero().data == 3
    assert tg.count_nonzero(Tensor(z)).dtype == np.int64


def _naive_cov(x, correction, fw, aw):
    w = fw * aw
    mean = (x * w).sum(axis=1) / w.sum()
    n_var, n_obs = x.shape
    out = np.zeros((n_var, n_var))
    for i in range(n_var):
        for j in range(n_var):
            out[i, j] = sum(w[k] * (x[i, k] - mean[i]) * (x[j, k] - mean[j]) for k in range(n_obs))
    return out / (w.sum() - correction * (w * aw).sum() / w.sum())


def test_cov_with_weights_corrcoef_and_gradients():
    x = RNG.standard_normal((3, 6))
    fw = np.array([1, 2, 1, 3, 1, 2])
    aw = RNG.uniform(0.2, 1, 6)
    np.testing.assert_allclose(tg.cov(Tensor(x)).data, _naive_cov(x, 1, np.ones(6), np.ones(6)))
    np.testing.assert_allclose(
        tg.cov(Tensor(x), correction=0, fweights=Tensor(fw), aweights=Tensor(aw)).data,
        _naive_cov(x, 0, fw, aw),
    )
    c = _naive_cov(x, 1, np.ones(6), np.ones(6))
    d = np.sqrt(np.diag(c))
    np.testing.assert_allclose(tg.corrcoef(Tensor(x)).data, c / np.outer(d, d))
    assert tg.cov(Tensor(x[0])).shape == ()
    # one variable as a one-row matrix: its variance as a 0-d tensor too (as torch)
    one_row = tg.cov(Tensor(x[:1]))
    assert one_row.shape == ()
    np.testing.assert_allclose(one_row.data, _naive_cov(x[:1], 1, np.ones(6), np.ones(6))[0, 0])
    assert tg.corrcoef(Tensor(x[:1])).shape == ()
    check_grads(lambda t: tg.cov(t, fweights=fw, aweights=aw), x)
    check_grads(tg.corrcoef, x)
    with pytest.raises(ValueError, match="cov: fweights must be a 1-D tensor of 6 observations"):
        tg.cov(Tensor(x), fweights=np.ones(5, dtype=np.int64))
    with pytest.raises(TypeError, match="cov: fweights must be integers"):
        tg.cov(Tensor(x), fweights=np.ones(6))


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, np.inf, -np.inf])
def test_dist_p_norms(p):
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((4,))
    d = np.abs(a - b).ravel()
    if p == np.inf:
        want = d.max()
    elif p == -np.inf:
        want = d.min()
    else:
        want = (d**p).sum() ** (1 / p)
    np.testing.assert_allclose(tg.dist(Tensor(a), Tensor(b), p).data, want)
    check_grads(lambda x, y: x.dist(y, p), a, b)


def test_dist_zero_counts_and_zero_distance_has_zero_gradient():
    assert tg.dist(Tensor(np.array([1.0, 2, 3])), Tensor(np.array([1.0, 0, 0])), 0).data == 2
    x = Tensor(np.ones(3), requires_grad=True)
    tg.dist(x, Tensor(np.ones(3))).backward()
    np.testing.assert_array_equal(x.grad, 0)
    for p in (3.0, 0.5):  # p != 1, 2: zero distance, and zero entries with p < 1
        x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        tg.dist(x, Tensor(np.array([1.0, 2.0, 3.0])), p).backward()
        np.testing.assert_array_equal(x.grad, 0)
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    tg.dist(x, Tensor(np.array([1.0, 1.0, 2.0])), 0.5).backward()
    np.testing.assert_allclose(x.grad, [0.0, 2.0, 2.0])  # (|d| / 4)^(-1/2) sign(d), d=(0,1,1)


def test_renorm_scales_only_slices_over_maxnorm():
    a = RNG.standard_normal((3, 4)) * 2
    out = tg.renorm(Tensor(a), 2, 0, 1.5).data
    for r in range(3):
        norm = np.sqrt((a[r] ** 2).sum())
        want = a[r] * (1.5 / (norm + 1e-7) if norm > 1.5 else 1.0)
        np.testing.assert_allclose(out[r], want)
    check_grads(lambda t: t.renorm(3, 1, 1.0), a)
    # an all-zero slice is left alone, with gradient 1 (not NaN through its zero norm)
    for p in (2, 3):
        x = Tensor(np.array([[0.0, 0.0], [3.0, 4.0]]), requires_grad=True)
        x.renorm(p, 0, 1.0)[0].sum().backward()
        np.testing.assert_array_equal(x.grad, [[1.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="renorm: p must be positive"):
        tg.renorm(Tensor(a), 0, 0, 1.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.cumprod(2),
        lambda t: t.cummax(-3),
        lambda t: t.logcumsumexp(5),
        lambda t: t.median(2),
        lambda t: t.mode(3),
        lambda t: t.kthvalue(1, 2),
        lambda t: tg.quantile(t, 0.5, dim=2),
        lambda t: t.diff(dim=2),
        lambda t: t.renorm(2, 2, 1.0),
    ],
)
def test_bad_dims_name_the_range(call):
    with pytest.raises(ValueError, match=r"out of range for a tensor with 2 dimensions"):
        call(Tensor(np.ones((2, 3))))


def test_diff_past_the_length_gives_an_empty_dimension():
    assert tg.diff(Tensor(np.ones((2, 3))), n=4, dim=0).shape == (0, 3)
