"""Dilated max pooling, return_indices, adaptive average and max pooling: against naive loops
written here (float64), finite differences, and the argument and shape errors."""

import numpy as np
import pytest
from test_nn_gradcheck import check_grads

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn
from tinygrad_opt.nn import pooling


def window_max(values, positions):
    """PyTorch's rule over a window in row-major order: a strictly greater value or a NaN
    replaces the running max, so ties keep the first and the last NaN wins."""
    best, where = -np.inf, positions[0] if positions else None
    for v, p in zip(values, positions):
        if v > best or np.isnan(v):
            best, where = v, p
    return best, where


def naive_max_pool(x, k, s, p, d, ceil_mode=False):
    """(output, flat indices) of dilated max pooling by loops over every output."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = k, s, p, d

    def size(length, kk, ss, pp, dd):
        span = length + 2 * pp - dd * (kk - 1) - 1
        out = (-(-span // ss) if ceil_mode else span // ss) + 1
        return out - 1 if ceil_mode and (out - 1) * ss >= length + pp else out

    oh, ow = size(h, kh, sh, ph, dh), size(w, kw, sw, pw, dw)
    out = np.zeros((n, c, oh, ow))
    idx = np.zeros((n, c, oh, ow), np.int64)
    for i in range(n):
        for ch in range(c):
            for y in range(oh):
                for z in range(ow):
                    taps = [(y * sh - ph + a * dh, z * sw - pw + b * dw)
                            for a in range(kh) for b in range(kw)]  # fmt: skip
                    inside = [(r, q) for r, q in taps if 0 <= r < h and 0 <= q < w]
                    values = [x[i, ch, r, q] for r, q in inside]
                    best, (r, q) = window_max(values, inside)
                    out[i, ch, y, z], idx[i, ch, y, z] = best, r * w + q
    return out, idx


def scatter_grad(shape, idx, g):
    """Input gradient of a max pooling: each output's gradient added at its index."""
    dx = np.zeros(shape)
    n, c = shape[:2]
    for i in range(n):
        for ch in range(c):
            plane = dx[i, ch].reshape(-1)
            for flat, gv in zip(idx[i, ch].reshape(-1), g[i, ch].reshape(-1)):
                plane[flat] += gv
    return dx


def adaptive_bounds(size_in, size_out):
    return [(i * size_in // size_out, -(-(i + 1) * size_in // size_out)) for i in range(size_out)]


def naive_adaptive(x, out_h, out_w, mode):
    """(output, flat indices or None) of adaptive pooling by loops over every output."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, out_h, out_w))
    idx = np.zeros((n, c, out_h, out_w), np.int64)
    for i in range(n):
        for ch in range(c):
            for y, (h0, h1) in enumerate(adaptive_bounds(h, out_h)):
                for z, (w0, w1) in enumerate(adaptive_bounds(w, out_w)):
                    cells = [(r, q) for r in range(h0, h1) for q in range(w0, w1)]
                    values = [x[i, ch, r, q] for r, q in cells]
                    if mode == "avg":
                        out[i, ch, y, z] = sum(values) / len(values)
                    else:
                        best, (r, q) = window_max(values, cells)
                        out[i, ch, y, z], idx[i, ch, y, z] = best, r * w + q
    return out, (idx if mode == "max" else None)


MAX_CASES = [
    # kernel, stride, padding, dilation, ceil_mode
    ((3, 3), (1, 1), (1, 1), (2, 2), False),
    ((2, 3), (2, 1), (1, 0), (3, 2), True),
    ((3, 2), (2, 3), (0, 1), (1, 2), True),
    ((2, 2), (2, 2), (0, 0), (1, 1), True),  # tiling windows with a partial last one
    ((3, 3), (2, 2), (1, 1), (1, 1), False),
]


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", MAX_CASES)
@pytest.mark.parametrize("channels", [3, 16])  # 16: the tiled backward applies
@pytest.mark.parametrize("parallel", [False, True])
def test_max_pool_values_indices_and_gradient_match_naive_loops(
    monkeypatch, kernel, stride, padding, dilation, ceil_mode, channels, parallel
):
    monkeypatch.setattr(pooling, "_PARALLEL_MIN", 0 if parallel else 1 << 60)
    rng = np.random.default_rng(3)
    x = rng.integers(0, 4, (2, channels, 9, 7)).astype(np.float64)  # many ties
    t = Tensor(x, requires_grad=True)
    out, idx = F.max_pool2d(t, kernel, stride, padding, dilation, ceil_mode, True)
    want, want_idx = naive_max_pool(x, kernel, stride, padding, dilation, ceil_mode)
    np.testing.assert_array_equal(out.data, want)
    assert idx.data.dtype == np.int64 and not idx.requires_grad
    np.testing.assert_array_equal(idx.data, want_idx)
    g = rng.standard_normal(out.shape)
    out.backward(gradient=g)
    np.testing.assert_allclose(t.grad, scatter_grad(x.shape, want_idx, g), rtol=0, atol=1e-12)


def test_max_pool_ceil_mode_partial_tile_gets_its_gradient():
    """Tiling 2x2 windows on a 5x5 input with ceil_mode: the last row and column form
    partial windows; the one-pass backward must not be taken there (it wrote past dx)."""
    x = np.random.default_rng(0).standard_normal((3, 32, 5, 5))
    t = Tensor(x, requires_grad=True)
    out = F.max_pool2d(t, 2, ceil_mode=True)
    out.backward(gradient=np.ones(out.shape))
    _, idx = naive_max_pool(x, (2, 2), (2, 2), (0, 0), (1, 1), True)
    np.testing.assert_array_equal(t.grad, scatter_grad(x.shape, idx, np.ones(out.shape)))


def test_max_pool_nan_last_nan_wins_and_unbatched_channels_last_float32():
    x = np.random.default_rng(1).standard_normal((4, 6, 6))
    x[0, 0, 0], x[0, 1, 1] = np.nan, np.nan  # two NaNs in one 2x2 window
    x[1, 2:4, 2:4] = -np.inf
    view = np.ascontiguousarray(x.transpose(1, 2, 0)).transpose(2, 0, 1)  # channels-last
    for data in (view, view.astype(np.float32)):
        t = Tensor(data, requires_grad=True, dtype=data.dtype)
        out, idx = F.max_pool2d(t, 2, return_indices=True)
        want, want_idx = naive_max_pool(x[None], (2, 2), (2, 2), (0, 0), (1, 1))
        assert out.shape == (4, 3, 3) and out.data.dtype == data.dtype
        np.testing.assert_array_equal(out.data, want[0].astype(data.dtype))
        np.testing.assert_array_equal(idx.data, want_idx[0])
        assert idx.data[0, 0, 0] == 7  # the second NaN, at (1, 1)
        out.backward(gradient=np.ones(out.shape, data.dtype))
        np.testing.assert_array_equal(t.grad, scatter_grad(x[None].shape, want_idx,
                                                           np.ones(want.shape))[0])  # fmt: skip


def test_windows_without_a_finite_value_keep_pytorch_indices():
    """All -inf windows give -inf at the window's first in-input tap; a dilated window with no
    tap inside the input gives -inf and PyTorch's index (here past the plane's end for the
    last output). Such an output depends on no input, so its gradient goes nowhere
    (PyTorch adds it to the pixel its index names, and writes past the plane for the last)."""
    x = np.full((1, 2, 5, 4), -np.inf)
    out, idx = F.adaptive_max_pool2d(Tensor(x), (2, 3), return_indices=True)
    assert np.isneginf(out.data).all()
    np.testing.assert_array_equal(idx.data[0, 0], [[0, 1, 2], [8, 9, 10]])
    out, idx = F.max_pool2d(Tensor(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx.data[0, 0], [[0, 1], [4, 5], [12, 13]])
    t = Tensor(np.random.default_rng(0).standard_normal((1, 1, 5, 1)), requires_grad=True)
    out, idx = F.max_pool2d(t, (1, 2), 1, (0, 1), (1, 2), return_indices=True)
    assert np.isneginf(out.data).all()
    np.testing.assert_array_equal(idx.data.ravel(), [1, 2, 3, 4, 5])  # PyTorch's values
    out.backward(gradient=np.ones(out.shape))
    np.testing.assert_array_equal(t.grad.ravel(), [0, 0, 0, 0, 0])


@pytest.mark.parametrize(
    "shape,output_size,expected",
    [
        ((2, 3, 7, 5), 3, (3, 3)),
        ((2, 3, 7, 5), (4, None), (4, 5)),
        ((2, 3, 7, 5), (None, 2), (7, 2)),
        ((2, 3, 5, 4), (7, 9), (7, 9)),  # larger than the input: windows overlap
        ((3, 6, 10), [1, 1], (1, 1)),  # unbatched
    ],
)
def test_adaptive_pools_match_naive_loops(shape, output_size, expected):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 3, shape).astype(np.float64)
    x4 = x if x.ndim == 4 else x[None]
    for mode in ("avg", "max"):
        t = Tensor(x, requires_grad=True)
        if mode == "avg":
            out, idx = F.adaptive_avg_pool2d(t, output_size), None
        else:
            out, idx = nn.AdaptiveMaxPool2d(output_size, return_indices=True)(t)
        want, want_idx = naive_adaptive(x4, *expected, mode)
        assert out.shape[-2:] == expected and out.ndim == x.ndim
        np.testing.assert_allclose(out.data.reshape(want.shape), want, rtol=1e-12, atol=0)
        g = rng.standard_normal(out.shape)
        out.backward(gradient=g)
        g4 = g.reshape(want.shape)
        if mode == "max":
            np.testing.assert_array_equal(idx.data.reshape(want.shape), want_idx)
            want_dx = scatter_grad(x4.shape, want_idx, g4)
        else:
            want_dx = np.zeros(x4.shape)
            for y, (h0, h1) in enumerate(adaptive_bounds(x4.shape[2], expected[0])):
                for z, (w0, w1) in enumerate(adaptive_bounds(x4.shape[3], expected[1])):
                    area = (h1 - h0) * (w1 - w0)
                    want_dx[:, :, h0:h1, w0:w1] += g4[:, :, y, z, None, None] / area
        np.testing.assert_allclose(t.grad.reshape(x4.shape), want_dx, rtol=1e-12, atol=1e-12)


def test_adaptive_avg_pool_float32_channels_last_and_nan():
    x = np.random.default_rng(5).standard_normal((2, 8, 6, 6))
    x[1, 3, 0, 0] = np.nan
    view = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    got = nn.AdaptiveAvgPool2d(4)(Tensor(view.astype(np.float32))).data
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, naive_adaptive(x, 4, 4, "avg")[0], rtol=1e-5, atol=1e-6)
    got = F.adaptive_max_pool2d(Tensor(view), 4).data
    np.testing.assert_array_equal(got, naive_adaptive(x, 4, 4, "max")[0])
    assert np.isnan(got[1, 3, 0, 0])


@pytest.mark.parametrize("dilation", [(2, 2), (1, 3)])
def test_dilated_max_pool_finite_differences(dilation):
    x = np.random.default_rng(2).standard_normal((2, 3, 8, 7))  # distinct values: no ties
    check_grads(lambda t: F.max_pool2d(t, 3, 2, 1, dilation, ceil_mode=True), x)


@pytest.mark.parametrize("output_size", [(3, 2), (5, None), 9])
def test_adaptive_pools_finite_differences(output_size):
    x = np.random.default_rng(3).standard_normal((2, 3, 6, 5))
    check_grads(lambda t: F.adaptive_avg_pool2d(t, output_size), x)
    check_grads(lambda t: F.adaptive_max_pool2d(t, output_size), x)


def test_modules_keep_pytorch_attributes_and_repr():
    pool = nn.MaxPool2d(3, 1, 1, 2, True, True)
    assert (pool.dilation, pool.return_indices, pool.ceil_mode) == (2, True, True)
    assert repr(pool) == (
        "MaxPool2d(kernel_size=3, stride=1, padding=1, dilation=2, ceil_mode=True)"
    )
    out, idx = pool(Tensor(np.zeros((1, 2, 6, 6))))
    assert out.shape == idx.shape == (1, 2, 4, 4)
    assert repr(nn.AdaptiveAvgPool2d((3, None))) == "AdaptiveAvgPool2d(output_size=(3, None))"
    assert repr(nn.AdaptiveMaxPool2d(2)) == "AdaptiveMaxPool2d(output_size=2)"
    # PyTorch reads a one-element sequence as the same value for both axes
    assert F.max_pool2d(Tensor(np.zeros((1, 1, 6, 6))), (2,), [3]).shape == (1, 1, 2, 2)
    assert F.avg_pool2d(Tensor(np.zeros((1, 1, 6, 6))), [2], ()).shape == (1, 1, 3, 3)
    got = F.avg_pool2d(Tensor(np.ones((1, 1, 2, 2))), 2, divisor_override=-2).data
    np.testing.assert_array_equal(got, [[[[-2.0]]]])  # PyTorch only refuses 0


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda x: F.max_pool2d(x, 2, dilation=0), "dilation must be >= 1.*dilation=0"),
        (lambda x: F.avg_pool2d(x, 2, divisor_override=0), "divisor_override must be non-zero"),
        (lambda x: F.adaptive_avg_pool2d(x, -1), "output_size entries must be ints >= 0.*-1"),
        (lambda x: nn.AdaptiveMaxPool2d((2, -3)), "output_size entries must be ints >= 0"),
        (lambda x: F.max_pool2d(x, 3, padding=2), "at most half of the kernel size"),
        (lambda x: F.max_pool2d(x, 2, dilation=6), "too small.*dilation 6,6"),
        (lambda x: F.adaptive_avg_pool2d(Tensor(np.zeros((1, 2, 0, 3))), 1), "non-zero H and W"),
        (lambda x: F.adaptive_max_pool2d(Tensor(np.zeros((1, 0, 2, 3))), 1), "non-zero C, H and W"),
        (lambda x: F.max_pool2d(Tensor(np.zeros((1, 0, 2, 3))), 1), "non-zero C, H and W"),
    ],
)
def test_bad_arguments_raise_value_error_naming_value_and_range(call, message):
    with pytest.raises(ValueError, match=message):
        call(Tensor(np.zeros((1, 2, 6, 6))))


def test_bad_argument_types_raise_type_error():
    with pytest.raises(TypeError, match="output_size must be an int or a pair"):
        nn.AdaptiveAvgPool2d((2, 2, 2))
    with pytest.raises(TypeError, match="dilation must be an int or a pair"):
        nn.MaxPool2d(2, dilation=(1, 2, 3))


@pytest.mark.parametrize("layer", [nn.AdaptiveAvgPool2d(2), nn.AdaptiveMaxPool2d(2),
                                   nn.MaxPool2d(2, dilation=2)])  # fmt: skip
@pytest.mark.parametrize("shape", [(4, 4), (1, 1, 2, 4, 4)])
def test_wrong_rank_names_layer_and_shapes(layer, shape):
    with pytest.raises(ValueError) as info:
        layer(Tensor(np.zeros(shape)))
    message = str(info.value)
    assert type(layer).__name__ in message and "(N, C, H, W)" in message
    assert str(shape) in message
