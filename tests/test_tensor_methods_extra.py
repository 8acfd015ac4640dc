"""Math, reduction, selection and shape methods ported PyTorch code uses: values against
numpy, gradients against finite differences in float64, PyTorch's conventions at kinks,
ties and zeros, dtypes, and errors that name the op, the value and the allowed range."""

from __future__ import annotations

import numpy as np
import pytest
from test_tensor_grad import away_from_zero, check_grads, normal, positive

import tinygrad_opt as tg
from tinygrad_opt import Tensor

RNG = np.random.default_rng(2024)


def grad_of(fn, array, seed=None):
    """Gradient of sum(fn(x) * seed) at `array` (seed defaults to ones)."""
    x = Tensor(np.asarray(array, dtype=np.float64), requires_grad=True)
    out = fn(x)
    weights = np.ones(out.shape) if seed is None else np.asarray(seed, dtype=np.float64)
    (out * Tensor(weights)).sum().backward()
    return x.grad


# --------------------------------------------------------------------------- elementwise
ELEMENTWISE = [
    ("square", lambda t: t.square(), lambda a: a * a, normal),
    ("rsqrt", lambda t: t.rsqrt(), lambda a: 1 / np.sqrt(a), positive),
    ("reciprocal", lambda t: t.reciprocal(), lambda a: 1 / a, away_from_zero),
    ("sin", lambda t: t.sin(), np.sin, normal),
    ("cos", lambda t: t.cos(), np.cos, normal),
    ("nan_to_num", lambda t: t.nan_to_num(), lambda a: a, normal),
]


@pytest.mark.parametrize("name,fn,ref,make", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_elementwise_values_dtype_and_gradients(name, fn, ref, make, shape):
    a = make(*shape)
    out = fn(Tensor(a.astype(np.float32)))
    assert out.dtype == np.float32 and out.shape == shape
    np.testing.assert_allclose(out.data, ref(a), rtol=1e-5, atol=1e-6)
    check_grads(fn, a)


@pytest.mark.parametrize("name", ["sign", "round", "floor", "ceil"])
def test_step_functions_have_a_zero_gradient(name):
    x = Tensor(np.array([-1.5, 0.4, 2.5, 3.0], dtype=np.float32), requires_grad=True)
    out = getattr(x, name)()
    assert out.dtype == np.float32
    (out * 3).sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, np.zeros(4))


def test_step_function_values_follow_pytorch():
    a = np.array([np.nan, -np.inf, -2.5, -0.5, -0.0, 0.5, 1.5, 2.5, 2.7, np.inf])
    x = Tensor(a)
    # sign(NaN) is 0 in PyTorch (numpy says NaN); rounding is half to even
    np.testing.assert_array_equal(x.sign().data, [0, -1, -1, -1, 0, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(x.round().data[2:-1], [-2, -0.0, 0, 0, 2, 2, 3])
    np.testing.assert_array_equal(x.floor().data[2:-1], [-3, -1, 0, 0, 1, 2, 2])
    np.testing.assert_array_equal(x.ceil().data[2:-1], [-2, 0, 0, 1, 2, 3, 3])
    np.testing.assert_allclose(Tensor([1.2345, -2.55]).round(decimals=2).data, [1.23, -2.55])


def test_step_functions_of_0d_tensors():
    # np.sign of a 0-d array returns a numpy scalar, which sign() then wrote into
    for value, sign in ((-2.5, -1.0), (0.0, 0.0), (3.0, 1.0), (np.nan, 0.0)):
        x = Tensor(np.array(value), requires_grad=True)
        out = x.sign()
        assert out.shape == () and out.dtype == np.float64 and out.item() == sign
        out.backward()
        assert x.grad == 0.0
    for name, expected in (("round", 2.0), ("floor", 2.0), ("ceil", 3.0)):
        assert getattr(Tensor(np.array(2.25)), name)().item() == expected


def test_integer_inputs_keep_or_promote_dtype_as_pytorch():
    i = Tensor(np.array([3, -2, 0], dtype=np.int32))
    assert i.square().dtype == np.int32
    np.testing.assert_array_equal(i.square().data, [9, 4, 0])
    assert i.sign().dtype == np.int32 and i.floor().dtype == np.int32
    assert i.reciprocal().dtype == np.float32 and i.sin().dtype == np.float32
    assert Tensor(np.array([True, False])).square().dtype == np.int64


def test_nan_to_num_values_and_gradient_zero_at_non_finite():
    a = np.array([np.nan, np.inf, -np.inf, 1.5], dtype=np.float32)
    out = Tensor(a).nan_to_num()
    big = np.finfo(np.float32).max
    np.testing.assert_array_equal(out.data, [0, big, -big, 1.5])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(Tensor(a).nan_to_num(1.0, 5.0, -6.0).data, [1, 5, -6, 1.5])
    np.testing.assert_array_equal(grad_of(lambda t: t.nan_to_num(), a), [0, 0, 0, 1])


def test_rsqrt_and_reciprocal_at_zero_give_inf_without_warnings():
    with np.errstate(all="raise"):
        assert Tensor([0.0]).rsqrt().data[0] == np.inf
        assert Tensor([0.0]).reciprocal().data[0] == np.inf


def test_isnan_isfinite_isinf_are_bool_and_outside_the_graph():
    x = Tensor(np.array([np.nan, np.inf, -np.inf, 1.0]), requires_grad=True)
    cases = (
        (x.isnan(), [True, False, False, False]),
        (x.isfinite(), [False, False, False, True]),
        (x.isinf(), [False, True, True, False]),
        (tg.isposinf(x), [False, True, False, False]),
        (tg.isneginf(x), [False, False, True, False]),
    )
    for out, want in cases:
        assert out.dtype == np.bool_ and not out.requires_grad
        np.testing.assert_array_equal(out.data, want)


def test_pow_without_a_tensor_says_so():
    with pytest.raises(TypeError, match="input or exponent must be a Tensor"):
        tg.pow(2.0, 3.0)
    np.testing.assert_allclose(tg.pow(2.0, Tensor([1.0, 3.0])).data, [2.0, 8.0])


@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any_match_numpy(name):
    a = np.array([[1, 0, 1], [1, 1, 1]])
    ref = getattr(np, name)
    for t in (Tensor(a), Tensor(a.astype(bool)), Tensor(a.astype(np.float32))):
        out = getattr(t, name)()
        assert out.dtype == np.bool_ and out.shape == ()
        assert out.item() == ref(a)
        for d in (0, 1, -1):
            np.testing.assert_array_equal(getattr(t, name)(d).data, ref(a, axis=d))
            kept = getattr(t, name)(dim=d, keepdim=True)
            np.testing.assert_array_equal(kept.data, ref(a, axis=d, keepdims=True))


# ---------------------------------------------------------------------------- reductions
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod_values_and_gradients(dim, keepdim):
    a = away_from_zero(3, 4)
    out = Tensor(a.astype(np.float32)).prod(dim, keepdim=keepdim)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, np.prod(a, axis=dim, keepdims=keepdim), rtol=1e-5)
    check_grads(lambda t: t.prod(dim=dim, keepdim=keepdim), a)


def test_prod_gradient_with_zeros_follows_pytorch():
    a = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    # one zero: it gets the product of the others; two zeros: all get 0
    want = [[0, 2, 0], [0, 0, 0], [6, 3, 2], [1, -2, -0.5]]
    np.testing.assert_allclose(grad_of(lambda t: t.prod(1), a), want)
    np.testing.assert_array_equal(grad_of(lambda t: t.prod(), a), np.zeros((4, 3)))
    np.testing.assert_allclose(grad_of(lambda t: t.prod(), [2.0, 0.0, 3.0]), [0, 6, 0])
    assert np.isfinite(grad_of(lambda t: t.prod(0), a)).all()


def test_prod_and_cumsum_of_integers_give_int64():
    a = np.array([[1, 2], [3, 4]], dtype=np.int32)
    assert Tensor(a).prod(1).dtype == np.int64
    np.testing.assert_array_equal(Tensor(a).prod(1).data, [2, 12])
    assert Tensor(a).cumsum(1).dtype == np.int64
    np.testing.assert_array_equal(Tensor(a.astype(bool)).cumsum(0).data, [[1, 1], [2, 2]])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_values_and_gradients(dim):
    a = normal(3, 4)
    out = Tensor(a.astype(np.float32)).cumsum(dim)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, np.cumsum(a, axis=dim), rtol=1e-5, atol=1e-6)
    check_grads(lambda t: t.cumsum(dim), a)
    check_grads(lambda t: t.cumsum(0), normal(5))


@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp_values_and_gradients(dim, keepdim):
    a = normal(3, 4)
    out = Tensor(a.astype(np.float32)).logsumexp(dim, keepdim=keepdim)
    assert out.dtype == np.float32
    want = np.log(np.sum(np.exp(a), axis=dim, keepdims=keepdim))
    np.testing.assert_allclose(out.data, want, rtol=1e-5)
    check_grads(lambda t: t.logsumexp(dim=dim, keepdim=keepdim), a)


def test_logsumexp_is_stable_for_large_and_infinite_inputs():
    big = np.array([[1000.0, 1000.0], [-1000.0, -1001.0]], dtype=np.float32)
    out = Tensor(big).logsumexp(1).data
    np.testing.assert_allclose(out, [1000 + np.log(2), -1000 + np.log1p(np.exp(-1))], rtol=1e-6)
    with np.errstate(all="raise"):
        inf = Tensor(np.array([[-np.inf, -np.inf], [-np.inf, 1.0], [np.inf, 0.0]]))
        np.testing.assert_array_equal(inf.logsumexp(1).data, [-np.inf, 1.0, np.inf])
    np.testing.assert_allclose(grad_of(lambda t: t.logsumexp(0), [-np.inf, 1.0]), [0, 1])


@pytest.mark.parametrize("name,ref", [("amax", np.max), ("amin", np.min)])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_amin_values_and_gradients(name, ref, dim, keepdim):
    a = normal(3, 4)
    out = getattr(Tensor(a.astype(np.float32)), name)(dim, keepdim=keepdim)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, ref(a, axis=dim, keepdims=keepdim), rtol=1e-6)
    check_grads(lambda t: getattr(t, name)(dim=dim, keepdim=keepdim), a)


def test_amax_amin_split_ties_evenly():
    a = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]
    np.testing.assert_allclose(grad_of(lambda t: t.amax(1), a), [[0, 0.5, 0.5], [1 / 3] * 3])
    np.testing.assert_allclose(grad_of(lambda t: t.amax(), [[3.0, 1.0], [3.0, 3.0]]),
                               [[1 / 3, 0], [1 / 3, 1 / 3]])
    np.testing.assert_allclose(grad_of(lambda t: t.amin(0), a), [[1, 0, 0], [0, 1, 1]])


NORMS = [("fro", 2), (2, 2), (1, 1), (float("inf"), np.inf)]


@pytest.mark.parametrize("p,ord_", NORMS, ids=[str(p) for p, _ in NORMS])
@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_norm_values_and_gradients(p, ord_, dim, keepdim):
    a = away_from_zero(3, 4)
    out = Tensor(a.astype(np.float32)).norm(p, dim=dim, keepdim=keepdim)
    assert out.dtype == np.float32
    if dim is None or isinstance(dim, tuple):
        want = np.linalg.norm(a.reshape(-1), ord_)
        if keepdim:
            want = np.reshape(want, (1, 1))
    else:
        want = np.linalg.norm(a, ord_, axis=dim, keepdims=keepdim)
    np.testing.assert_allclose(out.data, want, rtol=1e-5)
    check_grads(lambda t: t.norm(p, dim=dim, keepdim=keepdim), a)


def test_norm_subgradients_follow_pytorch():
    zero = np.zeros(3)
    for p in ("fro", 2, 1, float("inf")):
        assert Tensor(zero).norm(p).item() == 0
        np.testing.assert_array_equal(grad_of(lambda t, p=p: t.norm(p), zero), zero)
    # 2-norm: rows that are zero get 0, the others x / |x|
    rows = np.array([[0.0, 0.0], [3.0, -4.0]])
    np.testing.assert_allclose(grad_of(lambda t: t.norm(dim=1), rows), [[0, 0], [0.6, -0.8]])
    # inf-norm: the elements of largest magnitude share the gradient, with their sign
    np.testing.assert_allclose(grad_of(lambda t: t.norm(float("inf")), [1.0, -3.0, 3.0]),
                               [0, -0.5, 0.5])


# ----------------------------------------------------------------------------- selection
def test_masked_fill_values_dtype_and_gradient():
    a = normal(3, 4)
    mask = np.array([True, False, True, False])  # broadcasts over the rows
    out = Tensor(a.astype(np.float32)).masked_fill(Tensor(mask), -np.inf)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, np.where(mask, -np.inf, a.astype(np.float32)))
    check_grads(lambda t: t.masked_fill(Tensor(mask), 2.5), a)
    np.testing.assert_array_equal(grad_of(lambda t: t.masked_fill(Tensor(mask), 1.0), a),
                                  np.broadcast_to(~mask, (3, 4)))
    check_grads(lambda t, v: t.masked_fill(Tensor(mask), v), a, np.array(0.7))
    wide = RNG.random((2, 3, 4)) < 0.5  # the mask may add dimensions, as PyTorch
    np.testing.assert_array_equal(Tensor(a).masked_fill(Tensor(wide), 0.0).data,
                                  np.where(wide, 0, a))
    check_grads(lambda t: t.masked_fill(Tensor(wide), 0.0), a)
    ints = Tensor(np.arange(4)).masked_fill(Tensor(mask), 9)
    assert ints.dtype == np.arange(4).dtype
    np.testing.assert_array_equal(ints.data, [9, 1, 9, 3])


def test_where_method_is_where_with_self_first():
    a, b = normal(3, 4), normal(3, 4)
    cond = RNG.random((3, 4)) < 0.5
    np.testing.assert_array_equal(Tensor(a).where(Tensor(cond), Tensor(b)).data,
                                  np.where(cond, a, b))
    np.testing.assert_array_equal(Tensor(a).where(cond, 0.0).data, np.where(cond, a, 0))
    check_grads(lambda x, y: x.where(Tensor(cond), y), a, b)


def gather_reference(a, dim, index):
    """out[i][j][k] = a[index[i][j][k]][j][k] (dim 0) and so on, by an explicit loop."""
    out = np.empty(index.shape, dtype=a.dtype)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = a[tuple(src)]
    return out


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_gather_values_and_gradients(dim):
    a = normal(3, 4, 5)
    shape = [2, 3, 4]
    shape[dim] = 6
    index = RNG.integers(0, a.shape[dim], shape)
    out = Tensor(a.astype(np.float32)).gather(dim, Tensor(index))
    assert out.dtype == np.float32 and out.shape == index.shape
    np.testing.assert_allclose(out.data, gather_reference(a, dim % 3, index), rtol=1e-6)
    check_grads(lambda t: t.gather(dim, Tensor(index)), a)


def test_gather_gradient_accumulates_repeated_indices():
    grad = grad_of(lambda t: t.gather(1, Tensor(np.array([[0, 0, 2], [1, 1, 1]]))), normal(2, 3))
    np.testing.assert_array_equal(grad, [[2, 0, 1], [0, 3, 0]])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select_values_and_gradients(dim):
    a = normal(3, 4)
    index = np.array([2, 0, 2, 1])[: a.shape[dim] + 1]
    index = index[index < a.shape[dim]]
    out = Tensor(a.astype(np.float32)).index_select(dim, Tensor(index))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, np.take(a.astype(np.float32), index, axis=dim))
    check_grads(lambda t: t.index_select(dim, Tensor(index)), a)
    grad = grad_of(lambda t: t.index_select(0, Tensor(np.array([1, 1, 0]))), a)
    np.testing.assert_array_equal(grad, [[1] * 4, [2] * 4, [0] * 4])


def test_sort_and_argsort_are_stable_with_nan_largest():
    a = np.array([[1.0, np.nan, 3.0, 2.0, 3.0], [5.0, 4.0, 4.0, 4.0, 0.0]])
    values, indices = Tensor(a).sort()
    np.testing.assert_array_equal(indices.data, [[0, 3, 2, 4, 1], [4, 1, 2, 3, 0]])
    np.testing.assert_array_equal(values.data, np.take_along_axis(a, indices.data, 1))
    desc = Tensor(a).sort(dim=1, descending=True)
    np.testing.assert_array_equal(desc.indices.data, [[1, 2, 4, 3, 0], [0, 1, 2, 3, 4]])
    assert desc.indices.dtype == np.int64 and not desc.indices.requires_grad
    np.testing.assert_array_equal(Tensor(a).argsort(1, descending=True).data, desc.indices.data)
    np.testing.assert_array_equal(Tensor(a).argsort(0).data, np.argsort(a, 0, kind="stable"))


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_values_and_gradients(dim, descending):
    a = normal(3, 4)
    out = Tensor(a.astype(np.float32)).sort(dim, descending=descending)
    want = np.sort(a.astype(np.float32), axis=dim)
    if descending:
        want = np.flip(want, dim)
    assert out.values.dtype == np.float32 and out.indices.dtype == np.int64
    np.testing.assert_array_equal(out.values.data, want)
    check_grads(lambda t: t.sort(dim, descending)[0], a)


@pytest.mark.parametrize("k", [0, 1, 3, 4])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_values_indices_and_gradients(k, largest):
    a = normal(3, 4)
    values, indices = Tensor(a.astype(np.float32)).topk(k, largest=largest)
    order = np.argsort(-a if largest else a, axis=-1)[:, :k]
    np.testing.assert_array_equal(indices.data, order)
    assert indices.dtype == np.int64 and values.dtype == np.float32
    np.testing.assert_array_equal(values.data, np.take_along_axis(a.astype(np.float32), order, 1))
    check_grads(lambda t: t.topk(k, largest=largest).values, a)
    check_grads(lambda t: t.topk(min(k, 3), dim=0).values, a)


def test_topk_with_ties_and_nan_agrees_with_sort():
    a = RNG.integers(0, 4, (3, 7, 5)).astype(np.float64)
    a[0, 2, 1] = a[1, 4, 3] = np.nan  # NaN counts as the largest value, as in PyTorch
    for dim in (0, 1, 2):
        for largest in (True, False):
            for k in range(a.shape[dim] + 1):
                values, indices = Tensor(a).topk(k, dim=dim, largest=largest)
                want = np.take(Tensor(a).sort(dim, descending=largest).values.data,
                               np.arange(k), axis=dim)
                np.testing.assert_array_equal(values.data, want)
                np.testing.assert_array_equal(np.take_along_axis(a, indices.data, dim), want)
                picked = np.sort(indices.data, axis=dim)  # each position at most once
                assert (np.diff(picked, axis=dim) > 0).all()


def test_topk_gradient_goes_to_the_selected_elements():
    grad = grad_of(lambda t: t.topk(2).values, [[1.0, 5.0, 3.0, 4.0]])
    np.testing.assert_array_equal(grad, [[0, 1, 0, 1]])


# ------------------------------------------------------------------------- shape, linalg
def test_t_transposes_matrices_and_keeps_vectors():
    a = normal(3, 4)
    np.testing.assert_array_equal(Tensor(a).t().data, a.T)
    assert Tensor(a[0]).t().shape == (4,) and Tensor(2.0).t().shape == ()
    check_grads(lambda t: t.t(), a)


def test_mm_bmm_outer_values_and_gradients():
    a, b = normal(3, 4), normal(4, 2)
    np.testing.assert_allclose(Tensor(a).mm(Tensor(b)).data, a @ b)
    check_grads(lambda x, y: x.mm(y), a, b)
    c, d = normal(2, 3, 4), normal(2, 4, 5)
    np.testing.assert_allclose(Tensor(c).bmm(Tensor(d)).data, np.einsum("bij,bjk->bik", c, d))
    check_grads(lambda x, y: x.bmm(y), c, d)
    u, v = normal(3), normal(5)
    out = Tensor(u.astype(np.float32)).outer(Tensor(v.astype(np.float32)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, u[:, None] * v[None, :], rtol=1e-6)
    check_grads(lambda x, y: x.outer(y), u, v)


@pytest.mark.parametrize("diagonal", [-2, -1, 0, 1, 5])
def test_tril_triu_values_and_gradients(diagonal):
    a = normal(2, 3, 4)
    assert Tensor(a.astype(np.float32)).tril(diagonal).dtype == np.float32
    np.testing.assert_array_equal(Tensor(a).tril(diagonal).data, np.tril(a, diagonal))
    np.testing.assert_array_equal(Tensor(a).triu(diagonal).data, np.triu(a, diagonal))
    check_grads(lambda t: t.tril(diagonal), a)
    check_grads(lambda t: t.triu(diagonal), a)


def test_chunk_and_split_sizes_follow_pytorch():
    x = Tensor(np.arange(5.0))
    assert [p.shape[0] for p in x.chunk(4)] == [2, 2, 1]  # fewer pieces than asked
    assert [p.shape[0] for p in Tensor(np.arange(6.0)).chunk(4)] == [2, 2, 2]
    assert [p.shape[0] for p in x.split(2)] == [2, 2, 1]
    assert [p.shape[0] for p in x.split([1, 0, 4])] == [1, 0, 4]
    assert [p.shape for p in Tensor(np.zeros((0, 3))).chunk(3)] == [(0, 3)] * 3
    pieces = Tensor(np.arange(12.0).reshape(3, 4)).split(3, dim=1)
    assert isinstance(pieces, tuple)
    np.testing.assert_array_equal(pieces[1].data, [[3], [7], [11]])
    assert np.shares_memory(x.split(2)[1].data, x.data)  # a view


def test_chunk_and_split_pieces_have_gradients():
    a = normal(4, 5)
    for fn in (lambda t: t.chunk(2, 1), lambda t: t.split([1, 3], 0), lambda t: t.split(2, -1)):
        pieces = len(fn(Tensor(a)))
        for i in range(pieces):
            check_grads(lambda t, fn=fn, i=i: fn(t)[i], a)
    x = Tensor(a, requires_grad=True)
    first, second = x.chunk(2, 0)
    (first.sum() + 3 * second.sum()).backward()
    np.testing.assert_array_equal(x.grad, [[1] * 5] * 2 + [[3] * 5] * 2)


@pytest.mark.parametrize("sizes", [(2, 1), (1, 3), (2, 2, 2), (3, 1, 1, 2), (0, 1)])
def test_repeat_is_np_tile_with_summed_gradients(sizes):
    a = normal(2, 3)
    out = Tensor(a.astype(np.float32)).repeat(*sizes)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, np.tile(a.astype(np.float32), sizes))
    np.testing.assert_array_equal(Tensor(a).repeat(sizes).data, np.tile(a, sizes))
    check_grads(lambda t: t.repeat(*sizes), a)


# -------------------------------------------------------------------------------- errors
def test_bad_dimensions_name_the_op_and_the_range():
    x = Tensor(np.ones((2, 3)))
    for call, op in [
        (lambda: x.prod(2), "prod"),
        (lambda: x.cumsum(-3), "cumsum"),
        (lambda: x.logsumexp(5), "logsumexp"),
        (lambda: x.amax(2), "amax"),
        (lambda: x.norm(dim=2), "norm"),
        (lambda: x.all(2), "all"),
        (lambda: x.sort(2), "sort"),
        (lambda: x.argsort(-3), "argsort"),
        (lambda: x.topk(1, dim=2), "topk"),
        (lambda: x.gather(2, Tensor(np.zeros((2, 3), np.int64))), "gather"),
        (lambda: x.index_select(2, Tensor(np.array([0]))), "index_select"),
        (lambda: x.split(1, 2), "split"),
        (lambda: x.chunk(1, 2), "chunk"),
    ]:
        with pytest.raises(ValueError, match=rf"^{op}: dimension -?\d is out of range .*"
                                             r"\(expected -2 to 1\)"):
            call()


def test_index_and_k_errors_name_the_value_and_the_range():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(IndexError, match=r"^gather: index 3 is out of range for dimension 1 of "
                                         r"size 3 \(expected 0 to 2\)$"):
        x.gather(1, Tensor(np.array([[0, 3]])))
    with pytest.raises(IndexError, match=r"^gather: index -1 .*\(expected 0 to 2\)$"):
        x.gather(1, Tensor(np.array([[-1]])))
    with pytest.raises(IndexError, match=r"^index_select: index 2 is out of range for dimension "
                                         r"0 of size 2 \(expected 0 to 1\)$"):
        x.index_select(0, Tensor(np.array([0, 2])))
    with pytest.raises(ValueError, match=r"^topk: k=4 is out of range for dimension -1 of size 3 "
                                         r"\(expected 0 to 3\)$"):
        x.topk(4)
    with pytest.raises(ValueError, match=r"^topk: k=-1 .*\(expected 0 to 3\)$"):
        x.topk(-1)
    with pytest.raises(TypeError, match=r"^topk: k must be an int, got float$"):
        x.topk(1.5)
    with pytest.raises(TypeError, match=r"^gather: index must be an integer tensor, got dtype"):
        x.gather(1, Tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match=r"^gather: index has 1 dimensions but the tensor has 2"):
        x.gather(1, Tensor(np.array([0])))
    with pytest.raises(ValueError, match=r"^gather: index shape \(3, 1\) is larger than"):
        x.gather(1, Tensor(np.zeros((3, 1), np.int64)))


def test_shape_and_argument_errors():
    x = Tensor(np.ones((2, 3)))
    cases = [
        (ValueError, r"^mm: shapes cannot be multiplied \(2x3 and 2x3\)$", lambda: x.mm(x)),
        (ValueError, r"^mm: self must have 2 dimensions, got shape \(3,\)$",
         lambda: Tensor(np.ones(3)).mm(x)),
        (ValueError, r"^bmm: self must have 3 dimensions, got shape \(2, 3\)$", lambda: x.bmm(x)),
        (ValueError, r"^bmm: shapes \(2, 2, 3\) and \(1, 3, 4\) do not match",
         lambda: Tensor(np.ones((2, 2, 3))).bmm(Tensor(np.ones((1, 3, 4))))),
        (ValueError, r"^outer: self must have 1 dimensions, got shape \(2, 3\)$",
         lambda: x.outer(Tensor(np.ones(3)))),
        (ValueError, r"^t: expects a tensor with at most 2 dimensions, got 3",
         lambda: Tensor(np.ones((1, 2, 3))).t()),
        (ValueError, r"^tril: needs a tensor with at least 2 dimensions, got shape \(3,\)$",
         lambda: Tensor(np.ones(3)).tril()),
        (ValueError, r"^repeat: needs at least 2 sizes for a tensor of shape \(2, 3\), got \(2,\)$",
         lambda: x.repeat(2)),
        (ValueError, r"^repeat: sizes must be >= 0, got \(-1, 2\)$", lambda: x.repeat(-1, 2)),
        (ValueError, r"^split: sizes \[1, 1\] must be >= 0 and add up to 3, the size of dim",
         lambda: x.split([1, 1], 1)),
        (ValueError, r"^split: split_size must be positive .*got 0", lambda: x.split(0)),
        (ValueError, r"^chunk: chunks must be a positive int, got 0$", lambda: x.chunk(0)),
        (ValueError, r"^norm: p must be 1, 2, inf or 'fro', got 3$", lambda: x.norm(3)),
        (TypeError, r"^norm: needs a floating-point tensor, got int64$",
         lambda: Tensor(np.array([1, 2])).norm()),
        (TypeError, r"^masked_fill: the mask must be a bool tensor, got dtype int64$",
         lambda: x.masked_fill(Tensor(np.array([1, 0, 1])), 0.0)),
        (ValueError, r"^masked_fill: mask of shape \(4,\) and tensor of shape \(2, 3\) cannot",
         lambda: x.masked_fill(Tensor(np.ones(4, bool)), 0.0)),
        (TypeError, r"^cumsum: dim is required", lambda: x.cumsum()),
        (TypeError, r"^round: not defined for bool tensors",
         lambda: Tensor(np.array([True])).round()),
        (ValueError, r"^amax: cannot reduce an empty tensor", lambda: Tensor(np.ones(0)).amax()),
    ]
    for error, pattern, call in cases:
        with pytest.raises(error, match=pattern):
            call()


def test_inf_norm_over_an_empty_dimension_names_the_op():
    x = Tensor(np.zeros((0, 3)))
    for kwargs in ({}, {"dim": 0}, {"dim": (0, 1)}):
        with pytest.raises(ValueError, match="norm: p=inf over a size-0 dimension"):
            x.norm(np.inf, **kwargs)
    assert x.norm(np.inf, dim=1).shape == (0,)  # the empty dimension is kept, not reduced
