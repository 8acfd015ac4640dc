"""The remaining torch.Tensor methods: in-place math and view changes
(ops/in_place_math.py), aliases, inverse hyperbolics and special functions
(ops/unary_special.py), fmax/fmin/copysign/heaviside/ldexp/nextafter/frexp
(ops/binary_extra.py), bitwise ops and gcd/lcm (ops/bitwise.py), reshaping helpers
(ops/reshaping_extra.py), predicates (ops/tensor_queries.py) and
register_post_accumulate_grad_hook. References are math/numpy formulas and naive loops;
gradients are checked against float64 finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor

RNG = np.random.default_rng(11)
X = RNG.uniform(-2.5, 2.5, 6)
UNIT = RNG.uniform(0.05, 0.95, 6)


def elementwise(fn, *arrays):
    """A naive loop applying the Python scalar function fn to each (broadcast) element."""
    arrays = np.broadcast_arrays(*[np.asarray(a) for a in arrays])
    out = [fn(*(a.item() for a in items)) for items in zip(*[a.reshape(-1) for a in arrays])]
    return np.array(out).reshape(arrays[0].shape)


# ---------------------------------------------------------------- in-place math
IN_PLACE_UNARY = {
    "abs_": (X, abs),
    "absolute_": (X, abs),
    "acos_": (UNIT, math.acos),
    "arccos_": (UNIT, math.acos),
    "asin_": (UNIT, math.asin),
    "arcsin_": (UNIT, math.asin),
    "atan_": (X, math.atan),
    "arctan_": (X, math.atan),
    "ceil_": (X, math.ceil),
    "floor_": (X, math.floor),
    "round_": (X, round),
    "trunc_": (X, math.trunc),
    "fix_": (X, math.trunc),
    "frac_": (X, lambda v: v - math.trunc(v)),
    "cos_": (X, math.cos),
    "cosh_": (X, math.cosh),
    "sin_": (X, math.sin),
    "sinh_": (X, math.sinh),
    "tan_": (X, math.tan),
    "tanh_": (X, math.tanh),
    "exp_": (X, math.exp),
    "exp2_": (X, lambda v: 2.0**v),
    "expm1_": (X, math.expm1),
    "log_": (UNIT, math.log),
    "log2_": (UNIT, math.log2),
    "log10_": (UNIT, math.log10),
    "log1p_": (UNIT, math.log1p),
    "sqrt_": (UNIT, math.sqrt),
    "rsqrt_": (UNIT, lambda v: 1 / math.sqrt(v)),
    "square_": (X, lambda v: v * v),
    "reciprocal_": (X, lambda v: 1 / v),
    "neg_": (X, lambda v: -v),
    "negative_": (X, lambda v: -v),
    "sign_": (X, lambda v: math.copysign(1.0, v) if v else 0.0),
    "sgn_": (X, lambda v: math.copysign(1.0, v) if v else 0.0),
    "sigmoid_": (X, lambda v: 1 / (1 + math.exp(-v))),
    "relu_": (X, lambda v: max(v, 0.0)),
    "erf_": (X, math.erf),
    "erfc_": (X, math.erfc),
    "lgamma_": (X, math.lgamma),
    "deg2rad_": (X, math.radians),
    "rad2deg_": (X, math.degrees),
    "acosh_": (X * X + 1, math.acosh),
    "arccosh_": (X * X + 1, math.acosh),
    "asinh_": (X, math.asinh),
    "arcsinh_": (X, math.asinh),
    "atanh_": (UNIT, math.atanh),
    "arctanh_": (UNIT, math.atanh),
    "sinc_": (X, lambda v: math.sin(math.pi * v) / (math.pi * v)),
    "logit_": (UNIT, lambda v: math.log(v / (1 - v))),
}


@pytest.mark.parametrize("name", sorted(IN_PLACE_UNARY))
def test_unary_in_place_writes_into_the_tensor(name):
    data, reference = IN_PLACE_UNARY[name]
    x = Tensor(data.copy())
    view = x[1:]
    out = getattr(x, name)()
    assert out is x
    want = elementwise(reference, data)
    np.testing.assert_allclose(x.data, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(view.data, want[1:], rtol=1e-12)  # the same memory
    if hasattr(tg, name):  # torch.sin_(x) and friends
        y = Tensor(data.copy())
        assert getattr(tg, name)(y) is y
        np.testing.assert_allclose(y.data, want, rtol=1e-12, atol=1e-12)


def test_erfinv_digamma_in_place_invert_their_definitions():
    y = Tensor(np.array([-0.9, -0.2, 0.3, 0.75]))
    y.erfinv_()
    np.testing.assert_allclose(elementwise(math.erf, y.data), [-0.9, -0.2, 0.3, 0.75], rtol=1e-12)
    x = Tensor(np.array([0.7, 2.5, 6.0]))
    x.digamma_()
    h = 1e-5  # digamma is lgamma's derivative
    want = elementwise(lambda v: (math.lgamma(v + h) - math.lgamma(v - h)) / (2 * h),
                       np.array([0.7, 2.5, 6.0]))
    np.testing.assert_allclose(x.data, want, rtol=1e-8)


Y = RNG.uniform(0.5, 2.0, 6)
IN_PLACE_BINARY = {
    "atan2_": (Y, math.atan2),
    "arctan2_": (Y, math.atan2),
    "fmod_": (1.5, math.fmod),
    "remainder_": (1.5, lambda a, b: a - b * math.floor(a / b)),
    "hypot_": (Y, math.hypot),
    "pow_": (2, lambda a, b: a**b),
    "floor_divide_": (0.7, lambda a, b: math.floor(a / b)),
    "xlogy_": (Y, lambda a, b: a * math.log(b)),
    "copysign_": (-Y, math.copysign),
    "ldexp_": (np.array([0.0, 1, 2, -1, 3, 0]), lambda a, b: math.ldexp(a, int(b))),
    "nextafter_": (Y, math.nextafter),
    "eq_": (X.round(), lambda a, b: float(a == b)),
    "ne_": (X.round(), lambda a, b: float(a != b)),
    "not_equal_": (X.round(), lambda a, b: float(a != b)),
    "lt_": (0.5, lambda a, b: float(a < b)),
    "less_": (0.5, lambda a, b: float(a < b)),
    "le_": (0.5, lambda a, b: float(a <= b)),
    "less_equal_": (0.5, lambda a, b: float(a <= b)),
    "gt_": (0.5, lambda a, b: float(a > b)),
    "greater_": (0.5, lambda a, b: float(a > b)),
    "ge_": (0.5, lambda a, b: float(a >= b)),
    "greater_equal_": (0.5, lambda a, b: float(a >= b)),
    "logical_and_": (np.array([0.0, 1, 0, 2, 0, 3]), lambda a, b: float(bool(a) and bool(b))),
    "logical_or_": (np.array([0.0, 1, 0, 2, 0, 3]), lambda a, b: float(bool(a) or bool(b))),
    "logical_xor_": (np.array([0.0, 1, 0, 2, 0, 3]), lambda a, b: float(bool(a) != bool(b))),
    "multiply_": (Y, lambda a, b: a * b),
    "subtract_": (Y, lambda a, b: a - b),
    "divide_": (Y, lambda a, b: a / b),
}


@pytest.mark.parametrize("name", sorted(IN_PLACE_BINARY))
def test_binary_in_place_writes_into_the_tensor(name):
    other, reference = IN_PLACE_BINARY[name]
    x = Tensor(X.copy())
    out = getattr(x, name)(Tensor(other) if isinstance(other, np.ndarray) else other)
    assert out is x and x.dtype == np.float64
    np.testing.assert_allclose(x.data, elementwise(reference, X, other), rtol=1e-12, atol=1e-12)


def test_in_place_with_extra_arguments():
    x = Tensor(X.copy())
    x.lerp_(Tensor(Y), 0.25)
    np.testing.assert_allclose(x.data, X + 0.25 * (Y - X), rtol=1e-12)
    x = Tensor(X.copy())
    x.subtract_(Tensor(Y), alpha=2)
    np.testing.assert_allclose(x.data, X - 2 * Y, rtol=1e-12)
    x = Tensor(X.copy())
    x.divide_(0.7, rounding_mode="floor")
    np.testing.assert_allclose(x.data, np.floor(X / 0.7))
    x = Tensor(np.array([1.0, np.nan, np.inf, -np.inf]))
    x.nan_to_num_(nan=7.0, posinf=8.0, neginf=-9.0)
    np.testing.assert_array_equal(x.data, [1.0, 7.0, 8.0, -9.0])
    x = Tensor(np.array([1.234, -5.678]))
    x.round_(decimals=1)
    np.testing.assert_allclose(x.data, [1.2, -5.7])
    x = Tensor(np.array([0.2, 0.5, 0.95]))
    x.logit_(eps=0.1)
    np.testing.assert_allclose(x.data, [math.log(0.2 / 0.8), 0.0, math.log(0.9 / 0.1)])
    x = Tensor(np.array([0.0, 1.0]))
    x.float_power_(2)
    np.testing.assert_array_equal(x.data, [0.0, 1.0])
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    x.cumsum_(0)
    np.testing.assert_array_equal(x.data, [[1, 2], [4, 6]])
    x.cumprod_(1)
    np.testing.assert_array_equal(x.data, [[1, 2], [4, 24]])
    x = Tensor(np.array([True, False]))
    x.logical_not_()
    np.testing.assert_array_equal(x.data, [False, True])


def test_renorm_tril_triu_in_place():
    m = RNG.standard_normal((3, 4))
    x = Tensor(m.copy())
    x.renorm_(2, 0, 1.0)
    for i in range(3):
        norm = math.sqrt(sum(v * v for v in m[i]))
        np.testing.assert_allclose(x.data[i], m[i] * min(1.0, 1.0 / norm), rtol=1e-6)
    x = Tensor(m.copy())
    x.tril_(1)
    want = np.array([[m[i, j] if j - i <= 1 else 0.0 for j in range(4)] for i in range(3)])
    np.testing.assert_array_equal(x.data, want)
    x = Tensor(m.copy())
    x.triu_(-1)
    want = np.array([[m[i, j] if j - i >= -1 else 0.0 for j in range(4)] for i in range(3)])
    np.testing.assert_array_equal(x.data, want)


def test_integer_in_place_ops_keep_the_dtype():
    x = Tensor(np.array([-3, 4, -5]))
    x.abs_().neg_()
    np.testing.assert_array_equal(x.data, [-3, -4, -5])
    assert x.dtype == np.int64
    x.lt_(-3.5)  # a bool result stores as 1 / 0
    np.testing.assert_array_equal(x.data, [0, 1, 1])
    x = Tensor(np.array([12, 18]))
    x.gcd_(Tensor(np.array([8, 27])))
    np.testing.assert_array_equal(x.data, [4, 9])
    x.lcm_(6)
    np.testing.assert_array_equal(x.data, [12, 18])
    x.bitwise_xor_(5).bitwise_left_shift_(1).bitwise_right_shift_(2)
    np.testing.assert_array_equal(x.data, [((12 ^ 5) << 1) >> 2, ((18 ^ 5) << 1) >> 2])


def test_in_place_products():
    m, a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 4)), RNG.standard_normal((4, 3))
    x = Tensor(m.copy())
    x.addmm_(Tensor(a), Tensor(b), beta=0.5, alpha=2)
    want = [[0.5 * m[i, j] + 2 * sum(a[i, k] * b[k, j] for k in range(4)) for j in range(3)]
            for i in range(2)]
    np.testing.assert_allclose(x.data, want, rtol=1e-12)
    v = RNG.standard_normal(4)
    y = Tensor(m[:, 0].copy())
    y.addmv_(Tensor(a), Tensor(v))
    np.testing.assert_allclose(y.data, m[:, 0] + a @ v, rtol=1e-12)
    u, w = RNG.standard_normal(2), RNG.standard_normal(3)
    x = Tensor(m.copy())
    x.addr_(Tensor(u), Tensor(w), alpha=3)
    np.testing.assert_allclose(x.data, m + 3 * u[:, None] * w[None, :], rtol=1e-12)
    batch1, batch2 = RNG.standard_normal((5, 2, 4)), RNG.standard_normal((5, 4, 3))
    x = Tensor(m.copy())
    x.addbmm_(Tensor(batch1), Tensor(batch2))
    np.testing.assert_allclose(x.data, m + sum(batch1[i] @ batch2[i] for i in range(5)))
    x = Tensor(np.broadcast_to(m, (5, 2, 3)).copy())
    x.baddbmm_(Tensor(batch1), Tensor(batch2), alpha=0.5)
    np.testing.assert_allclose(x.data, [m + 0.5 * batch1[i] @ batch2[i] for i in range(5)])


def test_in_place_errors_leave_the_tensor_unchanged():
    leaf = Tensor(X.copy(), requires_grad=True)
    for call in (lambda: leaf.sin_(), lambda: leaf.pow_(2), lambda: leaf.t_(),
                 lambda: leaf.unsqueeze_(0), lambda: leaf.eq_(0)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
            call()
        np.testing.assert_array_equal(leaf.data, X)
        assert leaf.shape == X.shape
    computed = leaf * 2
    with pytest.raises(RuntimeError, match="requires grad"):
        computed.exp_()
    with tg.no_grad():  # allowed outside the graph, as torch
        leaf.mul_(2).sin_()
    np.testing.assert_allclose(leaf.data, np.sin(2 * X))

    ints = Tensor(np.array([1, 4, 9]))
    for call in (lambda: ints.sqrt_(), lambda: ints.floor_divide_(2.5),
                 lambda: ints.sigmoid_(), lambda: ints.divide_(2)):
        with pytest.raises(TypeError, match="cannot be stored in place in a int64"):
            call()
        np.testing.assert_array_equal(ints.data, [1, 4, 9])
    small = Tensor(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="only the other operands may broadcast"):
        small.pow_(tg.ones(2, 3, dtype=tg.float64))
    np.testing.assert_array_equal(small.data, [1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="an operand requires grad"):
        small.hypot_(Tensor(np.ones(3), requires_grad=True))
    np.testing.assert_array_equal(small.data, [1.0, 2.0, 3.0])
    f32 = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    with pytest.raises(TypeError, match="float_power_: the result is float64"):
        f32.float_power_(2)
    np.testing.assert_array_equal(f32.data, [1.0, 2.0])
    with pytest.raises(TypeError, match="needs integer or bool tensors"):
        small.bitwise_and_(1)
    with pytest.raises((IndexError, ValueError)):
        small.unsqueeze_(5)
    assert small.shape == (3,)


def test_in_place_change_refuses_a_stale_backward():
    x = Tensor(X.copy(), requires_grad=True)
    y = x * 1.0
    z = y.detach()
    out = (y * y).sum()
    with tg.no_grad():
        y.tanh_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()
    np.testing.assert_allclose(z.data, np.tanh(X))  # detach() shares the memory


def test_in_place_views():
    m = RNG.standard_normal((2, 3))
    x = Tensor(m.copy())
    same = x.data
    assert x.t_() is x and x.shape == (3, 2)
    np.testing.assert_array_equal(x.data, m.T)
    assert np.shares_memory(x.data, same)
    x.transpose_(0, 1)
    np.testing.assert_array_equal(x.data, m)
    x.swapaxes_(0, 1).swapdims_(1, 0)
    np.testing.assert_array_equal(x.data, m)
    x.unsqueeze_(1)
    assert x.shape == (2, 1, 3)
    x.squeeze_(1)
    assert x.shape == (2, 3)
    y = Tensor(np.ones((1, 3, 1)))
    y.squeeze_()
    assert y.shape == (3,)
    assert Tensor(np.array(2.0)).t_().shape == ()


# ---------------------------------------------------------------------- aliases
def test_aliases_match_their_definitions():
    a, b = Tensor(X), Tensor(Y)
    np.testing.assert_array_equal(a.absolute().data, np.abs(X))
    np.testing.assert_array_equal(tg.absolute(a).data, np.abs(X))
    np.testing.assert_array_equal(a.multiply(b).data, X * Y)
    np.testing.assert_array_equal(a.subtract(b, alpha=2).data, X - 2 * Y)
    np.testing.assert_array_equal(a.divide(b).data, X / Y)
    np.testing.assert_array_equal(a.divide(b, rounding_mode="trunc").data, np.trunc(X / Y))
    for name, op in (("greater", np.greater), ("greater_equal", np.greater_equal),
                     ("less", np.less), ("less_equal", np.less_equal),
                     ("not_equal", np.not_equal)):
        np.testing.assert_array_equal(getattr(a, name)(b).data, op(X, Y))
        np.testing.assert_array_equal(getattr(tg, name)(a, b).data, op(X, Y))
    np.testing.assert_array_equal(a.negative().data, -X)
    assert a.positive() is a and tg.positive(a) is a
    with pytest.raises(TypeError, match="bool"):
        Tensor(np.array([True])).positive()
    m = Tensor(RNG.standard_normal((2, 3)))
    assert m.ndimension() == 2
    np.testing.assert_array_equal(m.ravel().data, m.data.reshape(-1))
    assert tg.isclose(a, a + 1e-9).data.all() and a.allclose(a + 1e-9)
    assert a.isclose(a + 1).data.sum() == 0


def test_tile_and_msort():
    m = np.arange(6.0).reshape(2, 3)
    t = Tensor(m).tile((2,))  # fewer dims: ones in front
    want = [[m[i % 2, j % 3] for j in range(6)] for i in range(2)]
    np.testing.assert_array_equal(t.data, want)
    t = tg.tile(Tensor(m), (2, 1, 2))
    assert t.shape == (2, 2, 6)
    np.testing.assert_array_equal(t.data[1], np.array(want)[:, :6])
    check_grads(lambda x: x.tile(3, 2), RNG.standard_normal((2, 2)))
    s = RNG.standard_normal((4, 3))
    got = tg.msort(Tensor(s)).data
    for j in range(3):
        np.testing.assert_array_equal(got[:, j], sorted(s[:, j]))
    check_grads(lambda x: x.msort(), s)


# ------------------------------------------------------------ special functions
def test_inverse_hyperbolics_and_gradients():
    big = X * X + 1.1
    np.testing.assert_allclose(Tensor(big).acosh().data, elementwise(math.acosh, big))
    np.testing.assert_allclose(tg.arcsinh(Tensor(X)).data, elementwise(math.asinh, X))
    np.testing.assert_allclose(Tensor(UNIT).arctanh().data, elementwise(math.atanh, UNIT))
    assert np.isnan(tg.acosh(Tensor(np.array([0.5]))).data[0])
    assert tg.asinh(Tensor([1, 2])).dtype == np.float32  # integers give the default float
    check_grads(tg.acosh, big)
    check_grads(tg.asinh, X)
    check_grads(tg.atanh, UNIT * 1.8 - 0.9)


def test_logit_with_eps_above_half_clamps_low_first():
    # torch's rule: x < eps -> eps, else x > 1 - eps -> 1 - eps; with eps = 0.7 the bounds
    # cross, so 0.5 (< 0.7) becomes 0.7 and 0.9 (>= 0.7, > 0.3) becomes 0.3
    def rule(v, e=0.7):
        c = e if v < e else (1 - e if v > 1 - e else v)
        return math.log(c / (1 - c))

    x = np.array([0.1, 0.5, 0.69, 0.7, 0.9])
    np.testing.assert_allclose(Tensor(x).logit(0.7).data, elementwise(rule, x))


def test_logit_sinc_i0():
    with np.errstate(divide="ignore", invalid="ignore"):
        got = tg.logit(Tensor(np.array([0.0, 0.25, 1.0, 2.0]))).data
    assert got[0] == -np.inf and got[2] == np.inf and np.isnan(got[3])
    assert got[1] == pytest.approx(math.log(1 / 3))
    eps = Tensor(np.array([0.01, 0.5, 0.99])).logit(eps=0.1).data
    np.testing.assert_allclose(eps, [math.log(1 / 9), 0.0, math.log(9)])
    check_grads(tg.logit, UNIT)
    p = Tensor(np.array([0.05, 0.3, 0.97]), requires_grad=True)
    tg.logit(p, eps=0.1).sum().backward()  # clamped elements get no gradient, as torch
    np.testing.assert_allclose(p.grad, [0.0, 1 / (0.3 * 0.7), 0.0])

    np.testing.assert_allclose(
        tg.sinc(Tensor(X)).data, elementwise(lambda v: math.sin(math.pi * v) / (math.pi * v), X)
    )
    assert tg.sinc(Tensor(np.array([0.0]))).data[0] == 1.0
    check_grads(tg.sinc, np.r_[X, 0.0])

    def i0_series(v):
        term = total = 1.0
        for k in range(1, 150):  # sum (v/2)^(2k) / (k!)^2, each term from the previous
            term *= (v / 2) ** 2 / (k * k)
            total += term
        return total

    points = np.array([-3.0, 0.0, 0.5, 7.5, 19.0, 22.0, 30.0])
    np.testing.assert_allclose(Tensor(points).i0().data, elementwise(i0_series, points),
                               rtol=1e-12)
    check_grads(tg.i0, points[:4])
    t = Tensor(points.copy(), requires_grad=True)
    t.i0().sum().backward()  # the gradient I1, both sides of |x| = 20: central differences
    h = 1e-5 * np.maximum(1.0, np.abs(points))
    numeric = (elementwise(i0_series, points + h) - elementwise(i0_series, points - h)) / (2 * h)
    np.testing.assert_allclose(t.grad, numeric, rtol=1e-7, atol=1e-9)


def polygamma_series(n, v, terms=200000):
    """(-1)^(n+1) n! sum_k (v + k)^-(n+1), summed directly plus the integral of the tail."""
    k = np.arange(terms, dtype=np.float64)
    end = v + terms
    total = np.sum((v + k) ** -(n + 1.0)) + end**-n / n + 0.5 * end ** -(n + 1.0)
    return (-1) ** (n + 1) * math.factorial(n) * total


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_polygamma_matches_its_series(n):
    points = np.array([0.3, 1.0, 2.5, 9.0, 40.0, -0.5, -2.7])
    got = tg.polygamma(n, Tensor(points)).data
    np.testing.assert_allclose(got, [polygamma_series(n, v) for v in points], rtol=1e-9)
    np.testing.assert_allclose(Tensor(points).polygamma(n).data, got)
    check_grads(lambda x: tg.polygamma(n, x), points[1:3], rtol=1e-6)
    t = Tensor(points.copy(), requires_grad=True)
    tg.polygamma(n, t).sum().backward()  # d/dx polygamma(n) = polygamma(n + 1)
    np.testing.assert_allclose(t.grad, [polygamma_series(n + 1, v) for v in points], rtol=1e-9)
    pole = tg.polygamma(n, Tensor(np.array([0.0, -3.0]))).data
    np.testing.assert_array_equal(pole, [(-1) ** (n + 1) * np.inf] * 2)
    x = Tensor(points.copy())
    x.polygamma_(n)
    np.testing.assert_array_equal(x.data, got)


def test_polygamma_far_below_zero_is_fast_and_exact():
    # psi^(n)(x) = psi^(n)(x + m) - (-1)^n n! sum_{k<m} (x + k)^-(n+1); at x = 1/2 - m and
    # odd n the sum tends to (2^(n+1) - 1) zeta(n+1), so psi^(n)(1/2 - m) -> 2 psi^(n)(1/2)
    # = 2 n! (2^(n+1) - 1) zeta(n+1): 2 pi^4 for n = 3, 16 pi^6 for n = 5 (tails ~ m^-(n))
    m = 1e9  # the recurrence alone would take a billion steps over the array
    x = Tensor(np.array([0.5 - m, 0.5 - m, 2.0]))
    np.testing.assert_allclose(tg.polygamma(3, x).data[:2], 2 * math.pi**4, rtol=1e-12)
    np.testing.assert_allclose(tg.polygamma(5, x).data[:2], 16 * math.pi**6, rtol=1e-12)
    # even n at a half-integer: the sums of the terms below and above zero cancel, leaving
    # psi^(n)(1/2 - m) = -n! sum_{j>m} (j - 1/2)^-(n+1) (a tiny value; summed directly here)
    j = np.arange(102, 2_000_000, dtype=np.float64) - 0.5
    tail = np.sum(j**-5.0) + j[-1] ** -4.0 / 4  # plus the integral beyond the last term
    np.testing.assert_allclose(tg.polygamma(4, Tensor(np.array([-100.5]))).data, -24 * tail,
                               rtol=1e-10)
    # and near the poles below zero, against the series
    points = np.array([-0.999, -5.001, -40.25, -123.75])
    for n in (2, 3, 4):
        np.testing.assert_allclose(tg.polygamma(n, Tensor(points)).data,
                                   [polygamma_series(n, v) for v in points], rtol=1e-9)


def test_polygamma_zero_is_digamma_and_bad_orders():
    points = np.array([0.3, 2.5, 9.0])
    np.testing.assert_allclose(tg.polygamma(0, Tensor(points)).data,
                               tg.digamma(Tensor(points)).data)
    for n in (-1, 1.5, True):
        with pytest.raises(ValueError, match="n must be a non-negative int"):
            tg.polygamma(n, Tensor(points))


def test_mvlgamma():
    x = np.array([1.6, 2.0, 3.7])
    for p in (1, 2, 4):
        want = [p * (p - 1) / 4 * math.log(math.pi)
                + sum(math.lgamma(v - i / 2) for i in range(p)) for v in x]
        np.testing.assert_allclose(tg.mvlgamma(Tensor(x), p).data, want, rtol=1e-12)
        np.testing.assert_allclose(Tensor(x).mvlgamma(p=p).data, want, rtol=1e-12)
        check_grads(lambda t, p=p: t.mvlgamma(p), x)
    with pytest.raises(ValueError, match="p must be an int >= 1"):
        Tensor(x).mvlgamma(0)
    y = Tensor(x.copy())
    y.mvlgamma_(2)
    np.testing.assert_allclose(y.data, tg.mvlgamma(Tensor(x), 2).data)


def test_hardshrink_and_prelu_methods():
    x = Tensor(np.array([-1.0, -0.3, 0.2, 0.7]))
    np.testing.assert_array_equal(x.hardshrink().data, [-1.0, 0.0, 0.0, 0.7])
    np.testing.assert_array_equal(tg.hardshrink(x, 0.8).data, [-1.0, 0.0, 0.0, 0.0])
    m = np.array([[-1.0, 2.0], [3.0, -4.0]])
    got = Tensor(m).prelu(Tensor(np.array([0.25, 0.5]))).data
    np.testing.assert_array_equal(got, [[-0.25, 2.0], [3.0, -2.0]])
    check_grads(lambda a, w: tg.prelu(a, w), m, np.array([0.25, 0.5]))


# --------------------------------------------------------------- binary extras
A = np.array([1.0, np.nan, 3.0, -2.0, np.nan, 0.5])
B = np.array([2.0, 1.0, np.nan, -5.0, np.nan, 0.5])


def _fmax(a, b):
    if math.isnan(a):
        return b
    if math.isnan(b):
        return a
    return max(a, b)


def _fmin(a, b):
    if math.isnan(a):
        return b
    if math.isnan(b):
        return a
    return min(a, b)


def test_fmax_fmin_values_and_gradients():
    np.testing.assert_array_equal(tg.fmax(Tensor(A), Tensor(B)).data, elementwise(_fmax, A, B))
    np.testing.assert_array_equal(Tensor(A).fmin(Tensor(B)).data, elementwise(_fmin, A, B))
    a = Tensor(A.copy(), requires_grad=True)
    b = Tensor(B.copy(), requires_grad=True)
    tg.fmax(a, b).sum().backward()
    # the first operand wins ties and where the other is NaN, as torch
    np.testing.assert_array_equal(a.grad, [0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(b.grad, [1, 1, 0, 0, 0, 0])
    check_grads(tg.fmin, X, Y)
    check_grads(lambda u, v: u.fmax(v), X, Y)


def test_copysign_ldexp_nextafter_frexp():
    a, b = np.array([1.5, -2.0, 0.0, 3.0]), np.array([-1.0, 2.0, -0.0, np.inf])
    np.testing.assert_array_equal(tg.copysign(Tensor(a), Tensor(b)).data,
                                  elementwise(math.copysign, a, b))
    assert tg.copysign(Tensor([1, 2]), -1).dtype == np.float32
    check_grads(tg.copysign, np.array([1.5, -2.0, 3.0]), np.array([-1.0, 2.0, 4.0]))
    x = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    tg.copysign(x, -1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, -1.0])  # 0 where input is 0, as torch

    e = np.array([0.0, 1.0, -3.0, 10.0])
    np.testing.assert_array_equal(tg.ldexp(Tensor(X[:4]), Tensor(e)).data,
                                  elementwise(lambda m, k: math.ldexp(m, int(k)), X[:4], e))
    check_grads(tg.ldexp, X[:4], e)

    to = np.array([2.0, -1.0, 1.0, np.inf])
    start = np.array([1.0, 0.0, 1.0, 5.0])
    np.testing.assert_array_equal(Tensor(start).nextafter(Tensor(to)).data,
                                  elementwise(math.nextafter, start, to))
    s = Tensor(start.copy(), requires_grad=True)
    tg.nextafter(s, Tensor(to)).sum().backward()
    np.testing.assert_array_equal(s.grad, [1.0, 1.0, 0.0, 1.0])  # 0 where they are equal
    with pytest.raises(TypeError, match="floating-point"):
        tg.nextafter(Tensor([1, 2]), Tensor([2, 3]))

    values = np.array([0.0, 1.0, -3.5, 1000.25, 1e-300])
    mantissa, exponent = tg.frexp(Tensor(values))
    want = [math.frexp(v) for v in values]
    np.testing.assert_array_equal(mantissa.data, [m for m, _ in want])
    np.testing.assert_array_equal(exponent.data, [k for _, k in want])
    assert exponent.dtype == np.int32 and Tensor(values).frexp().exponent.dtype == np.int32
    check_grads(lambda t: tg.frexp(t).mantissa, np.array([0.7, -3.5, 1000.25]))
    with pytest.raises(TypeError, match="floating-point"):
        tg.frexp(Tensor([1, 2]))


def test_heaviside():
    x, v = np.array([-1.0, 0.0, 2.0, 0.0]), np.array([0.5, 0.25, 0.5, 0.75])
    want = [0.0 if a < 0 else (1.0 if a > 0 else w) for a, w in zip(x, v)]
    np.testing.assert_array_equal(tg.heaviside(Tensor(x), Tensor(v)).data, want)
    with pytest.raises(TypeError, match="same dtype"):
        tg.heaviside(Tensor(np.array([1, 0])), Tensor(v[:2]))
    t = Tensor(x, requires_grad=True)
    out = t.heaviside(Tensor(v))
    with pytest.raises(RuntimeError, match="derivative of heaviside is not implemented"):
        out.sum().backward()
    y = Tensor(x.copy())
    y.heaviside_(Tensor(v))
    np.testing.assert_array_equal(y.data, want)


def test_heaviside_keeps_integer_and_bool_dtypes_and_gives_zero_at_nan():
    # the piecewise rule, element by element: values at 0, 1 above, 0 below (and at NaN,
    # which is neither == 0 nor > 0)
    def rule(a, w):
        return w if a == 0 else (1 if a > 0 else 0)

    x, v = np.array([-3, 0, 4, 0]), np.array([7, 9, 7, 2])
    out = tg.heaviside(Tensor(x), Tensor(v))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.data, elementwise(rule, x, v))
    x32, v32 = x.astype(np.int32), v.astype(np.int32)
    assert tg.heaviside(Tensor(x32), Tensor(v32)).dtype == np.int32
    b = tg.heaviside(Tensor(np.array([True, False, False])), Tensor(np.array([False, True, False])))
    assert b.dtype == np.bool_
    np.testing.assert_array_equal(b.data, [True, True, False])
    f = np.array([np.nan, 0.0, -np.inf, np.inf], np.float32)
    out = Tensor(f).heaviside(Tensor(np.array([0.5], np.float32)))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, [0.0, 0.5, 0.0, 1.0])
    y = Tensor(x.copy())
    y.heaviside_(Tensor(v))  # int64 result: storable in place
    np.testing.assert_array_equal(y.data, elementwise(rule, x, v))


# --------------------------------------------------------------------- bitwise
def _int64(v):
    """Python's unbounded int wrapped to int64."""
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= 1 << 63 else v


def test_bitwise_ops_against_python_ints():
    a = RNG.integers(-1000, 1000, 12)
    b = RNG.integers(-1000, 1000, 12)
    shifts = np.array([0, 1, 3, 7, 31, 62, 63, 64, 65, 100, 2, 5])
    ta, tb = Tensor(a), Tensor(b)
    for name, op in (("bitwise_and", lambda u, v: u & v), ("bitwise_or", lambda u, v: u | v),
                     ("bitwise_xor", lambda u, v: u ^ v)):
        np.testing.assert_array_equal(getattr(tg, name)(ta, tb).data, elementwise(op, a, b))
        np.testing.assert_array_equal(getattr(ta, name)(7).data, elementwise(op, a, 7))
    np.testing.assert_array_equal(tg.bitwise_not(ta).data, elementwise(lambda u: ~u, a))
    np.testing.assert_array_equal(
        ta.bitwise_left_shift(Tensor(shifts)).data,
        elementwise(lambda u, s: _int64(u << s) if s < 64 else 0, a, shifts),
    )
    np.testing.assert_array_equal(
        tg.bitwise_right_shift(ta, Tensor(shifts)).data,
        elementwise(lambda u, s: u >> min(s, 63), a, shifts),  # Python's >> fills the sign
    )
    np.testing.assert_array_equal((ta ^ tb).data, elementwise(lambda u, v: u ^ v, a, b))
    np.testing.assert_array_equal((ta << 2).data, a * 4)
    np.testing.assert_array_equal((ta >> 1).data, elementwise(lambda u: u >> 1, a))
    m = Tensor(np.array([True, False, True]))
    np.testing.assert_array_equal(m.bitwise_not().data, [False, True, False])
    np.testing.assert_array_equal(m.bitwise_xor(Tensor(np.array([True, True, False]))).data,
                                  [False, True, True])
    assert Tensor(np.array([1, 2], dtype=np.int32)).bitwise_and(3).dtype == np.int32
    u8 = Tensor(np.array([3], dtype=np.uint8))
    assert u8.bitwise_left_shift(7).data[0] == (3 << 7) & 0xFF
    with pytest.raises(TypeError, match="integer or bool"):
        Tensor(np.array([1.5])).bitwise_and(1)
    np.testing.assert_array_equal((m << 1).data, [2, 0, 2])  # int64, as torch
    with pytest.raises(TypeError, match="integer tensors"):
        tg.bitwise_left_shift(m, m)
    with pytest.raises(TypeError, match="integer tensors"):
        tg.gcd(m, 1)
    with pytest.raises(ValueError, match="non-negative"):
        ta.bitwise_left_shift(-1)
    with pytest.raises(ValueError, match="cannot broadcast"):
        tg.bitwise_and(ta, Tensor(np.ones(5, dtype=np.int64)))


def test_gcd_lcm():
    a = np.array([12, -18, 0, 7, 0, -4])
    b = np.array([8, 27, 5, 0, 0, 6])
    np.testing.assert_array_equal(tg.gcd(Tensor(a), Tensor(b)).data, elementwise(math.gcd, a, b))
    np.testing.assert_array_equal(Tensor(a).lcm(Tensor(b)).data, elementwise(math.lcm, a, b))
    with pytest.raises(TypeError, match="integer tensors"):
        tg.gcd(Tensor([1.0, 2.0]), Tensor([2.0, 4.0]))


# -------------------------------------------------------------- reshaping extras
def test_aminmax():
    m = RNG.standard_normal((3, 4))
    lo, hi = tg.aminmax(Tensor(m))
    assert lo.item() == min(m.reshape(-1)) and hi.item() == max(m.reshape(-1))
    res = Tensor(m).aminmax(dim=1, keepdim=True)
    np.testing.assert_array_equal(res.min.data, [[min(r)] for r in m])
    np.testing.assert_array_equal(res.max.data, [[max(r)] for r in m])
    check_grads(lambda t: tg.aminmax(t, dim=0).max * 2 + tg.aminmax(t, dim=0).min, m)


def test_sum_to_size_split_narrow_copy():
    m = RNG.standard_normal((2, 3, 4))
    got = Tensor(m).sum_to_size(3, 1)
    want = [[sum(m[i, j, k] for i in range(2) for k in range(4))] for j in range(3)]
    np.testing.assert_allclose(got.data, want)
    np.testing.assert_allclose(Tensor(m).sum_to_size((1, 1, 4)).data, m.sum((0, 1), keepdims=True))
    assert Tensor(m).sum_to_size(2, 3, 4).shape == (2, 3, 4)
    check_grads(lambda t: t.sum_to_size(1, 3, 1), m)
    with pytest.raises(ValueError, match="not expandable"):
        Tensor(m).sum_to_size(2, 2)
    parts = Tensor(m).split_with_sizes([1, 3], dim=2)
    np.testing.assert_array_equal(parts[0].data, m[:, :, :1])
    np.testing.assert_array_equal(parts[1].data, m[:, :, 1:])
    with pytest.raises(ValueError, match="add up to 4"):
        tg.split_with_sizes(Tensor(m), [1, 2], dim=2)
    with pytest.raises(TypeError, match="sequence of ints"):
        Tensor(m).split_with_sizes(2)
    c = tg.narrow_copy(Tensor(m), 1, 1, 2)
    np.testing.assert_array_equal(c.data, m[:, 1:3])
    assert not np.shares_memory(c.data, m)
    check_grads(lambda t: t.narrow_copy(2, 1, 2), m)


def test_diagflat_and_addr():
    v = np.array([[1.0, 2.0], [3.0, 4.0]])
    for offset in (0, 1, -2):
        n = 4 + abs(offset)
        want = np.zeros((n, n))
        for k, value in enumerate(v.reshape(-1)):
            want[k + max(-offset, 0), k + max(offset, 0)] = value
        np.testing.assert_array_equal(tg.diagflat(Tensor(v), offset).data, want)
    check_grads(lambda t: t.diagflat(1), v)
    base, u, w = RNG.standard_normal((3, 2)), RNG.standard_normal(3), RNG.standard_normal(2)
    got = tg.addr(Tensor(base), Tensor(u), Tensor(w), beta=0.5, alpha=2)
    want = [[0.5 * base[i, j] + 2 * u[i] * w[j] for j in range(2)] for i in range(3)]
    np.testing.assert_allclose(got.data, want)
    check_grads(lambda b, p, q: b.addr(p, q, beta=0.5, alpha=2), base, u, w)
    nan = Tensor(np.full((3, 2), np.nan))
    np.testing.assert_allclose(nan.addr(Tensor(u), Tensor(w), beta=0).data, np.outer(u, w))
    with pytest.raises(ValueError, match="vec1 must be a 1-D tensor"):
        tg.addr(Tensor(base), Tensor(base), Tensor(w))


def test_histogram():
    data = RNG.standard_normal(40)
    weights = RNG.uniform(size=40)
    hist, edges = tg.histogram(Tensor(data), 5, range=(-2.0, 2.0), weight=Tensor(weights))
    np.testing.assert_allclose(edges.data, [-2.0 + 0.8 * k for k in range(6)])
    want = np.zeros(5)
    for value, weight in zip(data, weights):
        if -2.0 <= value <= 2.0:
            want[min(int((value + 2.0) / 0.8), 4)] += weight  # the last bin is closed
    np.testing.assert_allclose(hist.data, want)
    counts = Tensor(data).histogram(Tensor(np.array([-1.0, 0.0, 3.0]))).hist.data
    np.testing.assert_array_equal(counts, [sum(-1 <= d < 0 for d in data),
                                           sum(0 <= d <= 3 for d in data)])
    density = tg.histogram(Tensor(data), 4, density=True)
    widths = np.diff(density.bin_edges.data)
    assert (density.hist.data * widths).sum() == pytest.approx(1.0)
    with pytest.raises(TypeError, match="floating-point"):
        tg.histogram(Tensor([1, 2]), 3)


def test_fill_diagonal():
    for shape, wrap in (((3, 4), False), ((7, 3), True), ((7, 3), False), ((3, 3, 3), False)):
        x = tg.zeros(*shape)
        assert x.fill_diagonal_(5.0, wrap=wrap) is x
        want = np.zeros(shape)
        rows, cols = shape[0], shape[1]
        if len(shape) == 3:
            for i in range(3):
                want[i, i, i] = 5
        else:
            for i in range(rows):
                period = cols + 1 if wrap else rows + cols
                j = i % period if wrap else i
                if j < cols and (wrap or i < cols):
                    want[i, j] = 5
        np.testing.assert_array_equal(x.data, want, err_msg=f"{shape} wrap={wrap}")
    with pytest.raises(ValueError, match="same length"):
        tg.zeros(3, 4, 5).fill_diagonal_(1.0)
    leaf = Tensor(np.zeros((2, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.fill_diagonal_(1.0)
    assert not leaf.data.any()


# ------------------------------------------------------------------- predicates
def test_predicates_and_complex_no_ops():
    x = Tensor(np.array([1.0, 2.0]))
    assert tg.equal(x, Tensor(np.array([1, 2]))) and not x.equal(Tensor([[1.0, 2.0]]))
    assert not tg.equal(Tensor([math.nan]), Tensor([math.nan]))
    assert Tensor([[3.0]]).is_nonzero() and not tg.is_nonzero(Tensor([0.0]))
    with pytest.raises(ValueError, match="exactly one element"):
        x.is_nonzero()
    assert x.is_same_size(Tensor([5.0, 6.0])) and not tg.is_same_size(x, Tensor([1.0]))
    assert not x.is_complex() and x.is_signed() and Tensor([1]).is_signed()
    assert not Tensor(np.array([1], dtype=np.uint8)).is_signed()
    assert not Tensor(np.array([True])).is_signed()
    assert x.is_cpu and not x.is_cuda and x.get_device() == -1 and not x.is_inference()
    assert x.real is x and tg.real(x) is x
    with pytest.raises(TypeError, match="real tensors"):
        _ = x.imag
    for name in ("conj", "resolve_conj", "resolve_neg"):
        assert getattr(x, name)() is x and getattr(tg, name)(x) is x
    assert not x.is_conj() and not x.is_neg() and not tg.is_conj(x)


def test_matrix_transposes():
    m = RNG.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(Tensor(m).mT.data, m.transpose(0, 2, 1))
    np.testing.assert_array_equal(Tensor(m).mH.data, m.transpose(0, 2, 1))
    np.testing.assert_array_equal(Tensor(m[0]).H.data, m[0].T)
    assert Tensor(np.array(2.0)).H.item() == 2.0
    check_grads(lambda t: t.mT, m)
    with pytest.raises(ValueError, match="got 1 dimensions"):
        _ = Tensor(np.ones(3)).mT
    with pytest.raises(ValueError, match="use mH for batches"):
        _ = Tensor(m).H


def test_retains_grad():
    leaf = Tensor(X.copy(), requires_grad=True)
    mid = leaf * 2
    assert not leaf.retains_grad and not mid.retains_grad
    mid.retain_grad()
    assert mid.retains_grad
    leaf.retain_grad()  # a leaf keeps its grad anyway; torch reports False
    assert not leaf.retains_grad


# --------------------------------------------------- post-accumulate grad hooks
def test_post_accumulate_grad_hook_sees_the_summed_grad():
    w = Tensor(X.copy(), requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append((t, t.grad.copy())))
    (w * w).sum().backward()  # w reaches the loss twice; the hook runs once, after summing
    assert len(seen) == 1 and seen[0][0] is w
    np.testing.assert_allclose(seen[0][1], 2 * X)
    (3 * w).sum().backward()  # accumulation: the hook sees the running total
    np.testing.assert_allclose(seen[1][1], 2 * X + 3)
    tg.autograd.backward((w * 1.0).sum(), inputs=[w])
    np.testing.assert_allclose(seen[2][1], 2 * X + 4)
    handle.remove()
    w.sum().backward()
    assert len(seen) == 3


def test_post_accumulate_grad_hook_can_step_in_backward():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)

    def sgd_step(t):
        with tg.no_grad():
            t.sub_(Tensor(t.grad) * 0.5)
        t.grad = None

    w.register_post_accumulate_grad_hook(sgd_step)
    (w * w).sum().backward()
    np.testing.assert_allclose(w.data, [1.0 - 0.5 * 2.0, 2.0 - 0.5 * 4.0])
    assert w.grad is None


def test_post_accumulate_grad_hook_errors():
    w = Tensor(X.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(X).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(TypeError, match="callable"):
        w.register_post_accumulate_grad_hook(3)
