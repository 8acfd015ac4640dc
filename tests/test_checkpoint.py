"""Activation checkpointing (tinygrad_opt.utils.checkpoint): gradients of inputs and
parameters against hand-written numpy backpropagation, closed forms and float64 finite
differences, and equal to the plain run bit for bit; dropout masks against numpy's PCG64
stream (what `manual_seed` promises to draw); BatchNorm's doubled running-statistics update
against its formula; intermediate arrays freed after the forward (weak references); both
variants (use_reentrant False/True) and the errors."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import tinygrad_opt as tg
from tests.finite_differences import finite_difference_check
from tinygrad_opt import Tensor, nn
from tinygrad_opt.autograd import grad as autograd_grad
from tinygrad_opt.utils.checkpoint import checkpoint, checkpoint_sequential

VARIANTS = [False, True]


def leaf(rng, *shape) -> Tensor:
    return Tensor(rng.standard_normal(shape), requires_grad=True)


def mlp(seed: int = 0) -> nn.Sequential:
    tg.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).to(np.float64)


def grads_of(model, *tensors) -> list[np.ndarray]:
    return [p.grad.copy() for p in model.parameters()] + [t.grad.copy() for t in tensors]


def numpy_mlp_grads(model, x, w_out):
    """d sum(w_out * mlp(x)) by hand: Linear -> tanh -> Linear, in numpy."""
    w1, b1, w2, b2 = (p.data for p in model.parameters())
    h = np.tanh(x @ w1.T + b1)
    dh = (w_out @ w2) * (1 - h**2)
    return [dh.T @ x, dh.sum(0), w_out.T @ h, w_out.sum(0), dh @ w1]


# ------------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_mlp_gradients_match_hand_backprop_and_plain_run(use_reentrant):
    rng = np.random.default_rng(0)
    model = mlp()
    x = leaf(rng, 5, 4)
    w_out = rng.standard_normal((5, 3))
    y = checkpoint(model, x, use_reentrant=use_reentrant)
    (y * Tensor(w_out)).sum().backward()
    checkpointed = grads_of(model, x)
    for got, want in zip(checkpointed, numpy_mlp_grads(model, x.data, w_out)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    model.zero_grad()
    x.grad = None
    (model(x) * Tensor(w_out)).sum().backward()
    for got, plain in zip(checkpointed, grads_of(model, x)):
        np.testing.assert_array_equal(got, plain)


def test_parameters_get_gradients_when_no_input_requires_grad():
    # non-reentrant (the default): the weights read inside are the node's parents
    rng = np.random.default_rng(1)
    model = mlp()
    x = rng.standard_normal((5, 4))
    w_out = rng.standard_normal((5, 3))
    y = checkpoint(model, Tensor(x))
    assert y.requires_grad
    (y * Tensor(w_out)).sum().backward()
    for p, want in zip(model.parameters(), numpy_mlp_grads(model, x, w_out)):
        np.testing.assert_allclose(p.grad, want, rtol=1e-12, atol=1e-12)


def test_reentrant_without_input_requiring_grad_warns_and_gives_no_graph():
    model = mlp()
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        y = checkpoint(model, Tensor(np.ones((2, 4))), use_reentrant=True)
    assert not y.requires_grad


def test_autograd_grad_sees_through_checkpoint_but_not_reentrant():
    rng = np.random.default_rng(2)
    model = mlp()
    x = leaf(rng, 3, 4)
    w_out = rng.standard_normal((3, 3))
    y = checkpoint(model, x, use_reentrant=False)
    weight, gx = autograd_grad((y * Tensor(w_out)).sum(), [model[0].weight, x])
    want = numpy_mlp_grads(model, x.data, w_out)
    np.testing.assert_allclose(weight.data, want[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gx.data, want[4], rtol=1e-12, atol=1e-12)
    assert model[0].weight.grad is None and x.grad is None
    y = checkpoint(model, x, use_reentrant=True)
    with pytest.raises(RuntimeError, match="not compatible with .grad"):
        autograd_grad(y.sum(), [x])


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_conv_batchnorm_block_gradients_and_running_stats_updated_twice(use_reentrant):
    # torch reruns BatchNorm in the recompute too: running stats move twice per step
    rng = np.random.default_rng(3)
    tg.manual_seed(0)
    block = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU())
    block.to(np.float64)
    x = leaf(rng, 4, 2, 5, 5)
    w_out = Tensor(rng.standard_normal((4, 3, 5, 5)))
    with tg.no_grad():
        conv = block[0](x).data
    mean, var = conv.mean(axis=(0, 2, 3)), conv.var(axis=(0, 2, 3), ddof=1)
    (checkpoint(block, x, use_reentrant=use_reentrant) * w_out).sum().backward()
    checkpointed = grads_of(block, x)
    bn = block[1]
    assert int(bn.num_batches_tracked.data) == 2
    m = 0.1
    np.testing.assert_allclose(bn.running_mean.data, (1 - (1 - m) ** 2) * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, (1 - m) ** 2 + (1 - (1 - m) ** 2) * var,
                               rtol=1e-12)
    block.zero_grad()
    x.grad = None
    (block(x) * w_out).sum().backward()
    for got, plain in zip(checkpointed, grads_of(block, x)):
        np.testing.assert_array_equal(got, plain)
    assert int(bn.num_batches_tracked.data) == 3


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_dropout_mask_replayed_and_rng_left_as_without_checkpoint(use_reentrant):
    # manual_seed(s) draws what numpy.random.default_rng(s) draws (random.py's promise)
    x = Tensor(np.full((3, 4), 2.0), requires_grad=True)
    w = np.arange(12.0).reshape(3, 4)
    tg.manual_seed(7)
    y = checkpoint(nn.functional.dropout, x, 0.5, True, use_reentrant=use_reentrant)
    (y * Tensor(w)).sum().backward()
    after = tg.rand(3, dtype=np.float64).numpy()
    stream = np.random.default_rng(7)
    mask = (stream.random((3, 4)) >= 0.5) * 2.0
    np.testing.assert_array_equal(y.data, 2.0 * mask)
    np.testing.assert_array_equal(x.grad, w * mask)
    np.testing.assert_array_equal(after, stream.random(3))


def test_without_preserve_rng_state_the_recompute_draws_the_next_mask():
    x = Tensor(np.ones((3, 4)), requires_grad=True)
    tg.manual_seed(11)
    y = checkpoint(nn.functional.dropout, x, preserve_rng_state=False)
    y.sum().backward()
    stream = np.random.default_rng(11)
    first = (stream.random((3, 4)) >= 0.5) * 2.0
    second = (stream.random((3, 4)) >= 0.5) * 2.0
    np.testing.assert_array_equal(y.data, first)
    np.testing.assert_array_equal(x.grad, second)  # as torch: forward and recompute differ


# ------------------------------------------------------------------ outputs, kwargs, nesting
def test_tuple_outputs_non_tensors_and_kwargs():
    rng = np.random.default_rng(4)
    a, b = leaf(rng, 3), leaf(rng, 3)

    def f(a, b, scale=1.0, tag=None):
        return (a * b * scale, tag, {"square": a * a}, (a > 0))

    out = checkpoint(f, a, b, scale=3.0, tag="t")
    assert out[1] == "t" and out[3].dtype == np.bool_ and not out[3].requires_grad
    np.testing.assert_array_equal(out[3].data, a.data > 0)
    w1, w2 = rng.standard_normal(3), rng.standard_normal(3)
    (out[0] * Tensor(w1) + out[2]["square"] * Tensor(w2)).sum().backward()
    np.testing.assert_allclose(a.grad, 3 * b.data * w1 + 2 * a.data * w2, rtol=1e-14)
    np.testing.assert_allclose(b.grad, 3 * a.data * w1, rtol=1e-14)


def test_only_used_outputs_need_a_gradient_and_identity_returns_the_input():
    rng = np.random.default_rng(5)
    a = leaf(rng, 4)
    first, second = checkpoint(lambda t: (t.exp(), t.sin()), a)
    second.sum().backward()
    np.testing.assert_allclose(a.grad, np.cos(a.data), rtol=1e-14)
    assert checkpoint(lambda t: t, a) is a  # a tensor from outside comes back as itself


def test_reentrant_refuses_keyword_arguments_context_fn_and_debug():
    a = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: s"):
        checkpoint(lambda t, s=1: t * s, a, s=2, use_reentrant=True)
    with pytest.raises(ValueError, match="context_fn"):
        checkpoint(lambda t: t, a, use_reentrant=True, debug=True)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_nested_checkpoints(use_reentrant):
    rng = np.random.default_rng(6)
    x, w = leaf(rng, 3), leaf(rng, 3)
    calls = {"inner": 0}

    def inner(t):
        calls["inner"] += 1
        return (t * w).sin()

    def outer(t):
        return checkpoint(inner, t.exp(), use_reentrant=use_reentrant) * t

    checkpoint(outer, x, use_reentrant=use_reentrant).sum().backward()
    e = np.exp(x.data)
    np.testing.assert_allclose(x.grad, np.cos(e * w.data) * w.data * e * x.data
                               + np.sin(e * w.data), rtol=1e-13)
    np.testing.assert_allclose(w.grad, np.cos(e * w.data) * e * x.data, rtol=1e-13)
    assert calls["inner"] == 3  # forward, outer's recompute, inner's recompute


def test_closure_over_a_non_leaf_and_its_leaf_counts_each_path_once_and_hooks_once():
    rng = np.random.default_rng(7)
    w, x = leaf(rng, 3), leaf(rng, 3)
    v = w * 2.0  # computed outside, read inside together with w itself
    seen = []
    w.register_hook(lambda g: seen.append(g.data.copy()))
    checkpoint(lambda t: t * v + t * w, x).sum().backward()
    np.testing.assert_allclose(w.grad, 3 * x.data, rtol=1e-15)
    np.testing.assert_allclose(x.grad, 3 * w.data, rtol=1e-15)
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], 3 * x.data, rtol=1e-15)


def test_retain_graph_allows_a_second_backward():
    rng = np.random.default_rng(8)
    x = leaf(rng, 3)
    y = checkpoint(lambda t: (t * t).sum(), x)
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 4 * x.data, rtol=1e-15)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_under_no_grad_the_function_just_runs():
    x = Tensor(np.ones(3), requires_grad=True)
    calls = []
    with tg.no_grad():
        y = checkpoint(lambda t: calls.append(1) or t * 2, x)
    assert not y.requires_grad and calls == [1]
    np.testing.assert_array_equal(y.data, [2.0, 2.0, 2.0])


def test_context_fn_managers_wrap_forward_and_recompute():
    log = []

    class Mark:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            log.append(self.name)

        def __exit__(self, *exc):
            return None

    x = Tensor(np.ones(2), requires_grad=True)
    y = checkpoint(lambda t: t * 3, x, context_fn=lambda: (Mark("forward"), Mark("again")))
    assert log == ["forward"]
    y.sum().backward()
    assert log == ["forward", "again"]
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_finite_differences_float64():
    rng = np.random.default_rng(9)
    model = mlp(3)

    def forward(t):
        h = checkpoint(model, t["x"])
        return [checkpoint(lambda a, b: (a * b).tanh(), h, t["s"]), h]

    finite_difference_check(forward, {"x": rng.standard_normal((2, 4)),
                                      "s": rng.standard_normal((2, 3)),
                                      **dict(model.named_parameters())})


# ------------------------------------------------------------------------------- memory
def test_forward_keeps_no_intermediate_arrays():
    rng = np.random.default_rng(10)
    x = leaf(rng, 8, 8)
    refs = []

    def deep(t):
        for _ in range(4):
            t = (t * 1.5).tanh()
            refs.append(weakref.ref(t.data))
        return t.sum()

    plain = deep(x)
    gc.collect()
    assert sum(r() is not None for r in refs) >= 3  # tanh keeps its outputs for backward
    del plain
    refs.clear()
    y = checkpoint(deep, x)
    gc.collect()
    assert all(r() is None for r in refs[:-1])  # only the inputs and the output remain
    y.backward()
    want = np.ones_like(x.data)
    a = x.data
    chain = []
    for _ in range(4):
        a = np.tanh(a * 1.5)
        chain.append(a)
    for a in reversed(chain):
        want = want * (1 - a**2) * 1.5
    np.testing.assert_allclose(x.grad, want, rtol=1e-12)


# -------------------------------------------------------------------- checkpoint_sequential
@pytest.mark.parametrize("segments", [1, 2, 3, 5])
def test_checkpoint_sequential_matches_plain_sequential(segments):
    rng = np.random.default_rng(11)
    calls = []

    class CountedTanh(nn.Module):
        def forward(self, t):
            calls.append(1)
            return t.tanh()

    tg.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 5), CountedTanh(), nn.Linear(5, 5), nn.Tanh(),
                          nn.Linear(5, 2)).to(np.float64)
    x = leaf(rng, 3, 4)
    y = checkpoint_sequential(model, segments, x, use_reentrant=False)
    y.sum().backward()
    checkpointed = grads_of(model, x)
    # segment size 5 // segments; all but the last segment are rerun in backward
    rerun = (5 // segments) * (segments - 1) >= 2
    assert len(calls) == (2 if rerun else 1)
    model.zero_grad()
    x.grad = None
    model(x).sum().backward()
    for got, plain in zip(checkpointed, grads_of(model, x)):
        np.testing.assert_array_equal(got, plain)


def test_checkpoint_sequential_takes_a_list_of_functions():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = checkpoint_sequential([lambda t: t * t, lambda t: t * 3, lambda t: t.sum()], 2, x)
    y.backward()
    np.testing.assert_array_equal(x.grad, 6 * x.data)


# -------------------------------------------------------------------------------- errors
def test_bad_arguments_raise_and_run_nothing():
    x = Tensor(np.ones(2), requires_grad=True)
    state = tg.random.get_rng_state()
    with pytest.raises(TypeError, match="function must be callable"):
        checkpoint(3, x)
    with pytest.raises(ValueError, match="determinism_check should be one of"):
        checkpoint(lambda t: t, x, determinism_check="strict")
    with pytest.raises(TypeError, match="tuple of two context managers"):
        checkpoint(lambda t: t, x, context_fn=lambda: None)
    with pytest.raises(TypeError, match="use_reentrant must be a bool"):
        checkpoint(lambda t: t, x, use_reentrant="yes")
    layers = [lambda t: t, lambda t: t]
    for segments in (0, 3, -1):
        with pytest.raises(ValueError, match="between 1 and the number of functions"):
            checkpoint_sequential(layers, segments, x)
    with pytest.raises(TypeError, match="segments must be an int"):
        checkpoint_sequential(layers, 2.0, x)
    with pytest.raises(TypeError, match=r"functions\[1\] is a int"):
        checkpoint_sequential([lambda t: t, 1], 1, x)
    with pytest.raises(TypeError, match="Sequential or a list"):
        checkpoint_sequential(lambda t: t, 1, x)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        checkpoint_sequential(layers, 1, x, foo=1)
    assert tg.random.get_rng_state() == state and x.grad is None


def test_recompute_that_changes_shape_is_caught():
    x = Tensor(np.ones(4), requires_grad=True)
    calls = []

    def changing(t):
        calls.append(1)
        return t * 2 if len(calls) == 1 else t[:2] * 2

    y = checkpoint(changing, x, debug=True)
    with pytest.raises(RuntimeError, match=r"recomputed output 0 .*shape \(2,\).*forward gave"):
        y.sum().backward()


def test_torch_import_paths():
    import tinygrad_opt.utils.checkpoint as module

    assert tg.utils.checkpoint is module
    assert module.checkpoint is checkpoint and module.checkpoint_sequential is checkpoint_sequential


def test_outputs_not_computed_from_tensors_requiring_grad_are_not_differentiable():
    rng = np.random.default_rng(12)
    a, b = leaf(rng, 3), Tensor(rng.standard_normal(3))
    first, second, third = checkpoint(lambda t, u: (t * 2, u * 3, (t * u).detach() + 1), a, b)
    assert first.requires_grad and not second.requires_grad and not third.requires_grad
    np.testing.assert_array_equal(second.data, b.data * 3)
    first.sum().backward()
    np.testing.assert_array_equal(a.grad, [2.0, 2.0, 2.0])


def test_custom_function_working_on_raw_arrays_inside_checkpoint():
    from tinygrad_opt.autograd import Function

    class Cube(Function):  # reads x only through numpy: no op of it shows x
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return Tensor(x.data**3)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return Tensor(3 * x.data**2 * g.data)

    rng = np.random.default_rng(13)
    w = leaf(rng, 3)
    y = checkpoint(lambda t: Cube.apply(w) * t, Tensor(np.full(3, 2.0)))
    assert y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(w.grad, 6 * w.data**2, rtol=1e-15)


def test_a_tensor_changed_in_place_by_a_parameter_carries_its_gradient():
    # `y += w` on a tensor y that needs no grad makes y depend on w (recorded as y = y + w
    # when not checkpointed); inside checkpoint's no-grad forward it is written in place, so
    # y must still count as computed from w, or w silently gets no gradient
    rng = np.random.default_rng(14)
    w = leaf(rng, 3)

    def fill(t):
        y = tg.zeros(2, 3)
        y += w
        return y * t

    x = Tensor(rng.standard_normal((2, 3)))
    out = checkpoint(fill, x)
    assert out.requires_grad
    out.sum().backward()
    np.testing.assert_allclose(w.grad, x.data.sum(axis=0), rtol=1e-15)  # d/dw sum((0 + w) x)
    # an in-place op the graph cannot record still fails, at the recompute, as it does
    # without checkpoint (not a silent missing gradient)
    def add_(t):
        y = tg.zeros(3)
        y.add_(w)
        return y * t

    out = checkpoint(add_, Tensor(np.ones(3)))
    with pytest.raises(RuntimeError, match="add_"):
        out.sum().backward()
