"""The families built on transforms and the later torch.distributions families (Pareto,
InverseGamma, Kumaraswamy, ContinuousBernoulli, FisherSnedecor, NegativeBinomial,
VonMises, RelaxedBernoulli, RelaxedOneHotCategorical, LogisticNormal,
OneHotCategoricalStraightThrough, MixtureSameFamily, LowRankMultivariateNormal): log_prob
against densities written here with math, normalisation / moments / entropy against Simpson
quadrature or sums over the support, seeded sample moments within a few standard errors,
rsample gradients against float64 finite differences (one seed for every evaluation), and
bad parameters raising ValueError that names them."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor
from tinygrad_opt.distributions import (
    Categorical,
    ContinuousBernoulli,
    FisherSnedecor,
    Independent,
    InverseGamma,
    Kumaraswamy,
    LogisticNormal,
    LowRankMultivariateNormal,
    MixtureSameFamily,
    MultivariateNormal,
    NegativeBinomial,
    Normal,
    OneHotCategoricalStraightThrough,
    Pareto,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
    VonMises,
)

RNG = np.random.default_rng(11)
N_DRAWS = 50_000
lgamma = np.vectorize(math.lgamma, otypes=[np.float64])


def t64(x) -> Tensor:
    return Tensor(np.asarray(x, dtype=np.float64))


def close(got, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(got.data if isinstance(got, Tensor) else got, want,
                               rtol=rtol, atol=atol)


def simpson(f, lo, hi, n=100_001):
    x = np.linspace(lo, hi, n)
    y = f(x)
    h = x[1] - x[0]
    return h / 3 * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum())


def density(d, batch_index=None):
    """x -> p(x) of a scalar-batch distribution, evaluated on a numpy grid."""
    return lambda x: np.exp(d.log_prob(t64(x)).data)


def plogp(p):
    """p log p with 0 log 0 = 0."""
    return np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)


def seeded_mean_ok(draws, mean, sd, k=4.5):
    assert np.all(np.abs(draws.mean(0) - mean) < k * sd / math.sqrt(draws.shape[0]))


# ------------------------------------------------------------------------------ Pareto
def test_pareto_density_moments_entropy_and_cdf():
    scale, alpha = 1.5, 3.5
    d = Pareto(t64(scale), t64(alpha))
    x = np.array([1.5, 2.0, 7.0])
    close(d.log_prob(t64(x)), np.log(alpha) + alpha * np.log(scale) - (alpha + 1) * np.log(x))
    close(d.cdf(t64(x)), 1 - (scale / x) ** alpha)
    close(d.icdf(d.cdf(t64(x))), x, rtol=1e-9)
    close(d.mean, alpha * scale / (alpha - 1))
    close(d.variance, scale**2 * alpha / ((alpha - 1) ** 2 * (alpha - 2)))
    # -E[log p] over [scale, scale * 1e4] with the substitution x = scale e^u
    f = density(d)
    close(d.entropy(), simpson(lambda u: -f(scale * np.exp(u)) * np.log(f(scale * np.exp(u)))
                               * scale * np.exp(u), 0, math.log(1e4)), rtol=1e-7)
    close(Pareto(t64(1.0), t64([0.5, 1.5])).mean, [np.inf, 3.0])
    close(Pareto(t64(1.0), t64([1.5, 3.0])).variance, [np.inf, 0.75])
    assert d.support.check(np.array([1.4, 1.6])).tolist() == [False, True]


def test_pareto_rsample_gradient_and_seeded_mean():
    def draw(s, a):
        tg.manual_seed(4)
        return Pareto(s, a).rsample((3,))

    check_grads(draw, np.array([1.0, 2.0]), np.array([3.0, 4.5]))
    tg.manual_seed(0)
    s, a = 2.0, 5.0
    draws = Pareto(t64(s), t64(a)).sample((N_DRAWS,)).data
    seeded_mean_ok(draws, a * s / (a - 1), math.sqrt(s * s * a / ((a - 1) ** 2 * (a - 2))))


# ------------------------------------------------------------------------- InverseGamma
def test_inverse_gamma_density_moments_entropy():
    a, b = 3.5, 2.0
    d = InverseGamma(t64(a), t64(b))
    x = np.array([0.1, 0.7, 3.0])
    close(d.log_prob(t64(x)),
          a * math.log(b) - math.lgamma(a) - (a + 1) * np.log(x) - b / x)
    close(d.mean, b / (a - 1))
    close(d.mode, b / (a + 1))
    close(d.variance, b * b / ((a - 1) ** 2 * (a - 2)))
    f = density(d)
    close(simpson(f, 1e-6, 200.0), 1.0, rtol=1e-4)
    close(d.entropy(), simpson(lambda x: -f(x) * np.log(np.maximum(f(x), 1e-300)), 1e-6, 200.0),
          rtol=1e-4)
    close(InverseGamma(t64([0.5, 2.5]), t64(1.0)).mean, [np.inf, 1 / 1.5])
    close(InverseGamma(t64([1.5, 2.5]), t64(1.0)).variance, [np.inf, 1 / (1.5**2 * 0.5)])


def test_inverse_gamma_seeded_mean_and_gradient():
    tg.manual_seed(1)
    a, b = 6.0, 2.0
    draws = InverseGamma(t64(a), t64(b)).sample((N_DRAWS,)).data
    seeded_mean_ok(draws, b / (a - 1), math.sqrt(b * b / ((a - 1) ** 2 * (a - 2))))

    def draw(b):
        tg.manual_seed(2)
        return InverseGamma(t64([3.0, 4.0]), b).rsample((2,))

    check_grads(draw, np.array([1.5, 0.5]))


# ------------------------------------------------------------------------- Kumaraswamy
def test_kumaraswamy_density_moments_entropy_mode():
    a, b = 2.0, 3.5
    d = Kumaraswamy(t64(a), t64(b))
    x = np.array([0.1, 0.5, 0.9])
    close(d.log_prob(t64(x)),
          math.log(a * b) + (a - 1) * np.log(x) + (b - 1) * np.log1p(-(x**a)), rtol=1e-9)
    close(d.cdf(t64(x)), 1 - (1 - x**a) ** b, rtol=1e-9)
    f = density(d)
    lo, hi = 1e-9, 1 - 1e-9
    mean = simpson(lambda v: v * f(v), lo, hi)
    close(d.mean, mean, rtol=1e-7)
    close(d.variance, simpson(lambda v: v * v * f(v), lo, hi) - mean**2, rtol=1e-6)
    close(d.entropy(), simpson(lambda v: -plogp(f(v)), lo, hi), rtol=1e-6)
    grid = np.linspace(0.001, 0.999, 99_801)
    close(d.mode, grid[np.argmax(f(grid))], atol=2e-5)
    assert np.isnan(Kumaraswamy(t64(0.5), t64(2.0)).mode.data)


def test_kumaraswamy_rsample_gradient():
    def draw(a, b):
        tg.manual_seed(5)
        return Kumaraswamy(a, b).rsample((3,))

    check_grads(draw, np.array([1.5, 3.0]), np.array([2.0, 0.7]))


# -------------------------------------------------------------------- ContinuousBernoulli
def cb_log_norm(p):
    return np.where(np.abs(p - 0.5) < 1e-12, math.log(2),
                    np.log(np.abs(2 * np.arctanh(1 - 2 * p) / (1 - 2 * p + 1e-300))))


@pytest.mark.parametrize("p", [0.1, 0.4995, 0.5, 0.5005, 0.8])
def test_continuous_bernoulli_normalises_and_matches_quadrature(p):
    d = ContinuousBernoulli(t64(p))
    x = np.array([0.0, 0.3, 1.0])
    if abs(p - 0.5) > 1e-3:  # the closed form; inside lims the Taylor branch is used
        close(d.log_prob(t64(x)), cb_log_norm(np.array(p)) + x * math.log(p)
              + (1 - x) * math.log(1 - p), rtol=1e-9)
    f = density(d)
    close(simpson(f, 0.0, 1.0, 20_001), 1.0, rtol=1e-7)
    mean = simpson(lambda v: v * f(v), 0.0, 1.0, 20_001)
    close(d.mean, mean, rtol=1e-7)
    close(d.variance, simpson(lambda v: v * v * f(v), 0.0, 1.0, 20_001) - mean**2, rtol=1e-6)
    close(d.entropy(), simpson(lambda v: -f(v) * np.log(f(v)), 0.0, 1.0, 20_001), rtol=1e-7,
          atol=1e-9)
    xs = np.linspace(0, 1, 4001)
    cdf = np.concatenate([[0], np.cumsum((f(xs[1:]) + f(xs[:-1])) / 2 * np.diff(xs))])
    # inside lims the cdf is the identity (torch's linear stand-in), off by up to |p - 1/2|/2
    atol = 1e-7 if abs(p - 0.5) > 1e-3 else 3e-4
    close(d.cdf(t64(xs[::400])), cdf[::400], rtol=1e-5, atol=atol)
    close(d.cdf(d.icdf(t64([0.2, 0.7]))), [0.2, 0.7], rtol=1e-9)


def test_continuous_bernoulli_rsample_gradient_and_seeded_mean():
    def draw(logits):
        tg.manual_seed(6)
        return ContinuousBernoulli(logits=logits).rsample((3,))

    check_grads(draw, np.array([-1.5, 0.7]))
    tg.manual_seed(3)
    d = ContinuousBernoulli(t64(0.8))
    draws = d.sample((N_DRAWS,)).data
    seeded_mean_ok(draws, d.mean.data, math.sqrt(d.variance.data))


def test_continuous_bernoulli_from_large_logits_clamps_probs_as_given_probs():
    # sigmoid(80) rounds to 1 in float64: log(1 - p) was -inf, so log_prob was +inf and the
    # mean, cdf, icdf and entropy NaN; the derived probs are clamped to [eps, 1 - eps] now
    eps = np.finfo(np.float64).eps
    d = ContinuousBernoulli(logits=t64([80.0, -80.0]))
    p = np.array([1 - eps, eps])
    close(d.probs, p, rtol=0)
    x = np.array([0.5, 0.25])
    # as torch: x l - softplus(l) from the given logits, log C from the clamped probs
    logits = np.array([80.0, -80.0])
    close(d.log_prob(t64(x)), x * logits - np.logaddexp(0, logits) + cb_log_norm(p),
          rtol=1e-9)
    ratio = np.log1p(-p) - np.log(p)
    close(d.mean, p / (2 * p - 1) + 1 / ratio, rtol=1e-9)
    # cdf (p^x (1-p)^(1-x) + p - 1) / (2p - 1), and icdf its inverse
    cdf = (p**x * (1 - p) ** (1 - x) + p - 1) / (2 * p - 1)
    close(d.cdf(t64(x)), cdf, rtol=1e-9)
    close(d.icdf(t64(cdf)), x, rtol=1e-6)
    for value in (d.variance, d.entropy()):
        assert np.isfinite(value.data).all()


def test_continuous_bernoulli_float32_near_one_half():
    """Just outside lims the closed forms cancel (two terms of ~1 / (1 - 2p)^2 leave 1/12):
    float32 probs must still give the float64 values of the documented formulas at the same
    p, mean p / (2p - 1) + 1 / log((1 - p) / p), variance p (p - 1) / (1 - 2p)^2 +
    1 / log((1 - p) / p)^2, log C = log(2 atanh(1 - 2p) / (1 - 2p))."""
    p32 = np.array([0.3, 0.45, 0.49, 0.495, 0.498, 0.4985, 0.5015, 0.505, 0.52], np.float32)
    p = p32.astype(np.float64)
    ratio = np.log((1 - p) / p)
    mean = p / (2 * p - 1) + 1 / ratio
    var = p * (p - 1) / (1 - 2 * p) ** 2 + 1 / ratio**2
    x = np.full(p.shape, 0.7)
    log_c = np.log(2 * np.arctanh(1 - 2 * p) / (1 - 2 * p))
    log_prob = log_c + x * np.log(p) + (1 - x) * np.log1p(-p)
    d = ContinuousBernoulli(Tensor(p32))
    for got, want in ((d.mean, mean), (d.variance, var),
                      (d.log_prob(Tensor(x.astype(np.float32))), log_prob)):  # fmt: skip
        assert got.data.dtype == np.float32
        np.testing.assert_allclose(got.data, want, rtol=2e-6, atol=1e-7)
    # the icdf inverts cdf = (p^x (1 - p)^(1 - x) + p - 1) / (2p - 1); quantiles may be floats
    icdf = np.log1p(0.3 * (2 * p - 1) / (1 - p)) / np.log(p / (1 - p))
    np.testing.assert_allclose(d.icdf(0.3).data, icdf, rtol=2e-6, atol=1e-7)


# ------------------------------------------------------------------------ FisherSnedecor
def test_fisher_snedecor_density_and_moments():
    d1, d2 = 5.0, 12.0
    d = FisherSnedecor(t64(d1), t64(d2))
    x = np.array([0.2, 1.0, 4.0])
    want = (0.5 * d1 * math.log(d1) + 0.5 * d2 * math.log(d2) + (0.5 * d1 - 1) * np.log(x)
            - 0.5 * (d1 + d2) * np.log(d2 + d1 * x)
            - (math.lgamma(d1 / 2) + math.lgamma(d2 / 2) - math.lgamma((d1 + d2) / 2)))
    close(d.log_prob(t64(x)), want)
    close(d.mean, d2 / (d2 - 2))
    close(d.mode, (d1 - 2) / d1 * d2 / (d2 + 2))
    close(d.variance, 2 * d2**2 * (d1 + d2 - 2) / (d1 * (d2 - 2) ** 2 * (d2 - 4)))
    assert np.isnan(FisherSnedecor(t64(1.0), t64(2.0)).mean.data)
    tg.manual_seed(4)
    draws = d.sample((N_DRAWS,)).data
    seeded_mean_ok(draws, d2 / (d2 - 2), math.sqrt(d.variance.data))

    # the draws' gradients go through the implicit gamma gradients, so they are checked in
    # expectation: one draw per parameter copy gives per-draw gradients, whose mean must be
    # d E[x] / d df = (0, -2 / (df2 - 2)^2) within a few standard errors
    m = 20_000
    df1 = Tensor(np.full(m, 3.0), requires_grad=True)
    df2 = Tensor(np.full(m, 9.0), requires_grad=True)
    tg.manual_seed(7)
    FisherSnedecor(df1, df2).rsample().sum().backward()
    for grad, want in ((df1.grad, 0.0), (df2.grad, -2 / 49)):
        g = np.asarray(grad)
        assert abs(g.mean() - want) < 4.5 * g.std() / math.sqrt(m)


# ---------------------------------------------------------------------- NegativeBinomial
def test_negative_binomial_pmf_sums_and_moments():
    r, p = 2.5, 0.35
    d = NegativeBinomial(t64(r), t64(p))
    k = np.arange(0, 200.0)
    want = (lgamma(k + r) - lgamma(k + 1) - math.lgamma(r) + r * math.log(1 - p)
            + k * math.log(p))
    close(d.log_prob(t64(k)), want, rtol=1e-9)
    pmf = np.exp(want)
    close(pmf.sum(), 1.0)
    close(d.mean, (k * pmf).sum())
    close(d.variance, (k * k * pmf).sum() - (k * pmf).sum() ** 2, rtol=1e-9)
    close(d.mode, k[np.argmax(pmf)])
    same = NegativeBinomial(t64(r), logits=t64(math.log(p / (1 - p))))
    close(same.log_prob(t64(k[:10])), want[:10], rtol=1e-9)
    close(NegativeBinomial(t64(0.0), t64(0.3)).log_prob(t64(0.0)), 0.0)
    tg.manual_seed(5)
    draws = d.sample((N_DRAWS,)).data
    assert np.all(draws == np.round(draws))
    seeded_mean_ok(draws, d.mean.data, math.sqrt(d.variance.data))
    check_grads(lambda r, lg: NegativeBinomial(r, logits=lg).log_prob(t64([0.0, 3.0, 8.0])),
                np.array([1.5, 2.5, 4.0]), np.array([-0.3, 0.4, 1.2]))


# ------------------------------------------------------------------------------ VonMises
def test_von_mises_density_normalises_and_variance():
    for kappa in (0.3, 2.0, 15.0):
        d = VonMises(t64(0.4), t64(kappa))
        x = np.array([-3.0, 0.0, 0.4, 2.5])
        close(d.log_prob(t64(x)),
              kappa * np.cos(x - 0.4) - math.log(2 * math.pi) - math.log(np.i0(kappa)),
              rtol=1e-6)
        f = density(d)
        close(simpson(f, -math.pi, math.pi, 20_001), 1.0, rtol=1e-6)
        circ = 1 - simpson(lambda v, f=f: np.cos(v - 0.4) * f(v), -math.pi, math.pi, 20_001)
        close(d.variance, circ, rtol=1e-5)
    check_grads(lambda m, k: VonMises(m, k).log_prob(t64([0.1, -2.0, 3.0])),
                np.array([0.2, 0.0, -1.0]), np.array([0.5, 3.0, 8.0]))


def test_von_mises_rejection_sampler_matches_the_circular_moments():
    tg.manual_seed(6)
    kappa = np.array([0.5, 4.0, 50.0])
    d = VonMises(t64([1.0, -2.5, 3.0]), t64(kappa))
    draws = d.sample((N_DRAWS,)).data
    assert draws.shape == (N_DRAWS, 3)
    assert np.all((draws >= -math.pi) & (draws < math.pi))
    # E[cos(x - loc)] = I1(k) / I0(k); cos is bounded, so its sd is at most 1
    r = 1 - d.variance.data
    got = np.cos(draws - d.loc.data).mean(0)
    assert np.all(np.abs(got - r) < 4.5 / math.sqrt(N_DRAWS))
    assert np.all(np.abs(np.sin(draws - d.loc.data).mean(0)) < 4.5 / math.sqrt(N_DRAWS))


def test_von_mises_near_zero_concentration_samples_uniformly_without_warnings():
    """Below k ~ 1e-8 the envelope parameter takes its expansion 1/k + k; the closed form it
    replaces must not warn (divide by zero) on the way. The draws are then uniform on the
    circle: E[cos x] = E[sin x] = 0."""
    tg.manual_seed(8)
    d = VonMises(t64([0.0, 2.0]), t64([1e-12, 1e-30]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draws = d.sample((N_DRAWS,)).data
    assert np.all((draws >= -math.pi) & (draws < math.pi))
    for moment in (np.cos(draws).mean(0), np.sin(draws).mean(0)):
        assert np.all(np.abs(moment) < 4.5 / math.sqrt(N_DRAWS / 2))


# --------------------------------------------------------------------- relaxed families
def test_relaxed_bernoulli_density_and_rsample_gradient():
    temp, p = 0.6, 0.3
    d = RelaxedBernoulli(t64(temp), t64(p))
    y = np.array([0.05, 0.4, 0.95])
    # logistic noise: x = (logit u + logit p) / t has density t e^(-t x + l) / (1 + e^(-t x + l))^2
    # in x; y = sigmoid(x) divides by y (1 - y)
    x = np.log(y / (1 - y))
    lg = math.log(p / (1 - p))
    z = lg - temp * x
    want = math.log(temp) + z - 2 * np.log1p(np.exp(z)) - np.log(y * (1 - y))
    close(d.log_prob(t64(y)), want, rtol=1e-9)
    # normalised: integrate over the logit, y = sigmoid(u), dy = y (1 - y) du
    f = density(d)

    def in_logit(u):
        v = 1 / (1 + np.exp(-u))
        return f(v) * v * (1 - v)

    close(simpson(in_logit, -40.0, 40.0), 1.0, rtol=1e-6)

    def draw(lg):
        tg.manual_seed(8)
        return RelaxedBernoulli(t64(0.5), logits=lg).rsample((3,))

    check_grads(draw, np.array([-1.0, 0.5]))


def test_relaxed_one_hot_categorical_density_and_seeded_argmax():
    temp = 0.7
    probs = np.array([0.2, 0.3, 0.5])
    d = RelaxedOneHotCategorical(t64(temp), t64(probs))
    y = np.array([0.1, 0.6, 0.3])
    k = 3
    # Gumbel-softmax density (Jang et al. 2017, eq. 2)
    want = (math.lgamma(k) + (k - 1) * math.log(temp) + np.log(probs / y ** (temp + 1)).sum()
            - k * np.log((probs / y**temp).sum()))
    close(d.log_prob(t64(y)), want, rtol=1e-9)
    tg.manual_seed(9)
    draws = d.sample((N_DRAWS,)).data
    assert np.allclose(draws.sum(-1), 1.0)
    # the argmax of a Gumbel-softmax draw is a categorical draw with `probs`
    freq = np.bincount(draws.argmax(-1), minlength=3) / N_DRAWS
    assert np.all(np.abs(freq - probs) < 4.5 * np.sqrt(probs * (1 - probs) / N_DRAWS))

    def draw(lg):
        tg.manual_seed(10)
        return RelaxedOneHotCategorical(t64(0.5), logits=lg).rsample((2,))

    check_grads(draw, np.array([0.1, -0.4, 0.8]))


def test_logistic_normal_density():
    loc, scale = np.array([0.3, -0.2]), np.array([0.8, 1.3])
    d = LogisticNormal(t64(loc), t64(scale))
    assert d.event_shape == (3,) and d.batch_shape == ()
    y = np.array([0.2, 0.5, 0.3])
    # additive log-ratio with torch's stick-breaking offsets: x_k = log(y_k / rest_k) + log(K-1-k)
    rest = 1 - np.cumsum(y[:-1])
    x = np.log(y[:-1] / rest) + np.log([2.0, 1.0])
    h = 1e-6

    def forward(v):
        z = 1 / (1 + np.exp(-(v - np.log([2.0, 1.0]))))
        return np.array([z[0], (1 - z[0]) * z[1]])

    jac = np.stack([(forward(x + h * e) - forward(x - h * e)) / (2 * h) for e in np.eye(2)], -1)
    want = (-((x - loc) ** 2) / (2 * scale**2) - np.log(scale * math.sqrt(2 * math.pi))).sum()
    close(d.log_prob(t64(y)), want - np.linalg.slogdet(jac)[1], rtol=1e-7)
    close(d.loc, loc)
    assert LogisticNormal(t64(0.0), t64(1.0)).event_shape == (2,)


def test_one_hot_categorical_straight_through_gradient_is_the_probs():
    probs = Tensor(np.array([0.2, 0.3, 0.5]), requires_grad=True)
    tg.manual_seed(1)
    draw = OneHotCategoricalStraightThrough(probs).rsample()
    assert sorted(draw.data.tolist()) == [0.0, 0.0, 1.0]
    w = np.array([1.0, -2.0, 3.0])
    (draw * t64(w)).sum().backward()
    # the gradient goes through q = probs / probs.sum(): dq_j/dp_i = (delta_ij - q_j) / sum
    p = probs.data
    jac = (np.eye(3) - (p / p.sum())[None, :]) / p.sum()
    close(probs.grad, jac @ w)


# ---------------------------------------------------------------------- MixtureSameFamily
def test_mixture_same_family_density_moments_and_cdf():
    w = np.array([0.3, 0.7])
    mu, sd = np.array([-1.0, 2.0]), np.array([0.5, 1.5])
    d = MixtureSameFamily(Categorical(t64(w)), Normal(t64(mu), t64(sd)))
    x = np.array([-1.0, 0.0, 3.0])
    comp = np.exp(-((x[:, None] - mu) ** 2) / (2 * sd**2)) / (sd * math.sqrt(2 * math.pi))
    close(d.log_prob(t64(x)), np.log((w * comp).sum(-1)))
    close(d.mean, (w * mu).sum())
    close(d.variance, (w * (sd**2 + mu**2)).sum() - (w * mu).sum() ** 2)
    erf = np.vectorize(math.erf)
    close(d.cdf(t64(x)), (w * 0.5 * (1 + erf((x[:, None] - mu) / (sd * math.sqrt(2))))).sum(-1))
    tg.manual_seed(2)
    draws = d.sample((N_DRAWS,)).data
    seeded_mean_ok(draws, d.mean.data, math.sqrt(d.variance.data))
    check_grads(lambda m, s: MixtureSameFamily(Categorical(t64(w)), Normal(m, s)).log_prob(
        t64(x)), mu, sd)


def test_mixture_of_vector_components_and_bad_arguments():
    loc = RNG.normal(size=(4, 2, 3))
    scale = RNG.uniform(0.5, 1.5, (4, 2, 3))
    logits = RNG.normal(size=(4, 2))
    d = MixtureSameFamily(Categorical(logits=t64(logits)),
                          Independent(Normal(t64(loc), t64(scale)), 1))
    assert d.batch_shape == (4,) and d.event_shape == (3,)
    x = RNG.normal(size=(5, 4, 3))
    comp = (-((x[:, :, None] - loc) ** 2) / (2 * scale**2)
            - np.log(scale * math.sqrt(2 * math.pi))).sum(-1)
    logw = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    close(d.log_prob(t64(x)), np.log(np.exp(comp + logw).sum(-1)))
    assert d.sample((6,)).shape == (6, 4, 3)
    with pytest.raises(ValueError, match="Categorical"):
        MixtureSameFamily(Normal(0.0, 1.0), Normal(t64([0.0, 1.0]), 1.0))
    with pytest.raises(ValueError, match="components"):
        MixtureSameFamily(Categorical(t64([0.5, 0.5])), Normal(t64([0.0, 1.0, 2.0]), 1.0))


# -------------------------------------------------------------- LowRankMultivariateNormal
def test_low_rank_mvn_matches_the_dense_formula():
    n, r = 4, 2
    loc = RNG.normal(size=(3, n))
    w = RNG.normal(size=(n, r))
    diag = RNG.uniform(0.5, 1.5, n)
    d = LowRankMultivariateNormal(t64(loc), t64(w), t64(diag))
    cov = w @ w.T + np.diag(diag)
    x = RNG.normal(size=(3, n))
    diff = x - loc
    maha = np.einsum("bi,ij,bj->b", diff, np.linalg.inv(cov), diff)
    logdet = np.linalg.slogdet(cov)[1]
    close(d.log_prob(t64(x)), -0.5 * (n * math.log(2 * math.pi) + logdet + maha))
    close(d.entropy(), np.full(3, 0.5 * (n * (1 + math.log(2 * math.pi)) + logdet)))
    close(d.covariance_matrix, np.broadcast_to(cov, (3, n, n)))
    close(d.precision_matrix, np.broadcast_to(np.linalg.inv(cov), (3, n, n)), rtol=1e-9)
    close(d.variance, np.broadcast_to(np.diag(cov), (3, n)))
    dense = MultivariateNormal(t64(loc), covariance_matrix=t64(cov))
    close(d.log_prob(t64(x)), dense.log_prob(t64(x)).data, rtol=1e-9)
    check_grads(lambda m, w_, dg: LowRankMultivariateNormal(m, w_, dg).log_prob(t64(x)),
                loc, w, diag)

    def draw(w_, dg):
        tg.manual_seed(12)
        return LowRankMultivariateNormal(t64(loc[0]), w_, dg).rsample((2,))

    check_grads(draw, w, diag)
    tg.manual_seed(13)
    draws = LowRankMultivariateNormal(t64(loc[0]), t64(w), t64(diag)).sample((N_DRAWS,)).data
    close(np.cov(draws.T), cov, atol=0.08)
    seeded_mean_ok(draws, loc[0], np.sqrt(np.diag(cov)))


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("build, name", [
    (lambda: Pareto(t64(-1.0), t64(2.0)), "scale"),
    (lambda: Pareto(t64(1.0), t64(0.0)), "alpha"),
    (lambda: InverseGamma(t64(-1.0), t64(2.0)), "concentration"),
    (lambda: Kumaraswamy(t64(1.0), t64(-2.0)), "concentration0"),
    (lambda: ContinuousBernoulli(t64(1.5)), "probs"),
    (lambda: FisherSnedecor(t64(0.0), t64(2.0)), "df1"),
    (lambda: NegativeBinomial(t64(2.0), t64(1.0)), "probs"),
    (lambda: NegativeBinomial(t64(-2.0), t64(0.5)), "total_count"),
    (lambda: VonMises(t64(0.0), t64(-1.0)), "concentration"),
    (lambda: RelaxedBernoulli(t64(0.5), t64(1.2)), "probs"),
    (lambda: LogisticNormal(t64(0.0), t64(-1.0)), "scale"),
    (lambda: LowRankMultivariateNormal(t64(np.zeros(2)), t64(np.ones((2, 1))),
                                       t64([1.0, -1.0])), "cov_diag"),
])
def test_bad_parameters_raise_value_error_naming_them(build, name):
    with pytest.raises(ValueError, match=name):
        build()


def test_low_rank_shape_errors_and_support_checks():
    with pytest.raises(ValueError, match="event size"):
        LowRankMultivariateNormal(t64(np.zeros(3)), t64(np.ones((2, 1))), t64(np.ones(3)))
    with pytest.raises(ValueError, match="support"):
        Pareto(t64(2.0), t64(3.0)).log_prob(t64(1.0))
    with pytest.raises(ValueError, match="support"):
        NegativeBinomial(t64(2.0), t64(0.5)).log_prob(t64(1.5))
