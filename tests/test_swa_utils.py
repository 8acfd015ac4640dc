"""optim.swa_utils: AveragedModel (SWA and EMA), SWALR and update_bn against closed forms
and numpy references written here."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from tinygrad_opt import Tensor, data, nn
from tinygrad_opt.optim import SGD, lr_scheduler, swa_utils
from tinygrad_opt.optim.swa_utils import (
    SWALR,
    AveragedModel,
    get_ema_avg_fn,
    get_ema_multi_avg_fn,
    get_swa_avg_fn,
    get_swa_multi_avg_fn,
    update_bn,
)


def make_model():
    return nn.Sequential(
        nn.Linear(3, 4).double(), nn.BatchNorm1d(4, dtype=np.float64), nn.Linear(4, 2).double()
    )


def random_states(model, count, seed=0):
    """`count` made-up states of `model` (parameters and float buffers), as numpy dicts,
    with num_batches_tracked growing as training would."""
    rng = np.random.default_rng(seed)
    states = []
    for k in range(count):
        state = {}
        for key, value in model.state_dict().items():
            if value.dtype.kind == "f":
                state[key] = rng.standard_normal(value.shape)
            else:
                state[key] = np.array(3 * k + 2, dtype=value.dtype)
        states.append(state)
    return states


def feed(averaged, model, states):
    for state in states:
        model.load_state_dict(state)
        averaged.update_parameters(model)


PARAMS = ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"]
FLOAT_BUFFERS = ["1.running_mean", "1.running_var"]


# ------------------------------------------------------------------------- AveragedModel
@pytest.mark.parametrize("rule", ["default", "avg_fn", "multi_avg_fn"])
def test_equal_average_is_the_mean_of_every_state(rule):
    model = make_model()
    kwargs = {"default": {}, "avg_fn": {"avg_fn": get_swa_avg_fn()},
              "multi_avg_fn": {"multi_avg_fn": get_swa_multi_avg_fn()}}[rule]  # fmt: skip
    averaged = AveragedModel(model, **kwargs)
    states = random_states(model, 5)
    feed(averaged, model, states)
    saved = averaged.state_dict()
    assert int(saved["n_averaged"]) == 5
    for key in PARAMS:
        expected = sum(s[key] for s in states) / len(states)
        np.testing.assert_allclose(saved["module." + key], expected, rtol=1e-13, atol=1e-14)
    # use_buffers=False: the buffers are the model's latest, not averaged
    for key in [*FLOAT_BUFFERS, "1.num_batches_tracked"]:
        np.testing.assert_array_equal(saved["module." + key], states[-1][key])


def test_equal_average_with_buffers_averages_them_too():
    model = make_model()
    averaged = AveragedModel(model, use_buffers=True)
    states = random_states(model, 6, seed=1)
    feed(averaged, model, states)
    saved = averaged.state_dict()
    for key in PARAMS + FLOAT_BUFFERS:
        expected = np.mean([s[key] for s in states], axis=0)
        np.testing.assert_allclose(saved["module." + key], expected, rtol=1e-13, atol=1e-14)
    # an integer buffer follows the same rule, truncated toward zero at each update
    count = 0
    for n, state in enumerate(states):
        value = int(state["1.num_batches_tracked"])
        count = value if n == 0 else math.trunc(count + (value - count) / (n + 1))
    assert int(saved["module.1.num_batches_tracked"]) == count


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("form", ["multi", "single"])
def test_ema_matches_its_closed_form(form, use_buffers):
    decay = 0.8
    model = make_model()
    if form == "multi":
        averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay),
                                 use_buffers=use_buffers)  # fmt: skip
    else:
        averaged = AveragedModel(model, avg_fn=get_ema_avg_fn(decay), use_buffers=use_buffers)
    states = random_states(model, 5, seed=2)
    feed(averaged, model, states)
    saved = averaged.state_dict()
    last = len(states) - 1

    def closed_form(key):
        # the first state is copied, then each update mixes in (1 - decay) of the new one
        total = decay**last * states[0][key]
        for k in range(1, len(states)):
            total = total + (1 - decay) * decay ** (last - k) * states[k][key]
        return total

    for key in PARAMS:
        np.testing.assert_allclose(saved["module." + key], closed_form(key), rtol=1e-12)
    for key in FLOAT_BUFFERS:
        expected = closed_form(key) if use_buffers else states[-1][key]
        np.testing.assert_allclose(saved["module." + key], expected, rtol=1e-12)


def test_ema_default_decay_and_bounds():
    ema = get_ema_avg_fn()
    assert ema(np.array(1.0), np.array(0.0), 3) == pytest.approx(0.999, rel=1e-15)
    ema_list = get_ema_multi_avg_fn()
    a = np.array([1.0, 2.0])
    ema_list([a], [np.zeros(2)], 1)
    np.testing.assert_allclose(a, [0.999, 1.998], rtol=1e-15)
    for make in (get_ema_avg_fn, get_ema_multi_avg_fn):
        for bad in (-0.1, 1.5):
            with pytest.raises(ValueError, match=rf"Invalid decay value {bad}.*\[0,1\]"):
                make(bad)
        with pytest.raises(TypeError, match="decay"):
            make("0.9")


def test_custom_avg_fn_gets_tensors_and_the_count():
    model = nn.Linear(2, 1).double()
    seen = []

    def avg_fn(averaged, current, n_averaged):
        seen.append((type(averaged), type(current), int(n_averaged)))
        return averaged.data * 0 + 2 * current.data  # an array is accepted too

    averaged = AveragedModel(model, avg_fn=avg_fn)
    for value in (1.0, 3.0, 5.0):
        model.weight.data[...] = value
        averaged.update_parameters(model)
    # the first update copies; two more call avg_fn once per parameter
    assert seen == [(Tensor, Tensor, 1)] * 2 + [(Tensor, Tensor, 2)] * 2
    np.testing.assert_array_equal(averaged.module.weight.data, [[10.0, 10.0]])


def test_multi_avg_fn_is_called_once_per_dtype():
    model = make_model()
    calls = []

    def multi(averaged_list, current_list, n_averaged):
        calls.append(([a.data.dtype for a in averaged_list], len(current_list), int(n_averaged)))

    averaged = AveragedModel(model, multi_avg_fn=multi, use_buffers=True)
    feed(averaged, model, random_states(model, 2))
    assert calls == [([np.dtype(np.float64)] * 8, 8, 1), ([np.dtype(np.int64)], 1, 1)]


def test_averaged_model_is_a_deep_copy_and_forward_runs_it():
    shared = nn.Linear(2, 2).double()
    model = nn.Sequential(shared, nn.ReLU(), shared)  # the same layer twice
    averaged = AveragedModel(model)
    copied = averaged.module
    assert copied[0] is copied[2] and copied[0] is not shared  # sharing survives the copy
    assert not np.shares_memory(copied[0].weight.data, shared.weight.data)
    before = copied[0].weight.data.copy()
    shared.weight.data[...] += 1.0
    np.testing.assert_array_equal(copied[0].weight.data, before)
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    w, b = copied[0].weight.data, copied[0].bias.data
    expected = np.maximum(x @ w.T + b, 0) @ w.T + b
    np.testing.assert_allclose(averaged(Tensor(x)).data, expected, rtol=1e-14)
    assert len(list(averaged.parameters())) == 2


def test_averaged_model_state_dict_keys_and_resume():
    model = make_model()
    averaged = AveragedModel(model, use_buffers=True)
    states = random_states(model, 6, seed=3)
    feed(averaged, model, states[:3])
    saved = averaged.state_dict()
    assert list(saved) == ["n_averaged"] + ["module." + k for k in model.state_dict()]
    assert saved["n_averaged"].dtype == np.int64 and saved["n_averaged"].shape == ()
    resumed = AveragedModel(make_model(), use_buffers=True)
    resumed.load_state_dict(saved)
    feed(averaged, model, states[3:])
    feed(resumed, model, states[3:])
    assert int(resumed.n_averaged.data) == 6
    for key, value in averaged.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value)
    for key in PARAMS:
        expected = np.mean([s[key] for s in states], axis=0)
        np.testing.assert_allclose(resumed.state_dict()["module." + key], expected, rtol=1e-13)


def test_averaged_model_rejects_bad_input_and_a_mismatch_changes_nothing():
    model = make_model()
    with pytest.raises(ValueError, match="only one of avg_fn and multi_avg_fn"):
        AveragedModel(model, avg_fn=get_swa_avg_fn(), multi_avg_fn=get_swa_multi_avg_fn())
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        AveragedModel([1, 2])
    with pytest.raises(TypeError, match="avg_fn must be callable"):
        AveragedModel(model, avg_fn=3)
    with pytest.raises(ValueError, match="CPU only"):
        AveragedModel(model, device="cuda")
    averaged = AveragedModel(model)
    averaged.update_parameters(model)
    before = averaged.state_dict()
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 3))
    with pytest.raises(ValueError, match=r"'2.weight' has shape \(3, 4\) in the model"):
        averaged.update_parameters(other)
    with pytest.raises(ValueError, match="has 2 parameters but the averaged model has 6"):
        averaged.update_parameters(nn.Linear(3, 4))
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        averaged.update_parameters("model")
    for key, value in averaged.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_module_deepcopy_is_independent():
    model = make_model()
    model[1].running_mean.data[...] = 1.5
    clone = copy.deepcopy(model)
    for (name, a), (_, b) in zip(model.state_dict().items(), clone.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    for p, q in zip(model.parameters(), clone.parameters()):
        assert p is not q and q.requires_grad and q.is_leaf
    clone[1].running_mean.data[...] = 0.0
    assert np.all(model[1].running_mean.data == 1.5)


# -------------------------------------------------------------------------------- SWALR
def swalr_reference(start, swa_lr, anneal_epochs, strategy, k):
    """The documented schedule: alpha(t) from k / anneal_epochs, clipped to [0, 1]."""
    t = 1.0 if anneal_epochs == 0 else min(1.0, k / anneal_epochs)
    alpha = t if strategy == "linear" else (1 - math.cos(math.pi * t)) / 2
    return alpha * swa_lr + (1 - alpha) * start


def two_group_sgd(lrs=(0.5, 0.2)):
    groups = [{"params": [Tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return SGD(groups, lr=lrs[0])


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 4, 7])
def test_swalr_follows_its_closed_form_step_by_step(strategy, anneal_epochs):
    opt = two_group_sgd()
    swa_lrs = [0.05, 0.01]
    scheduler = SWALR(opt, swa_lr=swa_lrs, anneal_epochs=anneal_epochs,
                      anneal_strategy=strategy)  # fmt: skip
    assert [g["swa_lr"] for g in opt.param_groups] == swa_lrs
    for k in range(12):
        if k:
            scheduler.step()
        for group, start, swa_lr in zip(opt.param_groups, (0.5, 0.2), swa_lrs):
            expected = swalr_reference(start, swa_lr, anneal_epochs, strategy, k)
            assert group["lr"] == pytest.approx(expected, rel=1e-13, abs=1e-16), (k, group)
        assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups]
        assert scheduler.last_epoch == k


def test_swalr_anneals_from_the_lr_another_scheduler_left():
    opt = two_group_sgd(lrs=(0.4, 0.4))
    cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    swa = SWALR(opt, swa_lr=0.02, anneal_epochs=3, anneal_strategy="linear")
    for _ in range(4):
        cosine.step()
    start = 0.4 * (1 + math.cos(math.pi * 4 / 10)) / 2
    assert opt.param_groups[0]["lr"] == pytest.approx(start, rel=1e-14)
    for k in range(1, 6):
        swa.step()
        expected = swalr_reference(start, 0.02, 3, "linear", k)
        assert opt.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-13)


def test_swalr_state_dict_resumes_exactly():
    opt = two_group_sgd()
    scheduler = SWALR(opt, swa_lr=0.05, anneal_epochs=6)
    for _ in range(3):
        scheduler.step()
    saved = scheduler.state_dict()
    assert set(saved) == {"anneal_epochs", "_anneal_strategy", "base_lrs", "last_epoch",
                          "_step_count", "_last_lr"}  # fmt: skip
    fresh_opt = two_group_sgd()
    resumed = SWALR(fresh_opt, swa_lr=0.05, anneal_epochs=6)
    resumed.load_state_dict(saved)
    assert [g["lr"] for g in fresh_opt.param_groups] == [g["lr"] for g in opt.param_groups]
    for k in range(4, 9):
        scheduler.step()
        resumed.step()
        assert resumed.get_last_lr() == scheduler.get_last_lr()
        expected = swalr_reference(0.5, 0.05, 6, "cos", k)
        assert fresh_opt.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-13)
    bad = dict(saved, _anneal_strategy="exp")
    with pytest.raises(ValueError, match="'cos' or 'linear'"):
        resumed.load_state_dict(bad)


def test_swalr_step_with_epoch_anneals_one_step():
    opt = two_group_sgd()
    scheduler = SWALR(opt, swa_lr=0.1, anneal_epochs=4, anneal_strategy="linear")
    scheduler.step(10)
    assert scheduler.last_epoch == 10
    assert opt.param_groups[0]["lr"] == pytest.approx(0.25 * 0.1 + 0.75 * 0.5, rel=1e-14)


def test_swalr_rejects_bad_input_and_leaves_the_optimizer_alone():
    opt = two_group_sgd()
    before = copy.deepcopy([{k: v for k, v in g.items() if k != "params"}
                            for g in opt.param_groups])  # fmt: skip
    cases = [
        (dict(swa_lr=0.1, anneal_strategy="exp"), ValueError, "'cos' or 'linear'"),
        (dict(swa_lr=0.1, anneal_epochs=-1), ValueError, "anneal_epochs"),
        (dict(swa_lr=0.1, anneal_epochs=2.0), TypeError, "anneal_epochs"),
        (dict(swa_lr=[0.1, 0.2, 0.3]), ValueError, "swa_lr must have the same length"),
        (dict(swa_lr=-0.1), ValueError, "swa_lr"),
        (dict(swa_lr="0.1"), TypeError, "swa_lr"),
        (dict(swa_lr=0.1, last_epoch=3), ValueError, "initial_lr"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error, match=message):
            SWALR(opt, **kwargs)
        after = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
        assert after == before, kwargs


# ----------------------------------------------------------------------------- update_bn
def batch_norm_train(h, gamma, beta, eps=1e-5):
    return (h - h.mean(0)) / np.sqrt(h.var(0) + eps) * gamma + beta


def test_update_bn_averages_batch_statistics_over_the_loader():
    rng = np.random.default_rng(7)
    model = nn.Sequential(
        nn.Linear(3, 4).double(), nn.BatchNorm1d(4, momentum=0.3, dtype=np.float64), nn.ReLU(),
        nn.Linear(4, 2).double(), nn.BatchNorm1d(2, dtype=np.float64),
    )  # fmt: skip
    for bn in (model[1], model[4]):
        bn.weight.data[...] = rng.uniform(0.5, 2.0, bn.weight.data.shape)
        bn.bias.data[...] = rng.standard_normal(bn.bias.data.shape)
        bn.running_mean.data[...] = 9.0  # stale statistics update_bn must discard
        bn.running_var.data[...] = 9.0
    model.eval()
    x = rng.standard_normal((10, 3)) * 2 + 1
    loader = data.DataLoader(data.TensorDataset(x, np.zeros(10)), batch_size=4)  # 4, 4, 2
    update_bn(loader, model)

    # the numpy reference: each batch through the network in training mode
    (l1, bn1, _, l2, bn2) = model
    stats1, stats2 = [], []
    for start in range(0, 10, 4):
        xb = x[start : start + 4]
        h1 = xb @ l1.weight.data.T + l1.bias.data
        stats1.append((h1.mean(0), h1.var(0, ddof=1)))
        a1 = np.maximum(batch_norm_train(h1, bn1.weight.data, bn1.bias.data), 0)
        h2 = a1 @ l2.weight.data.T + l2.bias.data
        stats2.append((h2.mean(0), h2.var(0, ddof=1)))
    for bn, stats in ((bn1, stats1), (bn2, stats2)):
        # momentum=None: the plain average over the three batches of each batch's statistics
        np.testing.assert_allclose(bn.running_mean.data, np.mean([m for m, _ in stats], 0),
                                   rtol=1e-12, atol=1e-14)  # fmt: skip
        np.testing.assert_allclose(bn.running_var.data, np.mean([v for _, v in stats], 0),
                                   rtol=1e-12)  # fmt: skip
        assert int(bn.num_batches_tracked.data) == 3
    assert bn1.momentum == 0.3 and bn2.momentum == 0.1  # restored
    assert not model.training and not bn1.training  # the mode it had


def test_update_bn_over_one_batch_gives_the_exact_statistics():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((12, 2, 3, 3)) * [[[[1.0]], [[3.0]]]] + [[[[0.5]], [[-2.0]]]]
    model = nn.Sequential(nn.BatchNorm2d(2, dtype=np.float64))
    update_bn([Tensor(x)], model)  # bare tensors work as batches too
    per_channel = x.transpose(1, 0, 2, 3).reshape(2, -1)
    np.testing.assert_allclose(model[0].running_mean.data, per_channel.mean(1), rtol=1e-13)
    np.testing.assert_allclose(model[0].running_var.data, per_channel.var(1, ddof=1), rtol=1e-13)
    assert model.training


def test_update_bn_with_equal_batches_gives_the_whole_loader_mean():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((12, 3)) * 4 - 1
    model = nn.Sequential(nn.BatchNorm1d(3, dtype=np.float64))
    update_bn(data.DataLoader(data.TensorDataset(x), batch_size=3), model)
    np.testing.assert_allclose(model[0].running_mean.data, x.mean(0), rtol=1e-13)
    within = np.mean([x[i : i + 3].var(0, ddof=1) for i in range(0, 12, 3)], axis=0)
    np.testing.assert_allclose(model[0].running_var.data, within, rtol=1e-13)


def test_update_bn_restores_momentum_and_mode_when_the_model_raises():
    model = nn.Sequential(nn.BatchNorm1d(3, momentum=0.2, dtype=np.float64))
    model.eval()
    with pytest.raises(ValueError, match="expected input of shape"):
        update_bn([Tensor(np.ones((4, 5)))], model)
    assert model[0].momentum == 0.2 and not model.training
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        update_bn([], object())
    with pytest.raises(ValueError, match="CPU only"):
        update_bn([], model, device="cuda:0")
    update_bn([np.ones(2)], nn.Linear(2, 2))  # no BatchNorm: nothing to do, nothing run


def test_swa_utils_is_reachable_as_in_torch():
    assert swa_utils.AveragedModel is AveragedModel
    assert {"AveragedModel", "SWALR", "update_bn"} <= set(swa_utils.__all__)
