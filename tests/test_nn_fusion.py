"""nn.utils.fusion: a fused conv/linear equals the layer followed by its eval BatchNorm, and
the fused weights follow the closed form W * gamma / sqrt(var + eps)."""

import numpy as np
import pytest

from tinygrad_opt import Tensor, nn
from tinygrad_opt.nn.utils import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
    fusion,
)


def randomise_bn(bn, rng):
    c = bn.num_features
    bn.weight.data[...] = rng.uniform(0.5, 2.0, c)
    bn.bias.data[...] = rng.normal(size=c)
    bn.running_mean.data[...] = rng.normal(size=c)
    bn.running_var.data[...] = rng.uniform(0.2, 3.0, c)
    return bn.eval()


def bn_eval_reference(y, bn, axis):
    """BatchNorm's eval formula in float64 with a naive per-channel loop."""
    y = y.astype(np.float64)
    out = np.empty_like(y)
    for c in range(bn.num_features):
        idx = [slice(None)] * y.ndim
        idx[axis] = c
        idx = tuple(idx)
        scale = float(bn.weight.data[c]) / np.sqrt(float(bn.running_var.data[c]) + bn.eps)
        out[idx] = (y[idx] - float(bn.running_mean.data[c])) * scale + float(bn.bias.data[c])
    return out


CASES = [
    (lambda: nn.Conv1d(3, 4, 3, padding=1), nn.BatchNorm1d, (2, 3, 7), False),
    (lambda: nn.Conv2d(3, 5, 3, stride=2), nn.BatchNorm2d, (2, 3, 8, 8), False),
    (lambda: nn.Conv2d(3, 5, 3, bias=False), nn.BatchNorm2d, (2, 3, 6, 6), False),
    (lambda: nn.Conv3d(2, 3, 2), nn.BatchNorm3d, (1, 2, 4, 4, 4), False),
    (lambda: nn.ConvTranspose2d(3, 4, 3, stride=2), nn.BatchNorm2d, (2, 3, 5, 5), True),
]


@pytest.mark.parametrize("make_conv, make_bn, shape, transpose", CASES)
def test_fused_conv_matches_conv_then_bn(make_conv, make_bn, shape, transpose):
    rng = np.random.default_rng(0)
    conv = make_conv().eval()
    out_channels = conv.weight.shape[1 if transpose else 0]
    bn = randomise_bn(make_bn(out_channels), rng)
    x = Tensor(rng.normal(size=shape).astype(np.float32))
    expected = bn_eval_reference(conv(x).data, bn, axis=1)
    fused = fuse_conv_bn_eval(conv, bn, transpose=transpose)
    np.testing.assert_allclose(fused(x).data, expected, rtol=1e-4, atol=1e-5)
    assert fused is not conv and fused.weight.dtype == np.float32
    np.testing.assert_allclose(bn(conv(x)).data, expected, rtol=1e-4, atol=1e-5)  # untouched


def test_fused_linear_matches_linear_then_bn():
    rng = np.random.default_rng(1)
    linear = nn.Linear(6, 4).eval()
    bn = randomise_bn(nn.BatchNorm1d(4), rng)
    x = Tensor(rng.normal(size=(5, 6)).astype(np.float32))
    expected = bn_eval_reference(linear(x).data, bn, axis=1)
    fused = fuse_linear_bn_eval(linear, bn)
    np.testing.assert_allclose(fused(x).data, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(linear(x).data, x.data @ linear.weight.data.T + linear.bias.data,
                               rtol=1e-5)  # the original still computes the plain Linear


def test_weights_closed_form_and_defaults():
    rng = np.random.default_rng(2)
    w = Tensor(rng.normal(size=(3, 2, 2, 2)), requires_grad=True)
    rm, rv = Tensor(rng.normal(size=3)), Tensor(rng.uniform(0.5, 2, 3))
    fw, fb = fuse_conv_bn_weights(w, None, rm, rv, 1e-3, None, None)
    s = 1 / np.sqrt(rv.data + 1e-3)
    np.testing.assert_allclose(fw.data, w.data * s[:, None, None, None])
    np.testing.assert_allclose(fb.data, -rm.data * s)
    assert isinstance(fw, nn.Parameter) and fw.requires_grad and not fb.requires_grad
    lw, lb = Tensor(rng.normal(size=(3, 4))), Tensor(rng.normal(size=3))
    g, b = Tensor(rng.normal(size=3)), Tensor(rng.normal(size=3))
    fw, fb = fuse_linear_bn_weights(lw, lb, rm, rv, 1e-5, g, b)
    scale = g.data / np.sqrt(rv.data + 1e-5)
    np.testing.assert_allclose(fw.data, lw.data * scale[:, None])
    np.testing.assert_allclose(fb.data, (lb.data - rm.data) * scale + b.data)
    tw = Tensor(rng.normal(size=(2, 3, 2, 2)))  # ConvTranspose layout: (in, out, kH, kW)
    fw, _ = fuse_conv_bn_weights(tw, None, rm, rv, 1e-5, g, b, transpose=True)
    np.testing.assert_allclose(fw.data, tw.data * scale[None, :, None, None])


def test_bad_input():
    conv, bn = nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match="eval"):
        fuse_conv_bn_eval(conv, bn.eval())  # conv still training
    with pytest.raises(ValueError, match="running statistics"):
        fuse_conv_bn_eval(conv.eval(), nn.BatchNorm2d(3, track_running_stats=False).eval())
    with pytest.raises(ValueError, match="output features"):
        fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(4).eval())
    with pytest.raises(TypeError):
        fuse_conv_bn_weights(np.ones((3, 2, 1, 1)), None, Tensor(np.zeros(3)),
                             Tensor(np.ones(3)), 1e-5, None, None)
    assert fusion.fuse_conv_bn_eval is fuse_conv_bn_eval
