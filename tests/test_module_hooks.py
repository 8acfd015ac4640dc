"""Module hooks (nn/module_hooks.py): forward pre-hooks, forward hooks, full backward
pre-hooks and full backward hooks, per module and global, checked against closed forms of a
Linear layer (y = x W^T + b, so dL/dx = dL/dy W and dL/dW = dL/dy^T x)."""

import copy
import gc
import pickle
import warnings

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor, nn
from tinygrad_opt.nn import module_hooks
from tinygrad_opt.nn.module import (
    register_module_forward_hook,
    register_module_forward_pre_hook,
    register_module_full_backward_hook,
    register_module_full_backward_pre_hook,
)
from tinygrad_opt.ops.utility import RemovableHandle


@pytest.fixture(autouse=True)
def no_hooks_left():
    # every test must leave the global count where it found it (no leaked hooks)
    gc.collect()  # modules left in reference cycles by earlier test files
    before = module_hooks.COUNT[0]
    yield
    gc.collect()
    assert module_hooks.COUNT[0] == before


def linear(in_features=3, out_features=2, seed=0):
    rng = np.random.default_rng(seed)
    lin = nn.Linear(in_features, out_features).double()
    lin.weight.data[...] = rng.normal(size=(out_features, in_features))
    lin.bias.data[...] = rng.normal(size=out_features)
    return lin


def inputs(shape=(4, 3), seed=1, requires_grad=True):
    return Tensor(np.random.default_rng(seed).normal(size=shape), requires_grad=requires_grad)


def test_forward_hooks_call_order_arguments_and_prepend():
    lin, x, log = linear(), inputs(), []
    lin.register_forward_pre_hook(lambda m, a: log.append(("pre", m, a)))
    lin.register_forward_pre_hook(lambda m, a: log.append(("pre0", m, a)), prepend=True)
    lin.register_forward_hook(lambda m, a, o: log.append(("hook", m, a, o)))
    lin.register_forward_hook(lambda m, a, o: log.append(("hook0", m, a, o)), prepend=True)
    out = lin(x)
    assert [entry[0] for entry in log] == ["pre0", "pre", "hook0", "hook"]
    assert all(entry[1] is lin and entry[2] == (x,) for entry in log)
    assert log[2][3] is out and log[3][3] is out
    np.testing.assert_allclose(out.data, x.data @ lin.weight.data.T + lin.bias.data)


def test_pre_hook_replaces_args_tuple_or_single_value():
    lin, x = linear(), inputs()
    seen = []
    handle = lin.register_forward_pre_hook(lambda m, a: a[0] * 3)  # a single value
    lin.register_forward_hook(lambda m, a, o: seen.append(a))
    out = lin(x)
    np.testing.assert_allclose(out.data, 3 * x.data @ lin.weight.data.T + lin.bias.data)
    # the forward hook sees the replaced args, as a tuple
    assert isinstance(seen[0], tuple) and len(seen[0]) == 1
    np.testing.assert_allclose(seen[0][0].data, 3 * x.data)
    handle.remove()
    lin.register_forward_pre_hook(lambda m, a: (a[0] + 1,))
    np.testing.assert_allclose(lin(x).data, (x.data + 1) @ lin.weight.data.T + lin.bias.data)


def test_with_kwargs_hooks_and_bad_pre_hook_result():
    class Scale(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    m, x, log = Scale(), inputs(), []
    m.register_forward_pre_hook(lambda mod, a, k: (a, {"scale": k["scale"] * 2}),
                                with_kwargs=True)
    m.register_forward_hook(lambda mod, a, k, o: log.append(dict(k)), with_kwargs=True)
    np.testing.assert_allclose(m(x, scale=3.0).data, 6.0 * x.data)
    assert log == [{"scale": 6.0}]
    bad = Scale()
    bad.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"\(new_args, new_kwargs\)"):
        bad(x, scale=1.0)


def test_output_hook_doubles_output_and_gradients():
    lin, x = linear(), inputs()
    lin.register_forward_hook(lambda m, a, o: o * 2)
    out = lin(x)
    np.testing.assert_allclose(out.data, 2 * (x.data @ lin.weight.data.T + lin.bias.data))
    out.sum().backward()
    ones = np.ones((4, 2))
    # analytic: L = sum(2 (x W^T + b)) => dL/dx = 2 * 1 W, dL/dW = 2 * 1^T x, dL/db = 2 * 4
    np.testing.assert_allclose(x.grad, 2 * ones @ lin.weight.data)
    np.testing.assert_allclose(lin.weight.grad, 2 * ones.T @ x.data)
    np.testing.assert_allclose(lin.bias.grad, np.full(2, 8.0))


def test_remove_and_context_manager_restore_plain_calls():
    lin, x = linear(), inputs()
    handle = lin.register_forward_hook(lambda m, a, o: o * 0)
    assert isinstance(handle, RemovableHandle)
    assert np.all(lin(x).data == 0)
    handle.remove()
    handle.remove()  # a second remove is harmless
    np.testing.assert_allclose(lin(x).data, x.data @ lin.weight.data.T + lin.bias.data)
    with lin.register_forward_pre_hook(lambda m, a: (a[0] * 0,)):
        np.testing.assert_allclose(lin(x).data, np.broadcast_to(lin.bias.data, (4, 2)))
    np.testing.assert_allclose(lin(x).data, x.data @ lin.weight.data.T + lin.bias.data)
    assert not any(getattr(lin, name) for name in module_hooks.TABLES)


def test_a_hook_removing_itself_while_running():
    lin, x, calls = linear(), inputs(), []

    def once(m, a, o):
        calls.append(1)
        handle.remove()

    handle = lin.register_forward_hook(once)
    lin(x)
    lin(x)
    assert calls == [1]


def test_always_call_runs_when_forward_raises():
    class Broken(nn.Module):
        def forward(self, x):
            raise ValueError("broken forward")

    m, log = Broken(), []
    m.register_forward_hook(lambda mod, a, o: log.append(("always", o)), always_call=True)
    m.register_forward_hook(lambda mod, a, o: log.append(("normal", o)))
    with pytest.raises(ValueError, match="broken forward"):
        m(1.0)
    assert log == [("always", None)]


def test_always_call_runs_when_a_pre_hook_raises():
    # as torch: the pre-hooks run inside the call's try, so always_call hooks see the error
    lin, x, log = linear(), inputs(), []

    def failing_pre_hook(mod, args):
        raise KeyError("pre-hook")

    lin.register_forward_pre_hook(failing_pre_hook)
    lin.register_forward_hook(lambda mod, a, o: log.append(("always", a, o)), always_call=True)
    lin.register_forward_hook(lambda mod, a, o: log.append(("normal", o)))
    with pytest.raises(KeyError, match="pre-hook"):
        lin(x)
    assert log == [("always", (x,), None)]


def test_non_callable_hook_and_bad_flags_raise_and_change_nothing():
    lin, x = linear(), inputs()
    before = {name: dict(getattr(lin, name)) for name in module_hooks.TABLES}
    count = module_hooks.COUNT[0]
    with pytest.raises(TypeError, match="hook must be callable"):
        lin.register_forward_hook(3)
    with pytest.raises(TypeError, match="hook must be callable"):
        lin.register_full_backward_hook("not a function")
    with pytest.raises(TypeError, match="hook must be callable"):
        register_module_forward_pre_hook(None)
    with pytest.raises(TypeError, match="prepend must be a bool"):
        lin.register_forward_pre_hook(lambda m, a: None, prepend=1)
    assert {name: dict(getattr(lin, name)) for name in module_hooks.TABLES} == before
    assert module_hooks.COUNT[0] == count
    np.testing.assert_allclose(lin(x).data, x.data @ lin.weight.data.T + lin.bias.data)


# ------------------------------------------------------------------------ backward hooks
def test_backward_hooks_see_analytic_grad_output_and_grad_input():
    lin, x, log = linear(), inputs(), []
    lin.register_full_backward_pre_hook(lambda m, go: log.append(("pre", m, go)))
    lin.register_full_backward_hook(lambda m, gi, go: log.append(("hook", m, gi, go)))
    seed = np.random.default_rng(2).normal(size=(4, 2))
    lin(x).backward(seed)
    assert [entry[0] for entry in log] == ["pre", "hook"]
    (_, m, grad_output), (_, m2, grad_input, grad_output2) = log
    assert m is lin and m2 is lin and len(grad_output) == 1 and len(grad_input) == 1
    np.testing.assert_allclose(grad_output[0].data, seed)
    np.testing.assert_allclose(grad_output2[0].data, seed)
    np.testing.assert_allclose(grad_input[0].data, seed @ lin.weight.data)  # dL/dx = g W
    np.testing.assert_allclose(x.grad, seed @ lin.weight.data)
    np.testing.assert_allclose(lin.weight.grad, seed.T @ x.data)


def test_backward_hook_replaces_grad_input():
    lin, x = linear(), inputs()
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * -0.5,))
    seed = np.ones((4, 2))
    lin(x).backward(seed)
    np.testing.assert_allclose(x.grad, -0.5 * seed @ lin.weight.data)
    # the parameters' gradients are computed inside the module: unchanged
    np.testing.assert_allclose(lin.weight.grad, seed.T @ x.data)


def test_backward_pre_hook_replaces_grad_output_for_everything_inside():
    lin, x, seen = linear(), inputs(), []
    lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
    lin.register_full_backward_hook(lambda m, gi, go: seen.append(go[0].data.copy()))
    seed = np.ones((4, 2))
    lin(x).backward(seed)
    np.testing.assert_allclose(seen[0], 3 * seed)  # the full hook sees the replacement
    np.testing.assert_allclose(x.grad, 3 * seed @ lin.weight.data)
    np.testing.assert_allclose(lin.weight.grad, 3 * seed.T @ x.data)
    np.testing.assert_allclose(lin.bias.grad, 3 * seed.sum(0))


def test_grad_input_is_none_when_no_input_requires_grad():
    lin, x, log = linear(), inputs(requires_grad=False), []
    lin.register_full_backward_hook(lambda m, gi, go: log.append((gi, go[0].data.copy())))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lin(x).sum().backward()
    assert log[0][0] == (None,)
    np.testing.assert_allclose(log[0][1], np.ones((4, 2)))
    assert any("no inputs require gradients" in str(w.message) for w in caught)
    np.testing.assert_allclose(lin.weight.grad, np.ones((2, 4)) @ x.data)


def test_several_inputs_and_outputs():
    class Pair(nn.Module):
        def forward(self, a, b, c=None):
            return a * 2, b * 3, 5

    m, log = Pair(), []
    m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", go)))
    m.register_full_backward_hook(lambda mod, gi, go: log.append(("hook", gi, go)))
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(2))  # needs no grad
    out = m(a, b, 7)
    assert isinstance(out, tuple) and out[2] == 5
    out[0].sum().backward()
    (_, go), (_, gi, go2) = log
    # outputs: the unused one and the non-Tensor get None; inputs (torch): a Tensor that
    # needs no grad gets zeros once another input requires grad, a non-Tensor None
    assert go[1] is None and go[2] is None and go2[1] is None
    np.testing.assert_allclose(go[0].data, np.ones(2))
    np.testing.assert_allclose(gi[0].data, np.full(2, 2.0))
    np.testing.assert_allclose(gi[1].data, np.zeros(2))
    assert gi[2] is None
    np.testing.assert_allclose(a.grad, np.full(2, 2.0))


def test_same_tensor_at_two_positions_gets_one_gradient_each():
    class Product(nn.Module):
        def forward(self, a, b):
            return a * b

    m, log = Product(), []
    m.register_full_backward_hook(lambda mod, gi, go: log.append(gi))
    a = Tensor(np.full(2, 3.0), requires_grad=True)
    m(a, a).sum().backward()
    np.testing.assert_allclose(log[0][0].data, np.full(2, 3.0))  # d(ab)/da = b
    np.testing.assert_allclose(log[0][1].data, np.full(2, 3.0))
    np.testing.assert_allclose(a.grad, np.full(2, 6.0))


def test_backward_hooks_need_a_graph_and_bad_returns_raise():
    lin, x, log = linear(), inputs(), []
    lin.register_full_backward_hook(lambda m, gi, go: log.append(gi))
    with tg.no_grad():
        lin(x)
    assert log == []
    wrong = linear()
    wrong.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2"):
        wrong(inputs()).sum().backward()
    shape = linear()
    shape.register_full_backward_pre_hook(lambda m, go: (go[0][:, :1],))
    with pytest.raises(RuntimeError, match="must keep the shape"):
        shape(inputs()).sum().backward()


def test_backward_hooks_twice_with_retained_graph():
    lin, x, log = linear(), inputs(), []
    lin.register_full_backward_hook(lambda m, gi, go: log.append(gi[0].data.copy()))
    out = lin(x).sum()
    out.backward(retain_graph=True)
    out.backward()
    expected = np.ones((4, 2)) @ lin.weight.data
    assert len(log) == 2
    np.testing.assert_allclose(log[1], expected)
    np.testing.assert_allclose(x.grad, 2 * expected)


# ------------------------------------------------------------------------ Sequential
def test_hooks_on_children_of_sequential_and_the_fused_relu_path():
    model = nn.Sequential(linear(3, 4), nn.ReLU(), linear(4, 2, seed=3)).double()
    x, seen = inputs(), {}
    reference = model(x).data.copy()  # the fused Linear + ReLU, without hooks
    handles = [
        model[0].register_forward_hook(lambda m, a, o: seen.update(linear=o.data)),
        model[1].register_forward_hook(lambda m, a, o: seen.update(relu=o.data)),
    ]
    out = model(x)
    w0, b0 = model[0].weight.data, model[0].bias.data
    np.testing.assert_allclose(seen["linear"], x.data @ w0.T + b0)
    np.testing.assert_allclose(seen["relu"], np.maximum(x.data @ w0.T + b0, 0))
    np.testing.assert_allclose(out.data, reference)
    for handle in handles:
        handle.remove()
    # a hook on the ReLU alone also stops the fusion; the doubled ReLU output doubles y
    with model[1].register_forward_hook(lambda m, a, o: o * 2):
        doubled = model(x).data
    w2, b2 = model[2].weight.data, model[2].bias.data
    np.testing.assert_allclose(doubled, 2 * np.maximum(x.data @ w0.T + b0, 0) @ w2.T + b2)


def test_backward_hook_inside_sequential_with_fusable_neighbour():
    model = nn.Sequential(linear(3, 4), nn.ReLU()).double()
    x, log = inputs(), []
    model[0].register_full_backward_hook(lambda m, gi, go: log.append((gi[0].data, go[0].data)))
    seed = np.random.default_rng(5).normal(size=(4, 4))
    model(x).backward(seed)
    w0, b0 = model[0].weight.data, model[0].bias.data
    mask = (x.data @ w0.T + b0) > 0
    np.testing.assert_allclose(log[0][1], seed * mask)  # grad_output of the Linear
    np.testing.assert_allclose(log[0][0], (seed * mask) @ w0)
    np.testing.assert_allclose(x.grad, (seed * mask) @ w0)


def test_feature_extraction_example():
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3)
    )
    features = {}
    handles = [
        module.register_forward_hook(lambda m, a, o, name=name: features.__setitem__(name, o))
        for name, module in model.named_children()
    ]
    x = Tensor(np.random.default_rng(0).normal(size=(2, 1, 4, 4)).astype(np.float32))
    out = model(x)
    assert list(features) == ["0", "1", "2", "3"]
    np.testing.assert_allclose(features["1"].data, np.maximum(features["0"].data, 0))
    np.testing.assert_allclose(features["2"].data, features["1"].data.reshape(2, -1))
    assert features["3"] is out
    for handle in handles:
        handle.remove()


# ------------------------------------------------------------------------ global hooks
def test_global_hooks_run_first_on_every_module():
    lin, x, log = linear(), inputs(), []
    handles = [
        register_module_forward_pre_hook(lambda m, a: log.append("gpre")),
        register_module_forward_hook(lambda m, a, o: log.append("ghook")),
        register_module_full_backward_pre_hook(lambda m, go: log.append("gbpre")),
        register_module_full_backward_hook(lambda m, gi, go: log.append("gbhook")),
        lin.register_forward_pre_hook(lambda m, a: log.append("pre")),
        lin.register_forward_hook(lambda m, a, o: log.append("hook")),
        lin.register_full_backward_pre_hook(lambda m, go: log.append("bpre")),
        lin.register_full_backward_hook(lambda m, gi, go: log.append("bhook")),
    ]
    lin(x).sum().backward()
    assert log == ["gpre", "pre", "ghook", "hook", "gbpre", "bpre", "gbhook", "bhook"]
    for handle in handles:
        handle.remove()
    log.clear()
    lin(x).sum().backward()
    assert log == []


def test_global_forward_hook_replaces_every_output():
    model = nn.Sequential(linear(3, 2), nn.Tanh())
    x = inputs()
    with register_module_forward_hook(
        lambda m, a, o: o * 2 if isinstance(m, nn.Linear) else None
    ):
        out = model(x).data
    w, b = model[0].weight.data, model[0].bias.data
    np.testing.assert_allclose(out, np.tanh(2 * (x.data @ w.T + b)))
    np.testing.assert_allclose(model(x).data, np.tanh(x.data @ w.T + b))


# ------------------------------------------------------------------------ the counter
def test_counter_follows_copies_and_dead_modules():
    count = module_hooks.COUNT[0]
    lin, x, calls = linear(), inputs(), []
    handle = lin.register_forward_hook(lambda m, a, o: calls.append(id(m)))
    assert module_hooks.COUNT[0] == count + 1
    clone = copy.deepcopy(lin)
    assert module_hooks.COUNT[0] == count + 2
    handle.remove()
    assert module_hooks.COUNT[0] == count + 1  # the copy keeps its hook, as torch
    clone(x)
    assert calls == [id(clone)]
    del clone
    gc.collect()
    assert module_hooks.COUNT[0] == count
    dying = linear()
    dying.register_forward_hook(lambda m, a, o: None)
    del dying
    gc.collect()
    assert module_hooks.COUNT[0] == count


def test_copied_handles_act_on_the_copy_and_keep_the_count():
    count = module_hooks.COUNT[0]
    calls = []

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = linear()
            self.own = self.lin.register_forward_hook(lambda m, a, o: calls.append(id(m)))
            self.all = register_module_forward_hook(lambda m, a, o: calls.append("global"))

    model = Holder()
    clone = copy.deepcopy(model)
    assert module_hooks.COUNT[0] == count + 3  # the global hook, the Linear and its copy
    # a copied global handle holds a copy of the table (as torch): the real hook stays,
    # and so does its count
    clone.all.remove()
    assert module_hooks.COUNT[0] == count + 3
    # the copied module handle removes the copy's hook and stops counting the copy
    clone.own.remove()
    assert module_hooks.COUNT[0] == count + 2
    assert not module_hooks.has_own_hooks(clone.lin)
    x = inputs()
    clone.lin(x)
    model.lin(x)
    assert calls == ["global", "global", id(model.lin)]
    model.all.remove()
    model.all.remove()  # twice: still one decrement
    model.own.remove()
    assert module_hooks.COUNT[0] == count
    calls.clear()
    model.lin(x)
    assert calls == []
    # weight_norm keeps its handle in the module: undone on a copy, the copy is a plain
    # Linear again (fused with its ReLU, not counted) while the original keeps its hook
    seq = nn.Sequential(linear(), nn.ReLU())
    nn.utils.weight_norm(seq[0])
    seq_copy = copy.deepcopy(seq)
    assert module_hooks.COUNT[0] == count + 2
    nn.utils.remove_weight_norm(seq_copy[0])
    assert module_hooks.COUNT[0] == count + 1
    assert seq_copy[0]._takes_relu(seq_copy[1]) and not seq[0]._takes_relu(seq[1])
    w, b = seq_copy[0].weight.data, seq_copy[0].bias.data
    np.testing.assert_allclose(seq_copy(x).data, np.maximum(x.data @ w.T + b, 0))
    nn.utils.remove_weight_norm(seq[0])
    assert module_hooks.COUNT[0] == count


def _double_output(module, args, output):
    return output * 2


def test_pickled_module_keeps_its_hooks_and_its_handle():
    count = module_hooks.COUNT[0]
    lin, x = linear(), inputs()
    lin.handle = lin.register_forward_hook(_double_output)
    clone = pickle.loads(pickle.dumps(lin))
    assert module_hooks.COUNT[0] == count + 2
    expected = x.data @ lin.weight.data.T + lin.bias.data
    np.testing.assert_allclose(clone(x).data, 2 * expected)
    clone.handle.remove()  # acts on the copy only
    assert module_hooks.COUNT[0] == count + 1
    np.testing.assert_allclose(clone(x).data, expected)
    np.testing.assert_allclose(lin(x).data, 2 * expected)
    lin.handle.remove()
    assert module_hooks.COUNT[0] == count


def test_state_dict_unchanged_by_hooks():
    lin = linear()
    keys = list(lin.state_dict())
    with lin.register_forward_hook(lambda m, a, o: None):
        assert list(lin.state_dict()) == keys == ["weight", "bias"]


def test_fusion_kept_unless_one_of_the_pair_or_a_global_hook_has_hooks():
    lin, relu, elsewhere = nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2)
    assert lin._takes_relu(relu)
    with elsewhere.register_forward_hook(lambda m, a, o: None):
        assert lin._takes_relu(relu)  # a hook on another module keeps the fused path
        with relu.register_forward_pre_hook(lambda m, a: None):
            assert not lin._takes_relu(relu)
        with lin.register_full_backward_hook(lambda m, gi, go: None):
            assert not lin._takes_relu(relu)
        with register_module_full_backward_pre_hook(lambda m, go: None):
            assert not lin._takes_relu(relu)
        assert lin._takes_relu(relu)
