"""Every optimizer's defaults, written out as literals from their sources.

The reference tests read their hyperparameters back from `opt.param_groups`, so a wrong
default (Adam eps 1e-6 instead of 1e-8, say) passes all of them: only a literal table
catches it. The torch.optim values were checked against PyTorch's documentation (the class
signatures on docs.pytorch.org / pytorch.org/docs/stable, torch.optim.<Name>); the Lion,
LAMB, LARS and AdaBelief values are the ones fixed in API.md (optim section). Only keys
with a documented default are tabled; options PyTorch has and we don't (foreach, capturable,
differentiable, fused) are left out.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_opt import Tensor, optim

DEFAULTS = {
    # torch.optim.SGD docs: SGD(params, lr=0.001, momentum=0, dampening=0, weight_decay=0,
    # nesterov=False, *, maximize=False, ...)
    "SGD": dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                maximize=False),
    # torch.optim.Adagrad docs: Adagrad(params, lr=0.01, lr_decay=0, weight_decay=0,
    # initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False, ...)
    "Adagrad": dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                    eps=1e-10, maximize=False),
    # torch.optim.RMSprop docs: RMSprop(params, lr=0.01, alpha=0.99, eps=1e-08,
    # weight_decay=0, momentum=0, centered=False, ..., maximize=False, ...)
    "RMSprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                    centered=False, maximize=False),
    # torch.optim.Adam docs: Adam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08,
    # weight_decay=0, amsgrad=False, *, ..., maximize=False, ..., decoupled_weight_decay=False)
    "Adam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 maximize=False, decoupled_weight_decay=False),
    # torch.optim.AdamW docs: AdamW(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08,
    # weight_decay=0.01, amsgrad=False, *, maximize=False, ...)
    "AdamW": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                  maximize=False),
    # torch.optim.NAdam docs: NAdam(params, lr=0.002, betas=(0.9, 0.999), eps=1e-08,
    # weight_decay=0, momentum_decay=0.004, decoupled_weight_decay=False, *, ...,
    # maximize=False, ...)
    "NAdam": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                  momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False),
    # torch.optim.RAdam docs: RAdam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08,
    # weight_decay=0, decoupled_weight_decay=False, *, ..., maximize=False, ...)
    "RAdam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                  decoupled_weight_decay=False, maximize=False),
    # torch.optim.Adamax docs: Adamax(params, lr=0.002, betas=(0.9, 0.999), eps=1e-08,
    # weight_decay=0, foreach=None, *, maximize=False, ...)
    "Adamax": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False),
    # torch.optim.Adadelta docs: Adadelta(params, lr=1.0, rho=0.9, eps=1e-06,
    # weight_decay=0, ..., maximize=False, ...)
    "Adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False),
    # torch.optim.Adafactor docs: Adafactor(params, lr=0.01, beta2_decay=-0.8,
    # eps=(None, 0.001), d=1.0, weight_decay=0.0, *, foreach=None, maximize=False)
    "Adafactor": dict(lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0,
                      maximize=False),
    # torch.optim.LBFGS docs: LBFGS(params, lr=1, max_iter=20, max_eval=None,
    # tolerance_grad=1e-07, tolerance_change=1e-09, history_size=100, line_search_fn=None);
    # max_eval=None means max_iter * 1.25, stored in the group as max_iter * 5 // 4 = 25
    "LBFGS": dict(lr=1.0, max_iter=20, max_eval=25, tolerance_grad=1e-7,
                  tolerance_change=1e-9, history_size=100, line_search_fn=None),
    # API.md (optim): Lion(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0)
    "Lion": dict(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0),
    # API.md (optim): LAMB(lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0)
    "LAMB": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0),
    # API.md (optim): LARS(lr, momentum=0.9, weight_decay=0.0, trust_coefficient=0.001);
    # lr has no default, so the test passes it and it is not tabled
    "LARS": dict(momentum=0.9, weight_decay=0.0, trust_coefficient=0.001),
    # API.md (optim): AdaBelief(lr=1e-3, betas=(0.9, 0.999), eps=1e-16, weight_decay=0.0)
    "AdaBelief": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-16, weight_decay=0.0),
    # torch.optim.Rprop docs: Rprop(params, lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-06, 50),
    # *, capturable=False, foreach=None, maximize=False, differentiable=False)
    "Rprop": dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False),
    # torch.optim.ASGD docs: ASGD(params, lr=0.01, lambd=0.0001, alpha=0.75, t0=1000000.0,
    # weight_decay=0, foreach=None, maximize=False, differentiable=False, capturable=False)
    "ASGD": dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False),
}  # fmt: skip

# arguments an optimizer cannot be built without (none of them is tabled)
REQUIRED = {"LARS": {"lr": 0.5}}


def test_every_optimizer_has_a_table():
    names = {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam", "Adamax",
             "Adadelta", "Adafactor", "LBFGS", "Lion", "LAMB", "LARS", "AdaBelief"}  # fmt: skip
    names |= {"Rprop", "ASGD"}
    assert set(DEFAULTS) == names
    for name in REQUIRED:
        assert not set(REQUIRED[name]) & set(DEFAULTS[name])


def _same(actual, expected):
    if isinstance(expected, bool) or expected is None:
        return actual is expected  # False must not pass as 0, nor None as 0
    if isinstance(expected, tuple):
        return isinstance(actual, (tuple, list)) and tuple(actual) == expected
    return not isinstance(actual, bool) and actual == expected


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_defaults_are_the_documented_ones(name):
    params = [Tensor(np.zeros((2, 3)), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)]
    opt = getattr(optim, name)(params, **REQUIRED.get(name, {}))
    group = opt.param_groups[0]
    wrong = {
        key: (group.get(key, "<missing>"), expected)
        for key, expected in DEFAULTS[name].items()
        if key not in group or not _same(group[key], expected)
    }
    assert not wrong, f"{name} defaults differ (ours, documented): {wrong}"
    for key, value in REQUIRED.get(name, {}).items():
        assert group[key] == value
