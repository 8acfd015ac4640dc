"""fit: gradient accumulation, clipping, History values, non-finite losses, evaluate, progress."""

from __future__ import annotations

import numpy as np
import pytest
from test_train_support import (
    assert_same_parameters,
    blobs,
    linear_sgd_reference,
    loader,
    mlp,
    parameters,
    regression,
    seeded_linear,
)

import tinygrad_opt as tg
from tinygrad_opt import nn, optim
from tinygrad_opt.loss import cross_entropy, mse_loss
from tinygrad_opt.train import Callback, evaluate, fit
from tinygrad_opt.train.progress import format_postfix


@pytest.mark.parametrize(
    ("n", "batch", "accum", "windows"),
    [
        (256, 32, 4, [range(0, 128), range(128, 256)]),
        # a short last window: 32+32+8 samples, stepped at the end of the epoch
        (200, 32, 4, [range(0, 128), range(128, 200)]),
        (96, 32, 1, [range(0, 32), range(32, 64), range(64, 96)]),
    ],
)
def test_fit_matches_numpy_sgd_with_accumulation(n, batch, accum, windows):
    x, y = regression(n)
    model = seeded_linear(3, 1)
    w0, b0 = model.weight.data.copy(), model.bias.data.copy()
    history = fit(model, mse_loss, optim.SGD(model.parameters(), lr=0.05),
                  loader(x, y, batch), grad_accum_steps=accum, progress=False)
    w, b, losses, norms = linear_sgd_reference(w0, b0, x, y, [list(r) for r in windows], 0.05)
    np.testing.assert_allclose(model.weight.data, w, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(model.bias.data, b, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(history.loss, losses, rtol=2e-5)
    np.testing.assert_allclose(history.grad_norm, norms, rtol=2e-5)
    assert history.steps["step"] == list(range(1, len(windows) + 1))
    assert history.lr == [0.05] * len(windows)
    # the epoch's train loss weighs every batch by its size
    assert history.train_loss == pytest.approx([np.mean(losses_of_batches(x, y, w0, b0, n, batch,
                                                                        accum, windows))], rel=1e-5)


def losses_of_batches(x, y, w0, b0, n, batch, accum, windows):
    """Per-sample squared errors, each under the weights in force when its batch ran."""
    out = []
    w, b = w0.astype(np.float64), b0.astype(np.float64)
    for rows in windows:
        rows = list(rows)
        residual = x[rows] @ w.T + b - y[rows]
        out.extend((residual**2).ravel())
        g = 2.0 * residual / residual.size
        w, b = w - 0.05 * (g.T @ x[rows]), b - 0.05 * g.sum(axis=0)
    return out


def test_four_batches_of_32_equal_one_batch_of_128_with_momentum():
    x, y = blobs(512, features=6, classes=4)
    runs = []
    for batch, accum in ((32, 4), (128, 1)):
        tg.manual_seed(3)
        model = mlp(6, 16, 4)
        optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        fit(model, cross_entropy, optimizer, loader(x, y, batch), epochs=2,
            grad_accum_steps=accum, progress=False)
        runs.append(parameters(model))
    for name in runs[0]:
        np.testing.assert_allclose(runs[0][name], runs[1][name], rtol=1e-4, atol=1e-6)


def test_max_grad_norm_clips_like_pytorch_and_records_the_norm_before_clipping():
    x, y = regression(64)
    y = y * 50.0  # large gradients, so clipping is active
    model = seeded_linear(3, 1)
    w0, b0 = model.weight.data.copy(), model.bias.data.copy()
    # a numpy float (a value read from a config array) is a number as for clip_grad_norm_
    history = fit(model, mse_loss, optim.SGD(model.parameters(), lr=0.01), loader(x, y, 16),
                  max_grad_norm=np.float32(1.0), progress=False)
    windows = [list(range(i, i + 16)) for i in range(0, 64, 16)]
    w, b, _, norms = linear_sgd_reference(w0, b0, x, y, windows, 0.01, max_norm=1.0)
    assert min(norms) > 1.0
    np.testing.assert_allclose(model.weight.data, w, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(model.bias.data, b, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(history.grad_norm, norms, rtol=2e-5)


class _Snapshot(Callback):
    def __init__(self):
        self.after_step = {}

    def on_step_end(self, state, logs):
        self.after_step[state.global_step] = parameters(state.model)


def _with_nan_row(n=96, row=70):
    x, y = blobs(n)
    x[row, 0] = np.nan
    return x, y


def test_nan_loss_stops_with_the_step_named_and_parameters_untouched():
    x, y = _with_nan_row()
    tg.manual_seed(0)
    model = mlp()
    snapshot = _Snapshot()
    with pytest.raises(FloatingPointError, match=r"epoch 1, batch 5 \(optimizer step 5\)"):
        fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 16),
            callbacks=[snapshot], progress=False)
    assert sorted(snapshot.after_step) == [1, 2, 3, 4]
    assert_same_parameters(parameters(model), snapshot.after_step[4])
    assert all(p.grad is None for p in model.parameters())


def test_nan_loss_with_accumulation_names_batch_and_pending_step():
    x, y = _with_nan_row()
    tg.manual_seed(0)
    model = mlp()
    with pytest.raises(FloatingPointError, match=r"batch 5 \(optimizer step 3\)"):
        fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 16),
            grad_accum_steps=2, progress=False)


def test_skip_nonfinite_skips_the_step_counts_it_and_matches_a_run_without_that_batch():
    x, y = _with_nan_row()
    tg.manual_seed(0)
    model = mlp()
    initial = parameters(model)
    optimizer = optim.SGD(model.parameters(), lr=0.1, skip_nonfinite=True)
    history = fit(model, cross_entropy, optimizer, loader(x, y, 16), progress=False)
    assert history.skipped_steps == 1
    assert len(history.loss) == 5 and np.isfinite(history.loss).all()
    assert np.isfinite(history.train_loss[0])

    keep = np.r_[0:64, 80:96]  # the same batches minus the one holding the NaN
    reference = mlp()
    reference.load_state_dict(initial)
    fit(reference, cross_entropy, optim.SGD(reference.parameters(), lr=0.1),
        loader(x[keep], y[keep], 16), progress=False)
    assert_same_parameters(parameters(model), parameters(reference))


def test_evaluate_matches_numpy_in_eval_mode_and_restores_modes():
    x, y = blobs(50)
    tg.manual_seed(1)
    linear = nn.Linear(4, 3)
    model = nn.Sequential(linear, nn.Dropout(0.5))
    model.train()
    result = evaluate(model, loader(x, y, 16), cross_entropy)
    logits = x.astype(np.float64) @ linear.weight.data.T.astype(np.float64) + linear.bias.data
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    assert result["loss"] == pytest.approx(-log_probs[np.arange(50), y].mean(), rel=1e-5)
    assert result["accuracy"] == pytest.approx(np.mean(logits.argmax(axis=1) == y))
    assert model.training and all(m.training for m in model.modules())
    model.eval()
    evaluate(model, loader(x, y, 16), cross_entropy)
    assert not model.training and not model[1].training


def test_evaluate_restores_modes_after_an_error():
    x, y = blobs(20)
    model = mlp()
    model.train()

    def broken_loss(output, target):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        evaluate(model, loader(x, y, 8), broken_loss)
    assert all(m.training for m in model.modules())


def test_history_epoch_metrics_match_evaluate_after_each_epoch():
    x, y = blobs(96)
    xv, yv = blobs(40, seed=5)
    tg.manual_seed(0)
    model = mlp(dropout=0.2)

    class EvaluateNow(Callback):
        def __init__(self):
            self.metrics = []

        def on_epoch_end(self, state, logs):
            self.metrics.append(evaluate(state.model, loader(xv, yv, 7), cross_entropy))

    probe = EvaluateNow()
    history = fit(model, cross_entropy, optim.Adam(model.parameters(), lr=1e-2),
                  loader(x, y, 16, shuffle=True, seed=1), epochs=3,
                  val_loader=loader(xv, yv, 13), callbacks=[probe], progress=False)
    assert history.history["epoch"] == [1.0, 2.0, 3.0]
    assert history.val_loss == pytest.approx([m["loss"] for m in probe.metrics], rel=1e-6)
    assert history.val_accuracy == pytest.approx([m["accuracy"] for m in probe.metrics])
    assert len(history.loss) == 18 and history.steps["epoch"] == [1.0] * 6 + [2.0] * 6 + [3.0] * 6
    assert all(0.0 <= a <= 1.0 for a in history.epochs["train_accuracy"])
    assert model.training


def test_progress_bar_shows_loss_lr_and_throughput(capsys):
    x, y = blobs(64)
    model = mlp()
    fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 16),
        progress=True)
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "loss=" in err and "lr=0.1" in err and "samples/s" in err
    fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 16),
        progress=False)
    assert capsys.readouterr().err == ""


def test_format_postfix():
    assert format_postfix(0.123456, 1e-3, 51234.4) == "loss=0.1235, lr=0.001, 51,234 samples/s"
    text = format_postfix(1.0, 0.1, 10.0, {"val_loss": 0.25, "val_accuracy": 0.9})
    assert text == "loss=1.0000, lr=0.1, 10 samples/s, val_loss=0.25, val_accuracy=0.9"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": -1}, ValueError, "epochs"),
        ({"grad_accum_steps": 0}, ValueError, "grad_accum_steps"),
        ({"max_grad_norm": 0.0}, ValueError, "max_grad_norm"),
        ({"max_grad_norm": float("inf")}, ValueError, "max_grad_norm"),
        ({"callbacks": [object()]}, TypeError, "Callback"),
        ({"scheduler_interval": "batch"}, ValueError, "scheduler_interval"),
        ({"scheduler": object()}, TypeError, "step"),
    ],
)
def test_bad_arguments_are_refused_before_training(kwargs, error, match):
    x, y = blobs(32)
    model = mlp()
    before = parameters(model)
    with pytest.raises(error, match=match):
        fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 16),
            progress=False, **kwargs)
    assert_same_parameters(parameters(model), before)


def test_loss_fn_must_return_a_scalar():
    x, y = regression(16)
    model = seeded_linear(3, 1)
    with pytest.raises(ValueError, match="scalar"):
        fit(model, lambda out, t: mse_loss(out, t, reduction="none"),
            optim.SGD(model.parameters(), lr=0.1), loader(x, y, 8), progress=False)


class _ModeProbe(nn.Module):
    """Identity that records the training flag it sees on every forward pass."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append(self.training)
        return x


def test_fit_trains_in_train_mode_even_if_the_model_was_left_in_eval_mode():
    x, y = blobs(64)
    xv, yv = blobs(16, seed=3)
    tg.manual_seed(0)
    probe = _ModeProbe()
    model = nn.Sequential(nn.Linear(4, 8), probe, nn.ReLU(), nn.Linear(8, 3))
    model.eval()  # e.g. after an evaluate() or lr_find() by the user
    fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 16),
        epochs=2, val_loader=loader(xv, yv, 16), progress=False)
    # per epoch: 4 training batches in train mode, then 1 validation batch in eval mode
    assert probe.seen == [True] * 4 + [False] + [True] * 4 + [False]


def test_train_accuracy_and_loss_of_a_frozen_model_match_numpy():
    """With lr=0 the weights never move, so the epoch's train metrics are plain numpy."""
    x, y = blobs(90)
    model = seeded_linear(4, 3, seed=2)
    history = fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.0),
                  loader(x, y, 16), progress=False)  # a short last batch of 10
    logits = x.astype(np.float64) @ model.weight.data.T.astype(np.float64) + model.bias.data
    assert history.epochs["train_accuracy"] == pytest.approx([np.mean(logits.argmax(1) == y)])
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    assert history.train_loss == pytest.approx([-log_probs[np.arange(90), y].mean()], rel=1e-5)


def test_stale_gradients_from_before_fit_do_not_leak_into_the_first_step():
    x, y = regression(64)
    model = seeded_linear(3, 1)
    w0, b0 = model.weight.data.copy(), model.bias.data.copy()
    for p in model.parameters():  # e.g. a manual backward() the user did to inspect gradients
        p.grad = np.full_like(p.data, 100.0)
    fit(model, mse_loss, optim.SGD(model.parameters(), lr=0.05), loader(x, y, 16),
        progress=False)
    windows = [list(range(i, i + 16)) for i in range(0, 64, 16)]
    w, b, _, _ = linear_sgd_reference(w0, b0, x, y, windows, 0.05)
    np.testing.assert_allclose(model.weight.data, w, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(model.bias.data, b, rtol=2e-5, atol=1e-6)
