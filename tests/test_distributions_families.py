"""The torch.distributions families added after the first set (Poisson, Binomial, Geometric,
Multinomial, Cauchy, Gumbel, HalfNormal, HalfCauchy, LogNormal, StudentT, Chi2, Dirichlet,
Weibull): log_prob, cdf and moments against densities written here with math; entropies
and KL against sums over the support or Simpson quadrature of those densities; sample
moments over seeded draws within a few standard errors; rsample gradients against the
reparameterisation and float64 finite differences (the same seed for every evaluation);
validation errors naming the parameter."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor
from tinygrad_opt.distributions import (
    Bernoulli,
    Beta,
    Binomial,
    Cauchy,
    Chi2,
    Dirichlet,
    Exponential,
    Gamma,
    Geometric,
    Gumbel,
    HalfCauchy,
    HalfNormal,
    LogNormal,
    Multinomial,
    Normal,
    Poisson,
    StudentT,
    Uniform,
    Weibull,
    constraints,
    kl_divergence,
)

RNG = np.random.default_rng(29)
N_DRAWS = 100_000
EULER = 0.5772156649015329


def T(x) -> Tensor:
    return Tensor(np.asarray(x, dtype=np.float64))


def positive(*shape):
    return RNG.uniform(0.5, 2.5, shape)


def vectorize(f):
    return np.vectorize(f, otypes=[np.float64])


def close(got, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(got.data if isinstance(got, Tensor) else got, want,
                               rtol=rtol, atol=atol)


lgamma = vectorize(math.lgamma)


def digamma(x):
    """psi(x) as a central difference of math.lgamma (error about 1e-10)."""
    h = 1e-5
    return vectorize(lambda v: (math.lgamma(v + h) - math.lgamma(v - h)) / (2 * h))(x)


def simpson(y, x):
    h = x[1] - x[0]
    return h / 3 * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum())


def quad(f, lo, hi, n=200_001):
    x = np.linspace(lo, hi, n)
    return simpson(f(x), x)


# ------------------------------------------------------------------- reference log densities
def poisson_ref(k, r):
    return vectorize(lambda k, r: k * math.log(r) - r - math.lgamma(k + 1))(k, r)


def binomial_ref(k, n, p):
    return vectorize(lambda k, n, p: math.log(math.comb(int(n), int(k))) + k * math.log(p)
                     + (n - k) * math.log(1 - p))(k, n, p)


def geometric_ref(k, p):
    return vectorize(lambda k, p: k * math.log(1 - p) + math.log(p))(k, p)


def cauchy_ref(x, m, s):
    return -np.log(np.pi * s * (1 + ((x - m) / s) ** 2))


def gumbel_ref(x, m, s):
    z = (x - m) / s
    return -(z + np.exp(-z)) - np.log(s)


def normal_ref(x, m, s):
    return -((x - m) ** 2) / (2 * s**2) - np.log(s * math.sqrt(2 * math.pi))


def half_normal_ref(x, s):
    return np.log(2) + normal_ref(x, 0.0, s)


def half_cauchy_ref(x, s):
    return np.log(2) + cauchy_ref(x, 0.0, s)


def log_normal_ref(x, m, s):
    return normal_ref(np.log(x), m, s) - np.log(x)


def student_t_ref(x, df, m, s):
    def one(x, df, m, s):
        y = (x - m) / s
        c = math.gamma((df + 1) / 2) / (math.gamma(df / 2) * math.sqrt(df * math.pi) * s)
        return math.log(c) - (df + 1) / 2 * math.log1p(y * y / df)

    return vectorize(one)(x, df, m, s)


def chi2_ref(x, k):
    return vectorize(lambda x, k: math.log(x ** (k / 2 - 1) * math.exp(-x / 2)
                                           / (2 ** (k / 2) * math.gamma(k / 2))))(x, k)


def weibull_ref(x, s, k):
    return np.log(k / s) + (k - 1) * np.log(x / s) - (x / s) ** k


def dirichlet_ref(x, a):
    """A loop over the batch and the categories."""
    x, a = np.broadcast_arrays(x, a)
    out = np.zeros(x.shape[:-1])
    for i in np.ndindex(out.shape):
        norm = math.lgamma(a[i].sum()) - sum(math.lgamma(v) for v in a[i])
        out[i] = norm + sum((av - 1) * math.log(xv) for av, xv in zip(a[i], x[i]))
    return out


# ------------------------------------------------------------------ closed forms, discrete
def test_poisson_against_its_formulas():
    r = positive(4)
    k = RNG.integers(0, 8, (3, 4)).astype(float)
    d = Poisson(T(r))
    close(d.log_prob(T(k)), poisson_ref(k, r))
    close(d.mean, r)
    close(d.variance, r)
    close(d.mode, np.floor(r))
    # rate 0 is allowed (torch: nonnegative): all mass at 0
    close(Poisson(T([0.0, 0.0])).log_prob(T([0.0, 1.0])), [0.0, -np.inf])
    assert Poisson(T(r)).support is constraints.nonnegative_integer and not d.has_rsample


@pytest.mark.parametrize("by", ["probs", "logits"])
def test_binomial_against_its_formulas(by):
    p = RNG.uniform(0.1, 0.9, 4)
    n = np.array([3.0, 5.0, 5.0, 9.0])
    d = Binomial(T(n), T(p)) if by == "probs" else Binomial(T(n), logits=T(np.log(p / (1 - p))))
    k = np.minimum(RNG.integers(0, 10, (3, 4)), n).astype(float)
    close(d.log_prob(T(k)), binomial_ref(k, n, p), rtol=1e-9)
    close(d.mean, n * p)
    close(d.variance, n * p * (1 - p))
    close(d.mode, np.minimum(np.floor((n + 1) * p), n))
    close(d.probs, p)
    # entropy: a sum over the support, one total_count for the batch (as torch)
    d7 = Binomial(7, T(p))
    ks = np.arange(8.0)[:, None]
    lp = binomial_ref(ks, 7.0, p)
    close(d7.entropy(), -(np.exp(lp) * lp).sum(0), rtol=1e-9)
    np.testing.assert_array_equal(d7.enumerate_support().data, np.broadcast_to(ks, (8, 4)))
    with pytest.raises(NotImplementedError, match="total_count"):
        d.entropy()


def test_binomial_default_total_count_and_edges():
    d = Binomial(probs=T([0.0, 1.0]))
    close(d.total_count, [1.0, 1.0])
    # p = 0 or 1 are clamped to eps inside the logits, as torch: log_prob is ~0, not NaN
    close(d.log_prob(T([0.0, 1.0])), [0.0, 0.0], atol=1e-14)


@pytest.mark.parametrize("by", ["probs", "logits"])
def test_geometric_against_its_formulas(by):
    p = RNG.uniform(0.1, 0.9, 4)
    d = Geometric(T(p)) if by == "probs" else Geometric(logits=T(np.log(p / (1 - p))))
    k = RNG.integers(0, 8, (3, 4)).astype(float)
    close(d.log_prob(T(k)), geometric_ref(k, p), rtol=1e-9)
    close(d.mean, (1 - p) / p, rtol=1e-9)
    close(d.variance, (1 - p) / p**2, rtol=1e-9)
    close(d.mode, np.zeros(4))
    ks = np.arange(3000.0)[:, None]  # (1 - p)^3000 < 1e-130: the tail is negligible
    lp = geometric_ref(ks, p)
    close(d.entropy(), -(np.exp(lp) * lp).sum(0), rtol=1e-9)
    close(Geometric(T(1.0)).log_prob(T([0.0, 1.0])), [0.0, -np.inf])


def multinomial_ref(x, p):
    """log n! / prod x_k! prod p_k^x_k by a loop over the batch."""
    x, p = np.broadcast_arrays(x, p)
    out = np.zeros(x.shape[:-1])
    for i in np.ndindex(out.shape):
        n = int(x[i].sum())
        coef = math.factorial(n) / math.prod(math.factorial(int(v)) for v in x[i])
        out[i] = math.log(coef * math.prod(pv**xv for pv, xv in zip(p[i], x[i])))
    return out


@pytest.mark.parametrize("by", ["probs", "logits"])
def test_multinomial_against_its_formulas(by):
    w = positive(2, 3)
    p = w / w.sum(-1, keepdims=True)
    d = Multinomial(4, T(w)) if by == "probs" else Multinomial(4, logits=T(np.log(w) + 3))
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    x = np.array([[[4.0, 0, 0], [1, 2, 1]], [[0, 1, 3], [2, 2, 0]]])
    close(d.log_prob(T(x)), multinomial_ref(x, p))
    close(d.mean, 4 * p)
    close(d.variance, 4 * p * (1 - p))
    # entropy: every count vector with sum 4 over three categories
    comps = np.array([(i, j, 4 - i - j) for i in range(5) for j in range(5 - i)], float)
    lp = multinomial_ref(comps[:, None, :], p)
    close(d.entropy(), -(np.exp(lp) * lp).sum(0), rtol=1e-9)
    # an empty category contributes nothing where its count is 0
    close(Multinomial(2, T([0.5, 0.0, 0.5])).log_prob(T([1.0, 0.0, 1.0])), math.log(0.5))


# ---------------------------------------------------------------- closed forms, continuous
def test_cauchy_and_half_cauchy_against_their_formulas():
    m, s = RNG.normal(size=4), positive(4)
    x = RNG.normal(size=(3, 4)) * 3
    d = Cauchy(T(m), T(s))
    close(d.log_prob(T(x)), cauchy_ref(x, m, s))
    close(d.cdf(T(x)), vectorize(lambda x, m, s: 0.5 + math.atan((x - m) / s) / math.pi)(x, m, s))
    close(d.icdf(d.cdf(T(x))), x, rtol=1e-8)
    close(d.entropy(), np.log(4 * np.pi * s))
    close(d.mode, m)
    assert np.isnan(d.mean.data).all() and np.isinf(d.variance.data).all()
    h = HalfCauchy(T(s))
    xp = np.abs(x)
    close(h.log_prob(T(xp)), half_cauchy_ref(xp, s))
    close(h.cdf(T(xp)), vectorize(lambda x, s: 2 * math.atan(x / s) / math.pi)(xp, s))
    close(h.icdf(h.cdf(T(xp))), xp, rtol=1e-8)
    close(h.entropy(), np.log(2 * np.pi * s))
    close(h.mode, np.zeros(4))
    assert np.isinf(h.mean.data).all() and np.isinf(h.variance.data).all()


def test_gumbel_against_its_formulas():
    m, s = RNG.normal(size=4), positive(4)
    x = RNG.normal(size=(3, 4)) * 2
    d = Gumbel(T(m), T(s))
    close(d.log_prob(T(x)), gumbel_ref(x, m, s))
    close(d.cdf(T(x)), np.exp(-np.exp(-(x - m) / s)))
    close(d.icdf(d.cdf(T(x))), x, rtol=1e-8)
    close(d.mean, m + EULER * s)
    close(d.mode, m)
    close(d.variance, np.pi**2 * s**2 / 6)
    close(d.stddev, np.pi * s / math.sqrt(6))
    close(d.entropy(), np.log(s) + EULER + 1)


def test_half_normal_against_its_formulas():
    s = positive(4)
    x = np.abs(RNG.normal(size=(3, 4)))
    d = HalfNormal(T(s))
    close(d.log_prob(T(x)), half_normal_ref(x, s))
    close(d.cdf(T(x)), vectorize(lambda x, s: math.erf(x / (s * math.sqrt(2))))(x, s))
    close(d.icdf(d.cdf(T(x))), x, rtol=1e-8)
    close(d.mean, s * math.sqrt(2 / math.pi))
    close(d.variance, s**2 * (1 - 2 / math.pi))
    close(d.mode, np.zeros(4))
    close(d.entropy(), 0.5 * np.log(np.pi * s**2 / 2) + 0.5)
    # below the support: -inf when not validating, as torch; an error when validating
    close(HalfNormal(T(s), validate_args=False).log_prob(T(-1.0)), np.full(4, -np.inf))
    with pytest.raises(ValueError, match="support"):
        d.log_prob(T(-1.0))


def test_log_normal_against_its_formulas():
    m, s = RNG.normal(size=4) * 0.5, positive(4) * 0.5
    x = positive(3, 4)
    d = LogNormal(T(m), T(s))
    close(d.log_prob(T(x)), log_normal_ref(x, m, s))
    cdf = vectorize(lambda x, m, s: 0.5 * (1 + math.erf((math.log(x) - m) / (s * math.sqrt(2)))))
    close(d.cdf(T(x)), cdf(x, m, s))
    close(d.icdf(d.cdf(T(x))), x, rtol=1e-8)
    close(d.mean, np.exp(m + s**2 / 2))
    close(d.mode, np.exp(m - s**2))
    close(d.variance, (np.exp(s**2) - 1) * np.exp(2 * m + s**2))
    close(d.entropy(), m + 0.5 + 0.5 * np.log(2 * np.pi * s**2))
    assert d.support is constraints.positive


def test_student_t_against_its_formulas():
    df = np.array([0.7, 1.5, 2.0, 3.0, 7.5])
    m, s = RNG.normal(size=5), positive(5)
    x = RNG.normal(size=(3, 5)) * 2
    d = StudentT(T(df), T(m), T(s))
    close(d.log_prob(T(x)), student_t_ref(x, df, m, s))
    np.testing.assert_array_equal(np.isnan(d.mean.data), df <= 1)
    close(d.mean.data[df > 1], m[df > 1])
    close(d.mode, m)
    var = d.variance.data
    assert np.isnan(var[0]) and np.isinf(var[1]) and np.isinf(var[2])
    close(var[3:], s[3:] ** 2 * df[3:] / (df[3:] - 2))
    # entropy by quadrature of -p log p after x = m + s sinh(u): the polynomial tails
    # become exponential ones, e^(-df |u|)
    u = np.linspace(-100, 100, 400_001)
    for i in range(5):
        xs = m[i] + s[i] * np.sinh(u)
        lp = student_t_ref(xs, df[i], m[i], s[i])
        want = simpson(-np.exp(lp) * lp * s[i] * np.cosh(u), u)
        close(d.entropy().data[i], want, rtol=1e-7)
    defaults = StudentT(T(3.0))
    close(defaults.loc, 0.0)
    close(defaults.scale, 1.0)


def test_chi2_is_a_gamma_with_half_df():
    k = positive(4) * 2
    x = positive(3, 4)
    d = Chi2(T(k))
    assert isinstance(d, Gamma) and d.arg_constraints == {"df": constraints.positive}
    close(d.log_prob(T(x)), chi2_ref(x, k), rtol=1e-9)
    close(d.df, k)
    close(d.mean, k)
    close(d.variance, 2 * k)
    close(d.mode, np.maximum(k - 2, 0))
    e = Chi2(T([2.0])).expand((3, 2))
    assert isinstance(e, Chi2) and e.batch_shape == (3, 2)


def test_dirichlet_against_its_formulas():
    a = positive(2, 3) + 0.6
    w = positive(4, 2, 3)
    x = w / w.sum(-1, keepdims=True)
    d = Dirichlet(T(a))
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    close(d.log_prob(T(x)), dirichlet_ref(x, a), rtol=1e-9)
    a0 = a.sum(-1, keepdims=True)
    close(d.mean, a / a0)
    close(d.variance, a * (a0 - a) / (a0**2 * (a0 + 1)))
    close(d.mode, (a - 1) / (a0 - 3))
    k = 3
    want = (lgamma(a).sum(-1) - lgamma(a0[:, 0]) + (a0[:, 0] - k) * digamma(a0[:, 0])
            - ((a - 1) * digamma(a)).sum(-1))
    close(d.entropy(), want, rtol=1e-8)
    # every concentration below 1: the mode is the vertex of the largest one
    close(Dirichlet(T([0.3, 0.9, 0.5])).mode, [0.0, 1.0, 0.0])


def test_geometric_log_prob_keeps_float32_precision_for_small_probs():
    # k log(1 - p) through 1 - p in float32 was off by ~1e-4 relative for p = 1e-6
    p = np.array([1e-6, 1e-4, 0.3, 1.0], np.float32)
    k = np.array([1e5, 1e3, 3.0, 0.0], np.float32)
    out = Geometric(probs=Tensor(p)).log_prob(Tensor(k))
    assert out.dtype == np.float32
    p64, k64 = p.astype(np.float64), k.astype(np.float64)
    want = [kv * math.log1p(-pv) if kv else 0.0 for kv, pv in zip(k64, p64)] + np.log(p64)
    np.testing.assert_allclose(out.data, want, rtol=3e-7)
    # at p = 1, k = 0: log P = log p, so the gradient is 1 / p = 1 (not 0 * inf = NaN)
    q = Tensor(np.array([1.0, 0.5]), requires_grad=True)
    Geometric(probs=q).log_prob(T([0.0, 2.0])).sum().backward()
    np.testing.assert_allclose(q.grad, [1.0, 1 / 0.5 - 2 / 0.5])


def test_dirichlet_and_chi2_log_prob_gradients_where_a_concentration_is_one():
    # (a - 1) log x has slope log x in a even at a = 1 (uniform Dirichlet, Chi2 with df 2):
    # a zero gradient there was a silent error
    x = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    check_grads(lambda a: Dirichlet(a).log_prob(T(x)), np.array([[1.0, 2.0, 0.7], [1.0, 1.0, 1.0]]))
    check_grads(lambda k: Chi2(k).log_prob(T([0.4, 1.7, 3.0])), np.array([2.0, 2.0, 3.0]))


def test_weibull_against_its_formulas():
    s, k = positive(4), np.array([0.6, 1.0, 2.0, 3.5])
    x = positive(3, 4)
    d = Weibull(T(s), T(k))
    close(d.log_prob(T(x)), weibull_ref(x, s, k))
    close(d.cdf(T(x)), 1 - np.exp(-((x / s) ** k)))
    close(d.icdf(d.cdf(T(x))), x, rtol=1e-8)
    g1, g2 = vectorize(math.gamma)(1 + 1 / k), vectorize(math.gamma)(1 + 2 / k)
    close(d.mean, s * g1)
    close(d.variance, s**2 * (g2 - g1**2), rtol=1e-9)
    close(d.mode.data[1:], s[1:] * ((k[1:] - 1) / k[1:]) ** (1 / k[1:]))
    assert np.isnan(d.mode.data[0])  # k < 1: the density has no interior mode
    close(d.entropy(), EULER * (1 - 1 / k) + np.log(s / k) + 1)


# -------------------------------------------------------------------------------- sampling
def moments_ok(draws, mean, var, sigmas=5.0):
    """Sample mean and variance within `sigmas` standard errors (the variance's from the
    fourth central moment of the draws)."""
    n = draws.shape[0]
    m = draws.mean(0)
    v = draws.var(0)
    m4 = ((draws - m) ** 4).mean(0)
    assert np.all(np.abs(m - mean) < sigmas * np.sqrt(var / n)), (m, mean)
    assert np.all(np.abs(v - var) < sigmas * np.sqrt((m4 - v**2) / n)), (v, var)


SAMPLED = [
    ("poisson", lambda: Poisson(T([0.3, 4.0])), lambda: ([0.3, 4.0], [0.3, 4.0])),
    ("binomial", lambda: Binomial(T([3.0, 10.0]), T([0.2, 0.7])),
     lambda: ([0.6, 7.0], [0.48, 2.1])),
    ("geometric", lambda: Geometric(T([0.2, 0.7])), lambda: ([4.0, 3 / 7], [20.0, 0.3 / 0.49])),
    ("multinomial", lambda: Multinomial(5, T([0.2, 0.3, 0.5])),
     lambda: ([1.0, 1.5, 2.5], [0.8, 1.05, 1.25])),
    ("gumbel", lambda: Gumbel(T([0.5, -1.0]), T([2.0, 0.3])),
     lambda: ([0.5 + 2 * EULER, -1 + 0.3 * EULER], [np.pi**2 * 4 / 6, np.pi**2 * 0.09 / 6])),
    ("half_normal", lambda: HalfNormal(T([0.5, 2.0])),
     lambda: (np.array([0.5, 2.0]) * math.sqrt(2 / math.pi),
              np.array([0.25, 4.0]) * (1 - 2 / math.pi))),
    ("log_normal", lambda: LogNormal(T([0.2, -1.0]), T([0.3, 0.5])),
     lambda: (np.exp([0.2 + 0.045, -1 + 0.125]),
              np.expm1([0.09, 0.25]) * np.exp([0.4 + 0.09, -2 + 0.25]))),
    ("student_t", lambda: StudentT(T([12.0, 30.0]), T([1.0, -2.0]), T([0.5, 2.0])),
     lambda: ([1.0, -2.0], [0.25 * 12 / 10, 4 * 30 / 28])),
    ("chi2", lambda: Chi2(T([0.7, 5.0])), lambda: ([0.7, 5.0], [1.4, 10.0])),
    ("dirichlet", lambda: Dirichlet(T([0.5, 2.0, 3.5])),
     lambda: (np.array([0.5, 2, 3.5]) / 6, np.array([0.5, 2, 3.5]) * (6 - np.array([0.5, 2, 3.5]))
              / (36 * 7))),
    ("weibull", lambda: Weibull(T([1.5, 0.5]), T([0.8, 3.0])),
     lambda: (np.array([1.5, 0.5]) * vectorize(math.gamma)(1 + 1 / np.array([0.8, 3.0])),
              np.array([2.25, 0.25]) * (vectorize(math.gamma)(1 + 2 / np.array([0.8, 3.0]))
                                        - vectorize(math.gamma)(1 + 1 / np.array([0.8, 3.0]))
                                        ** 2))),
]


@pytest.mark.parametrize("name,make,moments", SAMPLED, ids=[s[0] for s in SAMPLED])
def test_sample_moments_and_reproducibility(name, make, moments):
    d = make()
    tg.manual_seed(11)
    draws = d.sample((N_DRAWS,))
    assert draws.shape == (N_DRAWS,) + d.batch_shape + d.event_shape
    assert not draws.requires_grad and draws.dtype == np.float64
    assert np.all(d.support.check(draws.data))
    mean, var = moments()
    moments_ok(draws.data, np.asarray(mean), np.asarray(var))
    # the closed forms above are also what the distribution reports
    close(d.mean, mean, rtol=1e-9)
    close(d.variance, var, rtol=1e-9)
    tg.manual_seed(11)
    np.testing.assert_array_equal(d.sample((N_DRAWS,)).data, draws.data)


def test_multinomial_draws_count_total_count():
    tg.manual_seed(3)
    x = Multinomial(6, T([[0.5, 0.5, 0.0], [0.1, 0.1, 0.8]])).sample((1000,)).data
    assert x.shape == (1000, 2, 3) and np.all(x.sum(-1) == 6)
    assert np.all(x[:, 0, 2] == 0)  # an empty category is never drawn


@pytest.mark.parametrize("folded", [False, True])
def test_cauchy_quartiles_of_the_draws(folded):
    """No moments: the fraction of draws below each quartile is 1/4, 1/2, 3/4 within five
    binomial standard errors."""
    tg.manual_seed(5)
    if folded:
        s = 2.0
        x = HalfCauchy(T([s])).sample((N_DRAWS,)).data[:, 0]
        quartiles = s * np.tan(np.pi * np.array([0.25, 0.5, 0.75]) / 2)
    else:
        m, s = 1.0, 0.5
        x = Cauchy(T([m]), T([s])).sample((N_DRAWS,)).data[:, 0]
        quartiles = m + s * np.tan(np.pi * (np.array([0.25, 0.5, 0.75]) - 0.5))
    for q, frac in zip(quartiles, (0.25, 0.5, 0.75)):
        assert abs((x < q).mean() - frac) < 5 * math.sqrt(frac * (1 - frac) / N_DRAWS)


# ----------------------------------------------------------------- reparameterisation grads
def test_location_scale_rsample_gradients_are_the_reparameterisation():
    for family in (Cauchy, Gumbel, LogNormal):
        loc = Tensor(np.array([0.5, -1.0]), requires_grad=True)
        scale = Tensor(np.array([2.0, 0.3]), requires_grad=True)
        tg.manual_seed(1)
        x = family(loc, scale).rsample((50,))
        x.sum().backward()
        y = np.log(x.data) if family is LogNormal else x.data
        dx = x.data if family is LogNormal else 1.0  # d exp(y) / dy
        np.testing.assert_allclose(loc.grad, (dx * np.ones_like(y)).sum(0), rtol=1e-10)
        eps = (y - loc.data) / scale.data
        np.testing.assert_allclose(scale.grad, (dx * eps).sum(0), rtol=1e-9)
    scale = Tensor(np.array([2.0, 0.3]), requires_grad=True)
    x = HalfNormal(scale).rsample((50,))
    x.sum().backward()
    np.testing.assert_allclose(scale.grad, (x.data / scale.data).sum(0), rtol=1e-10)
    assert (x.data >= 0).all()


def seeded_rsample(family, *args, n=6):
    """rsample with the same draws at every call, so finite differences see a smooth map."""
    tg.manual_seed(21)
    return family(*args).rsample((n,))


def test_rsample_gradients_finite_differences():
    loc, scale = RNG.normal(size=3), positive(3)
    for family in (Cauchy, Gumbel, LogNormal):
        check_grads(lambda m, s, f=family: seeded_rsample(f, m, s), loc, scale)
    check_grads(lambda s: seeded_rsample(HalfNormal, s), scale)
    check_grads(lambda s: seeded_rsample(HalfCauchy, s), scale)
    check_grads(lambda s, k: seeded_rsample(Weibull, s, k), scale, scale + 0.3)
    # df moves the gamma draw by implicit reparameterisation (along the quantile at fixed
    # cdf), which is not the derivative of numpy's sampler at a fixed seed, so finite
    # differences only check loc and scale here; df is checked through moments below
    check_grads(lambda m, s: seeded_rsample(StudentT, T(scale + 2), m, s), loc, scale)


def test_gamma_based_rsample_values_from_the_same_draws():
    """Replaying the package generator: StudentT is loc + scale eps / sqrt(2 g / df) with
    eps ~ N(0, 1) drawn first and g ~ Gamma(df / 2), Chi2 is 2 g, Dirichlet is g / sum g."""
    df, loc, scale = np.array([2.5, 7.0]), np.array([1.0, -1.0]), np.array([0.5, 3.0])
    tg.manual_seed(8)
    x = StudentT(T(df), T(loc), T(scale)).rsample((5,)).data
    tg.manual_seed(8)
    rng = tg.random.generator()
    eps = rng.standard_normal((5, 2))
    g = rng.standard_gamma(np.broadcast_to(df / 2, (5, 2)))
    close(x, loc + scale * eps / np.sqrt(2 * g / df))
    tg.manual_seed(8)
    x = Chi2(T(df)).rsample((5,)).data
    tg.manual_seed(8)
    close(x, 2 * tg.random.generator().standard_gamma(np.broadcast_to(df / 2, (5, 2))))
    a = np.array([0.5, 2.0, 3.0])
    tg.manual_seed(8)
    x = Dirichlet(T(a)).rsample((5,)).data
    tg.manual_seed(8)
    g = tg.random.generator().standard_gamma(np.broadcast_to(a, (5, 3)))
    close(x, g / g.sum(-1, keepdims=True))


def test_gamma_based_rsample_with_scalar_parameters():
    """0-d parameters and no sample shape draw one 0-d value (numpy's gamma sampler then
    returns a Python float, which crashed), the replayed draw of the package generator."""
    tg.manual_seed(8)
    x = StudentT(T(4.0), T(1.0), T(2.0)).rsample()
    tg.manual_seed(8)
    rng = tg.random.generator()
    eps = rng.standard_normal(())
    g = rng.standard_gamma(2.0)
    assert x.shape == ()
    close(x, 1.0 + 2.0 * eps / np.sqrt(2 * g / 4.0))
    tg.manual_seed(8)
    y = Chi2(T(3.0)).sample()
    tg.manual_seed(8)
    assert y.shape == ()
    close(y, 2 * tg.random.generator().standard_gamma(1.5))


def test_gamma_based_rsample_gradients_match_the_moment_derivatives():
    """d/d df E[chi2] = 1; d/d df E[t^2] = d/d df df/(df-2) = -2/(df-2)^2; for a Dirichlet,
    d/da_i E[x_j] = ([i = j] a0 - a_j) / a0^2."""
    df = Tensor(np.array([3.0]), requires_grad=True)
    tg.manual_seed(4)
    Chi2(df).rsample((N_DRAWS,)).mean().backward()
    assert df.grad[0] == pytest.approx(1.0, rel=0.02)
    df = Tensor(np.array([6.0]), requires_grad=True)
    t = StudentT(df).rsample((N_DRAWS,))
    (t * t).mean().backward()
    assert df.grad[0] == pytest.approx(-2 / 16, rel=0.1)
    a0 = np.array([1.0, 2.0, 3.0])
    a = Tensor(a0.copy(), requires_grad=True)
    w = np.array([1.0, -2.0, 0.5])
    x = Dirichlet(a).rsample((N_DRAWS,))
    (x.mean(0) * T(w)).sum().backward()
    jacobian = (np.eye(3) * a0.sum() - a0[None, :]) / a0.sum() ** 2  # [i, j] = dE[x_j]/da_i
    np.testing.assert_allclose(a.grad, jacobian @ w, atol=0.01)


# ---------------------------------------------------- finite differences in the parameters
def test_log_prob_and_entropy_gradients_finite_differences():
    x = RNG.normal(size=(3, 4))
    xp = positive(3, 4)
    loc, scale = RNG.normal(size=4), positive(4)
    k = RNG.integers(0, 5, (3, 4)).astype(float)
    check_grads(lambda r: Poisson(r).log_prob(T(k)), scale)
    check_grads(lambda p: Binomial(5, p).log_prob(T(k)), scale / 3)
    check_grads(lambda lg: Binomial(5, logits=lg).log_prob(T(k)), loc)
    check_grads(lambda lg: Binomial(5, logits=lg).entropy(), loc)
    check_grads(lambda p: Geometric(p).log_prob(T(k)), scale / 3)
    check_grads(lambda lg: Geometric(logits=lg).entropy(), loc)
    counts = T(RNG.multinomial(3, [0.2, 0.3, 0.5], size=(5, 2)))
    check_grads(lambda lg: Multinomial(3, logits=lg).log_prob(counts), RNG.normal(size=(2, 3)))
    check_grads(lambda w: Multinomial(3, probs=w).entropy(), positive(2, 3))
    for family in (Cauchy, Gumbel):
        check_grads(lambda m, s, f=family: f(m, s).log_prob(T(x)), loc, scale)
        check_grads(lambda m, s, f=family: f(m, s).cdf(T(x)), loc, scale)
        check_grads(lambda s, f=family: f(T(loc), s).entropy(), scale)
    check_grads(lambda m, s: LogNormal(m, s).log_prob(T(xp)), loc, scale)
    check_grads(lambda s: HalfNormal(s).log_prob(T(xp)), scale)
    check_grads(lambda s: HalfCauchy(s).log_prob(T(xp)), scale)
    check_grads(lambda df, m, s: StudentT(df, m, s).log_prob(T(x)), scale, loc, scale)
    check_grads(lambda df, s: StudentT(df, 0.0, s).entropy(), scale, scale)
    check_grads(lambda df: Chi2(df).log_prob(T(xp)), scale * 2)
    check_grads(lambda s, c: Weibull(s, c).log_prob(T(xp)), scale, scale)
    check_grads(lambda s, c: Weibull(s, c).entropy(), scale, scale)
    w = positive(4, 3)
    check_grads(lambda a: Dirichlet(a).log_prob(T(w / w.sum(-1, keepdims=True))), positive(4, 3))
    check_grads(lambda a: Dirichlet(a).entropy(), positive(4, 3))


# ------------------------------------------------------------------------------------- KL
def test_discrete_kl_against_sums_over_the_support():
    rp, rq = positive(3), positive(3)
    ks = np.arange(200.0)[:, None]  # rate <= 2.5: the tail past 200 is below 1e-200
    lp, lq = poisson_ref(ks, rp), poisson_ref(ks, rq)
    close(kl_divergence(Poisson(T(rp)), Poisson(T(rq))), (np.exp(lp) * (lp - lq)).sum(0),
          rtol=1e-9)
    pp, pq = RNG.uniform(0.1, 0.9, 3), RNG.uniform(0.1, 0.9, 3)
    ks = np.arange(7.0)[:, None]
    lp, lq = binomial_ref(ks, 6.0, pp), binomial_ref(ks, 6.0, pq)
    close(kl_divergence(Binomial(6, T(pp)), Binomial(6, T(pq))), (np.exp(lp) * (lp - lq)).sum(0),
          rtol=1e-9)
    ks = np.arange(3000.0)[:, None]
    lp, lq = geometric_ref(ks, pp), geometric_ref(ks, pq)
    close(kl_divergence(Geometric(T(pp)), Geometric(T(pq))), (np.exp(lp) * (lp - lq)).sum(0),
          rtol=1e-9)


def test_binomial_kl_with_different_total_counts():
    p = Binomial(T([5.0, 6.0]), T([0.3, 0.3]))
    q = Binomial(T([5.0, 5.0]), T([0.4, 0.4]))
    kl = kl_divergence(p, q).data
    assert np.isfinite(kl[0]) and kl[1] == np.inf  # p reaches 6, which q cannot
    with pytest.raises(NotImplementedError, match="total_count"):
        kl_divergence(q, p)


def kl_quad(logp, logq, lo, hi):
    def f(x):
        lp = logp(x)
        return np.exp(lp) * (lp - logq(x))

    return quad(f, lo, hi)


def test_continuous_kl_against_quadrature():
    (mp, mq), (sp, sq) = RNG.normal(size=2), positive(2)
    got = kl_divergence(Gumbel(T(mp), T(sp)), Gumbel(T(mq), T(sq))).data
    want = kl_quad(lambda x: gumbel_ref(x, mp, sp), lambda x: gumbel_ref(x, mq, sq),
                   mp - 8 * sp, mp + 60 * sp)
    close(got, want, rtol=1e-8)
    got = kl_divergence(HalfNormal(T(sp)), HalfNormal(T(sq))).data
    want = kl_quad(lambda x: half_normal_ref(x, sp), lambda x: half_normal_ref(x, sq), 0, 40 * sp)
    close(got, want, rtol=1e-8)
    got = kl_divergence(LogNormal(T(mp), T(sp / 3)), LogNormal(T(mq), T(sq / 3))).data
    want = kl_quad(lambda y: normal_ref(y, mp, sp / 3), lambda y: normal_ref(y, mq, sq / 3),
                   mp - 15 * sp, mp + 15 * sp)  # over y = log x, where KL is invariant
    close(got, want, rtol=1e-8)
    got = kl_divergence(Chi2(T(sp * 2)), Chi2(T(sq * 2))).data
    xs_hi = 80.0
    # x = u^2 removes the x^(k/2 - 1) singularity at 0 for k < 2
    want = quad(lambda u: 2 * u * np.exp(chi2_ref(u * u, sp * 2))
                * (chi2_ref(u * u, sp * 2) - chi2_ref(u * u, sq * 2)), 1e-9, math.sqrt(xs_hi))
    close(got, want, rtol=1e-6)
    # Cauchy: heavy tails, so integrate over x = mp + sp sinh(u) (tails like |u| e^-|u|)
    u = np.linspace(-80, 80, 400_001)
    xs = mp + sp * np.sinh(u)
    lp = cauchy_ref(xs, mp, sp)
    integrand = np.exp(lp) * (lp - cauchy_ref(xs, mq, sq)) * sp * np.cosh(u)
    got = kl_divergence(Cauchy(T(mp), T(sp)), Cauchy(T(mq), T(sq))).data
    close(got, simpson(integrand, u), rtol=1e-8)
    # HalfCauchy: the same substitution on x = sp sinh(u), u > 0, with twice the densities
    u = np.linspace(0, 80, 200_001)
    xs = sp * np.sinh(u)
    lp = math.log(2) + cauchy_ref(xs, 0.0, sp)
    integrand = np.exp(lp) * (lp - math.log(2) - cauchy_ref(xs, 0.0, sq)) * sp * np.cosh(u)
    got = kl_divergence(HalfCauchy(T(sp)), HalfCauchy(T(sq))).data
    close(got, simpson(integrand, u), rtol=1e-8)


def test_dirichlet_kl_against_quadrature_and_monte_carlo():
    # two categories: a Beta on x_1, one-dimensional quadrature (concentrations > 1 keep the
    # integrand bounded)
    ap, aq = np.array([2.5, 1.5]), np.array([1.2, 3.0])
    got = kl_divergence(Dirichlet(T(ap)), Dirichlet(T(aq))).data

    def log_density(a):
        return lambda x: dirichlet_ref(np.stack([x, 1 - x], -1), a)

    close(got, kl_quad(log_density(ap), log_density(aq), 1e-12, 1 - 1e-12), rtol=1e-6)
    # three categories: the mean of log p - log q over draws of p, within five errors
    ap, aq = np.array([[1.0, 2.0, 3.0]]), np.array([[2.0, 0.7, 1.5]])
    tg.manual_seed(9)
    x = Dirichlet(T(ap)).sample((N_DRAWS,)).data
    diff = dirichlet_ref(x, ap) - dirichlet_ref(x, aq)
    got = kl_divergence(Dirichlet(T(ap)), Dirichlet(T(aq))).data
    assert abs(got[0] - diff[:, 0].mean()) < 5 * diff[:, 0].std() / math.sqrt(N_DRAWS)


def test_mixed_kl_pairs_against_quadrature():
    """The pairs torch registers between families: -log q and p written here."""
    (m, mu), (s, sig) = RNG.normal(size=2), positive(2)
    gum = Gumbel(T(m), T(s))

    def gumbel_q(x):
        return gumbel_ref(x, m, s)

    lo, hi = m - 10 * s, m + 50 * s
    r, a, b = positive(3)
    cases = [
        (Exponential(T(r)), lambda x: np.log(r) - r * x, 0.0, 60 / r),
        (Gamma(T(a + 1), T(b)),
         lambda x: (a + 1) * np.log(b) + a * np.log(x) - b * x - math.lgamma(a + 1), 1e-12, 80 / b),
        (Normal(T(mu), T(sig)), lambda x: normal_ref(x, mu, sig), mu - 15 * sig, mu + 15 * sig),
        (Uniform(T(mu), T(mu + sig)), lambda x: np.full_like(x, -np.log(sig)), mu, mu + sig),
    ]
    for p, logp, x0, x1 in cases:
        # 1e-6: Simpson's rule loses order where the gamma density is x^a, a < 1, near 0
        close(kl_divergence(p, gum), kl_quad(logp, gumbel_q, x0, x1), rtol=1e-6)
    close(kl_divergence(gum, Normal(T(mu), T(sig))),
          kl_quad(gumbel_q, lambda x: normal_ref(x, mu, sig), lo, hi), rtol=1e-7)
    pi, rate = RNG.uniform(0.1, 0.9, 3), positive(3)
    want = (pi * (np.log(pi) - poisson_ref(1.0, rate))
            + (1 - pi) * (np.log(1 - pi) - poisson_ref(0.0, rate)))
    close(kl_divergence(Bernoulli(T(pi)), Poisson(T(rate))), want)
    # q misses part of p's support: +inf, as torch
    for q in (Beta(T(1.0), T(1.0)), Exponential(T(1.0)), Gamma(T(1.0), T(1.0)),
              Uniform(T(0.0), T(1.0))):
        assert kl_divergence(Gumbel(T([0.0, 1.0]), T(1.0)), q).data.tolist() == [np.inf] * 2
    for q in (Bernoulli(T(0.5)), Binomial(5, T(0.5))):
        assert kl_divergence(Poisson(T([1.0, 2.0])), q).data.tolist() == [np.inf] * 2


def test_kl_gradients_finite_differences():
    a, b = positive(3), positive(3)
    check_grads(lambda r, s: kl_divergence(Poisson(r), Poisson(s)), a, b)
    check_grads(lambda p, q: kl_divergence(Binomial(4, p), Binomial(4, q)), a / 3, b / 3)
    check_grads(lambda p, q: kl_divergence(Geometric(p), Geometric(q)), a / 3, b / 3)
    check_grads(lambda p, q: kl_divergence(Dirichlet(p), Dirichlet(q)), a, b)
    for family in (Gumbel, Cauchy, LogNormal):
        check_grads(lambda m, s, f=family: kl_divergence(f(m, s), f(T(b), T(a))), a - 1, b)
    check_grads(lambda s, t: kl_divergence(HalfNormal(s), HalfNormal(t)), a, b)
    check_grads(lambda s, t: kl_divergence(Chi2(s), Chi2(t)), a, b)
    check_grads(lambda r, m, s: kl_divergence(Gamma(r, r), Gumbel(m, s)), a, a - 1, b)
    check_grads(lambda m, s, t: kl_divergence(Normal(m, s), Gumbel(m * 0, t)), a - 1, b, a)
    check_grads(lambda m, s, t: kl_divergence(Gumbel(m, s), Normal(m * 0, t)), a - 1, b, a)


# ------------------------------------------------------------------- validation and shapes
GT0 = r"GreaterThan\(lower_bound=0\.0\), but found invalid values: "


@pytest.mark.parametrize("make,message", [
    (lambda: Poisson(-1.0), r"Poisson: parameter rate .*GreaterThanEq\(lower_bound=0\.0\), "
                            r"but found invalid values: \[-1\.\]"),
    (lambda: Binomial(2.5, 0.3), r"Binomial: parameter total_count .*IntegerGreaterThan"
                                 r"\(lower_bound=0\), but found invalid values: \[2\.5\]"),
    (lambda: Binomial(-1.0, 0.3), r"parameter total_count .*invalid values: \[-1\.\]"),
    (lambda: Binomial(3, 1.3), r"parameter probs .*Interval\(lower_bound=0\.0, upper_bound=1\.0"
                               r"\), but found invalid values: \[1\.3\]"),
    (lambda: Geometric(0.0), r"Geometric: parameter probs must be in \(0, 1\], but found invalid "
                             r"values: \[0\.\]"),
    (lambda: Geometric(1.5), r"parameter probs .*Interval.*invalid values: \[1\.5\]"),
    (lambda: Geometric(logits=float("nan")), r"parameter logits .*Real\(\).*\[nan\]"),
    (lambda: Multinomial(2, T([0.5, -0.1])), r"Multinomial: parameter probs .*Simplex\(\)"),
    (lambda: Multinomial(-1, T([0.5, 0.5])), r"Multinomial: total_count must be >= 0, got -1"),
    (lambda: Cauchy(0.0, -1.0), r"Cauchy: parameter scale .*" + GT0 + r"\[-1\.\]"),
    (lambda: Gumbel(float("nan"), 1.0), r"Gumbel: parameter loc .*Real\(\).*\[nan\]"),
    (lambda: HalfNormal(0.0), r"HalfNormal: parameter scale .*" + GT0 + r"\[0\.\]"),
    (lambda: HalfCauchy(-2.0), r"HalfCauchy: parameter scale .*" + GT0 + r"\[-2\.\]"),
    (lambda: LogNormal(0.0, 0.0), r"LogNormal: parameter scale .*" + GT0 + r"\[0\.\]"),
    (lambda: StudentT(-1.0), r"StudentT: parameter df .*" + GT0 + r"\[-1\.\]"),
    (lambda: StudentT(2.0, 0.0, -1.0), r"StudentT: parameter scale .*" + GT0 + r"\[-1\.\]"),
    (lambda: Chi2(0.0), r"Chi2: parameter df .*" + GT0 + r"\[0\.\]"),
    (lambda: Dirichlet(T([1.0, -1.0])), r"Dirichlet: parameter concentration .*"
                                        r"IndependentConstraint.*\[ 1\. -1\.\]"),
    (lambda: Dirichlet(T(2.0)), r"Dirichlet: concentration must be at least one-dimensional"
                                r".*got shape \(\)"),
    (lambda: Weibull(1.0, 0.0), r"Weibull: parameter concentration .*" + GT0 + r"\[0\.\]"),
    (lambda: Weibull(-1.0, 1.0), r"Weibull: parameter scale .*" + GT0 + r"\[-1\.\]"),
])
def test_bad_parameters_name_the_parameter_range_and_value(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_values_and_types():
    with pytest.raises(ValueError, match="support"):
        Poisson(T(1.0)).log_prob(T(1.5))
    with pytest.raises(ValueError, match="support"):
        Binomial(T(3.0), T(0.5)).log_prob(T(4.0))
    with pytest.raises(ValueError, match="support"):
        Geometric(T(0.5)).log_prob(T(-1.0))
    with pytest.raises(ValueError, match="support"):
        Multinomial(2, T([0.5, 0.5])).log_prob(T([2.0, 1.0]))
    with pytest.raises(ValueError, match="support"):
        Dirichlet(T([1.0, 1.0])).log_prob(T([0.3, 0.3]))
    with pytest.raises(ValueError, match="support"):
        LogNormal(T(0.0), T(1.0)).log_prob(T(0.0))
    with pytest.raises(ValueError, match="either probs or logits"):
        Geometric()
    with pytest.raises(ValueError, match="either probs or logits"):
        Binomial(3, probs=0.5, logits=0.0)
    with pytest.raises(NotImplementedError, match="total_count"):
        Multinomial(T([2.0]), T([0.5, 0.5]))
    with pytest.raises(TypeError, match="df"):
        Chi2("3")
    # validation off: nothing is checked
    Poisson(-1.0, validate_args=False)
    StudentT(T(3.0), validate_args=False).log_prob(T(np.nan))


def test_shapes_expand_and_flags():
    cases = [
        (Poisson(T(np.ones((2, 1)))), (2, 1), ()),
        (Binomial(T([3.0]), T(np.full((2, 1), 0.5))), (2, 1), ()),
        (Geometric(logits=T(np.zeros((2, 1)))), (2, 1), ()),
        (Multinomial(3, T(np.ones((2, 1, 4)))), (2, 1), (4,)),
        (Cauchy(T(np.zeros((2, 1))), 1.0), (2, 1), ()),
        (Gumbel(0.0, T(np.ones((2, 1)))), (2, 1), ()),
        (HalfNormal(T(np.ones((2, 1)))), (2, 1), ()),
        (HalfCauchy(T(np.ones((2, 1)))), (2, 1), ()),
        (LogNormal(T(np.zeros((2, 1))), 1.0), (2, 1), ()),
        (StudentT(T(np.full((2, 1), 3.0)), 0.0, T([1.0])), (2, 1), ()),
        (Chi2(T(np.ones((2, 1)))), (2, 1), ()),
        (Dirichlet(T(np.ones((2, 1, 3)))), (2, 1), (3,)),
        (Weibull(T(np.ones((2, 1))), 2.0), (2, 1), ()),
    ]
    rsample = {Cauchy, Gumbel, HalfNormal, HalfCauchy, LogNormal, StudentT, Chi2, Dirichlet,
               Weibull}
    for d, batch, event in cases:
        assert d.batch_shape == batch and d.event_shape == event, type(d).__name__
        assert d.has_rsample == (type(d) in rsample), type(d).__name__
        e = d.expand((5, 2, 3))
        assert type(e) is type(d) and e.batch_shape == (5, 2, 3) and e.event_shape == event
        tg.manual_seed(0)
        assert e.sample((4,)).shape == (4, 5, 2, 3) + event
        with pytest.raises(ValueError, match="expand"):
            d.expand((3, 3))
    loc = Tensor(np.zeros(2), requires_grad=True)
    Gumbel(loc, 1.0).expand((3, 2)).rsample().sum().backward()
    np.testing.assert_allclose(loc.grad, [3.0, 3.0])


def test_package_exports_the_new_families():
    for name in ("Poisson", "Binomial", "Geometric", "Multinomial", "Cauchy", "Gumbel",
                 "HalfNormal", "HalfCauchy", "LogNormal", "StudentT", "Chi2", "Dirichlet",
                 "Weibull"):
        assert name in tg.distributions.__all__ and hasattr(tg.distributions, name)
    for name in ("nonnegative_integer", "positive_integer", "multinomial"):
        assert name in constraints.__all__
