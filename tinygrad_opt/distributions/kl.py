"""KL(p || q) between distributions: `kl_divergence` dispatches on the pair of types to a
function registered with `register_kl`, as torch.distributions.kl.

Closed forms (each a differentiable Tensor expression of the parameters):
Normal-Normal, Bernoulli-Bernoulli, Categorical-Categorical, OneHotCategorical pairs,
Uniform-Uniform, Exponential-Exponential, Laplace-Laplace, Gamma-Gamma, Beta-Beta,
MultivariateNormal-MultivariateNormal and Independent-Independent (same number of
reinterpreted dimensions). A pair without a registered rule raises NotImplementedError.
"""

from __future__ import annotations

import numpy as np

from ..ops.cholesky import solve_triangular
from ..tensor import Tensor
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Gamma
from .independent import Independent
from .laplace import Laplace
from .multivariate_normal import MultivariateNormal, _half_log_det
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform
from .utils import softplus, sum_rightmost

_KL_REGISTRY: dict = {}


def register_kl(type_p: type, type_q: type):
    """Decorator registering `fn(p, q)` as KL(p || q) for p of type_p and q of type_q
    (subclasses included; the most specific registration wins)."""
    for name, t in (("type_p", type_p), ("type_q", type_q)):
        if not (isinstance(t, type) and issubclass(t, Distribution)):
            raise TypeError(f"register_kl: {name} must be a subclass of Distribution, got {t!r}")

    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        return fn

    return decorator


def _dispatch(type_p: type, type_q: type):
    mro_p, mro_q = type_p.__mro__, type_q.__mro__
    matches = [
        (mro_p.index(p), mro_q.index(q), fn)
        for (p, q), fn in _KL_REGISTRY.items()
        if issubclass(type_p, p) and issubclass(type_q, q)
    ]
    return min(matches, key=lambda m: m[:2])[2] if matches else None


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q) = E_p[log p(x) - log q(x)], one value per batch element."""
    fn = _dispatch(type(p), type(q))
    if fn is None:
        raise NotImplementedError(
            f"kl_divergence: no KL rule registered for {type(p).__name__} and "
            f"{type(q).__name__}; add one with register_kl"
        )
    return fn(p, q)


def _infinite_where(mask: np.ndarray, value: Tensor) -> Tensor:
    """value, with +inf where mask (a support q does not cover)."""
    if not mask.any():
        return value
    return value + Tensor(np.where(mask, np.inf, 0.0).astype(value.data.dtype))


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    # p log(p/q) + (1-p) log((1-p)/(1-q)) in logits: log p = -softplus(-l), log(1-p) = -softplus(l)
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    pp, qp = np.broadcast_arrays(p.probs.data, q.probs.data)
    # 0 log 0 is 0; mass where q has none makes KL infinite (logits are clamped, so say it)
    t = t.masked_fill(Tensor(pp == 0), 0.0)
    t = _infinite_where((qp == 0) & (pp > 0), t)
    return t.sum(dim=-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> Tensor:
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    result = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low.data > p.low.data) | (q.high.data < p.high.data)
    return _infinite_where(np.asarray(outside), result)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p: Exponential, q: Exponential) -> Tensor:
    ratio = q.rate / p.rate
    return ratio - 1 - ratio.log()


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p: Laplace, q: Laplace) -> Tensor:
    scale_ratio = p.scale / q.scale
    loc_gap = (p.loc - q.loc).abs() / q.scale
    return -scale_ratio.log() + loc_gap + scale_ratio * (-loc_gap / scale_ratio).exp() - 1


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p: Gamma, q: Gamma) -> Tensor:
    ap, bp, aq, bq = p.concentration, p.rate, q.concentration, q.rate
    return ((ap - aq) * ap.digamma() - ap.lgamma() + aq.lgamma()
            + aq * (bp.log() - bq.log()) + ap * (bq - bp) / bp)


@register_kl(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta) -> Tensor:
    a1, b1, a2, b2 = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    total = a1 + b1
    return (q._log_beta() - p._log_beta() + (a1 - a2) * a1.digamma()
            + (b1 - b2) * b1.digamma() + (a2 - a1 + b2 - b1) * total.digamma())


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    if p.event_shape != q.event_shape:
        raise ValueError(
            f"kl_divergence: MultivariateNormals with different event shapes {p.event_shape} "
            f"and {q.event_shape}"
        )
    n = p.event_shape[0]
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    # KL = log|Lq|/|Lp| + (|Lq^-1 Lp|_F^2 + |Lq^-1 (mq - mp)|^2 - n) / 2
    trace = solve_triangular(lq, lp, upper=False)
    term2 = (trace * trace).sum(dim=(-2, -1))
    gap = solve_triangular(lq, (q.loc - p.loc).unsqueeze(-1), upper=False)
    term3 = (gap * gap).sum(dim=(-2, -1))
    kl = _half_log_det(lq) - _half_log_det(lp) + 0.5 * (term2 + term3 - n)
    shape = np.broadcast_shapes(p.batch_shape, q.batch_shape)
    return kl if kl.shape == shape else kl.expand(*shape)


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Tensor:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError(
            "kl_divergence: Independent distributions with different "
            f"reinterpreted_batch_ndims ({p.reinterpreted_batch_ndims} and "
            f"{q.reinterpreted_batch_ndims})"
        )
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


