"""tg.linalg.cholesky and tg.linalg.solve_triangular (ops/cholesky.py): values against the
defining equations, float64 finite-difference gradients, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor

RNG = np.random.default_rng(5)


def spd_from(x: Tensor) -> Tensor:
    """A symmetric positive-definite matrix smooth in every entry of x."""
    n = x.shape[-1]
    return x @ x.transpose(-1, -2) + n * Tensor(np.eye(n))


def test_cholesky_reconstructs_the_matrix_and_is_lower_with_positive_diagonal():
    a = spd_from(Tensor(RNG.standard_normal((2, 4, 4)))).data
    low = tg.linalg.cholesky(Tensor(a)).data
    np.testing.assert_allclose(low @ np.swapaxes(low, -1, -2), a, rtol=1e-12, atol=1e-12)
    assert np.all(np.triu(low, 1) == 0)
    assert np.all(np.diagonal(low, axis1=-2, axis2=-1) > 0)
    up = tg.linalg.cholesky(Tensor(a), upper=True).data
    np.testing.assert_array_equal(up, np.swapaxes(low, -1, -2))


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_gradient_through_a_symmetric_parametrisation(upper):
    x = RNG.standard_normal((2, 3, 3))
    check_grads(lambda t: tg.linalg.cholesky(spd_from(t), upper=upper), x)


def test_cholesky_gradient_is_symmetric():
    a = Tensor(spd_from(Tensor(RNG.standard_normal((3, 3)))).data, requires_grad=True)
    (tg.linalg.cholesky(a) * Tensor(RNG.standard_normal((3, 3)))).sum().backward()
    np.testing.assert_allclose(a.grad, a.grad.T, rtol=1e-12, atol=1e-12)


def test_cholesky_refuses_a_matrix_that_is_not_positive_definite():
    a = Tensor(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="not positive definite"):
        tg.linalg.cholesky(a)
    with pytest.raises(ValueError, match="square"):
        tg.linalg.cholesky(Tensor(np.ones((2, 3))))


def lower(*shape):
    return np.tril(RNG.standard_normal(shape)) + 3 * np.eye(shape[-1])


@pytest.mark.parametrize("upper,left,unit", [(False, True, False), (True, True, False),
                                             (False, False, False), (True, False, True)])
def test_solve_triangular_solves_and_differentiates(upper, left, unit):
    a = lower(2, 3, 3)
    if upper:
        a = np.ascontiguousarray(np.swapaxes(a, -1, -2))
    b = RNG.standard_normal((3, 2)) if left else RNG.standard_normal((2, 3))
    x = tg.linalg.solve_triangular(Tensor(a), Tensor(b), upper=upper, left=left,
                                   unitriangular=unit).data
    tri = np.triu(a) if upper else np.tril(a)
    if unit:
        tri = tri - np.diagonal(tri, axis1=-2, axis2=-1)[..., None] * np.eye(3) + np.eye(3)
    residual = tri @ x - b if left else x @ tri - b  # b broadcasts over A's batch
    np.testing.assert_allclose(residual, 0, atol=1e-12)
    check_grads(lambda s, t: tg.linalg.solve_triangular(s, t, upper=upper, left=left,
                                                        unitriangular=unit), a, b)


def test_solve_triangular_ignores_the_other_triangle():
    a = lower(3, 3)
    b = RNG.standard_normal((3, 1))
    noisy = a + np.triu(RNG.standard_normal((3, 3)), 1)
    x = tg.linalg.solve_triangular(Tensor(noisy), Tensor(b), upper=False).data
    np.testing.assert_allclose(a @ x, b, atol=1e-12)


def test_solve_triangular_shape_errors():
    with pytest.raises(ValueError, match="must have 3 rows"):
        tg.linalg.solve_triangular(Tensor(lower(3, 3)), Tensor(np.ones((2, 1))), upper=False)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        tg.linalg.solve_triangular(Tensor(lower(3, 3)), Tensor(np.ones(3)), upper=False)
