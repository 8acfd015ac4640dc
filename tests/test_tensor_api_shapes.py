"""Layout ops (ops/rearrange.py, stacking.py, diagonal.py): values against index formulas and
naive loops, gradients against float64 finite differences, and the errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4, 5))
M = RNG.standard_normal((4, 5))
V = RNG.standard_normal(5)


def cat_flat(parts) -> Tensor:
    """Many outputs as one tensor, so check_grads sees all of them."""
    return tg.cat([p.reshape(-1) for p in parts])


# ------------------------------------------------------------------------ rearrange
def test_swapaxes_swapdims_movedim_values_and_grads():
    x = Tensor(A)
    want = np.empty((5, 4, 3))
    for i, j, k in itertools.product(range(3), range(4), range(5)):
        want[k, j, i] = A[i, j, k]
    np.testing.assert_array_equal(tg.swapaxes(x, 0, 2).data, want)
    np.testing.assert_array_equal(x.swapdims(-1, 0).data, want)
    moved = tg.movedim(x, (0, 1), (2, 0))  # dim 0 -> 2, dim 1 -> 0, dim 2 fills slot 1
    assert moved.shape == (4, 5, 3)
    assert moved.data[2, 1, 0] == A[0, 2, 1]
    assert x.moveaxis(0, -1).shape == (4, 5, 3)
    check_grads(lambda t: tg.movedim(t, (0, 1), (2, 0)), A)
    with pytest.raises(ValueError, match="repeat"):
        tg.movedim(x, (0, 0), (1, 2))
    with pytest.raises(ValueError, match="as many"):
        tg.movedim(x, (0, 1), 2)


def test_narrow_select_unbind():
    x = Tensor(A)
    np.testing.assert_array_equal(tg.narrow(x, 2, -3, 2).data, A[:, :, 2:4])
    np.testing.assert_array_equal(x.narrow(0, Tensor(np.array(1)), 2).data, A[1:3])
    np.testing.assert_array_equal(x.select(1, -1).data, A[:, 3])
    pieces = tg.unbind(x, 2)
    assert len(pieces) == 5
    for k, p in enumerate(pieces):
        np.testing.assert_array_equal(p.data, A[:, :, k])
    check_grads(lambda t: t.narrow(1, 1, 2), A)
    check_grads(lambda t: t.select(2, 3) * 2, A)
    check_grads(lambda t: cat_flat(t.unbind(1)[::2]), A)  # unused slices get zero
    with pytest.raises(ValueError, match="length"):
        x.narrow(0, 2, 2)
    with pytest.raises(IndexError, match="out of range"):
        x.select(0, 3)
    with pytest.raises(ValueError, match="0-d"):
        tg.tensor(1.0).unbind()


def test_unbind_backward_adds_slices_into_one_buffer():
    x = Tensor(M, requires_grad=True)
    total = None
    for row in x.unbind(0):
        total = row * 3 if total is None else total + row * 3
    total.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(M.shape, 3.0))


def test_unflatten_roll_flip():
    x = Tensor(A)
    assert x.unflatten(2, (1, -1)).shape == (3, 4, 1, 5)
    assert tg.unflatten(x, 1, (2, 2)).shape == (3, 2, 2, 5)
    with pytest.raises(ValueError, match="multiply"):
        x.unflatten(1, (3, -1))
    rolled = tg.roll(x, (1, -2), (0, 2)).data
    for i, j, k in itertools.product(range(3), range(4), range(5)):
        assert rolled[(i + 1) % 3, j, (k - 2) % 5] == A[i, j, k]
    flat = tg.roll(x, 7).data.reshape(-1)
    np.testing.assert_array_equal(flat[(np.arange(60) + 7) % 60], A.reshape(-1))
    check_grads(lambda t: tg.roll(t, (1, -2), (0, 2)), A)
    check_grads(lambda t: tg.roll(t, 7), A)
    flipped = tg.flip(x, (0, 2)).data
    np.testing.assert_array_equal(flipped, A[::-1, :, ::-1])
    np.testing.assert_array_equal(x.flip(1).data, A[:, ::-1])
    np.testing.assert_array_equal(tg.fliplr(Tensor(M)).data, M[:, ::-1])
    np.testing.assert_array_equal(tg.flipud(Tensor(M)).data, M[::-1])
    check_grads(lambda t: t.flip(0, 1), A)
    with pytest.raises(ValueError, match="2 dimensions"):
        tg.fliplr(Tensor(V))
    with pytest.raises(ValueError, match="shifts"):
        tg.roll(x, (1, 2), 0)


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 6])
def test_rot90_against_index_formula(k):
    out = tg.rot90(Tensor(M), k).data
    want = M
    for _ in range(k % 4):  # one turn from dim 0 towards dim 1: new[i, j] = old[j, n - 1 - i]
        n = want.shape[1]
        want = np.array([[want[j, n - 1 - i] for j in range(want.shape[0])] for i in range(n)])
    np.testing.assert_array_equal(out, want)
    check_grads(lambda t: tg.rot90(t, k, (2, 0)), A)


def test_rot90_returns_a_copy_as_torch():
    # writing into the rotated tensor must leave the input alone (numpy's rot90 is a view)
    x = Tensor(M.copy())
    for k in (1, 2, 0):
        x.rot90(k).zero_()
    np.testing.assert_array_equal(x.data, M)


def test_rot90_errors():
    with pytest.raises(ValueError, match="differ"):
        tg.rot90(Tensor(M), 1, (0, 0))
    with pytest.raises(ValueError, match="2 dimensions"):
        tg.rot90(Tensor(V))


def test_repeat_interleave_forms_and_grad():
    x = Tensor(M)
    out = tg.repeat_interleave(x, 2, 1).data
    for j in range(10):
        np.testing.assert_array_equal(out[:, j], M[:, j // 2])
    counts = np.array([1, 0, 3, 2])
    rows = x.repeat_interleave(Tensor(counts), dim=0).data
    want = np.concatenate([np.tile(M[i], (c, 1)) for i, c in enumerate(counts)])
    np.testing.assert_array_equal(rows, want)
    flat = tg.repeat_interleave(x, 3).data
    np.testing.assert_array_equal(flat, [v for v in M.reshape(-1) for _ in range(3)])
    np.testing.assert_array_equal(
        tg.repeat_interleave(Tensor(np.array([2, 0, 1]))).data, [0, 0, 2]
    )
    check_grads(lambda t: t.repeat_interleave(Tensor(counts), dim=0), M)
    with pytest.raises(ValueError, match="repeats"):
        x.repeat_interleave(Tensor(np.array([1, 2])), dim=0)
    with pytest.raises(ValueError, match="output_size"):
        x.repeat_interleave(2, dim=0, output_size=5)


def test_broadcast_to_and_broadcast_tensors():
    out = tg.broadcast_to(Tensor(M), (2, -1, 5))
    assert out.shape == (2, 4, 5)
    np.testing.assert_array_equal(out.data[1], M)
    a, b, c = tg.broadcast_tensors(Tensor(M), Tensor(V), Tensor(np.array(1.0)))
    assert a.shape == b.shape == c.shape == (4, 5)
    np.testing.assert_array_equal(b.data[3], V)
    check_grads(lambda m, v: cat_flat(tg.broadcast_tensors(m, v)), M, V)
    with pytest.raises(ValueError, match="broadcast"):
        tg.broadcast_tensors(Tensor(M), Tensor(np.zeros(3)))


# ------------------------------------------------------------------------ stacking
def test_hstack_vstack_dstack_column_stack():
    m, v = Tensor(M), Tensor(V)
    np.testing.assert_array_equal(tg.hstack([m, m[:, :2]]).data, np.concatenate([M, M[:, :2]], 1))
    np.testing.assert_array_equal(tg.hstack([v, tg.tensor(2.0, dtype=tg.float64)]).data,
                                  np.append(V, 2.0))
    np.testing.assert_array_equal(tg.vstack([m, v]).data, np.concatenate([M, V[None]]))
    d = tg.dstack([m, m]).data
    assert d.shape == (4, 5, 2)
    np.testing.assert_array_equal(d[..., 1], M)
    assert tg.dstack([v, v]).shape == (1, 5, 2)
    cs = tg.column_stack([v, Tensor(M.T), v]).data
    np.testing.assert_array_equal(cs[:, 0], V)
    np.testing.assert_array_equal(cs[:, 1:5], M.T)
    assert tg.atleast_3d(v).shape == (1, 5, 1)
    assert tg.atleast_2d(v).shape == (1, 5)
    assert tg.atleast_1d(tg.tensor(1.0)).shape == (1,)
    check_grads(lambda a, b: tg.vstack([a, b]), M, V)
    check_grads(lambda a, b: tg.column_stack([b, a.T]), M, V)


def test_tensor_split_and_numpy_splits():
    x = Tensor(A)
    sizes = [p.shape[2] for p in tg.tensor_split(x, 3, 2)]
    assert sizes == [2, 2, 1]  # the first size % n pieces are one longer
    pieces = x.tensor_split([1, -1, 7], 2)
    bounds = [(0, 1), (1, 4), (4, 5), (5, 5)]  # Python slices a[0:1], a[1:-1], a[-1:7], a[7:]
    for p, (lo, hi) in zip(pieces, bounds):
        np.testing.assert_array_equal(p.data, A[:, :, lo:hi])
    assert [p.shape for p in tg.hsplit(Tensor(np.zeros((2, 6))), 3)] == [(2, 2)] * 3
    assert [p.shape[0] for p in tg.vsplit(x, [1])] == [1, 2]
    assert [p.shape[2] for p in tg.dsplit(x, [2, 3])] == [2, 1, 2]
    check_grads(lambda t: cat_flat(t.tensor_split([1, 3], 2)[1:]), A)
    with pytest.raises(ValueError, match="evenly"):
        tg.hsplit(Tensor(np.zeros((2, 5))), 2)
    with pytest.raises(ValueError, match="3 dimensions"):
        tg.dsplit(Tensor(M), 1)


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    a, b, c = RNG.standard_normal(3), RNG.standard_normal(4), RNG.standard_normal(2)
    grids = tg.meshgrid(Tensor(a), Tensor(b), Tensor(c), indexing=indexing)
    shape = (3, 4, 2) if indexing == "ij" else (4, 3, 2)
    assert all(g.shape == shape for g in grids)
    for i, j, k in itertools.product(range(3), range(4), range(2)):
        at = (i, j, k) if indexing == "ij" else (j, i, k)
        assert (grids[0].data[at], grids[1].data[at], grids[2].data[at]) == (a[i], b[j], c[k])
    check_grads(lambda x, y: cat_flat(tg.meshgrid(x, y, indexing=indexing)), a, b)
    with pytest.raises(ValueError, match="indexing"):
        tg.meshgrid(Tensor(a), indexing="yx")


def test_cartesian_prod_combinations_block_diag():
    a, b = RNG.standard_normal(3), RNG.standard_normal(2)
    rows = tg.cartesian_prod(Tensor(a), Tensor(b)).data
    np.testing.assert_array_equal(rows, [[x, y] for x in a for y in b])
    combos = tg.combinations(Tensor(V), 3).data
    np.testing.assert_array_equal(combos, list(itertools.combinations(V, 3)))
    with_rep = tg.combinations(Tensor(a), 2, with_replacement=True).data
    np.testing.assert_array_equal(with_rep, list(itertools.combinations_with_replacement(a, 2)))
    assert tg.combinations(Tensor(a), 4).shape == (0, 4)
    check_grads(lambda t: tg.combinations(t, 2), V)
    check_grads(lambda x, y: tg.cartesian_prod(x, y), a, b)
    m2 = RNG.standard_normal((2, 1))
    bd = tg.block_diag(Tensor(M), Tensor(V), Tensor(np.array(2.0)), Tensor(m2)).data
    want = np.zeros((4 + 1 + 1 + 2, 5 + 5 + 1 + 1))
    want[:4, :5] = M
    want[4, 5:10] = V
    want[5, 10] = 2.0
    want[6:, 11:] = m2
    np.testing.assert_array_equal(bd, want)
    check_grads(lambda x, y: tg.block_diag(x, y), M, V)


# ------------------------------------------------------------------------ diagonals
def test_diagonal_against_loop_and_grad():
    out = tg.diagonal(Tensor(A), 1, 2, 0).data  # dim 2 at i, dim 0 at i + 1
    want = np.array([[A[i + 1, j, i] for i in range(5) if i + 1 < 3] for j in range(4)])
    np.testing.assert_array_equal(out, want)
    below = Tensor(A).diagonal(-2, -1, 1).data  # plane (dim 2, dim 1), offset -2
    want = np.array([[A[b, i, i + 2] for i in range(4) if i + 2 < 5] for b in range(3)])
    np.testing.assert_array_equal(below, want)
    check_grads(lambda t: tg.diagonal(t, 1, 2, 0), A)
    check_grads(lambda t: t.diagonal(-2, -1, 1), A)


def test_diag_diag_embed_trace():
    d = tg.diag(Tensor(V), 2).data
    want = np.zeros((7, 7))
    for i in range(5):
        want[i, i + 2] = V[i]
    np.testing.assert_array_equal(d, want)
    np.testing.assert_array_equal(tg.diag(Tensor(M), -1).data, [M[i + 1, i] for i in range(3)])
    emb = tg.diag_embed(Tensor(M), 1, 0, 2).data  # (6, 4, 6): M[b] on plane (0, 2)
    want = np.zeros((6, 4, 6))
    for b, i in itertools.product(range(4), range(5)):
        want[i, b, i + 1] = M[b, i]
    np.testing.assert_array_equal(emb, want)
    check_grads(lambda t: tg.diag_embed(t, 1, 0, 2), M)
    check_grads(lambda t: tg.diag(t, 2), V)
    check_grads(lambda t: tg.diag(t, -1), M)
    assert tg.trace(Tensor(M)).item() == pytest.approx(sum(M[i, i] for i in range(4)))
    check_grads(tg.trace, M)
    it = tg.trace(Tensor(np.arange(12, dtype=np.int32).reshape(3, 4)))
    assert it.dtype == np.int64 and it.item() == 0 + 5 + 10
    with pytest.raises(ValueError, match="1-D or 2-D"):
        tg.diag(Tensor(A))
    with pytest.raises(ValueError, match="differ"):
        tg.diagonal(Tensor(A), 0, 1, -2)


def test_tril_triu_indices():
    for row, col, offset in [(4, 3, -1), (3, 5, 1), (0, 2, 0), (3, 3, 5)]:
        lower = [(i, j) for i in range(row) for j in range(col) if j - i <= offset]
        upper = [(i, j) for i in range(row) for j in range(col) if j - i >= offset]
        got = tg.tril_indices(row, col, offset)
        assert got.dtype == np.int64 and got.shape == (2, len(lower))
        assert list(zip(*got.data.tolist())) == lower
        assert list(zip(*tg.triu_indices(row, col, offset).data.tolist())) == upper
    assert tg.tril_indices(2, 2, dtype=tg.int32).dtype == np.int32
    with pytest.raises(ValueError, match="row"):
        tg.tril_indices(-1, 2)
