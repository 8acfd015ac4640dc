"""AdaptiveAvgPool1d / AdaptiveMaxPool1d, the F.*_with_indices max pools, MaxUnpool1d/2d,
LPPool1d/2d and ChannelShuffle: values against naive loops written here, gradients by
float64 finite differences, PyTorch's attributes and defaults, and the errors."""

import math

import numpy as np
import pytest
from test_nn_gradcheck import check_grads, randn

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, nn


def adaptive_windows(size_in, size_out):
    """PyTorch's documented windows: [floor(i * L / O), ceil((i + 1) * L / O))."""
    return [(i * size_in // size_out, math.ceil((i + 1) * size_in / size_out))
            for i in range(size_out)]  # fmt: skip


def ref_adaptive_1d(x, size_out, op):
    n, c, length = x.shape
    out = np.zeros((n, c, size_out))
    idx = np.zeros((n, c, size_out), np.int64)
    for i in range(n):
        for ch in range(c):
            for o, (lo, hi) in enumerate(adaptive_windows(length, size_out)):
                window = list(x[i, ch, lo:hi])
                if op == "avg":
                    out[i, ch, o] = sum(window) / len(window)
                else:
                    best = max(range(len(window)), key=lambda j: (window[j], -j))
                    out[i, ch, o], idx[i, ch, o] = window[best], lo + best
    return out, idx


def ref_lp_pool_1d(x, p, k, s, ceil_mode=False):
    """(sum of x^p over the window) ^ (1/p); ceil_mode's partial last window is rescaled to
    k / its length, as PyTorch's average-pool formulation does."""
    n, c, length = x.shape
    count = (length - k) // s + 1 if not ceil_mode else -(-(length - k) // s) + 1
    if ceil_mode and (count - 1) * s >= length:
        count -= 1
    out = np.zeros((n, c, count))
    for i in range(n):
        for ch in range(c):
            for o in range(count):
                window = x[i, ch, o * s : o * s + k]
                out[i, ch, o] = (sum(window**p) * k / len(window)) ** (1 / p)
    return out


def ref_lp_pool_2d(x, p, kh, kw, sh, sw):
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(n):
        for ch in range(c):
            for a in range(oh):
                for b in range(ow):
                    window = x[i, ch, a * sh : a * sh + kh, b * sw : b * sw + kw]
                    out[i, ch, a, b] = np.sum(window**p) ** (1 / p)
    return out


def ref_unpool(x, idx, out_spatial):
    """Zero planes with each value written at its flat index; a repeated index keeps the
    first value (PyTorch's CPU rule)."""
    lead = x.shape[: x.ndim - len(out_spatial)]
    out = np.zeros(lead + tuple(out_spatial))
    for pos in np.ndindex(*lead):
        plane, seen = out[pos].reshape(-1), set()
        for value, flat in zip(x[pos].reshape(-1), idx[pos].reshape(-1)):
            if flat not in seen:
                plane[flat] = value
                seen.add(flat)
    return out


def check_unpool_grads(fn, values, idx):
    """Finite differences where every plane's indices are distinct; with repeats, PyTorch's
    rule: each input gets the output gradient at its own index (a gather)."""
    lead = idx.shape[:2] if idx.ndim >= 3 else idx.shape[:1]
    planes = idx.reshape(int(np.prod(lead)), -1)
    if all(len(set(row)) == len(row) for row in planes):
        check_grads(fn, values)
    t = Tensor(values.copy(), requires_grad=True)
    out = fn(t)
    g = randn(*out.shape, seed=7)
    out.backward(gradient=g)
    g_planes = g.reshape(planes.shape[0], -1)
    expected = np.array([[g_planes[r, flat] for flat in planes[r]]
                         for r in range(planes.shape[0])])  # fmt: skip
    np.testing.assert_array_equal(t.grad, expected.reshape(values.shape))


# --- adaptive 1-D pooling --------------------------------------------------------------------


@pytest.mark.parametrize("length,size_out", [(7, 3), (5, 5), (4, 7), (9, 1), (6, 4)])
def test_adaptive_pool1d_match_loops(length, size_out):
    x = randn(2, 3, length)
    avg_ref, _ = ref_adaptive_1d(x, size_out, "avg")
    max_ref, idx_ref = ref_adaptive_1d(x, size_out, "max")
    np.testing.assert_allclose(F.adaptive_avg_pool1d(Tensor(x), size_out).data, avg_ref,
                               rtol=1e-12)
    np.testing.assert_allclose(nn.AdaptiveAvgPool1d((size_out,))(Tensor(x)).data, avg_ref,
                               rtol=1e-12)
    out, idx = F.adaptive_max_pool1d(Tensor(x), size_out, return_indices=True)
    np.testing.assert_array_equal(out.data, max_ref)
    np.testing.assert_array_equal(idx.data, idx_ref)
    assert idx.data.dtype == np.int64
    np.testing.assert_array_equal(nn.AdaptiveMaxPool1d(size_out)(Tensor(x)).data, max_ref)
    out, idx = nn.AdaptiveMaxPool1d(size_out, return_indices=True)(Tensor(x[0]))
    np.testing.assert_array_equal(out.data, max_ref[0])
    np.testing.assert_array_equal(idx.data, idx_ref[0])


def test_adaptive_pool1d_gradients_and_ties():
    check_grads(lambda t: F.adaptive_avg_pool1d(t, 4), randn(2, 2, 7))
    check_grads(lambda t: F.adaptive_max_pool1d(t, 3), randn(2, 2, 7))
    x = np.array([[[2.0, 2.0, 1.0]]])  # a tie keeps the first
    _, idx = F.adaptive_max_pool1d(Tensor(x), 1, True)
    assert idx.data.ravel().tolist() == [0]


def test_adaptive_pool1d_errors_and_repr():
    assert repr(nn.AdaptiveAvgPool1d(3)) == "AdaptiveAvgPool1d(output_size=3)"
    assert repr(nn.AdaptiveMaxPool1d(3)) == "AdaptiveMaxPool1d(output_size=3)"
    assert F.adaptive_avg_pool1d(Tensor(randn(2, 3, 5)), 0).shape == (2, 3, 0)
    with pytest.raises(TypeError, match="adaptive_avg_pool1d: output_size must be an int or a "
                                        r"one-element tuple of ints, got \(3, 2\)"):
        F.adaptive_avg_pool1d(Tensor(randn(2, 3, 7)), (3, 2))
    with pytest.raises(TypeError, match="AdaptiveMaxPool1d: output_size .* got None"):
        nn.AdaptiveMaxPool1d(None)
    with pytest.raises(ValueError, match=r"adaptive_avg_pool1d: expected input of shape "
                                         r"\(N, C, L\) or \(C, L\), got \(7,\)"):
        F.adaptive_avg_pool1d(Tensor(randn(7)), 3)
    with pytest.raises(ValueError, match="adaptive_avg_pool1d: expected non-zero L"):
        F.adaptive_avg_pool1d(Tensor(np.zeros((2, 3, 0))), 2)
    with pytest.raises(ValueError, match="adaptive_max_pool1d: expected non-zero C and L"):
        F.adaptive_max_pool1d(Tensor(np.zeros((2, 0, 7))), 2)
    with pytest.raises(ValueError, match="output_size must be >= 0, got -1"):
        F.adaptive_max_pool1d(Tensor(randn(2, 3, 7)), -1)


# --- the *_with_indices forms ----------------------------------------------------------------


def test_with_indices_forms_always_return_indices():
    x1, x2 = randn(2, 3, 9), randn(2, 3, 6, 7)
    out, idx = F.max_pool1d_with_indices(Tensor(x1), 3, 2)
    ref, ref_idx = F.max_pool1d(Tensor(x1), 3, 2, return_indices=True)
    np.testing.assert_array_equal(out.data, ref.data)
    np.testing.assert_array_equal(idx.data, ref_idx.data)
    # the 1-D windows by hand: window o covers [2o, 2o + 3)
    np.testing.assert_array_equal(idx.data[0, 0], [2 * o + np.argmax(x1[0, 0, 2 * o : 2 * o + 3])
                                                   for o in range(4)])  # fmt: skip
    out, idx = F.max_pool2d_with_indices(Tensor(x2), 2)
    for (a, b) in np.ndindex(3, 3):
        window = x2[1, 2, 2 * a : 2 * a + 2, 2 * b : 2 * b + 2]
        r, q = np.unravel_index(np.argmax(window), (2, 2))
        assert out.data[1, 2, a, b] == window.max()
        assert idx.data[1, 2, a, b] == (2 * a + r) * 7 + 2 * b + q
    out, idx = F.adaptive_max_pool1d_with_indices(Tensor(x1), 4)
    ref, ref_idx = ref_adaptive_1d(x1, 4, "max")
    np.testing.assert_array_equal(out.data, ref)
    np.testing.assert_array_equal(idx.data, ref_idx)
    out, idx = F.adaptive_max_pool2d_with_indices(Tensor(x2), (3, None))
    assert out.shape == idx.shape == (2, 3, 3, 7)
    h_windows = adaptive_windows(6, 3)
    for a, (lo, hi) in enumerate(h_windows):
        column = x2[:, :, lo:hi, :]
        np.testing.assert_array_equal(out.data[:, :, a], column.max(axis=2))
        np.testing.assert_array_equal(idx.data[:, :, a],
                                      (lo + column.argmax(axis=2)) * 7 + np.arange(7))


# --- MaxUnpool -------------------------------------------------------------------------------


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 0), ((2, 3), (2, 1), (1, 0))])
def test_max_unpool2d_inverts_max_pool2d(k, s, p):
    x = randn(2, 3, 6, 7)
    pooled, idx = F.max_pool2d(Tensor(x), k, s, p, return_indices=True)
    kh, kw = (k, k) if isinstance(k, int) else k
    sh, sw = (s, s) if isinstance(s, int) else s
    ph, pw = (p, p) if isinstance(p, int) else p
    oh, ow = pooled.shape[2:]
    default = ((oh - 1) * sh - 2 * ph + kh, (ow - 1) * sw - 2 * pw + kw)
    out_size = (max(default[0], 6), max(default[1], 7))
    if out_size[0] >= default[0] + sh or out_size[1] >= default[1] + sw:
        out_size = default
    out = F.max_unpool2d(pooled, idx, k, s, p, output_size=out_size)
    np.testing.assert_array_equal(out.data, ref_unpool(pooled.data, idx.data, out_size))
    unpool = nn.MaxUnpool2d(k, s, p)
    np.testing.assert_array_equal(unpool(pooled, idx, output_size=out_size).data, out.data)
    values = pooled.data.copy()
    check_unpool_grads(lambda t: F.max_unpool2d(t, idx, k, s, p, output_size=out_size), values,
                       idx.data)


def test_max_unpool_default_sizes_unbatched_and_1d():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    pooled, idx = F.max_pool2d(Tensor(x), 2, return_indices=True)
    out = F.max_unpool2d(pooled, idx, 2)
    expected = np.zeros((4, 4))
    expected[1::2, 1::2] = [[5, 7], [13, 15]]
    np.testing.assert_array_equal(out.data[0, 0], expected)
    np.testing.assert_array_equal(F.max_unpool2d(pooled[0], idx[0], 2).data, expected[None])
    out = F.max_unpool2d(pooled, idx, 2, output_size=(1, 1, 5, 5))
    assert out.shape == (1, 1, 5, 5)
    signal = randn(2, 3, 9)
    pooled, idx = F.max_pool1d(Tensor(signal), 3, 2, return_indices=True)
    for size in (None, (9,), (2, 3, 10)):
        out = nn.MaxUnpool1d(3, 2)(pooled, idx, output_size=size)
        length = 9 if size is None else size[-1]
        np.testing.assert_array_equal(out.data, ref_unpool(pooled.data, idx.data, (length,)))
    check_unpool_grads(lambda t: F.max_unpool1d(t, idx, 3, 2), pooled.data.copy(), idx.data)
    unique_pooled, unique_idx = F.max_pool1d(Tensor(signal), 2, return_indices=True)
    check_unpool_grads(lambda t: F.max_unpool1d(t, unique_idx, 2), unique_pooled.data.copy(),
                       unique_idx.data)
    out = F.max_unpool1d(pooled[0], idx[0], 3, 2)
    np.testing.assert_array_equal(out.data, ref_unpool(pooled.data[0], idx.data[0], (9,)))


def test_max_unpool_repeated_index_keeps_first_value_and_gathers_gradient():
    x = Tensor(np.array([[[1.0, 3.0, 2.0, 0.0]]]))
    _, idx = F.max_pool1d(x, 3, 1, return_indices=True)
    assert idx.data.ravel().tolist() == [1, 1]
    values = Tensor(np.array([[[10.0, 20.0]]]), requires_grad=True)
    out = F.max_unpool1d(values, idx, 3, 1)
    assert out.data.ravel().tolist() == [0, 10, 0, 0]
    out.backward(gradient=np.array([[[1.0, 2.0, 3.0, 4.0]]]))
    assert values.grad.ravel().tolist() == [2, 2]


def test_max_unpool_modules_store_tuples():
    m = nn.MaxUnpool2d(2)
    assert (m.kernel_size, m.stride, m.padding) == ((2, 2), (2, 2), (0, 0))
    assert repr(m) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    m = nn.MaxUnpool1d(2)
    assert (m.kernel_size, m.stride, m.padding) == ((2,), (2,), (0,))
    assert nn.MaxUnpool2d((2, 3), stride=1).stride == (1, 1)
    assert list(m.state_dict()) == []


def test_max_unpool_errors():
    pooled, idx = F.max_pool2d(Tensor(np.arange(16.0).reshape(1, 1, 4, 4)), 2,
                               return_indices=True)  # fmt: skip
    with pytest.raises(ValueError, match=r"max_unpool2d: invalid output_size \(6, 5\): dim 0 "
                                         r"must be between 2 and 6 \(exclusive\), got 6"):
        F.max_unpool2d(pooled, idx, 2, output_size=(6, 5))
    with pytest.raises(ValueError, match="max_unpool2d: found an invalid max index 15: indices "
                                         r"must lie in \[0, 12\) for output planes of size 3x4"):
        F.max_unpool2d(pooled, idx, 2, output_size=(3, 4))
    with pytest.raises(ValueError, match="invalid max index -85"):
        F.max_unpool2d(pooled, Tensor(idx.data - 100), 2)
    with pytest.raises(TypeError, match="output_size must be a sequence of 2 or 4 ints, got 5"):
        F.max_unpool2d(pooled, idx, 2, output_size=5)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\) or \(C, H, W\), "
                                         r"got \(2, 2\)"):
        F.max_unpool2d(pooled[0, 0], idx[0, 0], 2)
    with pytest.raises(ValueError, match=r"expected indices of the input's shape \(1, 1, 2, 2\), "
                                         r"got \(1, 1, 1, 2\)"):
        F.max_unpool2d(pooled, idx[:, :, :1], 2)
    with pytest.raises(TypeError, match=r"expected integer \(int64\) indices Tensor, got float64"):
        F.max_unpool2d(pooled, Tensor(idx.data.astype(np.float64)), 2)
    with pytest.raises(ValueError, match="MaxUnpool1d: kernel_size and stride must be >= 1"):
        nn.MaxUnpool1d(0)
    before = pooled.data.copy()
    with pytest.raises(ValueError):
        F.max_unpool2d(pooled, idx, 2, output_size=(2, 4))
    np.testing.assert_array_equal(pooled.data, before)


# --- LPPool ----------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [1, 2, 3, 1.5])
def test_lp_pool1d_matches_loops(p):
    x = np.abs(randn(2, 3, 9)) + 0.1
    np.testing.assert_allclose(F.lp_pool1d(Tensor(x), p, 3).data,
                               ref_lp_pool_1d(x, p, 3, 3), rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(nn.LPPool1d(p, 3, 2)(Tensor(x)).data,
                               ref_lp_pool_1d(x, p, 3, 2), rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(F.lp_pool1d(Tensor(x), p, 4, 3, ceil_mode=True).data,
                               ref_lp_pool_1d(x, p, 4, 3, ceil_mode=True), rtol=1e-12)
    check_grads(lambda t: F.lp_pool1d(t, p, 3, 2), x)


@pytest.mark.parametrize("p", [1, 2, 2.5])
def test_lp_pool2d_matches_loops(p):
    x = np.abs(randn(2, 2, 6, 7)) + 0.1
    np.testing.assert_allclose(F.lp_pool2d(Tensor(x), p, 2).data,
                               ref_lp_pool_2d(x, p, 2, 2, 2, 2), rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(nn.LPPool2d(p, (2, 3), (1, 2))(Tensor(x)).data,
                               ref_lp_pool_2d(x, p, 2, 3, 1, 2), rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(F.lp_pool2d(Tensor(x[0]), p, 3).data,
                               ref_lp_pool_2d(x[:1], p, 3, 3, 3, 3)[0], rtol=1e-12)  # fmt: skip
    check_grads(lambda t: F.lp_pool2d(t, p, (2, 3), (1, 2)), x)


def test_lp_pool_signs_infinity_and_zero_gradient():
    x = np.array([[[1.0, -2.0, 3.0, -4.0, 5.0]]])
    # odd p: the sums of cubes are -7 and -37 (NaN roots) and, in ceil_mode, 125 * 2 / 1
    out = F.lp_pool1d(Tensor(x), 3, 2, ceil_mode=True).data.ravel()
    assert np.isnan(out[:2]).all()
    np.testing.assert_allclose(out[2], 250.0 ** (1 / 3), rtol=1e-14)
    np.testing.assert_array_equal(F.lp_pool1d(Tensor(x), math.inf, 2).data.ravel(), [2, 4])
    np.testing.assert_array_equal(F.lp_pool1d(Tensor(x), -math.inf, 2).data.ravel(), [1, 3])
    check_grads(lambda t: F.lp_pool2d(t, math.inf, 2), randn(1, 2, 4, 4))
    zeros = Tensor(np.zeros((1, 1, 4, 4)), requires_grad=True)
    F.lp_pool2d(zeros, 2, 2).sum().backward()
    np.testing.assert_array_equal(zeros.grad, np.zeros((1, 1, 4, 4)))


def test_lp_pool_modules_and_errors():
    m = nn.LPPool2d(2, 3)
    assert (m.norm_type, m.kernel_size, m.stride, m.ceil_mode) == (2, 3, None, False)
    assert repr(m) == "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
    assert repr(nn.LPPool1d(1.5, 2, 1)) == (
        "LPPool1d(norm_type=1.5, kernel_size=2, stride=1, ceil_mode=False)"
    )
    with pytest.raises(ValueError, match="lp_pool1d: norm_type must be non-zero"):
        F.lp_pool1d(Tensor(randn(1, 2, 4)), 0, 2)
    with pytest.raises(TypeError, match="LPPool2d: norm_type must be a number, got '2'"):
        nn.LPPool2d("2", 2)
    with pytest.raises(TypeError, match="LPPool1d: kernel_size must be an int or a one-element"):
        nn.LPPool1d(2, (2, 2))
    with pytest.raises(ValueError, match=r"avg_pool1d: expected input of shape \(N, C, L\) or "
                                         r"\(C, L\), got \(5,\)"):
        F.lp_pool1d(Tensor(randn(5)), 2, 2)


# --- ChannelShuffle --------------------------------------------------------------------------


@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 2), ((2, 6, 3), 3), ((1, 12, 2, 2), 4),
                                          ((2, 4, 1, 2, 2), 1)])  # fmt: skip
def test_channel_shuffle_matches_loop(shape, groups):
    x = randn(*shape)
    out = F.channel_shuffle(Tensor(x), groups)
    per_group = shape[1] // groups
    expected = np.empty_like(x)
    for i in range(per_group):
        for g in range(groups):
            expected[:, i * groups + g] = x[:, g * per_group + i]
    np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_array_equal(nn.ChannelShuffle(groups)(Tensor(x)).data, expected)
    check_grads(lambda t: F.channel_shuffle(t, groups), x)


def test_channel_shuffle_closed_form_module_and_errors():
    x = Tensor(np.arange(6.0).reshape(1, 6, 1))
    assert F.channel_shuffle(x, 2).data.ravel().tolist() == [0, 3, 1, 4, 2, 5]
    assert F.channel_shuffle(Tensor(np.arange(6).reshape(1, 6, 1)), 3).data.dtype == np.int64
    m = nn.ChannelShuffle(2)
    assert m.groups == 2 and repr(m) == "ChannelShuffle(groups=2)"
    with pytest.raises(ValueError, match=r"channel_shuffle: expected input with more than 2 "
                                         r"dimensions \(N, C, \*\), got shape \(2, 6\)"):
        F.channel_shuffle(Tensor(randn(2, 6)), 3)
    with pytest.raises(ValueError, match="expected the number of channels to be divisible by "
                                         "groups, got 6 channels and 4 groups"):
        F.channel_shuffle(Tensor(randn(2, 6, 3)), 4)
    with pytest.raises(ValueError, match="ChannelShuffle: groups must be positive, got 0"):
        nn.ChannelShuffle(0)
    with pytest.raises(TypeError, match="channel_shuffle: groups must be an int, got 2.0"):
        F.channel_shuffle(Tensor(randn(2, 6, 3)), 2.0)


def test_exported_names():
    modules = {"AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "MaxUnpool1d", "MaxUnpool2d",
               "LPPool1d", "LPPool2d", "ChannelShuffle"}  # fmt: skip
    functions = {"adaptive_avg_pool1d", "adaptive_max_pool1d", "max_pool1d_with_indices",
                 "max_pool2d_with_indices", "adaptive_max_pool1d_with_indices",
                 "adaptive_max_pool2d_with_indices", "max_unpool1d", "max_unpool2d",
                 "lp_pool1d", "lp_pool2d", "channel_shuffle"}  # fmt: skip
    assert modules <= set(nn.__all__) and all(hasattr(nn, name) for name in modules)
    assert functions <= set(F.__all__) and all(callable(getattr(F, n)) for n in functions)
