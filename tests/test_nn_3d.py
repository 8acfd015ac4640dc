"""The 3-D (volumetric) layers: Conv3d, ConvTranspose3d, MaxPool3d, AvgPool3d, the adaptive
pools (and their functional forms), BatchNorm3d, InstanceNorm3d and the 3-D padding modules,
against naive loops over the volume written here, the documented formulas, np.pad and
float64 finite differences; plus shapes, errors, repr, state_dict keys and default init."""

import itertools
import math

import numpy as np
import pytest
from error_messages import exactly
from test_nn_gradcheck import check_grads

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, manual_seed, nn

NP_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
TOL = {"rtol": 1e-10, "atol": 1e-10}


def naive_conv3d(x, w, b, stride, padding, dilation, groups):
    """out[n, o, z, y, x] = b[o] + sum over the group's channels c and taps (a, i, j) of
    w[o, c, a, i, j] * xpadded[n, c, z*s + a*d, y*s + i*d, x*s + j*d]."""
    n, c = x.shape[:2]
    o, per_group, *kernel = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), *((p, p) for p in padding)))
    out_size = [(size + 2 * p - d * (k - 1) - 1) // s + 1
                for size, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation)]
    out = np.zeros((n, o, *out_size))
    for i, f, *pos in itertools.product(range(n), range(o), *map(range, out_size)):
        first = f // (o // groups) * per_group
        total = 0.0 if b is None else b[f]
        for ch, *tap in itertools.product(range(per_group), *map(range, kernel)):
            at = tuple(q * s + t * d for q, t, s, d in zip(pos, tap, stride, dilation))
            total += w[(f, ch, *tap)] * xp[(i, first + ch, *at)]
        out[(i, f, *pos)] = total
    return out


def naive_conv_transpose3d(x, w, b, stride, padding, output_padding, groups, dilation):
    """Scatter every input voxel times its kernel into a full output, then crop the padding."""
    n, c = x.shape[:2]
    _, out_per_group, *kernel = w.shape
    out_size = [(size - 1) * s - 2 * p + d * (k - 1) + op + 1 for size, k, s, p, d, op in
                zip(x.shape[2:], kernel, stride, padding, dilation, output_padding)]
    full_size = [max((size - 1) * s + d * (k - 1) + 1, out + p) for size, k, s, d, out, p in
                 zip(x.shape[2:], kernel, stride, dilation, out_size, padding)]
    full = np.zeros((n, out_per_group * groups, *full_size))
    for i, ch, *pos in itertools.product(range(n), range(c), *map(range, x.shape[2:])):
        first = ch // (c // groups) * out_per_group
        for f, *tap in itertools.product(range(out_per_group), *map(range, kernel)):
            at = tuple(q * s + t * d for q, t, s, d in zip(pos, tap, stride, dilation))
            full[(i, first + f, *at)] += x[(i, ch, *pos)] * w[(ch, f, *tap)]
    out = full[(slice(None), slice(None), *(slice(p, p + o) for p, o in zip(padding, out_size)))]
    return out if b is None else out + b[:, None, None, None]


def pool_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def naive_pool3d(x, kernel, stride, padding, dilation, mode, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):  # fmt: skip
    """Max (with the flat index of the first winner) or mean over each window, as PyTorch
    defines the windows, output sizes and divisors."""
    n, c, *spatial = x.shape
    out_size = [pool_size(*args, ceil_mode) for args in
                zip(spatial, kernel, stride, padding, dilation)]
    out = np.zeros((n, c, *out_size))
    index = np.zeros((n, c, *out_size), dtype=np.int64)
    for i, ch, *pos in itertools.product(range(n), range(c), *map(range, out_size)):
        starts = [q * s - p for q, s, p in zip(pos, stride, padding)]
        taps = [[st + t * d for t in range(k)] for st, k, d in zip(starts, kernel, dilation)]
        inside = [tap for tap in itertools.product(*taps)
                  if all(0 <= t < size for t, size in zip(tap, spatial))]
        if mode == "max":
            best = max(inside, key=lambda tap: x[(i, ch, *tap)])
            out[(i, ch, *pos)] = x[(i, ch, *best)]
            index[(i, ch, *pos)] = (best[0] * spatial[1] + best[1]) * spatial[2] + best[2]
        else:
            ends = [min(st + k, size + p) for st, k, size, p in
                    zip(starts, kernel, spatial, padding)]
            divisor = (math.prod(e - st for e, st in zip(ends, starts)) if count_include_pad
                       else len(inside))
            if divisor_override is not None:
                divisor = divisor_override
            out[(i, ch, *pos)] = sum(x[(i, ch, *tap)] for tap in inside) / divisor
    return out, index


def naive_adaptive3d(x, out_size, mode):
    """PyTorch's adaptive windows: output q of an axis covers [floor(q*S/OS),
    ceil((q+1)*S/OS))."""
    n, c, *spatial = x.shape
    out = np.zeros((n, c, *out_size))
    for i, ch, *pos in itertools.product(range(n), range(c), *map(range, out_size)):
        box = tuple(slice(q * size // o, -(-(q + 1) * size // o))
                    for q, size, o in zip(pos, spatial, out_size))
        block = x[(i, ch, *box)]
        out[(i, ch, *pos)] = block.max() if mode == "max" else block.mean()
    return out


# (stride, padding, dilation, kernel, groups)
CONV_CASES = [(1, 0, 1, (2, 2, 2), 1), (2, 1, 1, (3, 2, 3), 2), ((1, 2, 1), (1, 0, 2),
              (2, 1, 1), (2, 3, 2), 1), (1, 1, (1, 2, 1), (1, 2, 2), 4)]  # fmt: skip


@pytest.mark.parametrize("stride,padding,dilation,kernel,groups", CONV_CASES)
def test_conv3d_matches_naive_loops_and_finite_differences(stride, padding, dilation, kernel,
                                                           groups):  # fmt: skip
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 5, 4, 6))
    w = rng.standard_normal((4, 4 // groups, *kernel))
    b = rng.standard_normal(4)
    triples = [(v,) * 3 if isinstance(v, int) else v for v in (stride, padding, dilation)]
    want = naive_conv3d(x, w, b, *triples, groups)
    out = F.conv3d(Tensor(x), Tensor(w), Tensor(b), stride, padding, dilation, groups)
    assert out.dtype == np.float64 and out.shape == want.shape
    np.testing.assert_allclose(out.data, want, **TOL)
    single = F.conv3d(Tensor(x[1]), Tensor(w), None, stride, padding, dilation, groups)
    np.testing.assert_allclose(single.data, want[1] - b[:, None, None, None], **TOL)

    def conv(xt, wt, bt=None):
        return F.conv3d(xt, wt, bt, stride, padding, dilation, groups)

    small = x[:1, :, :4, :3, :4]
    check_grads(conv, small, w, b)
    check_grads(conv, small[0], w)


@pytest.mark.parametrize("kernel,dilation", [((3, 3, 3), 1), ((2, 3, 4), 1), ((2, 2, 1), 3)])
def test_conv3d_same_and_valid_padding(kernel, dilation):
    """'same' keeps the size; an odd total's extra zero goes at the end, as PyTorch."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 2, 5, 4, 6)), rng.standard_normal((3, 2, *kernel))
    totals = [dilation * (k - 1) for k in kernel]
    padded = np.pad(x, ((0, 0), (0, 0), *((t // 2, t - t // 2) for t in totals)))
    want = naive_conv3d(padded, w, None, (1,) * 3, (0,) * 3, (dilation,) * 3, 1)
    out = F.conv3d(Tensor(x), Tensor(w), None, 1, "same", dilation)
    assert out.shape == (1, 3, 5, 4, 6)
    np.testing.assert_allclose(out.data, want, **TOL)
    valid = F.conv3d(Tensor(x), Tensor(w), None, 1, "valid", dilation)
    np.testing.assert_allclose(
        valid.data, naive_conv3d(x, w, None, (1,) * 3, (0,) * 3, (dilation,) * 3, 1), **TOL
    )
    check_grads(lambda xt, wt: F.conv3d(xt, wt, None, 1, "same", dilation), x[:, :, :3, :3, :3],
                w)  # fmt: skip


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [(1, 2, 0), "same"])
def test_conv3d_padding_modes_pad_the_volume_first(mode, padding):
    manual_seed(0)
    layer = nn.Conv3d(4, 2, (2, 3, 3), padding=padding, padding_mode=mode, groups=2,
                      dtype=np.float64)  # fmt: skip
    x = np.random.default_rng(2).standard_normal((2, 4, 3, 4, 5))
    sides = ((1, 1), (2, 2), (0, 0)) if padding != "same" else ((0, 1), (1, 1), (1, 1))
    widths = ((0, 0), (0, 0), *sides)
    padded = np.pad(x, widths) if mode == "zeros" else np.pad(x, widths, mode=NP_MODES[mode])
    want = naive_conv3d(padded, layer.weight.data, layer.bias.data, (1,) * 3, (0,) * 3,
                        (1,) * 3, 2)  # fmt: skip
    np.testing.assert_allclose(layer(Tensor(x)).data, want, **TOL)
    check_grads(lambda xt: layer(xt), x[:1])


# (stride, padding, output_padding, dilation, kernel, groups)
TRANSPOSE_CASES = [(1, 0, 0, 1, (2, 2, 2), 1), (2, 1, 1, 1, (3, 2, 3), 2),
                   ((2, 1, 3), (0, 1, 1), (1, 0, 2), (1, 2, 1), (2, 3, 2), 1)]  # fmt: skip


@pytest.mark.parametrize("stride,padding,output_padding,dilation,kernel,groups",
                         TRANSPOSE_CASES)  # fmt: skip
def test_conv_transpose3d_matches_naive_loops_and_finite_differences(
    stride, padding, output_padding, dilation, kernel, groups
):  # fmt: skip
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 3, 2, 3))
    w = rng.standard_normal((4, 3, *kernel))
    b = rng.standard_normal(3 * groups)
    args = [(v,) * 3 if isinstance(v, int) else v
            for v in (stride, padding, output_padding, dilation)]
    want = naive_conv_transpose3d(x, w, b, *args[:3], groups, args[3])
    out = F.conv_transpose3d(Tensor(x), Tensor(w), Tensor(b), stride, padding, output_padding,
                             groups, dilation)  # fmt: skip
    assert out.shape == want.shape
    np.testing.assert_allclose(out.data, want, **TOL)

    def conv(xt, wt, bt=None):
        return F.conv_transpose3d(xt, wt, bt, stride, padding, output_padding, groups, dilation)

    check_grads(conv, x[:1, :, :2], w, b)
    check_grads(conv, x[0, :, :2], w)


def test_conv_transpose3d_layer_output_size_picks_output_padding():
    manual_seed(1)
    layer = nn.ConvTranspose3d(2, 4, 3, stride=2, padding=1, groups=2, dtype=np.float64)
    x = np.random.default_rng(4).standard_normal((1, 2, 2, 3, 2))
    out = layer(Tensor(x), output_size=(4, 5, 4))
    want = naive_conv_transpose3d(x, layer.weight.data, layer.bias.data, (2,) * 3, (1,) * 3,
                                  (1, 0, 1), 2, (1,) * 3)  # fmt: skip
    assert out.shape == (1, 4, 4, 5, 4)
    np.testing.assert_allclose(out.data, want, **TOL)
    with pytest.raises(ValueError, match=exactly(
            "ConvTranspose3d: requested an output size of (6, 5, 4), but valid sizes range "
            "from [3, 5, 3] to [4, 6, 4] (for an input of (2, 3, 2))")):  # fmt: skip
        layer(Tensor(x), output_size=(6, 5, 4))


# (kernel, stride, padding, dilation, ceil_mode)
POOL_CASES = [((2, 2, 2), None, (0, 0, 0), (1, 1, 1), False),
              ((3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), True),
              ((2, 3, 2), (1, 2, 1), (1, 1, 0), (2, 1, 1), True),
              ((3, 2, 3), (2, 1, 2), (1, 0, 1), (2, 2, 1), False)]  # fmt: skip


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", POOL_CASES)
def test_max_pool3d_matches_naive_loops_indices_and_finite_differences(
    kernel, stride, padding, dilation, ceil_mode
):  # fmt: skip
    x = np.random.default_rng(5).standard_normal((2, 3, 5, 6, 7))
    want, want_index = naive_pool3d(x, kernel, stride or kernel, padding, dilation, "max",
                                     ceil_mode)  # fmt: skip
    out, index = F.max_pool3d(Tensor(x), kernel, stride, padding, dilation, ceil_mode, True)
    np.testing.assert_array_equal(out.data, want)
    assert index.dtype == np.int64
    np.testing.assert_array_equal(index.data, want_index)
    layer = nn.MaxPool3d(kernel, stride, padding, dilation, ceil_mode=ceil_mode)
    np.testing.assert_array_equal(layer(Tensor(x[0])).data, want[0])
    check_grads(lambda xt: F.max_pool3d(xt, kernel, stride, padding, dilation, ceil_mode),
                x[:1, :2])  # fmt: skip


# (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG_CASES = [((2, 2, 2), None, 0, False, True, None),
             ((3, 3, 3), (2, 2, 2), 1, True, True, None),
             ((3, 2, 3), (2, 1, 3), (1, 1, 0), True, False, None),
             ((2, 3, 2), (1, 2, 1), (1, 1, 1), False, True, 5)]  # fmt: skip


@pytest.mark.parametrize("kernel,stride,padding,ceil_mode,count_include_pad,divisor", AVG_CASES)
def test_avg_pool3d_matches_naive_loops_and_finite_differences(
    kernel, stride, padding, ceil_mode, count_include_pad, divisor
):  # fmt: skip
    x = np.random.default_rng(6).standard_normal((2, 3, 5, 6, 7))
    pads = (padding,) * 3 if isinstance(padding, int) else padding
    want, _ = naive_pool3d(x, kernel, stride or kernel, pads, (1, 1, 1), "avg", ceil_mode,
                           count_include_pad, divisor)  # fmt: skip
    args = (kernel, stride, padding, ceil_mode, count_include_pad, divisor)
    np.testing.assert_allclose(F.avg_pool3d(Tensor(x), *args).data, want, **TOL)
    np.testing.assert_allclose(nn.AvgPool3d(*args)(Tensor(x[1])).data, want[1], **TOL)
    check_grads(lambda xt: F.avg_pool3d(xt, *args), x[:1, :2])


@pytest.mark.parametrize("output_size,want_size", [(2, (2, 2, 2)), ((3, None, 4), (3, 6, 4)),
                                                   ((1, 4, 3), (1, 4, 3))])  # fmt: skip
def test_adaptive_pools_match_naive_windows_and_finite_differences(output_size, want_size):
    x = np.random.default_rng(7).standard_normal((2, 3, 5, 6, 7))
    want_avg = naive_adaptive3d(x, want_size, "avg")
    want_max = naive_adaptive3d(x, want_size, "max")
    np.testing.assert_allclose(F.adaptive_avg_pool3d(Tensor(x), output_size).data, want_avg,
                               **TOL)  # fmt: skip
    np.testing.assert_allclose(nn.AdaptiveAvgPool3d(output_size)(Tensor(x[0])).data,
                               want_avg[0], **TOL)  # fmt: skip
    out, index = nn.AdaptiveMaxPool3d(output_size, return_indices=True)(Tensor(x))
    np.testing.assert_array_equal(out.data, want_max)
    # the index names the winner's position in its (D, H, W) volume
    planes = x.reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(planes, index.data.reshape(2, 3, -1), 2),
                                  want_max.reshape(2, 3, -1))  # fmt: skip
    check_grads(lambda xt: F.adaptive_avg_pool3d(xt, output_size), x[:1, :2])
    check_grads(lambda xt: F.adaptive_max_pool3d(xt, output_size), x[:1, :2])


def test_max_pool3d_propagates_nan():
    x = np.zeros((1, 1, 2, 2, 2))
    x[0, 0, 1, 0, 1] = np.nan
    out, index = F.max_pool3d(Tensor(x), 2, return_indices=True)
    assert np.isnan(out.data).all() and index.data.item() == 5


def test_batch_norm3d_train_and_eval_follow_the_formula():
    rng = np.random.default_rng(8)
    layer = nn.BatchNorm3d(3, momentum=0.2, dtype=np.float64)
    layer.weight.data[...] = rng.standard_normal(3)
    layer.bias.data[...] = rng.standard_normal(3)
    x = rng.standard_normal((2, 3, 2, 3, 4)) * 2 + 1
    out = layer(Tensor(x))
    mean = x.mean(axis=(0, 2, 3, 4))
    var = x.var(axis=(0, 2, 3, 4))  # biased for the normalisation
    shape = (1, 3, 1, 1, 1)
    gamma, beta = layer.weight.data.reshape(shape), layer.bias.data.reshape(shape)
    want = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + 1e-5) * gamma + beta
    np.testing.assert_allclose(out.data, want, **TOL)
    count = x.size // 3
    np.testing.assert_allclose(layer.running_mean.data, 0.2 * mean, **TOL)
    np.testing.assert_allclose(layer.running_var.data, 0.8 + 0.2 * var * count / (count - 1),
                               **TOL)  # fmt: skip
    assert layer.num_batches_tracked.data == 1
    check_grads(lambda xt: layer(xt), x[:, :, :, :2, :2])
    layer.eval()
    rm, rv = layer.running_mean.data.reshape(shape), layer.running_var.data.reshape(shape)
    want_eval = (x - rm) / np.sqrt(rv + 1e-5) * gamma + beta
    np.testing.assert_allclose(layer(Tensor(x)).data, want_eval, **TOL)
    assert list(layer.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                        "num_batches_tracked"]  # fmt: skip
    assert repr(layer) == ("BatchNorm3d(3, eps=1e-05, momentum=0.2, affine=True, bias=True, "
                           "track_running_stats=True)")  # fmt: skip


def test_instance_norm3d_normalises_each_volume():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 2, 3, 4)) * 3 - 1
    flat = x.reshape(2, 3, -1)
    want = ((flat - flat.mean(axis=2, keepdims=True))
            / np.sqrt(flat.var(axis=2, keepdims=True) + 1e-5)).reshape(x.shape)
    layer = nn.InstanceNorm3d(3)
    assert list(layer.state_dict()) == [] and layer.weight is None
    np.testing.assert_allclose(layer(Tensor(x)).data, want, **TOL)
    np.testing.assert_allclose(layer(Tensor(x[1])).data, want[1], **TOL)
    tracked = nn.InstanceNorm3d(3, momentum=0.5, affine=True, track_running_stats=True,
                                dtype=np.float64)  # fmt: skip
    tracked(Tensor(x))
    np.testing.assert_allclose(tracked.running_mean.data, 0.5 * flat.mean(axis=2).mean(axis=0),
                               **TOL)  # fmt: skip
    np.testing.assert_allclose(tracked.running_var.data,
                               0.5 + 0.5 * flat.var(axis=2, ddof=1).mean(axis=0), **TOL)
    check_grads(lambda xt: F.instance_norm(xt), x[:1, :2, :, :2, :2])


@pytest.mark.parametrize("name,mode", [("ZeroPad3d", "constant"), ("ConstantPad3d", "constant"),
                                       ("ReflectionPad3d", "reflect"),
                                       ("ReplicationPad3d", "edge"),
                                       ("CircularPad3d", "wrap")])  # fmt: skip
def test_padding_modules_match_np_pad(name, mode):
    x = np.random.default_rng(10).standard_normal((2, 2, 3, 4, 5))
    amounts = (1, 2, 0, 3, 2, 1)  # (left, right, top, bottom, front, back)
    layer = nn.ConstantPad3d(amounts, 1.5) if name == "ConstantPad3d" else getattr(nn, name)(
        amounts)
    widths = ((0, 0), (0, 0), (2, 1), (0, 3), (1, 2))
    options = {"constant_values": 1.5} if name == "ConstantPad3d" else {}
    want = np.pad(x, widths, mode=mode, **options)
    np.testing.assert_allclose(layer(Tensor(x)).data, want, **TOL)
    np.testing.assert_allclose(layer(Tensor(x[0])).data, want[0], **TOL)
    assert getattr(nn, name)(*([2, 0.0] if name == "ConstantPad3d" else [2])).padding == (2,) * 6
    check_grads(lambda xt: layer(xt), x[:1, :1, :, :, :3])


def test_layers_state_dict_layout_repr_and_default_init():
    manual_seed(4)
    conv = nn.Conv3d(8, 6, (3, 2, 4), stride=2, groups=2)
    assert conv.weight.shape == (6, 4, 3, 2, 4) and list(conv.state_dict()) == ["weight", "bias"]
    bound = 1 / math.sqrt(4 * 3 * 2 * 4)  # fan_in = in_channels / groups * kD * kH * kW
    for values in (conv.weight.data, conv.bias.data):
        assert np.abs(values).max() <= bound
    assert abs(conv.weight.data.std() / (bound / math.sqrt(3)) - 1) < 0.15
    assert repr(conv) == "Conv3d(8, 6, kernel_size=(3, 2, 4), stride=(2, 2, 2), groups=2)"
    assert repr(nn.Conv3d(2, 4, 3, padding="same", padding_mode="reflect", bias=False)) == (
        "Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=same, bias=False, "
        "padding_mode=reflect)")
    transposed = nn.ConvTranspose3d(8, 6, 3, stride=2, output_padding=1, groups=2)
    assert transposed.weight.shape == (8, 3, 3, 3, 3)
    bound = 1 / math.sqrt(3 * 27)  # fan_in from the weight's dimension 1: out / groups * k^3
    assert np.abs(transposed.weight.data).max() <= bound
    assert abs(transposed.weight.data.std() / (bound / math.sqrt(3)) - 1) < 0.15
    assert repr(transposed) == ("ConvTranspose3d(8, 6, kernel_size=(3, 3, 3), stride=(2, 2, 2), "
                                "output_padding=(1, 1, 1), groups=2)")  # fmt: skip
    assert repr(nn.MaxPool3d(3, 2, 1, 2, ceil_mode=True)) == (
        "MaxPool3d(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)")
    assert repr(nn.AvgPool3d(3)) == "AvgPool3d(kernel_size=3, stride=3, padding=0)"
    assert repr(nn.AdaptiveMaxPool3d((2, None, 3))) == (
        "AdaptiveMaxPool3d(output_size=(2, None, 3))")
    assert repr(nn.ReflectionPad3d(1)) == "ReflectionPad3d((1, 1, 1, 1, 1, 1))"


def test_bad_inputs_raise_errors_naming_what_was_expected():
    conv = nn.Conv3d(4, 6, 3)
    for shape in [(2, 3, 5, 5, 5), (4, 5, 5), (1, 4, 1, 5, 5, 5)]:
        with pytest.raises(ValueError, match=exactly(
                f"Conv3d: expected input of shape (N, 4, D, H, W) or (4, D, H, W), got "
                f"{shape}")):  # fmt: skip
            conv(Tensor(np.zeros(shape, np.float32)))
    with pytest.raises(ValueError, match=exactly(
            "conv3d: expected input of shape (N, 4, D, H, W) or (4, D, H, W), got "
            "(1, 2, 3, 3, 3)")):  # fmt: skip
        F.conv3d(Tensor(np.zeros((1, 2, 3, 3, 3))), Tensor(np.zeros((2, 2, 1, 1, 1))), groups=2)
    with pytest.raises(ValueError, match=exactly(
            "ConvTranspose3d: expected input of shape (N, 2, D, H, W) or (2, D, H, W), got "
            "(1, 3, 2, 2, 2)")):  # fmt: skip
        nn.ConvTranspose3d(2, 4, 3)(Tensor(np.zeros((1, 3, 2, 2, 2), np.float32)))
    with pytest.raises(ValueError, match=exactly(
            "Conv3d: groups must be a positive int dividing in_channels (4) and out_channels "
            "(6), got groups=4")):  # fmt: skip
        nn.Conv3d(4, 6, 3, groups=4)
    with pytest.raises(ValueError, match=exactly(
            "Conv3d: padding='same' is only supported with stride 1")):  # fmt: skip
        nn.Conv3d(4, 6, 3, stride=2, padding="same")
    with pytest.raises(TypeError, match=exactly(
            "Conv3d: kernel_size must be an int or a tuple of three ints, got (3, 3)")):
        nn.Conv3d(4, 6, (3, 3))
    with pytest.raises(ValueError, match=exactly(
            "conv3d: input (2, 5, 5) (padding (0, 0, 0)) is smaller than the kernel (3, 3, 3) "
            "(dilation (1, 1, 1))")):  # fmt: skip
        F.conv3d(Tensor(np.zeros((1, 1, 2, 5, 5))), Tensor(np.zeros((1, 1, 3, 3, 3))))
    reflect = nn.Conv3d(1, 1, 3, padding=2, padding_mode="reflect")
    with pytest.raises(ValueError, match=exactly(
            "Conv3d: padding_mode='reflect' needs padding smaller than the input size, got "
            "padding (2, 2) for dimension 2 of size 2 (input (1, 1, 2, 5, 5))")):  # fmt: skip
        reflect(Tensor(np.zeros((1, 1, 2, 5, 5), np.float32)))
    with pytest.raises(ValueError, match=exactly(
            "conv_transpose3d: output_padding must be smaller than either stride or dilation, "
            "got output_padding=(1, 1, 1), stride=(1, 1, 1), dilation=(1, 1, 1)")):
        F.conv_transpose3d(Tensor(np.zeros((1, 1, 2, 2, 2))), Tensor(np.zeros((1, 1, 2, 2, 2))),
                           output_padding=1)  # fmt: skip
    with pytest.raises(ValueError, match=exactly(
            "MaxPool3d: expected input of shape (N, C, D, H, W) or (C, D, H, W), got "
            "(1, 4, 4)")):  # fmt: skip
        nn.MaxPool3d(2)(Tensor(np.zeros((1, 4, 4), np.float32)))
    with pytest.raises(ValueError, match=exactly(
            "avg_pool3d: padding should be at most half of the kernel size, got padding="
            "(2, 2, 2) for kernel_size=(3, 3, 3)")):  # fmt: skip
        F.avg_pool3d(Tensor(np.zeros((1, 1, 4, 4, 4))), 3, padding=2)
    with pytest.raises(TypeError, match=exactly(
            "AdaptiveAvgPool3d: output_size must be an int or a tuple of three ints or None, "
            "got (2, 2)")):  # fmt: skip
        nn.AdaptiveAvgPool3d((2, 2))
    norm = nn.BatchNorm3d(3)
    with pytest.raises(ValueError, match=exactly(
            "BatchNorm3d: expected input of shape (N, 3, D, H, W), got (2, 3, 4, 4)")):
        norm(Tensor(np.zeros((2, 3, 4, 4), np.float32)))
    assert norm.num_batches_tracked.data == 0 and (norm.running_mean.data == 0).all()
    with pytest.raises(ValueError, match=exactly(
            "InstanceNorm3d: expected 4D or 5D input (got 3D input)")):
        nn.InstanceNorm3d(3)(Tensor(np.zeros((3, 4, 4), np.float32)))
    with pytest.raises(TypeError, match=exactly(
            "ReflectionPad3d: padding must be an int or a tuple of 6 ints, got (1, 1)")):
        nn.ReflectionPad3d((1, 1))


def test_float32_network_runs_end_to_end_in_float32():
    """Conv3d -> BatchNorm3d -> MaxPool3d -> ConvTranspose3d -> AdaptiveAvgPool3d in float32:
    the dtype is kept and the first layer's output matches the float64 naive loops."""
    manual_seed(2)
    conv = nn.Conv3d(2, 4, 3, padding=1)
    model = nn.Sequential(conv, nn.BatchNorm3d(4), nn.MaxPool3d(2), nn.ConvTranspose3d(4, 2, 2, 2),
                          nn.AdaptiveAvgPool3d(1))  # fmt: skip
    x = np.random.default_rng(11).standard_normal((2, 2, 4, 4, 4)).astype(np.float32)
    first = conv(Tensor(x))
    want = naive_conv3d(x.astype(np.float64), conv.weight.data.astype(np.float64),
                        conv.bias.data.astype(np.float64), (1,) * 3, (1,) * 3, (1,) * 3, 1)
    assert first.dtype == np.float32
    np.testing.assert_allclose(first.data, want, rtol=1e-5, atol=1e-5)
    out = model(Tensor(x))
    assert out.shape == (2, 2, 1, 1, 1) and out.dtype == np.float32
    out.sum().backward()
    assert all(p.grad is not None and p.grad.dtype == np.float32 for p in model.parameters())
