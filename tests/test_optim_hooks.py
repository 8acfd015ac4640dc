"""Optimizer hooks (torch.optim's): step, state_dict and load_state_dict, per optimizer and
global; order, arguments, prepend, removal, replaced arguments and replaced state dicts."""

import copy
import inspect

import numpy as np
import pytest

from tinygrad_opt import Tensor, optim
from tinygrad_opt.nn import functional as F
from tinygrad_opt.optim import LBFGS, SGD, AdamW, Optimizer, hooks
from tinygrad_opt.optim import optimizer as optimizer_module


def sgd_with_grad(lr=0.1, momentum=0.0):
    p = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    p.grad = np.array([0.5, 0.25, -1.0])
    return p, SGD([p], lr=lr, momentum=momentum)


def test_step_hooks_run_in_order_with_the_step_arguments():
    p, opt = sgd_with_grad()
    before = p.data.copy()
    calls = []

    def recorder(name):
        def hook(optimizer, args, kwargs):
            calls.append((name, optimizer, args, dict(kwargs), p.data.copy()))

        return hook

    opt.register_step_pre_hook(recorder("pre1"))
    opt.register_step_pre_hook(recorder("pre2"))
    opt.register_step_post_hook(recorder("post1"))
    opt.register_step_post_hook(recorder("post2"))
    g_pre = optimizer_module.register_optimizer_step_pre_hook(recorder("global_pre"))
    g_post = optimizer_module.register_optimizer_step_post_hook(recorder("global_post"))
    try:
        assert opt.step(closure=None) is None
    finally:
        g_pre.remove()
        g_post.remove()
    # as PyTorch: global pre-hooks first, global post-hooks last
    names = [c[0] for c in calls]
    assert names == ["global_pre", "pre1", "pre2", "post1", "post2", "global_post"]
    for _, optimizer, args, kwargs, _ in calls:
        assert optimizer is opt
        assert args == (opt,)  # args start with the optimizer itself, as PyTorch's
        assert kwargs == {"closure": None}
    after = before - 0.1 * np.array([0.5, 0.25, -1.0])
    for name, *_, seen in calls:
        np.testing.assert_allclose(seen, before if "pre" in name else after, rtol=0, atol=1e-15)
    np.testing.assert_allclose(p.data, after, rtol=0, atol=1e-15)


def test_positional_step_arguments_reach_the_hooks():
    _, opt = sgd_with_grad()
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append((args, kwargs)))
    opt.step(None)
    assert seen == [((opt, None), {})]


def test_pre_hook_can_replace_the_arguments():
    p, opt = sgd_with_grad()
    before = p.data.copy()

    def closure():
        p.grad = np.array([2.0, 2.0, 2.0])
        return 42.0

    posts = []
    opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": closure}))
    opt.register_step_post_hook(lambda o, args, kwargs: posts.append(kwargs))
    assert opt.step() == 42.0
    np.testing.assert_allclose(p.data, before - 0.1 * 2.0, rtol=0, atol=1e-15)
    assert posts == [{"closure": closure}]  # post-hooks get the replaced arguments


def test_pre_hook_returning_something_else_raises_and_skips_the_step():
    p, opt = sgd_with_grad()
    before = p.data.copy()
    posts = []
    opt.register_step_pre_hook(lambda o, args, kwargs: 5)
    opt.register_step_post_hook(lambda o, args, kwargs: posts.append(1))
    with pytest.raises(RuntimeError, match="must return None or a tuple of"):
        opt.step()
    np.testing.assert_array_equal(p.data, before)
    assert posts == []


def test_removed_hooks_are_not_called():
    p, opt = sgd_with_grad()
    calls = []
    first = opt.register_step_pre_hook(lambda o, a, k: calls.append("first"))
    opt.register_step_pre_hook(lambda o, a, k: calls.append("second"))
    with opt.register_step_post_hook(lambda o, a, k: calls.append("post")):
        opt.step()
    first.remove()
    first.remove()  # a second remove is harmless, as torch's handle
    opt.step()
    assert calls == ["first", "second", "post", "second"]


def test_a_hook_may_remove_itself_during_the_step():
    _, opt = sgd_with_grad()
    calls = []
    handles = []

    def once(o, a, k):
        calls.append("once")
        handles[0].remove()

    handles.append(opt.register_step_pre_hook(once))
    opt.register_step_pre_hook(lambda o, a, k: calls.append("always"))
    opt.step()
    opt.step()
    assert calls == ["once", "always", "always"]


def test_global_hooks_see_every_optimizer_until_removed():
    _, a = sgd_with_grad()
    q = Tensor(np.zeros(2), requires_grad=True)
    q.grad = np.ones(2)
    b = AdamW([q], lr=0.01)
    seen = []
    handle = optimizer_module.register_optimizer_step_post_hook(
        lambda o, args, kwargs: seen.append(type(o).__name__)
    )
    try:
        a.step()
        b.step()
    finally:
        handle.remove()
    a.step()
    assert seen == ["SGD", "AdamW"]


def test_a_failing_step_runs_no_post_hook_and_the_next_step_runs_hooks_again():
    _, opt = sgd_with_grad()
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))

    def failing_closure():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        opt.step(failing_closure)
    opt.step()
    assert calls == ["pre", "pre", "post"]


def test_a_copy_made_inside_a_hook_runs_its_own_hooks():
    # a snapshot taken in a hook (a deep copy) is a fresh optimizer: it must not carry the
    # "step / state_dict in progress" marks that make nested calls skip the hooks
    p, opt = sgd_with_grad()
    snapshots = []

    def snapshot_of_opt(o, *_):  # the copies carry this hook too: they must not snapshot
        if o is opt:
            snapshots.append(copy.deepcopy(o))

    opt.register_step_post_hook(snapshot_of_opt)
    opt.register_state_dict_post_hook(snapshot_of_opt)
    opt.step()
    opt.state_dict()
    assert len(snapshots) == 2
    for snapshot in snapshots:
        calls = []
        snapshot.register_step_pre_hook(lambda o, args, kwargs, calls=calls: calls.append("pre"))
        snapshot.register_state_dict_pre_hook(lambda o, calls=calls: calls.append("state_dict"))
        snapshot.step()
        snapshot.state_dict()
        assert calls == ["pre", "state_dict"]
    assert opt._hooks_running == set()


def test_lbfgs_runs_the_hooks_once_per_step_with_its_closure():
    # minimise 0.5 (x - c)' A (x - c): L-BFGS lands on x = c within one step (max_iter=20)
    rng = np.random.default_rng(0)
    m = rng.standard_normal((3, 3))
    a = m @ m.T + 3 * np.eye(3)
    c = np.array([1.0, -1.0, 0.5])
    x = Tensor(np.zeros(3), requires_grad=True)
    opt = LBFGS([x], lr=1, line_search_fn="strong_wolfe")
    evaluations = []
    calls = []

    def closure():
        opt.zero_grad()
        d = x - Tensor(c)
        loss = 0.5 * (d @ Tensor(a) @ d)
        loss.backward()
        evaluations.append(1)
        return loss

    opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", args, kwargs)))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", args, kwargs)))
    loss = opt.step(closure)
    assert float(loss.data) == pytest.approx(0.5 * c @ a @ c, rel=1e-12)  # the first loss
    assert len(evaluations) > 1
    assert calls == [("pre", (opt, closure), {}), ("post", (opt, closure), {})]
    np.testing.assert_allclose(x.data, c, atol=1e-5)  # LBFGS stops at tolerance_grad=1e-7


def test_lbfgs_pre_hook_can_supply_the_closure():
    x = Tensor(np.array([2.0]), requires_grad=True)
    opt = LBFGS([x], lr=1, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((x - 5.0) ** 2).sum()
        loss.backward()
        return loss

    opt.register_step_pre_hook(lambda o, args, kwargs: ((o,), {"closure": closure}))
    opt.step()
    np.testing.assert_allclose(x.data, [5.0], atol=1e-9)


def test_a_subclass_step_calling_super_runs_the_hooks_once():
    class Counting(SGD):
        def step(self, closure=None):
            self.count = getattr(self, "count", 0) + 1
            return super().step(closure)

    p = Tensor(np.array([1.0]), requires_grad=True)
    p.grad = np.array([1.0])
    opt = Counting([p], lr=0.5)
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    opt.step()
    assert calls == ["pre", "post"] and opt.count == 1
    np.testing.assert_allclose(p.data, [0.5], rtol=0, atol=1e-15)


def test_wrapping_keeps_names_signatures_and_docstrings():
    for cls in (Optimizer, SGD, LBFGS):
        assert cls.step.__name__ == "step"
        assert "closure" in inspect.signature(cls.step).parameters
    assert "L-BFGS" in LBFGS.step.__doc__ or "closure" in LBFGS.step.__doc__
    assert list(inspect.signature(SGD.load_state_dict).parameters) == ["self", "state_dict"]


# ------------------------------------------------------------------------- state_dict hooks
def test_state_dict_hooks_order_prepend_and_replacement():
    _, opt = sgd_with_grad(momentum=0.9)
    calls = []
    opt.register_state_dict_pre_hook(lambda o: calls.append(("pre_a", o)))
    opt.register_state_dict_pre_hook(lambda o: calls.append(("pre_b", o)), prepend=True)

    def add_key(o, state_dict):
        calls.append(("post_add", list(state_dict)))
        state_dict["note"] = "added in place"

    def replace(o, state_dict):
        calls.append(("post_replace", list(state_dict)))
        return {**state_dict, "replaced": True}

    opt.register_state_dict_post_hook(replace)
    opt.register_state_dict_post_hook(add_key, prepend=True)
    saved = opt.state_dict()
    assert calls == [
        ("pre_b", opt),
        ("pre_a", opt),
        ("post_add", ["state", "param_groups"]),
        ("post_replace", ["state", "param_groups", "note"]),
    ]  # SGD's own state_dict calls the base's: the hooks still run once
    assert saved["note"] == "added in place" and saved["replaced"] is True
    # the post-hooks saw SGD's finished state dict (a buffer not yet started is None)
    assert saved["state"][0]["momentum_buffer"] is None


def test_load_state_dict_hooks_get_a_shallow_copy_and_may_replace_it():
    p, opt = sgd_with_grad(lr=0.1)
    saved = opt.state_dict()
    saved["extra"] = "from a newer version"
    calls = []

    def strip(o, state_dict):
        calls.append(("pre_strip", sorted(state_dict)))
        del state_dict["extra"]  # the copy: the caller's dict keeps it

    def change_lr(o, state_dict):
        calls.append(("pre_lr", sorted(state_dict)))
        groups = [{**g, "lr": 0.25} for g in state_dict["param_groups"]]
        return {"state": state_dict["state"], "param_groups": groups}

    opt.register_load_state_dict_pre_hook(change_lr)
    opt.register_load_state_dict_pre_hook(strip, prepend=True)
    opt.register_load_state_dict_post_hook(
        lambda o: calls.append(("post", o.param_groups[0]["lr"]))
    )
    opt.load_state_dict(saved)
    assert calls == [
        ("pre_strip", ["extra", "param_groups", "state"]),
        ("pre_lr", ["param_groups", "state"]),
        ("post", 0.25),
    ]
    assert "extra" in saved and saved["param_groups"][0]["lr"] == 0.1
    before = p.data.copy()
    opt.step()
    np.testing.assert_allclose(p.data, before - 0.25 * p.grad, rtol=0, atol=1e-15)


@pytest.mark.parametrize("make", ["adamw", "lbfgs"])
def test_load_state_dict_hooks_run_once_through_subclass_overrides(make):
    x = Tensor(np.ones(3), requires_grad=True)
    opt = AdamW([x], lr=0.01) if make == "adamw" else LBFGS([x], lr=0.5)
    calls = []
    opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("pre"))
    opt.register_load_state_dict_post_hook(lambda o: calls.append("post"))
    opt.register_state_dict_post_hook(lambda o, sd: calls.append("saved"))
    opt.load_state_dict(opt.state_dict())
    assert calls == ["saved", "pre", "post"]


def test_hook_registration_checks_its_arguments():
    _, opt = sgd_with_grad()
    registrations = [
        opt.register_step_pre_hook,
        opt.register_step_post_hook,
        opt.register_state_dict_pre_hook,
        opt.register_state_dict_post_hook,
        opt.register_load_state_dict_pre_hook,
        opt.register_load_state_dict_post_hook,
        optimizer_module.register_optimizer_step_pre_hook,
        optimizer_module.register_optimizer_step_post_hook,
    ]
    for register in registrations:
        with pytest.raises(TypeError, match="hook must be callable, got 3"):
            register(3)
    with pytest.raises(TypeError, match="prepend must be a bool"):
        opt.register_state_dict_pre_hook(lambda o: None, prepend="yes")
    tables = ("_optimizer_step_pre_hooks", "_optimizer_state_dict_pre_hooks")
    assert all(not getattr(opt, t) for t in tables)
    assert not hooks._global_optimizer_pre_hooks and not hooks._global_optimizer_post_hooks


def test_every_registered_optimizer_runs_step_hooks():
    for name in optim.available():
        x = Tensor(np.ones((1, 2) if name == "muon" else 2), requires_grad=True)  # 2-D only
        if name == "sparseadam":  # takes only gradients of sparse lookups
            x = Tensor(np.ones((3, 2)), requires_grad=True)
        opt = optim.create(name, [x], lr=0.01)
        calls = []
        opt.register_step_pre_hook(lambda o, a, k, calls=calls: calls.append("pre"))
        opt.register_step_post_hook(lambda o, a, k, calls=calls: calls.append("post"))

        def closure(opt=opt, x=x, name=name):
            opt.zero_grad()
            y = F.embedding(np.array([0, 2]), x, sparse=True) if name == "sparseadam" else x
            loss = (y * y).sum()
            loss.backward()
            return loss

        opt.step(closure)
        assert calls == ["pre", "post"], name
