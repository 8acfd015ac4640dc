"""lr_find: exponential lr sweep, EMA smoothing, divergence stop, suggestion, exact restore."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from exact import assert_same
from test_train_support import (
    blobs,
    linear_sgd_reference,
    loader,
    mlp,
    parameters,
    regression,
    seeded_linear,
)

import tinygrad_opt as tg
from tinygrad_opt import optim
from tinygrad_opt.loss import cross_entropy, mse_loss
from tinygrad_opt.random import generator
from tinygrad_opt.train import fit, lr_find
from tinygrad_opt.train.lr_find import suggest_lr


def test_lr_find_restores_model_optimizer_rng_loader_and_modes():
    x, y = blobs(96)
    tg.manual_seed(0)
    model = mlp(dropout=0.2)
    optimizer = optim.AdamW(model.parameters(), lr=3e-3)
    train_loader = loader(x, y, 16, shuffle=True, seed=4)
    fit(model, cross_entropy, optimizer, train_loader, progress=False)  # non-trivial state
    model.eval()
    weights, state = parameters(model), optimizer.state_dict()
    rng_state = tg.random.get_rng_state()
    loader_state = train_loader.state_dict()

    result = lr_find(model, cross_entropy, optimizer, train_loader, num_iter=30)
    assert len(result.lrs) > 5

    for name, value in weights.items():
        np.testing.assert_array_equal(parameters(model)[name], value, err_msg=name)
    assert_same(optimizer.state_dict(), state)
    assert optimizer.param_groups[0]["lr"] == 3e-3
    assert tg.random.get_rng_state() == rng_state
    assert train_loader.state_dict() == loader_state
    assert not model.training and not any(m.training for m in model.modules())
    assert all(p.grad is None for p in model.parameters())


def test_lr_find_curve_follows_the_exponential_sweep_and_the_ema():
    x, y = regression(96)
    model = seeded_linear(3, 1)
    w0, b0 = model.weight.data.copy(), model.bias.data.copy()
    for p in model.parameters():  # stale gradients must not leak into the first step
        p.grad = np.full_like(p.data, 100.0)
    result = lr_find(model, mse_loss, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 16),
                     start_lr=1e-4, end_lr=1.0, num_iter=20, smooth_f=0.3, diverge_th=1e9)
    assert not result.diverged and len(result.lrs) == 20  # the 6-batch loader is cycled
    lrs = 1e-4 * 1e4 ** (np.arange(20) / 19)
    np.testing.assert_allclose(result.lrs, lrs, rtol=1e-12)
    # raw losses: plain-numpy SGD, batch i (cycling) evaluated before its step at lr_i
    raw = []
    for i, lr in enumerate(lrs):
        rows = [list(range(start, start + 16)) for start in range(0, 96, 16)][i % 6]
        w0, b0, (loss,), _ = linear_sgd_reference(w0, b0, x, y, [rows], lr)
        raw.append(loss)
    np.testing.assert_allclose(result.raw_losses, raw, rtol=1e-5)
    smoothed = [raw[0]]
    for value in raw[1:]:
        smoothed.append(0.3 * value + 0.7 * smoothed[-1])
    np.testing.assert_allclose(result.losses, smoothed, rtol=1e-5)
    assert result.losses[-1] < result.losses[0]  # the sweep trains
    # the suggestion: steepest fall of the SMOOTHED curve against log10(lr), up to its minimum
    end = int(np.argmin(smoothed)) + 1
    slopes = np.gradient(np.array(smoothed[:end]), np.log10(lrs[:end]))
    assert result.suggested_lr == pytest.approx(lrs[int(np.argmin(slopes))], rel=1e-12)


def test_lr_find_stops_when_the_loss_diverges():
    x, y = regression(256)
    model = seeded_linear(3, 1)
    result = lr_find(model, mse_loss, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 16),
                     start_lr=1e-3, end_lr=100.0, num_iter=100, diverge_th=5)
    assert result.diverged and len(result.lrs) < 100
    assert result.losses[-1] > 5 * min(result.losses)
    assert all(loss <= 5 * min(result.losses[: i + 1]) for i, loss in enumerate(result.losses[:-1]))
    assert result.suggested_lr is not None and result.suggested_lr < result.lrs[-1]


def test_suggest_lr_is_the_steepest_descent_against_log_lr():
    lrs = np.logspace(-6, 0, 61)
    losses = 2.0 - np.tanh(2.0 * (np.log10(lrs) + 3.0))  # falls fastest at lr = 1e-3
    losses[-10:] += np.linspace(0.0, 5.0, 10) ** 2  # then diverges
    assert suggest_lr(lrs, losses) == pytest.approx(1e-3)
    assert suggest_lr(lrs[:2], losses[:2]) is None
    assert suggest_lr([1e-3, 1e-2, 1e-1], [1.0, 2.0, 3.0]) is None  # never falls


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    x, y = regression(64)
    model = seeded_linear(3, 1)
    result = lr_find(model, mse_loss, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 16),
                     num_iter=12)
    figure = result.plot(tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert figure.axes[0].get_xscale() == "log"


def test_plot_without_matplotlib_says_how_to_install_it(monkeypatch):
    from tinygrad_opt.train import LRFinderResult

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    result = LRFinderResult(lrs=[1e-3, 1e-2], losses=[1.0, 0.5])
    with pytest.raises(RuntimeError, match=r"matplotlib.*pip install"):
        result.plot()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start_lr": 0.0}, "start_lr"),
        ({"end_lr": 1e-8}, "end_lr"),
        ({"num_iter": 1}, "num_iter"),
        ({"smooth_f": 0.0}, "smooth_f"),
        ({"diverge_th": 1.0}, "diverge_th"),
    ],
)
def test_lr_find_validates_arguments(kwargs, match):
    model = mlp()
    x, y = blobs(16)
    with pytest.raises(ValueError, match=match):
        lr_find(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 8),
                **kwargs)


def test_lr_find_restores_state_after_a_nan_loss():
    x, y = blobs(64)
    x[40:, 0] = np.nan  # from the 6th batch on, the loss is NaN
    tg.manual_seed(0)
    model = mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    weights = parameters(model)
    expected = generator().bit_generator.state
    result = lr_find(model, cross_entropy, optimizer, loader(x, y, 8), num_iter=20)
    assert result.diverged and len(result.lrs) == 5
    assert np.isfinite(result.losses).all()
    for name, value in weights.items():
        np.testing.assert_array_equal(parameters(model)[name], value)
    assert generator().bit_generator.state == expected


def test_lr_find_does_not_count_its_skipped_steps():
    # skip_nonfinite=True skips steps whose gradient is infinite (sqrt'(0)) although the loss
    # is finite; the counter belongs to the training run, as the rest of the optimizer does
    model = seeded_linear(2, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.1, skip_nonfinite=True)
    x = tg.Tensor(np.ones((4, 2), np.float32))
    y = tg.Tensor(np.zeros((4, 1), np.float32))

    def loss_fn(out, target):
        return (out * 0.0).abs().sqrt().mean() + mse_loss(out, target)

    with np.errstate(invalid="ignore"):
        result = lr_find(model, loss_fn, optimizer, [(x, y)], num_iter=5)
    assert len(result.lrs) == 5
    assert optimizer.skipped_steps == 0
