"""tinygrad_opt.autograd.grad and .backward: values against central finite differences of
plain numpy formulas (float64) and against .backward() on the same graph, no `.grad`
touched, only the needed part of the graph run, retain_graph, allow_unused /
materialize_grads, hooks, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor, autograd, nn, optim


def numeric_grad(f, arrays: list[np.ndarray], i: int, eps: float = 1e-6) -> np.ndarray:
    """d f(*arrays) / d arrays[i] by central differences; f is plain numpy, scalar-valued."""
    grad = np.zeros_like(arrays[i])
    for j in range(arrays[i].size):
        values = []
        for step in (eps, -eps):
            shifted = [a.copy() for a in arrays]
            shifted[i].reshape(-1)[j] += step
            values.append(f(*shifted))
        grad.reshape(-1)[j] = (values[0] - values[1]) / (2 * eps)
    return grad


def leaf(values) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
W = RNG.standard_normal((4, 2))
R = RNG.standard_normal((3, 2))


def forward_np(a, w):
    return np.tanh(a @ w) * np.exp(0.5 * a[:, :2])


def forward(x, w):
    return (x @ w).tanh() * (0.5 * x[:, :2]).exp()


def test_grad_matches_finite_differences_with_grad_outputs():
    x, w = leaf(A), leaf(W)
    gx, gw = autograd.grad(forward(x, w), (x, w), grad_outputs=Tensor(R))
    assert isinstance(gx, Tensor) and gx.shape == A.shape and gx.dtype == np.float64

    def loss(a, w):
        return np.sum(R * forward_np(a, w))

    np.testing.assert_allclose(gx.data, numeric_grad(loss, [A, W], 0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(gw.data, numeric_grad(loss, [A, W], 1), rtol=1e-6, atol=1e-9)


def test_grad_equals_backward_on_the_same_graph_and_touches_no_grad():
    x, w = leaf(A), leaf(W)
    w.grad = np.full(W.shape, 7.0)  # an existing .grad must stay as it is
    hidden = x @ w
    hidden.retain_grad()
    out = (hidden.tanh() * (0.5 * x[:, :2]).exp() * Tensor(R)).sum()
    gx, gw, gh = autograd.grad(out, [x, w, hidden], retain_graph=True)
    assert x.grad is None and hidden.grad is None
    np.testing.assert_array_equal(w.grad, np.full(W.shape, 7.0))
    w.grad = None
    out.backward()
    np.testing.assert_allclose(gx.data, x.grad, rtol=1e-14)
    np.testing.assert_allclose(gw.data, w.grad, rtol=1e-14)
    np.testing.assert_allclose(gh.data, hidden.grad, rtol=1e-14)


def test_grad_of_a_closed_form():
    x = leaf([0.5, -1.0, 2.0])
    (g,) = autograd.grad((x * x * x).sum() + x.exp().sum(), x)
    np.testing.assert_allclose(g.data, 3 * x.data ** 2 + np.exp(x.data), rtol=1e-14)


def test_grad_under_no_grad_works_as_torch():
    x = leaf([2.0])
    y = x * x
    with tg.no_grad():
        (g,) = autograd.grad(y, x)
    np.testing.assert_array_equal(g.data, [4.0])


def test_only_the_graph_between_outputs_and_inputs_runs():
    x = leaf([0.5, 1.0])
    calls = []
    x.register_hook(lambda g: calls.append("x"))
    a = x.exp()
    a.register_hook(lambda g: calls.append("a"))
    b = a * 2.0
    b.register_hook(lambda g: calls.append("b"))
    c = b.sin().sum()
    (gb,) = autograd.grad(c, b)  # frees only the ops that ran (sin, sum)
    np.testing.assert_allclose(gb.data, np.cos(b.data), rtol=1e-14)
    assert calls == ["b"]
    (b * 3.0).sum().backward()  # the ops below b were neither run nor freed
    np.testing.assert_allclose(x.grad, 6.0 * np.exp(x.data), rtol=1e-14)
    assert calls == ["b", "b", "a", "x"]


def test_hooks_run_and_change_the_returned_gradient_but_not_grad():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.data.copy()) or g * 10.0)
    y = x * x
    y.register_hook(lambda g: g + 1.0)
    (g,) = autograd.grad(y.sum(), x)
    np.testing.assert_allclose(seen[0], 2.0 * 2.0 * x.data)  # (1 + 1) * 2x
    np.testing.assert_allclose(g.data, 10.0 * 2.0 * 2.0 * x.data)
    assert x.grad is None


def test_retain_graph():
    x = leaf([0.5, 1.0])
    y = x.exp().sum()
    (g1,) = autograd.grad(y, x, retain_graph=True)
    (g2,) = autograd.grad(y, x)  # default: frees the graph
    np.testing.assert_array_equal(g1.data, g2.data)
    np.testing.assert_allclose(g1.data, np.exp(x.data), rtol=1e-14)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        autograd.grad(y, x)


def test_allow_unused_and_materialize_grads():
    x, unused = leaf([1.0, 2.0]), leaf([3.0])
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="index 1 appears to not have been used"):
        autograd.grad(y, [x, unused])
    gx, gu = autograd.grad(y, [x, unused], allow_unused=True, retain_graph=True)
    assert gu is None  # the error above ran nothing, so the graph was still whole
    np.testing.assert_array_equal(gx.data, [2.0, 4.0])
    gx, gu = autograd.grad(y, [x, unused], materialize_grads=True)
    assert isinstance(gu, Tensor) and gu.dtype == np.float64
    np.testing.assert_array_equal(gu.data, [0.0])
    with pytest.raises(ValueError, match="allow_unused to be True or not passed"):
        autograd.grad(y, [x, unused], allow_unused=False, materialize_grads=True)


def test_an_input_reached_without_gradient_counts_as_unused():
    class NoGradient(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            return None

    x = leaf([1.0])
    y = NoGradient.apply(x).sum()
    (g,) = autograd.grad(y, x, allow_unused=True, retain_graph=True)
    assert g is None
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        autograd.grad(y, x)


def test_several_outputs_duplicates_and_none_entries():
    x = leaf([1.0, 2.0, 3.0])
    s = (x * x).sum()
    v = x * 3.0
    (g,) = autograd.grad([s, v], x, [None, Tensor(np.array([1.0, 0.0, 2.0]))], retain_graph=True)
    np.testing.assert_allclose(g.data, 2 * x.data + np.array([3.0, 0.0, 6.0]))
    (g,) = autograd.grad([s, s], x, retain_graph=True)  # an output listed twice counts twice
    np.testing.assert_allclose(g.data, 4 * x.data)
    g1, g2 = autograd.grad(s, [x, x])  # an input listed twice: two independent tensors
    np.testing.assert_allclose(g1.data, 2 * x.data)
    np.testing.assert_allclose(g2.data, 2 * x.data)
    g1.data[0] = 99.0
    assert g2.data[0] == 2.0


def test_grad_of_an_output_with_respect_to_itself_is_a_copy_of_grad_outputs():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    seed = np.array([3.0, 4.0])
    (g,) = autograd.grad(y, y, seed)
    np.testing.assert_array_equal(g.data, seed)
    g.data[0] = 0.0
    assert seed[0] == 3.0


def test_returned_gradients_are_writable_arrays():
    x = leaf([1.0, 2.0])
    (g,) = autograd.grad(x.sum(), x)  # sum's backward hands on a read-only broadcast view
    g.data += 1.0
    np.testing.assert_array_equal(g.data, [2.0, 2.0])


def test_dict_inputs_give_a_dict():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    grads = autograd.grad((x * w).sum(), {"x": x, "w": w})
    assert list(grads) == ["x", "w"]
    np.testing.assert_array_equal(grads["x"].data, [3.0, 4.0])
    np.testing.assert_array_equal(grads["w"].data, [1.0, 2.0])


def test_grad_through_a_custom_function():
    class Cube(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3.0 * g * x * x

    a = np.array([0.5, -2.0])
    x = leaf(a)
    (g,) = autograd.grad(Cube.apply(x).sin().sum(), x)
    expected = numeric_grad(lambda v: np.sum(np.sin(v ** 3)), [a], 0)
    np.testing.assert_allclose(g.data, expected, rtol=1e-7)
    assert x.grad is None


def test_grad_never_writes_into_an_optimizer_gradient_buffer():
    tg.manual_seed(0)
    layer = nn.Linear(3, 2)
    optimizer = optim.SGD(layer.parameters(), lr=0.1)
    optimizer.zero_grad()
    inputs = Tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    gw, gb = autograd.grad(layer(inputs).sum(), [layer.weight, layer.bias])
    assert layer.weight.grad is None and layer.bias.grad is None
    expected_w = np.ones((2, 2), dtype=np.float32).T @ inputs.data  # d sum(x W^T + b) / dW
    np.testing.assert_allclose(gw.data, expected_w)
    np.testing.assert_allclose(gb.data, [2.0, 2.0])
    layer(inputs).sum().backward()  # the usual path still fills the buffer
    np.testing.assert_allclose(layer.weight.grad, expected_w)
    gw.data[...] = -1.0  # and the returned gradient is not that buffer
    np.testing.assert_allclose(layer.weight.grad, expected_w)


def test_grad_errors_leave_the_graph_usable():
    x = leaf([1.0, 2.0])
    c = Tensor([1.0, 2.0], dtype=np.float64)
    y = x * x
    with pytest.raises(NotImplementedError, match="is_grads_batched"):
        autograd.grad(y.sum(), x, is_grads_batched=True)
    with pytest.raises(ValueError, match="inputs cannot be empty"):
        autograd.grad(y.sum(), [])
    with pytest.raises(RuntimeError, match=r"inputs\[1\] does not require grad"):
        autograd.grad(y.sum(), [x, c])
    with pytest.raises(TypeError, match=r"inputs\[0\] is a ndarray"):
        autograd.grad(y.sum(), [x.data])
    with pytest.raises(RuntimeError, match="element 1 of tensors does not require grad"):
        autograd.grad([y.sum(), c.sum()], x)
    with pytest.raises(RuntimeError, match=r"implicitly created only for scalar outputs"):
        autograd.grad(y, x)
    with pytest.raises(ValueError, match=r"has shape \(3,\) but the output has shape \(2,\)"):
        autograd.grad(y, x, Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="got 2 output gradients for 1 outputs"):
        autograd.grad(y, x, [Tensor(np.ones(2)), None])
    with pytest.raises(TypeError, match="the gradient of output 0 is a float"):
        autograd.grad(y, x, [2.0])
    (g,) = autograd.grad(y, x, Tensor(np.ones(2)))
    np.testing.assert_array_equal(g.data, [2.0, 4.0])


# ------------------------------------------------------------------------- backward
def test_backward_of_several_tensors():
    x = leaf([1.0, 2.0])
    autograd.backward([(x * x).sum(), x * 3.0], [None, Tensor(np.array([1.0, 2.0]))])
    np.testing.assert_array_equal(x.grad, [2.0 + 3.0, 4.0 + 6.0])
    autograd.backward((x * x).sum(), grad_variables=Tensor(np.array(2.0)))  # old name
    np.testing.assert_array_equal(x.grad, [5.0 + 4.0, 10.0 + 8.0])
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        autograd.backward([x * 3.0])


def test_backward_inputs_accumulates_only_into_them():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    hidden = x * w
    out = (hidden * hidden).sum()
    out.backward(inputs=[w], retain_graph=True)
    assert x.grad is None and hidden.grad is None
    np.testing.assert_allclose(w.grad, 2 * x.data ** 2 * w.data)
    autograd.backward(out, inputs=hidden, retain_graph=True)  # a non-leaf gets .grad, as torch
    np.testing.assert_allclose(hidden.grad, 2 * hidden.data)
    out.backward(inputs=(w, x))
    np.testing.assert_allclose(w.grad, 2 * 2 * x.data ** 2 * w.data)
    np.testing.assert_allclose(x.grad, 2 * w.data ** 2 * x.data)


def test_backward_argument_errors():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    with pytest.raises(ValueError, match="inputs cannot be empty"):
        y.backward(inputs=[])
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require grad"):
        y.backward(inputs=[Tensor([1.0])])
    with pytest.raises(ValueError, match="grad_tensors only"):
        autograd.backward(y, Tensor(np.array(1.0)), grad_variables=Tensor(np.array(1.0)))
    y.backward()  # nothing above ran the graph
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_backward_default_retain_graph_still_frees():
    x = leaf([1.0])
    y = (x * x).sum()
    y.backward(retain_graph=None)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward(inputs=[x])
    np.testing.assert_array_equal(x.grad, [2.0])


def test_tensor_backward_with_inputs_takes_a_gradient_as_without():
    x = leaf([1.0, 2.0])
    (x * x).backward([1.0, 3.0], inputs=x)  # a list, as backward() without inputs takes
    np.testing.assert_array_equal(x.grad, [2.0, 12.0])
