"""Resuming mid-schedule: state_dict -> fresh optimizer + scheduler -> load continues with
exactly (bit for bit) the lrs and momenta of the uninterrupted run, for every scheduler,
SequentialLR and chained ones included, at several resume points."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_opt
from tinygrad_opt import Tensor
from tinygrad_opt.optim import SGD, Adam
from tinygrad_opt.optim import lr_scheduler as S

STEPS = 100
RESUME_AT = (0, 1, 9, 10, 33, 64, 98)


def make_sgd():
    groups = [
        {"params": [Tensor(np.zeros(3), requires_grad=True)], "lr": 0.1},
        {"params": [Tensor(np.zeros(2), requires_grad=True)], "lr": 0.03},
    ]
    return SGD(groups, lr=0.1, momentum=0.9)


def make_adam():
    groups = [
        {"params": [Tensor(np.zeros(3), requires_grad=True)], "lr": 1e-3},
        {"params": [Tensor(np.zeros(2), requires_grad=True)], "lr": 3e-4},
    ]
    return Adam(groups, lr=1e-3, betas=(0.9, 0.99))


class Halving:
    """A callable object: its attributes travel in LambdaLR's state dict."""

    def __init__(self, every):
        self.every = every

    def __call__(self, step):
        return 0.5 ** (step // self.every)


def _chained_by_hand(o):
    first = S.MultiStepLR(o, milestones=[20, 45], gamma=0.3)
    second = S.CosineAnnealingLR(o, T_max=25, eta_min=1e-4)
    return [first, second]  # stepped and saved in this order


def _sequential(o):
    parts = [
        S.LinearLR(o, start_factor=0.1, total_iters=10),
        S.CosineAnnealingLR(o, T_max=30),
        S.ExponentialLR(o, gamma=0.95),
    ]
    return S.SequentialLR(o, parts, milestones=[10, 45])


def _chained(o):
    return S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.5, total_iters=15), S.CosineAnnealingLR(o, T_max=40),
         S.StepLR(o, step_size=12, gamma=0.7)]
    )  # fmt: skip


def _sequential_of_chained_parts(o):
    # a warmup, then a ChainedScheduler-free multiplicative phase (MultiplicativeLR)
    return S.SequentialLR(
        o, [S.LinearLR(o, 0.2, total_iters=5), S.MultiplicativeLR(o, lambda t: 0.97)], [20]
    )


FACTORIES = {
    "StepLR": (make_sgd, lambda o: S.StepLR(o, step_size=7, gamma=0.5)),
    "MultiStepLR": (make_sgd, lambda o: S.MultiStepLR(o, [10, 33, 33, 70], gamma=0.3)),
    "ConstantLR": (make_sgd, lambda o: S.ConstantLR(o, factor=0.25, total_iters=20)),
    "LinearLR": (make_sgd, lambda o: S.LinearLR(o, 0.05, 0.8, total_iters=50)),
    "ExponentialLR": (make_sgd, lambda o: S.ExponentialLR(o, gamma=0.93)),
    "PolynomialLR": (make_sgd, lambda o: S.PolynomialLR(o, total_iters=70, power=1.7)),
    "CosineAnnealingLR": (make_sgd, lambda o: S.CosineAnnealingLR(o, T_max=37, eta_min=1e-3)),
    "CosineAnnealingWarmRestarts": (
        make_sgd, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=6, T_mult=2, eta_min=1e-4)
    ),
    "LambdaLR function": (make_sgd, lambda o: S.LambdaLR(o, lambda t: 1 / (1 + 0.3 * t))),
    "LambdaLR object": (make_sgd, lambda o: S.LambdaLR(o, [Halving(9), Halving(4)])),
    "MultiplicativeLR": (make_sgd, lambda o: S.MultiplicativeLR(o, lambda t: 0.9 + 0.001 * t)),
    "OneCycleLR sgd": (make_sgd, lambda o: S.OneCycleLR(o, [0.5, 0.2], total_steps=STEPS)),
    "OneCycleLR adam 3-phase": (
        make_adam,
        lambda o: S.OneCycleLR(o, 0.01, total_steps=STEPS, three_phase=True,
                               anneal_strategy="linear"),
    ),  # fmt: skip
    "CyclicLR triangular2": (
        make_sgd, lambda o: S.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=7, mode="triangular2")
    ),
    "CyclicLR exp_range adam": (
        make_adam,
        lambda o: S.CyclicLR(o, 1e-4, 1e-2, step_size_up=5, step_size_down=11,
                             mode="exp_range", gamma=0.98),
    ),  # fmt: skip
    "warmup linear (HF)": (make_sgd, lambda o: S.get_linear_schedule_with_warmup(o, 12, 90)),
    "warmup cosine (HF)": (make_sgd, lambda o: S.get_cosine_schedule_with_warmup(o, 12, 90)),
    "SequentialLR": (make_sgd, _sequential),
    "SequentialLR multiplicative": (make_sgd, _sequential_of_chained_parts),
    "ChainedScheduler": (make_sgd, _chained),
    "two chained by hand": (make_sgd, _chained_by_hand),
    "ReduceLROnPlateau": (
        make_sgd, lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=3, cooldown=2)
    ),
    "ReduceLROnPlateau max abs": (
        make_sgd,
        lambda o: S.ReduceLROnPlateau(o, mode="max", threshold=0.05, threshold_mode="abs",
                                      patience=2, min_lr=[1e-3, 0.0]),
    ),  # fmt: skip
}


def _metric(t):
    """A loss that improves, then plateaus with wiggles: ReduceLROnPlateau acts several times."""
    return 1.0 / (1 + min(t, 12)) + 0.01 * ((7 * t) % 5)


def _as_list(scheduler):
    return scheduler if isinstance(scheduler, list) else [scheduler]


def _step(schedulers, t):
    for s in schedulers:
        if isinstance(s, S.ReduceLROnPlateau):
            s.step(_metric(t))
        else:
            s.step()


def _snapshot(optimizer):
    out = []
    for g in optimizer.param_groups:
        momentum = g["betas"][0] if "betas" in g else g["momentum"]
        out.append((g["lr"], momentum))
    return out


def _run(make_opt, build, start=0, schedulers=None, optimizer=None):
    """Snapshots at steps start..STEPS-1, building fresh objects when none are given."""
    if schedulers is None:
        optimizer = make_opt()
        schedulers = _as_list(build(optimizer))
    trace = [_snapshot(optimizer)]
    for t in range(start + 1, STEPS):
        _step(schedulers, t)
        trace.append(_snapshot(optimizer))
    return trace


def _advance(make_opt, build, k):
    optimizer = make_opt()
    schedulers = _as_list(build(optimizer))
    for t in range(1, k + 1):
        _step(schedulers, t)
    return optimizer, schedulers


@pytest.mark.parametrize("name", list(FACTORIES))
def test_resume_continues_exactly(name, tmp_path):
    make_opt, build = FACTORIES[name]
    reference = _run(make_opt, build)
    for k in RESUME_AT:
        optimizer, schedulers = _advance(make_opt, build, k)
        path = tmp_path / f"sched_{k}.ckpt"
        tinygrad_opt.save([s.state_dict() for s in schedulers], path)

        # fresh optimizer and scheduler, only the scheduler's state loaded (through a file)
        fresh_opt = make_opt()
        fresh = _as_list(build(fresh_opt))
        for s, state in zip(fresh, tinygrad_opt.load(path)):
            s.load_state_dict(state)
        assert _snapshot(fresh_opt) == reference[k], f"lrs right after loading at step {k}"
        got = _run(make_opt, build, start=k, schedulers=fresh, optimizer=fresh_opt)
        assert got == reference[k:], f"resumed at step {k}"


@pytest.mark.parametrize("name", list(FACTORIES))
@pytest.mark.parametrize("optimizer_first", [True, False])
def test_resume_with_optimizer_state_in_either_order(name, optimizer_first):
    make_opt, build = FACTORIES[name]
    reference = _run(make_opt, build)
    for k in (5, 47):
        optimizer, schedulers = _advance(make_opt, build, k)
        opt_state = copy.deepcopy(optimizer.state_dict())
        states = [copy.deepcopy(s.state_dict()) for s in schedulers]

        fresh_opt = make_opt()
        if optimizer_first:
            fresh_opt.load_state_dict(opt_state)
        fresh = _as_list(build(fresh_opt))
        for s, state in zip(fresh, states):
            s.load_state_dict(state)
        if not optimizer_first:
            fresh_opt.load_state_dict(opt_state)
        got = _run(make_opt, build, start=k, schedulers=fresh, optimizer=fresh_opt)
        assert got == reference[k:], f"resumed at step {k}"


@pytest.mark.parametrize("name", list(FACTORIES))
def test_state_dict_is_plain_json_data(name):
    make_opt, build = FACTORIES[name]
    _, schedulers = _advance(make_opt, build, 3)
    for s in schedulers:
        state = s.state_dict()
        # json writes +-inf as Infinity (allow_nan, the default) and reads it back, and
        # inf == inf, so ReduceLROnPlateau (mode_worse = +-inf) is checked too; int keys
        # (json makes them strings) and tuples (lists) fail the comparison.
        assert json.loads(json.dumps(state)) == state
        assert "optimizer" not in state


def test_composite_state_dicts_hold_their_children():
    optimizer = make_sgd()
    scheduler = _sequential(optimizer)
    for _ in range(12):
        scheduler.step()
    state = scheduler.state_dict()
    # steps 0-9 by the warmup; step 10 restarts the cosine at its step 0, so 12 is its 2
    assert [c["last_epoch"] for c in state["_schedulers"]] == [9, 2, -1]
    assert state["last_epoch"] == 12 and state["_milestones"] == [10, 45]
    assert scheduler.get_last_lr() == state["_schedulers"][1]["_last_lr"]


def test_lambda_state_follows_pytorch():
    optimizer = make_sgd()
    plain = S.LambdaLR(optimizer, lambda t: 1.0)
    assert plain.state_dict()["lr_lambdas"] == [None, None]

    halving = [Halving(9), Halving(4)]
    scheduler = S.LambdaLR(make_sgd(), halving)
    halving[1].every = 2  # a changed attribute travels with the state
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"every": 9}, {"every": 2}]
    other = [Halving(100), Halving(100)]
    S.LambdaLR(make_sgd(), other).load_state_dict(state)
    assert [f.every for f in other] == [9, 2]


def test_loading_a_foreign_state_raises_and_changes_nothing():
    optimizer = make_sgd()
    scheduler = S.ExponentialLR(optimizer, gamma=0.9)
    scheduler.step()
    before = (scheduler.state_dict(), [g["lr"] for g in optimizer.param_groups])
    other = S.StepLR(make_sgd(), step_size=3).state_dict()
    with pytest.raises(ValueError, match="does not fit"):
        scheduler.load_state_dict(other)
    with pytest.raises(TypeError, match="expects a dict"):
        scheduler.load_state_dict([1, 2])
    wrong_groups = dict(scheduler.state_dict(), _last_lr=[0.1], base_lrs=[0.1])
    with pytest.raises(ValueError, match="param groups"):
        scheduler.load_state_dict(wrong_groups)
    assert (scheduler.state_dict(), [g["lr"] for g in optimizer.param_groups]) == before


def test_sequential_load_checks_children_before_changing_any():
    optimizer = make_sgd()
    scheduler = _sequential(optimizer)
    for _ in range(15):
        scheduler.step()
    state = scheduler.state_dict()
    broken = copy.deepcopy(state)
    broken["_schedulers"][2] = {"gamma": 0.5}
    fresh_opt = make_sgd()
    fresh = _sequential(fresh_opt)
    before = copy.deepcopy(fresh.state_dict())
    with pytest.raises(ValueError, match="does not fit"):
        fresh.load_state_dict(broken)
    assert fresh.state_dict() == before


def test_multistep_accepts_pytorch_counter_milestones():
    # PyTorch keeps milestones as a Counter {milestone: count}; such a state dict loads
    optimizer = make_sgd()
    scheduler = S.MultiStepLR(optimizer, [10, 33, 33, 70], gamma=0.3)
    for _ in range(40):
        scheduler.step()
    state = scheduler.state_dict()
    state["milestones"] = {10: 1, 33: 2, 70: 1}
    fresh = S.MultiStepLR(make_sgd(), [1], gamma=0.3)
    fresh.load_state_dict(state)
    assert fresh.milestones == [10, 33, 33, 70]
    for _ in range(40):
        scheduler.step()
        fresh.step()
        assert fresh.get_last_lr() == scheduler.get_last_lr()


# ------------------------------------------------- random compositions, random resume points

_KINDS = {
    "step": lambda o, a, b: S.StepLR(o, step_size=1 + a % 9, gamma=0.2 + b * 0.7),
    "exp": lambda o, a, b: S.ExponentialLR(o, gamma=0.8 + b * 0.19),
    "linear": lambda o, a, b: S.LinearLR(o, 0.05 + b * 0.9, 1.0 - b * 0.5, total_iters=1 + a),
    "constant": lambda o, a, b: S.ConstantLR(o, factor=b, total_iters=a),
    "poly": lambda o, a, b: S.PolynomialLR(o, total_iters=1 + a, power=0.5 + 2 * b),
    "cosine": lambda o, a, b: S.CosineAnnealingLR(o, T_max=1 + a, eta_min=1e-4 * b),
    "sgdr": lambda o, a, b: S.CosineAnnealingWarmRestarts(o, T_0=1 + a % 7, T_mult=1 + a % 3),
    "multi": lambda o, a, b: S.MultiStepLR(o, [a, 2 * a + 1, 3 * a + 2], gamma=0.1 + 0.8 * b),
}
_kind = st.tuples(st.sampled_from(sorted(_KINDS)), st.integers(0, 30), st.floats(0.0, 1.0))


@settings(max_examples=40, deadline=None)
@given(
    parts=st.lists(_kind, min_size=1, max_size=3),
    composite=st.sampled_from(["sequential", "chained"]),
    gap=st.integers(1, 25),
    resume_at=st.integers(0, 60),
)
def test_random_composition_resumes_exactly(parts, composite, gap, resume_at):
    def build(o):
        children = [_KINDS[kind](o, a, b) for kind, a, b in parts]
        if composite == "chained":
            return S.ChainedScheduler(children)
        milestones = [gap * (i + 1) for i in range(len(children) - 1)]
        return S.SequentialLR(o, children, milestones)

    steps = 80
    optimizer = make_sgd()
    scheduler = build(optimizer)
    reference = []
    for _ in range(steps):
        scheduler.step()
        reference.append(scheduler.get_last_lr())

    optimizer = make_sgd()
    scheduler = build(optimizer)
    for _ in range(resume_at):
        scheduler.step()
    state = copy.deepcopy(scheduler.state_dict())
    fresh_opt = make_sgd()
    fresh = build(fresh_opt)
    fresh.load_state_dict(state)
    for t in range(resume_at, steps):
        fresh.step()
        # exact equality, NaN equal to NaN: a subnormal ConstantLR factor makes its chained
        # undo 1 / factor overflow, and inf * 0 from the next factor gives NaN in both runs
        lrs = fresh.get_last_lr()
        np.testing.assert_array_equal(lrs, reference[t])
        np.testing.assert_array_equal(lrs, [g["lr"] for g in fresh_opt.param_groups])


def test_load_state_dict_restores_initial_lr_into_the_optimizer():
    # the state's base lrs become the groups' initial_lr, even if the fresh optimizer was
    # built with other lrs, so a scheduler built on it afterwards starts from the saved base
    optimizer = make_sgd()
    scheduler = S.StepLR(optimizer, step_size=3, gamma=0.5)
    for _ in range(7):
        scheduler.step()
    fresh_opt = make_sgd()
    for group in fresh_opt.param_groups:
        group["lr"] = 1.0
    fresh = S.StepLR(fresh_opt, step_size=3, gamma=0.5)
    fresh.load_state_dict(scheduler.state_dict())
    assert [g["initial_lr"] for g in fresh_opt.param_groups] == [0.1, 0.03]
    assert [g["lr"] for g in fresh_opt.param_groups] == pytest.approx([0.025, 0.0075], rel=1e-15)
    later = S.ExponentialLR(fresh_opt, gamma=0.9, last_epoch=7)
    assert later.base_lrs == [0.1, 0.03]


class Decay:
    """A callable-object scale_fn: its attributes travel in CyclicLR's state dict."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, x):
        return self.rate**x


def test_cyclic_scale_fn_state_follows_pytorch():
    plain = S.CyclicLR(make_sgd(), 0.01, 0.1, scale_fn=lambda x: 1.0)
    assert plain.state_dict()["_scale_fn_custom"] is None  # a function is code: not saved

    def build(fn):
        return S.CyclicLR(make_sgd(), 0.01, 0.1, step_size_up=3, scale_fn=fn,
                          scale_mode="iterations")  # fmt: skip

    fn = Decay(0.9)
    scheduler = build(fn)
    fn.rate = 0.8  # a changed attribute travels with the state
    state = scheduler.state_dict()
    assert state["_scale_fn_custom"] == {"rate": 0.8}
    other = Decay(0.5)
    fresh = build(other)
    fresh.load_state_dict(state)
    assert other.rate == 0.8
    fresh.step()  # step 1: a third of the way up, amplitude 0.8 ** 1
    assert fresh.get_last_lr() == pytest.approx([0.01 + 0.09 / 3 * 0.8] * 2, rel=1e-12)


def test_loading_cyclic_state_keeps_the_groups_initial_lr():
    # initial_lr is set by the first scheduler on the optimizer (PyTorch's setdefault);
    # CyclicLR's base_lr is its own floor and loading does not write it over initial_lr
    def build(o):
        parts = [S.StepLR(o, 4, gamma=0.5), S.CyclicLR(o, 0.01, 0.1, step_size_up=5)]
        return S.SequentialLR(o, parts, milestones=[12])

    optimizer, (scheduler,) = _advance(make_sgd, build, 20)
    fresh_opt = make_sgd()
    build(fresh_opt).load_state_dict(copy.deepcopy(scheduler.state_dict()))
    assert [g["initial_lr"] for g in fresh_opt.param_groups] == [0.1, 0.03]
    assert _snapshot(fresh_opt) == _snapshot(optimizer)
