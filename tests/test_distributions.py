"""tinygrad_opt.distributions: log_prob, entropy and moments against closed forms written
here with math/numpy; sample moments over many seeded draws; rsample gradients against the
reparameterisation formulas; float64 finite differences of log_prob, entropy and KL in the
parameters; KL against closed forms and Monte-Carlo estimates; validation errors; shapes."""

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
    Categorical,
    Distribution,
    Exponential,
    Gamma,
    Independent,
    Laplace,
    MultivariateNormal,
    Normal,
    OneHotCategorical,
    Uniform,
    kl_divergence,
    register_kl,
)

RNG = np.random.default_rng(17)
N_DRAWS = 200_000


def T(x) -> Tensor:
    return Tensor(np.asarray(x, dtype=np.float64))


def positive(*shape):
    return RNG.uniform(0.5, 2.5, shape)


def vectorize(f):
    return np.vectorize(f, otypes=[np.float64])


def digamma_ref(x):
    """psi(x) as a central difference of math.lgamma (error about 1e-10)."""
    h = 1e-5
    return vectorize(lambda v: (math.lgamma(v + h) - math.lgamma(v - h)) / (2 * h))(x)


lgamma_ref = vectorize(math.lgamma)


def close(got, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(got.data if isinstance(got, Tensor) else got, want,
                               rtol=rtol, atol=atol)


# ------------------------------------------------------------------ closed forms, per family
def test_normal_against_its_formulas():
    loc, scale = RNG.normal(size=4), positive(4)
    x = RNG.normal(size=(3, 4))
    d = Normal(T(loc), T(scale))
    close(d.log_prob(T(x)), -((x - loc) ** 2) / (2 * scale**2) - np.log(scale)
          - 0.5 * math.log(2 * math.pi))
    close(d.entropy(), 0.5 * np.log(2 * math.pi * math.e * scale**2))
    close(d.mean, loc)
    close(d.mode, loc)
    close(d.variance, scale**2)
    close(d.stddev, scale)
    cdf = vectorize(lambda v, m, s: 0.5 * (1 + math.erf((v - m) / (s * math.sqrt(2)))))
    close(d.cdf(T(x)), cdf(x, loc, scale))
    close(d.icdf(d.cdf(T(x))), np.broadcast_to(x, (3, 4)), rtol=1e-8)


def test_uniform_against_its_formulas():
    low = RNG.normal(size=3)
    high = low + positive(3)
    x = low + 0.3 * (high - low)
    d = Uniform(T(low), T(high))
    close(d.log_prob(T(x)), -np.log(high - low))
    close(d.entropy(), np.log(high - low))
    close(d.mean, (low + high) / 2)
    close(d.variance, (high - low) ** 2 / 12)
    close(d.cdf(T(x)), np.full(3, 0.3))
    close(d.icdf(T(np.full(3, 0.3))), x)
    assert np.isnan(d.mode.data).all()
    # as torch: the right end is in the support but has density zero
    assert d.log_prob(T(high)).data.tolist() == [-np.inf] * 3


def test_exponential_against_its_formulas():
    rate = positive(4)
    x = positive(2, 4)
    d = Exponential(T(rate))
    close(d.log_prob(T(x)), np.log(rate) - rate * x)
    close(d.entropy(), 1 - np.log(rate))
    close(d.mean, 1 / rate)
    close(d.variance, 1 / rate**2)
    close(d.mode, np.zeros(4))
    close(d.cdf(T(x)), 1 - np.exp(-rate * x))
    close(d.icdf(d.cdf(T(x))), x, rtol=1e-9)


def test_laplace_against_its_formulas():
    loc, scale = RNG.normal(size=4), positive(4)
    x = RNG.normal(size=(2, 4))
    d = Laplace(T(loc), T(scale))
    close(d.log_prob(T(x)), -np.log(2 * scale) - np.abs(x - loc) / scale)
    close(d.entropy(), 1 + np.log(2 * scale))
    close(d.variance, 2 * scale**2)
    cdf = np.where(x < loc, 0.5 * np.exp((x - loc) / scale), 1 - 0.5 * np.exp(-(x - loc) / scale))
    close(d.cdf(T(x)), cdf)
    close(d.icdf(T(cdf)), x, rtol=1e-9)


def test_gamma_against_its_formulas():
    a, rate = positive(4) + 0.5, positive(4)
    x = positive(2, 4)
    d = Gamma(T(a), T(rate))
    want = a * np.log(rate) + (a - 1) * np.log(x) - rate * x - lgamma_ref(a)
    close(d.log_prob(T(x)), want)
    close(d.entropy(), a - np.log(rate) + lgamma_ref(a) + (1 - a) * digamma_ref(a), rtol=1e-8)
    close(d.mean, a / rate)
    close(d.variance, a / rate**2)
    close(d.mode, np.maximum((a - 1) / rate, 0))


def test_beta_against_its_formulas():
    a, b = positive(4) + 1, positive(4)
    x = RNG.uniform(0.05, 0.95, (2, 4))
    d = Beta(T(a), T(b))
    log_b = lgamma_ref(a) + lgamma_ref(b) - lgamma_ref(a + b)
    close(d.log_prob(T(x)), (a - 1) * np.log(x) + (b - 1) * np.log(1 - x) - log_b)
    want = (log_b - (a - 1) * digamma_ref(a) - (b - 1) * digamma_ref(b)
            + (a + b - 2) * digamma_ref(a + b))
    close(d.entropy(), want, rtol=1e-8)
    close(d.mean, a / (a + b))
    close(d.variance, a * b / ((a + b) ** 2 * (a + b + 1)))


@pytest.mark.parametrize("by", ["probs", "logits"])
def test_bernoulli_against_its_formulas(by):
    p = RNG.uniform(0.05, 0.95, 5)
    d = Bernoulli(T(p)) if by == "probs" else Bernoulli(logits=T(np.log(p / (1 - p))))
    x = (RNG.random((3, 5)) < 0.5).astype(float)
    close(d.log_prob(T(x)), x * np.log(p) + (1 - x) * np.log(1 - p))
    close(d.entropy(), -p * np.log(p) - (1 - p) * np.log(1 - p))
    close(d.mean, p)
    close(d.variance, p * (1 - p))
    close(d.probs, p)
    close(d.logits, np.log(p / (1 - p)))


def test_bernoulli_mode_and_support():
    d = Bernoulli(T([0.2, 0.5, 0.9]))
    np.testing.assert_array_equal(d.mode.data, [0.0, np.nan, 1.0])
    np.testing.assert_array_equal(d.enumerate_support().data, [[0, 0, 0], [1, 1, 1]])
    assert d.enumerate_support(expand=False).shape == (2, 1)


@pytest.mark.parametrize("by", ["probs", "logits"])
def test_categorical_against_a_loop(by):
    w = positive(2, 3, 4)
    p = w / w.sum(-1, keepdims=True)
    d = Categorical(T(w)) if by == "probs" else Categorical(logits=T(np.log(w) + 7.0))
    x = RNG.integers(0, 4, (5, 2, 3))
    want = np.zeros((5, 2, 3))
    ent = np.zeros((2, 3))
    for s in range(5):
        for i in range(2):
            for j in range(3):
                want[s, i, j] = math.log(p[i, j, x[s, i, j]])
    for i in range(2):
        for j in range(3):
            ent[i, j] = -sum(q * math.log(q) for q in p[i, j])
    close(d.log_prob(Tensor(x)), want)
    close(d.entropy(), ent)
    close(d.probs, p)
    np.testing.assert_array_equal(d.mode.data, p.argmax(-1))
    assert d.batch_shape == (2, 3) and d.event_shape == ()
    assert np.isnan(d.mean.data).all() and d.mean.shape == (2, 3)


def test_categorical_empty_category_has_zero_entropy_term():
    d = Categorical(T([0.5, 0.0, 0.5]))
    close(d.entropy(), math.log(2))
    assert d.log_prob(Tensor(np.array([1]))).data[0] < -30  # clamped, as torch


def test_categorical_enumerate_support():
    d = Categorical(T(np.ones((2, 3))))
    np.testing.assert_array_equal(d.enumerate_support().data, [[0, 0], [1, 1], [2, 2]])
    np.testing.assert_array_equal(d.enumerate_support(expand=False).data, [[0], [1], [2]])


def test_one_hot_categorical_against_categorical_formulas():
    w = positive(3, 4)
    p = w / w.sum(-1, keepdims=True)
    d = OneHotCategorical(T(w))
    idx = RNG.integers(0, 4, (5, 3))
    x = np.eye(4)[idx]
    want = np.log(np.take_along_axis(np.broadcast_to(p, (5, 3, 4)), idx[..., None], -1))[..., 0]
    close(d.log_prob(T(x)), want)
    close(d.entropy(), -(p * np.log(p)).sum(-1))
    close(d.mean, p)
    close(d.variance, p * (1 - p))
    np.testing.assert_array_equal(d.mode.data, np.eye(4)[p.argmax(-1)])
    assert d.event_shape == (4,) and d.batch_shape == (3,)
    support = d.enumerate_support().data
    assert support.shape == (4, 3, 4)
    np.testing.assert_array_equal(support[:, 0], np.eye(4))


def random_cov(n, *batch):
    a = RNG.normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def mvn_log_prob_ref(x, loc, cov):
    n = loc.shape[-1]
    diff = x - loc
    maha = np.einsum("...i,...ij,...j->...", diff, np.linalg.inv(cov), diff)
    return -0.5 * (n * math.log(2 * math.pi) + np.linalg.slogdet(cov)[1] + maha)


@pytest.mark.parametrize("by", ["covariance_matrix", "scale_tril", "precision_matrix"])
def test_multivariate_normal_against_its_formulas(by):
    n = 3
    cov = random_cov(n, 2)
    loc = RNG.normal(size=(4, 1, n))
    given = {"covariance_matrix": cov, "scale_tril": np.linalg.cholesky(cov),
             "precision_matrix": np.linalg.inv(cov)}[by]
    d = MultivariateNormal(T(loc), **{by: T(given)})
    assert d.batch_shape == (4, 2) and d.event_shape == (n,)
    x = RNG.normal(size=(5, 4, 2, n))
    close(d.log_prob(T(x)), mvn_log_prob_ref(x, loc, cov), rtol=1e-9)
    want_h = 0.5 * (n * (1 + math.log(2 * math.pi)) + np.linalg.slogdet(cov)[1])
    close(d.entropy(), np.broadcast_to(want_h, (4, 2)), rtol=1e-9)
    close(d.mean, np.broadcast_to(loc, (4, 2, n)))
    close(d.variance, np.broadcast_to(np.diagonal(cov, axis1=-2, axis2=-1), (4, 2, n)), rtol=1e-9)
    close(d.covariance_matrix, np.broadcast_to(cov, (4, 2, n, n)), rtol=1e-9)
    close(d.precision_matrix, np.broadcast_to(np.linalg.inv(cov), (4, 2, n, n)), rtol=1e-8)
    low = d.scale_tril.data
    close(low @ np.swapaxes(low, -1, -2), np.broadcast_to(cov, (4, 2, n, n)), rtol=1e-9)


def test_independent_sums_the_reinterpreted_dimensions():
    loc, scale = RNG.normal(size=(2, 3, 4)), positive(3, 4)
    base = Normal(T(loc), T(scale))
    d = Independent(base, 2)
    assert d.batch_shape == (2,) and d.event_shape == (3, 4)
    x = RNG.normal(size=(5, 2, 3, 4))
    close(d.log_prob(T(x)), base.log_prob(T(x)).data.sum((-2, -1)))
    close(d.entropy(), base.entropy().data.sum((-2, -1)))
    assert d.has_rsample and d.rsample((7,)).shape == (7, 2, 3, 4)
    close(d.mean, np.asarray(loc))


# ------------------------------------------------------------------------------- sampling
def moments_ok(draws, mean, var, sigmas=5.0):
    """Sample mean and variance within `sigmas` standard errors (variance's via the
    fourth central moment of the draws)."""
    n = draws.shape[0]
    m = draws.mean(0)
    v = draws.var(0)
    m4 = ((draws - m) ** 4).mean(0)
    assert np.all(np.abs(m - mean) < sigmas * np.sqrt(var / n)), (m, mean)
    assert np.all(np.abs(v - var) < sigmas * np.sqrt((m4 - v**2) / n)), (v, var)


SAMPLED = [
    ("normal", lambda: Normal(T([0.5, -1.0]), T([2.0, 0.3]))),
    ("uniform", lambda: Uniform(T([0.0, -2.0]), T([1.0, 3.0]))),
    ("exponential", lambda: Exponential(T([0.5, 3.0]))),
    ("laplace", lambda: Laplace(T([1.0, -1.0]), T([0.5, 2.0]))),
    ("gamma", lambda: Gamma(T([0.5, 4.0]), T([2.0, 1.0]))),
    ("beta", lambda: Beta(T([0.5, 3.0]), T([2.0, 1.5]))),
    ("bernoulli", lambda: Bernoulli(T([0.1, 0.7]))),
    ("categorical", lambda: Categorical(T([[0.2, 0.0, 0.8], [0.3, 0.3, 0.4]]))),
]


@pytest.mark.parametrize("name,make", SAMPLED, ids=[s[0] for s in SAMPLED])
def test_sample_moments_and_reproducibility(name, make):
    d = make()
    tg.manual_seed(123)
    draws = d.sample((N_DRAWS,))
    assert draws.shape == (N_DRAWS,) + d.batch_shape
    assert not draws.requires_grad
    if name == "categorical":
        p = d.probs.data
        k = np.arange(3)
        mean = (p * k).sum(-1)
        var = (p * k**2).sum(-1) - mean**2
        assert not (draws.data[:, 0] == 1).any()  # an empty category is never drawn
        assert draws.dtype == np.int64
    else:
        mean, var = d.mean.data, d.variance.data
    moments_ok(draws.data.astype(np.float64), mean, var)
    tg.manual_seed(123)
    np.testing.assert_array_equal(d.sample((N_DRAWS,)).data, draws.data)


def test_one_hot_and_multivariate_samples():
    tg.manual_seed(0)
    p = np.array([0.1, 0.6, 0.3])
    x = OneHotCategorical(T(p)).sample((N_DRAWS,)).data
    assert np.all(x.sum(-1) == 1)
    moments_ok(x, p, p * (1 - p))
    cov = random_cov(3)
    loc = RNG.normal(size=3)
    y = MultivariateNormal(T(loc), covariance_matrix=T(cov)).sample((N_DRAWS,)).data
    moments_ok(y, loc, np.diagonal(cov))
    np.testing.assert_allclose(np.cov(y.T), cov, rtol=0.05, atol=0.05 * np.abs(cov).max())


def test_float32_parameters_give_float32_samples():
    d = Normal(0.0, 1.0)
    assert d.sample((3,)).dtype == np.float32
    assert Normal(T(0.0), 1.0).rsample().dtype == np.float64  # a float never downcasts
    assert Bernoulli(0.3).sample().dtype == np.float32


# ----------------------------------------------------------------- reparameterisation grads
def test_normal_rsample_gradients_are_the_reparameterisation():
    loc = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    scale = Tensor(np.array([2.0, 0.3]), requires_grad=True)
    tg.manual_seed(1)
    x = Normal(loc, scale).rsample((1000,))
    x.mean(0).sum().backward()
    np.testing.assert_allclose(loc.grad, [1.0, 1.0])
    eps = (x.data - loc.data) / scale.data
    np.testing.assert_allclose(scale.grad, eps.mean(0), rtol=1e-12)


def test_exponential_uniform_laplace_rsample_gradients():
    rate = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    x = Exponential(rate).rsample((100,))
    x.sum().backward()
    np.testing.assert_allclose(rate.grad, (-x.data / rate.data).sum(0), rtol=1e-12)

    low = Tensor(np.array([0.0, -1.0]), requires_grad=True)
    high = Tensor(np.array([1.0, 4.0]), requires_grad=True)
    u = Uniform(low, high).rsample((100,))
    u.sum().backward()
    frac = (u.data - low.data) / (high.data - low.data)
    np.testing.assert_allclose(high.grad, frac.sum(0), rtol=1e-10)
    np.testing.assert_allclose(low.grad, (1 - frac).sum(0), rtol=1e-10)

    loc = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    scale = Tensor(np.array([1.0, 3.0]), requires_grad=True)
    y = Laplace(loc, scale).rsample((100,))
    y.sum().backward()
    np.testing.assert_allclose(loc.grad, [100.0, 100.0])
    np.testing.assert_allclose(scale.grad, ((y.data - loc.data) / scale.data).sum(0), rtol=1e-10)


def test_multivariate_normal_rsample_gradients():
    loc = Tensor(RNG.normal(size=3), requires_grad=True)
    low = np.linalg.cholesky(random_cov(3))
    scale_tril = Tensor(low, requires_grad=True)
    tg.manual_seed(2)
    x = MultivariateNormal(loc, scale_tril=scale_tril).rsample((10,))
    x.sum().backward()
    np.testing.assert_allclose(loc.grad, [10.0, 10.0, 10.0])
    eps = np.linalg.solve(low, (x.data - loc.data).T).T  # x = loc + L eps
    np.testing.assert_allclose(scale_tril.grad, np.ones((10, 3)).T @ eps, rtol=1e-9)


def test_sample_is_detached_from_the_parameters():
    loc = Tensor(np.zeros(2), requires_grad=True)
    assert not Normal(loc, 1.0).sample().requires_grad
    assert Normal(loc, 1.0).rsample().requires_grad


# ------------------------------------------------------- finite differences in the params
def test_log_prob_and_entropy_gradients_finite_differences():
    x = RNG.normal(size=(3, 4))
    xp = positive(3, 4)
    xu = RNG.uniform(0.1, 0.9, (3, 4))
    loc, scale = RNG.normal(size=4), positive(4)
    check_grads(lambda m, s: Normal(m, s).log_prob(T(x)), loc, scale)
    check_grads(lambda s: Normal(T(loc), s).entropy(), scale)
    check_grads(lambda m, s: Normal(m, s).cdf(T(x)), loc, scale)
    check_grads(lambda m, s: Laplace(m, s).log_prob(T(x)), loc, scale)
    check_grads(lambda r: Exponential(r).log_prob(T(xp)), scale)
    check_grads(lambda a, r: Gamma(a, r).log_prob(T(xp)), scale + 0.5, scale)
    check_grads(lambda a, r: Gamma(a, r).entropy(), scale + 0.5, scale)
    check_grads(lambda a, b: Beta(a, b).log_prob(T(xu)), scale, scale + 1)
    check_grads(lambda a, b: Beta(a, b).entropy(), scale, scale + 1)
    check_grads(lambda lo, hi: Uniform(lo, hi).log_prob(T(xu)), loc - 5, loc + 5)
    bits = (RNG.random((3, 4)) < 0.5).astype(float)
    check_grads(lambda p: Bernoulli(p).log_prob(T(bits)), xu[0])
    check_grads(lambda lg: Bernoulli(logits=lg).log_prob(T(bits)), loc)
    check_grads(lambda lg: Bernoulli(logits=lg).entropy(), loc)
    idx = Tensor(RNG.integers(0, 4, (5, 3)))
    check_grads(lambda lg: Categorical(logits=lg).log_prob(idx), RNG.normal(size=(3, 4)))
    check_grads(lambda w: Categorical(probs=w).entropy(), positive(3, 4))


def test_multivariate_normal_log_prob_gradients_finite_differences():
    n = 3
    x = RNG.normal(size=(4, n))
    loc = RNG.normal(size=n)
    low = np.linalg.cholesky(random_cov(n))
    check_grads(lambda m, s: MultivariateNormal(m, scale_tril=s.tril()).log_prob(T(x)), loc, low)

    def through_covariance(m, a):
        cov = a @ a.transpose(-1, -2) + n * T(np.eye(n))
        return MultivariateNormal(m, covariance_matrix=cov).log_prob(T(x))

    check_grads(through_covariance, loc, RNG.normal(size=(n, n)))

    def through_precision(a):
        prec = a @ a.transpose(-1, -2) + T(np.eye(n))
        return MultivariateNormal(T(loc), precision_matrix=prec).entropy()

    check_grads(through_precision, RNG.normal(size=(n, n)))


# ------------------------------------------------------------------------------------- KL
def test_kl_against_closed_forms():
    mp, sp, mq, sq = RNG.normal(size=3), positive(3), RNG.normal(size=3), positive(3)
    close(kl_divergence(Normal(T(mp), T(sp)), Normal(T(mq), T(sq))),
          np.log(sq / sp) + (sp**2 + (mp - mq) ** 2) / (2 * sq**2) - 0.5)
    p, q = RNG.uniform(0.05, 0.95, 3), RNG.uniform(0.05, 0.95, 3)
    close(kl_divergence(Bernoulli(T(p)), Bernoulli(T(q))),
          p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q)))
    pc, qc = positive(2, 4), positive(2, 4)
    pc, qc = pc / pc.sum(-1, keepdims=True), qc / qc.sum(-1, keepdims=True)
    close(kl_divergence(Categorical(T(pc)), Categorical(T(qc))), (pc * np.log(pc / qc)).sum(-1))
    close(kl_divergence(OneHotCategorical(T(pc)), OneHotCategorical(T(qc))),
          (pc * np.log(pc / qc)).sum(-1))
    rp, rq = positive(3), positive(3)
    close(kl_divergence(Exponential(T(rp)), Exponential(T(rq))), np.log(rp / rq) + rq / rp - 1)
    up, uq = Uniform(T([0.0, 0.0]), T([1.0, 1.0])), Uniform(T([-1.0, 0.5]), T([2.0, 2.0]))
    close(kl_divergence(up, uq), [math.log(3.0), np.inf])
    n = 3
    cp, cq = random_cov(n), random_cov(n, 2)
    lp, lq = RNG.normal(size=n), RNG.normal(size=(2, n))
    iq = np.linalg.inv(cq)
    want = 0.5 * (np.trace(iq @ cp, axis1=-2, axis2=-1)
                  + np.einsum("bi,bij,bj->b", lq - lp, iq, lq - lp) - n
                  + np.linalg.slogdet(cq)[1] - np.linalg.slogdet(cp)[1])
    got = kl_divergence(MultivariateNormal(T(lp), T(cp)), MultivariateNormal(T(lq), T(cq)))
    close(got, want, rtol=1e-9)
    ind = kl_divergence(Independent(Normal(T(mp), T(sp)), 1), Independent(Normal(T(mq), T(sq)), 1))
    close(ind, (np.log(sq / sp) + (sp**2 + (mp - mq) ** 2) / (2 * sq**2) - 0.5).sum())


def test_categorical_kl_edge_cases():
    p = Categorical(T([0.5, 0.5, 0.0]))
    q = Categorical(T([0.25, 0.25, 0.5]))
    close(kl_divergence(p, q), math.log(2))  # 0 log 0 counts as 0
    assert kl_divergence(q, p).data == np.inf  # q has mass where p has none


MC_PAIRS = [
    ("normal", lambda: (Normal(T([0.3, -1.0]), T([1.5, 0.5])), Normal(T([0.0]), T([1.0, 2.0])))),
    ("laplace", lambda: (Laplace(T([0.3]), T([1.5])), Laplace(T([-0.2]), T([0.8])))),
    ("exponential", lambda: (Exponential(T([0.7])), Exponential(T([2.0])))),
    ("gamma", lambda: (Gamma(T([2.0]), T([1.5])), Gamma(T([3.0]), T([1.0])))),
    ("beta", lambda: (Beta(T([2.0]), T([3.0])), Beta(T([1.5]), T([1.5])))),
    ("uniform", lambda: (Uniform(T([0.0]), T([1.0])), Uniform(T([-0.5]), T([2.0])))),
    ("bernoulli", lambda: (Bernoulli(T([0.3])), Bernoulli(T([0.6])))),
    ("categorical", lambda: (Categorical(T([[0.2, 0.5, 0.3]])), Categorical(T([[0.4, 0.4, 0.2]])))),
    ("mvn", lambda: (MultivariateNormal(T([0.0, 1.0]), T([[2.0, 0.3], [0.3, 0.5]])),
                     MultivariateNormal(T([0.5, 0.0]), T([[1.0, -0.2], [-0.2, 1.0]])))),
]


@pytest.mark.parametrize("name,make", MC_PAIRS, ids=[m[0] for m in MC_PAIRS])
def test_kl_against_a_monte_carlo_estimate(name, make):
    p, q = make()
    tg.manual_seed(7)
    x = p.sample((N_DRAWS,))
    ratio = (p.log_prob(x) - q.log_prob(x)).data
    estimate, stderr = ratio.mean(0), ratio.std(0) / math.sqrt(N_DRAWS)
    exact = kl_divergence(p, q).data
    assert np.all(np.abs(estimate - exact) < 5 * stderr + 1e-12), (estimate, exact, stderr)


def test_kl_gradients_finite_differences():
    a, b = RNG.normal(size=3), positive(3)
    check_grads(lambda m, s: kl_divergence(Normal(m, s), Normal(T(b), T(b))), a, b)
    n = 3
    low = np.linalg.cholesky(random_cov(n))

    def mvn_kl(m, s):
        return kl_divergence(MultivariateNormal(m, scale_tril=s.tril()),
                             MultivariateNormal(T(np.zeros(n)), T(random_cov_fixed)))

    random_cov_fixed = random_cov(n)
    check_grads(mvn_kl, a, low)
    check_grads(lambda lg: kl_divergence(Categorical(logits=lg), Categorical(T([0.2, 0.3, 0.5]))),
                a)


def test_register_kl_dispatch_and_errors():
    class MyNormal(Normal):
        pass

    p, q = MyNormal(0.0, 1.0), Normal(1.0, 2.0)
    close(kl_divergence(p, q), kl_divergence(Normal(0.0, 1.0), q).data, rtol=1e-6)

    @register_kl(MyNormal, Normal)
    def _mine(p, q):
        return Tensor(np.float32(42.0))

    assert kl_divergence(p, q).item() == 42.0  # the more specific rule wins
    assert kl_divergence(Normal(0.0, 1.0), q).item() != 42.0
    with pytest.raises(NotImplementedError, match="Normal and Bernoulli"):
        kl_divergence(Normal(0.0, 1.0), Bernoulli(0.3))
    with pytest.raises(TypeError, match="type_q must be a subclass of Distribution"):
        register_kl(Normal, int)
    with pytest.raises(NotImplementedError, match="reinterpreted_batch_ndims"):
        kl_divergence(Independent(Normal(T(np.zeros((2, 2))), 1.0), 1),
                      Independent(Normal(T(np.zeros((2, 2))), 1.0), 2))


# ---------------------------------------------------------------------- validation errors
def test_parameter_validation_names_the_argument():
    with pytest.raises(ValueError, match="parameter scale .* GreaterThan\\(lower_bound=0.0\\)"):
        Normal(0.0, -1.0)
    with pytest.raises(ValueError, match="parameter loc"):
        Normal(float("nan"), 1.0)
    with pytest.raises(ValueError, match="parameter probs .* Interval"):
        Bernoulli(T([0.5, 1.5]))
    with pytest.raises(ValueError, match="either probs or logits"):
        Bernoulli(probs=0.5, logits=0.0)
    with pytest.raises(ValueError, match="either probs or logits"):
        Categorical()
    with pytest.raises(ValueError, match="parameter probs .* Simplex"):
        Categorical(T([0.2, -0.3, 1.0]))
    with pytest.raises(ValueError, match="probs must be at least one-dimensional"):
        Categorical(T(0.5))
    with pytest.raises(ValueError, match="parameter rate"):
        Exponential(0.0)
    with pytest.raises(ValueError, match="parameter concentration "):
        Gamma(-1.0, 1.0)
    with pytest.raises(ValueError, match="parameter concentration0"):
        Beta(1.0, 0.0)
    with pytest.raises(ValueError, match="low must be less than high"):
        Uniform(1.0, 0.0)
    with pytest.raises(ValueError, match="shapes of loc \\(3,\\), scale \\(2,\\) do not broadcast"):
        Normal(T(np.zeros(3)), T(np.ones(2)))
    with pytest.raises(TypeError, match="scale must be a Tensor or a number"):
        Normal(0.0, "1")


def test_multivariate_normal_validation():
    with pytest.raises(ValueError, match="exactly one of covariance_matrix"):
        MultivariateNormal(T(np.zeros(2)))
    with pytest.raises(ValueError, match="exactly one of covariance_matrix"):
        MultivariateNormal(T(np.zeros(2)), T(np.eye(2)), scale_tril=T(np.eye(2)))
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        MultivariateNormal(T(0.0), T(np.eye(2)))
    with pytest.raises(ValueError, match="loc has 3 entries .* covariance_matrix is 2x2"):
        MultivariateNormal(T(np.zeros(3)), T(np.eye(2)))
    with pytest.raises(ValueError, match="parameter covariance_matrix .* PositiveDefinite"):
        MultivariateNormal(T(np.zeros(2)), T([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="parameter scale_tril .* LowerCholesky"):
        MultivariateNormal(T(np.zeros(2)), scale_tril=T([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="scale_tril must be square matrices"):
        MultivariateNormal(T(np.zeros(2)), scale_tril=T(np.ones(2)))


def test_value_validation_in_log_prob():
    with pytest.raises(ValueError, match="value argument .* support GreaterThanEq"):
        Exponential(1.0).log_prob(T(-1.0))
    with pytest.raises(ValueError, match="support Boolean"):
        Bernoulli(0.3).log_prob(T(0.5))
    with pytest.raises(ValueError, match="support IntegerInterval\\(lower_bound=0, upper_bound=1"):
        Categorical(T([0.2, 0.8])).log_prob(Tensor(np.array(2)))
    with pytest.raises(ValueError, match="does not broadcast with batch_shape"):
        Normal(T(np.zeros(3)), 1.0).log_prob(T(np.zeros(2)))
    with pytest.raises(ValueError, match="right-most size of value .* event_shape \\(3,\\)"):
        MultivariateNormal(T(np.zeros(3)), T(np.eye(3))).log_prob(T(np.zeros(2)))
    with pytest.raises(ValueError, match="must be a Tensor"):
        Normal(0.0, 1.0).log_prob(1.0)
    with pytest.raises(ValueError, match="support Real"):
        Normal(0.0, 1.0).log_prob(T(np.nan))
    with pytest.raises(TypeError, match="sample_shape must be a tuple"):
        Normal(0.0, 1.0).sample(5)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims \\(2\\) must be at most"):
        Independent(Normal(T(np.zeros(2)), 1.0), 2)


def test_validation_can_be_turned_off_per_instance_and_by_default():
    d = Exponential(1.0, validate_args=False)
    assert d.log_prob(T(-1.0)).item() == pytest.approx(1.0)  # the formula, unchecked
    Normal(0.0, -1.0, validate_args=False)  # no error
    assert Distribution._validate_args is True  # torch's default (__debug__)
    Distribution.set_default_validate_args(False)
    try:
        Normal(0.0, -1.0)
        with pytest.raises(ValueError, match="parameter scale"):
            Normal(0.0, -1.0, validate_args=True)
    finally:
        Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="parameter scale"):
        Normal(0.0, -1.0)
    with pytest.raises(ValueError, match="True or False"):
        Distribution.set_default_validate_args(2)


# ----------------------------------------------------------------------- shapes and expand
def test_batch_shapes_broadcast():
    d = Normal(T(np.zeros((3, 1))), T(np.ones(4)))
    assert d.batch_shape == (3, 4) and d.event_shape == ()
    assert d.sample((2, 5)).shape == (2, 5, 3, 4)
    assert d.log_prob(T(np.zeros((2, 1, 4)))).shape == (2, 3, 4)
    assert d.entropy().shape == (3, 4)
    c = Categorical(T(np.ones((2, 5))))
    assert c.log_prob(Tensor(np.zeros((7, 1), dtype=np.int64))).shape == (7, 2)
    m = MultivariateNormal(T(np.zeros((4, 1, 2))), T(np.broadcast_to(np.eye(2), (3, 2, 2))))
    assert m.batch_shape == (4, 3) and m.event_shape == (2,)
    assert m.sample((5,)).shape == (5, 4, 3, 2)
    assert m.log_prob(T(np.zeros(2))).shape == (4, 3)


def test_expand_keeps_values_and_gradients():
    loc = Tensor(np.array([0.5]), requires_grad=True)
    d = Normal(loc, 2.0).expand((3, 1))
    assert d.batch_shape == (3, 1)
    x = RNG.normal(size=(3, 1))
    close(d.log_prob(T(x)), -((x - 0.5) ** 2) / 8 - math.log(2) - 0.5 * math.log(2 * math.pi),
          rtol=1e-6)
    d.log_prob(T(x)).sum().backward()
    np.testing.assert_allclose(loc.grad, [((x - 0.5) / 4).sum()], rtol=1e-6)
    with pytest.raises(ValueError, match="cannot expand"):
        Normal(T(np.zeros(2)), 1.0).expand((3,))
    assert Categorical(T([0.2, 0.8])).expand((4,)).sample().shape == (4,)
    assert Bernoulli(logits=0.0).expand((2, 3)).batch_shape == (2, 3)
    mvn = MultivariateNormal(T(np.zeros(2)), T(np.eye(2))).expand((5,))
    assert mvn.batch_shape == (5,) and mvn.log_prob(T(np.zeros(2))).shape == (5,)
    assert Independent(Normal(T(np.zeros((1, 2))), 1.0), 1).expand((4,)).batch_shape == (4,)
    assert OneHotCategorical(T([0.5, 0.5])).expand((3,)).sample().shape == (3, 2)


def test_package_exports_distributions():
    assert tg.distributions.Normal is Normal
    assert "distributions" in tg.__all__


# ------------------------------------------------- implicit reparameterisation of gamma draws
def simpson(y, x):
    h = x[1] - x[0]
    return h / 3 * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum())


@pytest.mark.parametrize("a", [0.3, 1.5, 3.0, 12.0])
def test_standard_gamma_grad_against_quadrature(a):
    """dx/da = -(dP/da) / p with dP/da = int_0^x p(t) (log t - psi(a)) dt, by Simpson's rule
    after t = s^k (k = 4/a), which makes the integrand k^2 s^3 e^(-s^k) log s smooth at 0."""
    from tinygrad_opt.distributions.gamma_sampler import standard_gamma_grad

    psi = digamma_ref(a)
    k = 4 / a
    xs = np.array([0.05, 0.3, 0.9, 1.0, 1.1, 2.0]) * (a + 1)  # both sides of the branch a + 1
    want = []
    for x in xs:
        s = np.linspace(0, x ** (1 / k), 20001)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.nan_to_num(k * k * s**3 * np.exp(-(s**k)) * np.log(s))  # 0 at s = 0
        g = k * s**3 * np.exp(-(s**k))  # the same substitution for int p(t) dt
        dcdf = (simpson(f, s) - psi * simpson(g, s)) / math.gamma(a)
        want.append(-dcdf / math.exp((a - 1) * math.log(x) - x - math.lgamma(a)))
    np.testing.assert_allclose(standard_gamma_grad(np.full(6, a), xs), want, rtol=1e-7)


@pytest.mark.parametrize("a", [0.3, 1.0, 4.0, 40.0])
def test_gamma_rsample_gradients_match_the_moment_derivatives(a):
    """d/da E[x] = 1 / rate and d/da E[x^2] = (2a + 1) / rate^2, d/drate E[x] = -a / rate^2."""
    conc = Tensor(np.array([a]), requires_grad=True)
    rate = Tensor(np.array([2.0]), requires_grad=True)
    tg.manual_seed(4)
    x = Gamma(conc, rate).rsample((N_DRAWS,))
    x.mean().backward()
    assert conc.grad[0] == pytest.approx(0.5, rel=0.01)
    np.testing.assert_allclose(rate.grad, (-x.data / rate.data).mean(0), rtol=1e-10)
    conc.grad = None
    y = Gamma(conc, 1.0).rsample((N_DRAWS,))
    (y * y).mean().backward()
    assert conc.grad[0] == pytest.approx(2 * a + 1, rel=0.02)


def test_beta_rsample_gradients_match_the_mean_derivatives():
    a = Tensor(np.array([2.0]), requires_grad=True)
    b = Tensor(np.array([3.0]), requires_grad=True)
    tg.manual_seed(5)
    x = Beta(a, b).rsample((N_DRAWS,))
    assert x.data.min() >= 0 and x.data.max() <= 1
    x.mean().backward()
    assert a.grad[0] == pytest.approx(3 / 25, rel=0.02)  # d/da a/(a+b) = b/(a+b)^2
    assert b.grad[0] == pytest.approx(-2 / 25, rel=0.02)


def test_numbers_follow_the_default_dtype_and_shapes_are_sizes():
    assert Normal(0.0, 1.0).loc.dtype == np.float32
    tg.set_default_dtype(tg.float64)
    try:
        d = Normal(0.0, 1.0)
        assert d.loc.dtype == np.float64 and d.sample((2,)).dtype == np.float64
        # a float32 tensor argument fixes the dtype, whatever the default
        assert Normal(Tensor(np.zeros(2, np.float32)), 1.0).scale.dtype == np.float32
    finally:
        tg.set_default_dtype(tg.float32)
    d = Normal(T(np.zeros((3, 1))), 1.0)
    assert isinstance(d.batch_shape, tg.Size) and d.batch_shape == (3, 1)
    assert isinstance(d.event_shape, tg.Size) and d.event_shape == ()
