"""tg.linalg's solve, lstsq, pinv, matrix_power, matrix_exp, qr, svd, svdvals, eigh, eigvalsh,
matrix_rank, cond, multi_dot, vecdot, diagonal, cholesky_ex and the Tensor / tg forms
(pinverse, matrix_power, matrix_exp, qr, svd, cholesky_solve, cholesky_inverse): values against
defining identities and closed forms, float64 finite-difference gradients (of gauge-invariant
functions for the decompositions), batching, dtypes and errors."""

from __future__ import annotations

import math
from math import factorial

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor

RNG = np.random.default_rng(11)
la = tg.linalg


def well_conditioned(*shape):
    n = shape[-1]
    return RNG.standard_normal(shape) + n * np.eye(n)


def sym(x: Tensor) -> Tensor:
    return x + x.transpose(-1, -2)


def mt(a):
    return np.swapaxes(a, -1, -2)


# ---------------------------------------------------------------- solve


def test_solve_satisfies_the_system_batched_and_broadcast():
    a = well_conditioned(2, 3, 4, 4)
    b = RNG.standard_normal((3, 4, 2))  # batch (3,) broadcasts against (2, 3)
    x = la.solve(Tensor(a), Tensor(b)).data
    assert x.shape == (2, 3, 4, 2)
    np.testing.assert_allclose(a @ x, np.broadcast_to(b, (2, 3, 4, 2)), atol=1e-12)
    bl = RNG.standard_normal((2, 3, 5, 4))
    x = la.solve(Tensor(a), Tensor(bl), left=False).data
    np.testing.assert_allclose(x @ a, bl, atol=1e-12)


def test_solve_takes_vectors_as_torch_decides():
    a = well_conditioned(2, 3, 3)
    b = RNG.standard_normal((2, 3))  # A's batch shape + (n,): a batch of vectors
    x = la.solve(Tensor(a), Tensor(b)).data
    assert x.shape == (2, 3)
    np.testing.assert_allclose(np.einsum("bij,bj->bi", a, x), b, atol=1e-12)
    v = RNG.standard_normal(3)
    x = la.solve(Tensor(a), Tensor(v)).data
    np.testing.assert_allclose(np.einsum("bij,bj->bi", a, x), np.broadcast_to(v, (2, 3)),
                               atol=1e-12)
    x = la.solve(Tensor(a), Tensor(v), left=False).data
    np.testing.assert_allclose(np.einsum("bj,bji->bi", x, a), np.broadcast_to(v, (2, 3)),
                               atol=1e-12)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("bshape", [(2, 3, 2), (3, 3), (3,)])
def test_solve_gradients(left, bshape):
    if not left and len(bshape) > 1:
        bshape = bshape[:-2] + bshape[:-3:-1]  # X A = B: B is (*, k, n)
    check_grads(lambda a, b: la.solve(a, b, left=left), well_conditioned(2, 3, 3),
                RNG.standard_normal(bshape))


def test_solve_keeps_float32_and_refuses_bad_input():
    a = well_conditioned(3, 3).astype(np.float32)
    assert la.solve(Tensor(a), Tensor(np.ones((3, 1), np.float32))).dtype == np.float32
    with pytest.raises(ValueError, match="singular"):
        la.solve(Tensor(np.zeros((2, 2))), Tensor(np.ones((2, 1))))
    with pytest.raises(ValueError, match="square"):
        la.solve(Tensor(np.ones((2, 3))), Tensor(np.ones((2, 1))))
    with pytest.raises(ValueError, match="rows"):
        la.solve(Tensor(np.eye(3)), Tensor(np.ones((2, 1))))
    with pytest.raises(TypeError, match="floating"):
        la.solve(Tensor(np.eye(3, dtype=np.int64)), Tensor(np.ones((3, 1))))


# ---------------------------------------------------------------- lstsq and pinv


def test_lstsq_overdetermined_matches_the_normal_equations_and_torch_fields():
    a = RNG.standard_normal((2, 6, 3))
    b = RNG.standard_normal((2, 6, 2))
    res = la.lstsq(Tensor(a), Tensor(b))
    want = np.linalg.solve(mt(a) @ a, mt(a) @ b)
    np.testing.assert_allclose(res.solution.data, want, atol=1e-12)
    assert res.residuals.shape == (0,) and res.singular_values.shape == (0,)  # gelsy
    np.testing.assert_array_equal(res.rank.data, [3, 3])
    assert res.rank.dtype == np.int64
    d = la.lstsq(Tensor(a), Tensor(b), driver="gelsd")
    v = la.lstsq(Tensor(a[0]), Tensor(b[0, :, 0]), driver="gelsd")
    assert v.solution.shape == (3,) and v.residuals.shape == (1,)  # torch keeps the column
    np.testing.assert_allclose(d.residuals.data, ((a @ want - b) ** 2).sum(-2), atol=1e-12)
    s_want = np.sqrt(np.linalg.eigvalsh(mt(a) @ a))[..., ::-1]
    np.testing.assert_allclose(d.singular_values.data, s_want, atol=1e-12)
    assert la.lstsq(Tensor(a), Tensor(b), driver="gels").rank.shape == (0,)


def test_lstsq_underdetermined_and_rank_deficient_give_the_minimum_norm_solution():
    a = RNG.standard_normal((3, 5))
    b = RNG.standard_normal(3)
    x = la.lstsq(Tensor(a), Tensor(b)).solution.data
    np.testing.assert_allclose(x, a.T @ np.linalg.solve(a @ a.T, b), atol=1e-12)
    c = RNG.standard_normal((5, 2)) @ RNG.standard_normal((2, 4))  # rank 2
    res = la.lstsq(Tensor(c), Tensor(np.ones((5, 1))))
    assert int(res.rank.data) == 2
    u, s, vt = np.linalg.svd(c)
    mn = vt[:2].T @ np.diag(1 / s[:2]) @ u[:, :2].T @ np.ones((5, 1))
    np.testing.assert_allclose(res.solution.data, mn, atol=1e-10)


def test_lstsq_gradient_and_errors():
    check_grads(lambda a, b: la.lstsq(a, b).solution, RNG.standard_normal((2, 5, 3)),
                RNG.standard_normal((2, 5, 2)))
    with pytest.raises(ValueError, match="driver"):
        la.lstsq(Tensor(np.eye(3)), Tensor(np.ones((3, 1))), driver="gelsx")
    with pytest.raises(ValueError, match="rows"):
        la.lstsq(Tensor(np.eye(3)), Tensor(np.ones((2, 1))))


def penrose(a, x):
    np.testing.assert_allclose(a @ x @ a, a, atol=1e-10)
    np.testing.assert_allclose(x @ a @ x, x, atol=1e-10)
    np.testing.assert_allclose(mt(a @ x), a @ x, atol=1e-10)
    np.testing.assert_allclose(mt(x @ a), x @ a, atol=1e-10)


@pytest.mark.parametrize("shape", [(2, 4, 3), (3, 5), (4, 4)])
def test_pinv_meets_the_moore_penrose_conditions(shape):
    a = RNG.standard_normal(shape)
    penrose(a, la.pinv(Tensor(a)).data)
    left = RNG.standard_normal(shape[:-1] + (2,))
    low = left @ RNG.standard_normal(shape[:-2] + (2,) + shape[-1:])  # rank 2
    x = la.pinv(Tensor(low)).data
    penrose(low, x)
    assert x.shape == shape[:-2] + shape[::-1][:2]


def test_pinv_cutoffs_and_hermitian():
    d = Tensor(np.diag([2.0, 1e-3, 1e-20]))
    np.testing.assert_allclose(la.pinv(d).data, np.diag([0.5, 1e3, 0]))
    np.testing.assert_allclose(la.pinv(d, atol=1e-2).data, np.diag([0.5, 0, 0]))
    np.testing.assert_allclose(la.pinv(d, rtol=1e-2).data, np.diag([0.5, 0, 0]))
    np.testing.assert_allclose(tg.pinverse(d, rcond=1e-2).data, np.diag([0.5, 0, 0]))
    x = RNG.standard_normal((4, 2))
    h = x @ np.diag([3.0, -2.0]) @ x.T  # symmetric, indefinite, rank 2
    ph = la.pinv(Tensor(np.tril(h)), hermitian=True).data  # reads the lower triangle
    penrose(h, ph)
    np.testing.assert_allclose(ph, la.pinv(Tensor(h)).data, atol=1e-10)


@pytest.mark.parametrize("shape", [(2, 4, 3), (3, 5)])
def test_pinv_gradient(shape):
    check_grads(la.pinv, RNG.standard_normal(shape))
    check_grads(lambda a: a.pinverse(), RNG.standard_normal(shape))


# ---------------------------------------------------------------- matrix_power, matrix_exp


def test_matrix_power_against_repeated_products_and_the_inverse():
    a = RNG.standard_normal((2, 3, 3)) * 0.7
    want = np.broadcast_to(np.eye(3), a.shape)
    for n in range(0, 7):
        np.testing.assert_allclose(la.matrix_power(Tensor(a), n).data, want, atol=1e-12)
        want = want @ a
    inv = np.linalg.inv(a)
    np.testing.assert_allclose(tg.matrix_power(Tensor(a), -3).data, inv @ inv @ inv, rtol=1e-9)
    np.testing.assert_allclose(Tensor(a).matrix_power(-1).data, inv, rtol=1e-12)


@pytest.mark.parametrize("n", [0, 1, 2, 5, -2])
def test_matrix_power_gradient(n):
    check_grads(lambda a: la.matrix_power(a, n), well_conditioned(2, 3, 3) * 0.5)


def test_matrix_power_errors():
    with pytest.raises(ValueError, match="square"):
        la.matrix_power(Tensor(np.ones((2, 3))), 2)
    with pytest.raises(TypeError, match="integer"):
        la.matrix_power(Tensor(np.eye(2)), 1.5)
    with pytest.raises(ValueError, match="singular"):
        la.matrix_power(Tensor(np.zeros((2, 2))), -1)


def taylor_exp(a, terms=40):
    out = np.zeros_like(a) + np.eye(a.shape[-1])
    power = np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    for k in range(1, terms):
        power = power @ a
        out = out + power / factorial(k)
    return out


def test_matrix_exp_matches_taylor_diagonal_and_rotation():
    small = RNG.standard_normal((3, 4, 4)) * 0.2
    np.testing.assert_allclose(la.matrix_exp(Tensor(small)).data, taylor_exp(small),
                               rtol=1e-13, atol=1e-14)
    d = np.array([-3.0, 0.5, 7.0])
    np.testing.assert_allclose(tg.matrix_exp(Tensor(np.diag(d))).data, np.diag(np.exp(d)),
                               rtol=1e-13, atol=1e-13)
    t = 5.0
    rot = Tensor(np.array([[0.0, -t], [t, 0.0]])).matrix_exp().data
    np.testing.assert_allclose(rot, [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]],
                               atol=1e-12)


def test_matrix_exp_of_commuting_multiples_and_of_large_norms():
    a = RNG.standard_normal((2, 4, 4)) * np.array([0.1, 3.0])[:, None, None]  # 2 norms
    e = la.matrix_exp(Tensor(a)).data
    e2 = la.matrix_exp(Tensor(2 * a)).data
    np.testing.assert_allclose(e @ e, e2, rtol=1e-10, atol=1e-10)  # exp(A)^2 = exp(2A)
    np.testing.assert_allclose(e @ la.matrix_exp(Tensor(-a)).data,
                               np.broadcast_to(np.eye(4), a.shape), atol=1e-10)
    np.testing.assert_allclose(e, taylor_exp(a, terms=120), rtol=1e-10, atol=1e-10)
    assert la.matrix_exp(Tensor(a.astype(np.float32))).dtype == np.float32


@pytest.mark.parametrize("scale", [0.1, 2.0])
def test_matrix_exp_gradient(scale):
    check_grads(la.matrix_exp, RNG.standard_normal((2, 3, 3)) * scale)


# ---------------------------------------------------------------- qr


@pytest.mark.parametrize("shape", [(2, 5, 3), (3, 3), (3, 5)])
def test_qr_reconstructs_with_orthonormal_q_and_upper_r(shape):
    a = RNG.standard_normal(shape)
    m, n = shape[-2:]
    k = min(m, n)
    for mode, qcols, rrows in [("reduced", k, k), ("complete", m, m)]:
        q, r = la.qr(Tensor(a), mode=mode)
        assert q.shape == shape[:-2] + (m, qcols) and r.shape == shape[:-2] + (rrows, n)
        eye = np.broadcast_to(np.eye(qcols), shape[:-2] + (qcols, qcols))
        np.testing.assert_allclose(mt(q.data) @ q.data, eye, atol=1e-12)
        np.testing.assert_allclose(q.data @ r.data, a, atol=1e-12)
        np.testing.assert_array_equal(np.tril(r.data, -1), 0)
    q, r = la.qr(Tensor(a), mode="r")
    assert q.shape == (0,)
    np.testing.assert_allclose(np.abs(r.data), np.abs(la.qr(Tensor(a)).R.data), atol=1e-12)


@pytest.mark.parametrize("shape", [(2, 5, 3), (3, 3), (2, 3, 5)])
def test_qr_gradient(shape):
    check_grads(lambda a: la.qr(a).Q, RNG.standard_normal(shape))
    check_grads(lambda a: la.qr(a).R, RNG.standard_normal(shape))
    check_grads(lambda a: tg.cat([t.flatten() for t in la.qr(a)]), RNG.standard_normal(shape))


def test_qr_backward_refusals_and_legacy_forms():
    a = Tensor(RNG.standard_normal((4, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match="complete"):
        la.qr(a, mode="complete").Q.sum().backward()
    with pytest.raises(RuntimeError, match="mode='r'"):
        la.qr(a, mode="r").R.sum().backward()
    with pytest.raises(ValueError, match="mode"):
        la.qr(a, mode="full")
    q, r = tg.qr(a, some=False)
    assert q.shape == (4, 4) and r.shape == (4, 2)
    q, r = a.qr()
    assert q.shape == (4, 2)
    wide = RNG.standard_normal((3, 5))
    check_grads(lambda t: tg.cat([x.flatten() for x in la.qr(t, mode="complete")]), wide)


# ---------------------------------------------------------------- svd, svdvals


@pytest.mark.parametrize("shape", [(2, 5, 3), (3, 3), (3, 5)])
def test_svd_reconstructs_and_is_ordered(shape):
    a = RNG.standard_normal(shape)
    m, n = shape[-2:]
    k = min(m, n)
    u, s, vh = la.svd(Tensor(a), full_matrices=False)
    np.testing.assert_allclose((u.data * s.data[..., None, :]) @ vh.data, a, atol=1e-12)
    eye = np.broadcast_to(np.eye(k), u.shape[:-2] + (k, k))
    np.testing.assert_allclose(mt(u.data) @ u.data, eye, atol=1e-12)
    np.testing.assert_allclose(vh.data @ mt(vh.data), eye, atol=1e-12)
    assert np.all(np.diff(s.data, axis=-1) <= 0) and np.all(s.data >= 0)
    s_want = np.sqrt(np.clip(np.linalg.eigvalsh(a @ mt(a) if m <= n else mt(a) @ a), 0, None))
    np.testing.assert_allclose(s.data, s_want[..., ::-1], atol=1e-12)
    np.testing.assert_allclose(la.svdvals(Tensor(a)).data, s.data, atol=1e-12)
    uf, _, vhf = la.svd(Tensor(a))  # full_matrices=True by default
    assert uf.shape[-2:] == (m, m) and vhf.shape[-2:] == (n, n)


def projector(x: Tensor) -> Tensor:
    return x @ x.transpose(-1, -2)


@pytest.mark.parametrize("shape", [(2, 5, 3), (3, 3), (3, 5)])
def test_svd_gradients_of_gauge_invariant_functions(shape):
    x = RNG.standard_normal(shape)

    def reconstruction(a):
        u, s, vh = la.svd(a, full_matrices=False)
        return (u * s.unsqueeze(-2)) @ vh

    check_grads(reconstruction, x)
    check_grads(lambda a: la.svd(a).S, x)
    check_grads(la.svdvals, x)
    # projectors onto the two leading singular subspaces do not depend on the signs
    check_grads(lambda a: projector(la.svd(a, full_matrices=False).U[..., :, :2]), x)
    check_grads(lambda a: projector(la.svd(a).Vh.transpose(-1, -2)[..., :, :2]), x)
    check_grads(lambda a: projector(la.svd(a, full_matrices=False).U[..., :, :1])
                @ reconstruction(a), x)


def test_svd_gradient_with_repeated_singular_values_is_exact_for_the_values():
    a = Tensor(np.eye(3), requires_grad=True)
    la.svdvals(a).sum().backward()  # nuclear norm: gradient U V^T = I
    np.testing.assert_allclose(a.grad, np.eye(3), atol=1e-12)
    b = Tensor(np.eye(3), requires_grad=True)
    la.svd(b).S.sum().backward()
    np.testing.assert_allclose(b.grad, np.eye(3), atol=1e-12)


def test_legacy_svd_returns_v_and_zero_factors_without_uv():
    a = RNG.standard_normal((4, 3))
    u, s, v = Tensor(a).svd()
    assert u.shape == (4, 3) and v.shape == (3, 3)
    np.testing.assert_allclose((u.data * s.data) @ v.data.T, a, atol=1e-12)
    u, s, v = tg.svd(Tensor(a), some=False)
    assert u.shape == (4, 4) and v.shape == (3, 3)
    u, s, v = tg.svd(Tensor(a), compute_uv=False)
    assert u.shape == (4, 4) and v.shape == (3, 3) and not u.data.any() and not v.data.any()
    np.testing.assert_allclose(s.data, np.linalg.svd(a, compute_uv=False), atol=1e-12)
    with pytest.raises(ValueError, match="driver"):
        la.svd(Tensor(a), driver="gesvdj")


# ---------------------------------------------------------------- eigh, eigvalsh


def test_eigh_diagonalises_and_reads_one_triangle():
    x = RNG.standard_normal((2, 4, 4))
    a = x + mt(x)
    w, v = la.eigh(Tensor(a))
    np.testing.assert_allclose(a @ v.data, v.data * w.data[..., None, :], atol=1e-12)
    np.testing.assert_allclose(mt(v.data) @ v.data, np.broadcast_to(np.eye(4), a.shape),
                               atol=1e-12)
    assert np.all(np.diff(w.data, axis=-1) >= 0)
    np.testing.assert_allclose(w.data, np.sort(np.linalg.eigvals(a).real, -1), atol=1e-12)
    junk = np.triu(RNG.standard_normal((4, 4)), 1)
    np.testing.assert_allclose(la.eigvalsh(Tensor(a[0] + junk)).data, w.data[0], atol=1e-12)
    np.testing.assert_allclose(la.eigvalsh(Tensor(a[0] + mt(junk)), UPLO="U").data, w.data[0],
                               atol=1e-12)
    up = la.eigvalsh(Tensor(a[0] + junk), UPLO="U").data
    assert not np.allclose(up, w.data[0])  # the upper triangle now holds the junk
    np.testing.assert_allclose(la.eigh(Tensor(np.triu(a[0])), UPLO="U").eigenvalues.data,
                               w.data[0], atol=1e-12)
    with pytest.raises(ValueError, match="UPLO"):
        la.eigh(Tensor(a), UPLO="X")
    with pytest.raises(ValueError, match="square"):
        la.eigvalsh(Tensor(np.ones((2, 3))))


def test_eigh_gradients_of_gauge_invariant_functions():
    x = RNG.standard_normal((2, 4, 4))
    check_grads(lambda t: la.eigh(sym(t)).eigenvalues, x)
    check_grads(lambda t: la.eigvalsh(sym(t)), x)
    check_grads(lambda t: projector(la.eigh(sym(t)).eigenvectors[..., :, 1:3]), x)
    check_grads(lambda t: projector(la.eigh(sym(t), UPLO="U").eigenvectors[..., :, :1]), x)


def test_eigh_gradient_is_symmetric():
    x = RNG.standard_normal((4, 4))
    a = Tensor(x + x.T, requires_grad=True)
    w, v = la.eigh(a)
    ((w * Tensor(RNG.standard_normal(4))).sum() + (v[:, :1] @ v[:, :1].T * Tensor(x)).sum()
     ).backward()
    np.testing.assert_allclose(a.grad, a.grad.T, atol=1e-12)


# ---------------------------------------------------------------- rank, cond, small helpers


def test_matrix_rank_with_tolerances_and_hermitian():
    c = RNG.standard_normal((2, 5, 2)) @ RNG.standard_normal((2, 2, 4))
    r = la.matrix_rank(Tensor(c))
    np.testing.assert_array_equal(r.data, [2, 2])
    assert r.dtype == np.int64
    d = Tensor(np.diag([3.0, 1e-3, 0.0]))
    assert int(la.matrix_rank(d).data) == 2
    assert int(la.matrix_rank(d, atol=1e-2).data) == 1
    assert int(la.matrix_rank(d, rtol=1e-2).data) == 1
    assert int(la.matrix_rank(Tensor(np.diag([3.0, -2.0, 0.0])), hermitian=True).data) == 2


def test_default_rtol_follows_each_atol_of_a_batch():
    # singular values 1, 1e-17, 0.5: the default rtol (eps * 3, times s_max = 1) drops 1e-17;
    # an atol > 0 turns the default rtol off (rank 3 for atol 1e-20); atol <= 0 keeps it
    d = np.broadcast_to(np.diag([1.0, 1e-17, 0.5]), (2, 3, 3)).copy()
    atol = Tensor(np.array([0.0, 1e-20]))
    np.testing.assert_array_equal(la.matrix_rank(Tensor(d), atol=atol).data, [2, 3])
    np.testing.assert_array_equal(
        la.matrix_rank(Tensor(d), atol=atol, hermitian=True).data, [2, 3])
    np.testing.assert_array_equal(la.matrix_rank(Tensor(d), atol=-1.0).data, [2, 2])
    np.testing.assert_array_equal(la.matrix_rank(Tensor(d), atol=1e-20).data, [3, 3])
    inv = la.pinv(Tensor(d), atol=atol).data
    np.testing.assert_allclose(inv[0], np.diag([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(inv[1], np.diag([1.0, 1e17, 2.0]))
    np.testing.assert_allclose(la.pinv(Tensor(d), atol=-1.0).data[1], np.diag([1.0, 0.0, 2.0]))


def test_cond_in_the_two_norm_and_others():
    a = well_conditioned(2, 3, 3)
    s = np.sqrt(np.linalg.eigvalsh(mt(a) @ a))
    np.testing.assert_allclose(la.cond(Tensor(a)).data, s[..., -1] / s[..., 0], rtol=1e-12)
    np.testing.assert_allclose(la.cond(Tensor(a), -2).data, s[..., 0] / s[..., -1], rtol=1e-12)
    inv = np.linalg.inv(a)
    fro = np.sqrt((a**2).sum((-2, -1))) * np.sqrt((inv**2).sum((-2, -1)))
    np.testing.assert_allclose(la.cond(Tensor(a), "fro").data, fro, rtol=1e-12)
    one = np.abs(a).sum(-2).max(-1) * np.abs(inv).sum(-2).max(-1)
    np.testing.assert_allclose(la.cond(Tensor(a), 1).data, one, rtol=1e-12)
    check_grads(la.cond, a)
    check_grads(lambda t: la.cond(t, "nuc"), a)
    mixed = np.stack([a[0], np.ones((3, 3))])  # the second is singular: inf, as torch
    np.testing.assert_allclose(la.cond(Tensor(mixed), "fro").data, [fro[0], np.inf])
    with pytest.raises(ValueError, match="p must be"):
        la.cond(Tensor(a), 3)


def test_multi_dot_vecdot_diagonal():
    ms = [RNG.standard_normal(s) for s in [(4,), (4, 3), (3, 5), (5,)]]
    want = ms[0] @ ms[1] @ ms[2] @ ms[3]
    np.testing.assert_allclose(la.multi_dot([Tensor(m) for m in ms]).data, want, rtol=1e-12)
    check_grads(lambda a, b, c: la.multi_dot([a, b, c]), *[RNG.standard_normal(s) for s in
                                                           [(2, 3), (3, 4), (4, 2)]])
    with pytest.raises(ValueError, match="2-D"):
        la.multi_dot([Tensor(np.ones((2, 2))), Tensor(np.ones((2, 2, 2))), Tensor(np.ones(2))])
    with pytest.raises(ValueError, match="at least 2"):
        la.multi_dot([Tensor(np.ones((2, 2)))])
    x, y = RNG.standard_normal((2, 3)), RNG.standard_normal(3)
    np.testing.assert_allclose(la.vecdot(Tensor(x), Tensor(y)).data,
                               [sum(x[i, j] * y[j] for j in range(3)) for i in range(2)])
    np.testing.assert_allclose(la.vecdot(Tensor(x.T), Tensor(y[:, None]), dim=0).data,
                               x @ y, rtol=1e-12)
    b = RNG.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(la.diagonal(Tensor(b)).data,
                                  [[b[i, j, j] for j in range(3)] for i in range(2)])
    np.testing.assert_array_equal(la.diagonal(Tensor(b), offset=1).data,
                                  [[b[i, j, j + 1] for j in range(3)] for i in range(2)])


def test_cholesky_ex_reports_instead_of_raising():
    good = well_conditioned(3, 3)
    good = good @ good.T
    bad = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    low, info = la.cholesky_ex(Tensor(np.stack([good, bad])))
    np.testing.assert_array_equal(info.data, [0, 2])
    assert info.dtype == np.int32
    np.testing.assert_allclose(low.data[0] @ low.data[0].T, good, atol=1e-12)
    np.testing.assert_array_equal(low.data[1], 0)
    l1, i1 = la.cholesky_ex(Tensor(good), upper=True)
    np.testing.assert_allclose(l1.data.T @ l1.data, good, atol=1e-12)
    assert int(i1.data) == 0
    with pytest.raises(ValueError, match="not positive definite"):
        la.cholesky_ex(Tensor(bad), check_errors=True)


def naive_cholesky_info(a, upper=False):
    """LAPACK potrf's info by the textbook column loop on the triangle it reads: the 1-based
    column whose pivot is not positive or is NaN, else 0."""
    m = (np.triu(a) + np.triu(a, 1).T) if upper else (np.tril(a) + np.tril(a, -1).T)
    n = m.shape[0]
    low = np.zeros((n, n))
    for j in range(n):
        pivot = m[j, j] - sum(low[j, k] ** 2 for k in range(j))
        if not pivot > 0:  # also catches NaN
            return j + 1
        low[j, j] = math.sqrt(pivot)
        for i in range(j + 1, n):
            low[i, j] = (m[i, j] - sum(low[i, k] * low[j, k] for k in range(j))) / low[j, j]
    return 0


def test_cholesky_ex_reads_one_triangle_and_flags_nan():
    # lower triangle: [[1, 5], [5, 1]] is indefinite, though A's own minors are positive
    skew = np.array([[1.0, 0.0], [5.0, 1.0]])
    low, info = la.cholesky_ex(Tensor(skew))
    assert int(info.data) == naive_cholesky_info(skew) == 2
    np.testing.assert_array_equal(low.data, 0)
    up, info = la.cholesky_ex(Tensor(skew), upper=True)  # upper triangle: the identity
    assert int(info.data) == naive_cholesky_info(skew, upper=True) == 0
    np.testing.assert_allclose(up.data, np.eye(2))
    # lower minors: 4, 4 * 3 - 100^2 < 0 (order 2); A's own order-2 minor is positive
    mixed = np.array([[4.0, 2.0, 0.0], [-100.0, 3.0, 0.0], [0.0, 0.0, -1.0]])
    assert int(la.cholesky_ex(Tensor(mixed)).info.data) == naive_cholesky_info(mixed) == 2
    nan = np.eye(3)
    nan[2, 0] = nan[0, 2] = np.nan
    low, info = la.cholesky_ex(Tensor(np.stack([np.eye(3), nan])))
    np.testing.assert_array_equal(info.data, [0, naive_cholesky_info(nan)])
    assert naive_cholesky_info(nan) == 3
    np.testing.assert_array_equal(low.data[1], 0)
    with pytest.raises(ValueError, match="not positive definite"):
        la.cholesky_ex(Tensor(nan), check_errors=True)


def test_cholesky_upper_reads_the_upper_triangle():
    a = np.array([[4.0, 1.0], [-3.0, 2.0]])  # upper triangle: [[4, 1], [1, 2]], SPD
    up = la.cholesky(Tensor(a), upper=True).data
    # the closed form of a 2 x 2 Cholesky factor of [[4, 1], [1, 2]]
    np.testing.assert_allclose(up, [[2.0, 0.5], [0.0, math.sqrt(2 - 0.25)]])
    # the gradient through the upper triangle mirrored (torch's is symmetric, as the lower's)
    check_grads(lambda t: la.cholesky(t.triu() + t.triu(1).mT, upper=True), a)


# ---------------------------------------------------------------- cholesky_solve / inverse


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse(upper):
    x = well_conditioned(2, 3, 3)
    a = x @ mt(x)
    low = np.linalg.cholesky(a)
    fac = mt(low) if upper else low
    b = RNG.standard_normal((2, 3, 2))
    xs = tg.cholesky_solve(Tensor(b), Tensor(fac), upper=upper).data
    np.testing.assert_allclose(a @ xs, b, atol=1e-10)
    np.testing.assert_allclose(Tensor(b).cholesky_solve(Tensor(fac), upper).data, xs)
    inv = Tensor(fac).cholesky_inverse(upper).data
    np.testing.assert_allclose(inv @ a, np.broadcast_to(np.eye(3), a.shape), atol=1e-10)
    np.testing.assert_allclose(tg.cholesky_inverse(Tensor(fac), upper=upper).data, inv)
    tri = np.triu if upper else np.tril
    check_grads(lambda bb, ff: tg.cholesky_solve(bb, ff, upper=upper), b, tri(fac))
    check_grads(lambda ff: tg.cholesky_inverse(ff, upper=upper), tri(fac))


def test_float32_is_kept():
    a = Tensor(well_conditioned(3, 3).astype(np.float32))
    outs = [la.pinv(a), la.matrix_power(a, 3), la.qr(a).Q, la.svd(a).U, la.svdvals(a),
            la.eigh(a + a.transpose(-1, -2)).eigenvectors, la.lstsq(a, a).solution,
            la.cond(a), a.pinverse(), a.svd().V]
    assert all(o.dtype == np.float32 for o in outs)


@pytest.mark.parametrize("p", ["fro", "nuc", 1, -1, np.inf, -np.inf])
def test_cond_keeps_float32_in_every_norm(p):
    a = well_conditioned(2, 3, 3)
    singular = np.stack([a[0], np.ones((3, 3))]).astype(np.float32)
    out = la.cond(Tensor(singular), p)
    assert out.dtype == np.float32
    inv = np.linalg.inv(a[0])
    norms = {
        "fro": lambda m: np.sqrt((m**2).sum()),
        "nuc": lambda m: np.sqrt(np.linalg.eigvalsh(m.T @ m).clip(0)).sum(),
        1: lambda m: np.abs(m).sum(0).max(),
        -1: lambda m: np.abs(m).sum(0).min(),
        np.inf: lambda m: np.abs(m).sum(1).max(),
        -np.inf: lambda m: np.abs(m).sum(1).min(),
    }
    want = norms[p](a[0]) * norms[p](inv)
    np.testing.assert_allclose(out.data[0], want, rtol=1e-4)
    assert out.data[1] == np.inf


# ---------------------------------------------------------------- lu_factor, lu_solve, inv_ex


def naive_plu(lu, pivots):
    """P, L, U from packed factors and 1-based sequential row interchanges, by plain loops."""
    n = lu.shape[0]
    perm = list(range(n))
    for k in range(n):
        p = int(pivots[k]) - 1
        perm[k], perm[p] = perm[p], perm[k]
    p_mat = np.zeros((n, n))
    for i in range(n):
        p_mat[perm[i], i] = 1.0  # (P^T A)[i] = A[perm[i]]
    low = np.tril(lu, -1) + np.eye(n)
    return p_mat, low, np.triu(lu)


def test_lu_factor_and_lu_solve_of_empty_matrices():
    lu, piv, info = la.lu_factor_ex(Tensor(np.zeros((2, 0, 0))))
    assert lu.shape == (2, 0, 0) and piv.shape == (2, 0) and piv.dtype == np.int32
    np.testing.assert_array_equal(info.data, [0, 0])
    x = la.lu_solve(lu, piv, Tensor(np.zeros((2, 0, 3))))
    assert x.shape == (2, 0, 3)
    lu, piv = la.lu_factor(Tensor(np.zeros((0, 3, 3))))
    assert lu.shape == (0, 3, 3) and piv.shape == (0, 3)
    assert la.lu_solve(lu, piv, Tensor(np.zeros((0, 3, 2)))).shape == (0, 3, 2)


def test_lu_factor_reconstructs_with_partial_pivoting():
    a = RNG.standard_normal((2, 4, 4))
    lu, piv = la.lu_factor(Tensor(a))
    assert piv.dtype == np.int32 and piv.shape == (2, 4)
    for i in range(2):
        p_mat, low, up = naive_plu(lu.data[i], piv.data[i])
        np.testing.assert_allclose(p_mat @ low @ up, a[i], atol=1e-12)
        assert np.all(np.abs(low) <= 1 + 1e-12)  # partial pivoting bounds L's entries
    lu2, piv2, info = la.lu_factor_ex(Tensor(a))
    np.testing.assert_array_equal(lu2.data, lu.data)
    np.testing.assert_array_equal(info.data, [0, 0])


def test_lu_factor_of_a_singular_matrix():
    s = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="singular"):
        la.lu_factor(Tensor(s))
    lu, piv, info = la.lu_factor_ex(Tensor(np.stack([s, np.eye(3)])))
    np.testing.assert_array_equal(info.data, [3, 0])
    p_mat, low, up = naive_plu(lu.data[0], piv.data[0])
    np.testing.assert_allclose(p_mat @ low @ up, s, atol=1e-12)
    with pytest.raises(ValueError, match="singular"):
        la.lu_factor_ex(Tensor(s), check_errors=True)
    with pytest.raises(ValueError, match="square"):
        la.lu_factor(Tensor(np.ones((2, 3))))


@pytest.mark.parametrize("left,adjoint", [(True, False), (True, True), (False, False),
                                          (False, True)])
def test_lu_solve_solves_every_form(left, adjoint):
    a = RNG.standard_normal((2, 4, 4))
    b = RNG.standard_normal((2, 4, 3) if left else (2, 3, 4))
    lu, piv = la.lu_factor(Tensor(a))
    x = la.lu_solve(lu, piv, Tensor(b), left=left, adjoint=adjoint).data
    op = mt(a) if adjoint else a
    np.testing.assert_allclose(op @ x if left else x @ op, b, atol=1e-10)
    check_grads(lambda t, bb: la.lu_solve(*la.lu_factor(t), bb, left=left, adjoint=adjoint),
                a, b)


def test_lu_factor_gradient_and_lu_solve_gradient_in_the_factors():
    a = RNG.standard_normal((2, 4, 4))
    check_grads(lambda t: la.lu_factor(t).LU, a)
    lu, piv = la.lu_factor(Tensor(a))
    b = RNG.standard_normal((4, 2))  # broadcast over the batch
    check_grads(lambda f, bb: la.lu_solve(f, piv, bb), lu.data, b)
    with pytest.raises(ValueError, match="pivots"):
        la.lu_solve(lu, Tensor(np.zeros((2, 4), np.int32)), Tensor(b))


def test_inv_ex_reports_singular_matrices():
    a = well_conditioned(3, 3)
    s = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    inv, info = la.inv_ex(Tensor(np.stack([a, s])))
    np.testing.assert_array_equal(info.data, [0, 3])
    assert info.dtype == np.int32
    np.testing.assert_allclose(inv.data[0] @ a, np.eye(3), atol=1e-12)
    np.testing.assert_array_equal(inv.data[1], 0)
    check_grads(lambda t: la.inv_ex(t).inverse, a)
    with pytest.raises(ValueError, match="singular"):
        la.inv_ex(Tensor(s), check_errors=True)
