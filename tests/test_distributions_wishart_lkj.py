"""Wishart and LKJCholesky: log_prob against the densities written here in float64 (the
Wishart formula with the multivariate gamma function; LKJ in dim 2 through the density
(1 - r^2)^(eta - 1) of the correlation), LKJ's normalisation in dim 3 by quadrature,
Wishart's entropy, moments and mode against their formulas, seeded sample moments
within a few standard errors, the singular-sample correction, gradients of log_prob and
rsample against float64 finite differences, and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from gamma_references import digamma, mvlgamma
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor
from tinygrad_opt.distributions import LKJCholesky, Wishart, constraints


def t64(x) -> Tensor:
    return Tensor(np.asarray(x, dtype=np.float64))


def close(got, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(got.data if isinstance(got, Tensor) else got, want,
                               rtol=rtol, atol=atol)


def wishart_log_pdf(x: np.ndarray, n: float, v: np.ndarray) -> float:
    p = v.shape[0]
    return ((n - p - 1) / 2 * np.linalg.slogdet(x)[1] - np.trace(np.linalg.solve(v, x)) / 2
            - n * p / 2 * math.log(2) - n / 2 * np.linalg.slogdet(v)[1] - mvlgamma(n / 2, p))


def wishart_entropy(n: float, v: np.ndarray) -> float:
    """-E[log p] with E[log|X|] = psi_p(n/2) + p log 2 + log|V| and E[tr(V^-1 X)] = n p."""
    p = v.shape[0]
    e_logdet = sum(digamma(n / 2 - j / 2) for j in range(p)) + p * math.log(2) \
        + np.linalg.slogdet(v)[1]
    return -((n - p - 1) / 2 * e_logdet - n * p / 2 - n * p / 2 * math.log(2)
             - n / 2 * np.linalg.slogdet(v)[1] - mvlgamma(n / 2, p))


V = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.5]])
V2 = np.array([[1.0, -0.4, 0.0], [-0.4, 2.0, 0.3], [0.0, 0.3, 0.8]])
XS = np.array([V * 2 + np.eye(3), np.eye(3) * 0.7, V2 * 3])


@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_wishart_log_prob_matches_the_density(param):
    matrices = np.stack([V, V2])
    given = {"covariance_matrix": matrices, "precision_matrix": np.linalg.inv(matrices),
             "scale_tril": np.linalg.cholesky(matrices)}[param]
    df = np.array([3.5, 6.0])
    d = Wishart(t64(df), **{param: t64(given)})
    assert d.batch_shape == (2,) and d.event_shape == (3, 3)
    x = XS[:, None]  # (3, 1, 3, 3): broadcast against the batch of two
    got = d.log_prob(t64(x))
    assert got.shape == (3, 2)
    want = [[wishart_log_pdf(xi, n, v) for n, v in zip(df, matrices)] for xi in XS]
    close(got, want, rtol=1e-11)
    close(d.covariance_matrix, matrices, rtol=1e-12)
    close(d.precision_matrix, np.linalg.inv(matrices), rtol=1e-11)
    close(d.scale_tril, np.linalg.cholesky(matrices), rtol=1e-12)


def test_wishart_df_broadcasts_with_the_matrix_batch():
    d = Wishart(t64([[4.0], [5.5]]), t64(np.stack([V, V2])))
    assert d.batch_shape == (2, 2)
    close(d.log_prob(t64(XS[0])), [[wishart_log_pdf(XS[0], n, v) for v in (V, V2)]
                                    for n in (4.0, 5.5)], rtol=1e-11)


def test_wishart_entropy_moments_and_mode():
    df = np.array([3.5, 4.0, 9.0])
    d = Wishart(t64(df), t64(V))
    close(d.entropy(), [wishart_entropy(n, V) for n in df], rtol=1e-11)
    close(d.mean, df[:, None, None] * V)
    diag = np.diag(V)
    close(d.variance, df[:, None, None] * (V * V + np.outer(diag, diag)))
    # (df - p - 1) V where df > p + 1, NaN otherwise (as torch)
    mode = d.mode.data
    assert np.isnan(mode[:2]).all()
    close(mode[2], (9.0 - 4) * V)


def test_wishart_sample_moments():
    tg.manual_seed(12)
    n, df = 40_000, np.array([4.0, 7.5])
    d = Wishart(t64(df), t64(np.stack([V, V2])))
    x = d.sample((n,)).data
    assert x.shape == (n, 2, 3, 3)
    assert constraints.positive_definite.check(x).all()
    np.testing.assert_allclose(x, np.swapaxes(x, -1, -2), rtol=1e-12, atol=1e-12)
    var = d.variance.data
    # the sample mean within 5 standard errors, entry by entry
    assert np.all(np.abs(x.mean(0) - d.mean.data) < 5 * np.sqrt(var / n))
    # the sample variance: its standard error from the draws' fourth central moments
    centred = x - x.mean(0)
    m4 = (centred**4).mean(0)
    se = np.sqrt(np.maximum(m4 - var**2, 0) / n)
    assert np.all(np.abs(x.var(0) - var) < 5 * se)


def test_wishart_singular_samples_are_redrawn():
    # df just above p - 1: chi2(df - 2) draws are tiny, so many factors are singular
    with pytest.warns(UserWarning, match="Low df values"):
        d = Wishart(t64(2.01), t64(np.eye(3)))
    tg.manual_seed(0)
    with pytest.warns(UserWarning, match="Singular sample detected"):
        raw = d.rsample((2000,), max_try_correction=0)
    assert (~constraints.positive_definite.check(raw.data)).sum() > 100
    tg.manual_seed(0)
    with pytest.warns(UserWarning, match="Singular sample detected"):
        fixed = d.rsample((2000,))  # max_try_correction=None: 10 tries, as torch
    assert constraints.positive_definite.check(fixed.data).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a regular df draws no singular sample, no warning
        tg.manual_seed(0)
        Wishart(t64(5.0), t64(V)).rsample((500,))
    with pytest.raises(ValueError, match="max_try_correction"):
        d.rsample((2,), max_try_correction=-1)


def test_wishart_log_prob_gradients_against_finite_differences():
    x = t64(XS)
    check_grads(lambda df, low: Wishart(df, scale_tril=low.tril(), validate_args=False)
                .log_prob(x), np.array(4.5), np.linalg.cholesky(V))
    sym = lambda m: (m + m.transpose(-1, -2)) * 0.5  # noqa: E731 - symmetric perturbations
    check_grads(lambda cov: Wishart(t64(4.5), sym(cov), validate_args=False).log_prob(x),
                V)
    check_grads(lambda value: Wishart(t64(4.5), t64(V), validate_args=False)
                .log_prob(sym(value)), XS[1])


def test_wishart_entropy_gradients_against_finite_differences():
    check_grads(lambda df, low: Wishart(df, scale_tril=low.tril(), validate_args=False)
                .entropy(), np.array([4.5, 3.5]), np.linalg.cholesky(V))


def test_wishart_rsample_gradients():
    low = np.linalg.cholesky(V)

    def draw(scale_tril):
        tg.manual_seed(5)  # the same Bartlett factors for every evaluation
        return Wishart(t64(5.0), scale_tril=scale_tril.tril(), validate_args=False).rsample((3,))

    check_grads(draw, low)
    # df reaches the draws through the chi-squared diagonal: d E[X] / d df = V, so the
    # gradient of the mean of n draws is V within a few standard errors
    n = 20_000
    df = t64(5.0)
    df.requires_grad = True
    tg.manual_seed(6)
    x = Wishart(df, t64(V)).rsample((n,))
    weights = np.ones((3, 3))
    (x * Tensor(weights)).sum().backward()
    # per draw, d sum(X) / d df spreads about as widely as its mean, so over 20,000 draws
    # the standard error is under 1% (about 0.5% across seeds): 5% is many SEs
    np.testing.assert_allclose(df.grad / n, V.sum(), rtol=0.05)


def test_wishart_expand_and_bad_input():
    d = Wishart(t64([4.0, 5.0]), t64(V))
    e = d.expand((3, 2))
    assert e.batch_shape == (3, 2)
    close(e.log_prob(t64(XS[0])), np.tile([wishart_log_pdf(XS[0], n, V) for n in (4.0, 5.0)],
                                          (3, 1)), rtol=1e-11)
    assert e.rsample((2,)).shape == (2, 3, 2, 3, 3)
    with pytest.raises(ValueError, match="df must be greater than p - 1 = 2"):
        Wishart(t64(2.0), t64(V))
    with pytest.raises(ValueError, match="exactly one"):
        Wishart(t64(4.0), t64(V), precision_matrix=t64(V))
    with pytest.raises(ValueError, match="exactly one"):
        Wishart(t64(4.0))
    with pytest.raises(ValueError, match="square"):
        Wishart(t64(4.0), t64(np.ones((3, 2))))
    with pytest.raises(ValueError, match="covariance_matrix"):
        Wishart(t64(4.0), t64(-V))
    with pytest.raises(ValueError, match="broadcast"):
        Wishart(t64([4.0, 5.0, 6.0]), t64(np.stack([V, V2])))
    with pytest.raises(ValueError, match="support"):
        d.log_prob(t64(-np.eye(3)))


# ------------------------------------------------------------------------------- LKJ
def corr_cholesky_2d(r: np.ndarray) -> np.ndarray:
    out = np.zeros(r.shape + (2, 2))
    out[..., 0, 0] = 1
    out[..., 1, 0] = r
    out[..., 1, 1] = np.sqrt(1 - r * r)
    return out


@pytest.mark.parametrize("eta", [0.5, 1.0, 2.5])
def test_lkj_dim2_log_prob_is_the_correlations_density(eta):
    r = np.array([-0.9, -0.2, 0.0, 0.4, 0.95])
    d = LKJCholesky(2, t64(eta))
    # (1 - r^2)^(eta - 1) / integral, the integral being 2^(2 eta - 1) B(eta, eta)
    log_norm = (2 * eta - 1) * math.log(2) + 2 * math.lgamma(eta) - math.lgamma(2 * eta)
    close(d.log_prob(t64(corr_cholesky_2d(r))), (eta - 1) * np.log1p(-r * r) - log_norm,
          rtol=1e-12)


@pytest.mark.parametrize("eta", [1.0, 2.5])
def test_lkj_dim3_density_integrates_to_one(eta):
    # free coordinates: a in (-1, 1) in row 1, (b, c) in the unit disk in row 2 (polar);
    # a = sin(phi) and r = sin(psi) keep the integrand smooth at the edges for Gauss-Legendre
    nodes, weights = np.polynomial.legendre.leggauss(40)
    phi, psi = nodes * np.pi / 2, (nodes + 1) * np.pi / 4
    a, wa = np.sin(phi), weights * np.pi / 2 * np.cos(phi)
    rad, wr = np.sin(psi), weights * np.pi / 4 * np.cos(psi)
    theta = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    aa, rr, tt = np.meshgrid(a, rad, theta, indexing="ij")
    low = np.zeros(aa.shape + (3, 3))
    low[..., 0, 0] = 1
    low[..., 1, 0], low[..., 1, 1] = aa, np.sqrt(1 - aa * aa)
    low[..., 2, 0], low[..., 2, 1] = rr * np.cos(tt), rr * np.sin(tt)
    low[..., 2, 2] = np.sqrt(1 - rr * rr)
    dens = np.exp(LKJCholesky(3, t64(eta)).log_prob(t64(low)).data)
    weight = wa[:, None, None] * (wr * rad)[None, :, None] * (2 * np.pi / len(theta))
    assert abs((dens * weight).sum() - 1) < 1e-9


def test_lkj_samples_have_the_marginal_correlation_moments():
    # each correlation of LKJ(eta) in dim d is 2 Beta(b, b) - 1, b = eta - 1 + d/2:
    # mean 0, variance 1 / (2 b + 1), fourth moment 3 / ((2 b + 1)(2 b + 3))
    tg.manual_seed(3)
    n, d = 40_000, 4
    eta = np.array([0.5, 2.0])
    dist = LKJCholesky(d, t64(eta))
    low = dist.sample((n,)).data
    assert low.shape == (n, 2, d, d)
    assert constraints.corr_cholesky.check(low).all()
    corr = low @ np.swapaxes(low, -1, -2)
    b = eta - 1 + d / 2
    var, m4 = 1 / (2 * b + 1), 3 / ((2 * b + 1) * (2 * b + 3))
    rows, cols = np.tril_indices(d, -1)
    for i, j in zip(rows, cols):
        r = corr[..., i, j]
        assert np.all(np.abs(r.mean(0)) < 5 * np.sqrt(var / n))
        assert np.all(np.abs((r * r).mean(0) - var) < 5 * np.sqrt((m4 - var**2) / n))


def test_lkj_dim2_sample_matches_the_density():
    # P(|r| <= 1/2) from the density (1 - r^2)^(eta - 1), by Simpson, within 5 binomial SEs
    tg.manual_seed(8)
    eta, n = 0.7, 40_000
    r = LKJCholesky(2, t64(eta)).sample((n,)).data[:, 1, 0]
    grid = np.linspace(0, 0.5, 20_001)
    y = (1 - grid**2) ** (eta - 1)
    h = grid[1] - grid[0]
    inner = h / 3 * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum())
    total = 2 ** (2 * eta - 1) * math.exp(2 * math.lgamma(eta) - math.lgamma(2 * eta))
    prob = 2 * inner / total
    assert abs((np.abs(r) <= 0.5).mean() - prob) < 5 * math.sqrt(prob * (1 - prob) / n)


def test_lkj_log_prob_gradient_against_finite_differences():
    low = corr_cholesky_2d(np.array([0.3]))[0]
    tg.manual_seed(2)
    low3 = LKJCholesky(3, t64(1.5)).sample((4,))
    check_grads(lambda eta: LKJCholesky(2, eta).log_prob(t64(low)), np.array([0.7, 2.0, 4.0]))
    check_grads(lambda eta: LKJCholesky(3, eta).log_prob(low3), np.array(1.5))


def test_lkj_shapes_dtype_and_bad_input():
    d = LKJCholesky(3, t64([1.0, 2.0]))
    assert d.batch_shape == (2,) and d.event_shape == (3, 3)
    assert d.expand((4, 2)).sample().shape == (4, 2, 3, 3)
    assert LKJCholesky(3).sample().dtype == np.float32
    assert not LKJCholesky.has_rsample
    for bad in (1, 0, 2.0, True):
        with pytest.raises(ValueError, match="dim must be an integer >= 2"):
            LKJCholesky(bad, 1.0)
    with pytest.raises(ValueError, match="concentration"):
        LKJCholesky(3, t64(0.0))
    with pytest.raises(ValueError, match="support"):
        d.log_prob(t64(np.eye(3) * 2))
