"""Conv1d, ConvTranspose1d, MaxPool1d and AvgPool1d (and their functional forms), built on
the 2-D ops with a unit height: against naive loops over the signal written here, np.pad
references for the padding modes and float64 finite differences; plus shapes, errors,
repr, state_dict keys and the default initialisation."""

import math

import numpy as np
import pytest
from error_messages import exactly
from test_nn_gradcheck import check_grads

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, manual_seed, nn

NP_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def naive_conv1d(x, w, b, stride, padding, dilation, groups):
    """out[n, o, t] = b[o] + sum over the group's channels c and taps k of
    w[o, c, k] * xpadded[n, c, t * stride + k * dilation]."""
    n, c, length = x.shape
    o, per_group, k = w.shape
    xp = np.zeros((n, c, length + 2 * padding))
    xp[:, :, padding:padding + length] = x
    out_len = (length + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    out = np.zeros((n, o, out_len))
    for i in range(n):
        for f in range(o):
            first = f // (o // groups) * per_group
            for t in range(out_len):
                total = 0.0 if b is None else b[f]
                for ch in range(per_group):
                    for q in range(k):
                        total += w[f, ch, q] * xp[i, first + ch, t * stride + q * dilation]
                out[i, f, t] = total
    return out


def naive_conv_transpose1d(x, w, b, stride, padding, output_padding, groups, dilation):
    """Scatter every input sample times its kernel into the output, then crop the padding."""
    n, c, length = x.shape
    _, out_per_group, k = w.shape
    out_len = (length - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    full = np.zeros((n, out_per_group * groups, max((length - 1) * stride + dilation * (k - 1)
                                                    + 1, out_len + padding)))
    for i in range(n):
        for ch in range(c):
            first = ch // (c // groups) * out_per_group
            for t in range(length):
                for q in range(k):
                    for f in range(out_per_group):
                        full[i, first + f, t * stride + q * dilation] += x[i, ch, t] * w[ch, f, q]
    out = full[:, :, padding:padding + out_len]
    return out if b is None else out + b[:, None]


def naive_pool1d(x, k, s, p, d, mode, ceil_mode=False, count_include_pad=True):
    """Max or mean over each window, as PyTorch defines the windows, sizes and divisors."""
    n, c, length = x.shape
    span = length + 2 * p - d * (k - 1) - 1
    out_len = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out_len - 1) * s >= length + p:
        out_len -= 1
    out = np.zeros((n, c, out_len))
    index = np.zeros((n, c, out_len), dtype=np.int64)
    for i in range(n):
        for ch in range(c):
            for t in range(out_len):
                start = t * s - p
                taps = [start + q * d for q in range(k)]
                inside = [j for j in taps if 0 <= j < length]
                if mode == "max":
                    best = max(inside, key=lambda j: x[i, ch, j])
                    out[i, ch, t], index[i, ch, t] = x[i, ch, best], best
                else:
                    end = min(start + k, length + p)
                    divisor = end - start if count_include_pad else len(inside)
                    out[i, ch, t] = sum(x[i, ch, j] for j in inside) / divisor
    return out, index


# (stride, padding, dilation, kernel, groups)
CONV_CASES = [(1, 0, 1, 3, 1), (2, 1, 1, 3, 2), (3, 2, 2, 3, 1), (1, 3, 1, 5, 3),
              (2, 0, 3, 2, 6), (1, 0, 1, 1, 1)]  # fmt: skip


@pytest.mark.parametrize("stride,padding,dilation,kernel,groups", CONV_CASES)
def test_conv1d_matches_naive_loops_and_finite_differences(stride, padding, dilation, kernel,
                                                           groups):  # fmt: skip
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 11))
    w = rng.standard_normal((6, 6 // groups, kernel))
    b = rng.standard_normal(6)
    want = naive_conv1d(x, w, b, stride, padding, dilation, groups)
    out = F.conv1d(Tensor(x), Tensor(w), Tensor(b), stride, padding, dilation, groups)
    assert out.dtype == np.float64 and out.shape == want.shape
    np.testing.assert_allclose(out.data, want, rtol=1e-10, atol=1e-10)
    single = F.conv1d(Tensor(x[1]), Tensor(w), None, (stride,), (padding,), (dilation,), groups)
    np.testing.assert_allclose(single.data, want[1] - b[:, None], rtol=1e-10, atol=1e-10)

    def conv(xt, wt, bt=None):
        return F.conv1d(xt, wt, bt, stride, padding, dilation, groups)

    check_grads(conv, x[:, :, :8], w, b)
    check_grads(conv, x[0, :, :8], w)


@pytest.mark.parametrize("kernel,dilation", [(3, 1), (4, 1), (2, 3)])
def test_conv1d_same_and_valid_padding(kernel, dilation):
    """'same' keeps the length; an odd total's extra zero goes at the end, as PyTorch."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 2, 9)), rng.standard_normal((3, 2, kernel))
    total = dilation * (kernel - 1)
    padded = np.pad(x, ((0, 0), (0, 0), (total // 2, total - total // 2)))
    want = naive_conv1d(padded, w, None, 1, 0, dilation, 1)
    out = F.conv1d(Tensor(x), Tensor(w), None, 1, "same", dilation)
    assert out.shape == (1, 3, 9)
    np.testing.assert_allclose(out.data, want, rtol=1e-10, atol=1e-10)
    valid = F.conv1d(Tensor(x), Tensor(w), None, 1, "valid", dilation)
    np.testing.assert_allclose(valid.data, naive_conv1d(x, w, None, 1, 0, dilation, 1),
                               rtol=1e-10, atol=1e-10)  # fmt: skip


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [2, "same"])
def test_conv1d_padding_modes_pad_the_signal_first(mode, padding):
    manual_seed(0)
    layer = nn.Conv1d(2, 3, 4, padding=padding, padding_mode=mode, dtype=np.float64)
    x = np.random.default_rng(2).standard_normal((2, 2, 7))
    left, right = (2, 2) if padding == 2 else (1, 2)
    padded = np.pad(x, ((0, 0), (0, 0), (left, right)), mode=NP_MODES[mode])
    want = naive_conv1d(padded, layer.weight.data, layer.bias.data, 1, 0, 1, 1)
    np.testing.assert_allclose(layer(Tensor(x)).data, want, rtol=1e-10, atol=1e-10)
    check_grads(lambda xt: layer(xt), x[:1])


@pytest.mark.parametrize(
    "stride,padding,output_padding,dilation,kernel,groups",
    [(1, 0, 0, 1, 3, 1), (2, 1, 1, 1, 3, 2), (3, 0, 2, 2, 2, 1), (1, 2, 1, 2, 4, 3),
     (2, 0, 0, 1, 1, 1)],
)
def test_conv_transpose1d_matches_naive_loops_and_finite_differences(
    stride, padding, output_padding, dilation, kernel, groups
):  # fmt: skip
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 5))
    w = rng.standard_normal((6, 6 // groups, kernel))
    b = rng.standard_normal(6)
    args = (stride, padding, output_padding, groups, dilation)
    want = naive_conv_transpose1d(x, w, b, stride, padding, output_padding, groups, dilation)
    out = F.conv_transpose1d(Tensor(x), Tensor(w), Tensor(b), *args)
    np.testing.assert_allclose(out.data, want, rtol=1e-10, atol=1e-10)
    single = F.conv_transpose1d(Tensor(x[0]), Tensor(w), None, *args)
    np.testing.assert_allclose(single.data, want[0] - b[:, None], rtol=1e-10, atol=1e-10)

    def conv_t(xt, wt, bt=None):
        return F.conv_transpose1d(xt, wt, bt, *args)

    check_grads(conv_t, x[:, :, :3], w, b)


def test_conv_transpose1d_module_output_size_and_adjoint():
    manual_seed(3)
    layer = nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, dtype=np.float64)
    rng = np.random.default_rng(4)
    y = rng.standard_normal((2, 4, 5))
    w, b = layer.weight.data, layer.bias.data
    for size, output_padding in [((9,), 0), ((10,), 1), ([2, 6, 10], 1)]:
        want = naive_conv_transpose1d(y, w, b, 2, 1, output_padding, 1, 1)
        np.testing.assert_allclose(layer(Tensor(y), output_size=size).data, want, rtol=1e-10,
                                   atol=1e-10)  # fmt: skip
    with pytest.raises(ValueError, match=exactly(
            "ConvTranspose1d: requested an output size of (11,), but valid sizes range from "
            "[9] to [10] (for an input of (5,))")):  # fmt: skip
        layer(Tensor(y), output_size=(11,))
    # <conv1d(x, w), y> = <x, conv_transpose1d(y, w)>
    x = rng.standard_normal((2, 6, 10))
    conv_w = rng.standard_normal((4, 6, 3))
    lhs = np.sum(F.conv1d(Tensor(x), Tensor(conv_w), None, 2, 1).data * y)
    back = F.conv_transpose1d(Tensor(y), Tensor(conv_w), None, 2, 1, 1)
    np.testing.assert_allclose(lhs, np.sum(x * back.data), rtol=1e-12)


@pytest.mark.parametrize(
    "kernel,stride,padding,dilation,ceil_mode",
    [(2, None, 0, 1, False), (3, 2, 1, 1, False), (3, 2, 1, 2, True), (4, 3, 2, 1, True),
     (1, 1, 0, 1, False), ((3,), (1,), (1,), (2,), False)],
)
def test_max_pool1d_matches_naive_loops(kernel, stride, padding, dilation, ceil_mode):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 10))
    ints = [v[0] if isinstance(v, tuple) else v for v in (kernel, stride, padding, dilation)]
    k, s, p, d = ints[0], ints[1] or ints[0], ints[2], ints[3]
    want, index = naive_pool1d(x, k, s, p, d, "max", ceil_mode)
    out, got_index = F.max_pool1d(Tensor(x), kernel, stride, padding, dilation, ceil_mode, True)
    np.testing.assert_array_equal(out.data, want)
    np.testing.assert_array_equal(got_index.data, index)
    assert got_index.dtype == np.int64
    layer = nn.MaxPool1d(kernel, stride, padding, dilation, ceil_mode=ceil_mode)
    np.testing.assert_array_equal(layer(Tensor(x[0])).data, want[0])
    check_grads(lambda xt: F.max_pool1d(xt, kernel, stride, padding, dilation, ceil_mode), x)


@pytest.mark.parametrize(
    "kernel,stride,padding,ceil_mode,count_include_pad",
    [(2, None, 0, False, True), (3, 2, 1, False, True), (3, 2, 1, True, False),
     (4, 3, 2, True, True), (5, 1, 2, False, False)],
)
def test_avg_pool1d_matches_naive_loops(kernel, stride, padding, ceil_mode, count_include_pad):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 10))
    want, _ = naive_pool1d(x, kernel, stride or kernel, padding, 1, "avg", ceil_mode,
                           count_include_pad)  # fmt: skip
    out = F.avg_pool1d(Tensor(x), kernel, stride, padding, ceil_mode, count_include_pad)
    np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-12)
    layer = nn.AvgPool1d(kernel, stride, padding, ceil_mode, count_include_pad)
    np.testing.assert_allclose(layer(Tensor(x[1])).data, want[1], rtol=1e-12, atol=1e-12)

    def pool(xt):
        return F.avg_pool1d(xt, kernel, stride, padding, ceil_mode, count_include_pad)

    check_grads(pool, x)


def test_layers_state_dict_layout_repr_and_default_init():
    manual_seed(4)
    conv = nn.Conv1d(24, 8, 5, stride=2, groups=2)
    assert conv.weight.shape == (8, 12, 5) and list(conv.state_dict()) == ["weight", "bias"]
    bound = 1 / math.sqrt(12 * 5)  # fan_in = in_channels / groups * k
    for values in (conv.weight.data, conv.bias.data):
        assert np.abs(values).max() <= bound
    assert abs(conv.weight.data.std() / (bound / math.sqrt(3)) - 1) < 0.15
    assert repr(conv) == "Conv1d(24, 8, kernel_size=(5,), stride=(2,), groups=2)"
    assert repr(nn.Conv1d(2, 4, 3, padding=2, padding_mode="circular", bias=False)) == (
        "Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=(2,), bias=False, "
        "padding_mode=circular)")
    assert repr(nn.Conv1d(4, 6, 3, padding="same")) == (
        "Conv1d(4, 6, kernel_size=(3,), stride=(1,), padding=same)")
    transposed = nn.ConvTranspose1d(24, 8, 5, stride=2, groups=2)
    assert transposed.weight.shape == (24, 4, 5)
    assert list(transposed.state_dict()) == ["weight", "bias"]
    bound = 1 / math.sqrt(4 * 5)  # fan_in from the weight's dimension 1: out / groups * k
    for values in (transposed.weight.data, transposed.bias.data):
        assert np.abs(values).max() <= bound
    assert abs(transposed.weight.data.std() / (bound / math.sqrt(3)) - 1) < 0.15
    assert repr(transposed) == "ConvTranspose1d(24, 8, kernel_size=(5,), stride=(2,), groups=2)"
    assert repr(nn.MaxPool1d(3, 2, 1, 2, True, True)) == (
        "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)")
    assert repr(nn.MaxPool1d(3)) == (
        "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)")
    assert repr(nn.AvgPool1d(3)) == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"
    assert repr(nn.AvgPool1d(3, 2, 1)) == "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))"


def test_bad_inputs_raise_errors_naming_what_was_expected():
    conv = nn.Conv1d(4, 6, 3)
    for shape in [(2, 3, 8), (4,), (1, 4, 1, 8)]:
        with pytest.raises(ValueError, match=exactly(
                f"Conv1d: expected input of shape (N, 4, L) or (4, L), got {shape}")):
            conv(Tensor(np.zeros(shape, np.float32)))
    with pytest.raises(ValueError, match=exactly(
            "Conv1d: input length 2 (padding 0) is smaller than the kernel size 3 "
            "(dilation 1)")):  # fmt: skip
        conv(Tensor(np.zeros((1, 4, 2), np.float32)))
    w = Tensor(np.zeros((6, 2, 3)))
    with pytest.raises(ValueError, match=exactly(
            "conv1d: expected input of shape (N, 4, L) or (4, L), got (1, 3, 8)")):
        F.conv1d(Tensor(np.zeros((1, 3, 8))), w, groups=2)
    with pytest.raises(ValueError, match=r"^conv1d: weight must be 3-D"):
        F.conv1d(Tensor(np.zeros((1, 4, 8))), Tensor(np.zeros((6, 4, 1, 3))))
    with pytest.raises(TypeError, match=exactly(
            "conv1d: stride must be an int or a one-element tuple of ints, got (1, 2)")):
        F.conv1d(Tensor(np.zeros((1, 2, 8))), w, stride=(1, 2))
    with pytest.raises(ValueError, match=exactly(
            "conv1d: padding='same' is only supported with stride 1")):
        F.conv1d(Tensor(np.zeros((1, 2, 8))), w, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"^Conv1d: padding_mode must be one of"):
        nn.Conv1d(4, 6, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match=exactly(
            "conv_transpose1d: output_padding must be smaller than either stride or dilation, "
            "got output_padding=(1,), stride=(1,), dilation=(1,)")):  # fmt: skip
        F.conv_transpose1d(Tensor(np.zeros((1, 4, 5))), Tensor(np.zeros((4, 2, 3))),
                           output_padding=1)  # fmt: skip
    with pytest.raises(ValueError, match=exactly(
            "ConvTranspose1d: expected input of shape (N, 4, L) or (4, L), got (1, 2, 5)")):
        nn.ConvTranspose1d(4, 2, 3)(Tensor(np.zeros((1, 2, 5), np.float32)))
    with pytest.raises(ValueError, match=exactly(
            "ConvTranspose1d: only padding_mode='zeros' is supported, got 'circular'")):
        nn.ConvTranspose1d(4, 2, 3, padding_mode="circular")
    with pytest.raises(ValueError, match=exactly(
            "max_pool1d: expected input of shape (N, C, L) or (C, L), got (1, 2, 3, 4)")):
        F.max_pool1d(Tensor(np.zeros((1, 2, 3, 4))), 2)
    with pytest.raises(ValueError, match=exactly(
            "MaxPool1d: padding should be at most half of the kernel size, got padding=2 for "
            "kernel_size=3")):  # fmt: skip
        nn.MaxPool1d(3, padding=2)(Tensor(np.zeros((1, 2, 8))))
    with pytest.raises(ValueError, match=exactly(
            "avg_pool1d: input of length 2 is too small for kernel 3 with padding 0 and "
            "dilation 1")):  # fmt: skip
        F.avg_pool1d(Tensor(np.zeros((1, 2, 2))), 3)
    with pytest.raises(TypeError, match="floating-point"):
        F.max_pool1d(Tensor(np.zeros((1, 2, 8), np.int64)), 2)
