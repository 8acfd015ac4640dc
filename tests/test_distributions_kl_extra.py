"""The cross-family KL pairs of kl_extra.py: each finite pair against Simpson quadrature of
p (log p - log q) with densities written here, +inf where q misses part of p's support
(per element for parameter-dependent supports), the Gaussian-vector pairs against the
dense formula, TransformedDistribution pairs against the bases' closed form, and
gradients against float64 finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_tensor_grad import check_grads

from tinygrad_opt import Tensor
from tinygrad_opt.distributions import (
    Beta,
    ContinuousBernoulli,
    Exponential,
    Gamma,
    Gumbel,
    Kumaraswamy,
    Laplace,
    LowRankMultivariateNormal,
    MultivariateNormal,
    Normal,
    Pareto,
    TransformedDistribution,
    Uniform,
    kl_divergence,
)
from tinygrad_opt.distributions.transforms import ExpTransform


def t64(x) -> Tensor:
    return Tensor(np.asarray(x, dtype=np.float64))


def simpson(y, x):
    h = x[1] - x[0]
    return h / 3 * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum())


lgamma = math.lgamma


def cb_log_c(p):
    return math.log(2 * math.atanh(1 - 2 * p) / (1 - 2 * p))


# (distribution, numpy log density, integration grid over its support)
BETA = (Beta(t64(2.5), t64(1.8)), lambda x: 1.5 * np.log(x) + 0.8 * np.log1p(-x)
        - (lgamma(2.5) + lgamma(1.8) - lgamma(4.3)), np.linspace(1e-12, 1 - 1e-12, 200_001))
CB = (ContinuousBernoulli(t64(0.3)), lambda x: cb_log_c(0.3) + x * math.log(0.3)
      + (1 - x) * math.log(0.7), np.linspace(0, 1, 20_001))
EXPONENTIAL = (Exponential(t64(1.7)), lambda x: math.log(1.7) - 1.7 * x,
               np.exp(np.linspace(-60, math.log(40), 400_001)))
GAMMA = (Gamma(t64(2.5), t64(1.5)), lambda x: 2.5 * math.log(1.5) - lgamma(2.5)
         + 1.5 * np.log(np.maximum(x, 1e-300)) - 1.5 * x, np.linspace(0, 60, 200_001))
LAPLACE = (Laplace(t64(0.5), t64(0.8)), lambda x: -np.abs(x - 0.5) / 0.8 - math.log(1.6),
           np.linspace(-39.5, 40.5, 200_001))
NORMAL = (Normal(t64(-0.3), t64(1.3)), lambda x: -((x + 0.3) ** 2) / (2 * 1.69)
          - math.log(1.3 * math.sqrt(2 * math.pi)), np.linspace(-20, 20, 200_001))
PARETO = (Pareto(t64(0.2), t64(3.5)), lambda x: math.log(3.5) + 3.5 * math.log(0.2)
          - 4.5 * np.log(x), 0.2 * np.exp(np.linspace(0, 25, 400_001)))
UNIFORM = (Uniform(t64(0.25), t64(0.9)), lambda x: np.full_like(x, -math.log(0.65)),
           np.linspace(0.25, 0.9, 20_001))


def quad_kl(p, q) -> float:
    (_, log_p, grid), (_, log_q, _) = p, q
    lp = log_p(grid)
    integrand = np.exp(lp) * (lp - log_q(grid))
    if p is PARETO or p is EXPONENTIAL:  # geometric grids, x = c e^u, so dx = x du
        u = np.log(grid / grid[0])
        return simpson(integrand * grid, u)
    return simpson(integrand, grid)


FINITE = [
    (BETA, NORMAL), (CB, NORMAL), (EXPONENTIAL, NORMAL), (GAMMA, NORMAL), (LAPLACE, NORMAL),
    (PARETO, NORMAL), (UNIFORM, NORMAL),
    (BETA, EXPONENTIAL), (CB, EXPONENTIAL), (GAMMA, EXPONENTIAL), (PARETO, EXPONENTIAL),
    (BETA, GAMMA), (EXPONENTIAL, GAMMA), (PARETO, GAMMA),
    (BETA, CB), (CB, CB), (UNIFORM, BETA), (UNIFORM, CB), (UNIFORM, EXPONENTIAL),
    (UNIFORM, GAMMA), (BETA, UNIFORM), (CB, UNIFORM), (NORMAL, LAPLACE),
]


@pytest.mark.parametrize("p, q", FINITE,
                         ids=lambda c: type(c[0]).__name__ if isinstance(c, tuple) else str(c))
def test_cross_family_kl_matches_quadrature(p, q):
    if q is UNIFORM:  # the uniform q must cover p's support, [0, 1] here
        q = (Uniform(t64(-0.5), t64(1.5)), lambda x: np.full_like(x, -math.log(2.0)), None)
    want = quad_kl(p, q)
    np.testing.assert_allclose(kl_divergence(p[0], q[0]).data, want, rtol=2e-6, atol=1e-8)


def test_pareto_pareto_and_uniform_pareto():
    q = (Pareto(t64(0.1), t64(2.0)), lambda x: math.log(2.0) + 2 * math.log(0.1)
         - 3 * np.log(x), None)
    np.testing.assert_allclose(kl_divergence(PARETO[0], q[0]).data, quad_kl(PARETO, q),
                               rtol=1e-6)
    np.testing.assert_allclose(kl_divergence(UNIFORM[0], q[0]).data, quad_kl(UNIFORM, q),
                               rtol=1e-6)
    # q starting above p's lower end misses mass: +inf, per element
    both = Pareto(t64([0.1, 0.3]), t64(2.0))
    got = kl_divergence(PARETO[0], both).data
    assert np.isfinite(got[0]) and got[1] == np.inf
    got = kl_divergence(Uniform(t64([0.25, 0.05]), t64(0.9)), both).data
    assert np.isinf(got).tolist() == [False, True]
    assert np.isfinite(kl_divergence(Uniform(t64(0.5), t64(0.9)), both).data).all()


def test_uniform_p_is_infinite_only_where_it_leaves_q_support():
    p = Uniform(t64([0.1, -0.2, 0.3]), t64([0.9, 0.5, 1.4]))
    for q in (Beta(t64(2.0), t64(3.0)), ContinuousBernoulli(t64(0.3))):
        got = kl_divergence(p, q).data
        assert np.isfinite(got[0]) and np.isinf(got[1:]).all()
    got = kl_divergence(p, Exponential(t64(1.0))).data
    assert np.isfinite(got[[0, 2]]).all() and got[1] == np.inf
    got = kl_divergence(Beta(t64(2.0), t64(3.0)), Uniform(t64([-1.0, 0.2]), t64(2.0))).data
    assert np.isfinite(got[0]) and got[1] == np.inf


@pytest.mark.parametrize("p, q", [
    (NORMAL, BETA), (NORMAL, EXPONENTIAL), (NORMAL, PARETO), (LAPLACE, GAMMA),
    (EXPONENTIAL, UNIFORM), (GAMMA, CB), (PARETO, BETA), (BETA, PARETO),
    ((Gumbel(t64(0.0), t64(1.0)),), CB),
], ids=lambda c: type(c[0]).__name__)
def test_uncovered_supports_give_infinity(p, q):
    got = kl_divergence(p[0], q[0]).data
    assert got.shape == () and got == np.inf


def test_cross_family_kl_gradients():
    check_grads(lambda m, s, a, b: kl_divergence(Normal(m, s), Laplace(a, b)),
                np.array([0.2, -1.0]), np.array([0.7, 1.5]), np.array([0.0, 0.5]),
                np.array([1.2, 0.4]))
    check_grads(lambda a, b, r: kl_divergence(Beta(a, b), Gamma(t64(2.0), r)),
                np.array([1.5, 3.0]), np.array([2.0, 0.7]), np.array([1.1, 0.6]))
    check_grads(lambda lo, hi, m, s: kl_divergence(Uniform(lo, hi), Normal(m, s)),
                np.array([-0.5, 0.1]), np.array([0.5, 2.0]), np.array([0.0, 1.0]),
                np.array([1.0, 0.3]))


def test_low_rank_pairs_match_the_dense_gaussian_kl():
    rng = np.random.default_rng(3)
    n = 3
    loc_p, loc_q = rng.normal(size=n), rng.normal(size=n)
    w_p, w_q = rng.normal(size=(n, 2)), rng.normal(size=(n, 1))
    d_p, d_q = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, n)
    cov_p, cov_q = w_p @ w_p.T + np.diag(d_p), w_q @ w_q.T + np.diag(d_q)
    inv_q = np.linalg.inv(cov_q)
    gap = loc_q - loc_p
    want = 0.5 * (np.trace(inv_q @ cov_p) + gap @ inv_q @ gap - n
                  + np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov_p)[1])
    p = LowRankMultivariateNormal(t64(loc_p), t64(w_p), t64(d_p))
    q = LowRankMultivariateNormal(t64(loc_q), t64(w_q), t64(d_q))
    np.testing.assert_allclose(kl_divergence(p, q).data, want, rtol=1e-9)
    dense_q = MultivariateNormal(t64(loc_q), covariance_matrix=t64(cov_q))
    np.testing.assert_allclose(kl_divergence(p, dense_q).data, want, rtol=1e-9)
    dense_p = MultivariateNormal(t64(loc_p), covariance_matrix=t64(cov_p))
    np.testing.assert_allclose(kl_divergence(dense_p, q).data, want, rtol=1e-9)


def test_transformed_pairs_use_the_bases():
    p = TransformedDistribution(Normal(t64(0.3), t64(1.2)), ExpTransform())
    q = TransformedDistribution(Normal(t64(-0.4), t64(0.7)), ExpTransform())
    want = math.log(0.7 / 1.2) + (1.2**2 + 0.7**2) / (2 * 0.7**2) - 0.5
    np.testing.assert_allclose(kl_divergence(p, q).data, want, rtol=1e-12)
    with pytest.raises(NotImplementedError, match="different transforms"):
        kl_divergence(Kumaraswamy(t64(2.0), t64(3.0)), Kumaraswamy(t64(1.0), t64(2.0)))
