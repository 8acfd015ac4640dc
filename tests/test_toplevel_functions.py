"""torch's remaining top-level functions: creation, dtype queries, view copies, numerical
calculus, binning, legacy linear algebra, and a signature check of every top-level function
added (torch's positional parameter order, written here from torch's documentation).

References are written here: naive loops, the documented formulas, numpy, and float64
central differences for gradients.
"""

import inspect
import warnings

import numpy as np
import pytest
from householder_reference import householder_q

import tinygrad_opt as tg

RNG = np.random.default_rng(0)


def _central_differences(f, arrays, eps=1e-6):
    """d sum(f(*arrays) * R) / d arrays, numerically, with a fixed random projection R."""
    probe = np.random.default_rng(1)
    out = f(*arrays)
    weights = probe.standard_normal(np.shape(out))
    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        for k in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[i][k] += eps
            minus[i][k] -= eps
            g[k] = (np.sum(f(*plus) * weights) - np.sum(f(*minus) * weights)) / (2 * eps)
        grads.append(g)
    return weights, grads


def _check_gradient(tg_fn, np_fn, *arrays, rtol=1e-6, atol=1e-8):
    weights, numeric = _central_differences(np_fn, [np.asarray(a, np.float64) for a in arrays])
    tensors = [tg.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
    (tg_fn(*tensors) * tg.tensor(weights)).sum().backward()
    for t, g in zip(tensors, numeric):
        np.testing.assert_allclose(t.grad, g, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ creation
def test_as_tensor_and_asarray_share_memory_when_they_can():
    a = np.arange(4.0)
    t = tg.as_tensor(a)
    a[0] = 9.0
    assert t.dtype == np.float64 and t.numpy()[0] == 9.0
    cast = tg.as_tensor(a, dtype=tg.float32)
    a[1] = 7.0
    assert cast.dtype == np.float32 and cast.numpy()[1] == 1.0
    x = tg.tensor([1.0, 2.0])
    assert tg.as_tensor(x) is x
    assert tg.as_tensor([1, 2]).dtype == np.int64 and tg.as_tensor([1.5]).dtype == np.float32
    shared = tg.asarray(a)
    a[2] = 5.0
    assert shared.numpy()[2] == 5.0
    copied = tg.asarray(a, copy=True)
    a[3] = -1.0
    assert copied.numpy()[3] == 3.0
    assert tg.asarray([1.0, 2.0], requires_grad=True).requires_grad
    leaf = tg.tensor([1.0, 2.0], requires_grad=True)
    assert tg.asarray(leaf) is leaf  # torch 2.13: obj's requires_grad and history kept
    doubled = tg.asarray(leaf * 2, dtype=tg.float64)
    doubled.sum().backward()
    np.testing.assert_array_equal(leaf.grad, [2.0, 2.0])
    detached = tg.asarray(leaf, requires_grad=False)
    assert not detached.requires_grad and np.shares_memory(detached.numpy(), leaf.numpy())
    fresh = tg.asarray(tg.tensor([1.0]), requires_grad=True)
    assert fresh.requires_grad and fresh.is_leaf
    copied_t = tg.asarray(leaf, copy=True)
    assert not np.shares_memory(copied_t.numpy(), leaf.numpy()) and copied_t.requires_grad
    with pytest.raises(ValueError, match="copy=False, but the data \\(float64\\) must be cast"):
        tg.asarray(a, dtype=tg.float32, copy=False)
    with pytest.raises(ValueError, match="copy=False, but list data must be copied"):
        tg.asarray([1.0], copy=False)


def test_scalar_tensor_empty_strided_permuted_frombuffer():
    s = tg.scalar_tensor(3)
    assert s.shape == () and s.dtype == np.float32 and s.item() == 3.0
    assert tg.scalar_tensor(True, dtype=tg.float64).dtype == np.float64
    e = tg.empty_strided((2, 3), (1, 2))
    assert e.stride() == (1, 2) and not e.numpy().any()
    p = tg.empty_permuted((2, 3, 4), (0, 2, 1))
    assert p.shape == (2, 3, 4) and p.stride() == (12, 1, 3)
    with pytest.raises(ValueError, match="physical_layout must be a permutation of 0..2"):
        tg.empty_permuted((2, 3, 4), (0, 1, 1))
    with pytest.raises(ValueError, match="size and stride must have the same length"):
        tg.empty_strided((2, 3), (1,))
    buf = bytearray(np.array([1, 2, 3], dtype=np.int32).tobytes())
    t = tg.frombuffer(buf, dtype=tg.int32, count=2, offset=4)
    np.testing.assert_array_equal(t.numpy(), [2, 3])
    buf[4] = 8  # shares the buffer
    assert t.numpy()[0] == 8


def test_fill_and_its_gradient():
    x = tg.zeros(2, 3, dtype=tg.float64)
    out = tg.fill(x, 2.5)
    np.testing.assert_array_equal(out.numpy(), np.full((2, 3), 2.5))
    assert not x.numpy().any()
    v = tg.tensor(np.float64(1.5), requires_grad=True)
    (tg.fill(x, v) * tg.tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    assert v.grad == pytest.approx(15.0)  # d/dv sum(v * w) = sum(w)
    with pytest.raises(ValueError, match="value must be a number or a 0-d tensor"):
        tg.fill(x, tg.ones(2))


def test_range_includes_its_end():
    with pytest.warns(UserWarning, match="deprecated"):
        r = tg.range(0, 1, 0.25)
    np.testing.assert_allclose(r.numpy(), [0.0, 0.25, 0.5, 0.75, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert tg.range(0, 3).dtype == np.float32
        np.testing.assert_array_equal(tg.range(1, 4, dtype=tg.int64).numpy(), [1, 2, 3, 4])
        np.testing.assert_allclose(tg.range(3, 0, -1.5).numpy(), [3.0, 1.5, 0.0])
        with pytest.raises(ValueError, match="inconsistent with step sign"):
            tg.range(0, 3, -1)
        with pytest.raises(ValueError, match="step must be non-zero"):
            tg.range(0, 3, 0)


# ------------------------------------------------------------------ dtype and shape queries
def test_promote_types_and_can_cast_follow_torchs_categories():
    table = [
        (tg.int32, tg.float32, np.float32), (tg.int64, tg.float32, np.float32),
        (tg.uint8, tg.int8, np.int16), (tg.float32, tg.float64, np.float64),
        (tg.bool, tg.int32, np.int32), (tg.float16, tg.int64, np.float16),
    ]
    for a, b, expected in table:
        assert tg.promote_types(a, b) == expected and tg.promote_types(b, a) == expected
    category = {np.bool_: 0, np.uint8: 1, np.int32: 1, np.int64: 1, np.float32: 2,
                np.float64: 2}
    for f, cf in category.items():
        for t, ct in category.items():
            assert tg.can_cast(f, t) == (cf <= ct), (f, t)
    with pytest.raises(TypeError, match="type1 must be a dtype"):
        tg.promote_types("nonsense", tg.int32)


def test_result_type():
    i32 = tg.tensor(np.array([1], dtype=np.int32))
    f32 = tg.tensor(np.array([1.0], dtype=np.float32))
    zero_d64 = tg.tensor(np.float64(1.0))
    assert tg.result_type(i32, 2) == np.int32  # a Python int keeps the tensor's int dtype
    assert tg.result_type(i32, 2.5) == np.float32  # a float gives the default float dtype
    assert tg.result_type(f32, zero_d64) == np.float32  # 0-d of the same category: no say
    assert tg.result_type(i32, zero_d64) == np.float64  # 0-d of a higher category decides
    assert tg.result_type(i32, f32) == np.float32
    assert tg.result_type(True, 3) == np.int64
    with pytest.raises(TypeError, match="expected Tensors or numbers, got str"):
        tg.result_type(i32, "x")


def test_broadcast_shapes_typename_is_storage():
    assert tg.broadcast_shapes((2, 1), (3,), 1) == (2, 3)
    assert isinstance(tg.broadcast_shapes((4,)), tg.Size)
    with pytest.raises(ValueError, match="cannot be broadcast together"):
        tg.broadcast_shapes((2,), (3,))
    assert tg.typename(tg.zeros(2)) == "tinygrad_opt.FloatTensor"
    assert tg.typename(tg.zeros(2, dtype=tg.int64)) == "tinygrad_opt.LongTensor"
    assert tg.typename(3) == "int"
    assert tg.typename(tg.nn.Linear(2, 2)) == "tinygrad_opt.nn.linear.Linear"
    assert tg.is_storage(tg.zeros(2)) is False


def test_unravel_index_matches_divmod():
    shape = (3, 4, 5)
    flat = np.array([0, 7, 59, -1, 23])
    coords = tg.unravel_index(tg.tensor(flat), shape)
    for k, f in enumerate(flat):
        f = f % 60
        expected = (f // 20, (f // 5) % 4, f % 5)
        assert tuple(int(c.numpy()[k]) for c in coords) == expected
    assert all(c.dtype == np.int64 for c in coords)
    with pytest.raises(ValueError, match=r"indices must lie in \[-60, 60\)"):
        tg.unravel_index(tg.tensor([60]), shape)
    with pytest.raises(TypeError, match="indices must be integers"):
        tg.unravel_index(tg.tensor([1.0]), shape)


# ------------------------------------------------------------------ copies of views
def test_view_copies_hold_the_views_values_in_memory_of_their_own():
    a = RNG.standard_normal((3, 4))
    x = tg.tensor(a)
    cases = [
        (tg.alias_copy(x), a), (tg.detach_copy(x), a),
        (tg.diagonal_copy(x, 1), np.diagonal(a, 1)),
        (tg.expand_copy(tg.tensor(a[:1]), [3, 4]), np.broadcast_to(a[:1], (3, 4))),
        (tg.permute_copy(x, (1, 0)), a.T), (tg.select_copy(x, 1, 2), a[:, 2]),
        (tg.slice_copy(x, 1, 1, 4, 2), a[:, 1:4:2]), (tg.squeeze_copy(tg.tensor(a[None])), a),
        (tg.squeeze_copy(tg.tensor(a[None, :, None]), [0, 2]), a), (tg.t_copy(x), a.T),
        (tg.transpose_copy(x, 0, 1), a.T), (tg.unsqueeze_copy(x, 1), a[:, None]),
        (tg.view_copy(x, [4, 3]), a.reshape(4, 3)),
        (tg.unfold_copy(x, 1, 2, 2), np.stack([a[:, 0:2], a[:, 2:4]], 1)),
        (tg.as_strided_copy(x, (2, 2), (1, 2), 1), np.array([[a.flat[1], a.flat[3]],
                                                             [a.flat[2], a.flat[4]]])),
    ]
    for out, expected in cases:
        np.testing.assert_array_equal(out.numpy(), expected)
        assert not np.shares_memory(out.numpy(), a)
    parts = [tg.split_copy(x, 3, 1), tg.split_with_sizes_copy(x, [1, 3], 1),
             tg.unbind_copy(x, 0)]
    for got, want in zip(parts, [np.split(a, [3], 1), np.split(a, [1], 1), list(a)]):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g.numpy(), w)
    bits = tg.view_copy(tg.tensor(np.array([1.0], dtype=np.float32)), tg.int32)
    assert bits.numpy()[0] == np.array([1.0], np.float32).view(np.int32)[0]


def test_copies_pass_gradients_as_their_views():
    a = RNG.standard_normal((3, 4))
    _check_gradient(lambda t: tg.permute_copy(t, (1, 0)), lambda v: v.T, a)
    _check_gradient(lambda t: tg.slice_copy(t, 1, 1, None, 2), lambda v: v[:, 1::2], a)
    _check_gradient(lambda t: tg.diagonal_copy(t, -1), lambda v: np.diagonal(v, -1), a)


def test_as_strided_scatter_values_gradients_and_errors():
    base = RNG.standard_normal(6)
    src = RNG.standard_normal((2, 2))

    def reference(b, s):
        out = b.copy()
        for i in range(2):
            for j in range(2):
                out[1 + i * 1 + j * 2] = s[i, j]
        return out

    got = tg.as_strided_scatter(tg.tensor(base), tg.tensor(src), (2, 2), (1, 2), 1)
    np.testing.assert_array_equal(got.numpy(), reference(base, src))
    _check_gradient(lambda b, s: tg.as_strided_scatter(b, s, (2, 2), (1, 2), 1), reference,
                    base, src)
    with pytest.raises(ValueError, match="overlaps itself"):
        tg.as_strided_scatter(tg.tensor(base), tg.tensor(src), (2, 2), (1, 1), 0)
    with pytest.raises(ValueError, match="src has shape \\(2, 2\\), expected \\(3,\\)"):
        tg.as_strided_scatter(tg.tensor(base), tg.tensor(src), (3,), (1,), 0)


def test_unsafe_splits_concat_and_small_math():
    a = RNG.standard_normal((4, 6))
    x = tg.tensor(a)
    for got, want in [(tg.unsafe_chunk(x, 3, 1), np.split(a, 3, 1)),
                      (tg.unsafe_split(x, 2, 0), np.split(a, 2, 0)),
                      (tg.unsafe_split_with_sizes(x, [1, 5], 1), np.split(a, [1], 1))]:
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g.numpy(), w)
    np.testing.assert_array_equal(tg.concat([x, x]).numpy(), np.concatenate([a, a]))
    np.testing.assert_array_equal(tg.concatenate([x, x], 1).numpy(), np.concatenate([a, a], 1))
    b = RNG.standard_normal((4, 6))
    np.testing.assert_allclose(tg.rsub(x, tg.tensor(b), alpha=2).numpy(), b - 2 * a)
    np.testing.assert_allclose(tg.rsub(x, 3.0).numpy(), 3.0 - a)
    _check_gradient(lambda p, q: tg.rsub(p, q, alpha=3), lambda p, q: q - 3 * p, a, b)
    np.testing.assert_array_equal(tg.isreal(x).numpy(), np.ones((4, 6), bool))
    np.testing.assert_array_equal(tg.adjoint(x).numpy(), a.T)
    with pytest.raises(ValueError, match="needs a matrix or a batch of matrices"):
        tg.adjoint(tg.ones(3))
    c = tg.conj_physical(x)
    np.testing.assert_array_equal(c.numpy(), a)
    assert c is not x and tg.conj_physical_(x) is x


def test_angle_values_and_zero_gradient():
    v = np.array([-1.0, 0.0, -0.0, np.nan, 2.0, -np.inf])
    got = tg.angle(tg.tensor(v)).numpy()
    np.testing.assert_array_equal(got, [np.pi, 0.0, 0.0, np.nan, 0.0, np.pi])
    t = tg.tensor(v, requires_grad=True)
    tg.angle(t).sum().backward()
    np.testing.assert_array_equal(t.grad, np.zeros(6))  # piecewise constant, as torch
    assert tg.angle(tg.tensor([-2, 3])).dtype == np.float32


def test_chain_matmul():
    ms = [RNG.standard_normal(s) for s in ((2, 3), (3, 4), (4, 2))]
    np.testing.assert_allclose(tg.chain_matmul(*[tg.tensor(m) for m in ms]).numpy(),
                               ms[0] @ ms[1] @ ms[2])
    _check_gradient(lambda a, b, c: tg.chain_matmul(a, b, c), lambda a, b, c: a @ b @ c, *ms)
    one = tg.tensor(ms[0])
    single = tg.chain_matmul(one)
    assert single is not one and np.array_equal(single.numpy(), ms[0])
    with pytest.raises(ValueError, match="matrix 1 must be a 2-D Tensor"):
        tg.chain_matmul(one, tg.ones(3))


# ------------------------------------------------------------------ numerical calculus
def _gradient_reference(f, x, edge_order):
    """torch.gradient along axis 0 of a 1-D array, by the documented formulas, in a loop."""
    n = len(f)
    g = np.zeros(n)
    for i in range(1, n - 1):
        hl, hr = x[i] - x[i - 1], x[i + 1] - x[i]
        numerator = hl**2 * f[i + 1] - hr**2 * f[i - 1] + (hr**2 - hl**2) * f[i]
        g[i] = numerator / (hl * hr * (hl + hr))
    if edge_order == 1:
        g[0] = (f[1] - f[0]) / (x[1] - x[0])
        g[-1] = (f[-1] - f[-2]) / (x[-1] - x[-2])
    else:
        # the quadratic through the three edge points, differentiated at the edge
        for idx, pts in ((0, (0, 1, 2)), (n - 1, (n - 3, n - 2, n - 1))):
            xs, fs = x[list(pts)], f[list(pts)]
            coeffs = np.polyfit(xs, fs, 2)
            g[idx] = 2 * coeffs[0] * x[idx] + coeffs[1]
    return g


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_matches_formulas_with_coordinates(edge_order):
    f = RNG.standard_normal((6, 5))
    x0 = np.cumsum(RNG.uniform(0.5, 1.5, 6))
    x1 = np.cumsum(RNG.uniform(0.5, 1.5, 5))
    g0, g1 = tg.gradient(tg.tensor(f), spacing=[tg.tensor(x0), tg.tensor(x1)],
                         edge_order=edge_order)
    for j in range(5):
        np.testing.assert_allclose(g0.numpy()[:, j], _gradient_reference(f[:, j], x0, edge_order),
                                   rtol=1e-10, atol=1e-10)
    for i in range(6):
        np.testing.assert_allclose(g1.numpy()[i], _gradient_reference(f[i], x1, edge_order),
                                   rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(g0.numpy(), np.gradient(f, x0, axis=0, edge_order=edge_order))


def test_gradient_spacings_dims_and_exactness():
    f = RNG.standard_normal((4, 7))
    (g,) = tg.gradient(tg.tensor(f), spacing=0.5, dim=1)
    np.testing.assert_allclose(g.numpy(), np.gradient(f, 0.5, axis=1))
    ga, gb = tg.gradient(tg.tensor(f), spacing=[2.0, 3.0])
    np.testing.assert_allclose(ga.numpy(), np.gradient(f, 2.0, axis=0))
    np.testing.assert_allclose(gb.numpy(), np.gradient(f, 3.0, axis=1))
    xs = np.linspace(-1, 2, 9)
    (exact,) = tg.gradient(tg.tensor(3 * xs**2 - xs + 1), spacing=(tg.tensor(xs),), edge_order=2)
    np.testing.assert_allclose(exact.numpy(), 6 * xs - 1, atol=1e-10)  # exact on quadratics
    assert tg.gradient(tg.tensor([1, 2, 4]))[0].dtype == np.float32


def test_gradient_is_differentiable_and_checks_arguments():
    f = RNG.standard_normal((5, 3))
    xs = np.cumsum(RNG.uniform(0.5, 1.5, 5))
    _check_gradient(lambda t: tg.gradient(t, spacing=(tg.tensor(xs),), dim=0, edge_order=2)[0],
                    lambda v: np.gradient(v, xs, axis=0, edge_order=2), f)
    with pytest.raises(ValueError, match="edge_order must be 1 or 2, got 3"):
        tg.gradient(tg.tensor(f), edge_order=3)
    with pytest.raises(ValueError, match="edge_order=2 needs at least 3"):
        tg.gradient(tg.ones(2, 4), dim=0, edge_order=2)
    with pytest.raises(ValueError, match="spacing has 1 entries but 2 dimension"):
        tg.gradient(tg.tensor(f), spacing=[1.0])
    with pytest.raises(ValueError, match="have 4 points, expected 5"):
        tg.gradient(tg.tensor(f), spacing=(tg.ones(4),), dim=0)


def test_cumulative_trapezoid():
    y = RNG.standard_normal((3, 5))
    x = np.cumsum(RNG.uniform(0.2, 1.0, 5))

    def reference(yv, xv):
        out = np.zeros((3, 4))
        for r in range(3):
            total = 0.0
            for i in range(4):
                total += (xv[i + 1] - xv[i]) * (yv[r, i] + yv[r, i + 1]) / 2
                out[r, i] = total
        return out

    np.testing.assert_allclose(tg.cumulative_trapezoid(tg.tensor(y), tg.tensor(x)).numpy(),
                               reference(y, x))
    np.testing.assert_allclose(tg.cumulative_trapezoid(tg.tensor(y), dx=0.5).numpy(),
                               reference(y, np.arange(5) * 0.5))
    np.testing.assert_allclose(tg.cumulative_trapezoid(tg.tensor(y.T), dim=0).numpy(),
                               reference(y, np.arange(5.0)).T)
    _check_gradient(lambda a, b: tg.cumulative_trapezoid(a, b), reference, y, x)
    with pytest.raises(TypeError, match="pass x or dx, not both"):
        tg.cumulative_trapezoid(tg.tensor(y), tg.tensor(x), dx=1.0)


# ------------------------------------------------------------------ binning
def test_histogramdd_matches_a_counting_loop():
    pts = RNG.uniform(0, 1, (50, 2))
    w = RNG.uniform(0, 2, 50)
    hist, edges = tg.histogramdd(tg.tensor(pts), [3, 4], range=[0.0, 1.0, 0.0, 1.0],
                                 weight=tg.tensor(w))
    expected = np.zeros((3, 4))
    for (a, b), wk in zip(pts, w):
        expected[min(int(a * 3), 2), min(int(b * 4), 3)] += wk
    np.testing.assert_allclose(hist.numpy(), expected)
    np.testing.assert_allclose(edges[1].numpy(), np.linspace(0, 1, 5))
    dens = tg.histogramdd(tg.tensor(pts), 2, range=[0.0, 1.0, 0.0, 1.0], density=True).hist
    assert (dens.numpy() * 0.25).sum() == pytest.approx(1.0)  # integrates to 1
    with pytest.raises(ValueError, match="range must hold 2 \\* D = 4 numbers"):
        tg.histogramdd(tg.tensor(pts), 2, range=[0.0, 1.0])
    with pytest.raises(TypeError, match="needs a floating-point tensor"):
        tg.histogramdd(tg.tensor([[1, 2]]), 2)


def test_segment_reduce_matches_loops():
    data = RNG.standard_normal((7, 2))
    lengths = [2, 0, 4, 1]

    def reference(reduce, initial=None):
        out, start = [], 0
        for n in lengths:
            seg = data[start:start + n]
            start += n
            if initial is not None:
                seg_all = np.concatenate([np.full((1, 2), initial), seg])
            else:
                seg_all = seg
            if reduce == "mean":
                if n == 0:
                    out.append(np.full(2, np.nan if initial is None else initial))
                else:
                    out.append(seg_all.sum(0) / n)
                continue
            if len(seg_all) == 0:
                empty = {"sum": 0.0, "prod": 1.0, "max": -np.inf, "min": np.inf}[reduce]
                out.append(np.full(2, empty))
                continue
            fn = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min}[reduce]
            out.append(fn(seg_all, axis=0))
        return np.array(out)

    for reduce in ("sum", "mean", "max", "min", "prod"):
        for initial in (None, 0.5):
            got = tg.segment_reduce(tg.tensor(data), reduce, lengths=tg.tensor(lengths),
                                    initial=initial)
            np.testing.assert_allclose(got.numpy(), reference(reduce, initial), err_msg=reduce)
    offsets = tg.tensor(np.concatenate([[0], np.cumsum(lengths)]))
    np.testing.assert_allclose(tg.segment_reduce(tg.tensor(data), "sum", offsets=offsets).numpy(),
                               reference("sum"))
    _check_gradient(lambda t: tg.segment_reduce(t, "mean", lengths=tg.tensor(lengths),
                                                initial=1.0),
                    lambda v: np.array([(v[0:2].sum(0) + 1) / 2, [1.0, 1.0],
                                        (v[2:6].sum(0) + 1) / 4, v[6] + 1]), data)
    batched = RNG.standard_normal((2, 5, 3))
    per_row = [[2, 0, 3], [1, 4, 0]]
    got = tg.segment_reduce(tg.tensor(batched), "max", lengths=tg.tensor(per_row), axis=1)
    for r, row in enumerate(per_row):
        start = 0
        for s_, n in enumerate(row):
            want = batched[r, start:start + n].max(0) if n else np.full(3, -np.inf)
            np.testing.assert_array_equal(got.numpy()[r, s_], want)
            start += n
    with pytest.raises(ValueError, match="need axis = 1"):
        tg.segment_reduce(tg.tensor(batched), "sum", lengths=tg.tensor(per_row), axis=0)
    with pytest.raises(ValueError, match="must be non-negative and sum to data.shape\\[0\\] = 7"):
        tg.segment_reduce(tg.tensor(data), "sum", lengths=tg.tensor([2, 2]))
    with pytest.raises(ValueError, match="reduce must be one of"):
        tg.segment_reduce(tg.tensor(data), "median", lengths=tg.tensor(lengths))


# ------------------------------------------------------------------ legacy linear algebra
def test_lu_and_lu_unpack_rebuild_the_matrix():
    a = RNG.standard_normal((2, 4, 4))
    lu, piv = tg.lu(tg.tensor(a))
    p, low, up = tg.lu_unpack(lu, piv)
    np.testing.assert_allclose(p.numpy() @ low.numpy() @ up.numpy(), a, atol=1e-12)
    assert np.allclose(np.triu(low.numpy(), 1), 0) and np.allclose(np.tril(up.numpy(), -1), 0)
    for m in p.numpy():  # a permutation matrix
        assert sorted(m.sum(0)) == [1] * 4 and set(np.unique(m)) <= {0.0, 1.0}
    lu3, piv3, info = tg.lu(tg.tensor(np.zeros((3, 3))), get_infos=True)
    assert int(info.numpy()) == 1  # singular: factored, reported
    b = RNG.standard_normal((2, 4, 1))
    x = tg.lu_solve(tg.tensor(b), lu, piv)
    np.testing.assert_allclose(a @ x.numpy(), b, atol=1e-10)
    empty_p, low2, up2 = tg.lu_unpack(lu, piv, unpack_pivots=False)
    assert empty_p.shape == (0,) and low2.shape == (2, 4, 4)


def test_triangular_solve_cholesky_matrix_rank_norms():
    u = np.triu(RNG.standard_normal((3, 3))) + 3 * np.eye(3)
    b = RNG.standard_normal((3, 2))
    sol, coeff = tg.triangular_solve(tg.tensor(b), tg.tensor(u))
    np.testing.assert_allclose(u @ sol.numpy(), b, atol=1e-12)
    np.testing.assert_array_equal(coeff.numpy(), u)
    spd = u.T @ u
    upper = tg.cholesky(tg.tensor(spd), True).numpy()
    np.testing.assert_allclose(upper.T @ upper, spd, atol=1e-10)
    low_rank = RNG.standard_normal((5, 2)) @ RNG.standard_normal((2, 4))
    assert int(tg.matrix_rank(tg.tensor(low_rank))) == 2
    assert int(tg.matrix_rank(tg.tensor(low_rank), tol=1e9)) == 0
    assert int(tg.matrix_rank(tg.tensor(spd), symmetric=True)) == 3
    x = RNG.standard_normal((2, 3, 4))
    np.testing.assert_allclose(tg.frobenius_norm(tg.tensor(x), [1, 2]).numpy(),
                               np.sqrt((x**2).sum((1, 2))))
    np.testing.assert_allclose(tg.frobenius_norm(tg.tensor(x), 2, True).numpy(),
                               np.sqrt((x**2).sum(2, keepdims=True)))
    nuc = [np.linalg.svd(m, compute_uv=False).sum() for m in x]
    np.testing.assert_allclose(tg.nuclear_norm(tg.tensor(x[0])).numpy(), nuc[0])
    np.testing.assert_allclose(tg.nuclear_norm(tg.tensor(x), [1, 2]).numpy(), nuc)
    assert tg.nuclear_norm(tg.tensor(x[0]), True).shape == (1, 1)


def test_geqrf_orgqr_ormqr():
    a = RNG.standard_normal((5, 3))
    h, tau = tg.geqrf(tg.tensor(a))
    q_full = householder_q(h.numpy(), tau.numpy())
    r = np.triu(h.numpy())
    np.testing.assert_allclose(q_full[:, :3] @ r[:3], a, atol=1e-12)
    np.testing.assert_allclose(q_full.T @ q_full, np.eye(5), atol=1e-12)
    np.testing.assert_allclose(tg.orgqr(h, tau).numpy(), q_full[:, :3], atol=1e-12)
    c = RNG.standard_normal((5, 2))
    d = RNG.standard_normal((2, 5))
    np.testing.assert_allclose(tg.ormqr(h, tau, tg.tensor(c)).numpy(), q_full @ c, atol=1e-12)
    np.testing.assert_allclose(tg.ormqr(h, tau, tg.tensor(c), True, True).numpy(),
                               q_full.T @ c, atol=1e-12)
    np.testing.assert_allclose(tg.ormqr(h, tau, tg.tensor(d), False).numpy(), d @ q_full,
                               atol=1e-12)


def test_svd_and_pca_lowrank_are_the_leading_exact_triplets():
    a = RNG.standard_normal((6, 4))
    u, s, v = tg.svd_lowrank(tg.tensor(a), q=2)
    ref_u, ref_s, ref_vt = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(s.numpy(), ref_s[:2])
    np.testing.assert_allclose(u.numpy() @ np.diag(s.numpy()) @ v.numpy().T,
                               ref_u[:, :2] @ np.diag(ref_s[:2]) @ ref_vt[:2], atol=1e-12)
    assert u.shape == (6, 2) and v.shape == (4, 2)
    m = RNG.standard_normal((6, 4))
    _, s_m, _ = tg.svd_lowrank(tg.tensor(a), 3, 2, tg.tensor(m))
    np.testing.assert_allclose(s_m.numpy(), np.linalg.svd(a - m, compute_uv=False)[:3])
    _, s_c, v_c = tg.pca_lowrank(tg.tensor(a))
    centered = a - a.mean(0)
    np.testing.assert_allclose(s_c.numpy(), np.linalg.svd(centered, compute_uv=False)[:4])
    assert v_c.shape == (4, 4)
    _, s_all, _ = tg.svd_lowrank(tg.tensor(a), q=5)  # above min(m, n): all 4 triplets
    np.testing.assert_allclose(s_all.numpy(), ref_s)


# ------------------------------------------------------------------ signatures
# torch's documented parameter names, in positional order ("*" starts keyword-only ones);
# the input of an aten function is named `input` in Python, as torch's docs show.
SIGNATURES = {
    "as_tensor": "data dtype device", "asarray": "obj * dtype device copy requires_grad",
    "scalar_tensor": "s * dtype layout device pin_memory requires_grad",
    "empty_strided": "size stride * dtype layout device requires_grad pin_memory",
    "empty_permuted": "size physical_layout * dtype layout device requires_grad pin_memory",
    "frombuffer": "buffer * dtype count offset requires_grad", "fill": "input value",
    "range": "start end step * dtype layout device pin_memory requires_grad",
    "broadcast_shapes": "*shapes", "result_type": "tensor other",
    "promote_types": "type1 type2", "can_cast": "from_ to", "is_storage": "obj",
    "typename": "obj", "unravel_index": "indices shape", "concat": "tensors dim",
    "concatenate": "tensors dim", "rsub": "input other alpha", "isreal": "input",
    "adjoint": "input", "conj_physical": "input", "conj_physical_": "input", "angle": "input",
    "chain_matmul": "*matrices out", "cumulative_trapezoid": "y x * dx dim",
    "gradient": "input * spacing dim edge_order",
    "histogramdd": "input bins * range weight density",
    "segment_reduce": "data reduce * lengths indices offsets axis unsafe initial",
    "binomial": "count prob generator", "poisson": "input generator",
    "alias_copy": "input", "detach_copy": "input",
    "diagonal_copy": "input offset dim1 dim2", "expand_copy": "input size * implicit",
    "permute_copy": "input dims", "select_copy": "input dim index",
    "slice_copy": "input dim start end step", "split_copy": "input split_size dim",
    "split_with_sizes_copy": "input split_sizes dim", "squeeze_copy": "input dim",
    "t_copy": "input", "transpose_copy": "input dim0 dim1", "unbind_copy": "input dim",
    "unfold_copy": "input dimension size step", "unsqueeze_copy": "input dim",
    "view_copy": "input size", "as_strided_copy": "input size stride storage_offset",
    "as_strided_scatter": "input src size stride storage_offset",
    "unsafe_chunk": "input chunks dim", "unsafe_split": "input split_size dim",
    "unsafe_split_with_sizes": "input split_sizes dim",
    "get_num_threads": "", "set_num_threads": "int", "get_num_interop_threads": "",
    "set_num_interop_threads": "int", "init_num_threads": "", "get_rng_state": "",
    "set_rng_state": "new_state", "initial_seed": "", "seed": "",
    "set_printoptions": "precision threshold edgeitems linewidth profile sci_mode",
    "use_deterministic_algorithms": "mode * warn_only",
    "are_deterministic_algorithms_enabled": "",
    "is_deterministic_algorithms_warn_only_enabled": "",
    "set_deterministic_debug_mode": "debug_mode", "get_deterministic_debug_mode": "",
    "set_float32_matmul_precision": "precision", "get_float32_matmul_precision": "",
    "is_anomaly_enabled": "", "is_anomaly_check_nan_enabled": "",
    "set_anomaly_enabled": "enabled check_nan", "is_inference_mode_enabled": "",
    "set_warn_always": "b", "is_warn_always_enabled": "", "get_default_device": "",
    "set_default_device": "device",
    "vmap": "func in_dims out_dims randomness * chunk_size",
    "conv1d": "input weight bias stride padding dilation groups",
    "conv2d": "input weight bias stride padding dilation groups",
    "conv3d": "input weight bias stride padding dilation groups",
    "conv_transpose1d": "input weight bias stride padding output_padding groups dilation",
    "conv_transpose2d": "input weight bias stride padding output_padding groups dilation",
    "conv_transpose3d": "input weight bias stride padding output_padding groups dilation",
    "convolution": "input weight bias stride padding dilation transposed output_padding "
                   "groups",
    "constant_pad_nd": "input pad value",
    "avg_pool1d": "input kernel_size stride padding ceil_mode count_include_pad",
    "max_pool1d": "input kernel_size stride padding dilation ceil_mode",
    "max_pool1d_with_indices": "input kernel_size stride padding dilation ceil_mode",
    "max_pool2d": "input kernel_size stride padding dilation ceil_mode",
    "max_pool3d": "input kernel_size stride padding dilation ceil_mode",
    "adaptive_avg_pool1d": "input output_size", "adaptive_max_pool1d": "input output_size",
    "batch_norm": "input weight bias running_mean running_var training momentum eps "
                  "cudnn_enabled",
    "instance_norm": "input weight bias running_mean running_var use_input_stats momentum "
                     "eps cudnn_enabled",
    "layer_norm": "input normalized_shape weight bias eps cudnn_enable",
    "group_norm": "input num_groups weight bias eps cudnn_enabled",
    "rms_norm": "input normalized_shape weight eps",
    "native_layer_norm": "input normalized_shape weight bias eps",
    "native_batch_norm": "input weight bias running_mean running_var training momentum eps",
    "native_dropout": "input p train",
    "dropout": "input p train", "dropout_": "input p train",
    "alpha_dropout": "input p train", "alpha_dropout_": "input p train",
    "feature_alpha_dropout": "input p train", "feature_alpha_dropout_": "input p train",
    "feature_dropout": "input p train", "feature_dropout_": "input p train",
    "embedding": "weight indices padding_idx scale_grad_by_freq sparse",
    "embedding_bag": "weight indices offsets scale_grad_by_freq mode sparse "
                     "per_sample_weights include_last_offset padding_idx",
    "embedding_renorm_": "input indices max_norm norm_type",
    "bilinear": "input1 input2 weight bias", "celu": "input alpha", "celu_": "input alpha",
    "selu": "input", "selu_": "input",
    "rrelu": "input lower upper training generator",
    "rrelu_": "input lower upper training generator",
    "threshold": "input threshold value", "threshold_": "input threshold value",
    "pixel_shuffle": "input upscale_factor", "pixel_unshuffle": "input downscale_factor",
    "channel_shuffle": "input groups", "native_channel_shuffle": "input groups",
    "pdist": "input p", "pairwise_distance": "x1 x2 p eps keepdim",
    "cosine_similarity": "x1 x2 dim eps",
    "cosine_embedding_loss": "input1 input2 target margin reduction",
    "hinge_embedding_loss": "input target margin reduction",
    "kl_div": "input target reduction * log_target",
    "margin_ranking_loss": "input1 input2 target margin reduction",
    "poisson_nll_loss": "input target log_input full eps reduction",
    "triplet_margin_loss": "anchor positive negative margin p eps swap reduction",
    "binary_cross_entropy_with_logits": "input target weight pos_weight reduction",
    "ctc_loss": "log_probs targets input_lengths target_lengths blank reduction "
                "zero_infinity",
    "grid_sampler": "input grid interpolation_mode padding_mode align_corners",
    "affine_grid_generator": "theta size align_corners",
    "gru_cell": "input hx w_ih w_hh b_ih b_hh", "lstm_cell": "input hx w_ih w_hh b_ih b_hh",
    "rnn_tanh_cell": "input hx w_ih w_hh b_ih b_hh",
    "rnn_relu_cell": "input hx w_ih w_hh b_ih b_hh",
    "cholesky": "input upper", "lu": "A pivot get_infos",
    "lu_solve": "b LU_data LU_pivots",
    "lu_unpack": "LU_data LU_pivots unpack_data unpack_pivots",
    "matrix_rank": "input tol symmetric", "triangular_solve": "b A upper transpose "
                                                          "unitriangular",
    "frobenius_norm": "input dim keepdim", "nuclear_norm": "input dim keepdim",
    "svd_lowrank": "A q niter M", "pca_lowrank": "A q center niter",
    "geqrf": "input", "orgqr": "input tau", "ormqr": "input tau other left transpose",
    "hann_window": "window_length periodic * dtype layout device pin_memory requires_grad",
}
def _parameter_list(fn) -> str:
    names = []
    keyword_started = False
    for p in inspect.signature(fn).parameters.values():
        if p.kind == p.KEYWORD_ONLY and not keyword_started:
            names.append("*")
            keyword_started = True
        if p.kind == p.VAR_POSITIONAL:
            keyword_started = True
        names.append("*" + p.name if p.kind == p.VAR_POSITIONAL else p.name)
    return " ".join(names)


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_top_level_signature_follows_torch(name):
    assert _parameter_list(getattr(tg, name)) == SIGNATURES[name]
    assert name in tg.__all__
