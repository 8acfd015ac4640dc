"""ConvTranspose2d / F.conv_transpose2d against a naive scatter loop written here (each
input pixel times the kernel, added into the output), float64 finite differences, and the
adjoint identity <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>; plus output_size, errors,
repr, state_dict keys and the default initialisation."""

import math

import numpy as np
import pytest
from error_messages import exactly
from test_nn_gradcheck import check_grads

import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, manual_seed, nn


def naive_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation,
                           out_size=None):  # fmt: skip
    """Scatter every input pixel times its kernel into the output, then crop the padding.

    x (N, C, H, W), w (C, O/groups, KH, KW): input channel c feeds the O/groups output
    channels of its group c // (C / groups). out_size (OH, OW) overrides the size the
    output_padding gives."""
    n, c, h, wd = x.shape
    _, out_per_group, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    if out_size is None:
        out_size = ((h - 1) * sh - 2 * ph + dh * (kh - 1) + output_padding[0] + 1,
                    (wd - 1) * sw - 2 * pw + dw * (kw - 1) + output_padding[1] + 1)
    oh, ow = out_size
    # a buffer holding every scattered tap and the requested size, padding included
    full = np.zeros((n, out_per_group * groups, max((h - 1) * sh + dh * (kh - 1) + 1, oh + ph),
                     max((wd - 1) * sw + dw * (kw - 1) + 1, ow + pw)))
    in_per_group = c // groups
    for i in range(n):
        for ch in range(c):
            first = ch // in_per_group * out_per_group
            for y in range(h):
                for z in range(wd):
                    for p in range(kh):
                        for q in range(kw):
                            for o in range(out_per_group):
                                full[i, first + o, y * sh + p * dh, z * sw + q * dw] += (
                                    x[i, ch, y, z] * w[ch, o, p, q]
                                )
    out = full[:, :, ph:ph + oh, pw:pw + ow]
    if b is not None:
        out = out + b[:, None, None]
    return out


# (stride, padding, output_padding, dilation, kernel)
CASES = [
    ((1, 1), (0, 0), (0, 0), (1, 1), (3, 3)),
    ((2, 2), (1, 1), (1, 1), (1, 1), (3, 3)),
    ((2, 3), (0, 1), (1, 2), (1, 1), (2, 3)),
    ((1, 2), (2, 0), (1, 0), (2, 1), (3, 2)),  # output_padding < dilation (stride 1)
    ((3, 1), (1, 2), (2, 0), (1, 3), (4, 3)),
    ((1, 1), (0, 0), (0, 0), (1, 1), (1, 1)),  # pointwise
    ((2, 2), (0, 0), (0, 0), (1, 1), (2, 2)),  # non-overlapping: an upsampling
]
# (in channels, out channels, groups)
GROUPINGS = [(3, 4, 1), (4, 6, 2), (6, 3, 3), (4, 4, 4)]


@pytest.mark.parametrize("in_ch,out_ch,groups", GROUPINGS)
@pytest.mark.parametrize("stride,padding,output_padding,dilation,kernel", CASES)
def test_conv_transpose2d_matches_naive_loops(in_ch, out_ch, groups, stride, padding,
                                              output_padding, dilation, kernel):  # fmt: skip
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, in_ch, 5, 4))
    w = rng.standard_normal((in_ch, out_ch // groups, *kernel))
    b = rng.standard_normal(out_ch)
    args = (stride, padding, output_padding, groups, dilation)
    want = naive_conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)
    out = F.conv_transpose2d(Tensor(x), Tensor(w), Tensor(b), *args)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, want, rtol=1e-10, atol=1e-10)
    out32 = F.conv_transpose2d(Tensor(x.astype(np.float32)), Tensor(w.astype(np.float32)),
                               Tensor(b.astype(np.float32)), *args)  # fmt: skip
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.data, want, rtol=1e-4, atol=1e-4)
    # without bias, and unbatched (C, H, W) input: the (O, OH, OW) output of its batch of one
    single = F.conv_transpose2d(Tensor(x[1]), Tensor(w), None, *args)
    np.testing.assert_allclose(single.data, want[1] - b[:, None, None], rtol=1e-10,
                               atol=1e-10)  # fmt: skip


def test_int_arguments_mean_both_axes_and_keywords_follow_torch_order():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 2, 4, 3)), rng.standard_normal((2, 3, 3, 3))
    want = naive_conv_transpose2d(x, w, None, (2, 2), (1, 1), (1, 1), 1, (1, 1))
    out = F.conv_transpose2d(Tensor(x), Tensor(w), None, 2, 1, 1)
    np.testing.assert_allclose(out.data, want, rtol=1e-10, atol=1e-10)
    # torch's positional order: ..., output_padding, groups, dilation
    want = naive_conv_transpose2d(x, w, None, (1, 1), (0, 0), (1, 1), 1, (2, 2))
    out = F.conv_transpose2d(Tensor(x), Tensor(w), None, 1, 0, 1, 1, 2)
    np.testing.assert_allclose(out.data, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("in_ch,out_ch,groups", [(2, 3, 1), (4, 2, 2), (3, 3, 3)])
@pytest.mark.parametrize(
    "stride,padding,output_padding,dilation",
    [(1, 0, 0, 1), (2, 1, 1, 1), ((2, 1), (0, 1), (1, 0), (1, 2)), (1, (1, 0), (1, 0), (2, 1))],
)
def test_gradients_match_finite_differences(in_ch, out_ch, groups, stride, padding,
                                            output_padding, dilation):  # fmt: skip
    """Input, weight and bias gradients in float64, element by element."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, in_ch, 3, 4))
    w = rng.standard_normal((in_ch, out_ch // groups, 3, 2))
    b = rng.standard_normal(out_ch)

    def conv_t(xt, wt, bt=None):
        return F.conv_transpose2d(xt, wt, bt, stride, padding, output_padding, groups, dilation)

    check_grads(conv_t, x, w, b)
    check_grads(conv_t, x, w)
    check_grads(conv_t, x[0], w, b)  # unbatched


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize(
    "stride,padding,dilation,kernel",
    [((1, 1), (0, 0), (1, 1), (3, 3)), ((2, 2), (1, 1), (1, 1), (3, 3)),
     ((2, 3), (1, 0), (2, 1), (3, 2)), ((3, 2), (2, 1), (1, 2), (4, 3))],
)
def test_adjoint_of_conv2d(groups, stride, padding, dilation, kernel):
    """<conv2d(x, w), y> = <x, conv_transpose2d(y, w)> for the same weight tensor, with the
    output_padding that brings conv_transpose2d's output back to x's size."""
    rng = np.random.default_rng(3)
    c, o, (h, wd) = 4, 6, (9, 8)
    x = rng.standard_normal((2, c, h, wd))
    w = rng.standard_normal((o, c // groups, *kernel))
    y_shape = F.conv2d(Tensor(x), Tensor(w), None, stride, padding, dilation, groups).shape
    y = rng.standard_normal(y_shape)
    output_padding = tuple(
        size - ((n_out - 1) * s - 2 * p + d * (k - 1) + 1)
        for size, n_out, s, p, d, k in zip((h, wd), y_shape[2:], stride, padding, dilation, kernel)
    )
    lhs = np.sum(F.conv2d(Tensor(x), Tensor(w), None, stride, padding, dilation, groups).data * y)
    back = F.conv_transpose2d(Tensor(y), Tensor(w), None, stride, padding, output_padding,
                              groups, dilation)  # fmt: skip
    assert back.shape == x.shape
    np.testing.assert_allclose(lhs, np.sum(x * back.data), rtol=1e-12)


def test_backward_is_the_convolution_forward():
    """The input gradient of conv_transpose2d is conv2d of the output gradient (same weight),
    and frozen inputs get no gradient."""
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((2, 4, 5, 5)), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3, 3, 3)))
    out = F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    want = F.conv2d(Tensor(g), Tensor(w.data), None, 2, 1).data
    np.testing.assert_allclose(x.grad, want, rtol=1e-12, atol=1e-12)
    assert w.grad is None


def test_module_matches_functional_and_output_size():
    manual_seed(0)
    layer = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2, dtype=np.float64)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 5, 4))
    w, b = layer.weight.data, layer.bias.data
    out = layer(Tensor(x))
    want = naive_conv_transpose2d(x, w, b, (2, 2), (1, 1), (0, 0), 2, (1, 1))
    assert out.shape == (2, 6, 9, 7)
    np.testing.assert_allclose(out.data, want, rtol=1e-10, atol=1e-10)
    # output_size picks the size among the stride's choices, with or without (N, C) in front
    for size in [(10, 8), (9, 8), [2, 6, 10, 7]]:
        want = naive_conv_transpose2d(x, w, b, (2, 2), (1, 1), None, 2, (1, 1), size[-2:])
        np.testing.assert_allclose(layer(Tensor(x), output_size=size).data, want, rtol=1e-10,
                                   atol=1e-10)  # fmt: skip
    single = layer(Tensor(x[0]), output_size=(6, 10, 8))  # unbatched: (C, OH, OW)
    assert single.shape == (6, 10, 8)


def test_output_size_outside_the_reachable_range_is_refused():
    layer = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1)
    x = Tensor(np.zeros((1, 4, 5, 5), np.float32))
    message = ("ConvTranspose2d: requested an output size of (11, 9), but valid sizes range "
               "from [9, 9] to [10, 10] (for an input of (5, 5))")  # fmt: skip
    with pytest.raises(ValueError, match=exactly(message)):
        layer(x, output_size=(11, 9))
    message = "ConvTranspose2d: for 4-D input, output_size must have 2 or 4 elements, got (9,)"
    with pytest.raises(ValueError, match=exactly(message)):
        layer(x, output_size=(9,))


def test_output_padding_must_be_below_stride_or_dilation():
    x, w = Tensor(np.zeros((1, 2, 3, 3))), Tensor(np.zeros((2, 2, 3, 3)))
    message = ("conv_transpose2d: output_padding must be smaller than either stride or "
               "dilation, got output_padding=(1, 0), stride=(1, 2), dilation=(1, 2)")
    with pytest.raises(ValueError, match=exactly(message)):
        F.conv_transpose2d(x, w, output_padding=(1, 0), stride=(1, 2), dilation=(1, 2))
    layer = nn.ConvTranspose2d(2, 2, 3, output_padding=1)  # as torch: refused when run
    x32 = Tensor(np.zeros((1, 2, 3, 3), np.float32))
    with pytest.raises(ValueError, match="^ConvTranspose2d: output_padding must be smaller"):
        layer(x32)
    # ... unless output_size replaces it
    assert layer(x32, output_size=(5, 5)).shape == (1, 2, 5, 5)


def test_bad_inputs_raise_errors_naming_what_was_expected():
    layer = nn.ConvTranspose2d(4, 6, 3)
    for shape in [(2, 3, 5, 5), (4, 5), (1, 1, 4, 5, 5)]:
        message = (f"ConvTranspose2d: expected input of shape (N, 4, H, W) or (4, H, W), got "
                   f"{shape}")  # fmt: skip
        with pytest.raises(ValueError, match=exactly(message)):
            layer(Tensor(np.zeros(shape, np.float32)))
    x, w = Tensor(np.zeros((1, 4, 5, 5))), Tensor(np.zeros((4, 3, 3, 3)))
    with pytest.raises(ValueError, match=exactly(
            "conv_transpose2d: expected input of shape (N, 4, H, W) or (4, H, W), got "
            "(1, 3, 5, 5)")):  # fmt: skip
        F.conv_transpose2d(Tensor(np.zeros((1, 3, 5, 5))), w)
    with pytest.raises(ValueError, match=r"^conv_transpose2d: groups must be a positive int "
                                         r"dividing the weight's in channels \(4\), got groups=3$"):
        F.conv_transpose2d(x, w, groups=3)
    with pytest.raises(ValueError, match=r"^conv_transpose2d: expected bias of shape \(6,\)"):
        F.conv_transpose2d(x, w, Tensor(np.zeros(3)), groups=2)
    with pytest.raises(ValueError, match=r"weight must be 4-D"):
        F.conv_transpose2d(x, Tensor(np.zeros((4, 3, 3))))
    with pytest.raises(TypeError, match=r"padding must be an int or a pair of ints, got 'same'"):
        F.conv_transpose2d(x, w, padding="same")
    with pytest.raises(ValueError, match=exactly("conv_transpose2d: stride must be >= 1, got 0")):
        F.conv_transpose2d(x, w, stride=0)
    with pytest.raises(ValueError, match=r"padding must be >= 0, got -1"):
        F.conv_transpose2d(x, w, padding=-1)
    with pytest.raises(ValueError, match=exactly(
            "conv_transpose2d: input 1x1 with padding (2, 2) gives an output of -1x-1; the "
            "output must be at least 1x1")):  # fmt: skip
        F.conv_transpose2d(Tensor(np.zeros((1, 4, 1, 1))), w, padding=2)
    with pytest.raises(TypeError, match="floating-point"):
        F.conv_transpose2d(Tensor(np.zeros((1, 4, 5, 5), np.int64)), w)
    with pytest.raises(ValueError, match=r"^ConvTranspose2d: groups must be a positive int "
                                         r"dividing in_channels \(4\) and out_channels \(6\)"):
        nn.ConvTranspose2d(4, 6, 3, groups=4)
    with pytest.raises(ValueError, match=exactly(
            "ConvTranspose2d: only padding_mode='zeros' is supported, got 'reflect'")):
        nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"in_channels must be a positive int, got 0"):
        nn.ConvTranspose2d(0, 6, 3)


def test_layout_state_dict_repr_and_default_init():
    manual_seed(1)
    layer = nn.ConvTranspose2d(40, 12, (3, 2), stride=2, groups=2)
    # (in_channels, out_channels / groups, kH, kW), as PyTorch
    assert layer.weight.shape == (40, 6, 3, 2) and layer.bias.shape == (12,)
    assert list(layer.state_dict()) == ["weight", "bias"]
    # kaiming_uniform(a=sqrt(5)) and the bias bound are both 1/sqrt(fan_in), fan_in from the
    # weight's dimension 1: out_channels / groups * kH * kW = 36 (not in_channels: 240)
    bound = 1 / math.sqrt(6 * 3 * 2)
    for values in (layer.weight.data, layer.bias.data):
        assert np.abs(values).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.95 * bound
    # a uniform distribution's standard deviation is bound / sqrt(3)
    assert abs(layer.weight.data.std() / (bound / math.sqrt(3)) - 1) < 0.1
    assert nn.ConvTranspose2d(2, 3, 3, bias=False).bias is None
    assert list(nn.ConvTranspose2d(2, 3, 3, bias=False).state_dict()) == ["weight"]
    assert repr(layer) == "ConvTranspose2d(40, 12, kernel_size=(3, 2), stride=(2, 2), groups=2)"
    full = nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0), dilation=(1, 2),
                              output_padding=(1, 2), bias=False)  # fmt: skip
    assert repr(full) == ("ConvTranspose2d(4, 6, kernel_size=(3, 2), stride=(2, 3), "
                          "padding=(1, 0), dilation=(1, 2), output_padding=(1, 2), bias=False)")
    loaded = nn.ConvTranspose2d(40, 12, (3, 2), stride=2, groups=2)
    loaded.load_state_dict(layer.state_dict())
    np.testing.assert_array_equal(loaded.weight.data, layer.weight.data)


def test_layer_trains_in_a_sequential():
    """An upsampling decoder step: gradients reach every parameter and a step lowers the loss."""
    from tinygrad_opt import optim
    from tinygrad_opt.loss import mse_loss

    manual_seed(2)
    model = nn.Sequential(nn.ConvTranspose2d(3, 4, 2, stride=2), nn.ReLU(),
                          nn.ConvTranspose2d(4, 1, 3, padding=1))  # fmt: skip
    rng = np.random.default_rng(6)
    x = Tensor(rng.standard_normal((4, 3, 4, 4)).astype(np.float32))
    target = rng.standard_normal((4, 1, 8, 8)).astype(np.float32)
    opt = optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = mse_loss(model(x), target)
        loss.backward()
        assert all(p.grad is not None for p in model.parameters())
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
