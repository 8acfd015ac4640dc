"""GeneralizedPareto: log_prob, cdf, icdf and the log survival function against the
formulas written here with math (both signs of the concentration, and its 0 limit, the
exponential), the cdf against Simpson quadrature of the density, the support by the sign
of the concentration, moments and entropy against their formulas and a seeded sample,
the special cases (exponential, Pareto, uniform), gradients of log_prob and rsample
against float64 finite differences (at concentration 0 too), and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor
from tinygrad_opt.distributions import GeneralizedPareto


def t64(x) -> Tensor:
    return Tensor(np.asarray(x, dtype=np.float64))


def close(got, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(got.data if isinstance(got, Tensor) else got, want,
                               rtol=rtol, atol=atol)


def gpd_log_pdf(x, loc, scale, xi):
    z = (x - loc) / scale
    if xi == 0:
        return -math.log(scale) - z
    return -math.log(scale) - (1 / xi + 1) * math.log1p(xi * z)


def gpd_cdf(x, loc, scale, xi):
    z = (x - loc) / scale
    if xi == 0:
        return 1 - math.exp(-z)
    return -math.expm1(-math.log1p(xi * z) / xi)  # 1 - (1 + xi z)^(-1/xi), stably


def upper(loc, scale, xi):
    return loc - scale / xi if xi < 0 else math.inf


XIS = [0.4, 0.0, -0.3, -1.5, 1.2, 1e-9]


def points(loc, scale, xi):
    hi = upper(loc, scale, xi)
    span = min(hi - loc, 20 * scale)
    return loc + span * np.array([0.0, 0.05, 0.3, 0.7, 0.98])


@pytest.mark.parametrize("xi", XIS)
def test_log_prob_cdf_and_survival_match_the_formulas(xi):
    loc, scale = 1.0, 2.0
    d = GeneralizedPareto(t64(loc), t64(scale), t64(xi))
    x = points(loc, scale, xi)
    close(d.log_prob(t64(x)), [gpd_log_pdf(v, loc, scale, xi) for v in x], rtol=1e-12)
    want_cdf = np.array([gpd_cdf(v, loc, scale, xi) for v in x])
    close(d.cdf(t64(x)), want_cdf, rtol=1e-9, atol=1e-15)
    close(d.log_survival_function(t64(x)), np.log1p(-want_cdf), rtol=1e-9, atol=1e-15)
    close(d.log_cdf(t64(x[1:])), np.log(want_cdf[1:]), rtol=1e-9)
    q = np.array([0.0, 0.01, 0.5, 0.9, 0.999])
    back = d.icdf(t64(q))
    # loc + scale ((1 - u)^-xi - 1) / xi, written with expm1 / log1p
    close(back, [loc + scale * (math.expm1(-xi * math.log1p(-u)) / xi if xi
                                else -math.log1p(-u)) for u in q], rtol=1e-9)
    close(d.cdf(back), q, atol=1e-12)


@pytest.mark.parametrize("xi", [0.3, 0.0, -0.4])
def test_cdf_is_the_integral_of_the_density(xi):
    loc, scale = -0.5, 1.5
    d = GeneralizedPareto(t64(loc), t64(scale), t64(xi))
    for x in (0.5, 2.0):
        grid = np.linspace(loc, x, 20_001)
        y = np.exp(d.log_prob(t64(grid)).data)
        h = grid[1] - grid[0]
        integral = h / 3 * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum())
        close(d.cdf(t64(x)), integral, rtol=1e-9)


def test_the_zero_concentration_limit_is_continuous():
    x = t64([0.0, 0.5, 3.0, 40.0])
    at_zero = GeneralizedPareto(t64(0.0), t64(1.0), t64(0.0))
    close(at_zero.log_prob(x), -x.data)  # Exponential(1)
    for xi in (1e-12, -1e-12):
        near = GeneralizedPareto(t64(0.0), t64(1.0), t64(xi))
        close(near.log_prob(x), at_zero.log_prob(x).data, rtol=1e-9, atol=1e-9)
        close(near.cdf(x), at_zero.cdf(x).data, rtol=1e-9, atol=1e-12)
        close(near.icdf(t64([0.2, 0.9])), at_zero.icdf(t64([0.2, 0.9])).data, rtol=1e-9)


@pytest.mark.parametrize("xi", [0.0, 0.5])
def test_the_unbounded_end_gives_its_limits(xi):
    # at xi = 0 the series' xi * z^2 term was 0 * inf = NaN at z = inf, and icdf(1) NaN
    d = GeneralizedPareto(t64(1.0), t64(2.0), t64(xi), validate_args=False)
    inf = t64([math.inf])
    close(d.cdf(inf), [1.0])
    close(d.log_cdf(inf), [0.0])
    close(d.log_survival_function(inf), [-math.inf])
    close(d.log_prob(inf), [-math.inf])
    # icdf(u) = loc + scale ((1 - u)^-xi - 1) / xi (-scale log(1 - u) at xi = 0): inf at u = 1
    u = np.array([0.0, 0.5, 1.0])
    with np.errstate(divide="ignore"):
        want = 1.0 + 2.0 * (-np.log1p(-u) if xi == 0 else ((1 - u) ** -xi - 1) / xi)
    close(d.icdf(t64(u)), want)


def test_support_depends_on_the_sign_of_the_concentration():
    d = GeneralizedPareto(t64([1.0, 1.0, 1.0]), t64(2.0), t64([0.5, 0.0, -0.5]))
    check = d.support.check
    assert check(np.array([1.0, 1.0, 1.0])).all()
    assert check(np.array([1e6, 1e6, 5.0])).all()
    assert not check(np.array([0.99, 0.99, 0.99])).any()
    assert check(np.array([1e6, 1e6, 5.01])).tolist() == [True, True, False]
    with pytest.raises(ValueError, match="support"):
        d.log_prob(t64([2.0, 2.0, 6.0]))


def test_outside_the_support_without_validation():
    d = GeneralizedPareto(t64(1.0), t64(2.0), t64([0.5, -0.5]), validate_args=False)
    below, above = t64([0.0, 0.0]), t64([7.0, 7.0])
    assert np.all(d.log_prob(below).data == -np.inf)
    close(d.cdf(below), [0.0, 0.0])
    assert d.log_prob(above).data[1] == -np.inf
    close(d.cdf(above), [gpd_cdf(7.0, 1.0, 2.0, 0.5), 1.0])


def test_special_cases_exponential_pareto_uniform():
    x = np.array([2.5, 4.0, 9.0])
    # xi > 0 with loc = scale / xi: Pareto(scale / xi, alpha = 1 / xi)
    xi, scale = 0.25, 0.5
    xm, alpha = scale / xi, 1 / xi
    d = GeneralizedPareto(t64(xm), t64(scale), t64(xi))
    close(d.log_prob(t64(x)), np.log(alpha * xm**alpha / x ** (alpha + 1)))
    # xi = -1: uniform on [loc, loc + scale]
    u = GeneralizedPareto(t64(2.0), t64(3.0), t64(-1.0))
    close(u.log_prob(t64([2.0, 3.3, 5.0])), np.full(3, -math.log(3.0)))
    close(u.cdf(t64([2.0, 3.5, 5.0])), [0.0, 0.5, 1.0])


def test_moments_entropy_and_mode():
    xi = np.array([0.3, 0.0, -0.5, 0.7, 1.0, -2.0])
    d = GeneralizedPareto(t64(1.0), t64(2.0), t64(xi))
    m_xi, v_xi = np.where(xi < 1, xi, 0.0), np.where(xi < 0.5, xi, 0.0)  # finite branches
    mean = np.where(xi < 1, 1.0 + 2.0 / (1 - m_xi), np.inf)
    var = np.where(xi < 0.5, 4.0 / ((1 - v_xi) ** 2 * (1 - 2 * v_xi)), np.inf)
    close(d.mean, mean)
    close(d.variance, var)
    close(d.entropy(), math.log(2.0) + xi + 1)
    # the density is largest at loc for xi >= -1, at the upper end for xi < -1
    close(d.mode, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0 + 2.0 / 2.0])


def test_sample_moments_and_entropy_by_monte_carlo():
    tg.manual_seed(4)
    n = 200_000
    xi = np.array([0.1, -0.3])
    d = GeneralizedPareto(t64([0.5, -1.0]), t64([1.5, 0.7]), t64(xi))
    x = d.sample((n,))
    assert x.shape == (n, 2)
    assert d.support.check(x.data).all()
    sd = np.sqrt(d.variance.data)
    # the sample mean within 5 standard errors
    assert np.all(np.abs(x.data.mean(0) - d.mean.data) < 5 * sd / math.sqrt(n))
    # -mean log p estimates the entropy; its standard error from the draws themselves
    lp = d.log_prob(x).data
    assert np.all(np.abs(-lp.mean(0) - d.entropy().data) < 5 * lp.std(0) / math.sqrt(n))
    # P(X <= median) = 1/2 within 5 binomial standard errors
    med = d.icdf(t64(0.5)).data
    assert np.all(np.abs((x.data <= med).mean(0) - 0.5) < 5 * 0.5 / math.sqrt(n))


@pytest.mark.parametrize("xi", [0.3, 0.0, -0.2])
def test_log_prob_gradients_against_finite_differences(xi):
    x = t64([1.7, 2.5, 4.0])
    check_grads(lambda m, s, c: GeneralizedPareto(m, s, c, validate_args=False).log_prob(x),
                np.array(1.0), np.array(2.0), np.array(xi))


def test_cdf_and_rsample_gradients_against_finite_differences():
    x = t64([1.7, 2.5, 4.0])
    for xi in (0.3, 0.0):
        check_grads(lambda m, s, c: GeneralizedPareto(m, s, c, validate_args=False).cdf(x),
                    np.array(1.0), np.array(2.0), np.array(xi))

    def draw(m, s, c):
        tg.manual_seed(9)  # one uniform draw for every evaluation
        return GeneralizedPareto(m, s, c).rsample((4,))

    check_grads(draw, np.array([0.5, 1.0]), np.array([2.0, 0.5]), np.array([0.25, -0.2]))
    check_grads(draw, np.array([0.5, 1.0]), np.array([2.0, 0.5]), np.array([0.0, 0.0]))


def test_expand_shapes_and_bad_parameters():
    d = GeneralizedPareto(t64([0.0, 1.0]), t64(1.0), t64(0.5))
    assert d.batch_shape == (2,) and d.event_shape == ()
    e = d.expand((3, 2))
    assert e.batch_shape == (3, 2) and e.sample((4,)).shape == (4, 3, 2)
    f32 = GeneralizedPareto(0.0, 1.0, 0.2)
    assert f32.rsample().dtype == np.float32
    with pytest.raises(ValueError, match="scale"):
        GeneralizedPareto(t64(0.0), t64(-1.0), t64(0.5))
    with pytest.raises(ValueError, match="concentration"):
        GeneralizedPareto(t64(0.0), t64(1.0), t64(np.nan))
    with pytest.raises(ValueError, match="broadcast"):
        GeneralizedPareto(t64([0.0, 1.0]), t64([1.0, 2.0, 3.0]), t64(0.5))
