"""fit's scheduler stepping: per step or per epoch by the documented rule, plateau on val loss."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_train_support import blobs, linear_sgd_reference, loader, mlp, regression, seeded_linear

import tinygrad_opt as tg
from tinygrad_opt import optim
from tinygrad_opt.loss import cross_entropy, mse_loss
from tinygrad_opt.optim import lr_scheduler as S
from tinygrad_opt.train import fit
from tinygrad_opt.train.scheduling import default_interval


def _declared(scheduler, interval):
    scheduler.interval = interval
    return scheduler


def _optimizer(lr=0.1):
    tg.manual_seed(0)
    model = mlp()
    return model, optim.SGD(model.parameters(), lr=lr)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda o: S.StepLR(o, step_size=2), "epoch"),
        (lambda o: S.MultiStepLR(o, milestones=[2, 4]), "epoch"),
        (lambda o: S.ExponentialLR(o, gamma=0.9), "epoch"),
        (lambda o: S.CosineAnnealingLR(o, T_max=10), "epoch"),
        (lambda o: S.LambdaLR(o, lambda step: 0.5**step), "epoch"),
        (lambda o: S.ReduceLROnPlateau(o), "epoch"),
        (lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=20), "step"),
        (lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5), "step"),
        (lambda o: S.get_linear_schedule_with_warmup(o, 2, 20), "step"),
        (lambda o: S.get_cosine_schedule_with_warmup(o, 2, 20), "step"),
        (
            lambda o: S.SequentialLR(
                o,
                [S.ConstantLR(o, factor=0.5, total_iters=2), S.ExponentialLR(o, gamma=0.9)],
                milestones=[2],
            ),
            "epoch",
        ),
        (
            lambda o: S.ChainedScheduler(
                [S.OneCycleLR(o, max_lr=0.1, total_steps=20), S.ExponentialLR(o, gamma=0.99)]
            ),
            "step",
        ),
        (lambda o: _declared(S.StepLR(o, step_size=2), "step"), "step"),
        (lambda o: _declared(S.OneCycleLR(o, max_lr=0.1, total_steps=20), "epoch"), "epoch"),
    ],
)
def test_default_interval_rule(build, expected):
    _, optimizer = _optimizer()
    assert default_interval(build(optimizer)) == expected


def test_epoch_scheduler_changes_lr_between_epochs_only():
    x, y = blobs(64)
    model, optimizer = _optimizer(lr=0.1)
    history = fit(model, cross_entropy, optimizer, loader(x, y, 16), epochs=3,
                  scheduler=S.StepLR(optimizer, step_size=1, gamma=0.5), progress=False)
    assert history.lr == pytest.approx([0.1] * 4 + [0.05] * 4 + [0.025] * 4)
    assert history.epochs["lr"] == pytest.approx([0.1, 0.05, 0.025])
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0125)


def test_onecycle_is_stepped_once_per_optimizer_step_with_accumulation():
    x, y = blobs(64)
    model, optimizer = _optimizer()
    # 4 batches per epoch, 2 per optimizer step: 2 steps per epoch, 6 in 3 epochs
    scheduler = S.OneCycleLR(optimizer, max_lr=0.2, total_steps=6)
    history = fit(model, cross_entropy, optimizer, loader(x, y, 16), epochs=3,
                  scheduler=scheduler, grad_accum_steps=2, progress=False)
    # OneCycleLR's closed form (cos annealing, pct_start=0.3, div_factor=25,
    # final_div_factor=1e4): phase ends at step 0.3*6-1 = 0.8 and 5
    initial, final = 0.2 / 25, 0.2 / 25 / 1e4

    def cos_anneal(start, end, pct):
        return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)

    expected = []
    for step in range(6):
        if step <= 0.8:
            expected.append(cos_anneal(initial, 0.2, step / 0.8))
        else:
            expected.append(cos_anneal(0.2, final, (step - 0.8) / (5 - 0.8)))
    assert history.lr == pytest.approx(expected, rel=1e-9)


def test_per_step_scheduler_steps_after_the_optimizer_step():
    # the lr of step k is the schedule's value at k-1: the first step uses the warmup's 0
    x, y = regression(96, features=3)
    model = seeded_linear(3, 1)
    w0, b0 = model.weight.data.copy(), model.bias.data.copy()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    scheduler = S.get_linear_schedule_with_warmup(optimizer, 2, 6)
    history = fit(model, mse_loss, optimizer, loader(x, y, 16), scheduler=scheduler,
                  progress=False)
    # Hugging Face's closed form: k / warmup while warming up, then (total - k) / (total - warmup)
    rates = [0.1 * f for f in (0.0, 0.5, 1.0, 0.75, 0.5, 0.25)]
    assert history.lr == pytest.approx(rates, rel=1e-12)
    windows = [slice(16 * k, 16 * (k + 1)) for k in range(6)]
    w, b, losses, _ = linear_sgd_reference(w0, b0, x, y, windows, rates)
    np.testing.assert_allclose(model.weight.data, w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.bias.data, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-5)


def test_explicit_interval_overrides_the_rule():
    x, y = blobs(64)
    model, optimizer = _optimizer(lr=0.1)
    history = fit(model, cross_entropy, optimizer, loader(x, y, 16), epochs=1,
                  scheduler=S.StepLR(optimizer, step_size=1, gamma=0.5),
                  scheduler_interval="step", progress=False)
    assert history.lr == pytest.approx([0.1, 0.05, 0.025, 0.0125])


class _SpyPlateau(S.ReduceLROnPlateau):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []

    def step(self, metrics=None, *args, **kwargs):
        if metrics is not None:
            self.seen.append(float(metrics))
        return super().step(metrics, *args, **kwargs)


def test_plateau_gets_the_validation_loss_each_epoch():
    x, y = blobs(64)
    xv, yv = blobs(32, seed=9)
    model, optimizer = _optimizer(lr=0.0)  # lr 0: the loss never improves
    scheduler = _SpyPlateau(optimizer, patience=1, factor=0.5)
    history = fit(model, cross_entropy, optimizer, loader(x, y, 16), epochs=4,
                  scheduler=scheduler, val_loader=loader(xv, yv, 32), progress=False)
    assert scheduler.seen == pytest.approx(history.val_loss, rel=0, abs=0)
    assert len(scheduler.seen) == 4


def test_plateau_reduces_lr_after_patience_on_train_loss_without_val_loader():
    x, y = blobs(64)
    model, optimizer = _optimizer(lr=0.0)
    optimizer.param_groups[0]["lr"] = 1e-12  # too small to change the loss in float32
    scheduler = _SpyPlateau(optimizer, patience=1, factor=0.5)
    history = fit(model, cross_entropy, optimizer, loader(x, y, 16), epochs=4,
                  scheduler=scheduler, progress=False)
    assert scheduler.seen == pytest.approx(history.train_loss, rel=0, abs=0)
    # epoch 1 sets best; epochs 2 and 3 are bad; the count exceeds patience=1 at epoch 3
    assert history.epochs["lr"] == pytest.approx([1e-12, 1e-12, 1e-12, 5e-13])


def test_plateau_refuses_step_interval():
    model, optimizer = _optimizer()
    x, y = blobs(32)
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        fit(model, cross_entropy, optimizer, loader(x, y, 16),
            scheduler=S.ReduceLROnPlateau(optimizer), scheduler_interval="step", progress=False)
