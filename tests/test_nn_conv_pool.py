"""Conv2d and pooling against naive loop implementations written here, in float64 and
float32, plus the shape errors each layer raises."""

import numba
import numpy as np
import pytest
from conv_paths import PATHS, use_conv_path

import tinygrad_opt.nn.conv as conv_module
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn


def naive_conv2d(x, w, b, stride, padding, dilation, groups=1):
    """Loops over every output; output channel o sees the input channels of its group
    g = o // (O / groups), i.e. [g * C / groups, (g + 1) * C / groups)."""
    n, c, h, wd = x.shape
    o, per_group, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + wd] = x
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(n):
        for f in range(o):
            first = f // (o // groups) * per_group
            for y in range(oh):
                for z in range(ow):
                    total = 0.0 if b is None else b[f]
                    for ch in range(per_group):
                        for p in range(kh):
                            for q in range(kw):
                                pixel = xp[i, first + ch, y * sh + p * dh, z * sw + q * dw]
                                total += w[f, ch, p, q] * pixel
                    out[i, f, y, z] = total
    return out


def naive_pool(x, k, s, p, mode, ceil_mode=False, count_include_pad=True):
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = k, s, p

    def size(length, kk, ss, pp):
        span = length + 2 * pp - kk
        out = (-(-span // ss) if ceil_mode else span // ss) + 1
        if ceil_mode and (out - 1) * ss >= length + pp:
            out -= 1
        return out

    oh, ow = size(h, kh, sh, ph), size(w, kw, sw, pw)
    out = np.zeros((n, c, oh, ow))
    for i in range(n):
        for ch in range(c):
            for y in range(oh):
                for z in range(ow):
                    h0, w0 = y * sh - ph, z * sw - pw
                    h1, w1 = min(h0 + kh, h + ph), min(w0 + kw, w + pw)
                    padded_count = (h1 - h0) * (w1 - w0)
                    window = x[i, ch, max(h0, 0):min(h1, h), max(w0, 0):min(w1, w)]
                    if mode == "max":
                        out[i, ch, y, z] = window.max()
                    else:
                        divisor = padded_count if count_include_pad else window.size
                        out[i, ch, y, z] = window.sum() / divisor
    return out


CONV_CASES = [
    ((1, 1), (0, 0), (1, 1), (3, 3)),
    ((2, 2), (1, 1), (1, 1), (3, 3)),
    ((1, 2), (2, 0), (1, 1), (5, 3)),
    ((1, 1), (1, 1), (2, 2), (3, 3)),
    ((3, 1), (0, 1), (1, 1), (2, 4)),
    ((1, 1), (0, 0), (1, 1), (1, 1)),
    ((2, 1), (1, 1), (2, 1), (3, 3)),
    ((1, 1), (2, 1), (1, 1), (3, 5)),  # kernel widths 5 and 7: taps in groups of 3 plus
    ((1, 1), (0, 3), (1, 1), (2, 7)),  # a remainder in the direct kernels
    ((1, 1), (1, 2), (1, 1), (1, 1)),  # a padded 1x1 kernel is not a plain product
]


@pytest.fixture(params=PATHS)
def conv_path(request, monkeypatch):
    """The forced path's record of routes taken (conv_paths.Routes)."""
    return use_conv_path(monkeypatch, request.param)


@pytest.mark.parametrize("channels", [3, 9])  # few channels take the row-copy im2col
@pytest.mark.parametrize("stride,padding,dilation,kernel", CONV_CASES)
def test_conv2d_matches_naive_loops(stride, padding, dilation, kernel, channels, conv_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, channels, 9, 8))
    w = rng.standard_normal((4, channels, *kernel))
    b = rng.standard_normal(4)
    out = F.conv2d(Tensor(x), Tensor(w), Tensor(b), stride, padding, dilation)
    np.testing.assert_allclose(out.data, naive_conv2d(x, w, b, stride, padding, dilation),
                               rtol=1e-10, atol=1e-10)
    out32 = F.conv2d(Tensor(x.astype(np.float32)), Tensor(w.astype(np.float32)), None, stride,
                     padding, dilation)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.data, naive_conv2d(x, w, None, stride, padding, dilation),
                               rtol=1e-4, atol=1e-4)
    conv_path.skip_unless_taken()


def naive_conv2d_grads(x, w, g, stride, padding):
    """(dx, dw) of naive_conv2d (dilation 1) for the output gradient g, by the same loops."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + wd] = x
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(n):
        for f in range(o):
            for y in range(g.shape[2]):
                for z in range(g.shape[3]):
                    rows, cols = slice(y * sh, y * sh + kh), slice(z * sw, z * sw + kw)
                    window = (i, slice(None), rows, cols)
                    dw[f] += g[i, f, y, z] * xp[window]
                    dxp[window] += g[i, f, y, z] * w[f]
    return dxp[:, :, ph:ph + h, pw:pw + wd], dw


def assert_grads_match_naive(xt, wt, bt, g, stride, padding):
    """After a conv2d's backward with gradient g: the input, weight and (if any) bias
    gradients against the naive loops (dilation 1)."""
    dx, dw = naive_conv2d_grads(xt.data, wt.data, g, stride, padding)
    np.testing.assert_allclose(xt.grad, dx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(wt.grad, dw, rtol=1e-10, atol=1e-10)
    if bt is not None:
        np.testing.assert_allclose(bt.grad, g.sum(axis=(0, 2, 3)), rtol=1e-10, atol=1e-10)


# one sample per chunk (a thread's share takes several chunks), or a whole share per chunk
@pytest.mark.parametrize("chunk_bytes", [1, 1 << 30])
def test_blocked_conv_chunks_match_naive_loops(chunk_bytes, monkeypatch):
    routes = use_conv_path(monkeypatch, "blocked")
    monkeypatch.setattr(conv_module, "_CHUNK_BYTES", chunk_bytes)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3, 9, 8))  # 5 samples: uneven shares on 2 or 4 threads
    w = rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    g = rng.standard_normal((5, 4, 5, 11))
    xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.conv2d(xt, wt, bt, stride=(2, 1), padding=(1, 2))
    np.testing.assert_allclose(out.data, naive_conv2d(x, w, b, (2, 1), (1, 2), (1, 1)),
                               rtol=1e-10, atol=1e-10)
    out.backward(gradient=g)
    assert_grads_match_naive(xt, wt, bt, g, (2, 1), (1, 2))
    routes.assert_taken()


@pytest.mark.parametrize("out_ch", [4, 12])  # both ways of spacing g (conv_direct.py)
@pytest.mark.parametrize("kernel_width", [2, 4, 5, 7])  # taps in 3s, then 2 or 1 left
def test_direct_conv_gradients_match_naive_loops(out_ch, kernel_width, monkeypatch):
    routes = use_conv_path(monkeypatch, "direct")
    rng = np.random.default_rng(kernel_width)
    x = rng.standard_normal((3, 2, 8, 9))
    w = rng.standard_normal((out_ch, 2, 3, kernel_width))
    b = rng.standard_normal(out_ch)
    xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.conv2d(xt, wt, bt, padding=(1, 1))
    g = rng.standard_normal(out.shape)
    out.backward(gradient=g)
    assert_grads_match_naive(xt, wt, bt, g, (1, 1), (1, 1))
    routes.assert_taken()


@pytest.mark.parametrize("kernel_width", [4, 5])  # taps in 3s, then 1 or 2 left
def test_direct_conv_gradients_sum_over_several_samples_per_task(kernel_width, monkeypatch):
    """More samples than the direct weight gradient's tasks (two per thread), so each task
    adds several samples into its partial dW and db."""
    routes = use_conv_path(monkeypatch, "direct")
    n = 4 * numba.get_num_threads() + 1
    rng = np.random.default_rng(10 + kernel_width)
    x = rng.standard_normal((n, 2, 5, 7))
    w = rng.standard_normal((3, 2, 3, kernel_width))
    b = rng.standard_normal(3)
    xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.conv2d(xt, wt, bt, padding=(1, 2))
    g = rng.standard_normal(out.shape)
    out.backward(gradient=g)
    assert_grads_match_naive(xt, wt, bt, g, (1, 1), (1, 2))
    routes.assert_taken()


def test_padding_wider_than_the_kernel_gives_values_and_gradients(conv_path):
    """PyTorch allows padding >= kernel size (outputs that see only zeros and the bias)."""
    rng = np.random.default_rng(8)
    x, w, b = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((4, 3, 2, 2)), np.ones(4)
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    out = F.conv2d(xt, wt, Tensor(b), padding=(2, 3))
    np.testing.assert_allclose(out.data, naive_conv2d(x, w, b, (1, 1), (2, 3), (1, 1)),
                               rtol=1e-10, atol=1e-10)
    g = rng.standard_normal(out.shape)
    out.backward(gradient=g)
    assert_grads_match_naive(xt, wt, None, g, (1, 1), (2, 3))
    conv_path.skip_unless_taken()


@pytest.mark.parametrize("kernel,dilation,pads", [((3, 5), 1, (1, 2)), ((3, 3), (1, 2), (1, 2)),
                                                  ((5, 1), 1, (2, 0))])
def test_same_padding_is_worked_out_per_dimension(kernel, dilation, pads, conv_path):
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal((2, 3, 7, 8)), rng.standard_normal((4, 3, *kernel))
    out = F.conv2d(Tensor(x), Tensor(w), padding="same", dilation=dilation)
    assert out.shape == (2, 4, 7, 8)
    dil = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    np.testing.assert_allclose(out.data, naive_conv2d(x, w, None, (1, 1), pads, dil),
                               rtol=1e-10, atol=1e-10)
    conv_path.skip_unless_taken()


@pytest.mark.parametrize("kernel, dilation", [((2, 4), (1, 1)), ((3, 2), (1, 3)), ((2, 2), (2, 1))])
def test_same_padding_with_an_odd_total_puts_the_extra_zero_at_the_end(kernel, dilation):
    """PyTorch: padding='same' whose total d (k - 1) is odd puts the extra zero at the bottom /
    right. Values against the naive loops on the input padded by hand; gradients by the
    naive loops (dilation 1) or by finite differences."""
    rng = np.random.default_rng(12)
    x, w = rng.standard_normal((2, 3, 6, 7)), rng.standard_normal((4, 3, *kernel))
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    out = F.conv2d(xt, wt, padding="same", dilation=dilation)
    assert out.shape == (2, 4, 6, 7)
    (top, bottom), (left, right) = [
        (d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation)
    ]
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    np.testing.assert_allclose(out.data, naive_conv2d(xp, w, None, (1, 1), (0, 0), dilation),
                               rtol=1e-10, atol=1e-10)  # fmt: skip
    g = rng.standard_normal(out.shape)
    out.backward(gradient=g)
    if dilation == (1, 1):
        dxp, dw = naive_conv2d_grads(xp, w, g, (1, 1), (0, 0))
        dx = dxp[:, :, top : top + 6, left : left + 7]
    else:  # central differences of <g, conv(x, w)>
        def objective(xv, wv):
            return float(np.sum(g * F.conv2d(Tensor(xv), Tensor(wv), padding="same",
                                             dilation=dilation).data))  # fmt: skip

        dx, dw = np.zeros_like(x), np.zeros_like(w)
        for array, grad in ((x, dx), (w, dw)):
            for i in np.ndindex(array.shape):
                saved = array[i]
                array[i] = saved + 1e-6
                up = objective(x, w)
                array[i] = saved - 1e-6
                down = objective(x, w)
                array[i] = saved
                grad[i] = (up - down) / 2e-6
    np.testing.assert_allclose(xt.grad, dx, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(wt.grad, dw, rtol=1e-6, atol=1e-7)


def test_conv2d_module_with_same_padding_and_an_even_kernel_keeps_the_size():
    layer = nn.Conv2d(3, 5, 2, padding="same", dtype=np.float64)
    x = np.random.default_rng(3).standard_normal((3, 8, 9))  # unbatched
    out = layer(Tensor(x))
    xp = np.pad(x[None], ((0, 0), (0, 0), (0, 1), (0, 1)))
    want = naive_conv2d(xp, layer.weight.data, layer.bias.data, (1, 1), (0, 0), (1, 1))[0]
    np.testing.assert_allclose(out.data, want, rtol=1e-10, atol=1e-10)


def test_frozen_conv_weight_still_gives_the_input_gradient(conv_path):
    """A weight that does not require grad (a frozen layer): no weight gradient is made, and
    the input gradient still matches the naive loops."""
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((3, 3, 9, 8)), rng.standard_normal((5, 3, 3, 3))
    xt, wt = Tensor(x, requires_grad=True), Tensor(w)
    out = F.conv2d(xt, wt, None, stride=(1, 1), padding=(1, 1))
    g = rng.standard_normal(out.shape)
    out.backward(gradient=g)
    dx, _ = naive_conv2d_grads(x, w, g, (1, 1), (1, 1))
    np.testing.assert_allclose(xt.grad, dx, rtol=1e-10, atol=1e-10)
    assert wt.grad is None
    conv_path.assert_taken()


def test_blocked_conv_gives_openblas_its_thread_count_back(monkeypatch):
    routes = use_conv_path(monkeypatch, "blocked")
    _, get_threads, _ = conv_module.blas._openblas()
    before = get_threads()
    x = Tensor(np.ones((2, 3, 6, 6), np.float32), requires_grad=True)
    F.conv2d(x, Tensor(np.ones((4, 3, 3, 3), np.float32), requires_grad=True)).sum().backward()
    assert get_threads() == before
    routes.assert_taken()


def test_conv_chain_reads_channels_last_output_correctly(conv_path):
    # the second conv consumes the first one's NHWC-backed output: compare the chain
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 2, 7, 7))
    w1, w2 = rng.standard_normal((3, 2, 3, 3)), rng.standard_normal((4, 3, 3, 3))
    out = F.conv2d(F.relu(F.conv2d(Tensor(x), Tensor(w1), padding=1)), Tensor(w2), stride=2)
    hidden = np.maximum(naive_conv2d(x, w1, None, (1, 1), (1, 1), (1, 1)), 0)
    np.testing.assert_allclose(out.data, naive_conv2d(hidden, w2, None, (2, 2), (0, 0), (1, 1)),
                               rtol=1e-10, atol=1e-10)
    conv_path.assert_taken()


def test_conv2d_module_layout_and_default_init_bounds():
    layer = nn.Conv2d(3, 8, kernel_size=(3, 5), stride=2, padding=1)
    assert layer.weight.shape == (8, 3, 3, 5) and layer.bias.shape == (8,)
    bound = 1 / np.sqrt(3 * 3 * 5)  # kaiming_uniform(a=sqrt(5)) and the bias share this bound
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.8 * bound
    assert layer(Tensor(np.zeros((2, 3, 9, 9), np.float32))).shape == (2, 8, 5, 4)


def test_modules_pass_their_arguments_to_the_layer():
    """Conv2d, MaxPool2d and AvgPool2d modules with non-default arguments, against the naive
    loops: every constructor argument must reach the computation."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 9, 8))
    conv = nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(2, 1), dilation=(2, 3),
                     dtype=np.float64)
    want = naive_conv2d(x, conv.weight.data, conv.bias.data, (2, 1), (2, 1), (2, 3))
    np.testing.assert_allclose(conv(Tensor(x)).data, want, rtol=1e-10, atol=1e-10)
    no_bias = nn.Conv2d(3, 4, 3, padding=1, bias=False, dtype=np.float64)
    want = naive_conv2d(x, no_bias.weight.data, None, (1, 1), (1, 1), (1, 1))
    np.testing.assert_allclose(no_bias(Tensor(x)).data, want, rtol=1e-10, atol=1e-10)
    got = nn.MaxPool2d(3, 2, 1)(Tensor(x)).data
    np.testing.assert_array_equal(got, naive_pool(x, (3, 3), (2, 2), (1, 1), "max"))
    got = nn.MaxPool2d((3, 2), padding=(1, 0), ceil_mode=True)(Tensor(x)).data
    np.testing.assert_array_equal(got, naive_pool(x, (3, 2), (3, 2), (1, 0), "max", True))
    for include in (True, False):
        got = nn.AvgPool2d(3, 2, 1, count_include_pad=include)(Tensor(x)).data
        want = naive_pool(x, (3, 3), (2, 2), (1, 1), "avg", False, include)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    got = nn.AvgPool2d(2, ceil_mode=True)(Tensor(x)).data
    want = naive_pool(x, (2, 2), (2, 2), (0, 0), "avg", True)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    got = nn.AvgPool2d(2, divisor_override=3)(Tensor(x)).data  # full 2x2 windows: sum / 3
    want = naive_pool(x, (2, 2), (2, 2), (0, 0), "avg") * 4 / 3
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


POOL_CASES = [
    ((2, 2), (2, 2), (0, 0), False),
    ((3, 3), (2, 2), (1, 1), False),
    ((3, 2), (1, 2), (1, 0), False),
    ((3, 3), (2, 2), (0, 0), True),
    ((2, 2), (3, 3), (1, 1), True),
]


@pytest.mark.parametrize("kernel,stride,padding,ceil_mode", POOL_CASES)
def test_pooling_matches_naive_loops(kernel, stride, padding, ceil_mode):
    x = np.random.default_rng(2).standard_normal((2, 3, 8, 7))
    got = F.max_pool2d(Tensor(x), kernel, stride, padding, ceil_mode=ceil_mode).data
    np.testing.assert_array_equal(got, naive_pool(x, kernel, stride, padding, "max", ceil_mode))
    for include in (True, False):
        got = F.avg_pool2d(Tensor(x), kernel, stride, padding, ceil_mode, include).data
        want = naive_pool(x, kernel, stride, padding, "avg", ceil_mode, include)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def naive_max_pool_grad(x, g, k, s, p):
    """Input gradient of max pooling by a loop over windows: each output's gradient goes to
    the FIRST largest input of its window in row-major order (PyTorch's CPU kernel keeps
    the first maximum: it replaces it only on a strictly greater value); padding never wins."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = k, s, p
    dx = np.zeros_like(x)
    for i in range(n):
        for ch in range(c):
            for y in range(g.shape[2]):
                for z in range(g.shape[3]):
                    h0, w0 = max(y * sh - ph, 0), max(z * sw - pw, 0)
                    h1, w1 = min(y * sh - ph + kh, h), min(z * sw - pw + kw, w)
                    window = x[i, ch, h0:h1, w0:w1]
                    r, q = np.unravel_index(np.argmax(window), window.shape)  # first max
                    dx[i, ch, h0 + r, w0 + q] += g[i, ch, y, z]
    return dx


@pytest.mark.parametrize(
    "channels,kernel,stride,padding,ceil_mode",
    [
        (3, (2, 2), (2, 2), (0, 0), False),
        (3, (3, 3), (1, 1), (1, 1), False),  # overlapping windows share winners
        (16, (2, 2), (2, 2), (0, 0), False),  # tiling windows, many channels: one-pass
        (16, (2, 2), (2, 2), (1, 1), False),  # ... but padded: not the one-pass backward
        (16, (3, 2), (3, 2), (1, 1), True),
    ],
)
def test_max_pool_gradient_goes_to_the_first_maximum_of_each_window(
    channels, kernel, stride, padding, ceil_mode
):
    rng = np.random.default_rng(6)
    x = rng.integers(0, 3, (2, channels, 7, 8)).astype(np.float64)  # many ties
    t = Tensor(x, requires_grad=True)
    out = F.max_pool2d(t, kernel, stride, padding, ceil_mode=ceil_mode)
    np.testing.assert_array_equal(out.data, naive_pool(x, kernel, stride, padding, "max",
                                                       ceil_mode))  # fmt: skip
    g = rng.standard_normal(out.shape)
    out.backward(gradient=g)
    np.testing.assert_allclose(t.grad, naive_max_pool_grad(x, g, kernel, stride, padding),
                               rtol=1e-12, atol=1e-12)


def test_pool_padding_limit_is_half_the_kernel_in_each_dimension():
    x = np.random.default_rng(5).standard_normal((1, 2, 5, 6))
    for pool in (F.max_pool2d, F.avg_pool2d):
        with pytest.raises(ValueError, match="padding should be at most half"):
            pool(Tensor(x), (4, 2), padding=(0, 2))  # 2 > 2 // 2 in the width
        got = pool(Tensor(x), (2, 4), padding=(0, 2)).data  # 2 <= 4 // 2: allowed
        mode = "max" if pool is F.max_pool2d else "avg"
        want = naive_pool(x, (2, 4), (2, 4), (0, 2), mode)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_max_pool_backward_routes_gradient_to_the_winner_and_propagates_nan():
    x = np.array([[[[1.0, 5.0], [3.0, 2.0]]]])
    t = Tensor(x, requires_grad=True)
    F.max_pool2d(t, 2).backward(gradient=np.array([[[[7.0]]]]))
    np.testing.assert_array_equal(t.grad, [[[[0.0, 7.0], [0.0, 0.0]]]])
    x[0, 0, 1, 1] = np.nan
    assert np.isnan(F.max_pool2d(Tensor(x), 2).data).all()
    x[0, 0, 0, 1] = np.nan  # two NaNs: as PyTorch, the last one (row-major) wins
    t = Tensor(x, requires_grad=True)
    F.max_pool2d(t, 2).backward(gradient=np.array([[[[7.0]]]]))
    np.testing.assert_array_equal(t.grad, [[[[0.0, 0.0], [0.0, 7.0]]]])


def test_avg_pool_divisor_override():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    got = F.avg_pool2d(Tensor(x), 2, divisor_override=3).data
    np.testing.assert_allclose(got, naive_pool(x, (2, 2), (2, 2), (0, 0), "avg") * 4 / 3)


@pytest.mark.parametrize(
    "layer,shape,expected",
    [
        (nn.Conv2d(3, 4, 3), (2, 2, 8, 8), "(N, 3, H, W)"),
        (nn.Conv2d(3, 4, 3), (8, 8), "(N, 3, H, W)"),
        (nn.Linear(5, 2), (3, 4), "(*, 5)"),
        (nn.BatchNorm2d(4), (2, 3, 5, 5), "(N, 4, H, W)"),
        (nn.BatchNorm1d(4), (2, 3), "(N, 4)"),
        (nn.MaxPool2d(2), (4, 4), "(N, C, H, W)"),
        (nn.AvgPool2d(2), (4,), "(N, C, H, W)"),
        (nn.LayerNorm(6), (2, 5), "(*, 6)"),
        (nn.LoRALinear(nn.Linear(4, 2)), (1, 3), "(*, 4)"),
    ],
)
def test_wrong_input_shape_names_layer_expected_and_received(layer, shape, expected):
    with pytest.raises(ValueError) as info:
        layer(Tensor(np.zeros(shape, np.float32)))
    message = str(info.value)
    assert type(layer).__name__ in message and expected in message and str(shape) in message


def test_conv_input_smaller_than_kernel_and_bad_arguments():
    with pytest.raises(ValueError, match="smaller than"):
        nn.Conv2d(1, 1, 5)(Tensor(np.zeros((1, 1, 3, 3), np.float32)))
    with pytest.raises(ValueError, match="groups"):
        nn.Conv2d(2, 2, 3, groups=3)
    with pytest.raises(ValueError, match="padding should be at most half"):
        F.max_pool2d(Tensor(np.zeros((1, 1, 4, 4))), 2, padding=2)
    with pytest.raises(TypeError, match="floating-point"):
        F.conv2d(Tensor(np.zeros((1, 1, 3, 3), np.int64)), Tensor(np.zeros((1, 1, 1, 1))))
    # a bias shorter than the output channels: every route would read past it
    x = Tensor(np.zeros((2, 3, 8, 8), np.float32))
    for weight_shape in ((4, 3, 3, 3), (64, 3, 3, 3), (4, 3, 1, 1)):  # direct, blocked, 1x1
        weight = Tensor(np.zeros(weight_shape, np.float32))
        with pytest.raises(ValueError, match=rf"bias of shape \({weight_shape[0]},\)"):
            F.conv2d(x, weight, Tensor(np.zeros(2, np.float32)))


def test_pooling_signatures_follow_pytorch_positional_order():
    x = Tensor(np.random.default_rng(3).standard_normal((1, 1, 5, 5)))
    # max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)
    assert F.max_pool2d(x, 2, 2, 0, 1, True).shape == (1, 1, 3, 3)
    assert nn.MaxPool2d(2, 2, 0, 1, False, True)(x).shape == (1, 1, 3, 3)
    # MaxPool2d(kernel_size, stride, padding, dilation, return_indices, ceil_mode)
    out, indices = nn.MaxPool2d(2, 1, 0, 2, True, False)(x)
    assert out.shape == indices.shape == (1, 1, 3, 3)


def test_openblas_hold_nests_and_restores_the_thread_count():
    blas = conv_module.blas
    if blas._openblas() is None:
        pytest.skip("numpy's OpenBLAS cannot be called from Numba here")
    _, get_threads, _ = blas._openblas()
    before = get_threads()
    with blas.single_threaded():
        assert get_threads() == 1
        with blas.single_threaded():
            assert get_threads() == 1
        assert get_threads() == 1  # the inner hold ends, the outer one still holds
    assert get_threads() == before
    with pytest.raises(RuntimeError), blas.single_threaded():
        raise RuntimeError("a failing kernel")
    assert get_threads() == before
