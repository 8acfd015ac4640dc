"""The cross-family KL pairs torch registers among Beta, ContinuousBernoulli, Exponential,
Gamma, Gumbel, Laplace, Normal, Pareto and Uniform, plus the LowRankMultivariateNormal
pairs and TransformedDistribution-TransformedDistribution (same transforms: the bases'
KL), registered with kl.py's `register_kl`.

Most are KL(p || q) = -H(p) - E_p[log q(x)], with E_p[log q] from p's mean, variance and
E_p[log x] (for Gamma and Beta q), or E_p|x - m| (Normal-Laplace). Where q's support misses
part of p's, the KL is +inf, per element where that depends on the parameters (a Uniform
p against a positive or unit-interval q, a Uniform or Pareto q).
Deviation from torch: ContinuousBernoulli-Uniform and Uniform-ContinuousBernoulli are +inf
only where one support misses part of the other (torch also gives +inf when the uniform's
ends are exactly 0 or 1, where the supports still agree).
"""

from __future__ import annotations

import math

import numpy as np

from ..ops.select import where
from ..tensor import Tensor
from .beta import Beta
from .continuous_bernoulli import ContinuousBernoulli
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Gamma
from .gumbel import EULER_GAMMA, Gumbel
from .kl import _kl_mvn_mvn, kl_divergence, register_kl
from .laplace import Laplace
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .pareto import Pareto
from .transformed_distribution import TransformedDistribution
from .uniform import Uniform


def _inf_where(mask, value: Tensor) -> Tensor:
    """value, replaced by +inf where mask (NaN from an invalid branch included)."""
    mask = np.asarray(mask)
    if not mask.any():
        return value
    inf = Tensor(np.asarray(np.inf, value.data.dtype))
    return where(Tensor(np.broadcast_to(mask, value.shape).copy()), inf, value)


def _infinite(p: Distribution, q: Distribution) -> Tensor:
    shape = np.broadcast_shapes(p.batch_shape, q.batch_shape)
    dtype = next(v.data.dtype for v in vars(p).values() if isinstance(v, Tensor))
    return Tensor(np.full(shape, np.inf, dtype))


# ------------------------------------------------------------- E_p[log x] for p > 0
def _mean_log(p: Distribution) -> Tensor:
    if isinstance(p, Beta):
        return p.concentration1.digamma() - (p.concentration1 + p.concentration0).digamma()
    if isinstance(p, Gamma):
        return p.concentration.digamma() - p.rate.log()
    if isinstance(p, Exponential):
        return -EULER_GAMMA - p.rate.log()
    if isinstance(p, Pareto):
        return p.scale.log() + p.alpha.reciprocal()
    if isinstance(p, Uniform):  # (h log h - l log l) / (h - l) - 1, with 0 log 0 = 0
        return (p.high.xlogy(p.high) - p.low.xlogy(p.low)) / (p.high - p.low) - 1
    raise NotImplementedError(type(p).__name__)


# -------------------------------------------------------------- E_p[log q(x)] by q
def _expected_log_normal(p, q: Normal) -> Tensor:
    second = p.variance + (p.mean - q.loc) ** 2
    return -q.scale.log() - 0.5 * math.log(2 * math.pi) - second / (2 * q.scale * q.scale)


def _expected_log_exponential(p, q: Exponential) -> Tensor:
    return q.rate.log() - q.rate * p.mean


def _expected_log_gamma(p, q: Gamma) -> Tensor:
    a, b = q.concentration, q.rate
    return a * b.log() - a.lgamma() + (a - 1) * _mean_log(p) - b * p.mean


def _expected_log_cb(p, q: ContinuousBernoulli) -> Tensor:
    # log q(x) = x logit(q) + log(1 - q) + log C(q)
    return p.mean * q.logits + (-q.probs).log1p() + q._cont_bern_log_norm()


def _cross(p, expected_log_q: Tensor) -> Tensor:
    return -p.entropy() - expected_log_q


for _p in (Beta, ContinuousBernoulli, Exponential, Gamma, Laplace, Pareto, Uniform):
    register_kl(_p, Normal)(lambda p, q: _cross(p, _expected_log_normal(p, q)))
for _p in (Beta, ContinuousBernoulli, Gamma, Pareto):
    register_kl(_p, Exponential)(lambda p, q: _cross(p, _expected_log_exponential(p, q)))
for _p in (Beta, Exponential, Pareto):
    register_kl(_p, Gamma)(lambda p, q: _cross(p, _expected_log_gamma(p, q)))
register_kl(Beta, ContinuousBernoulli)(lambda p, q: _cross(p, _expected_log_cb(p, q)))


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_cb_cb(p: ContinuousBernoulli, q: ContinuousBernoulli) -> Tensor:
    return _cross(p, _expected_log_cb(p, q))


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p: Normal, q: Laplace) -> Tensor:
    # E|x - m| for x ~ N(mu, s^2), d = mu - m: s sqrt(2/pi) exp(-d^2 / 2s^2) + d erf(d / s sqrt2)
    d = p.loc - q.loc
    s = p.scale
    abs_moment = (s * math.sqrt(2 / math.pi) * (-(d * d) / (2 * s * s)).exp()
                  + d * (d / (s * math.sqrt(2))).erf())
    return -p.entropy() + (2 * q.scale).log() + abs_moment / q.scale


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p: Pareto, q: Pareto) -> Tensor:
    # q's support [q.scale, inf) must hold p's
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    return _inf_where(p.scale.data < q.scale.data, result)


# ------------------------------------------------------------------- Uniform p
def _uniform_outside(p: Uniform, low: float | np.ndarray, high: float | np.ndarray):
    return (p.low.data < low) | (p.high.data > high)


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p: Uniform, q: Beta) -> Tensor:
    a, b = q.concentration1, q.concentration0
    one_minus = Uniform(1 - p.high, 1 - p.low, validate_args=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = (a - 1) * _mean_log(p) + (b - 1) * _mean_log(one_minus) - q._log_beta()
        result = _cross(p, expected)
    return _inf_where(_uniform_outside(p, 0.0, 1.0), result)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_cb(p: Uniform, q: ContinuousBernoulli) -> Tensor:
    return _inf_where(_uniform_outside(p, 0.0, 1.0), _cross(p, _expected_log_cb(p, q)))


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p: Uniform, q: Exponential) -> Tensor:
    result = _cross(p, _expected_log_exponential(p, q))
    return _inf_where(p.low.data < 0, result)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p: Uniform, q: Gamma) -> Tensor:
    with np.errstate(invalid="ignore", divide="ignore"):
        result = _cross(p, _expected_log_gamma(p, q))
    return _inf_where(p.low.data < 0, result)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p: Uniform, q: Pareto) -> Tensor:
    # log q(x) = log alpha + alpha log s - (alpha + 1) log x on x >= s
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = q.alpha.log() + q.alpha * q.scale.log() - (q.alpha + 1) * _mean_log(p)
        result = _cross(p, expected)
    return _inf_where(p.low.data < q.scale.data, result)


# -------------------------------------------------------- supports q does not cover
@register_kl(Beta, Uniform)
def _kl_beta_uniform(p: Beta, q: Uniform) -> Tensor:
    result = -p.entropy() + (q.high - q.low).log()
    return _inf_where((q.low.data > 0) | (q.high.data < 1), result)


@register_kl(ContinuousBernoulli, Uniform)
def _kl_cb_uniform(p: ContinuousBernoulli, q: Uniform) -> Tensor:
    result = -p.entropy() + (q.high - q.low).log()
    return _inf_where((q.low.data > 0) | (q.high.data < 1), result)


@register_kl(ContinuousBernoulli, Exponential)
def _kl_cb_exponential(p: ContinuousBernoulli, q: Exponential) -> Tensor:
    return _cross(p, _expected_log_exponential(p, q))


_UNCOVERED = [
    (Beta, Pareto), (ContinuousBernoulli, Pareto), (Exponential, Pareto), (Gamma, Pareto),
    (Exponential, Beta), (Exponential, ContinuousBernoulli), (Exponential, Uniform),
    (Gamma, Beta), (Gamma, ContinuousBernoulli), (Gamma, Uniform),
    (Gumbel, ContinuousBernoulli), (Gumbel, Pareto),
    (Laplace, Beta), (Laplace, ContinuousBernoulli), (Laplace, Exponential), (Laplace, Gamma),
    (Laplace, Pareto), (Laplace, Uniform),
    (Normal, Beta), (Normal, ContinuousBernoulli), (Normal, Exponential), (Normal, Gamma),
    (Normal, Pareto), (Normal, Uniform),
    (Pareto, Beta), (Pareto, ContinuousBernoulli), (Pareto, Uniform),
]
for _p, _q in _UNCOVERED:
    register_kl(_p, _q)(_infinite)


# --------------------------------------------------------------- Gaussian vectors
def _dense(d) -> MultivariateNormal:
    if isinstance(d, LowRankMultivariateNormal):
        return MultivariateNormal(d.loc, covariance_matrix=d.covariance_matrix,
                                  validate_args=False)
    return d


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
@register_kl(LowRankMultivariateNormal, MultivariateNormal)
@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_gaussian_vectors(p, q) -> Tensor:
    """Through the dense covariance (O(n^3); torch uses the low-rank structure)."""
    return _kl_mvn_mvn(_dense(p), _dense(q))


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p: TransformedDistribution, q: TransformedDistribution):
    """The KL of the bases: a bijection leaves the density ratio unchanged."""
    if p.transforms != q.transforms:
        raise NotImplementedError("kl_divergence: TransformedDistributions with different "
                                  "transforms are not implemented")
    if p.event_shape != q.event_shape:
        raise NotImplementedError("kl_divergence: TransformedDistributions with different "
                                  "event shapes are not implemented")
    return kl_divergence(p.base_dist, q.base_dist)
