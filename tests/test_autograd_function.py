"""Custom autograd Functions (tinygrad_opt.autograd.Function): gradients against central
finite differences of plain numpy formulas (float64) and closed forms, the ctx features,
torch 2's setup_context style, the in-place checks, hooks, retain_graph and the errors."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor
from tinygrad_opt.autograd import Function


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


# ------------------------------------------------------------------- Functions under test
class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y


class StraightThroughClamp(Function):
    """clamp forward, identity backward (the straight-through estimator)."""

    @staticmethod
    def forward(ctx, x, low, high):
        return x.clamp(low, high)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None, None


class ProductAndDifference(Function):
    """(x * y, x - y): two outputs from one backward."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y, x - y

    @staticmethod
    def backward(ctx, grad_product, grad_difference):
        x, y = ctx.saved_tensors
        return grad_product * y + grad_difference, grad_product * x - grad_difference


class ScaledPower(Function):
    """scale * x ** power, with a non-Tensor positional argument and a keyword argument."""

    @staticmethod
    def forward(ctx, x, power, scale=1.0):
        ctx.power, ctx.scale = power, scale
        ctx.save_for_backward(x)
        return x ** power * scale

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * ctx.scale * ctx.power * x ** (ctx.power - 1), None, None


class ScaledPowerSetup(Function):
    """ScaledPower in torch 2's style: forward without ctx, plus setup_context."""

    @staticmethod
    def forward(x, power, scale=1.0):
        return x ** power * scale

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, power, scale = inputs
        ctx.inputs_seen = inputs
        ctx.power, ctx.scale = power, scale
        ctx.save_for_backward(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * ctx.scale * ctx.power * x ** (ctx.power - 1), None, None


# ------------------------------------------------------------------------ gradients
def test_custom_exp_matches_closed_form_and_finite_differences():
    a = np.array([[0.3, -1.2, 2.0], [0.0, 0.7, -0.4]])
    r = np.random.default_rng(0).standard_normal(a.shape)
    x = leaf(a)
    y = Exp.apply(x)
    np.testing.assert_allclose(y.data, np.exp(a), rtol=1e-15)
    (y * Tensor(r)).sum().backward()
    np.testing.assert_allclose(x.grad, r * np.exp(a), rtol=1e-12)
    np.testing.assert_allclose(
        x.grad, numeric_grad(lambda v: np.sum(r * np.exp(v)), [a], 0), rtol=1e-7
    )


def test_an_output_used_in_several_places_gets_every_contribution():
    a = np.array([0.5, -1.0, 0.25])
    x = leaf(a)
    y = Exp.apply(x)
    (y * y + y + y.sum()).sum().backward()  # d/dx = (2 e + 1 + 3) e
    e = np.exp(a)
    np.testing.assert_allclose(x.grad, (2 * e + 4) * e, rtol=1e-12)


def test_straight_through_clamp():
    a = np.array([-2.0, -0.5, 0.0, 0.8, 3.0])
    r = np.array([1.0, -2.0, 0.5, 4.0, -1.5])
    x = leaf(a)
    y = StraightThroughClamp.apply(x, -1.0, 1.0)
    np.testing.assert_array_equal(y.data, np.minimum(np.maximum(a, -1.0), 1.0))
    (y * Tensor(r)).sum().backward()
    np.testing.assert_array_equal(x.grad, r)  # identity, also where the clamp is flat


def test_two_outputs_against_finite_differences():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(4), rng.standard_normal(4)
    r1, r2 = rng.standard_normal(4), rng.standard_normal(4)
    x, y = leaf(a), leaf(b)
    product, difference = ProductAndDifference.apply(x, y)
    np.testing.assert_allclose(product.data, a * b)
    np.testing.assert_allclose(difference.data, a - b)
    ((product * Tensor(r1)).sum() + (difference * Tensor(r2)).sum()).backward()

    def loss(u, v):
        return np.sum(r1 * u * v) + np.sum(r2 * (u - v))

    np.testing.assert_allclose(x.grad, numeric_grad(loss, [a, b], 0), rtol=1e-7)
    np.testing.assert_allclose(y.grad, numeric_grad(loss, [a, b], 1), rtol=1e-7)


def test_an_output_without_gradient_gets_zeros_by_default():
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    x, y = leaf(a), leaf(b)
    received = {}

    class Recording(ProductAndDifference):
        @staticmethod
        def backward(ctx, grad_product, grad_difference):
            received["args"] = (grad_product, grad_difference)
            return ProductAndDifference.backward(ctx, grad_product, grad_difference)

    _, difference = Recording.apply(x, y)
    difference.sum().backward()
    grad_product, grad_difference = received["args"]
    assert isinstance(grad_product, Tensor) and isinstance(grad_difference, Tensor)
    np.testing.assert_array_equal(grad_product.data, np.zeros(2))
    np.testing.assert_array_equal(grad_difference.data, np.ones(2))
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    np.testing.assert_array_equal(y.grad, [-1.0, -1.0])


def test_set_materialize_grads_false_passes_none():
    received = {}

    class Lazy(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2.0, x * 3.0

        @staticmethod
        def backward(ctx, grad_a, grad_b):
            received["args"] = (grad_a, grad_b)
            return grad_b * 3.0

    x = leaf([1.0, 2.0])
    _, b = Lazy.apply(x)
    b.sum().backward()
    assert received["args"][0] is None
    np.testing.assert_array_equal(received["args"][1].data, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_non_tensor_arguments_and_keyword_arguments():
    a = np.array([0.5, 1.5, -2.0])
    x = leaf(a)
    y = ScaledPower.apply(x, 3, scale=2.0)
    np.testing.assert_allclose(y.data, 2.0 * a ** 3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 6.0 * a ** 2, rtol=1e-12)
    np.testing.assert_allclose(
        x.grad, numeric_grad(lambda v: np.sum(2.0 * v ** 3), [a], 0), rtol=1e-7
    )


def test_setup_context_style_sees_bound_inputs_with_defaults():
    a = np.array([0.5, 1.5, -2.0])
    x = leaf(a)
    y = ScaledPowerSetup.apply(x, 2)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 2 * a, rtol=1e-12)  # scale took its default 1.0
    x.grad = None
    y = ScaledPowerSetup.apply(x, power=3, scale=0.5)  # keywords bind to forward's params
    (y * Tensor(a)).sum().backward()
    np.testing.assert_allclose(x.grad, a * 1.5 * a ** 2, rtol=1e-12)


def test_same_tensor_as_two_inputs_sums_both_gradients():
    class Mul(Function):
        @staticmethod
        def forward(ctx, u, v):
            ctx.save_for_backward(u, v)
            return u * v

        @staticmethod
        def backward(ctx, g):
            u, v = ctx.saved_tensors
            return g * v, g * u

    x = leaf([1.5, -2.0])
    Mul.apply(x, x).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, -4.0])


def test_a_gradient_of_a_broadcast_shape_is_summed_back():
    class Spread(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g * Tensor(np.ones((3, 1)))  # shape (3, 2) for an input of shape (2,)

    x = leaf([1.0, 2.0])
    (Spread.apply(x) * Tensor([2.0, 5.0], dtype=np.float64)).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 15.0])


def test_float32_input_gets_float32_gradient_from_a_float64_backward():
    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            return g.to(np.float64) * 2.0

    x = Tensor([1.0, 2.0], requires_grad=True)
    Twice.apply(x).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


# ---------------------------------------------------------------------- ctx features
def test_forward_and_backward_run_without_recording_and_backward_gets_tensors():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, w):
            inner = x * w
            seen["forward"] = (tg.is_grad_enabled(), inner.requires_grad, ctx.needs_input_grad)
            ctx.tag = "kept"
            return inner

        @staticmethod
        def backward(ctx, g):
            seen["backward"] = (tg.is_grad_enabled(), type(g), ctx.needs_input_grad, ctx.tag)
            return g * 10.0, g * 20.0

    x, w = leaf([1.0, 2.0]), Tensor(np.array([3.0, 4.0]))
    y = Probe.apply(x, w)
    assert y.requires_grad and not y.is_leaf
    y.sum().backward()
    assert seen["forward"] == (False, False, (True, False))
    assert seen["backward"] == (False, Tensor, (True, False), "kept")
    np.testing.assert_array_equal(x.grad, [10.0, 10.0])
    assert w.grad is None  # a gradient for an input that needs none is dropped, as torch


def test_saved_tensors_are_the_saved_objects_and_none_is_allowed():
    seen = {}

    class Save(Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2.0
            ctx.save_for_backward(x, None, out)
            return out

        @staticmethod
        def backward(ctx, g):
            seen["saved"] = ctx.saved_tensors
            return g * 2.0

    x = leaf([1.0])
    y = Save.apply(x)
    y.backward()
    saved = seen["saved"]
    assert saved[0] is x and saved[1] is None
    assert saved[2] is not y and not saved[2].requires_grad  # the output's data, no graph
    assert np.shares_memory(saved[2].data, y.data)


def test_an_unused_graph_is_freed_without_the_garbage_collector():
    gc.disable()
    try:
        x = leaf([1.0, 2.0])
        y = Exp.apply(x)  # saves its output
        product, difference = ProductAndDifference.apply(x, y)  # saves its inputs
        watch = [weakref.ref(y), weakref.ref(product), weakref.ref(product._parents[0])]
        del y, product, difference
        assert [ref() is None for ref in watch] == [True, True, True]
    finally:
        gc.enable()


def test_save_for_backward_refuses_non_tensors():
    class SaveInt(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="argument 1 is of type int"):
        SaveInt.apply(leaf([1.0]))


def test_mark_non_differentiable_and_integer_outputs():
    received = {}

    class SortWithIndices(Function):
        @staticmethod
        def forward(ctx, x):
            order = x.argsort()
            values = x[order]
            mask = values > 0
            ctx.order = order
            ctx.mark_non_differentiable(mask)
            return values, order, mask.to(np.float64)  # the float copy is differentiable

        @staticmethod
        def backward(ctx, g_values, g_order, g_mask):
            received["args"] = (g_values, g_order, g_mask)
            grad = np.zeros(g_values.shape)
            grad[ctx.order.data] = g_values.data
            return Tensor(grad)

    a = np.array([0.3, -1.0, 2.0])
    x = leaf(a)
    values, order, mask = SortWithIndices.apply(x)
    assert values.requires_grad and not order.requires_grad and mask.requires_grad
    np.testing.assert_array_equal(values.data, np.sort(a))
    (values * Tensor(np.array([1.0, 2.0, 3.0]))).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 1.0, 3.0])
    g_values, g_order, g_mask = received["args"]
    np.testing.assert_array_equal(g_order.data, np.zeros(3))  # zeros for the indices
    assert g_order.dtype == order.dtype
    np.testing.assert_array_equal(g_mask.data, np.zeros(3))


def test_marked_float_output_does_not_require_grad():
    class Split(Function):
        @staticmethod
        def forward(ctx, x):
            a, b = x * 2.0, x * 3.0
            ctx.mark_non_differentiable(b)
            return a, b

        @staticmethod
        def backward(ctx, ga, gb):
            np.testing.assert_array_equal(gb.data, np.zeros(2))
            return ga * 2.0

    x = leaf([1.0, 2.0])
    a, b = Split.apply(x)
    assert a.requires_grad and not b.requires_grad
    a.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_non_tensor_outputs_pass_through_and_get_none():
    received = {}

    class WithCount(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0, 5

        @staticmethod
        def backward(ctx, g, g_count):
            received["count"] = g_count
            return g * 2.0

    x = leaf([1.0, 2.0])
    y, count = WithCount.apply(x)
    assert count == 5
    y.sum().backward()
    assert received["count"] is None
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_returning_an_input_gives_a_new_node():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3.0

    x = leaf([1.0, 2.0])
    y = Identity.apply(x)
    assert y is not x and y.requires_grad and not y.is_leaf and x.is_leaf
    assert np.shares_memory(y.data, x.data)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_without_an_input_that_requires_grad_nothing_is_recorded():
    calls = []

    class Count(Function):
        @staticmethod
        def forward(ctx, x):
            calls.append(ctx.needs_input_grad)
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            return g * 2.0

    y = Count.apply(Tensor([1.0, 2.0]))
    assert not y.requires_grad and y.grad_fn is None
    x = leaf([1.0])
    with tg.no_grad():
        z = Count.apply(x)
    assert not z.requires_grad and z.grad_fn is None
    assert calls == [(False,), (True,)]  # needs_input_grad follows requires_grad, as torch
    np.testing.assert_array_equal(z.data, [2.0])


def test_vjp_is_an_alias_of_backward():
    class ByVjp(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 4.0

        @staticmethod
        def vjp(ctx, g):
            return g * 4.0

    x = leaf([1.0])
    ByVjp.apply(x).backward()
    np.testing.assert_array_equal(x.grad, [4.0])


# ------------------------------------------------------------------ hooks, retain_graph
def test_hooks_on_outputs_and_inputs_run_as_in_backward():
    a = np.array([0.1, 0.2])
    x = leaf(a)
    seen = []
    x.register_hook(lambda g: seen.append(("x", g.data.copy())))
    y = Exp.apply(x)
    y.register_hook(lambda g: g * 10.0)  # the Function's backward gets the hooked gradient
    (y * y).sum().backward()
    e = np.exp(a)
    np.testing.assert_allclose(x.grad, 10.0 * 2 * e * e, rtol=1e-12)
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0][1], 10.0 * 2 * e * e, rtol=1e-12)


def test_retain_graph_and_freed_saved_tensors():
    a = np.array([0.5, 1.0])
    x = leaf(a)
    captured = {}

    class Keep(Exp):
        @staticmethod
        def forward(ctx, x):
            captured["ctx"] = ctx
            return Exp.forward(ctx, x)

    y = Keep.apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad, 2 * np.exp(a), rtol=1e-12)
    assert len(captured["ctx"].saved_tensors) == 1  # still there with retain_graph
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 3 * np.exp(a), rtol=1e-12)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="already been freed"):
        _ = captured["ctx"].saved_tensors


def test_two_outputs_backpropagated_separately_with_retain_graph():
    a, b = np.array([1.0, 2.0]), np.array([0.5, -3.0])
    x, y = leaf(a), leaf(b)
    product, difference = ProductAndDifference.apply(x, y)
    product.sum().backward(retain_graph=True)
    difference.sum().backward()  # must not see product's gradient a second time
    np.testing.assert_allclose(x.grad, b + 1.0)
    np.testing.assert_allclose(y.grad, a - 1.0)


def test_a_failed_pass_leaves_no_gradient_behind_for_the_next():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    product, difference = ProductAndDifference.apply(x, y)
    order = []
    product.register_hook(lambda g: order.append("product"))

    def fail_once(g):
        order.append("difference")
        if len(order) == 2:
            raise ValueError("hook failed")

    difference.register_hook(fail_once)
    with pytest.raises(ValueError, match="hook failed"):
        (product.sum() + difference.sum()).backward(retain_graph=True)
    assert order == ["product", "difference"]  # product handed its gradient over, then failed
    difference.sum().backward()  # must use difference's gradient only
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    np.testing.assert_array_equal(y.grad, [-1.0, -1.0])


# ------------------------------------------------------------------------- in place
def test_changing_a_saved_tensor_in_place_makes_backward_raise():
    class SaveInput(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2.0 * g * x

    w = leaf([1.0, 2.0])
    h = w * 1.0
    y = SaveInput.apply(h)
    with tg.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_changing_a_saved_output_in_place_makes_backward_raise():
    x = leaf([1.0, 2.0])
    y = Exp.apply(x)
    with tg.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match="saved tensor 0"):
        y.sum().backward()


def test_changing_an_input_that_was_not_saved_is_allowed_as_in_torch():
    a = np.array([0.5, -0.5])
    w = leaf(a)
    h = w * 1.0
    y = Exp.apply(h)  # saves only its output
    with tg.no_grad():
        h.mul_(2.0)
    y.sum().backward()
    np.testing.assert_allclose(w.grad, np.exp(a), rtol=1e-12)


# --------------------------------------------------------------------------- errors
def _function(backward, forward=None):
    """A Function of (x, k) with the given backward; forward is x * k by default."""

    class Bad(Function):
        pass

    Bad.forward = staticmethod(forward or (lambda ctx, x, k=1.0: x * k))
    Bad.backward = staticmethod(backward)
    return Bad


def test_wrong_number_of_gradients_names_the_function():
    bad = _function(lambda ctx, g: g)
    y = bad.apply(leaf([1.0, 2.0]), 2.0)
    with pytest.raises(RuntimeError, match=r"function BadBackward returned an incorrect "
                                           r"number of gradients \(expected 2, got 1\)"):
        y.sum().backward()
    extra = _function(lambda ctx, g: (g, None, g))
    with pytest.raises(RuntimeError, match=r"expected 2, got 3"):
        extra.apply(leaf([1.0]), 2.0).sum().backward()


def test_trailing_none_gradients_are_allowed():
    fine = _function(lambda ctx, g: (g * 2.0, None, None))
    x = leaf([1.0, 2.0])
    fine.apply(x, 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_gradient_for_a_non_tensor_argument_names_it():
    bad = _function(lambda ctx, g: (g, g))
    with pytest.raises(RuntimeError, match=r"BadBackward .* argument 1 \(k\).* not a Tensor"):
        bad.apply(leaf([1.0]), 2.0).sum().backward()


def test_gradient_of_the_wrong_shape_names_function_and_argument():
    bad = _function(lambda ctx, g: (Tensor(np.ones(3)), None))
    with pytest.raises(RuntimeError, match=r"BadBackward returned an invalid gradient for "
                                           r"argument 0 \(x\): got shape \(3,\)"):
        bad.apply(leaf([1.0, 2.0]), 2.0).sum().backward()
    smaller = _function(lambda ctx, g: (Tensor(np.ones(1)), None))  # (1,) is no broadcast of (2,)
    with pytest.raises(RuntimeError, match="invalid gradient"):
        smaller.apply(leaf([1.0, 2.0]), 2.0).sum().backward()


def test_non_tensor_gradient_is_a_type_error():
    bad = _function(lambda ctx, g: (g.data, None))
    with pytest.raises(TypeError, match="returned a ndarray as the gradient of argument 0"):
        bad.apply(leaf([1.0]), 2.0).sum().backward()


def test_forward_returning_numpy_is_refused():
    bad = _function(lambda ctx, g: g, forward=lambda ctx, x: x.data * 2)
    with pytest.raises(TypeError, match="returned a numpy array as output 0"):
        bad.apply(leaf([1.0]))


def test_misuse_of_the_class():
    with pytest.raises(RuntimeError, match=r"Exp.apply"):
        Exp()(leaf([1.0]))

    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

    y = NoBackward.apply(leaf([1.0]))
    with pytest.raises(NotImplementedError, match="backward or vjp"):
        y.backward()

    class Both(Exp):
        @staticmethod
        def vjp(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="both 'backward' and 'vjp'"):
        Both.apply(leaf([1.0])).backward()

    class KeywordOnly(Function):
        @staticmethod
        def forward(ctx, x, *, scale=1.0):
            return x * scale

    with pytest.raises(TypeError, match=r"keyword-only parameters \['scale'\]"):
        KeywordOnly.apply(leaf([1.0]), scale=2.0)
    with pytest.raises(TypeError, match="positional arguments"):
        KeywordOnly.apply(leaf([1.0]), 1.0, 2.0)

    class Dirty(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x

    with pytest.raises(NotImplementedError, match="mark_dirty"):
        Dirty.apply(leaf([1.0]))
