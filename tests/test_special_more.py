"""torch.special's functions (tinygrad_opt.special) and torch.igamma / igammac: the
incomplete gamma functions (ops/igamma.py), Bessel and Airy functions (ops/bessel.py),
the orthogonal polynomials, erfcx / ndtr / log_ndtr / ndtri, entr / xlog1py and the
Hurwitz zeta function. References are closed forms, naive recurrences, numerical integrals
and power series summed in 90-digit decimal arithmetic, all written here; gradients are
checked against float64 central differences."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor
from tinygrad_opt import special as S

INF, NAN = math.inf, math.nan


def t64(values, requires_grad=False) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def central_difference(fn, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d fn / dx elementwise (fn acts elementwise on float64 arrays)."""
    return (fn(x + eps) - fn(x - eps)) / (2 * eps)


def check_unary_grad(op, x, rtol=1e-6, atol=1e-8):
    xt = t64(x, requires_grad=True)
    op(xt).sum().backward()
    numeric = central_difference(lambda v: op(t64(v)).numpy(), np.asarray(x, np.float64))
    np.testing.assert_allclose(xt.grad, numeric, rtol=rtol, atol=atol)


# ------------------------------------------------------------- incomplete gamma P, Q
def p_integer(n: int, x: float) -> float:
    """P(n, x) = 1 - e^-x sum_{k<n} x^k / k! for integer n."""
    return 1 - math.exp(-x) * sum(x**k / math.factorial(k) for k in range(n))


def p_by_integral(a: float, x: float, points: int = 400_001) -> float:
    """int_0^x t^(a-1) e^-t / Gamma(a) dt by the trapezoidal rule (a > 1: no singularity)."""
    t = np.linspace(0.0, x, points)
    with np.errstate(divide="ignore"):
        density = np.exp((a - 1) * np.log(t) - t - math.lgamma(a))
    density[0] = 0.0
    return float(np.sum((density[1:] + density[:-1]) * np.diff(t)) / 2)


X_GRID = np.array([1e-3, 0.2, 0.9, 1.5, 3.0, 7.5, 20.0, 60.0])


def test_igamma_closed_forms():
    p1 = tg.igamma(t64(np.ones_like(X_GRID)), t64(X_GRID)).numpy()
    np.testing.assert_allclose(p1, -np.expm1(-X_GRID), rtol=1e-13)
    for n in (2, 3, 7, 15):
        got = tg.igamma(t64(np.full_like(X_GRID, n)), t64(X_GRID)).numpy()
        want = [p_integer(n, x) for x in X_GRID]
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    half = tg.igamma(t64(np.full_like(X_GRID, 0.5)), t64(X_GRID)).numpy()
    np.testing.assert_allclose(half, [math.erf(math.sqrt(x)) for x in X_GRID], rtol=1e-13)
    q_half = tg.igammac(t64(np.full_like(X_GRID, 0.5)), t64(X_GRID)).numpy()
    np.testing.assert_allclose(q_half, [math.erfc(math.sqrt(x)) for x in X_GRID], rtol=1e-12)


def test_igamma_recurrence_and_complement():
    rng = np.random.default_rng(0)
    a = rng.uniform(0.05, 30.0, 200)
    x = rng.uniform(0.0, 45.0, 200)
    p = tg.igamma(t64(a), t64(x)).numpy()
    p_next = tg.igamma(t64(a + 1), t64(x)).numpy()
    step = np.exp(a * np.log(x) - x - np.array([math.lgamma(v + 1) for v in a]))
    np.testing.assert_allclose(p_next, p - step, rtol=1e-10, atol=1e-13)
    q = tg.igammac(t64(a), t64(x)).numpy()
    np.testing.assert_allclose(p + q, np.ones_like(p), rtol=0, atol=1e-14)
    assert np.all((p >= 0) & (p <= 1))


@pytest.mark.parametrize("a, x", [(50.0, 45.0), (50.0, 58.0), (400.0, 380.0), (400.0, 430.0)])
def test_igamma_large_arguments_against_integral(a, x):
    want = p_by_integral(a, x)
    assert tg.igamma(t64(a), t64(x)).item() == pytest.approx(want, rel=1e-8, abs=1e-12)
    assert tg.igammac(t64(a), t64(x)).item() == pytest.approx(1 - want, rel=1e-7, abs=1e-12)


def test_igamma_huge_arguments_stay_finite():
    # the prefactor x^a e^-x / Gamma(a) overflows unless taken in log space
    got = tg.igamma(t64([1e5, 1e5, 1e5]), t64([9e4, 1e5, 1.1e5])).numpy()
    upper = tg.igammac(t64(1e5), t64(1.1e5)).item()
    assert 0 < got[0] < 1e-200 and 0 < upper < 1e-200 and got[2] == 1.0
    # P(a, a) -> 1/2 + 1 / (3 sqrt(2 pi a)) for large a (the Gamma median's expansion)
    assert got[1] == pytest.approx(0.5 + 1 / (3 * math.sqrt(2 * math.pi * 1e5)), abs=1e-6)


EDGES = [  # (a, x, P, Q) as PyTorch
    (0.0, 0.0, NAN, NAN),
    (0.0, 1.0, 1.0, 0.0),
    (0.0, INF, 1.0, 0.0),
    (1.0, 0.0, 0.0, 1.0),
    (2.0, INF, 1.0, 0.0),
    (INF, 1.0, 0.0, 1.0),
    (INF, INF, NAN, NAN),
    (-1.0, 1.0, NAN, NAN),
    (1.0, -1.0, NAN, NAN),
    (NAN, 1.0, NAN, NAN),
    (1.0, NAN, NAN, NAN),
]


def test_igamma_edge_values():
    a, x, p, q = (np.array(c) for c in zip(*EDGES))
    np.testing.assert_array_equal(tg.igamma(t64(a), t64(x)).numpy(), p)
    np.testing.assert_array_equal(tg.igammac(t64(a), t64(x)).numpy(), q)


def test_igamma_dtypes_broadcasting_and_aliases():
    a32 = Tensor(np.array([[1.0], [2.0]], np.float32))
    x32 = Tensor(np.array([0.5, 1.0, 4.0], np.float32))
    out = tg.igamma(a32, x32)
    assert out.shape == (2, 3) and out.dtype == np.float32
    want = [[p_integer(n, x) for x in (0.5, 1.0, 4.0)] for n in (1, 2)]
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6)
    assert tg.igamma(a32, t64([0.5, 1.0, 4.0])).dtype == np.float64
    assert Tensor(np.array([1, 2])).igamma(x32[:2]).dtype == np.float32
    with pytest.raises(TypeError, match="igamma: needs a floating-point"):
        tg.igamma(Tensor(np.array([1, 2])), Tensor(np.array([1, 2])))
    with pytest.raises(ValueError):
        tg.igamma(t64([1.0, 2.0]), t64([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(
        S.gammaincc(a32, x32).numpy(), a32.igammac(x32).numpy()
    )
    np.testing.assert_array_equal(S.gammainc(a32, x32).numpy(), out.numpy())


def test_igamma_in_place():
    a = t64([1.0, 2.0, 3.0])
    x = t64([0.5, 1.5, 2.5])
    returned = a.igamma_(x)
    assert returned is a
    np.testing.assert_allclose(a.numpy(), [p_integer(n, v) for n, v in ((1, 0.5), (2, 1.5),
                                                                       (3, 2.5))], rtol=1e-13)
    b = t64([1.0, 2.0, 3.0])
    b.igammac_(x)
    np.testing.assert_allclose(b.numpy(), 1 - a.numpy(), rtol=1e-13)
    c = t64([1.0, 2.0])
    with pytest.raises(ValueError):  # the result's shape (2, 3) is not c's: c unchanged
        c.igamma_(t64([[0.5], [1.0]]) * t64([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(c.numpy(), [1.0, 2.0])


@pytest.mark.parametrize("upper", [False, True])
def test_igamma_gradient_wrt_other(upper):
    a = np.array([0.5, 1.0, 2.5, 7.0, 30.0, 3.0])
    x = np.array([0.3, 2.0, 1.0, 9.0, 28.0, 0.01])
    op = tg.igammac if upper else tg.igamma
    xt = t64(x, requires_grad=True)
    op(t64(a), xt).sum().backward()
    numeric = central_difference(lambda v: op(t64(a), t64(v)).numpy(), x, eps=1e-7)
    np.testing.assert_allclose(xt.grad, numeric, rtol=1e-6, atol=1e-9)
    density = np.exp((a - 1) * np.log(x) - x - np.array([math.lgamma(v) for v in a]))
    np.testing.assert_allclose(xt.grad, -density if upper else density, rtol=1e-12)


def test_igamma_gradient_broadcasts_back():
    x = t64([[0.5], [2.0]], requires_grad=True)
    tg.igamma(t64([1.0, 2.0, 3.0]), x).sum().backward()
    want = [[sum(math.exp((n - 1) * math.log(v) - v - math.lgamma(n)) for n in (1, 2, 3))]
            for v in (0.5, 2.0)]
    np.testing.assert_allclose(x.grad, want, rtol=1e-12)


@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_igamma_gradient_wrt_input_not_implemented(name):
    a = t64([2.0], requires_grad=True)
    out = getattr(tg, name)(a, t64([1.5]))
    with pytest.raises(NotImplementedError, match=f"{name}: .*input"):
        out.sum().backward()


# ------------------------------------------------------------- Bessel and Airy functions
PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459")
EULER = Decimal("0.57721566490153286060651209008240243104215933593992359880576723")


def _decimal_series(x: float, kind: str) -> float:
    """J0 J1 Y0 Y1 I0 I1 K0 K1 at x > 0 from their power series (DLMF 10.2.2, 10.8.1,
    10.25.2, 10.31.1), in 90-digit arithmetic so no cancellation shows."""
    with localcontext() as ctx:
        ctx.prec = 90
        z = Decimal(x)
        q = z * z / 4
        sign = -1 if kind[0] in "JY" else 1
        log_half = (z / 2).ln()
        s0 = s1 = h0 = h1 = Decimal(0)  # plain and harmonic-weighted sums, orders 0 and 1
        t0 = t1 = Decimal(1)  # (+-q)^k / k!^2 and (+-q)^k / (k! (k+1)!)
        harmonic = Decimal(0)
        k = 0
        while True:
            if k:
                t0 = t0 * sign * q / (k * k)
                t1 = t1 * sign * q / (k * (k + 1))
                harmonic += Decimal(1) / k
            s0 += t0
            s1 += t1
            h0 += harmonic * t0
            h1 += (2 * harmonic + Decimal(1) / (k + 1) - 2 * EULER) * t1
            k += 1
            if k > 10 and abs(t0) + abs(t1) < Decimal("1e-85"):
                break
        values = {
            "J0": s0,
            "J1": z / 2 * s1,
            "Y0": 2 / PI * ((log_half + EULER) * s0 - h0),
            "Y1": -2 / (PI * z) + 2 / PI * log_half * z / 2 * s1 - z / (2 * PI) * h1,
            "I0": s0,
            "I1": z / 2 * s1,
            "K0": -(log_half + EULER) * s0 + h0,
            "K1": 1 / z + log_half * z / 2 * s1 - z / 4 * h1,
        }
        return float(values[kind])


BESSEL_X = [1e-6, 0.3, 1.0, 2.0, 3.7, 5.0, 6.2, 11.0, 18.5, 24.9, 26.0, 31.0, 40.0]
BESSEL_OPS = {
    "J0": S.bessel_j0, "J1": S.bessel_j1, "Y0": S.bessel_y0, "Y1": S.bessel_y1,
    "I0": S.modified_bessel_i0, "I1": S.modified_bessel_i1,
    "K0": S.modified_bessel_k0, "K1": S.modified_bessel_k1,
}


@pytest.mark.parametrize("kind", list(BESSEL_OPS))
def test_bessel_against_decimal_power_series(kind):
    got = BESSEL_OPS[kind](t64(BESSEL_X)).numpy()
    want = np.array([_decimal_series(x, kind) for x in BESSEL_X])
    # J and Y oscillate: compare in absolute terms scaled by their envelope sqrt(2/(pi x))
    scale = np.minimum(1.0, np.sqrt(2 / (np.pi * np.array(BESSEL_X))))
    if kind[0] in "IK":
        np.testing.assert_allclose(got, want, rtol=1e-13)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14 * scale.max())
        np.testing.assert_allclose((got - want) / scale, 0, atol=1e-14)


def test_bessel_j_against_integral_and_symmetry():
    x = np.array([-7.3, -0.4, 0.8, 13.0, 57.0, 400.0])
    tau = np.linspace(0, np.pi, 20_001)
    weights = np.full(tau.size, tau[1])
    weights[[0, -1]] /= 2
    for n, op in ((0, S.bessel_j0), (1, S.bessel_j1)):
        want = [np.sum(weights * np.cos(n * tau - v * np.sin(tau))) / np.pi for v in x]
        np.testing.assert_allclose(op(t64(x)).numpy(), want, rtol=0, atol=1e-12)


def test_bessel_wronskians_at_large_x():
    x = np.array([30.0, 100.0, 1234.5, 1e5])
    j0, j1 = S.bessel_j0(t64(x)).numpy(), S.bessel_j1(t64(x)).numpy()
    y0, y1 = S.bessel_y0(t64(x)).numpy(), S.bessel_y1(t64(x)).numpy()
    np.testing.assert_allclose((j1 * y0 - j0 * y1) * np.pi * x / 2, 1, rtol=1e-13)
    i0, i1 = S.i0e(t64(x)).numpy(), S.i1e(t64(x)).numpy()
    k0 = S.scaled_modified_bessel_k0(t64(x)).numpy()
    k1 = S.scaled_modified_bessel_k1(t64(x)).numpy()
    np.testing.assert_allclose((i0 * k1 + i1 * k0) * x, 1, rtol=1e-13)  # I0 K1 + I1 K0 = 1/x
    # the leading Hankel term: J0 ~ sqrt(2/(pi x)) cos(x - pi/4) with relative error ~1/(8x)
    lead = np.sqrt(2 / (np.pi * x)) * np.cos(x - np.pi / 4)
    assert abs(j0[-1] - lead[-1]) < 1e-5 * np.sqrt(2 / (np.pi * x[-1]))


def test_scaled_and_exponential_forms():
    x = np.array([0.01, 0.7, 3.0, 19.0, 21.0, 60.0, 500.0])
    exp_x = np.exp(x)
    for kind, scaled in (("K0", S.scaled_modified_bessel_k0), ("K1", S.scaled_modified_bessel_k1)):
        want = [_decimal_series(v, kind) for v in x[:4]] * exp_x[:4]
        np.testing.assert_allclose(scaled(t64(x[:4])).numpy(), want, rtol=1e-13)
    for kind, op in (("I0", S.i0e), ("I1", S.i1e)):
        want = [_decimal_series(v, kind) for v in x[:6]] / exp_x[:6]
        np.testing.assert_allclose(op(t64(x[:6])).numpy(), want, rtol=1e-13)
        np.testing.assert_allclose(op(t64(-x[:6])).numpy(), want * (-1 if kind == "I1" else 1),
                                   rtol=1e-13)
    np.testing.assert_allclose(S.i1(t64(-x[:5])).numpy(),
                               [-_decimal_series(v, "I1") for v in x[:5]], rtol=1e-13)


def test_bessel_edge_values():
    x = t64([0.0, -1.0, INF, -INF, NAN])
    np.testing.assert_array_equal(S.bessel_j0(x).numpy(), [1.0, S.bessel_j0(t64([1.0])).item(),
                                                           NAN, NAN, NAN])
    np.testing.assert_array_equal(S.bessel_y0(x).numpy(), [-INF, NAN, NAN, NAN, NAN])
    np.testing.assert_array_equal(S.modified_bessel_k1(x).numpy(), [INF, NAN, 0.0, NAN, NAN])
    np.testing.assert_array_equal(S.i0e(x).numpy(), [1.0, S.i0e(t64([1.0])).item(), 0, 0, NAN])
    np.testing.assert_array_equal(S.spherical_bessel_j0(x).numpy()[[0, 2, 3]], [1.0, 0.0, 0.0])
    assert S.modified_bessel_i0(t64([800.0])).item() == INF


def _airy_decimal(x: float) -> float:
    """Ai(x) = Ai(0) f(x) + Ai'(0) g(x), the Maclaurin series (DLMF 9.4.1), 90 digits."""
    with localcontext() as ctx:
        ctx.prec = 90
        ai0 = Decimal("0.355028053887817239260063186004183176397979174199177")
        dai0 = Decimal("-0.258819403792806798405183560189203963479091138354934")
        z = Decimal(x)
        cube = z**3
        f = f_term = Decimal(1)
        g = g_term = z
        for k in range(400):
            f_term = f_term * cube / ((3 * k + 2) * (3 * k + 3))
            g_term = g_term * cube / ((3 * k + 3) * (3 * k + 4))
            f += f_term
            g += g_term
        return float(ai0 * f + dai0 * g)


def test_airy_ai_against_decimal_series():
    x = np.array([-14.0, -9.5, -8.0, -3.3, -0.5, 0.0, 0.7, 1.99, 2.01, 4.5, 9.0])
    got = S.airy_ai(t64(x)).numpy()
    want = np.array([_airy_decimal(v) for v in x])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert S.airy_ai(t64([200.0])).item() == 0.0


def test_spherical_j0():
    x = np.array([-30.0, -1.0, 1e-12, 0.5, 3.0, 1e4])
    np.testing.assert_allclose(S.spherical_bessel_j0(t64(x)).numpy(), np.sin(x) / x, rtol=1e-15)


def test_bessel_gradients_match_torch_support():
    x = np.array([-3.0, -0.4, 0.25, 1.5, 22.0])
    check_unary_grad(S.i1, x)
    check_unary_grad(S.i0e, x)
    check_unary_grad(S.i1e, x)
    xt = t64([0.0], requires_grad=True)
    S.i1(xt).backward()
    assert xt.grad[0] == 0.5
    for op in (S.bessel_j0, S.bessel_y1, S.modified_bessel_k0, S.airy_ai,
               S.spherical_bessel_j0, S.scaled_modified_bessel_k1):
        assert not op(t64([1.0], requires_grad=True)).requires_grad  # no grad_fn in torch


def test_bessel_dtypes_and_errors():
    assert S.bessel_j0(Tensor(np.array([1, 2]))).dtype == np.float32
    assert S.i1e(Tensor(np.array([1.0], np.float32))).dtype == np.float32
    with pytest.raises(TypeError, match="bessel_j0: input must be a Tensor"):
        S.bessel_j0(1.0)


# ------------------------------------------------------------- orthogonal polynomials
def naive_polynomial(kind: str, x: float, n: int) -> float:
    if n < 0:
        return 0.0
    shifted = kind.startswith("shifted_")
    if shifted:
        x, kind = 2 * x - 1, kind[len("shifted_"):]
    first = {"T": x, "U": 2 * x, "V": 2 * x - 1, "W": 2 * x + 1, "H": 2 * x, "He": x,
             "L": 1 - x, "P": x}[kind]
    values = [1.0, first]
    for k in range(1, n):
        p, c = values[-2], values[-1]
        if kind in "TUVW":
            values.append(2 * x * c - p)
        elif kind == "H":
            values.append(2 * x * c - 2 * k * p)
        elif kind == "He":
            values.append(x * c - k * p)
        elif kind == "L":
            values.append(((2 * k + 1 - x) * c - k * p) / (k + 1))
        else:
            values.append(((2 * k + 1) * x * c - k * p) / (k + 1))
    return values[n]


POLYNOMIALS = {
    "T": S.chebyshev_polynomial_t, "U": S.chebyshev_polynomial_u,
    "V": S.chebyshev_polynomial_v, "W": S.chebyshev_polynomial_w,
    "shifted_T": S.shifted_chebyshev_polynomial_t, "shifted_U": S.shifted_chebyshev_polynomial_u,
    "shifted_V": S.shifted_chebyshev_polynomial_v, "shifted_W": S.shifted_chebyshev_polynomial_w,
    "H": S.hermite_polynomial_h, "He": S.hermite_polynomial_he,
    "L": S.laguerre_polynomial_l, "P": S.legendre_polynomial_p,
}


@pytest.mark.parametrize("kind", list(POLYNOMIALS))
def test_polynomials_against_naive_recurrence(kind):
    x = np.array([-1.7, -1.0, -0.35, 0.0, 0.2, 0.9, 1.0, 2.4])
    degrees = np.array([-3, 0, 1, 2, 3, 5, 7, 12, 25])
    got = POLYNOMIALS[kind](t64(x[:, None]), t64(degrees[None, :])).numpy()
    want = np.array([[naive_polynomial(kind, v, int(n)) for n in degrees] for v in x])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_polynomial_closed_forms_and_degree_rules():
    theta = np.linspace(0.1, 3.0, 7)
    c = np.cos(theta)
    np.testing.assert_allclose(S.chebyshev_polynomial_t(t64(c), 40).numpy(), np.cos(40 * theta),
                               atol=1e-12)
    np.testing.assert_allclose(S.chebyshev_polynomial_u(t64(c), 40).numpy(),
                               np.sin(41 * theta) / np.sin(theta), atol=1e-11)
    x = np.array([-1.5, 0.3, 2.0])
    np.testing.assert_allclose(S.hermite_polynomial_h(t64(x), 3).numpy(), 8 * x**3 - 12 * x)
    np.testing.assert_allclose(S.hermite_polynomial_he(t64(x), 3).numpy(), x**3 - 3 * x)
    np.testing.assert_allclose(S.laguerre_polynomial_l(t64(x), 2).numpy(), (x**2 - 4 * x + 2) / 2)
    np.testing.assert_allclose(S.legendre_polynomial_p(t64(x), 2).numpy(), (3 * x**2 - 1) / 2)
    # the degree truncates toward zero; negative and non-finite degrees give 0
    got = S.legendre_polynomial_p(t64(0.3), t64([2.7, -0.5, -1.0, NAN, INF])).numpy()
    np.testing.assert_allclose(got, [(3 * 0.09 - 1) / 2, 1.0, 0.0, 0.0, 0.0])


def test_polynomial_dtypes_numbers_and_no_gradient():
    out = S.chebyshev_polynomial_t(0.5, Tensor(np.array([2, 3])))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [-0.5, -1.0])
    assert S.hermite_polynomial_h(Tensor(np.array([1, 2])), 2).dtype == np.float32
    mixed = S.legendre_polynomial_p(Tensor(np.array([0.5], np.float32)), t64([2.0]))
    assert mixed.dtype == np.float64
    assert not S.legendre_polynomial_p(t64([0.5], requires_grad=True), 3).requires_grad
    with pytest.raises(ValueError):
        S.chebyshev_polynomial_t(t64([1.0, 2.0]), t64([1.0, 2.0, 3.0]))


# ------------------------------------------------------------- normal CDF family, erfcx
def test_erfcx_values_and_gradient():
    x = np.array([-20.0, -2.0, -0.3, 0.0, 0.8, 4.9, 5.1, 12.0])
    want = [2 * math.exp(v * v) - math.exp(v * v) * math.erfc(-v) if v < 0
            else math.exp(v * v) * math.erfc(v) for v in x]
    np.testing.assert_allclose(S.erfcx(t64(x)).numpy(), want, rtol=1e-13)
    big = np.array([30.0, 1e3, 1e8])
    # the asymptotic series 1/(x sqrt pi) sum_n (-1)^n (2n - 1)!! / (2x^2)^n
    series = sum((-1) ** n * math.prod(range(1, 2 * n, 2)) / (2 * big**2) ** n for n in range(8))
    series = series / (big * math.sqrt(math.pi))
    np.testing.assert_allclose(S.erfcx(t64(big)).numpy(), series, rtol=1e-11)
    np.testing.assert_array_equal(S.erfcx(t64([-30.0, INF, NAN])).numpy(), [INF, 0.0, NAN])
    check_unary_grad(S.erfcx, np.array([-1.5, -0.2, 0.4, 3.0, 7.0]))


def test_ndtr_and_log_ndtr():
    x = np.array([-35.0, -8.0, -1.2, 0.0, 0.7, 5.0, 9.0])
    want = [0.5 * math.erfc(-v / math.sqrt(2)) for v in x]
    # erfc(-x / sqrt 2) has condition number ~x^2: rounding -x / sqrt 2 costs ~x^2 * 1e-16
    np.testing.assert_allclose(S.ndtr(t64(x)).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(S.log_ndtr(t64(x[1:5])).numpy(), np.log(want[1:5]), rtol=1e-13)
    # lower tail: log(phi(x) / |x| (1 - 1/x^2 + 3/x^4 - 15/x^6)); upper: -ndtr(-x)
    v = np.array([-60.0, -300.0])
    tail = -v * v / 2 - np.log(-v * math.sqrt(2 * math.pi)) + np.log1p(
        -1 / v**2 + 3 / v**4 - 15 / v**6)
    np.testing.assert_allclose(S.log_ndtr(t64(v)).numpy(), tail, rtol=1e-12)
    assert S.log_ndtr(t64(9.0)).item() == pytest.approx(-0.5 * math.erfc(9 / math.sqrt(2)),
                                                        rel=1e-12)
    check_unary_grad(S.ndtr, np.array([-2.0, 0.1, 1.3]))
    check_unary_grad(S.log_ndtr, np.array([-30.0, -2.0, 0.1, 4.0]))


def test_ndtri_inverts_ndtr():
    p = np.array([1e-300, 1e-50, 1e-12, 1e-4, 0.02, 0.3, 0.5, 0.77, 0.999, 1 - 1e-12])
    x = S.ndtri(t64(p)).numpy()
    back = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(back[:8], p[:8], rtol=1e-12)
    np.testing.assert_allclose(1 - back[8:], 1 - p[8:], rtol=1e-9)  # 1 - p has fewer digits
    assert x[6] == 0.0
    np.testing.assert_array_equal(S.ndtri(t64([0.0, 1.0, -0.1, 1.1, NAN])).numpy(),
                                  [-INF, INF, NAN, NAN, NAN])
    check_unary_grad(S.ndtri, np.array([0.01, 0.4, 0.9]), rtol=1e-5)


# ------------------------------------------------------------- entr, xlog1py, zeta
def test_entr():
    x = np.array([0.0, 1e-200, 0.3, 1.0, 7.0])
    np.testing.assert_allclose(S.entr(t64(x)).numpy(),
                               [0.0] + [-v * math.log(v) for v in x[1:]], rtol=1e-15)
    np.testing.assert_array_equal(S.entr(t64([-1.0, INF, NAN])).numpy(), [-INF, -INF, NAN])
    check_unary_grad(S.entr, np.array([0.2, 1.0, 3.5]))


def test_xlog1py():
    x = np.array([0.0, 0.0, 2.0, -1.5, 3.0])
    y = np.array([-1.0, NAN, 0.5, 4.0, -0.9])
    got = S.xlog1py(t64(x), t64(y)).numpy()
    np.testing.assert_allclose(got, [0.0, NAN, 2 * math.log1p(0.5), -1.5 * math.log1p(4.0),
                                     3 * math.log1p(-0.9)])
    xt, yt = t64([0.5, 2.0], requires_grad=True), t64([1.5, -0.3], requires_grad=True)
    S.xlog1py(xt, yt).sum().backward()
    np.testing.assert_allclose(xt.grad, np.log1p([1.5, -0.3]))
    np.testing.assert_allclose(yt.grad, [0.5 / 2.5, 2.0 / 0.7])
    assert S.xlog1py(2.0, t64([1.0])).item() == pytest.approx(2 * math.log(2))


def test_zeta_values_edges_and_no_gradient():
    zeta3 = 1.2020569031595942853997381  # Apery's constant
    s = t64([2.0, 4.0, 2.0, 3.0, 3.0])
    q = t64([1.0, 1.0, 0.5, 0.5, -1.5])
    want = [math.pi**2 / 6, math.pi**4 / 90, math.pi**2 / 2, 7 * zeta3,
            (-1.5) ** -3 + (-0.5) ** -3 + 7 * zeta3]
    np.testing.assert_allclose(S.zeta(s, q).numpy(), want, rtol=1e-14)
    # a naive sum of 10^6 terms plus the integral of the remainder (error ~ N^-x-1)
    k = np.arange(1_000_000, dtype=np.float64)
    naive = np.sum((2.3 + k) ** -1.5) + (2.3 + k.size) ** -0.5 / 0.5 + 0.5 * (2.3 + k.size) ** -1.5
    assert S.zeta(t64(1.5), t64(2.3)).item() == pytest.approx(naive, rel=1e-12)
    # a Python number meets a float64 tensor at full precision, as PyTorch's wrapped scalars
    assert S.zeta(t64(1.5), 2.3).item() == S.zeta(t64(1.5), t64(2.3)).item()
    edges = S.zeta(t64([1.0, 0.5, 2.0, 1.5, NAN]), t64([1.0, 1.0, -2.0, -0.5, 1.0])).numpy()
    np.testing.assert_array_equal(edges, [INF, NAN, INF, NAN, NAN])
    x = t64([2.0], requires_grad=True)
    out = S.zeta(x, 1.0)
    with pytest.raises(NotImplementedError, match="zeta"):
        out.sum().backward()


# ------------------------------------------------------------- the namespace
TORCH_SPECIAL_NAMES = """airy_ai bessel_j0 bessel_j1 bessel_y0 bessel_y1 chebyshev_polynomial_t
chebyshev_polynomial_u chebyshev_polynomial_v chebyshev_polynomial_w digamma entr erf erfc
erfcx erfinv exp2 expit expm1 gammainc gammaincc gammaln hermite_polynomial_h
hermite_polynomial_he i0 i0e i1 i1e laguerre_polynomial_l legendre_polynomial_p log1p
log_ndtr log_softmax logit logsumexp modified_bessel_i0 modified_bessel_i1 modified_bessel_k0
modified_bessel_k1 multigammaln ndtr ndtri polygamma psi round scaled_modified_bessel_k0
scaled_modified_bessel_k1 shifted_chebyshev_polynomial_t shifted_chebyshev_polynomial_u
shifted_chebyshev_polynomial_v shifted_chebyshev_polynomial_w sinc softmax spherical_bessel_j0
xlog1py xlogy zeta""".split()


def test_namespace_has_every_torch_special_function():
    assert sorted(S.__all__) == sorted(TORCH_SPECIAL_NAMES)
    assert all(callable(getattr(S, name)) for name in TORCH_SPECIAL_NAMES)
    assert tg.special is S


def test_aliases_compute_their_formulas():
    x = np.array([0.3, 1.7, 4.0])
    np.testing.assert_allclose(S.gammaln(t64(x)).numpy(), [math.lgamma(v) for v in x])
    np.testing.assert_allclose(S.expit(t64(x)).numpy(), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(S.psi(t64([1.0])).numpy(), [-0.5772156649015329])
    np.testing.assert_allclose(S.multigammaln(t64([2.5]), 2).numpy(),
                               [math.log(math.pi) / 2 + math.lgamma(2.5) + math.lgamma(2.0)])
    np.testing.assert_allclose(S.polygamma(1, t64([1.0])).numpy(), [math.pi**2 / 6])
    np.testing.assert_allclose(S.round(t64([1.25, 2.5]), decimals=1).numpy(), [1.2, 2.5])
    soft = S.softmax(Tensor(np.array([1.0, 2.0], np.float32)), 0, dtype=np.float64)
    assert soft.dtype == np.float64
    np.testing.assert_allclose(soft.numpy(), np.exp([1, 2]) / np.exp([1, 2]).sum())
    np.testing.assert_allclose(S.log_softmax(t64([1.0, 2.0]), 0).numpy(),
                               [1 - math.log(math.e + math.e**2), 2 - math.log(math.e + math.e**2)])
    assert S.logsumexp(t64([[1.0, 2.0]]), 1, keepdim=True).shape == (1, 1)
