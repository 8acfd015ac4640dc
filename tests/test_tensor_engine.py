"""The autograd engine: accumulation, graph freeing, retain_graph, grad modes, detach,
retain_grad, requires_grad propagation, the optimizer grad-storage hook, memory."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor


def test_backward_accumulates_into_existing_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [2 + 3, 4 + 3])
    x.grad = None  # users may reset it
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [3, 3])
    x.grad = np.full(2, 10.0, dtype=np.float32)  # or assign an array
    x.sum().backward()
    np.testing.assert_allclose(x.grad, [11, 11])


def test_shared_subexpression_gets_both_contributions():
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = x.exp()
    (y * y + y).sum().backward()  # d/dx = (2y + 1) * y
    e = np.exp(x.data)
    np.testing.assert_allclose(x.grad, (2 * e + 1) * e)


def test_scalar_used_many_times_sums_every_contribution():
    point = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    x = point[0]  # a 0-d tensor, whose gradient sums are numpy scalars unless handled
    out = (1.0 - x) ** 2 + 100.0 * (point[1] - x * x) ** 2 + x
    out.backward()
    x0, y0 = 0.5, 2.0
    expected = [-2 * (1 - x0) - 400 * x0 * (y0 - x0 * x0) + 1, 200 * (y0 - x0 * x0)]
    np.testing.assert_allclose(point.grad, expected)


def test_same_tensor_twice_in_one_op():
    x = Tensor(np.array([3.0]), requires_grad=True)
    (x + x).backward()
    np.testing.assert_allclose(x.grad, [2.0])


def test_grad_has_the_leaf_shape_and_dtype_and_is_not_shared():
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    y = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    (x + y).sum().backward()
    assert x.grad.shape == (2, 3) and x.grad.dtype == np.float32
    x.grad += 1  # must not change y.grad, even though add's backward passes one array to both
    np.testing.assert_allclose(y.grad, np.ones((2, 3)))
    assert x.grad.flags.writeable and x.grad.flags.c_contiguous


def test_backward_with_explicit_gradient():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).backward(gradient=np.array([1.0, 0.5]))
    np.testing.assert_allclose(x.grad, [2.0, 2.0])


def test_explicit_gradient_reaches_every_op_in_the_output_dtype():
    """tensor.py's contract for ops: `g` has the output's dtype, also when backward() is
    given a float64 or integer gradient for a float32 output (PyTorch casts it too)."""
    seen = []

    def spy(t):
        def backward(g):
            seen.append(g.dtype)
            return (g * 2,)

        return Tensor.make(t.data * 2, (t,), backward)

    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    spy(x).backward(gradient=np.array([0.5, 1.5]))
    spy(x).backward(gradient=np.array([1, 2]))
    assert seen == [np.float32, np.float32]
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2 * 0.5 + 2 * 1, 2 * 1.5 + 2 * 2])


def test_chain_of_100000_ops_backpropagates_without_recursion():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    (y * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 2.0])


def test_graph_is_freed_and_second_backward_raises():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x.tanh() * 2).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * 2 * x.data)
    with pytest.raises(RuntimeError):
        loss.backward()


def _intermediate_refs(retain_graph: bool):
    x = Tensor(np.random.default_rng(0).standard_normal(100), requires_grad=True)
    h1 = x * 2.0
    h2 = h1.tanh()
    loss = (h2 * h1).sum()
    refs = [weakref.ref(h1.data), weakref.ref(h2.data)]
    del h1, h2
    loss.backward(retain_graph=retain_graph)
    gc.collect()
    return refs, loss


def test_no_intermediate_arrays_stay_referenced_after_backward():
    refs, _loss = _intermediate_refs(retain_graph=False)
    assert all(r() is None for r in refs)


def test_retain_graph_keeps_intermediates_alive():  # shows the test above can fail
    refs, _loss = _intermediate_refs(retain_graph=True)
    assert all(r() is not None for r in refs)


def test_memory_does_not_grow_over_1000_iterations():
    w = Tensor(np.random.default_rng(1).standard_normal((32, 32)), requires_grad=True)
    x = Tensor(np.random.default_rng(2).standard_normal((8, 32)))

    def step():
        loss = ((x @ w).tanh() * 0.5 + 1.0).log_softmax(-1).mean()
        loss.backward()
        w.grad = None

    for _ in range(50):  # warm up numpy's and Python's caches
        step()
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(200):
            step()
        gc.collect()
        after_warmup, _ = tracemalloc.get_traced_memory()
        for _ in range(1000):
            step()
        gc.collect()
        after_all, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # one leaked (8, 32) float64 array per step would be > 2 MB
    assert after_all - after_warmup < 64 * 1024


def test_no_grad_records_nothing_and_enable_grad_restores():
    x = Tensor([1.0], requires_grad=True)
    with tg.no_grad():
        y = x * 2
        assert not y.requires_grad and y.is_leaf
        assert not tg.is_grad_enabled()
        with tg.enable_grad():
            z = x * 2
            assert z.requires_grad
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
    assert (x * 2).requires_grad


def test_grad_modes_as_decorators_and_restored_after_errors():
    @tg.no_grad()
    def infer(t):
        return t * 2

    @tg.enable_grad()
    def train(t):
        return t * 2

    @tg.no_grad
    def bare(t):
        return t * 2

    x = Tensor([1.0], requires_grad=True)
    assert not infer(x).requires_grad
    assert not bare(x).requires_grad
    with tg.no_grad():
        assert train(x).requires_grad
    with pytest.raises(ZeroDivisionError):
        with tg.no_grad():
            raise ZeroDivisionError
    assert tg.is_grad_enabled()


def test_detach_shares_data_and_cuts_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert d.is_leaf and not d.requires_grad
    assert np.shares_memory(d.data, y.data)
    (d * x).sum().backward()
    np.testing.assert_allclose(x.grad, y.data)  # d acted as a constant


def test_retain_grad_keeps_non_leaf_grads():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * x
    y.retain_grad()
    z = y * 3
    z.sum().backward()
    np.testing.assert_allclose(y.grad, [3, 3])
    assert z.grad is None  # not retained
    np.testing.assert_allclose(x.grad, 6 * x.data)


def test_requires_grad_propagation_and_leaves():
    a = Tensor([1.0])
    b = Tensor([2.0], requires_grad=True)
    assert not (a * 2).requires_grad
    c = a * b
    assert c.requires_grad and not c.is_leaf
    assert a.is_leaf and b.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        (a * 2).sum().backward()
    (c + a).sum().backward()
    assert a.grad is None
    np.testing.assert_allclose(b.grad, [1.0])


def test_requires_grad_can_be_switched_off_only_on_leaves():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"only allowed on leaf tensors; use detach\(\)"):
        y.requires_grad_(False)  # as PyTorch: a computed tensor keeps its graph
    assert y.requires_grad and not y.is_leaf
    x.requires_grad_(False)
    assert not x.requires_grad


def test_integer_tensors_refuse_requires_grad():
    with pytest.raises(TypeError, match="floating-point"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        Tensor([1, 2]).requires_grad_()
    with pytest.raises(TypeError, match="floating-point"):
        tg.arange(3, requires_grad=True)


def test_integer_index_tensor_in_a_graph():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    labels = Tensor([2, 0])
    x[labels].sum().backward()
    np.testing.assert_allclose(x.grad, [[1, 1], [0, 0], [1, 1]])


def test_grad_storage_hook_writes_into_the_optimizer_buffer():
    flat = np.zeros(5, dtype=np.float32)
    w = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    w._grad_storage = flat[1:4]
    (w * 2).sum().backward()
    assert np.shares_memory(w.grad, flat)
    np.testing.assert_allclose(flat, [0, 2, 2, 2, 0])
    (w * 1).sum().backward()  # accumulates in place, still in the buffer
    np.testing.assert_allclose(flat, [0, 3, 3, 3, 0])


def _linear_weight_grad_reference(x: np.ndarray, w: np.ndarray, uses: int) -> np.ndarray:
    """d/dW of sum(x W^T) applied `uses` times in a chain: x_{k+1} = x_k W^T (float64)."""
    xs = [x]
    for _ in range(uses):
        xs.append(xs[-1] @ w.T)
    grad_out = np.ones_like(xs[-1])
    total = np.zeros_like(w)
    for k in range(uses, 0, -1):
        total += grad_out.T @ xs[k - 1]
        grad_out = grad_out @ w
    return total


@pytest.mark.parametrize("uses", [1, 2, 3])
def test_ops_write_weight_gradients_into_the_buffer_and_shared_weights_still_sum(uses):
    from tinygrad_opt import nn

    rng = np.random.default_rng(uses)
    x = rng.standard_normal((5, 4))
    layer = nn.Linear(4, 4, bias=False, dtype=np.float64)
    flat = np.full(20, np.nan)
    layer.weight._grad_storage = flat[2:18].reshape(4, 4)
    out = Tensor(x)
    for _ in range(uses):  # the same weight in every layer of the chain
        out = layer(out)
    out.sum().backward()
    assert layer.weight.grad is layer.weight._grad_storage
    expected = _linear_weight_grad_reference(x, layer.weight.data, uses)
    np.testing.assert_allclose(layer.weight.grad, expected, rtol=1e-12)
    assert np.isnan(flat[:2]).all() and np.isnan(flat[18:]).all()  # nothing outside its view


def test_gradient_buffer_is_handed_out_once_per_pass_and_only_while_grad_is_none():
    from tinygrad_opt.tensor import gradient_buffer

    w = Tensor(np.ones(3), requires_grad=True)
    w._grad_storage = np.zeros(3)
    assert gradient_buffer(w) is None  # outside backward
    seen = []

    def probe(t):
        def backward(g):
            seen.append(gradient_buffer(w))
            return (g,)

        return Tensor.make(t.data.copy(), (t,), backward)

    (probe(w) + probe(w)).sum().backward()
    assert seen[0] is w._grad_storage and seen[1] is None
    np.testing.assert_allclose(w.grad, [2, 2, 2])
    seen.clear()
    probe(w).sum().backward()  # .grad is set: its buffer holds what is accumulated into
    assert seen == [None]
    np.testing.assert_allclose(w.grad, [3, 3, 3])


def _on_backward(t: Tensor, action) -> Tensor:
    """t's value as a new node whose backward calls action() then passes g through."""

    def backward(g):
        action()
        return (g,)

    return Tensor.make(t.data.copy(), (t,), backward)


def test_gradient_buffer_claims_are_per_thread():
    """Thread A's backward pauses between the two uses of a shared weight while thread B is
    in the middle of its own backward: A must still see its own claims (the buffer was
    already handed out), so the weight's two contributions are summed, not overwritten."""
    import threading

    from tinygrad_opt import nn

    a_paused, b_mid_pass, a_done = threading.Event(), threading.Event(), threading.Event()
    x = np.random.default_rng(0).standard_normal((5, 4))
    shared = nn.Linear(4, 4, bias=False, dtype=np.float64)
    shared.weight._grad_storage = np.zeros((4, 4))
    other = nn.Linear(4, 4, bias=False, dtype=np.float64)
    other.weight._grad_storage = np.zeros((4, 4))

    def wait_for_b():
        a_paused.set()
        b_mid_pass.wait(10)

    def hold_b():
        b_mid_pass.set()
        a_done.wait(10)

    def run_a():
        # backward order: the second use (claims the buffer), the pause, the first use
        shared(_on_backward(shared(Tensor(x)), wait_for_b)).sum().backward()
        a_done.set()

    def run_b():
        a_paused.wait(10)
        _on_backward(other(Tensor(x)), hold_b).sum().backward()

    threads = [threading.Thread(target=run_a), threading.Thread(target=run_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    expected = _linear_weight_grad_reference(x, shared.weight.data, 2)
    np.testing.assert_allclose(shared.weight.grad, expected, rtol=1e-12)


def test_backward_never_mutates_the_incoming_gradient():
    seen = []

    def spy(x):
        def backward(g):
            seen.append(g.copy())
            seen.append(g)
            return (g,)

        return Tensor.make(x.data.copy(), (x,), backward)

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = spy(x)
    (y + y * 2).sum().backward()
    x.grad += 100
    np.testing.assert_array_equal(seen[0], seen[1])


def test_setitem_outside_the_graph_and_refused_inside():
    data = Tensor(np.zeros((2, 3)))
    data[0, Tensor(np.array([0, 2]))] = 5.0
    data[data > 4] = Tensor(np.array(7.0))
    np.testing.assert_array_equal(data.numpy(), [[7, 0, 7], [0, 0, 0]])
    w = Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem: in-place assignment"):
        w[0] = 1.0
    assert w.numpy().tolist() == [0, 0, 0]


def test_numpy_interop():
    t = Tensor([1.5, 2.5])
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert float(Tensor([[3.0]])) == 3.0 and int(Tensor(4)) == 4


def test_item_len_bool_repr():
    assert Tensor([[2.5]]).item() == 2.5
    assert len(Tensor(np.zeros((4, 2)))) == 4
    assert bool(Tensor([1.0]))
    assert "requires_grad=True" in repr(Tensor([1.0], requires_grad=True))
    with pytest.raises(ValueError, match="one-element"):
        Tensor([1.0, 2.0]).item()


def test_in_place_operators_update_the_tensor_itself():
    """As PyTorch: `p -= lr * grad` under no_grad() changes p's own array (the manual SGD
    step of PyTorch's autograd tutorial), seen through every alias; Python's fallback to
    `p = p - ...` would only rebind the loop variable and leave the model untouched."""
    p = Tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()  # grad 2p = [2, 4]
    alias, shared = p, p.detach()
    with tg.no_grad():
        for q in [p]:
            q -= 0.25 * Tensor(q.grad)
    assert alias is p and p.requires_grad and p.is_leaf
    np.testing.assert_array_equal(p.numpy(), [0.5, 1.0])  # 1 - 0.5, 2 - 1
    np.testing.assert_array_equal(shared.numpy(), [0.5, 1.0])
    x = Tensor([[1.0, 4.0], [9.0, 16.0]])
    row = x[1]
    row += 1.0
    x **= 0.5
    x *= Tensor([2.0, 1.0])  # the other operand may broadcast
    x /= 2
    np.testing.assert_allclose(x.numpy(), [[1.0, 1.0], [np.sqrt(10.0), np.sqrt(17.0) / 2]])
    # where the result needs a gradient (a running loss total, a non-leaf), x is rebound to
    # the recorded result instead: values and gradients are still PyTorch's
    w = Tensor([1.0, 2.0], requires_grad=True)
    total = Tensor(0.0)
    for k in (1.0, 3.0):
        total += (w * k).sum()
    h = w * 1.0
    h *= w  # w^2
    (total + h.sum()).backward()
    np.testing.assert_array_equal(w.grad, [4.0 + 2.0, 4.0 + 4.0])  # (1 + 3) + 2w


def test_in_place_operators_refuse_what_pytorch_refuses_and_change_nothing():
    leaf = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        leaf += 1.0
    np.testing.assert_array_equal(leaf.numpy(), [1.0, 2.0])
    i = Tensor([1, 2])
    with pytest.raises(TypeError, match="float32 cannot be stored in place in a int64"):
        i /= 2
    small = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(2, 2\) but the tensor has shape \(2,\)"):
        small += Tensor([[1.0, 1.0], [1.0, 1.0]])
    np.testing.assert_array_equal(i.numpy(), [1, 2])
    np.testing.assert_array_equal(small.numpy(), [1.0, 2.0])


@pytest.mark.parametrize(
    "change",
    [lambda a: a.zero_(), lambda a: a.fill_(2.0), lambda a: a.__iadd__(1.0),
     lambda a: a.__setitem__(0, 5.0), lambda a: a.copy_(np.ones(3)), lambda a: a.mul_(2.0)],
    ids=["zero_", "fill_", "+=", "setitem", "copy_", "mul_"],
)
def test_an_input_changed_in_place_after_use_refuses_backward(change):
    """d(sum(w * a))/dw is a as it was when the product ran; after a changes in place the
    saved array holds the new values, so backward must refuse (as PyTorch) rather than
    return them."""
    w = Tensor(np.ones(3), requires_grad=True)
    a = Tensor(np.arange(3.0))
    out = (w * a).sum()
    change(a)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()
    assert w.grad is None
    # changed before the forward pass: a new graph, which backpropagates with the new values
    out = (w * a).sum()
    out.backward()
    np.testing.assert_array_equal(w.grad, a.data)


def test_updating_parameters_in_place_between_steps_is_allowed():
    w = Tensor(np.ones(2), requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with tg.no_grad():
            w -= 0.25 * Tensor(w.grad)
        w.grad = None
    np.testing.assert_allclose(w.data, 0.5**3)  # w <- w - 0.25 * 2w = w / 2, three times


def test_slices_add_their_gradients_into_one_buffer():
    # every row of x used through its own slice, plus the whole of x, a split and a mask
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((6, 3)), requires_grad=True)
    weights = rng.standard_normal(6)
    loss = sum(x[t].sum() * float(weights[t]) for t in range(6))
    loss = loss + (x * x).sum() + x.split(2)[1].sum() * 5.0 + x[x.data > 0].sum()
    loss.backward()
    expected = weights[:, None] + 2 * x.data + (x.data > 0)
    expected[2:4] += 5.0
    np.testing.assert_allclose(x.grad, expected)


def test_a_slice_gradient_never_changes_an_array_the_engine_does_not_own():
    # y's gradient reaches x unchanged (the very array given to backward); the slice's
    # contribution must go into a copy, not into that array
    x = Tensor(np.zeros((3, 2)), requires_grad=True)
    seed = np.ones((3, 2))
    y = x * 1.0 + 0.0
    z = y + x[1:2].expand(3, 2)
    z.backward(seed)
    np.testing.assert_array_equal(seed, np.ones((3, 2)))
    np.testing.assert_allclose(x.grad, [[1, 1], [4, 4], [1, 1]])


def test_slice_backward_hands_the_engine_its_slice_not_a_padded_copy():
    # the cost model of a loop over x[t]: each backward is O(slice); a zero array of x's
    # shape per slice made an RNN's backward O(L^2) in its time steps
    from tinygrad_opt.tensor import SlicedGrad

    x = Tensor(np.ones((400, 1000)), requires_grad=True)
    for piece in (x[7], x[:, 3:5], x.split(100)[2], x.chunk(4, dim=1)[1], x[x.data > 0]):
        g = np.ones(piece.shape)
        (part,) = piece._backward(g)
        assert isinstance(part, SlicedGrad) and part.value is g


def test_sliced_gradients_with_steps_reversals_new_axes_and_a_wider_dtype():
    # each index selects every element at most once, so the summed gradient is a plain
    # np.add.at of the pieces; a float64 op's gradient lands in the float32 parent's dtype
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 4)).astype(np.float32)
    x = Tensor(a, requires_grad=True)
    indices = [(slice(None, None, -1),), (slice(1, None, 2), -1), (None, Ellipsis, slice(3, 0, -2)),
               (a > 0,), (), (2,)]
    weights = [rng.standard_normal(np.shape(a[i])) for i in indices]
    loss = sum(((x[i].double() if k % 2 else x[i]) * Tensor(w)).sum()
               for k, (i, w) in enumerate(zip(indices, weights)))
    loss.backward()
    expected = np.zeros((5, 4))
    for i, w in zip(indices, weights):
        np.add.at(expected, i, w)
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, expected, rtol=1e-5)
