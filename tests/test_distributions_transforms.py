"""distributions.transforms, TransformedDistribution and constraint_registry: each
transform's forward and inverse against the formula written here with numpy, its
log|det J| against a float64 finite-difference Jacobian, TransformedDistribution's
log_prob against the change-of-variables density written by hand, cdf/icdf against the
base's, rsample gradients against finite differences, shapes and bad arguments."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor
from tinygrad_opt.distributions import (
    Exponential,
    Gumbel,
    HalfNormal,
    Independent,
    LogNormal,
    Normal,
    TransformedDistribution,
    Uniform,
    Weibull,
    biject_to,
    constraints,
    transform_to,
)
from tinygrad_opt.distributions import transforms as T

RNG = np.random.default_rng(7)


def t64(x) -> Tensor:
    return Tensor(np.asarray(x, dtype=np.float64))


def close(got, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(got.data if isinstance(got, Tensor) else got, want,
                               rtol=rtol, atol=atol)


def jacobian(fn, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d fn(x) / dx over the last dimension of a vector x, by central differences."""
    cols = []
    for i in range(x.shape[-1]):
        e = np.zeros_like(x)
        e[..., i] = h
        cols.append((fn(x + e) - fn(x - e)) / (2 * h))
    return np.stack(cols, axis=-1)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


ELEMENTWISE = [  # (transform, numpy forward, numpy inverse, domain sampler)
    (T.ExpTransform(), np.exp, np.log, lambda s: RNG.normal(size=s)),
    (T.AffineTransform(1.5, -2.0), lambda x: 1.5 - 2 * x, lambda y: (y - 1.5) / -2,
     lambda s: RNG.normal(size=s)),
    (T.SigmoidTransform(), sigmoid, lambda y: np.log(y / (1 - y)), lambda s: RNG.normal(size=s)),
    (T.TanhTransform(), np.tanh, np.arctanh, lambda s: RNG.normal(size=s)),
    (T.SoftplusTransform(), lambda x: np.log1p(np.exp(x)), lambda y: np.log(np.expm1(y)),
     lambda s: RNG.normal(size=s)),
    (T.PowerTransform(2.5), lambda x: x**2.5, lambda y: y**0.4,
     lambda s: RNG.uniform(0.2, 3, s)),
]


@pytest.mark.parametrize("case", ELEMENTWISE, ids=lambda c: type(c[0]).__name__)
def test_elementwise_transforms_forward_inverse_and_log_det(case):
    t, fwd, inv, draw = case
    x = draw((3, 4))
    y = t(t64(x))
    close(y, fwd(x))
    close(t.inv(y), x, rtol=1e-9)
    h = 1e-6
    derivative = (fwd(x + h) - fwd(x - h)) / (2 * h)
    close(t.log_abs_det_jacobian(t64(x), y), np.log(np.abs(derivative)), rtol=1e-7, atol=1e-8)
    # the inverse's log-Jacobian is minus the forward's, at the swapped pair
    close(t.inv.log_abs_det_jacobian(y, t64(x)), -np.log(np.abs(derivative)), rtol=1e-7,
          atol=1e-8)
    assert t.bijective and t.inv.inv is t
    assert t.inv.domain is t.codomain and t.inv.codomain is t.domain
    assert np.all(t.codomain.check(y.data))


def test_elementwise_log_det_gradients_match_finite_differences():
    for t, _, _, draw in ELEMENTWISE:
        x = draw((5,))
        if not isinstance(t, T.AffineTransform):  # a constant there
            check_grads(lambda v, t=t: t.log_abs_det_jacobian(v, t(v)), x, rtol=1e-5)
        check_grads(lambda v, t=t: t(v), x, rtol=1e-5)


def test_signs_and_monotonicity():
    assert T.ExpTransform().sign == 1
    assert T.AffineTransform(0.0, -3.0).sign == -1
    close(T.AffineTransform(0.0, t64([2.0, -1.0])).sign, [1.0, -1.0])
    compose = T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.0, -2.0)])
    assert compose.sign == -1 and compose.inv.sign == -1
    with pytest.raises(NotImplementedError):
        _ = T.AbsTransform().sign


def test_abs_transform_is_not_bijective_and_inverts_to_the_positive_root():
    t = T.AbsTransform()
    x = RNG.normal(size=6)
    close(t(t64(x)), np.abs(x))
    close(t.inv(t64(np.abs(x))), np.abs(x))
    assert not t.bijective


def test_affine_event_dim_sums_the_log_scale_over_the_event():
    scale = np.array([0.5, -2.0, 3.0])
    t = T.AffineTransform(t64([1.0, 0.0, -1.0]), t64(scale), event_dim=1)
    x = RNG.normal(size=(4, 3))
    close(t.log_abs_det_jacobian(t64(x), t(t64(x))), np.full(4, np.log(np.abs(scale)).sum()))
    t_float = T.AffineTransform(0.0, -2.0, event_dim=1)
    close(t_float.log_abs_det_jacobian(t64(x), t_float(t64(x))), np.full(4, 3 * math.log(2)))
    assert t.domain.event_dim == 1 and t.codomain.event_dim == 1


def test_stick_breaking_maps_onto_the_simplex_and_its_log_det_is_the_jacobian_volume():
    t = T.StickBreakingTransform()
    x = RNG.normal(size=(2, 3))

    def forward(v):  # stick breaking written out: z_k = sigmoid(v_k - log(K - k))
        k = v.shape[-1]
        z = sigmoid(v - np.log(np.arange(k, 0, -1)))
        rest = np.cumprod(1 - z, axis=-1)
        y = z * np.concatenate([np.ones(v.shape[:-1] + (1,)), rest[..., :-1]], -1)
        return np.concatenate([y, rest[..., -1:]], -1)

    y = t(t64(x))
    close(y, forward(x))
    close(y.data.sum(-1), [1.0, 1.0])
    close(t.inv(y), x, rtol=1e-9)
    close(t(t64(np.zeros(3))), np.full(4, 0.25))  # x = 0 is the uniform point
    # the map to the first K - 1 coordinates is square: log|det| of its Jacobian
    jac = jacobian(lambda v: forward(v)[..., :-1], x)
    close(t.log_abs_det_jacobian(t64(x), y), np.linalg.slogdet(jac)[1], rtol=1e-7)
    assert t.forward_shape((5, 3)) == (5, 4) and t.inverse_shape((5, 4)) == (5, 3)
    check_grads(lambda v: t.log_abs_det_jacobian(v, t(v)), x)


def test_softmax_lower_cholesky_and_reshape():
    x = RNG.normal(size=(2, 3))
    e = np.exp(x)
    close(T.SoftmaxTransform()(t64(x)), e / e.sum(-1, keepdims=True))
    close(T.SoftmaxTransform().inv(t64(e / e.sum(-1, keepdims=True))),
          np.log(e / e.sum(-1, keepdims=True)))
    m = RNG.normal(size=(2, 3, 3))
    want = np.tril(m, -1) + np.exp(np.diagonal(m, axis1=-2, axis2=-1))[..., None] * np.eye(3)
    lower = T.LowerCholeskyTransform()(t64(m))
    close(lower, want)
    assert np.all(constraints.lower_cholesky.check(lower.data))
    close(T.LowerCholeskyTransform().inv(lower), np.tril(m))
    r = T.ReshapeTransform((4,), (2, 2))
    v = RNG.normal(size=(3, 4))
    close(r(t64(v)), v.reshape(3, 2, 2))
    close(r.inv(r(t64(v))), v)
    close(r.log_abs_det_jacobian(t64(v), r(t64(v))), np.zeros(3))
    assert r.forward_shape((5, 4)) == (5, 2, 2)
    with pytest.raises(ValueError, match="numbers of elements"):
        T.ReshapeTransform((4,), (3,))


def test_compose_and_independent_sum_log_dets_over_events():
    parts = [T.AffineTransform(0.5, 2.0), T.ExpTransform()]
    c = T.ComposeTransform(parts)
    x = RNG.normal(size=(3, 2))
    close(c(t64(x)), np.exp(0.5 + 2 * x))
    close(c.inv(c(t64(x))), x)
    close(c.log_abs_det_jacobian(t64(x), c(t64(x))), math.log(2) + 0.5 + 2 * x)
    ind = T.IndependentTransform(c, 1)
    close(ind.log_abs_det_jacobian(t64(x), ind(t64(x))), (math.log(2) + 0.5 + 2 * x).sum(-1))
    assert ind.domain.event_dim == 1
    # a 0-event part before a 1-event part is summed over that event
    sb = T.ComposeTransform([T.AffineTransform(0.0, 3.0), T.StickBreakingTransform()])
    want = 2 * math.log(3) + T.StickBreakingTransform().log_abs_det_jacobian(
        t64(3 * x), sb(t64(x))).data
    close(sb.log_abs_det_jacobian(t64(x), sb(t64(x))), want)
    assert sb.domain.event_dim == 1 and sb.codomain.event_dim == 1
    identity = T.ComposeTransform([])
    close(identity(t64(x)), x)
    assert T.identity_transform.bijective


def test_cumulative_distribution_transform():
    d = Normal(t64(0.5), t64(2.0))
    t = T.CumulativeDistributionTransform(d)
    x = RNG.normal(size=5)
    want = 0.5 * (1 + np.vectorize(math.erf)((x - 0.5) / (2 * math.sqrt(2))))
    close(t(t64(x)), want)
    close(t.inv(t(t64(x))), x, rtol=1e-8)
    close(t.log_abs_det_jacobian(t64(x), t(t64(x))),
          -((x - 0.5) ** 2) / 8 - math.log(2 * math.sqrt(2 * math.pi)))


def test_equality_caching_and_bad_arguments():
    assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform().inv == T.ExpTransform().inv
    assert T.AffineTransform(0.0, 2.0) == T.AffineTransform(0.0, 2.0)
    assert T.AffineTransform(0.0, 2.0) != T.AffineTransform(0.0, 3.0)
    cached = T.ExpTransform(cache_size=1)
    x = t64([0.1, 0.2])
    y = cached(x)
    assert cached.inv(y) is x  # the cached pair, not log(exp(x))
    with pytest.raises(ValueError, match="cache_size"):
        T.ExpTransform(cache_size=2)
    with pytest.raises(ValueError, match="event_dim"):
        _ = T.ReshapeTransform((4,), (2, 2)).event_dim  # domain 1, codomain 2: ambiguous
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        T.IndependentTransform(T.ExpTransform(), -1)
    with pytest.raises(TypeError, match="parts"):
        T.ComposeTransform([T.ExpTransform(), 3])


def test_transformed_distribution_log_prob_is_the_change_of_variables():
    loc, scale = RNG.normal(size=3), RNG.uniform(0.5, 2, 3)
    d = TransformedDistribution(Normal(t64(loc), t64(scale)),
                                [T.ExpTransform(), T.AffineTransform(1.0, -3.0)])
    y = 1 - 3 * RNG.uniform(0.2, 4, (2, 3))
    x = np.log((y - 1) / -3)
    want = -((x - loc) ** 2) / (2 * scale**2) - np.log(scale * math.sqrt(2 * math.pi))
    want = want - np.log(3 * np.exp(x))  # |dy/dx| = 3 exp(x)
    close(d.log_prob(t64(y)), want)
    assert d.batch_shape == (3,) and d.event_shape == () and d.has_rsample
    # decreasing composition: P(Y <= y) = 1 - F_base(x)
    base_cdf = 0.5 * (1 + np.vectorize(math.erf)((x - loc) / (scale * math.sqrt(2))))
    close(d.cdf(t64(y)), 1 - base_cdf, rtol=1e-9)
    close(d.cdf(d.icdf(t64(np.full(3, 0.3)))), np.full(3, 0.3), rtol=1e-9)
    check_grads(lambda m, s: TransformedDistribution(
        Normal(m, s), [T.ExpTransform(), T.AffineTransform(1.0, -3.0)]).log_prob(t64(y)),
        loc, scale)


def test_transformed_distribution_rsample_and_seeded_moments():
    loc, scale = np.array([0.2, -0.3]), np.array([0.5, 0.3])

    def draw(m, s):
        tg.manual_seed(3)
        return TransformedDistribution(Normal(m, s), T.ExpTransform()).rsample((4,))

    check_grads(draw, loc, scale)
    tg.manual_seed(0)
    n = 100_000
    d = TransformedDistribution(Normal(t64(loc), t64(scale)), T.ExpTransform())
    draws = d.sample((n,)).data
    mean = np.exp(loc + scale**2 / 2)
    sd = np.sqrt(np.expm1(scale**2)) * mean
    assert np.all(np.abs(draws.mean(0) - mean) < 4 * sd / math.sqrt(n))
    assert d.sample((2, 5)).shape == (2, 5, 2) and not d.sample().requires_grad


def test_transformed_distribution_event_shapes_wrap_the_base_in_independent():
    d = TransformedDistribution(Normal(t64(np.zeros(3)), t64(np.ones(3))),
                                T.StickBreakingTransform())
    assert d.batch_shape == () and d.event_shape == (4,)
    assert isinstance(d.base_dist, Independent)
    assert d.support.event_dim == 1
    y = np.array([0.1, 0.2, 0.3, 0.4])
    x = T.StickBreakingTransform().inv(t64(y)).data
    jac = jacobian(lambda v: T.StickBreakingTransform()(t64(v)).data[..., :-1], x)
    want = (-(x**2) / 2 - 0.5 * math.log(2 * math.pi)).sum() - np.linalg.slogdet(jac)[1]
    close(d.log_prob(t64(y)), want, rtol=1e-7)
    r = TransformedDistribution(Normal(t64(np.zeros(4)), t64(np.ones(4))),
                                T.ReshapeTransform((4,), (2, 2)))
    assert r.batch_shape == () and r.event_shape == (2, 2)
    v = RNG.normal(size=(5, 2, 2))
    close(r.log_prob(t64(v)), (-(v**2) / 2 - 0.5 * math.log(2 * math.pi)).sum((-2, -1)))
    e = d.expand((6,))
    assert e.batch_shape == (6,) and e.sample().shape == (6, 4)


def test_transformed_distribution_bad_arguments():
    with pytest.raises(ValueError, match="transforms must be a Transform"):
        TransformedDistribution(Normal(0.0, 1.0), 3)
    with pytest.raises(TypeError, match="base_distribution"):
        TransformedDistribution("normal", T.ExpTransform())
    with pytest.raises(ValueError, match="at least 1 dimensions"):
        TransformedDistribution(Normal(0.0, 1.0), T.StickBreakingTransform())
    d = TransformedDistribution(Normal(0.0, 1.0), T.ExpTransform())
    with pytest.raises(ValueError, match="support"):
        d.log_prob(t64(-1.0))


def test_families_expose_torchs_transforms_with_the_same_numbers():
    v = RNG.uniform(0.2, 3, 5)
    for d in (LogNormal(t64(0.3), t64(0.7)), Weibull(t64(1.5), t64(0.8)),
              Gumbel(t64(0.3), t64(1.2))):
        rebuilt = TransformedDistribution(d.base_dist, d.transforms)
        close(rebuilt.log_prob(t64(v)), d.log_prob(t64(v)), rtol=1e-9)
    h = HalfNormal(t64(1.5))
    assert isinstance(h.transforms[0], T.AbsTransform) and isinstance(h.base_dist, Normal)
    assert isinstance(Weibull(1.0, 2.0).base_dist, Exponential)
    assert isinstance(Gumbel(0.0, 1.0).base_dist, Uniform)


def test_biject_to_and_transform_to():
    x = RNG.normal(size=(3, 4))
    for c in (constraints.positive, constraints.greater_than(1.5), constraints.unit_interval,
              constraints.interval(-2.0, 3.0), constraints.real, constraints.simplex,
              constraints.independent(constraints.positive, 1)):
        t = biject_to(c)
        y = t(t64(x))
        assert np.all(c.check(y.data)), c
        assert t.bijective
        close(t.inv(y), x, rtol=1e-7, atol=1e-9)
    close(biject_to(constraints.interval(-2.0, 3.0))(t64(x)), -2 + 5 * sigmoid(x))
    assert isinstance(biject_to(constraints.simplex), T.StickBreakingTransform)
    assert isinstance(transform_to(constraints.simplex), T.SoftmaxTransform)
    m = RNG.normal(size=(2, 3, 3))
    assert np.all(constraints.lower_cholesky.check(
        transform_to(constraints.lower_cholesky)(t64(m)).data))
    with pytest.raises(NotImplementedError, match="Cannot transform"):
        biject_to(constraints.lower_cholesky)
