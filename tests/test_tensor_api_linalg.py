"""Linear algebra of the PyTorch Tensor API (ops/einsum.py, products.py, determinant.py,
distance.py, norms.py, scan.trapezoid and tinygrad_opt.linalg): values against naive loops
and closed forms, float64 finite-difference gradients, and errors for bad shapes."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor

RNG = np.random.default_rng(11)


def randn(*shape):
    return RNG.standard_normal(shape)


# ---------------------------------------------------------------------------------- einsum
def test_einsum_matrix_product_against_a_loop_and_gradients():
    a, b = randn(3, 4), randn(4, 2)
    want = np.zeros((3, 2))
    for i, j, k in itertools.product(range(3), range(4), range(2)):
        want[i, k] += a[i, j] * b[j, k]
    np.testing.assert_allclose(tg.einsum("ij,jk->ik", Tensor(a), Tensor(b)).data, want)
    np.testing.assert_allclose(tg.einsum("ij,jk", [Tensor(a), Tensor(b)]).data, want)  # implicit
    check_grads(lambda x, y: tg.einsum("ij,jk->ik", x, y), a, b)


@pytest.mark.parametrize(
    "equation,shapes",
    [
        ("ii->", [(3, 3)]),  # trace
        ("ii->i", [(3, 3)]),  # diagonal
        ("iij->j", [(3, 3, 2)]),
        ("ij->i", [(3, 4)]),  # an index only one operand sums
        ("ij,kl->ik", [(3, 2), (4, 5)]),
        ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
        ("...ij,jk->...ik", [(2, 1, 3, 4), (4, 2)]),
        ("...j,...j->...", [(2, 1, 3), (4, 3)]),  # '...' broadcasting a size-1 dimension
        ("i,i", [(4,), (4,)]),
        ("ba", [(2, 3)]),  # implicit output: alphabetical, a transpose
        ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ],
)
def test_einsum_cases_values_and_gradients(equation, shapes):
    arrays = [randn(*s) for s in shapes]
    got = tg.einsum(equation, *[Tensor(a) for a in arrays]).data
    np.testing.assert_allclose(got, np.einsum(equation, *arrays), rtol=1e-12, atol=1e-12)
    check_grads(lambda *ts: tg.einsum(equation, *ts), *arrays)


def test_einsum_trace_gradient_is_the_identity():
    x = Tensor(randn(4, 4), requires_grad=True)
    tg.einsum("ii", x).backward()
    np.testing.assert_array_equal(x.grad, np.eye(4))


def test_einsum_and_kron_with_an_empty_dimension():
    # a letter of size 0 stays 0 (a size-1 one broadcasts to it): sums over it are 0 and the
    # gradients are empty arrays of the operands' shapes
    a = Tensor(np.zeros(0), requires_grad=True)
    out = tg.einsum("i,i->", a, a)
    out.backward()
    assert out.item() == 0.0 and a.grad.shape == (0,)
    m, n = Tensor(np.ones((2, 0)), requires_grad=True), Tensor(np.ones((0, 3)), requires_grad=True)
    prod = tg.einsum("ij,jk->ik", m, n)
    prod.sum().backward()
    np.testing.assert_array_equal(prod.data, np.zeros((2, 3)))
    assert m.grad.shape == (2, 0) and n.grad.shape == (0, 3)
    assert tg.einsum("i,i->i", tg.ones(1), tg.zeros(0)).shape == (0,)
    e, b = Tensor(np.zeros((0, 3)), requires_grad=True), Tensor(randn(3, 4), requires_grad=True)
    k = tg.kron(e, b)
    k.sum().backward()
    assert k.shape == (0, 12) and e.grad.shape == (0, 3)
    np.testing.assert_array_equal(b.grad, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="index 'i' has sizes 2 and 0"):
        tg.einsum("i,i->", tg.ones(2), tg.zeros(0))


def test_einsum_errors_name_the_problem():
    with pytest.raises(ValueError, match="einsum: the equation names 2 operands but 1"):
        tg.einsum("ij,jk", Tensor(randn(2, 2)))
    with pytest.raises(ValueError, match=r"einsum: subscripts 'ij' name 2 dimensions"):
        tg.einsum("ij", Tensor(randn(2, 2, 2)))
    with pytest.raises(ValueError, match="einsum: index 'j' has sizes 3 and 4"):
        tg.einsum("ij,jk", Tensor(randn(2, 3)), Tensor(randn(4, 2)))


# -------------------------------------------------------------------------------- products
def test_tensordot_int_and_lists():
    a, b = randn(2, 3, 4), randn(3, 4, 5)
    want = np.zeros((2, 5))
    for i, j, k, m in itertools.product(range(2), range(3), range(4), range(5)):
        want[i, m] += a[i, j, k] * b[j, k, m]
    np.testing.assert_allclose(tg.tensordot(Tensor(a), Tensor(b)).data, want)
    np.testing.assert_allclose(tg.tensordot(Tensor(a), Tensor(b), ([1, 2], [0, 1])).data, want)
    check_grads(lambda x, y: tg.tensordot(x, y, dims=([2], [1])), a, b)
    with pytest.raises(ValueError, match="tensordot: contracted dimensions differ in size"):
        tg.tensordot(Tensor(a), Tensor(b), ([0], [0]))


def test_kron_against_the_block_definition():
    a, b = randn(2, 3), randn(4, 2)
    want = np.zeros((8, 6))
    for i, j in itertools.product(range(2), range(3)):
        want[4 * i: 4 * i + 4, 2 * j: 2 * j + 2] = a[i, j] * b
    np.testing.assert_allclose(Tensor(a).kron(Tensor(b)).data, want)
    assert tg.kron(Tensor(randn(3)), Tensor(randn(2, 2))).shape == (2, 6)
    check_grads(tg.kron, a, b)


def test_inner_dot_vdot_mv_outer_ger():
    a, b, v, w = randn(2, 3), randn(4, 3), randn(3), randn(3)
    np.testing.assert_allclose(tg.inner(Tensor(a), Tensor(b)).data, a @ b.T)
    np.testing.assert_allclose(tg.dot(Tensor(v), Tensor(w)).data, sum(v * w))
    np.testing.assert_allclose(Tensor(v).vdot(Tensor(w)).data, sum(v * w))
    np.testing.assert_allclose(tg.mv(Tensor(a), Tensor(v)).data, [sum(a[0] * v), sum(a[1] * v)])
    np.testing.assert_allclose(Tensor(v).ger(Tensor(w)).data, v[:, None] * w[None, :])
    check_grads(tg.inner, a, b)
    check_grads(tg.dot, v, w)
    check_grads(tg.mv, a, v)
    with pytest.raises(ValueError, match=r"dot: expects two 1-D tensors, got shapes \(2, 3\)"):
        tg.dot(Tensor(a), Tensor(v))
    with pytest.raises(ValueError, match="dot: expects vectors of the same size, got 3 and 2"):
        tg.dot(Tensor(v), Tensor(randn(2)))
    with pytest.raises(ValueError, match="mv: size mismatch"):
        tg.mv(Tensor(a), Tensor(randn(2)))


def test_addmm_family_with_beta_and_alpha():
    m, a, b = randn(3), randn(3, 4), randn(4, 3)
    np.testing.assert_allclose(tg.addmm(Tensor(m), Tensor(a), Tensor(b), beta=0.5, alpha=2).data,
                               0.5 * m + 2 * (a @ b))
    v = randn(4)
    np.testing.assert_allclose(Tensor(m).addmv(Tensor(a), Tensor(v), alpha=3).data,
                               m + 3 * (a @ v))
    b1, b2, c = randn(2, 3, 4), randn(2, 4, 5), randn(3, 5)
    np.testing.assert_allclose(tg.addbmm(Tensor(c), Tensor(b1), Tensor(b2)).data,
                               c + b1[0] @ b2[0] + b1[1] @ b2[1])
    np.testing.assert_allclose(tg.baddbmm(Tensor(c), Tensor(b1), Tensor(b2), beta=2).data,
                               2 * c + b1 @ b2)
    check_grads(lambda x, y, z: tg.addmm(x, y, z, beta=0.5, alpha=2), m, a, b)
    check_grads(lambda x, y, z: tg.baddbmm(x, y, z, alpha=-1.5), c, b1, b2)
    check_grads(tg.addbmm, c, b1, b2)


def test_beta_zero_ignores_nan_in_input_and_gives_it_zero_gradient():
    m = Tensor(np.full((3, 3), np.nan), requires_grad=True)
    a, b = randn(3, 2), randn(2, 3)
    out = tg.addmm(m, Tensor(a), Tensor(b), beta=0)
    np.testing.assert_allclose(out.data, a @ b)
    out.sum().backward()
    np.testing.assert_array_equal(m.grad, 0)


def test_cross_default_dim_linalg_dim_and_gradients():
    a, b = randn(3, 4, 3), randn(3, 4, 3)
    first = np.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                      a[0] * b[1] - a[1] * b[0]])
    np.testing.assert_allclose(tg.cross(Tensor(a), Tensor(b)).data, first)  # first size-3 dim
    last = np.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                     a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                     a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], axis=-1)
    np.testing.assert_allclose(tg.linalg.cross(Tensor(a), Tensor(b)).data, last)
    check_grads(lambda x, y: x.cross(y, dim=2), a, b[:1])
    with pytest.raises(ValueError, match="cross: dimension 1 must have size 3"):
        tg.cross(Tensor(a), Tensor(b), dim=1)


def test_vander_decreasing_and_increasing():
    x = randn(4)
    want = np.stack([x**3, x**2, x, np.ones(4)], axis=1)
    np.testing.assert_allclose(tg.vander(Tensor(x)).data, want)
    np.testing.assert_allclose(tg.vander(Tensor(x), 3, increasing=True).data, want[:, :0:-1])
    np.testing.assert_allclose(tg.linalg.vander(Tensor(x), N=2).data, want[:, :1:-1])
    assert tg.vander(Tensor(np.array([1, 2]))).dtype == np.int64
    check_grads(lambda t: tg.vander(t, 4), x)


# ------------------------------------------------------------------------- square matrices
def _naive_det(m):
    n = m.shape[0]
    if n == 1:
        return m[0, 0]
    return sum((-1) ** j * m[0, j] * _naive_det(np.delete(m[1:], j, axis=1)) for j in range(n))


def test_det_batched_against_cofactor_expansion_and_gradients():
    a = randn(2, 4, 4)
    np.testing.assert_allclose(tg.det(Tensor(a)).data, [_naive_det(a[0]), _naive_det(a[1])])
    check_grads(tg.det, a)


def test_det_gradient_of_a_singular_matrix_is_its_cofactor_matrix():
    # PyTorch 2.13 returns zeros here; the derivative of det is the (nonzero) cofactor matrix
    m = np.array([[1.0, 2.0], [2.0, 4.0]])
    x = Tensor(m, requires_grad=True)
    tg.det(x).backward()
    np.testing.assert_allclose(x.grad, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    check_grads(tg.det, np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, 1.0, -1.0]]))


def test_inverse_slogdet_logdet():
    a = randn(2, 3, 3) + 3 * np.eye(3)
    inv = tg.inverse(Tensor(a)).data
    np.testing.assert_allclose(inv @ a, np.broadcast_to(np.eye(3), a.shape), atol=1e-12)
    np.testing.assert_allclose(tg.linalg.inv(Tensor(a)).data, inv)
    sign, logabs = tg.linalg.slogdet(Tensor(a))
    dets = np.array([_naive_det(a[0]), _naive_det(a[1])])
    np.testing.assert_allclose(sign.data, np.sign(dets))
    np.testing.assert_allclose(logabs.data, np.log(np.abs(dets)))
    assert tg.slogdet(Tensor(a)).logabsdet is not None
    check_grads(tg.inverse, a)
    check_grads(lambda t: tg.slogdet(t).logabsdet, a)
    spd = a @ np.swapaxes(a, 1, 2)
    check_grads(tg.logdet, spd)
    neg = np.diag([-1.0, 2.0, 3.0])
    assert np.isnan(tg.logdet(Tensor(neg)).data)
    assert tg.logdet(Tensor(np.zeros((2, 2)))).data == -np.inf


def test_square_matrix_errors():
    with pytest.raises(ValueError, match=r"det: expects a square matrix .* got \(2, 3\)"):
        tg.det(Tensor(randn(2, 3)))
    with pytest.raises(ValueError, match="inverse: the input matrix is singular"):
        tg.inverse(Tensor(np.zeros((2, 2))))
    with pytest.raises(TypeError, match="det: needs a floating-point tensor"):
        tg.det(Tensor(np.eye(2, dtype=np.int64)))


# --------------------------------------------------------------------- distances and norms
@pytest.mark.parametrize("p", [0, 1, 2, 3, np.inf])
def test_cdist_against_a_loop_and_gradients(p):
    x1, x2 = randn(2, 3, 4), randn(2, 5, 4)
    want = np.zeros((2, 3, 5))
    for b, i, j in itertools.product(range(2), range(3), range(5)):
        d = np.abs(x1[b, i] - x2[b, j])
        want[b, i, j] = (np.count_nonzero(d) if p == 0 else d.max() if p == np.inf
                         else (d**p).sum() ** (1 / p))
    np.testing.assert_allclose(tg.cdist(Tensor(x1), Tensor(x2), p=p).data, want)
    if p != 0:
        check_grads(lambda a, b: tg.cdist(a, b, p), x1, x2)


@pytest.mark.parametrize("mode", [None, "use_mm_for_euclid_dist"])
def test_cdist_euclidean_by_matrix_products_against_a_loop(mode):
    # default mode with R > 25 rows, or forced: PyTorch's |a|^2 + |b|^2 - 2 a.b path
    x1, x2 = randn(2, 3, 4), randn(1, 30 if mode is None else 5, 4)
    kwargs = {} if mode is None else {"compute_mode": mode}
    want = np.sqrt(((x1[:, :, None, :] - x2[:, None, :, :]) ** 2).sum(-1))
    np.testing.assert_allclose(tg.cdist(Tensor(x1), Tensor(x2), **kwargs).data, want)
    check_grads(lambda a, b: tg.cdist(a, b, **kwargs), x1, x2)
    x = Tensor(np.ones((2, 3)), requires_grad=True)  # zero distances: zero gradient
    tg.cdist(x, Tensor(np.ones((1, 3))), **kwargs).sum().backward()
    np.testing.assert_array_equal(x.grad, 0)


def test_cdist_on_many_rows_does_not_form_the_differences():
    x1 = Tensor(randn(200, 200), requires_grad=True)
    x2 = Tensor(randn(200, 200), requires_grad=True)
    tracemalloc.start()
    try:
        tg.cdist(x1, x2).sum().backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # the 200 x 200 x 200 float64 differences alone are 64 MB


def test_cdist_zero_distance_has_zero_gradient_and_shape_errors():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    tg.cdist(x, Tensor(np.ones((1, 3)))).sum().backward()
    np.testing.assert_array_equal(x.grad, 0)
    with pytest.raises(ValueError, match=r"cdist: expects x1 \(\*, P, M\) and x2 \(\*, R, M\)"):
        tg.cdist(Tensor(randn(2, 3)), Tensor(randn(2, 4)))
    with pytest.raises(ValueError, match="cdist: compute_mode must be one of"):
        tg.cdist(Tensor(randn(2, 3)), Tensor(randn(2, 3)), compute_mode="fast")


@pytest.mark.parametrize("ord", [1, 2, 3, 0.5, np.inf, -np.inf, 0])
def test_vector_norm_orders(ord):  # noqa: A002
    x = randn(3, 4)
    a = np.abs(x)
    if ord == 0:
        want = np.count_nonzero(x, axis=1).astype(float)
    elif ord == np.inf:
        want = a.max(axis=1)
    elif ord == -np.inf:
        want = a.min(axis=1)
    else:
        want = (a**ord).sum(axis=1) ** (1 / ord)
    np.testing.assert_allclose(tg.linalg.vector_norm(Tensor(x), ord, dim=1).data, want)
    if ord != 0:
        check_grads(lambda t: tg.linalg.vector_norm(t, ord, dim=1), x)


@pytest.mark.parametrize("ord", [3, 0.5, -1])
def test_vector_norm_gradient_is_zero_at_zero_entries_and_zero_slices(ord):  # noqa: A002
    x = Tensor(np.array([[0.0, 0.0, 0.0], [0.0, 1.0, -2.0]]), requires_grad=True)
    tg.linalg.vector_norm(x, ord, dim=1).sum().backward()
    norm = (1.0 + 2.0**ord) ** (1 / ord)
    # d/dx_i (sum |x|^p)^(1/p) = sign(x_i) (|x_i| / norm)^(p - 1), taken as 0 where x_i = 0;
    # for p < 0 a zero entry makes the norm 0 (|0|^p = inf), and every gradient 0
    want = [[0, 0, 0], [0, (1 / norm) ** (ord - 1), -((2 / norm) ** (ord - 1))]]
    if ord < 0:
        want = np.zeros((2, 3))
    np.testing.assert_allclose(x.grad, want)


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norm_orders_batched(ord):  # noqa: A002
    x = randn(2, 3, 4)
    for b in range(2):
        m = x[b]
        s = np.sqrt(np.linalg.eigvalsh(m @ m.T))  # singular values from the Gram matrix
        want = {
            "fro": np.sqrt((m**2).sum()),
            "nuc": s.sum(),
            2: s.max(),
            -2: s.min(),
            1: np.abs(m).sum(axis=0).max(),
            -1: np.abs(m).sum(axis=0).min(),
            np.inf: np.abs(m).sum(axis=1).max(),
            -np.inf: np.abs(m).sum(axis=1).min(),
        }[ord]
        np.testing.assert_allclose(tg.linalg.matrix_norm(Tensor(x), ord).data[b], want)
    check_grads(lambda t: tg.linalg.matrix_norm(t, ord), x)
    assert tg.linalg.matrix_norm(Tensor(x), ord, keepdim=True).shape == (2, 1, 1)


def test_linalg_norm_dispatch_and_errors():
    x = randn(2, 3, 4)
    np.testing.assert_allclose(tg.linalg.norm(Tensor(x)).data, np.sqrt((x**2).sum()))
    np.testing.assert_allclose(tg.linalg.norm(Tensor(x), dim=(1, 2)).data,
                               np.sqrt((x**2).sum(axis=(1, 2))))
    np.testing.assert_allclose(tg.linalg.norm(Tensor(x[0]), 1).data, np.abs(x[0]).sum(0).max())
    with pytest.raises(ValueError, match="norm: with ord given and dim=None the input must be"):
        tg.linalg.norm(Tensor(x), 2)
    with pytest.raises(ValueError, match="matrix_norm: ord must be"):
        tg.linalg.matrix_norm(Tensor(x), 3)


# ------------------------------------------------------------------------------ trapezoid
def test_trapezoid_with_dx_and_with_sample_points():
    y = randn(3, 5)
    x = np.cumsum(RNG.uniform(0.1, 1, 5))
    want = np.array([sum((y[r, k] + y[r, k + 1]) / 2 * (x[k + 1] - x[k]) for k in range(4))
                     for r in range(3)])
    np.testing.assert_allclose(tg.trapezoid(Tensor(y), Tensor(x)).data, want)
    np.testing.assert_allclose(tg.trapezoid(Tensor(y), dx=0.5, dim=0).data,
                               0.5 * (y[:-1] + y[1:]).sum(axis=0) / 2)
    check_grads(lambda a, b: tg.trapezoid(a, b), y, x)
    with pytest.raises(ValueError, match="trapezoid: x has 4 points but y has 5"):
        tg.trapezoid(Tensor(y), Tensor(x[:4]))
