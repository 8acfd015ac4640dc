"""KL(p || q) between distributions: `kl_divergence` dispatches on the pair of types to a
function registered with `register_kl`, as torch.distributions.kl.

Closed forms (each a differentiable Tensor expression of the parameters):
Normal-Normal, Bernoulli-Bernoulli, Categorical-Categorical, OneHotCategorical pairs,
Uniform-Uniform, Exponential-Exponential, Laplace-Laplace, Gamma-Gamma, Beta-Beta,
MultivariateNormal-MultivariateNormal and Independent-Independent (same number of
reinterpreted dimensions); Poisson, Binomial (p's total_count above q's gives +inf, below
it raises NotImplementedError, as torch), Geometric, Dirichlet, Gumbel, Cauchy,
HalfNormal, HalfCauchy and LogNormal with their own family (Chi2 inherits Gamma's rule); the mixed
pairs torch registers among these families: Bernoulli-Poisson, Exponential/Gamma/Normal/
Uniform-Gumbel and Gumbel-Normal (closed forms), and the pairs whose q misses part of p's
support, +inf as torch: Gumbel-Beta/Exponential/Gamma/Uniform, Poisson-Bernoulli/Binomial.
Two members of one ExponentialFamily subclass with no closed form registered (Wishart)
use the Bregman divergence of the log-normalizer (exp_family.py); different families raise
NotImplementedError there, as torch. A pair without a registered rule raises
NotImplementedError.
"""

from __future__ import annotations

import math

import numpy as np

from ..ops.cholesky import solve_triangular
from ..tensor import Tensor
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .cauchy import Cauchy
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily, inner_over_batch, log_normalizer_and_grad
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .gumbel import EULER_GAMMA, Gumbel
from .half_cauchy import HalfCauchy
from .half_normal import HalfNormal
from .independent import Independent
from .laplace import Laplace
from .log_normal import LogNormal
from .multivariate_normal import MultivariateNormal, _half_log_det
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .poisson import Poisson
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




@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p: Poisson, q: Poisson) -> Tensor:
    # rp log(rp / rq) - (rp - rq), with 0 log 0 = 0 so a zero rate p is allowed
    return p.rate.xlogy(p.rate) - p.rate.xlogy(q.rate) - (p.rate - q.rate)


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p: Binomial, q: Binomial) -> Tensor:
    np_, nq = np.broadcast_arrays(p.total_count.data, q.total_count.data)
    if (np_ < nq).any():
        raise NotImplementedError(
            "kl_divergence: Binomial pairs where q.total_count exceeds p.total_count are not "
            "implemented (as torch)"
        )
    # n KL(Bernoulli(p) || Bernoulli(q)); log(1 - p) = -softplus(logit p)
    per_trial = (p.probs * (p.logits - q.logits) - softplus(p.logits) + softplus(q.logits))
    return _infinite_where(np_ > nq, p.total_count * per_trial)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p: Geometric, q: Geometric) -> Tensor:
    # -H(p) - E_p[k] log(1 - q) - log q, with E_p[k] = 1/p - 1
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet) -> Tensor:
    ap, aq = p.concentration, q.concentration
    ap0 = ap.sum(dim=-1)
    log_norms = ap0.lgamma() - aq.sum(dim=-1).lgamma() - (ap.lgamma() - aq.lgamma()).sum(dim=-1)
    expected_logs = ap.digamma() - ap0.digamma().unsqueeze(-1)
    return log_norms + ((ap - aq) * expected_logs).sum(dim=-1)


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p: Gumbel, q: Gumbel) -> Tensor:
    ratio = p.scale / q.scale
    gap = (p.loc - q.loc) / q.scale
    # E_p[exp(-(x - lq)/sq)] = exp(-gap) Gamma(1 + ratio)
    return (-ratio.log() + gap + ratio * EULER_GAMMA + (-gap + (1 + ratio).lgamma()).exp()
            - (1 + EULER_GAMMA))


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p: Cauchy, q: Cauchy) -> Tensor:
    # Chyzak & Nielsen (2019), "A closed-form formula for the KL divergence between Cauchy
    # distributions"
    gap = p.loc - q.loc
    total = p.scale + q.scale
    return (total * total + gap * gap).log() - (4 * p.scale * q.scale).log()


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal) -> Tensor:
    return _kl_normal_normal(p.base_dist, q.base_dist)


@register_kl(HalfCauchy, HalfCauchy)
def _kl_halfcauchy_halfcauchy(p: HalfCauchy, q: HalfCauchy) -> Tensor:
    # folding both at 0 keeps the density ratio, so the KL is the base Cauchys' (as torch)
    return _kl_cauchy_cauchy(p.base_dist, q.base_dist)


@register_kl(LogNormal, LogNormal)
def _kl_lognormal_lognormal(p: LogNormal, q: LogNormal) -> Tensor:
    return _kl_normal_normal(p.base_dist, q.base_dist)


# ------------------------------------------------------------------------- mixed pairs
def _infinite_like(p: Distribution, q: Distribution, param: Tensor) -> Tensor:
    shape = np.broadcast_shapes(p.batch_shape, q.batch_shape)
    return Tensor(np.full(shape, np.inf, param.data.dtype))


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p: Bernoulli, q: Poisson) -> Tensor:
    # E_p[log q(k)] = pi log(rate) - rate (k! is 1 on {0, 1})
    return -p.entropy() - p.probs * q.rate.log() + q.rate


def _kl_to_gumbel(neg_entropy: Tensor, mean: Tensor, exp_moment: Tensor, q: Gumbel) -> Tensor:
    """KL(p || Gumbel(m, s)) from -H(p), E_p[x] and E_p[exp(-(x - m) / s)]:
    -log q(x) = log s + (x - m) / s + exp(-(x - m) / s)."""
    return neg_entropy + q.scale.log() + (mean - q.loc) / q.scale + exp_moment


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p: Exponential, q: Gumbel) -> Tensor:
    rs = p.rate * q.scale
    return _kl_to_gumbel(-p.entropy(), p.mean, (q.loc / q.scale).exp() * rs / (rs + 1), q)


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p: Gamma, q: Gumbel) -> Tensor:
    # E[exp(-x/s)] for Gamma(a, b) is (1 + 1/(b s))^-a
    mgf = (-p.concentration * (1 / (p.rate * q.scale)).log1p()).exp()
    return _kl_to_gumbel(-p.entropy(), p.mean, (q.loc / q.scale).exp() * mgf, q)


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p: Normal, q: Gumbel) -> Tensor:
    z = p.scale / q.scale
    moment = (-(p.loc - q.loc) / q.scale + 0.5 * z * z).exp()
    return _kl_to_gumbel(-p.entropy(), p.loc, moment, q)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p: Uniform, q: Gumbel) -> Tensor:
    width = p.high - p.low
    moment = q.scale * ((-(p.low - q.loc) / q.scale).exp()
                        - (-(p.high - q.loc) / q.scale).exp()) / width
    return _kl_to_gumbel(-width.log(), (p.low + p.high) / 2, moment, q)


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p: Gumbel, q: Normal) -> Tensor:
    # E_p[(x - mu)^2] = Var_p + (E_p[x] - mu)^2
    second = p.variance + (p.mean - q.loc) ** 2
    return (-p.entropy() + q.scale.log() + 0.5 * math.log(2 * math.pi)
            + second / (2 * q.scale * q.scale))


for _q in (Beta, Exponential, Gamma, Uniform):
    register_kl(Gumbel, _q)(lambda p, q: _infinite_like(p, q, p.loc))
for _q in (Bernoulli, Binomial):
    register_kl(Poisson, _q)(lambda p, q: _infinite_like(p, q, p.rate))


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p: ExponentialFamily, q: ExponentialFamily) -> Tensor:
    """A(eta_q) - A(eta_p) - <eta_q - eta_p, grad A(eta_p)>: differentiable in q's
    parameters; p's enter through detached values (as torch, which detaches them too).
    Deviation: the inner product is summed over each natural parameter's own event
    dimensions (torch 2.13 sums len(event_shape) dimensions of every one, which for a
    batched Wishart adds the df terms of the whole batch together)."""
    if type(p) is not type(q):
        raise NotImplementedError(
            "kl_divergence: the Bregman divergence needs two members of one exponential family, "
            f"got {type(p).__name__} and {type(q).__name__}"
        )
    etas_p, log_norm_p, grads = log_normalizer_and_grad(p)
    etas_q = q._natural_params
    batch_ndim = len(np.broadcast_shapes(p.batch_shape, q.batch_shape))
    result = q._log_normalizer(*etas_q) - log_norm_p
    for eta_p, eta_q, g in zip(etas_p, etas_q, grads):
        result = result - inner_over_batch(eta_q - eta_p, g, batch_ndim)
    return result
