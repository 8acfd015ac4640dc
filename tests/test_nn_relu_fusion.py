"""Sequential runs Linear/Conv2d + ReLU as one node (ReLU applied to the layer's fresh
output in place). The values and every gradient must equal the two separate layers' bit
for bit, and the fused Linear must match a plain numpy reference."""

import numpy as np
import pytest
from conv_paths import PATHS, use_conv_path

from tinygrad_opt import Tensor, manual_seed, nn


def run(model, x_np, grad_seed=3):
    """Output and the gradients of the input and of every parameter, for a fixed upstream."""
    for p in model.parameters():
        p.grad = None
    x = Tensor(x_np.copy(), requires_grad=True)
    out = model(x)
    upstream = np.random.default_rng(grad_seed).standard_normal(out.shape).astype(out.dtype)
    out.backward(upstream)
    return [out.data.copy(), x.grad.copy()] + [p.grad.copy() for p in model.parameters()]


def separately(model):
    """The same layers called one by one, so nothing is fused."""

    class Unfused(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, x):
            for layer in self.inner:
                x = layer(x)
            return x

    return Unfused()


def assert_same(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_relu_fused_equals_separate_layers_and_numpy(dtype):
    manual_seed(0)
    model = nn.Sequential(nn.Linear(7, 5, dtype=dtype), nn.ReLU(), nn.Linear(5, 3, dtype=dtype),
                          nn.ReLU())  # fmt: skip
    x_np = np.random.default_rng(1).standard_normal((6, 7)).astype(dtype)
    x_np[2, 3] = np.nan  # NaN passes through ReLU in both forms
    fused = run(model, x_np)
    assert_same(fused, run(separately(model), x_np))

    # numpy reference of the first pair: y = max(x W^T + b, 0); the upstream gradient passes
    # where y is not <= 0 (NaN included, as torch's threshold_backward)
    first = nn.Sequential(model[0], model[1])
    out, gx, gw, gb = run(first, x_np)
    w, b = model[0].weight.data.astype(np.float64), model[0].bias.data.astype(np.float64)
    x64 = x_np.astype(np.float64)
    y = np.maximum(x64 @ w.T + b, 0)
    g = np.random.default_rng(3).standard_normal(y.shape).astype(dtype) * ~(y <= 0)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, y, rtol=tol, atol=tol)
    np.testing.assert_allclose(gw, g.T @ x64, rtol=tol, atol=tol)  # NaN where x has one
    np.testing.assert_allclose(gb, g.sum(axis=0), rtol=tol, atol=tol)
    np.testing.assert_allclose(gx, g @ w, rtol=tol, atol=tol)


def test_the_pair_is_one_graph_node():
    layer = nn.Linear(4, 2)
    x = Tensor(np.ones((3, 4), dtype=np.float32), requires_grad=True)
    out = nn.Sequential(layer, nn.ReLU())(x)
    assert out._parents == (x, layer.weight, layer.bias)


def test_a_subclass_with_its_own_forward_is_not_fused():
    class Doubled(nn.Linear):
        def forward(self, x):
            return super().forward(x) * 2.0

    manual_seed(0)
    layer = Doubled(4, 3)
    x = np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32)
    got = nn.Sequential(layer, nn.ReLU())(Tensor(x)).data
    want = np.maximum((x @ layer.weight.data.T + layer.bias.data) * 2.0, 0)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_a_forward_set_on_the_instance_is_not_bypassed():
    manual_seed(0)
    layer, act = nn.Linear(4, 3), nn.ReLU()
    calls = []
    plain_forward = act.forward
    act.forward = lambda x: (calls.append(1), plain_forward(x))[1]
    nn.Sequential(layer, act)(Tensor(np.ones((2, 4), dtype=np.float32)))
    assert calls == [1]


@pytest.fixture(params=PATHS)
def conv_path(request, monkeypatch):
    """The forced path's record of routes taken (conv_paths.Routes)."""
    return use_conv_path(monkeypatch, request.param)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "in_ch, out_ch, kernel, stride, padding, shape",
    [(1, 6, 5, 1, 2, (3, 1, 12, 12)), (3, 8, 3, 2, 1, (2, 3, 9, 11)), (4, 5, 3, 1, 0, (4, 7, 7))],
)
def test_conv_relu_fused_equals_separate_layers(conv_path, dtype, in_ch, out_ch, kernel, stride,
                                                padding, shape):  # fmt: skip
    manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=padding, dtype=dtype),
        nn.ReLU(),
        nn.Conv2d(out_ch, 2, 3, padding=1, dtype=dtype),
        nn.ReLU(),
    )
    x_np = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    assert_same(run(model, x_np), run(separately(model), x_np))
    conv_path.skip_unless_taken()
