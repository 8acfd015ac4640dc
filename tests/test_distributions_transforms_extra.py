"""CorrCholeskyTransform, PositiveDefiniteTransform, CatTransform, StackTransform,
identity_transform and the corr_cholesky / cat / stack constraints: forward maps against
the construction written here with numpy loops, inverse round trips, log|det J| against
float64 finite-difference Jacobians, the log-determinants' shapes by torch's rules,
biject_to / transform_to, gradients and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_distributions_transforms import close, jacobian, t64
from test_tensor_grad import check_grads

import tinygrad_opt.distributions as dists
from tinygrad_opt.distributions import biject_to, constraints, transform_to
from tinygrad_opt.distributions import transforms as T

RNG = np.random.default_rng(17)


def corr_cholesky_loops(x: np.ndarray, d: int) -> np.ndarray:
    """tanh, the entries row by row below the diagonal, then each row stick-broken."""
    r = np.tanh(x)
    low = np.zeros((d, d))
    low[0, 0] = 1.0
    k = 0
    for i in range(1, d):
        rest = 1.0
        for j in range(i):
            low[i, j] = r[k] * math.sqrt(rest)
            rest -= low[i, j] ** 2
            k += 1
        low[i, i] = math.sqrt(rest)
    return low


@pytest.mark.parametrize("d", [2, 3, 5])
def test_corr_cholesky_forward_inverse_and_log_det(d):
    t = T.CorrCholeskyTransform()
    n = d * (d - 1) // 2
    x = RNG.normal(size=(3, n)) * 1.3
    y = t(t64(x))
    assert y.shape == (3, d, d)
    close(y, np.stack([corr_cholesky_loops(v, d) for v in x]), rtol=1e-12)
    assert constraints.corr_cholesky.check(y.data).all()
    close(t.inv(y), x, rtol=1e-9, atol=1e-10)
    rows, cols = np.tril_indices(d, -1)
    for b in range(3):  # log|det d(strict lower part of y) / dx|
        jac = jacobian(lambda v: corr_cholesky_loops(v, d)[rows, cols], x[b])
        close(t.log_abs_det_jacobian(t64(x), y).data[b], np.linalg.slogdet(jac)[1],
              rtol=1e-7, atol=1e-8)
    close(t.inv.log_abs_det_jacobian(y, t64(x)), -t.log_abs_det_jacobian(t64(x), y).data)


def test_corr_cholesky_gradients_shapes_and_bad_input():
    t = T.CorrCholeskyTransform()
    x = RNG.normal(size=(2, 6))
    check_grads(lambda v: t(v), x)
    check_grads(lambda v: t.log_abs_det_jacobian(v, t(v)), x)
    assert t.forward_shape((5, 6)) == (5, 4, 4)
    assert t.inverse_shape((5, 4, 4)) == (5, 6)
    assert t.domain.event_dim == 1 and t.codomain is constraints.corr_cholesky
    assert t.bijective and t == T.CorrCholeskyTransform()
    with pytest.raises(ValueError, match="D\\(D-1\\)/2"):
        t(t64(np.zeros(4)))
    with pytest.raises(ValueError, match="D\\(D-1\\)/2"):
        t.forward_shape((4,))
    with pytest.raises(ValueError, match="square"):
        t.inv(t64(np.zeros((3, 2))))
    # extreme inputs stay inside the support (r is clamped to 1 - eps, as torch)
    y = t(t64([40.0, -40.0, 40.0]))
    assert constraints.corr_cholesky.check(y.data)
    assert np.all(np.isfinite(t.log_abs_det_jacobian(t64([40.0, -40.0, 40.0]), y).data))


def test_corr_cholesky_constraint():
    good = corr_cholesky_loops(np.array([0.3, -1.0, 0.5]), 3)
    check = constraints.corr_cholesky.check
    assert check(good)
    assert not check(good * 1.01)  # rows longer than 1
    assert not check(good.T)  # not lower-triangular
    flipped = good.copy()
    flipped[1] = -flipped[1]  # negative diagonal
    assert not check(flipped)
    assert constraints.corr_cholesky.event_dim == 2
    assert check(np.stack([good, good * 2])).tolist() == [True, False]


def test_positive_definite_transform():
    t = T.PositiveDefiniteTransform()
    x = RNG.normal(size=(2, 3, 3))
    low = np.tril(x, -1) + np.eye(3) * np.exp(np.diagonal(x, axis1=-2, axis2=-1))[..., None, :]
    y = t(t64(x))
    close(y, low @ np.swapaxes(low, -1, -2), rtol=1e-12)
    assert constraints.positive_definite.check(y.data).all()
    # the inverse recovers the lower part with the diagonal's log (the upper part is lost)
    close(t.inv(y), np.tril(x), rtol=1e-10, atol=1e-12)
    assert not t.bijective
    assert t.codomain is constraints.positive_definite and t.domain.event_dim == 2
    check_grads(lambda v: t(v), x)
    assert isinstance(transform_to(constraints.positive_definite), T.PositiveDefiniteTransform)


def test_corr_cholesky_registry():
    assert isinstance(biject_to(constraints.corr_cholesky), T.CorrCholeskyTransform)
    assert isinstance(transform_to(constraints.corr_cholesky), T.CorrCholeskyTransform)


# ------------------------------------------------------------------- Cat and Stack
def test_cat_transform_forward_inverse_and_elementwise_log_det():
    t = T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, -3.0), T.TanhTransform()],
                       dim=1, lengths=[2, 1, 3])
    x = RNG.normal(size=(4, 6))
    want = np.concatenate([np.exp(x[:, :2]), 1 - 3 * x[:, 2:3], np.tanh(x[:, 3:])], axis=1)
    y = t(t64(x))
    close(y, want)
    close(t.inv(y), x, rtol=1e-9)
    # event_dim 0: one log-derivative per element, by central differences of the map
    h = 1e-6
    fwd = lambda v: np.concatenate([np.exp(v[:, :2]), 1 - 3 * v[:, 2:3],  # noqa: E731
                                    np.tanh(v[:, 3:])], axis=1)
    deriv = (fwd(x + h) - fwd(x - h)) / (2 * h)
    ldj = t.log_abs_det_jacobian(t64(x), y)
    assert ldj.shape == (4, 6)
    close(ldj, np.log(np.abs(deriv)), rtol=1e-7, atol=1e-8)
    assert t.length == 6 and t.lengths == [2, 1, 3] and t.event_dim == 0 and t.bijective
    check_grads(lambda v: t(v), x)


def test_cat_transform_log_det_concatenates_or_sums_by_torchs_rule():
    affine = T.IndependentTransform(T.AffineTransform(0.0, 2.0), 1)
    x = RNG.normal(size=(5, 4))
    # dim 0 lies left of the one event dimension: the parts' log-dets are concatenated
    t = T.CatTransform([T.ExpTransform(), affine], dim=0, lengths=[2, 3])
    ldj = t.log_abs_det_jacobian(t64(x), t(t64(x)))
    assert t.event_dim == 1
    close(ldj, np.concatenate([x[:2].sum(-1), np.full(3, 4 * math.log(2))]))
    # dim -1 is the event dimension: the parts' log-dets are added
    t = T.CatTransform([T.ExpTransform(), affine], dim=-1, lengths=[3, 1])
    ldj = t.log_abs_det_jacobian(t64(x), t(t64(x)))
    close(ldj, x[:, :3].sum(-1) + math.log(2))
    # a single transform per slice of length 1 is the default
    assert T.CatTransform([T.ExpTransform()]).lengths == [1]


def test_stack_transform():
    t = T.StackTransform([T.ExpTransform(), T.AffineTransform(1.0, 3.0)], dim=1)
    x = RNG.normal(size=(4, 2, 3))
    y = t(t64(x))
    close(y, np.stack([np.exp(x[:, 0]), 1 + 3 * x[:, 1]], axis=1))
    close(t.inv(y), x, rtol=1e-10)
    ldj = t.log_abs_det_jacobian(t64(x), y)
    close(ldj, np.stack([x[:, 0], np.full((4, 3), math.log(3))], axis=1))
    assert t.bijective and t.domain.event_dim == 0
    check_grads(lambda v: t(v), x)
    check_grads(lambda v: t.log_abs_det_jacobian(v, t(v)), x)


def test_cat_and_stack_constraints_and_registry():
    cat = constraints.cat([constraints.real, constraints.positive], 0, [1, 2])
    assert cat.check(np.array([-1.0, -1.0, 2.0])).tolist() == [True, False, True]
    assert cat.event_dim == 0 and not cat.is_discrete
    stack = constraints.stack([constraints.real, constraints.positive], 1)
    assert stack.check(np.array([[1.0, -1.0], [-2.0, 2.0]])).tolist() == [[True, False],
                                                                         [True, True]]
    t = biject_to(cat)
    assert isinstance(t, T.CatTransform) and t.lengths == [1, 2]
    y = t(t64(RNG.normal(size=3)))
    assert cat.check(y.data).all()
    s = transform_to(stack)
    assert isinstance(s, T.StackTransform)
    assert stack.check(s(t64(RNG.normal(size=(3, 2)))).data).all()
    with pytest.raises(ValueError, match="expected sum\\(lengths\\) = 3"):
        cat.check(np.zeros(4))
    with pytest.raises(ValueError, match="expected 2"):
        stack.check(np.zeros((3, 3)))


def test_cat_and_stack_bad_input_and_caching():
    with pytest.raises(TypeError, match="list of Transforms"):
        T.CatTransform([T.ExpTransform(), "exp"])
    with pytest.raises(TypeError, match="list of Transforms"):
        T.StackTransform([])
    with pytest.raises(ValueError, match="lengths"):
        T.CatTransform([T.ExpTransform(), T.ExpTransform()], lengths=[1])
    t = T.CatTransform([T.ExpTransform(), T.ExpTransform()], dim=0, lengths=[1, 2])
    with pytest.raises(ValueError, match="expected 3"):
        t(t64(np.zeros(4)))
    with pytest.raises(ValueError, match="out of range"):
        T.CatTransform([T.ExpTransform()], dim=2)(t64(np.zeros(1)))
    with pytest.raises(ValueError, match="expected 2"):
        T.StackTransform([T.ExpTransform(), T.ExpTransform()])(t64(np.zeros((3, 2))))
    cached = t.with_cache(1)
    x = t64([0.1, 0.2, 0.3])
    y = cached(x)
    assert cached.inv(y) is x and all(p._cache_size == 1 for p in cached.transforms)


def test_identity_transform_is_exported():
    assert dists.identity_transform is T.identity_transform
    assert isinstance(dists.identity_transform, T.ComposeTransform)
    assert dists.identity_transform.parts == []
    x = t64([1.0, -2.0])
    assert dists.identity_transform(x) is x
    close(dists.identity_transform.log_abs_det_jacobian(x, x), [0.0, 0.0])
    for name in ("CatTransform", "StackTransform", "CorrCholeskyTransform",
                 "PositiveDefiniteTransform", "identity_transform"):
        assert name in dists.__all__ and name in T.__all__
