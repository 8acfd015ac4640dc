"""Momentum cycling shared by OneCycleLR and CyclicLR.

The cycled value is SGD-style `momentum`, or the first of Adam-style `betas` when the
optimizer has `betas` (PyTorch's rule: `'betas' in optimizer.defaults`).
"""

from __future__ import annotations

from typing import Any


def uses_beta1(optimizer: Any) -> bool:
    """True if momentum is cycled through `betas[0]`; ValueError if there is nothing to cycle."""
    defaults = getattr(optimizer, "defaults", None)
    if not isinstance(defaults, dict):
        groups = optimizer.param_groups
        defaults = groups[0] if groups else {}
    if "momentum" not in defaults and "betas" not in defaults:
        raise ValueError(
            "optimizer must support momentum or beta1 with `cycle_momentum` option enabled "
            "(pass cycle_momentum=False for optimizers without either)"
        )
    return "betas" in defaults


def set_momentum(group: dict, momentum: float, use_beta1: bool) -> None:
    """Write `momentum` into a param group as `betas[0]` or `momentum`."""
    if use_beta1:
        group["betas"] = (momentum, *tuple(group["betas"])[1:])
    else:
        group["momentum"] = momentum


def get_momentum(group: dict, use_beta1: bool) -> float:
    return float(group["betas"][0] if use_beta1 else group["momentum"])
