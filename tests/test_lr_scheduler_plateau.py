"""ReduceLROnPlateau: patience, cooldown, threshold modes, min_lr and eps, with the expected
lrs worked out by hand from PyTorch's documented rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_opt import Tensor
from tinygrad_opt.optim import SGD
from tinygrad_opt.optim.lr_scheduler import ReduceLROnPlateau


def make_sgd(*lrs):
    groups = [{"params": [Tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return SGD(groups, lr=lrs[0])


def trace(scheduler, metrics, group=0):
    out = []
    for m in metrics:
        scheduler.step(m)
        out.append(scheduler.optimizer.param_groups[group]["lr"])
    return out


def test_patience_counts_epochs_without_improvement():
    scheduler = ReduceLROnPlateau(make_sgd(0.1), factor=0.5, patience=2)
    got = trace(scheduler, [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8])
    # 1.0 and 0.9 improve; the 3rd bad epoch in a row (> patience 2) halves the lr
    assert got == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025])
    assert scheduler.best == 0.8 and scheduler.num_bad_epochs == 0


def test_cooldown_ignores_bad_epochs_after_a_reduction():
    scheduler = ReduceLROnPlateau(make_sgd(0.1), factor=0.5, patience=1, cooldown=2)
    got = trace(scheduler, [1.0] * 11)
    want = [0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.0125]
    assert got == pytest.approx(want)


@pytest.mark.parametrize(
    "mode, threshold_mode, metrics, reduced_at",
    [
        # best 10; rel needs < 10 * 0.9 = 9, abs needs < 10 - 0.1 = 9.9
        ("min", "rel", [10.0, 9.5, 9.5], 2),
        ("min", "abs", [10.0, 9.5, 9.5], 3),
        # best 10; rel needs > 10 * 1.1 = 11, abs needs > 10 + 0.1 = 10.1
        ("max", "rel", [10.0, 10.5, 10.5], 2),
        ("max", "abs", [10.0, 10.5, 10.5], 3),
    ],
)
def test_threshold_modes(mode, threshold_mode, metrics, reduced_at):
    scheduler = ReduceLROnPlateau(
        make_sgd(0.1), mode=mode, threshold=0.1, threshold_mode=threshold_mode, patience=0
    )
    got = trace(scheduler, metrics)
    first_cut = next(i + 1 for i, lr in enumerate(got) if lr < 0.1)
    assert first_cut == reduced_at
    assert got[first_cut - 1] == pytest.approx(0.01)


def test_min_lr_per_group_and_eps():
    # group 0 floors at 0.005; group 1's cut (5e-8) is smaller than eps=1e-7: skipped
    scheduler = ReduceLROnPlateau(
        make_sgd(0.1, 1e-7), factor=0.5, patience=0, min_lr=[0.005, 0.0], eps=1e-7
    )
    lrs = []
    for _ in range(7):
        scheduler.step(1.0)
        lrs.append([g["lr"] for g in scheduler.optimizer.param_groups])
    assert [a for a, _ in lrs] == pytest.approx(
        [0.1, 0.05, 0.025, 0.0125, 0.00625, 0.005, 0.005]
    )
    assert all(b == 1e-7 for _, b in lrs)
    assert scheduler.get_last_lr() == lrs[-1]


def test_nan_metric_is_a_bad_epoch():
    scheduler = ReduceLROnPlateau(make_sgd(0.1), patience=1)
    got = trace(scheduler, [1.0, math.nan, math.nan])
    assert got == pytest.approx([0.1, 0.1, 0.01])


def test_metric_may_be_a_tensor_or_array_and_bad_metrics_change_nothing():
    scheduler = ReduceLROnPlateau(make_sgd(0.1), patience=0)
    scheduler.step(Tensor(np.float32(2.0)))
    scheduler.step(np.array(1.0))
    assert scheduler.best == 1.0 and scheduler.last_epoch == 2
    before = scheduler.state_dict()
    for bad in ("low", np.array([1.0, 2.0]), None):
        with pytest.raises(TypeError, match="scalar metric"):
            scheduler.step(bad)
    assert scheduler.state_dict() == before


def test_state_dict_resumes_counters():
    metrics = [1.0, 0.9, 0.95, 0.93, 0.9, 0.91, 0.7, 0.71, 0.72, 0.7, 0.73, 0.74]
    full = ReduceLROnPlateau(make_sgd(0.1, 0.2), factor=0.3, patience=1, cooldown=1)
    want = trace(full, metrics, group=1)
    for k in range(len(metrics)):
        first = ReduceLROnPlateau(make_sgd(0.1, 0.2), factor=0.3, patience=1, cooldown=1)
        head = trace(first, metrics[:k], group=1)
        resumed = ReduceLROnPlateau(make_sgd(0.1, 0.2), factor=0.3, patience=1, cooldown=1)
        resumed.load_state_dict(first.state_dict())
        assert head + trace(resumed, metrics[k:], group=1) == want


def test_default_arguments_are_pytorchs():
    # factor=0.1, patience=10, threshold=1e-4 'rel', cooldown=0, min_lr=0, eps=1e-8
    scheduler = ReduceLROnPlateau(make_sgd(0.1, 1e-7))
    metrics = [1.0, 0.9995] + [0.9995] * 22  # 0.9995 < 1.0 * (1 - 1e-4): an improvement
    lrs = []
    for m in metrics:
        scheduler.step(m)
        lrs.append([g["lr"] for g in scheduler.optimizer.param_groups])
    # epochs 3..13 are the 11 bad epochs (> patience 10): cut at epoch 13, then at 24 (no
    # cooldown); group 1's second cut (1e-8 -> 1e-9, a change of 9e-9 <= eps) is skipped
    want = [[0.1, 1e-7]] * 12 + [[0.01, 1e-8]] * 11 + [[0.001, 1e-8]]
    np.testing.assert_allclose(lrs, want, rtol=1e-12)


def test_eps_is_a_strict_bound_and_not_a_floor():
    # PyTorch: the new lr is applied only if old - new > eps (strictly)
    scheduler = ReduceLROnPlateau(make_sgd(1.0, 2.0), factor=0.5, patience=0, eps=0.5)
    trace(scheduler, [1.0, 1.0])
    assert [g["lr"] for g in scheduler.optimizer.param_groups] == [1.0, 1.0]
    # a cut below eps is still applied: eps is a threshold on the change, not a minimum lr
    scheduler = ReduceLROnPlateau(make_sgd(0.1), factor=0.001, patience=0, eps=1e-3)
    assert trace(scheduler, [1.0, 1.0]) == pytest.approx([0.1, 1e-4], rel=1e-12)


def test_each_group_floors_at_its_own_min_lr():
    scheduler = ReduceLROnPlateau(make_sgd(0.1, 0.1), patience=0, min_lr=[0.02, 0.001])
    lrs = []
    for _ in range(4):
        scheduler.step(1.0)
        lrs.append([g["lr"] for g in scheduler.optimizer.param_groups])
    want = [[0.1, 0.1], [0.02, 0.01], [0.02, 0.001], [0.02, 0.001]]
    np.testing.assert_allclose(lrs, want, rtol=1e-12)


def test_param_group_added_after_construction():
    # a scalar min_lr applies to the new group too; per-group min_lrs must then be extended
    optimizer = make_sgd(0.1)
    scheduler = ReduceLROnPlateau(optimizer, patience=0, min_lr=0.05)
    optimizer.add_param_group({"params": [Tensor(np.zeros(2), requires_grad=True)], "lr": 1.0})
    trace(scheduler, [1.0, 1.0])
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([0.05, 0.1], rel=1e-12)

    optimizer = make_sgd(0.1)
    scheduler = ReduceLROnPlateau(optimizer, patience=0, min_lr=[0.05])
    optimizer.add_param_group({"params": [Tensor(np.zeros(2), requires_grad=True)], "lr": 1.0})
    scheduler.step(1.0)
    with pytest.raises(RuntimeError, match="param groups"):
        scheduler.step(1.0)


@pytest.mark.parametrize(
    "mode, threshold_mode, boundary",
    [
        # best 1.0, threshold 0.5: exactly at the bound (all exact in binary) is not better
        ("min", "rel", 0.5),  # needs < 1.0 * (1 - 0.5)
        ("min", "abs", 0.5),  # needs < 1.0 - 0.5
        ("max", "rel", 1.5),  # needs > 1.0 * (1 + 0.5)
        ("max", "abs", 1.5),  # needs > 1.0 + 0.5
    ],
)
def test_a_metric_exactly_at_the_threshold_is_not_an_improvement(mode, threshold_mode, boundary):
    scheduler = ReduceLROnPlateau(
        make_sgd(0.1), mode=mode, threshold=0.5, threshold_mode=threshold_mode, patience=0
    )
    assert trace(scheduler, [1.0, boundary]) == pytest.approx([0.1, 0.01])
    assert scheduler.best == 1.0


def test_zero_threshold_needs_a_strictly_better_metric():
    scheduler = ReduceLROnPlateau(make_sgd(0.1), threshold=0.0, patience=0)
    assert trace(scheduler, [1.0, 1.0, 0.5]) == pytest.approx([0.1, 0.01, 0.01])
    assert scheduler.best == 0.5
