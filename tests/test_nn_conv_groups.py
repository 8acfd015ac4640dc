"""Grouped convolutions (groups > 1, depthwise with and without a channel multiplier) and
Conv2d's padding modes, against naive loops written here (float64), np.pad references and
finite differences; plus their errors, repr, state_dict and the fused Conv2d + ReLU. The
naive loop (test_nn_conv_pool.naive_conv2d) takes groups."""

import numpy as np
import pytest
from test_nn_conv_pool import naive_conv2d
from test_nn_gradcheck import check_grads

import tinygrad_opt.nn.conv as conv_module
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, manual_seed, nn

NP_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


# (in channels, out channels, groups): two groups, a middle case, depthwise, depthwise with
# channel multiplier 2 and 3, and fewer outputs than inputs
GROUPINGS = [(4, 6, 2), (6, 6, 3), (5, 5, 5), (4, 8, 4), (3, 9, 3), (6, 2, 2)]
# (stride, padding, dilation, kernel)
CASES = [
    ((1, 1), (1, 1), (1, 1), (3, 3)),
    ((2, 2), (0, 0), (1, 1), (3, 3)),
    ((1, 2), (2, 0), (2, 1), (3, 2)),
    ((2, 1), (1, 2), (1, 2), (2, 3)),
    ((1, 1), (0, 0), (1, 1), (1, 1)),
    ((3, 2), (2, 2), (1, 1), (5, 5)),
]


@pytest.mark.parametrize("in_ch,out_ch,groups", GROUPINGS)
@pytest.mark.parametrize("stride,padding,dilation,kernel", CASES)
def test_grouped_conv2d_matches_naive_loops(in_ch, out_ch, groups, stride, padding, dilation,
                                            kernel):  # fmt: skip
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, in_ch, 9, 8))
    w = rng.standard_normal((out_ch, in_ch // groups, *kernel))
    b = rng.standard_normal(out_ch)
    want = naive_conv2d(x, w, b, stride, padding, dilation, groups)
    out = F.conv2d(Tensor(x), Tensor(w), Tensor(b), stride, padding, dilation, groups)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, want, rtol=1e-10, atol=1e-10)
    out32 = F.conv2d(Tensor(x.astype(np.float32)), Tensor(w.astype(np.float32)),
                     Tensor(b.astype(np.float32)), stride, padding, dilation, groups)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.data, want, rtol=1e-4, atol=1e-4)
    # unbatched (C, H, W) input gives the (O, OH, OW) output of its batch of one
    single = F.conv2d(Tensor(x[1]), Tensor(w), None, stride, padding, dilation, groups)
    np.testing.assert_allclose(single.data, want[1] - b[:, None, None], rtol=1e-10,
                               atol=1e-10)  # fmt: skip


@pytest.mark.parametrize("in_ch,out_ch,groups", [(4, 6, 2), (3, 3, 3), (2, 4, 2), (6, 4, 2)])
@pytest.mark.parametrize(
    "stride,padding,dilation",
    [(1, 1, 1), (2, 0, 1), ((1, 2), (2, 1), (2, 1)), (1, "same", 1), (2, "valid", (1, 2))],
)
def test_grouped_conv2d_gradients_match_finite_differences(in_ch, out_ch, groups, stride,
                                                           padding, dilation):  # fmt: skip
    """Input, weight and bias gradients, float64, element by element."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, in_ch, 6, 5))
    w = rng.standard_normal((out_ch, in_ch // groups, 3, 2))
    b = rng.standard_normal(out_ch)

    def conv(xt, wt, bt=None):
        return F.conv2d(xt, wt, bt, stride, padding, dilation, groups)

    check_grads(conv, x, w, b)
    check_grads(conv, x, w)
    check_grads(conv, x[0], w, b)  # unbatched


def test_frozen_weight_or_input_gets_only_the_gradients_asked_for():
    rng = np.random.default_rng(2)
    for in_ch, out_ch, groups in [(4, 4, 4), (4, 6, 2)]:
        x = Tensor(rng.standard_normal((2, in_ch, 5, 5)), requires_grad=True)
        w = Tensor(rng.standard_normal((out_ch, in_ch // groups, 3, 3)))
        F.conv2d(x, w, groups=groups, padding=1).sum().backward()
        assert x.grad is not None and w.grad is None
        x2 = Tensor(x.data)
        w2 = Tensor(w.data, requires_grad=True)
        F.conv2d(x2, w2, groups=groups, padding=1).sum().backward()
        np.testing.assert_allclose(w2.grad, naive_weight_grad_of_sum(x.data, w.data, groups))


def naive_weight_grad_of_sum(x, w, groups):
    """d sum(conv(x, w, padding=1)) / dw: each tap's sum of the input it sees."""
    o, per_group, kh, kw = w.shape
    n, _, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    grad = np.zeros_like(w)
    for f in range(o):
        first = f // (o // groups) * per_group
        for ch in range(per_group):
            for p in range(kh):
                for q in range(kw):
                    grad[f, ch, p, q] = xp[:, first + ch, p:p + h, q:q + wd].sum()
    return grad


def test_depthwise_and_grouped_layers_take_their_routes(monkeypatch):
    """groups == C runs the Numba depthwise kernels (no per-channel Python loop); other
    groups the batched-matmul route; groups=1 keeps the existing routes."""
    taken = []
    for name in ("_conv2d_depthwise", "_conv2d_grouped", "_conv2d_im2col", "_conv2d_blocked",
                 "_conv2d_direct"):  # fmt: skip
        original = getattr(conv_module, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            taken.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(conv_module, name, spy)
    x = Tensor(np.ones((1, 8, 6, 6), np.float32))
    for groups, out_ch, route in [(8, 8, "_conv2d_depthwise"), (8, 16, "_conv2d_depthwise"),
                                  (2, 8, "_conv2d_grouped")]:  # fmt: skip
        taken.clear()
        nn.Conv2d(8, out_ch, 3, groups=groups)(x)
        assert taken == [route]
    taken.clear()
    nn.Conv2d(8, 8, 3)(x)
    assert taken and taken[0] not in ("_conv2d_depthwise", "_conv2d_grouped")


def test_conv2d_module_with_groups_layout_init_state_dict_and_repr():
    manual_seed(0)
    layer = nn.Conv2d(6, 9, 3, groups=3, bias=True)
    assert layer.weight.shape == (9, 2, 3, 3) and layer.bias.shape == (9,)
    bound = 1 / np.sqrt(2 * 3 * 3)  # fan_in = in_channels / groups * kH * kW, as PyTorch
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.8 * bound
    assert sorted(layer.state_dict()) == ["bias", "weight"]
    assert layer.state_dict()["weight"].shape == (9, 2, 3, 3)
    assert repr(layer) == "Conv2d(6, 9, kernel_size=(3, 3), stride=(1, 1), groups=3)"
    depthwise = nn.Conv2d(4, 4, 3, padding="same", groups=4, bias=False,
                          padding_mode="circular")  # fmt: skip
    assert repr(depthwise) == (
        "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=4, bias=False, "
        "padding_mode=circular)"
    )
    assert repr(nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect")) == (
        "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), padding_mode=reflect)"
    )
    assert repr(nn.Conv2d(4, 4, 3, padding="valid")).endswith("padding=valid)")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("groups,out_ch,mode", [(4, 4, "zeros"), (4, 8, "reflect"),
                                                 (2, 6, "circular"), (2, 4, "replicate")])
def test_fused_conv_relu_with_groups_equals_separate_layers(dtype, groups, out_ch, mode):
    """Sequential(Conv2d, ReLU) runs as one node: the same values and gradients, to the bit,
    as the two layers called one by one, and the values of the naive loops."""
    manual_seed(0)
    conv = nn.Conv2d(4, out_ch, 3, padding=1, groups=groups, padding_mode=mode, dtype=dtype)
    model = nn.Sequential(conv, nn.ReLU())
    x_np = np.random.default_rng(3).standard_normal((2, 4, 6, 7)).astype(dtype)
    results = []
    for fused in (True, False):
        conv.zero_grad()
        x = Tensor(x_np.copy(), requires_grad=True)
        out = model(x) if fused else nn.ReLU()(conv(x))
        out.backward(np.random.default_rng(4).standard_normal(out.shape).astype(dtype))
        results.append([out.data.copy(), x.grad.copy(), conv.weight.grad.copy(),
                        conv.bias.grad.copy()])  # fmt: skip
    for a, b in zip(*results):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a, b)
    padded = np.pad(x_np.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)),
                    mode="constant" if mode == "zeros" else NP_MODES[mode])  # fmt: skip
    want = naive_conv2d(padded, conv.weight.data.astype(np.float64),
                                conv.bias.data.astype(np.float64), (1, 1), (0, 0), (1, 1),
                                groups)  # fmt: skip
    tol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(results[0][0], np.maximum(want, 0), rtol=tol, atol=tol)


# (padding, kernel, dilation, stride, input (H, W)) and the (left, right, top, bottom)
# padding it stands for
MODE_CASES = [
    (1, 3, 1, 1, (6, 5), (1, 1, 1, 1)),
    ((2, 1), 3, 1, 2, (5, 7), (1, 1, 2, 2)),
    ((3, 4), (2, 3), (1, 2), 1, (4, 5), (4, 4, 3, 3)),  # reflect's largest: size - 1
    ("same", 4, 1, 1, (6, 5), (1, 2, 1, 2)),  # an odd total: the extra pixel at the end
    ("same", (3, 2), (2, 1), 1, (5, 6), (0, 1, 2, 2)),
    ("valid", 3, 1, 1, (5, 5), (0, 0, 0, 0)),
    (0, 3, 1, 1, (5, 5), (0, 0, 0, 0)),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding,kernel,dilation,stride,size,pads", MODE_CASES)
@pytest.mark.parametrize("groups", [1, 2])
def test_padding_modes_match_np_pad_then_an_unpadded_conv(mode, padding, kernel, dilation,
                                                          stride, size, pads, groups):  # fmt: skip
    manual_seed(1)
    layer = nn.Conv2d(4, 6, kernel, stride, padding, dilation, groups, padding_mode=mode,
                      dtype=np.float64)  # fmt: skip
    x = np.random.default_rng(5).standard_normal((2, 4, *size))
    left, right, top, bottom = pads
    padded = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), mode=NP_MODES[mode])
    want = naive_conv2d(padded, layer.weight.data, layer.bias.data, layer.stride,
                                (0, 0), layer.dilation, groups)  # fmt: skip
    np.testing.assert_allclose(layer(Tensor(x)).data, want, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer(Tensor(x[0])).data, want[0], rtol=1e-10, atol=1e-10)
    layer32 = nn.Conv2d(4, 6, kernel, stride, padding, dilation, groups, padding_mode=mode)
    layer32.load_state_dict(layer.state_dict())
    out32 = layer32(Tensor(x.astype(np.float32)))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.data, want, rtol=1e-4, atol=1e-4)


def check_layer_grads(layer, x, eps=1e-6, seed=0):
    """The input, weight and bias gradients of <R, layer(x)> against central differences,
    element by element (check_grads for a module's own parameters)."""
    direction = np.random.default_rng(seed).standard_normal(layer(Tensor(x)).shape)
    layer.zero_grad()
    xt = Tensor(x.copy(), requires_grad=True)
    layer(xt).backward(direction)
    for array, grad in ((x, xt.grad), (layer.weight.data, layer.weight.grad),
                        (layer.bias.data, layer.bias.grad)):  # fmt: skip
        numeric = np.zeros_like(array)
        for k in range(array.size):
            at = np.unravel_index(k, array.shape)
            saved = array[at]
            array[at] = saved + eps
            plus = np.sum(layer(Tensor(x)).data * direction)
            array[at] = saved - eps
            minus = np.sum(layer(Tensor(x)).data * direction)
            array[at] = saved
            numeric[at] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), (1, 3), "same"])
@pytest.mark.parametrize("groups,out_ch", [(1, 3), (2, 4), (4, 4)])
def test_padding_mode_gradients_match_finite_differences(mode, padding, groups, out_ch):
    """The input gradient folds the padded positions back onto the pixels they copied."""
    manual_seed(2)
    layer = nn.Conv2d(4, out_ch, (3, 2), padding=padding, groups=groups, padding_mode=mode,
                      dtype=np.float64)  # fmt: skip
    check_layer_grads(layer, np.random.default_rng(6).standard_normal((2, 4, 4, 5)))
    check_layer_grads(layer, np.random.default_rng(7).standard_normal((4, 4, 5)))  # unbatched


def test_bad_groups_and_padding_mode_raise_before_anything_is_built():
    for groups in (3, 4, 0, -2, 2.0, True, "2"):  # 4 divides in_channels only
        with pytest.raises(ValueError) as info:
            nn.Conv2d(4, 6, 3, groups=groups)
        message = str(info.value)
        assert f"groups={groups!r}" in message and "positive int dividing" in message
        assert "in_channels (4)" in message and "out_channels (6)" in message
    with pytest.raises(ValueError) as info:
        nn.Conv2d(4, 6, 3, padding_mode="zero")
    message = str(info.value)
    assert "'zero'" in message
    assert all(m in message for m in ("'zeros'", "'reflect'", "'replicate'", "'circular'"))
    layer = nn.Conv2d(4, 6, 3, padding=1)
    layer.padding_mode = "mirror"  # changed after __init__: caught when it is used
    with pytest.raises(ValueError, match="padding_mode must be one of .*got 'mirror'"):
        layer(Tensor(np.zeros((1, 4, 5, 5), np.float32)))
    x, w = Tensor(np.zeros((1, 4, 5, 5))), Tensor(np.zeros((6, 2, 3, 3)))
    for groups in (4, 0, 1.5):
        with pytest.raises(ValueError, match=f"groups={groups!r}"):
            F.conv2d(x, w, groups=groups)


@pytest.mark.parametrize(
    "layer,shape,expected",
    [
        (nn.Conv2d(4, 6, 3, groups=2), (2, 2, 8, 8), "(N, 4, H, W)"),
        (nn.Conv2d(4, 4, 3, groups=4, padding_mode="reflect", padding=1), (8, 8, 8),
         "(N, 4, H, W)"),  # fmt: skip
    ],
)
def test_wrong_channel_count_names_layer_expected_and_received(layer, shape, expected):
    with pytest.raises(ValueError) as info:
        layer(Tensor(np.zeros(shape, np.float32)))
    message = str(info.value)
    assert "Conv2d" in message and expected in message and str(shape) in message
    # the functional form: weight (6, 2, ...) with groups=2 expects 4 input channels
    with pytest.raises(ValueError, match=r"conv2d: expected input of shape \(N, 4, H, W\)"):
        F.conv2d(Tensor(np.zeros((1, 2, 5, 5))), Tensor(np.zeros((6, 2, 3, 3))), groups=2)


def test_padding_beyond_the_modes_limits_is_an_error():
    """As PyTorch: reflect needs padding < the input size, circular at most the size."""
    x = Tensor(np.zeros((1, 2, 3, 4)))
    for padding in (3, (1, 4)):  # too tall, too wide
        with pytest.raises(ValueError, match="reflect.*smaller than the input"):
            nn.Conv2d(2, 2, 3, padding=padding, padding_mode="reflect")(x)
    nn.Conv2d(2, 2, 3, padding=(2, 3), padding_mode="reflect")(x)  # 2 < 3 and 3 < 4
    for padding in ((4, 1), (1, 5)):
        with pytest.raises(ValueError, match="circular.*at most the input size"):
            nn.Conv2d(2, 2, 3, padding=padding, padding_mode="circular")(x)
    nn.Conv2d(2, 2, 3, padding=(3, 4), padding_mode="circular")(x)
    assert nn.Conv2d(2, 2, 3, padding=6, padding_mode="replicate")(x).shape == (1, 2, 13, 14)


@pytest.mark.parametrize(
    "groups,out_ch,mode", [(2, 6, "zeros"), (2, 4, "reflect"), (4, 4, "zeros")]
)
def test_grouped_conv2d_on_an_empty_batch(groups, out_ch, mode):
    """An empty batch gives an empty output of the right shape and zero weight and bias
    gradients (a naive loop over no samples adds nothing), on every grouped route."""
    layer = nn.Conv2d(4, out_ch, 3, stride=2, padding=1, groups=groups, padding_mode=mode,
                      dtype=np.float64)  # fmt: skip
    x = Tensor(np.zeros((0, 4, 6, 7)), requires_grad=True)
    out = layer(x)
    assert out.shape == (0, out_ch, 3, 4)
    out.sum().backward()
    assert x.grad.shape == (0, 4, 6, 7)
    np.testing.assert_array_equal(layer.weight.grad, np.zeros(layer.weight.shape))
    np.testing.assert_array_equal(layer.bias.grad, np.zeros(out_ch))
