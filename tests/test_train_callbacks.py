"""Callbacks: early stopping, checkpoints, per-layer gradient norms, metrics logs."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from error_messages import exactly
from test_train_support import (
    assert_same_parameters,
    blobs,
    loader,
    mlp,
    parameters,
    regression,
)

import tinygrad_opt as tg
from tinygrad_opt import nn, optim
from tinygrad_opt.loss import cross_entropy, mse_loss
from tinygrad_opt.train import (
    Callback,
    EarlyStopping,
    GradNormMonitor,
    MetricsLogger,
    ModelCheckpoint,
    TrainState,
    fit,
    load_checkpoint,
)


class _FakeState:
    def __init__(self, model=None):
        self.model = model
        self.stop_training = False


def _feed(callback, values, key="val_loss", model=None):
    """Feed epoch logs to a callback until it stops training; return the epochs seen."""
    state = _FakeState(model)
    seen = 0
    for epoch, value in enumerate(values, start=1):
        callback.on_epoch_end(state, {"epoch": epoch, key: value})
        seen = epoch
        if state.stop_training:
            break
    return seen


@pytest.mark.parametrize(
    ("values", "patience", "min_delta", "stops_at", "best_epoch"),
    [
        ([1.0, 0.9, 0.95, 0.97, 0.99], 2, 0.0, 4, 2),  # two bad epochs after the best
        ([1.0, 0.9, 0.95, 0.8, 0.85, 0.86], 2, 0.0, 6, 4),  # an improvement resets the count
        ([1.0, 1.1], 0, 0.0, 2, 1),  # patience 0 stops at the first bad epoch (Keras)
        ([1.0, 0.95, 0.945, 0.8], 2, 0.06, 3, 1),  # changes below min_delta don't count
        ([1.0, math.nan, 0.5], 3, 0.0, 3, 3),  # NaN is no improvement, and doesn't stop alone
        ([10.0, 9.95, 9.9], 2, 0.06, 3, 3),  # min_delta is absolute: 9.9 < 10 - 0.06
        ([1.0, 1.0, 1.0], 2, 0.0, 3, 1),  # an equal value is no improvement
        ([1.0, 1.1, 0.5], 1, 0.0, 2, 1),  # patience 1 stops at the first bad epoch too
    ],
)
def test_early_stopping_rule(values, patience, min_delta, stops_at, best_epoch):
    callback = EarlyStopping(patience=patience, min_delta=min_delta)
    assert _feed(callback, values) == stops_at
    assert callback.best_epoch == best_epoch
    assert callback.best == values[best_epoch - 1]


def test_early_stopping_auto_mode_maximises_accuracy():
    callback = EarlyStopping(monitor="val_accuracy", patience=1)
    assert _feed(callback, [0.5, 0.7, 0.6, 0.9], key="val_accuracy") == 3
    assert callback.best == 0.7


def test_early_stopping_max_mode_needs_a_rise_by_more_than_min_delta():
    # 0.54 is not above 0.5 + 0.05: one bad epoch, patience 1 stops there
    callback = EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05)
    assert _feed(callback, [0.5, 0.54, 0.6], key="val_accuracy") == 2
    assert (callback.best, callback.best_epoch, callback.stopped_epoch) == (0.5, 1, 2)
    explicit = EarlyStopping(monitor="score", mode="max", patience=1, min_delta=0.05)
    assert _feed(explicit, [0.5, 0.56, 0.6], key="score") == 3
    assert (explicit.best, explicit.best_epoch) == (0.56, 2)


@pytest.mark.parametrize(("patience", "epochs"), [(2, 20), (50, 4)])
def test_early_stopping_in_fit_restores_the_best_weights(patience, epochs):
    # restored at the end of training whether or not it stopped early (documented)
    x, y = blobs(64)
    # validation labels are shifted: the better the model learns, the worse it validates
    xv, yv = x, (y + 1) % 3
    tg.manual_seed(0)
    model = mlp()

    class Snapshots(Callback):
        def __init__(self):
            self.by_epoch = {}

        def on_epoch_end(self, state, logs):
            self.by_epoch[logs["epoch"]] = parameters(state.model)

    snapshots = Snapshots()
    stopper = EarlyStopping(patience=patience, restore_best=True)
    history = fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1),
                  loader(x, y, 16), epochs=epochs, val_loader=loader(xv, yv, 32),
                  callbacks=[snapshots, stopper], progress=False)
    stops = patience < epochs
    assert history.stopped_early == stops
    assert stopper.stopped_epoch == (len(history) if stops else 0)
    assert len(history) == (len(history.val_loss) if stops else epochs)
    best = int(np.nanargmin(history.val_loss)) + 1
    assert stopper.best_epoch == best < len(history)  # the last epoch is not the best
    assert_same_parameters(parameters(model), snapshots.by_epoch[best])


def test_early_stopping_names_a_missing_metric():
    x, y = blobs(32)
    model = mlp()
    with pytest.raises(RuntimeError, match=r"'val_loss'.*val_loader"):
        fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 16),
            callbacks=[EarlyStopping()], progress=False)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"patience": -1}, "patience must be an int >= 0, got -1"),
     ({"min_delta": -0.1}, "min_delta must be a number >= 0, got -0.1"),
     ({"mode": "up"}, "mode must be 'auto', 'min' or 'max', got 'up'"),
     ({"patience": 1.5}, "patience must be an int >= 0, got 1.5")],
)  # fmt: skip
def test_early_stopping_validates(kwargs, message):
    with pytest.raises(ValueError, match=exactly(f"EarlyStopping: {message}")):
        EarlyStopping(**kwargs)


def test_checkpoint_every_n_steps_saves_the_state_at_that_step(tmp_path):
    x, y = blobs(96)
    tg.manual_seed(0)
    model = mlp()

    class Snapshots(Callback):
        def __init__(self):
            self.by_step = {}

        def on_step_end(self, state, logs):
            self.by_step[state.global_step] = parameters(state.model)

    snapshots = Snapshots()
    saver = ModelCheckpoint(tmp_path / "ckpt-e{epoch}-s{step}.tgo", every_n_steps=4)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    # 6 batches per epoch, 2 epochs: steps 4, 8 and 12, in (1-based) epochs 1, 2 and 2
    fit(model, cross_entropy, optimizer, loader(x, y, 16), epochs=2,
        callbacks=[snapshots, saver], progress=False)
    names = ["ckpt-e1-s4.tgo", "ckpt-e2-s8.tgo", "ckpt-e2-s12.tgo"]
    assert saver.saved == [str(tmp_path / name) for name in names]
    for step, name in ((4, names[0]), (8, names[1])):
        restored = mlp()
        progress = load_checkpoint(tmp_path / name, restored,
                                   optim.Adam(restored.parameters(), lr=1e-2))
        assert progress["global_step"] == step
        assert progress["epoch"] == (step - 1) // 6
        assert progress["batch_in_epoch"] == step - 6 * ((step - 1) // 6)
        assert_same_parameters(parameters(restored), snapshots.by_step[step])


def test_checkpoint_every_epoch_and_best_only(tmp_path):
    x, y = blobs(64)
    xv, yv = blobs(32, seed=4)
    tg.manual_seed(0)
    model = mlp()
    every = ModelCheckpoint(tmp_path / "epoch-{epoch:02d}.tgo")
    best = ModelCheckpoint(tmp_path / "best.tgo", save_best_only=True)
    second = ModelCheckpoint(tmp_path / "second-{epoch}.tgo", every_n_epochs=2)
    history = fit(model, cross_entropy, optim.SGD(model.parameters(), lr=1.5),
                  loader(x, y, 16), epochs=5, val_loader=loader(xv, yv, 32),
                  callbacks=[every, best, second], progress=False)
    assert [p[-12:] for p in every.saved] == [f"epoch-0{e}.tgo" for e in (1, 2, 3, 4, 5)]
    assert second.saved == [str(tmp_path / f"second-{e}.tgo") for e in (2, 4)]
    assert load_checkpoint(tmp_path / "second-2.tgo", mlp())["epoch"] == 2
    improvements = [i for i, v in enumerate(history.val_loss)
                    if v < min(history.val_loss[:i], default=math.inf)]
    assert 1 < len(improvements) < 5  # the data make some epochs better, some worse
    assert len(best.saved) == len(improvements)
    restored = mlp()
    progress = load_checkpoint(tmp_path / "best.tgo", restored)
    assert progress["epoch"] == improvements[-1] + 1
    every_best = mlp()
    load_checkpoint(tmp_path / f"epoch-0{improvements[-1] + 1}.tgo", every_best)
    assert_same_parameters(parameters(restored), parameters(every_best))


def test_checkpoint_rejects_unknown_path_fields():
    with pytest.raises(ValueError, match="epoch"):
        ModelCheckpoint("ckpt-{batch}.tgo")


def test_grad_norm_monitor_matches_closed_form_gradients():
    x, y = regression(32, features=3)
    tg.manual_seed(0)
    first, second = nn.Linear(3, 2), nn.Linear(2, 1)
    model = nn.Sequential(first, second)
    monitor = GradNormMonitor()
    expected = []

    class ClosedForm(Callback):
        # d/dW of mean((x W1^T + b1) W2^T + b2 - y)^2, from the weights before each step
        def on_before_step(self, state, logs):
            w1, b1 = first.weight.data.astype(np.float64), first.bias.data.astype(np.float64)
            w2, b2 = second.weight.data.astype(np.float64), second.bias.data.astype(np.float64)
            rows = slice(16 * (logs["step"] - 1), 16 * logs["step"])
            xs, ys = x[rows].astype(np.float64), y[rows].astype(np.float64)
            hidden = xs @ w1.T + b1
            g_out = 2.0 * (hidden @ w2.T + b2 - ys) / len(xs)
            g_hidden = g_out @ w2
            norm_1 = np.sqrt(np.sum((g_hidden.T @ xs) ** 2) + np.sum(g_hidden.sum(0) ** 2))
            norm_2 = np.sqrt(np.sum((g_out.T @ hidden) ** 2) + np.sum(g_out.sum(0) ** 2))
            expected.append((norm_1, norm_2))

    history = fit(model, mse_loss, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 16),
                  callbacks=[ClosedForm(), monitor], progress=False)
    assert monitor.steps == [1, 2]
    np.testing.assert_allclose(monitor.norms["0"], [e[0] for e in expected], rtol=1e-5)
    np.testing.assert_allclose(monitor.norms["1"], [e[1] for e in expected], rtol=1e-5)
    # the layers together make the global norm of the History
    joined = np.hypot(monitor.norms["0"], monitor.norms["1"])
    np.testing.assert_allclose(history.grad_norm, joined, rtol=1e-6)


def test_grad_norm_monitor_every_n_steps_measures_those_steps_only():
    x, y = blobs(96)
    tg.manual_seed(0)
    model = mlp()
    monitor = GradNormMonitor(every_n_steps=2)
    seen = []

    class Logs(Callback):
        def on_step_end(self, state, logs):
            seen.append(sorted(k for k in logs if k.startswith("grad_norm/")))

    # 6 steps: measured at 2, 4 and 6; layers "0" and "2" make the global norm
    history = fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1),
                  loader(x, y, 16), callbacks=[monitor, Logs()], progress=False)
    assert monitor.steps == [2, 4, 6]
    joined = np.hypot(monitor.norms["0"], monitor.norms["2"])
    np.testing.assert_allclose(joined, history.grad_norm[1::2], rtol=1e-6)
    both = ["grad_norm/0", "grad_norm/2"]
    assert seen == [[], both, [], both, [], both]


def test_metrics_logger_csv_and_jsonl_hold_the_history(tmp_path):
    x, y = blobs(64)
    xv, yv = blobs(32, seed=2)
    tg.manual_seed(0)
    model = mlp()
    epochs_csv = MetricsLogger(tmp_path / "logs" / "epochs.csv")
    steps_jsonl = MetricsLogger(tmp_path / "steps.jsonl", interval="step")
    history = fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1),
                  loader(x, y, 16), epochs=2, val_loader=loader(xv, yv, 32),
                  callbacks=[GradNormMonitor(), epochs_csv, steps_jsonl], progress=False)
    with open(tmp_path / "logs" / "epochs.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 2
    for key in ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"):
        assert [float(row[key]) for row in rows] == pytest.approx(history.epochs[key], rel=1e-12)
    lines = (tmp_path / "steps.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["step"] for r in records] == list(range(1, 9))
    assert [r["loss"] for r in records] == pytest.approx(history.loss, rel=1e-12)
    assert [r["grad_norm"] for r in records] == pytest.approx(history.grad_norm, rel=1e-12)
    assert all("grad_norm/0" in r and "grad_norm/2" in r for r in records)


def test_metrics_logger_starts_afresh_and_writes_nan_as_null(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text("old\n")
    logger = MetricsLogger(path)
    state = TrainState(model=None, loss_fn=None, optimizer=None, train_loader=None, epochs=1)
    logger.on_train_begin(state)
    logger.on_epoch_end(state, {"epoch": 1, "val_loss": math.nan, "lr": 0.1})
    assert path.read_text().splitlines() == ['{"epoch": 1, "val_loss": null, "lr": 0.1}']


def test_metrics_logger_append_continues_the_file(tmp_path):
    state = TrainState(model=None, loss_fn=None, optimizer=None, train_loader=None, epochs=1)
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text('{"epoch": 1}\n')
    logger = MetricsLogger(jsonl, append=True)
    logger.on_train_begin(state)
    logger.on_epoch_end(state, {"epoch": 2})
    assert jsonl.read_text().splitlines() == ['{"epoch": 1}', '{"epoch": 2}']
    table = tmp_path / "m.csv"
    table.write_text("epoch,loss\n1,0.5\n")
    logger = MetricsLogger(table, append=True)
    logger.on_train_begin(state)
    logger.on_epoch_end(state, {"epoch": 2, "loss": 0.25, "extra": 7})  # columns kept
    assert table.read_text().splitlines() == ["epoch,loss", "1,0.5", "2,0.25"]


@pytest.mark.parametrize("name", ["steps.csv", "steps.jsonl"])
def test_metrics_logger_resumed_run_logs_each_step_once(tmp_path, name):
    # a session checkpoints after epoch 1 (step 4), logs steps 5 and 6, then crashes; the
    # resumed run logs 5 and 6 again, so the file must lose the crashed session's copies
    x, y = blobs(64)
    path, checkpoint = tmp_path / name, tmp_path / "c.tgo"

    class Crash(Callback):
        def on_step_end(self, state, logs):
            if state.global_step == 6:
                raise KeyboardInterrupt

    def run(callbacks, resume_from=None):
        tg.manual_seed(0)
        model = mlp()
        fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 16),
            epochs=2, callbacks=[MetricsLogger(path, interval="step"), *callbacks],
            resume_from=resume_from, progress=False)

    with pytest.raises(KeyboardInterrupt):
        run([ModelCheckpoint(checkpoint), Crash()])
    run([], resume_from=checkpoint)
    if name.endswith(".csv"):
        with open(path, newline="") as file:
            steps = [int(row["step"]) for row in csv.DictReader(file)]
    else:
        steps = [json.loads(line)["step"] for line in path.read_text().splitlines()]
    assert steps == list(range(1, 9))


def test_metrics_logger_needs_a_known_format():
    with pytest.raises(ValueError, match="fmt"):
        MetricsLogger("metrics.txt")
    with pytest.raises(ValueError, match="interval"):
        MetricsLogger("metrics.csv", interval="batch")


def test_a_callback_can_stop_training_mid_epoch():
    x, y = blobs(96)
    model = mlp()

    class StopAtThree(Callback):
        def on_step_end(self, state, logs):
            if state.global_step == 3:
                state.stop_training = True

    history = fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1),
                  loader(x, y, 16), epochs=5, callbacks=[StopAtThree()], progress=False)
    assert len(history.loss) == 3 and len(history) == 1 and history.stopped_early


class _Trace(Callback):
    """Records (hook, epoch, global_step, batch_in_epoch, optimizer lr, gradients present)."""

    def __init__(self):
        self.events = []

    def _record(self, hook, state):
        grads = any(p.grad is not None and np.any(p.grad) for p in state.model.parameters())
        self.events.append((hook, state.epoch, state.global_step, state.batch_in_epoch,
                            state.optimizer.param_groups[0]["lr"], grads))

    def on_train_begin(self, state):
        self._record("train_begin", state)

    def on_epoch_begin(self, state):
        self._record("epoch_begin", state)

    def on_before_step(self, state, logs):
        self._record("before_step", state)

    def on_step_end(self, state, logs):
        self._record("step_end", state)

    def on_epoch_end(self, state, logs):
        self._record("epoch_end", state)

    def on_train_end(self, state):
        self._record("train_end", state)


def _traced_fit(make_scheduler, **options) -> _Trace:
    """Two epochs of two steps (SGD, lr 0.8) under `make_scheduler(optimizer)`, traced."""
    x, y = blobs(32)
    tg.manual_seed(0)
    model = mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.8)
    trace = _Trace()
    fit(model, cross_entropy, optimizer, loader(x, y, 16), epochs=2,
        scheduler=make_scheduler(optimizer), callbacks=[trace], progress=False, **options)
    return trace


def test_hooks_run_in_the_documented_order_with_a_per_step_scheduler():
    trace = _traced_fit(lambda opt: optim.lr_scheduler.LambdaLR(opt, lambda step: 0.5**step),
                        scheduler_interval="step")
    # on_before_step: gradients final, lr not yet changed; on_step_end: after the scheduler
    # step; on_epoch_end: state.epoch advanced and the epoch's sums reset
    assert trace.events == [
        ("train_begin", 0, 0, 0, 0.8, False),
        ("epoch_begin", 0, 0, 0, 0.8, False),
        ("before_step", 0, 0, 1, 0.8, True),
        ("step_end", 0, 1, 1, 0.4, False),
        ("before_step", 0, 1, 2, 0.4, True),
        ("step_end", 0, 2, 2, 0.2, False),
        ("epoch_end", 1, 2, 0, 0.2, False),
        ("epoch_begin", 1, 2, 0, 0.2, False),
        ("before_step", 1, 2, 1, 0.2, True),
        ("step_end", 1, 3, 1, 0.1, False),
        ("before_step", 1, 3, 2, 0.1, True),
        ("step_end", 1, 4, 2, 0.05, False),
        ("epoch_end", 2, 4, 0, 0.05, False),
        ("train_end", 2, 4, 0, 0.05, False),
    ]


def test_epoch_end_sees_the_per_epoch_scheduler_already_stepped():
    trace = _traced_fit(lambda opt: optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5))
    lrs = [(hook, lr) for hook, _, _, _, lr, _ in trace.events if hook != "before_step"]
    assert lrs == [("train_begin", 0.8), ("epoch_begin", 0.8), ("step_end", 0.8),
                   ("step_end", 0.8), ("epoch_end", 0.4), ("epoch_begin", 0.4),
                   ("step_end", 0.4), ("step_end", 0.4), ("epoch_end", 0.2),
                   ("train_end", 0.2)]


def test_progress_bar_counts_the_batches_of_each_epoch(capsys):
    x, y = blobs(48)
    model = mlp()
    # 48 samples in batches of 16: 3 batches per epoch, one bar per epoch of 2
    fit(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1), loader(x, y, 16),
        epochs=2, progress=True)
    err = capsys.readouterr().err
    finals = [line for line in err.replace("\r", "\n").splitlines() if "3/3" in line]
    assert any(line.startswith("epoch 1/2") for line in finals)
    assert any(line.startswith("epoch 2/2") for line in finals)
    assert "/6" not in err and "4/3" not in err and "epoch 3/2" not in err
