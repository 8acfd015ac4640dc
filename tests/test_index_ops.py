"""scatter_reduce / index_reduce (ops/scatter_reduce.py), index_put / put (ops/index_put.py),
slice/select/diagonal_scatter (ops/slice_scatter.py) and Tensor.unfold (ops/unfold.py):
values against naive loops, gradients against float64 finite differences and, for ties,
the hand-derived even split; bad input raises and leaves in-place targets unchanged."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from test_tensor_grad import check_grads

import tinygrad_opt as tg
from tinygrad_opt import Tensor

RNG = np.random.default_rng(23)
REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _groups(x, dim, index, src, include_self):
    """Per position of x: the list of values reduced there (its own value first when it
    takes part), as (value, owner) with owner 'self' or the src position."""
    groups = {p: ([(x[p], "self")] if include_self else []) for p in np.ndindex(x.shape)}
    for q in np.ndindex(index.shape):
        p = list(q)
        p[dim] = index[q]
        groups[tuple(p)].append((src[q], q))
    return groups


def _reduce_loop(x, dim, index, src, reduce, include_self):
    out = x.copy()
    for p, vals in _groups(x, dim, index, src, include_self).items():
        v = [val for val, _ in vals]
        if not v:  # include_self=False and nothing scattered: keeps its value
            continue
        if reduce == "sum":
            out[p] = sum(v)
        elif reduce == "prod":
            out[p] = math.prod(v)
        elif reduce == "mean":
            out[p] = sum(v) / len(v) if x.dtype.kind == "f" else sum(v) // len(v)
        elif reduce == "amax":
            out[p] = max(v)
        else:
            out[p] = min(v)
    return out


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_reduce_against_loop(reduce, include_self, dim):
    x = RNG.standard_normal((3, 4, 2))
    ax = dim % 3
    ishape = [3, 4, 2]
    ishape[ax] = 5  # longer than x along dim: repeats
    index = RNG.integers(0, x.shape[ax], ishape)
    src = RNG.standard_normal((6, 6, 6))  # larger than index: only src[:i0, :i1, :i2] is read
    got = Tensor(x).scatter_reduce(dim, Tensor(index), Tensor(src), reduce,
                                   include_self=include_self)
    want = _reduce_loop(x, ax, index, src[: ishape[0], : ishape[1], : ishape[2]], reduce,
                        include_self)
    np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)
    fn = tg.scatter_reduce(Tensor(x), dim, Tensor(index), Tensor(src), reduce,
                           include_self=include_self)
    np.testing.assert_array_equal(fn.data, got.data)


@pytest.mark.parametrize("reduce", REDUCES)
def test_scatter_reduce_on_integers(reduce):
    # integer 'mean' floors, as torch (negative sums round down)
    x = RNG.integers(-9, 9, 6)
    index = RNG.integers(0, 6, 10)
    src = RNG.integers(-9, 9, 10)
    for include_self in (True, False):
        got = tg.scatter_reduce(Tensor(x), 0, Tensor(index), Tensor(src), reduce,
                                include_self=include_self)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got.data, _reduce_loop(x, 0, index, src, reduce,
                                                             include_self))


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradients(reduce, include_self):
    # distinct continuous values: no ties, so every reduction is differentiable here
    x = RNG.standard_normal((4, 3))
    index = RNG.integers(0, 4, (6, 3))
    src = RNG.standard_normal((6, 3))
    check_grads(lambda a, s: a.scatter_reduce(0, Tensor(index), s, reduce,
                                              include_self=include_self), x, src)
    check_grads(lambda a, s: a.scatter_reduce(1, Tensor(index[:4, :2] % 3), s, reduce,
                                              include_self=include_self), x, src[:5])


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_gradient_with_zeros(include_self):
    # one zero at a position: the zero's gradient is the product of the others, the rest 0;
    # two zeros: all 0 (the product is a polynomial, so finite differences still hold)
    x = np.array([2.0, 0.0, 3.0, 1.5])
    index = np.array([0, 0, 1, 1, 1, 2])
    src = np.array([0.0, 4.0, 0.0, 5.0, -2.0, 0.0])
    check_grads(lambda a, s: a.scatter_reduce(0, Tensor(index), s, "prod",
                                              include_self=include_self), x, src)


def _tie_split_loop(x, dim, index, src, g, reduce, include_self):
    """The even split of g among the values equal to the result, by hand."""
    out = _reduce_loop(x, dim, index, src, reduce, include_self)
    gx, gs = np.zeros_like(x), np.zeros_like(src)
    for p, vals in _groups(x, dim, index, src, include_self).items():
        vals = vals or [(x[p], "self")]  # left alone: x passes its gradient through
        ties = [owner for val, owner in vals if val == out[p]]
        for owner in ties:
            if owner == "self":
                gx[p] += g[p] / len(ties)
            else:
                gs[owner] += g[p] / len(ties)
    return gx, gs


@pytest.mark.parametrize("reduce", ["amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_ties_split_the_gradient_evenly(reduce, include_self):
    x = RNG.integers(-2, 3, (4, 3)).astype(np.float64)  # few values: many ties
    index = RNG.integers(0, 4, (7, 3))
    src = RNG.integers(-2, 3, (7, 3)).astype(np.float64)
    g = RNG.standard_normal((4, 3))
    tx, ts = Tensor(x, requires_grad=True), Tensor(src, requires_grad=True)
    tx.scatter_reduce(0, Tensor(index), ts, reduce, include_self=include_self).backward(g)
    want_x, want_s = _tie_split_loop(x, 0, index, src, g, reduce, include_self)
    np.testing.assert_allclose(tx.grad, want_x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ts.grad, want_s, rtol=1e-12, atol=1e-12)
    # the shares at each position add up to its gradient
    np.testing.assert_allclose(tx.grad + np.bincount(
        (index * 3 + np.arange(3)).ravel(), ts.grad.ravel(), minlength=12).reshape(4, 3), g)


def test_scatter_reduce_0d_and_empty_index():
    out = tg.scatter_reduce(tg.tensor(2.0), 0, Tensor(np.array(0)), tg.tensor(3.0), "prod")
    assert out.shape == () and out.item() == 6.0
    x = np.array([1.0, 2.0])
    empty = Tensor(x).scatter_reduce(0, Tensor(np.zeros(0, np.int64)), Tensor(np.zeros(0)),
                                     "mean", include_self=False)
    np.testing.assert_array_equal(empty.data, x)


def test_scatter_reduce_errors_leave_the_tensor_unchanged():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    before = x.data.copy()
    index = Tensor(np.array([[0, 1, 1]]))
    src = Tensor(np.ones((1, 3)))
    cases = [
        (ValueError, "reduce must be one of", (0, index, src, "max")),
        (IndexError, "index 2 is out of range for dimension 0 of size 2",
         (0, Tensor(np.array([[0, 2, 1]])), src, "sum")),
        (IndexError, "index -1 is out of range", (0, Tensor(np.array([[0, -1, 1]])), src, "sum")),
        (TypeError, "index must be an integer tensor, got dtype float64",
         (0, Tensor(np.zeros((1, 3))), src, "sum")),
        (ValueError, "index has 1 dimensions but the tensor has 2",
         (0, Tensor(np.array([0])), src, "sum")),
        (ValueError, "larger than src's shape",
         (0, Tensor(np.zeros((2, 3), np.int64)), src, "sum")),
    ]
    for error, match, args in cases:
        with pytest.raises(error, match=match):
            x.scatter_reduce(*args)
        with pytest.raises(error, match=match):
            x.scatter_reduce_(*args)
        np.testing.assert_array_equal(x.data, before)
    with pytest.raises(TypeError, match="include_self must be a bool"):
        x.scatter_reduce_(0, index, src, "sum", include_self="no")
    flags = Tensor(np.array([True, False]))
    with pytest.raises(TypeError, match="reduce='mean' needs a numeric tensor, got dtype bool"):
        flags.scatter_reduce_(0, Tensor(np.array([0, 0])), Tensor(np.array([True, True])), "mean")
    np.testing.assert_array_equal(flags.data, [True, False])
    with pytest.raises(TypeError, match="float64 cannot be reduced into a int64"):
        Tensor(np.zeros(3, np.int64)).scatter_reduce_(0, Tensor(np.array([0])),
                                                      Tensor(np.ones(1)), "sum")
    np.testing.assert_array_equal(x.data, before)


def test_scatter_reduce_in_place():
    x = RNG.standard_normal((3, 4))
    index = RNG.integers(0, 3, (5, 4))
    src = RNG.standard_normal((5, 4))
    t = Tensor(x.copy())
    assert t.scatter_reduce_(0, Tensor(index), Tensor(src), "amax", include_self=False) is t
    np.testing.assert_allclose(t.data, _reduce_loop(x, 0, index, src, "amax", False))
    with pytest.raises(RuntimeError, match="requires grad"):
        Tensor(x, requires_grad=True).scatter_reduce_(0, Tensor(index), Tensor(src), "sum")


def test_scatter_reduce_form_of_scatter_exists_already():
    # scatter(..., reduce='add'|'multiply') predates these ops; check it still agrees
    x, src = RNG.standard_normal((3, 4)), RNG.standard_normal((5, 4))
    index = RNG.integers(0, 3, (5, 4))
    np.testing.assert_allclose(Tensor(x).scatter(0, Tensor(index), Tensor(src), reduce="add").data,
                               _reduce_loop(x, 0, index, src, "sum", True))
    np.testing.assert_allclose(
        Tensor(x).scatter(0, Tensor(index), Tensor(src), reduce="multiply").data,
        _reduce_loop(x, 0, index, src, "prod", True))


# -------------------------------------------------------------------- index_reduce
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_against_loop_and_gradients(reduce, include_self):
    x = RNG.standard_normal((3, 4))
    index = np.array([3, 0, 3, 3, 1])
    source = RNG.standard_normal((3, 5))
    got = x.copy()
    for j in range(4):
        picked = [source[:, i] for i in range(5) if index[i] == j]
        if not picked:
            continue
        stack = np.stack(([x[:, j]] if include_self else []) + picked)
        got[:, j] = {"prod": np.prod, "mean": np.mean, "amax": np.max,
                     "amin": np.min}[reduce](stack, axis=0)
    out = tg.index_reduce(Tensor(x), 1, Tensor(index), Tensor(source), reduce,
                          include_self=include_self)
    np.testing.assert_allclose(out.data, got, rtol=1e-12)
    t = Tensor(x.copy())
    t.index_reduce_(1, Tensor(index), Tensor(source), reduce, include_self=include_self)
    np.testing.assert_allclose(t.data, got, rtol=1e-12)
    check_grads(lambda a, s: a.index_reduce(1, Tensor(index), s, reduce,
                                            include_self=include_self), x, source)


def test_index_reduce_errors():
    x = Tensor(np.ones((3, 2)))
    with pytest.raises(ValueError, match="reduce must be one of 'prod', 'mean', 'amax', 'amin'"):
        x.index_reduce_(0, Tensor(np.array([0])), Tensor(np.ones((1, 2))), "sum")
    with pytest.raises(IndexError, match="out of range"):
        x.index_reduce_(0, Tensor(np.array([3])), Tensor(np.ones((1, 2))), "prod")
    with pytest.raises(ValueError, match="source has shape"):
        x.index_reduce_(0, Tensor(np.array([0, 1])), Tensor(np.ones((2, 3))), "prod")
    with pytest.raises(ValueError, match="1-D or 0-d"):
        x.index_reduce_(0, Tensor(np.array([[0, 1]])), Tensor(np.ones((2, 2))), "prod")
    np.testing.assert_array_equal(x.data, np.ones((3, 2)))


# ----------------------------------------------------------------- index_put / put
def test_index_put_against_loop():
    x = RNG.standard_normal((3, 4, 2))
    rows, cols = np.array([[0], [2]]), np.array([1, -1, 3])  # broadcast to (2, 3)
    values = RNG.standard_normal((3, 2))  # broadcasts to the indexed shape (2, 3, 2)
    want = x.copy()
    for i, j in itertools.product(range(2), range(3)):
        want[rows[i, 0], cols[j] % 4] = values[j]
    got = Tensor(x).index_put((Tensor(rows), Tensor(cols)), Tensor(values))
    np.testing.assert_array_equal(got.data, want)
    np.testing.assert_array_equal(tg.index_put(Tensor(x), [rows, cols], Tensor(values)).data, want)

    dup = np.array([1, 1, -2, 0])  # -2 is row 1 again: accumulate adds all three
    v = RNG.standard_normal((4, 4, 2))
    want = x.copy()
    for k, r in enumerate(dup):
        want[r] += v[k]
    got = Tensor(x).index_put((Tensor(dup),), Tensor(v), accumulate=True)
    np.testing.assert_allclose(got.data, want, rtol=1e-12)

    mask = np.array([True, False, True])
    want = x.copy()
    want[[0, 2]] = 7.0
    np.testing.assert_array_equal(Tensor(x).index_put((Tensor(mask),), 7.0).data, want)

    t = Tensor(x.copy())
    assert t.index_put_((Tensor(dup),), Tensor(v), accumulate=True) is t
    np.testing.assert_allclose(t.data, x + np.stack([v[3], v[0] + v[1] + v[2], 0 * v[0]]))
    u = Tensor(x.copy())
    assert tg.index_put_(u, (Tensor(dup),), Tensor(v), accumulate=True) is u
    np.testing.assert_array_equal(u.data, t.data)
    ints = Tensor(np.zeros(3, np.int64))
    with pytest.raises(TypeError, match="float64 cannot be written into a int64"):
        ints.index_put_((Tensor(np.array([1])),), 2.5)
    np.testing.assert_array_equal(ints.data, 0)


def test_index_put_gradients():
    x = RNG.standard_normal((3, 4))
    dup = np.array([1, 1, 2, 1])
    check_grads(lambda a, v: a.index_put((Tensor(dup),), v, accumulate=True), x,
                RNG.standard_normal((4, 4)))
    rows, cols = np.array([0, 2, 1]), np.array([3, 0, 0])  # distinct positions
    check_grads(lambda a, v: a.index_put((Tensor(rows), Tensor(cols)), v), x,
                RNG.standard_normal(3))
    check_grads(lambda a, v: a.index_put((Tensor(rows),), v), x,  # values broadcast
                RNG.standard_normal((1, 4)))


def test_put_against_loop_and_gradients():
    x = RNG.standard_normal((3, 4))
    index = np.array([[5, -1], [0, 7]])
    source = RNG.standard_normal((2, 2))
    want = x.copy().reshape(-1)
    for k, i in enumerate(index.reshape(-1)):
        want[i] = source.reshape(-1)[k]
    np.testing.assert_array_equal(tg.put(Tensor(x), Tensor(index), Tensor(source)).data,
                                  want.reshape(3, 4))
    check_grads(lambda a, s: a.put(Tensor(index), s), x, source)
    twice = np.array([5, 5, 11])
    want = x.copy().reshape(-1)
    for k, i in enumerate(twice):
        want[i] += k + 1.0
    t = Tensor(x.copy())
    t.put_(Tensor(twice), Tensor(np.array([1.0, 2.0, 3.0])), accumulate=True)
    np.testing.assert_allclose(t.data, want.reshape(3, 4))
    check_grads(lambda a, s: a.put(Tensor(twice), s, accumulate=True), x, np.ones(3))


def test_index_put_and_put_errors_leave_the_tensor_unchanged():
    x = Tensor(np.arange(12.0).reshape(3, 4))
    before = x.data.copy()
    cases = [
        (IndexError, "index 3 is out of range for dimension 0 of size 3",
         ((Tensor(np.array([3])),), Tensor(np.array(0.0)))),
        (TypeError, "index 0 must be an integer", ((Tensor(np.array([1.0])),), 0.0)),
        (IndexError, "too many indices", ((np.array([0]),) * 3, 0.0)),
        (ValueError, "cannot broadcast to the shape", ((np.array([0, 1]),), Tensor(np.ones(3)))),
        (ValueError, "cannot broadcast together", ((np.array([0, 1]), np.array([0, 1, 2])), 0.0)),
        (TypeError, "must be a tuple of index tensors", (Tensor(np.array([0])), 0.0)),
        (IndexError, "bool index 0 has shape", ((np.array([True, False]),), 0.0)),
        (IndexError, "index 0 is a 0-d bool tensor", ((np.array(True),), 0.0)),
    ]
    for error, match, args in cases:
        with pytest.raises(error, match=match):
            x.index_put(*args)
        with pytest.raises(error, match=match):
            x.index_put_(*args)
        np.testing.assert_array_equal(x.data, before)
    with pytest.raises(TypeError, match="index must be an int64 tensor, got dtype int32"):
        x.put_(Tensor(np.array([0], np.int32)), Tensor(np.ones(1)))
    with pytest.raises(ValueError, match="source has 2 elements but index has 1"):
        x.put_(Tensor(np.array([0])), Tensor(np.ones(2)))
    with pytest.raises(IndexError, match="out of range"):
        x.put_(Tensor(np.array([12])), Tensor(np.ones(1)))
    np.testing.assert_array_equal(x.data, before)


# --------------------------------------------------------- slice/select/diagonal scatter
def test_slice_select_diagonal_scatter_against_loop_and_gradients():
    x = RNG.standard_normal((3, 4, 5))
    src = RNG.standard_normal((3, 2, 5))
    want = x.copy()
    for k, j in enumerate(range(1, 4, 2)):
        want[:, j] = src[:, k]
    np.testing.assert_array_equal(tg.slice_scatter(Tensor(x), Tensor(src), 1, 1, None, 2).data,
                                  want)
    check_grads(lambda a, s: a.slice_scatter(s, dim=1, start=1, step=2), x, src)

    plane = RNG.standard_normal((3, 4))
    want = x.copy()
    for i, j in itertools.product(range(3), range(4)):
        want[i, j, 3] = plane[i, j]
    np.testing.assert_array_equal(tg.select_scatter(Tensor(x), Tensor(plane), 2, -2).data, want)
    check_grads(lambda a, s: a.select_scatter(s, 2, -2), x, plane)

    for offset, d1, d2 in [(1, 0, 2), (-1, 2, 1), (0, 1, 0)]:
        n1, n2 = x.shape[d1], x.shape[d2]
        pos = [(i, i + offset) for i in range(max(n1, n2)) if 0 <= i < n1 and 0 <= i + offset < n2]
        other = [d for d in range(3) if d not in (d1, d2)][0]
        diag = RNG.standard_normal((x.shape[other], len(pos)))
        want = x.copy()
        for k, (i, j) in enumerate(pos):
            for o in range(x.shape[other]):
                p = [0, 0, 0]
                p[d1], p[d2], p[other] = i, j, o
                want[tuple(p)] = diag[o, k]
        got = tg.diagonal_scatter(Tensor(x), Tensor(diag), offset, d1, d2)
        np.testing.assert_array_equal(got.data, want)
        check_grads(lambda a, s, o=offset, p=d1, q=d2: a.diagonal_scatter(s, o, p, q), x, diag)


def test_view_scatter_errors():
    x = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"src has shape \(3, 3\); expected \(3, 2\)"):
        tg.slice_scatter(x, Tensor(np.ones((3, 3))), 1, 1, 4, 2)
    with pytest.raises(ValueError, match="step must be positive, got 0"):
        tg.slice_scatter(x, Tensor(np.ones((3, 2))), 1, 0, 4, 0)
    with pytest.raises(IndexError, match="index 3 is out of range for dimension 0 of size 3"):
        tg.select_scatter(x, Tensor(np.ones(4)), 0, 3)
    with pytest.raises(ValueError, match=r"expected \(3,\)"):
        tg.diagonal_scatter(x, Tensor(np.ones(4)))
    with pytest.raises(ValueError, match="dim1 and dim2 must differ"):
        tg.diagonal_scatter(x, Tensor(np.ones(3)), 0, 1, -1)


# ------------------------------------------------------------------------- unfold
@pytest.mark.parametrize("dim,size,step", [(0, 2, 1), (1, 3, 2), (2, 5, 1), (2, 2, 3),
                                           (-1, 4, 1), (1, 1, 1)])
def test_unfold_against_loop_and_gradients(dim, size, step):
    x = RNG.standard_normal((3, 4, 5))
    ax = dim % 3
    count = (x.shape[ax] - size) // step + 1
    got = Tensor(x).unfold(dim, size, step)
    shape = list(x.shape)
    shape[ax] = count
    assert got.shape == tuple(shape) + (size,)
    for p in np.ndindex(got.shape):
        q = list(p[:-1])
        q[ax] = p[ax] * step + p[-1]
        assert got.data[p] == x[tuple(q)]
    check_grads(lambda a: a.unfold(dim, size, step), x)


def test_unfold_is_a_view_and_checks_its_arguments():
    x = Tensor(np.arange(6.0))
    windows = x.unfold(0, 3, 3)
    x.data[4] = -1.0  # a later change of x shows in the view, as torch
    assert windows.data[1, 1] == -1.0
    assert tg.tensor(3.0).unfold(0, 1, 1).shape == (1,)
    assert x.unfold(0, 0, 2).shape == (4, 0)
    with pytest.raises(ValueError, match="size 7 is larger than dimension 0, of size 6"):
        x.unfold(0, 7, 1)
    with pytest.raises(ValueError, match="step must be > 0, got 0"):
        x.unfold(0, 2, 0)
    with pytest.raises(ValueError, match="size must be >= 0, got -1"):
        x.unfold(0, -1, 1)
