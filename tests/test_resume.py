"""Exact resume: 2 epochs in one run == 1 epoch + checkpoint + load in a new process + 1 epoch.

Shuffling (a DataLoader seeded from the package RNG), dropout (the package RNG), AdamW state
and a warmup-cosine schedule all have to come back exactly for the parameters to match bit
for bit.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from exact import assert_same

SCRIPT = r'''
import sys

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import nn, optim
from tinygrad_opt.data import DataLoader, TensorDataset
from tinygrad_opt.loss import cross_entropy
from tinygrad_opt.optim import lr_scheduler
from tinygrad_opt.train import ModelCheckpoint, fit


def build(with_scheduler=True, seed=0):
    tg.manual_seed(seed)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 6)).astype(np.float32)
    y = ((x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)).astype(np.int64)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    optimizer = optim.AdamW(model.parameters(), lr=1e-2)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)  # 8 batches
    scheduler = None
    if with_scheduler:
        scheduler = lr_scheduler.get_cosine_schedule_with_warmup(optimizer, 3, 16)
    return model, optimizer, loader, scheduler


def run(epochs, resume_from=None, checkpoint=None, every_n_steps=None, with_scheduler=True,
        seed=0):
    model, optimizer, loader, scheduler = build(with_scheduler, seed)
    callbacks = []
    if checkpoint is not None:
        every_n_epochs = None if every_n_steps else 1
        callbacks.append(ModelCheckpoint(checkpoint, every_n_epochs, every_n_steps))
    history = fit(model, cross_entropy, optimizer, loader, epochs, scheduler=scheduler,
                  callbacks=callbacks, resume_from=resume_from, progress=False)
    return model, history


if __name__ == "__main__":
    epochs, resume, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    # another seed: only what the checkpoint restores can make this run match
    model, history = run(epochs, resume_from=resume, seed=1)
    arrays = {name: p.data for name, p in model.named_parameters()}
    np.savez(out, loss=np.asarray(history.loss), lr=np.asarray(history.lr), **arrays)
'''


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    path = tmp_path_factory.mktemp("resume") / "resume_script.py"
    path.write_text(SCRIPT)
    namespace = {"__name__": "resume_script"}
    exec(compile(SCRIPT, str(path), "exec"), namespace)
    return path, namespace


def _parameters(model) -> dict[str, np.ndarray]:
    return {name: p.data.copy() for name, p in model.named_parameters()}


def test_resume_in_a_new_process_is_bit_identical(script, tmp_path):
    path, ns = script
    checkpoint = tmp_path / "epoch1.tgo"
    ns["run"](1, checkpoint=checkpoint)
    out = tmp_path / "resumed.npz"
    subprocess.run(
        [sys.executable, str(path), "2", str(checkpoint), str(out)],
        check=True, capture_output=True, timeout=300,
    )
    model, history = ns["run"](2)
    resumed = np.load(out)
    for name, value in _parameters(model).items():
        np.testing.assert_array_equal(resumed[name], value, err_msg=name)
    np.testing.assert_array_equal(resumed["loss"], history.loss)
    np.testing.assert_array_equal(resumed["lr"], history.lr)
    assert len(history.loss) == 16
    # the check can fail: from scratch, the other seed trains to other parameters
    other, _ = ns["run"](2, seed=1)
    assert not np.array_equal(_parameters(other)["0.weight"], _parameters(model)["0.weight"])


def test_resume_from_the_middle_of_an_epoch_is_bit_identical(script, tmp_path):
    _, ns = script
    checkpoint = tmp_path / "step5.tgo"
    ns["run"](1, checkpoint=checkpoint, every_n_steps=5)  # saved after batch 5 of 8
    resumed_model, resumed_history = ns["run"](2, resume_from=checkpoint, seed=1)
    model, history = ns["run"](2)
    for name, value in _parameters(model).items():
        np.testing.assert_array_equal(_parameters(resumed_model)[name], value, err_msg=name)
    assert resumed_history.loss == history.loss
    assert resumed_history.train_loss == history.train_loss


def test_resume_after_the_last_step_of_an_epoch_does_not_repeat_it(script, tmp_path):
    _, ns = script
    checkpoint = tmp_path / "step8.tgo"
    ns["run"](1, checkpoint=checkpoint, every_n_steps=8)  # the epoch's last step
    resumed_model, resumed_history = ns["run"](2, resume_from=checkpoint, seed=1)
    model, history = ns["run"](2)
    for name, value in _parameters(model).items():
        np.testing.assert_array_equal(_parameters(resumed_model)[name], value, err_msg=name)
    assert resumed_history.epochs == history.epochs | {
        key: resumed_history.epochs[key] for key in ("seconds", "samples_per_second")
    }


def test_resume_with_finished_epochs_trains_no_more(script, tmp_path):
    _, ns = script
    checkpoint = tmp_path / "done.tgo"
    model, _ = ns["run"](1, checkpoint=checkpoint)
    again, history = ns["run"](1, resume_from=checkpoint, seed=1)
    assert len(history) == 1 and len(history.loss) == 8
    for name, value in _parameters(model).items():
        np.testing.assert_array_equal(_parameters(again)[name], value)


def test_resume_refuses_a_mismatched_checkpoint_and_changes_nothing(script, tmp_path):
    _, ns = script
    import copy

    from tinygrad_opt.loss import cross_entropy
    from tinygrad_opt.random import get_rng_state
    from tinygrad_opt.train import fit

    checkpoint = tmp_path / "no_scheduler.tgo"
    ns["run"](1, checkpoint=checkpoint, with_scheduler=False)
    model, optimizer, loader, scheduler = ns["build"]()
    for _ in range(2):  # optimizer state of its own (2 steps; the checkpoint holds 8)
        for p in model.parameters():
            p.grad = np.ones_like(p.data)
        optimizer.step()
        scheduler.step()
    before = _parameters(model)
    optimizer_before = copy.deepcopy(optimizer.state_dict())
    assert optimizer_before["state"][0]["step"] == 2
    rng_before = copy.deepcopy(get_rng_state())
    loader_before = copy.deepcopy(loader.state_dict())

    with pytest.raises(ValueError, match="no scheduler state"):
        fit(model, cross_entropy, optimizer, loader, 2, scheduler=scheduler,
            resume_from=checkpoint, progress=False)
    for name, value in before.items():
        np.testing.assert_array_equal(_parameters(model)[name], value)
    assert_same(optimizer.state_dict(), optimizer_before)
    assert get_rng_state() == rng_before
    assert loader.state_dict() == loader_before


def test_refuses_a_file_that_is_not_a_training_checkpoint(script, tmp_path):
    import tinygrad_opt as tg
    from tinygrad_opt.train import load_checkpoint

    _, ns = script
    model, optimizer, _, _ = ns["build"](with_scheduler=False)
    tg.save(model.state_dict(), tmp_path / "weights.tgo")
    with pytest.raises(ValueError, match="not a tinygrad_opt training checkpoint"):
        load_checkpoint(tmp_path / "weights.tgo", model, optimizer)


def test_save_and_load_checkpoint_for_a_hand_written_loop(script, tmp_path):
    import tinygrad_opt as tg
    from tinygrad_opt.random import generator
    from tinygrad_opt.train import load_checkpoint, save_checkpoint

    _, ns = script
    model, optimizer, loader, scheduler = ns["build"]()
    for _ in range(3):
        scheduler.step()
    save_checkpoint(tmp_path / "manual.tgo", model, optimizer, scheduler=scheduler,
                    train_loader=loader, epoch=2, global_step=3)
    expected_draw = generator().random(4)

    other_model, other_optimizer, other_loader, other_scheduler = ns["build"]()
    tg.manual_seed(99)
    progress = load_checkpoint(tmp_path / "manual.tgo", other_model, other_optimizer,
                               scheduler=other_scheduler, train_loader=other_loader)
    assert progress == {"epoch": 2, "global_step": 3, "batch_in_epoch": 0}
    assert other_scheduler.get_last_lr() == scheduler.get_last_lr()
    assert other_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]
    np.testing.assert_array_equal(generator().random(4), expected_draw)
    for name, value in _parameters(model).items():
        np.testing.assert_array_equal(_parameters(other_model)[name], value)


@pytest.mark.parametrize("mismatch", ["batch_size", "optimizer"])
def test_a_checkpoint_one_part_refuses_changes_nothing(script, tmp_path, mismatch):
    # The model loads first; the loader (another batch size) or the optimizer (another kind)
    # refuses its state afterwards: the model and optimizer must be left as they were.
    import copy

    from tinygrad_opt import optim
    from tinygrad_opt.data import DataLoader
    from tinygrad_opt.loss import cross_entropy
    from tinygrad_opt.train import fit

    _, ns = script
    checkpoint = tmp_path / "epoch1.tgo"
    ns["run"](1, checkpoint=checkpoint, with_scheduler=False)
    model, optimizer, loader, _ = ns["build"](with_scheduler=False, seed=1)
    if mismatch == "batch_size":
        loader = DataLoader(loader.dataset, batch_size=8, shuffle=True)
        match = "batch_size"
    else:
        optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        match = "exp_avg"
    before = _parameters(model)
    optimizer_before = copy.deepcopy(optimizer.state_dict())

    with pytest.raises(ValueError, match=match):
        fit(model, cross_entropy, optimizer, loader, 2, resume_from=checkpoint, progress=False)
    for name, value in before.items():
        np.testing.assert_array_equal(_parameters(model)[name], value)
    assert_same(optimizer.state_dict(), optimizer_before)


def test_a_shuffled_validation_loader_resumes_its_order(tmp_path):
    """A shuffled validation loader's order decides how val_loss rounds (batch by batch), so
    a resumed run must continue that order for the metric, and a plateau scheduler reading
    it, to match the uninterrupted run bit for bit."""
    from tinygrad_opt import nn, optim
    from tinygrad_opt import random as package_random
    from tinygrad_opt.data import DataLoader, TensorDataset
    from tinygrad_opt.loss import cross_entropy
    from tinygrad_opt.train import ModelCheckpoint, fit

    def run(epochs, resume_from=None, checkpoint=None):
        package_random.manual_seed(0)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(48, 6)).astype(np.float32)
        y = (x[:, 0] > 0).astype(np.int64)
        x_val = (rng.normal(size=(101, 6)) * 30).astype(np.float32)
        y_val = rng.integers(0, 3, 101)
        model = nn.Linear(6, 3)
        optimizer = optim.SGD(model.parameters(), lr=1e-3)
        loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, seed=1)
        val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=7, shuffle=True, seed=2)
        callbacks = [ModelCheckpoint(checkpoint, 1)] if checkpoint else []
        return fit(model, cross_entropy, optimizer, loader, epochs, val_loader=val_loader,
                   callbacks=callbacks, resume_from=resume_from, progress=False)

    full = run(4)
    run(1, checkpoint=tmp_path / "epoch1.tgo")
    resumed = run(4, resume_from=tmp_path / "epoch1.tgo")
    assert resumed.epochs["val_loss"] == full.epochs["val_loss"]
