"""Scatter/gather-style ops (ops/scatter.py) and the search and counting ops (ops/search.py):
values against naive loops, gradients against float64 finite differences, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor

RNG = np.random.default_rng(11)
A = RNG.standard_normal((3, 4, 5))
M = RNG.standard_normal((4, 5))


# ------------------------------------------------------------------------- scatter
def test_scatter_src_and_value_against_loop():
    index = np.argsort(RNG.random((4, 5)), axis=0)[:3]  # distinct rows per column
    src = RNG.standard_normal((3, 6))  # larger than index: only src[:3, :5] is used
    out = tg.scatter(Tensor(M), 0, Tensor(index), Tensor(src)).data
    want = M.copy()
    for i, j in itertools.product(range(3), range(5)):
        want[index[i, j], j] = src[i, j]
    np.testing.assert_array_equal(out, want)
    filled = Tensor(M).scatter(0, Tensor(index), 2.5).data
    want = M.copy()
    for i, j in itertools.product(range(3), range(5)):
        want[index[i, j], j] = 2.5
    np.testing.assert_array_equal(filled, want)
    check_grads(lambda x, s: tg.scatter(x, 0, Tensor(index), s), M, src)
    check_grads(lambda x: x.scatter(1, Tensor(index[:, :2]), value=-1.0), M[:3])


def test_scatter_reduce_and_scatter_add_against_loop():
    index = RNG.integers(0, 4, (6, 5))  # repeated rows
    src = RNG.standard_normal((6, 5))
    want = M.copy()
    prod = M.copy()
    for i, j in itertools.product(range(6), range(5)):
        want[index[i, j], j] += src[i, j]
        prod[index[i, j], j] *= src[i, j]
    np.testing.assert_allclose(tg.scatter_add(Tensor(M), 0, Tensor(index), Tensor(src)).data, want)
    np.testing.assert_allclose(
        tg.scatter(Tensor(M), 0, Tensor(index), Tensor(src), reduce="add").data, want
    )
    np.testing.assert_allclose(
        tg.scatter(Tensor(M), 0, Tensor(index), Tensor(src), reduce="multiply").data, prod
    )
    check_grads(lambda x, s: x.scatter_add(0, Tensor(index), s), M, src)
    with pytest.raises(RuntimeError, match="multiply"):
        tg.scatter(Tensor(M, requires_grad=True), 0, Tensor(index), Tensor(src), reduce="multiply")
    with pytest.raises(ValueError, match="reduce"):
        tg.scatter(Tensor(M), 0, Tensor(index), Tensor(src), reduce="mean")


def test_scatter_into_a_0d_tensor():
    # a 0-d tensor behaves as one element: index 0 writes src there, its gradient moves to src
    x = Tensor(np.array(1.0), requires_grad=True)
    src = Tensor(np.array(3.0), requires_grad=True)
    out = tg.scatter(x, 0, Tensor(np.array(0)), src)
    assert out.shape == () and out.item() == 3.0
    out.backward()
    assert x.grad == 0.0 and src.grad == 1.0
    one, zero = Tensor(np.array(1.0)), Tensor(np.array(0))
    assert tg.scatter_add(one, -1, zero, Tensor(np.array(2.0))).item() == 3.0
    assert tg.scatter(Tensor(np.array(1.0)), 0, Tensor(np.array([0])), value=5.0).item() == 5.0
    with pytest.raises(IndexError, match="out of range"):
        tg.scatter(Tensor(np.array(1.0)), 0, Tensor(np.array(1)), value=5.0)


def test_scatter_errors():
    x = Tensor(M)
    with pytest.raises(IndexError, match="out of range"):
        x.scatter(0, Tensor(np.array([[4]])), 1.0)
    with pytest.raises(ValueError, match="dimensions"):
        x.scatter(0, Tensor(np.array([0])), Tensor(np.ones(1)))
    with pytest.raises(ValueError, match="src's shape"):
        x.scatter(0, Tensor(np.zeros((2, 2), dtype=np.int64)), Tensor(np.ones((1, 2))))
    with pytest.raises(TypeError, match="integer"):
        x.scatter(0, Tensor(np.zeros((1, 1))), 1.0)


def test_index_add_fill_copy_against_loop():
    index = np.array([2, 0, 2, 1])
    source = RNG.standard_normal((3, 4, 5))
    out = tg.index_add(Tensor(A), 1, Tensor(index), Tensor(source), alpha=-1.5).data
    want = A.copy()
    for i, k in enumerate(index):
        want[:, k] += -1.5 * source[:, i]
    np.testing.assert_allclose(out, want)
    check_grads(lambda x, s: x.index_add(1, Tensor(index), s, alpha=-1.5), A, source)

    filled = tg.index_fill(Tensor(A), 2, Tensor(index), -1.0).data
    want = A.copy()
    want[:, :, [0, 1, 2]] = -1.0
    np.testing.assert_array_equal(filled, want)
    check_grads(lambda x: x.index_fill(2, Tensor(index), -1.0), A)
    # a 0-d tensor value gets the gradient of every filled element (once per position)
    check_grads(lambda x, v: x.index_fill(0, Tensor(np.array([1, 1])), v), A, np.array(0.3))

    rows = np.array([2, 0])
    src = RNG.standard_normal((2, 4, 5))
    copied = tg.index_copy(Tensor(A), 0, Tensor(rows), Tensor(src)).data
    want = A.copy()
    want[2], want[0] = src[0], src[1]
    np.testing.assert_array_equal(copied, want)
    check_grads(lambda x, s: x.index_copy(0, Tensor(rows), s), A, src)
    with pytest.raises(ValueError, match="source has shape"):
        Tensor(A).index_add(0, Tensor(rows), Tensor(np.ones((3, 4, 5))))
    with pytest.raises(IndexError, match="out of range"):
        Tensor(A).index_fill(0, Tensor(np.array([3])), 0.0)


def test_masked_scatter_and_masked_select():
    mask = RNG.random((3, 4, 5)) > 0.5
    source = RNG.standard_normal(70)
    out = tg.masked_scatter(Tensor(A), Tensor(mask), Tensor(source)).data
    want = A.copy().reshape(-1)
    k = 0
    for p, m in enumerate(mask.reshape(-1)):  # row-major order, consecutive source values
        if m:
            want[p] = source[k]
            k += 1
    np.testing.assert_array_equal(out, want.reshape(A.shape))
    check_grads(lambda x, s: x.masked_scatter(Tensor(mask), s), A, source)
    column = RNG.random((4, 1)) > 0.5  # broadcasts along the rows
    check_grads(lambda x, s: x.masked_scatter(Tensor(column), s), M, RNG.standard_normal((4, 5)))
    with pytest.raises(ValueError, match="only"):
        tg.masked_scatter(Tensor(A), Tensor(np.ones(A.shape, bool)), Tensor(source[:3]))

    picked = tg.masked_select(Tensor(M), Tensor(column)).data
    np.testing.assert_array_equal(picked, [M[i, j] for i in range(4) for j in range(5)
                                           if column[i, 0]])
    check_grads(lambda x: tg.masked_select(x, Tensor(column)), M)
    vec = RNG.standard_normal(5)  # x broadcast to the mask's shape: repeats add up
    check_grads(lambda x: tg.masked_select(x, Tensor(mask[0])), vec)
    with pytest.raises(TypeError, match="bool"):
        tg.masked_select(Tensor(M), Tensor(np.ones(5)))


def test_take_and_take_along_dim():
    index = RNG.integers(-20, 20, (2, 3))
    out = tg.take(Tensor(M), Tensor(index)).data
    flat = M.reshape(-1)
    np.testing.assert_array_equal(out, [[flat[i] for i in row] for row in index])
    check_grads(lambda x: tg.take(x, Tensor(index)), M)
    with pytest.raises(IndexError, match="out of range"):
        tg.take(Tensor(M), Tensor(np.array([20])))

    idx = RNG.integers(-4, 4, (3, 2, 1))  # broadcast along dim 2
    got = tg.take_along_dim(Tensor(A), Tensor(idx), 1).data
    assert got.shape == (3, 2, 5)
    for i, j, k in itertools.product(range(3), range(2), range(5)):
        assert got[i, j, k] == A[i, idx[i, j, 0] % 4, k]
    check_grads(lambda x: x.take_along_dim(Tensor(idx), 1), A)
    np.testing.assert_array_equal(
        tg.take_along_dim(Tensor(M), Tensor(np.array([[3, 0]]))).data, [flat[3], flat[0]]
    )


# ------------------------------------------------------------------- search / count
def test_nonzero_and_argwhere():
    z = (RNG.random((3, 4)) > 0.5) * RNG.standard_normal((3, 4))
    pairs = [(i, j) for i in range(3) for j in range(4) if z[i, j] != 0]
    got = tg.nonzero(Tensor(z))
    assert got.dtype == np.int64
    assert [tuple(r) for r in got.data.tolist()] == pairs
    rows, cols = Tensor(z).nonzero(as_tuple=True)
    assert list(zip(rows.data.tolist(), cols.data.tolist())) == pairs
    np.testing.assert_array_equal(tg.argwhere(Tensor(z)).data, got.data)
    assert tg.nonzero(tg.tensor(1.0)).shape == (1, 0)
    assert tg.nonzero(tg.tensor(0.0)).shape == (0, 0)


def test_unique_and_unique_consecutive():
    u = RNG.integers(0, 4, (3, 5))
    values, inverse, counts = tg.unique(Tensor(u), return_inverse=True, return_counts=True)
    distinct = sorted(set(u.reshape(-1).tolist()))
    assert values.data.tolist() == distinct
    assert inverse.shape == u.shape
    np.testing.assert_array_equal(values.data[inverse.data], u)
    assert counts.data.tolist() == [int((u == v).sum()) for v in distinct]
    cols = RNG.integers(0, 2, (2, 8))
    values, counts = tg.unique(Tensor(cols), dim=1, return_counts=True)
    distinct = sorted({tuple(c) for c in cols.T.tolist()})
    assert [tuple(c) for c in values.data.T.tolist()] == distinct
    assert counts.data.tolist() == [sum(tuple(c) == d for c in cols.T.tolist()) for d in distinct]

    seq = [1, 1, 2, 2, 3, 1, 1, 2]
    values, inverse, counts = tg.unique_consecutive(
        Tensor(np.array(seq)), return_inverse=True, return_counts=True
    )
    runs = [(k, len(list(g))) for k, g in itertools.groupby(seq)]
    assert values.data.tolist() == [k for k, _ in runs]
    assert counts.data.tolist() == [n for _, n in runs]
    assert inverse.data.tolist() == [i for i, (_, n) in enumerate(runs) for _ in range(n)]


def test_unique_keeps_each_nan_apart():
    # NaN != NaN, so every NaN is a distinct value (after the numbers, in input order)
    x = np.array([3.0, np.nan, 1.0, np.nan, 3.0])
    values, inverse, counts = tg.unique(Tensor(x), return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.data, [1.0, 3.0, np.nan, np.nan])
    assert inverse.data.tolist() == [1, 2, 0, 3, 1]
    assert counts.data.tolist() == [1, 2, 1, 1]
    rows, counts = tg.unique_consecutive(
        Tensor(np.array([[1, 2], [1, 2], [3, 4], [1, 2]])), return_counts=True, dim=0
    )
    assert rows.data.tolist() == [[1, 2], [3, 4], [1, 2]] and counts.data.tolist() == [2, 1, 1]


def test_bincount_and_histc():
    x = RNG.integers(0, 5, 20)
    w = RNG.random(20).astype(np.float32)
    counts = tg.bincount(Tensor(x), minlength=7)
    assert counts.dtype == np.int64
    assert counts.data.tolist() == [int((x == v).sum()) for v in range(7)]
    sums = tg.bincount(Tensor(x), Tensor(w))
    assert sums.dtype == np.float32
    np.testing.assert_allclose(sums.data, [w[x == v].sum() for v in range(5)], rtol=1e-6)
    with pytest.raises(ValueError, match=">= 0"):
        tg.bincount(Tensor(np.array([1, -2])))

    h = RNG.standard_normal(200).astype(np.float32)
    got = tg.histc(Tensor(h), 10, -1, 1).data
    edges = np.linspace(-1, 1, 11)
    want = [((h >= lo) & ((h < hi) if i < 9 else (h <= hi))).sum()
            for i, (lo, hi) in enumerate(zip(edges, edges[1:]))]
    np.testing.assert_array_equal(got, want)
    auto = tg.histc(Tensor(np.array([1.0, 1.0, 2.0, 5.0], np.float32)), bins=4).data
    np.testing.assert_array_equal(auto, [2, 1, 0, 1])  # range [1, 5] in bins of 1; 5 is last
    with pytest.raises(TypeError, match="floating"):
        tg.histc(Tensor(np.array([1, 2])))


def test_histc_bins_are_computed_in_the_tensor_dtype():
    # float32(0.7) is exactly the float32 edge min + 7 * (max - min) / 10 of 10 bins on
    # [0, 1], so it opens bin 7 (in float64 it lies just below 0.7, in bin 6)
    edge = np.float32(0.7)
    assert edge == np.float32(0) + np.float32(7) * (np.float32(1) - np.float32(0)) / np.float32(10)
    got = tg.histc(Tensor(np.array([edge, 0.05], np.float32)), 10, 0, 1).data
    np.testing.assert_array_equal(got, [1, 0, 0, 0, 0, 0, 0, 1, 0, 0])


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_and_bucketize(right):
    seq = np.sort(RNG.integers(0, 10, (3, 6)), axis=1)
    values = RNG.integers(-1, 11, (3, 4))

    def place(row, v):  # first (or, right, last) insertion point keeping row sorted
        return sum(1 for s in row if (s <= v if right else s < v))

    got = tg.searchsorted(Tensor(seq), Tensor(values), right=right).data
    np.testing.assert_array_equal(got, [[place(seq[r], v) for v in values[r]] for r in range(3)])
    flat = tg.searchsorted(Tensor(seq[0]), Tensor(values), side="right" if right else "left")
    np.testing.assert_array_equal(flat.data, [[place(seq[0], v) for v in row] for row in values])
    buckets = tg.bucketize(Tensor(values.astype(float)), Tensor(seq[1].astype(float)), right=right)
    np.testing.assert_array_equal(buckets.data, [[place(seq[1], v) for v in row] for row in values])
    assert tg.searchsorted(Tensor(seq), Tensor(values), out_int32=True).dtype == np.int32
    assert tg.searchsorted(Tensor(seq[0]), 4).shape == ()
    zero_d = tg.searchsorted(Tensor(np.array([1.0, 3.0, 5.0])), Tensor(np.array(3.0)), right=right)
    assert zero_d.shape == () and zero_d.item() == (2 if right else 1)  # a 0-d input: 0-d
    assert tg.bucketize(Tensor(np.array(3.0)), Tensor(np.array([1.0, 3.0, 5.0]))).shape == ()


def test_searchsorted_errors():
    with pytest.raises(ValueError, match="last dimension"):
        tg.searchsorted(Tensor(np.zeros((2, 3))), Tensor(np.zeros((3, 1))))
    with pytest.raises(ValueError, match="contradict"):
        tg.searchsorted(Tensor(np.zeros(3)), 1.0, right=True, side="left")
