"""tg.linalg.lu (square and rectangular), solve_ex, tensorinv, tensorsolve, matmul,
householder_product, tg.geqrf, LinAlgError and the eig/eigvals refusals: values against
defining identities and naive references, float64 finite-difference gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest
from householder_reference import householder_q
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor

RNG = np.random.default_rng(23)
la = tg.linalg


def mt(a):
    return np.swapaxes(a, -1, -2)


# ---------------------------------------------------------------- lu


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 5), (2, 5, 3), (1, 1), (3, 1, 4), (6, 1)])
def test_lu_reconstructs_with_a_permutation_unit_lower_and_upper_factor(shape):
    a = RNG.standard_normal(shape)
    p, low, up = la.lu(Tensor(a))
    m, n = shape[-2:]
    k = min(m, n)
    assert p.shape == shape[:-2] + (m, m) and low.shape == shape[:-2] + (m, k)
    assert up.shape == shape[:-2] + (k, n) and p.dtype == np.float64
    np.testing.assert_allclose(p.data @ low.data @ up.data, a, atol=1e-12)
    for idx in np.ndindex(shape[:-2]):
        pm, lm, um = p.data[idx], low.data[idx], up.data[idx]
        # a permutation matrix: 0/1 entries, one 1 per row and per column
        assert set(np.unique(pm)) <= {0.0, 1.0}
        np.testing.assert_array_equal(pm.sum(0), 1)
        np.testing.assert_array_equal(pm.sum(1), 1)
        for i in range(m):
            for j in range(k):
                if j > i:
                    assert lm[i, j] == 0
                if j == i:
                    assert lm[i, j] == 1
        for i in range(k):
            for j in range(i):
                assert um[i, j] == 0
        assert np.all(np.abs(lm) <= 1 + 1e-12)  # partial pivoting: |L| <= 1


def test_lu_pivots_on_the_largest_entry_of_each_column():
    # the first column's largest entry is in row 2, so P's first column points there
    a = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 1.0], [4.0, 0.0, 3.0]])
    p, low, up = la.lu(Tensor(a))
    np.testing.assert_array_equal(p.data[:, 0], [0, 0, 1])
    np.testing.assert_allclose(up.data[0], [4.0, 0.0, 3.0])
    np.testing.assert_allclose(low.data[:, 0], [1.0, 0.25, 0.5])


def test_lu_of_a_singular_matrix_does_not_raise():
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    p, low, up = la.lu(Tensor(s))
    np.testing.assert_allclose(p.data @ low.data @ up.data, s, atol=1e-12)
    assert up.data[1, 1] == 0


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 5), (2, 5, 3)])
def test_lu_gradient_through_l_and_u(shape):
    a = RNG.standard_normal(shape)

    def both(t):
        _, low, up = la.lu(t)
        return tg.cat([low.reshape(-1), up.reshape(-1)])

    check_grads(both, a)


@pytest.mark.parametrize("tall", [False, True])
def test_lu_gradient_of_a_batch_with_a_singular_matrix_is_nan_only_there(tall):
    # the backward used to raise numpy's "Singular matrix" for the whole batch
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]])
    regular = RNG.standard_normal((3, 3))
    a = np.stack([regular, singular])
    if tall:
        # the extra row of the singular matrix adds its first and last rows: rank 2 still
        extra = np.stack([RNG.standard_normal(3), singular[0] + singular[2]])
        a = np.concatenate([a, extra[:, None, :]], axis=-2)
    w_low, w_up = RNG.standard_normal((2, a.shape[-2], 3)), RNG.standard_normal((2, 3, 3))
    t = Tensor(a, requires_grad=True)
    _, low, up = la.lu(t)
    ((low * Tensor(w_low)).sum() + (up * Tensor(w_up)).sum()).backward()
    assert np.isnan(t.grad[1]).all()

    def loss(x):  # the regular matrix alone, by central differences
        _, lo, u = la.lu(Tensor(x))
        return float((lo.data * w_low[0]).sum() + (u.data * w_up[0]).sum())

    numeric = np.zeros(a.shape[1:])
    for idx in np.ndindex(numeric.shape):
        step = np.zeros(numeric.shape)
        step[idx] = 1e-6
        numeric[idx] = (loss(a[0] + step) - loss(a[0] - step)) / 2e-6
    np.testing.assert_allclose(t.grad[0], numeric, rtol=1e-5, atol=1e-7)


def test_lu_refuses_pivot_false_and_integer_input():
    with pytest.raises(ValueError, match="pivot"):
        la.lu(Tensor(np.eye(2)), pivot=False)
    with pytest.raises(TypeError, match="floating"):
        la.lu(Tensor(np.eye(2, dtype=np.int64)))
    with pytest.raises(ValueError, match="2 dimensions"):
        la.lu(Tensor(np.ones(3)))


# ---------------------------------------------------------------- solve_ex


def test_solve_ex_solves_and_reports_info_per_matrix():
    a = RNG.standard_normal((3, 4, 4)) + 4 * np.eye(4)
    b = RNG.standard_normal((3, 4, 2))
    x, info = la.solve_ex(Tensor(a), Tensor(b))
    np.testing.assert_allclose(a @ x.data, b, atol=1e-12)
    np.testing.assert_array_equal(info.data, [0, 0, 0])
    assert info.dtype == np.int32
    xr, _ = la.solve_ex(Tensor(a), Tensor(mt(b)), left=False)
    np.testing.assert_allclose(xr.data @ a, mt(b), atol=1e-12)


def test_solve_ex_of_a_singular_matrix_gives_nan_and_its_zero_pivot():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])  # LU: U[1, 1] = 0, so info = 2
    a = np.stack([singular, np.eye(2)])
    x, info = la.solve_ex(Tensor(a), Tensor(np.ones(2)))
    np.testing.assert_array_equal(info.data, [2, 0])
    assert np.all(np.isnan(x.data[0]))
    np.testing.assert_allclose(x.data[1], [1.0, 1.0])
    with pytest.raises(la.LinAlgError, match="singular"):
        la.solve_ex(Tensor(a), Tensor(np.ones(2)), check_errors=True)


def test_solve_ex_gradient_matches_solve():
    a = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    b = RNG.standard_normal((2, 3, 2))
    check_grads(lambda t, u: la.solve_ex(t, u).result, a, b)


# ---------------------------------------------------------------- tensorinv / tensorsolve


def test_tensorinv_is_the_reshaped_matrix_inverse():
    a = RNG.standard_normal((4, 6, 8, 3))
    inv = la.tensorinv(Tensor(a), ind=2)
    assert inv.shape == (8, 3, 4, 6)
    want = np.linalg.inv(a.reshape(24, 24)).reshape(8, 3, 4, 6)
    np.testing.assert_allclose(inv.data, want, atol=1e-10)
    # the defining property: tensordot(inv, a, 2) is the identity on A's trailing dims
    eye = np.tensordot(inv.data, a, axes=2).reshape(24, 24)
    np.testing.assert_allclose(eye, np.eye(24), atol=1e-9)
    check_grads(lambda t: la.tensorinv(t, ind=1), RNG.standard_normal((4, 2, 2)) + 0.0)


def test_tensorinv_errors():
    with pytest.raises(ValueError, match="ind"):
        la.tensorinv(Tensor(np.ones((2, 2))), ind=0)
    with pytest.raises(ValueError, match="prod"):
        la.tensorinv(Tensor(np.ones((4, 6, 8, 2))), ind=2)
    with pytest.raises(la.LinAlgError):
        la.tensorinv(Tensor(np.zeros((2, 2, 2, 2))))


def test_tensorsolve_against_a_reshaped_numpy_solve():
    a = RNG.standard_normal((6, 4, 2, 3, 4))
    b = RNG.standard_normal((6, 4))
    x = la.tensorsolve(Tensor(a), Tensor(b))
    assert x.shape == (2, 3, 4)
    want = np.linalg.solve(a.reshape(24, 24), b.reshape(24)).reshape(2, 3, 4)
    np.testing.assert_allclose(x.data, want, atol=1e-10)
    np.testing.assert_allclose(np.tensordot(a, x.data, axes=3), b, atol=1e-10)


def test_tensorsolve_moves_dims_to_the_end():
    a = RNG.standard_normal((2, 3, 6, 4, 4))
    b = RNG.standard_normal((6, 4))
    x = la.tensorsolve(Tensor(a), Tensor(b), dims=(0, 1))
    moved = np.moveaxis(a, (0, 1), (3, 4))  # (6, 4, 4, 2, 3)
    assert x.shape == (4, 2, 3)
    want = np.linalg.solve(moved.reshape(24, 24), b.reshape(24)).reshape(4, 2, 3)
    np.testing.assert_allclose(x.data, want, atol=1e-10)
    check_grads(lambda t, u: la.tensorsolve(t, u),
                RNG.standard_normal((2, 3, 6)) + np.eye(6).reshape(2, 3, 6),
                RNG.standard_normal((2, 3)))


def test_tensorsolve_errors():
    with pytest.raises(ValueError, match="prod"):
        la.tensorsolve(Tensor(np.ones((6, 4, 5))), Tensor(np.ones((6, 4))))
    with pytest.raises(ValueError, match="out of range"):
        la.tensorsolve(Tensor(np.ones((6, 4, 24))), Tensor(np.ones((6, 4))), dims=(5,))


def test_linalg_matmul_is_the_matrix_product():
    a, b = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((4, 5))
    np.testing.assert_allclose(la.matmul(Tensor(a), Tensor(b)).data, a @ b)


# ---------------------------------------------------------------- householder / geqrf


@pytest.mark.parametrize("m,n,k", [(4, 4, 4), (5, 3, 3), (5, 3, 2), (3, 3, 0)])
def test_householder_product_against_the_explicit_reflectors(m, n, k):
    a = RNG.standard_normal((2, m, n))
    tau = RNG.standard_normal((2, k))
    q = la.householder_product(Tensor(a), Tensor(tau))
    for i in range(2):
        expected = householder_q(a[i], tau[i])[:, : a.shape[-1]]  # its first n columns
        np.testing.assert_allclose(q.data[i], expected, atol=1e-12)
    if k:
        check_grads(lambda t, s: la.householder_product(t, s), a, tau)


def test_geqrf_gives_r_and_reflectors_that_rebuild_a():
    a = RNG.standard_normal((3, 5, 3))
    packed, tau = tg.geqrf(Tensor(a))
    assert packed.shape == (3, 5, 3) and tau.shape == (3, 3)
    r = np.triu(packed.data)[..., :3, :]
    for i in range(3):
        q = householder_q(packed.data[i], tau.data[i])[:, : packed.shape[-1]]
        np.testing.assert_allclose(q @ r[i], a[i], atol=1e-12)
        np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-12)
    assert not packed.requires_grad
    float32 = tg.geqrf(Tensor(a.astype(np.float32)))
    assert float32.a.dtype == np.float32 and float32.tau.dtype == np.float32


def test_householder_product_errors():
    with pytest.raises(ValueError, match="m >= n"):
        la.householder_product(Tensor(np.ones((2, 3))), Tensor(np.ones(2)))
    with pytest.raises(ValueError, match="k <= n"):
        la.householder_product(Tensor(np.ones((4, 2))), Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="batch"):
        la.householder_product(Tensor(np.ones((2, 4, 2))), Tensor(np.ones((3, 2))))


# ---------------------------------------------------------------- LinAlgError, eig


def test_linalg_error_is_a_value_error_raised_for_singular_and_non_pd_input():
    assert issubclass(la.LinAlgError, ValueError)
    singular = Tensor(np.array([[1.0, 2.0], [2.0, 4.0]]))
    not_pd = Tensor(np.array([[1.0, 2.0], [2.0, 1.0]]))
    for call in (lambda: la.inv(singular), lambda: la.solve(singular, Tensor(np.ones(2))),
                 lambda: la.lu_factor(singular), lambda: la.inv_ex(singular, check_errors=True),
                 lambda: la.cholesky(not_pd), lambda: la.cholesky_ex(not_pd, check_errors=True),
                 lambda: la.solve_triangular(Tensor(np.zeros((2, 2))), Tensor(np.ones((2, 1))),
                                             upper=True)):
        with pytest.raises(la.LinAlgError):
            call()
        with pytest.raises(ValueError):  # code written against the old ValueError still works
            call()


def test_eig_and_eigvals_point_to_eigh():
    with pytest.raises(NotImplementedError, match="eigh"):
        la.eig(Tensor(np.eye(2)))
    with pytest.raises(NotImplementedError, match="eigvalsh"):
        la.eigvals(Tensor(np.eye(2)))
