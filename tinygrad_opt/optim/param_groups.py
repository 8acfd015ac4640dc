"""`param_groups_weight_decay`: the usual split exempting biases and norm weights from decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor


def param_groups_weight_decay(
    model: Any, weight_decay: float, no_decay: Iterable[str] = ("bias",)
) -> list[dict[str, Any]]:
    """Two parameter groups: [decayed, exempt], named, for any optimizer.

    `model` is a Module (its `named_parameters()` is used) or an iterable of (name, Tensor)
    pairs. A parameter is exempt (weight_decay=0.0) when it has at most one dimension
    (biases, and the weights of BatchNorm/LayerNorm) or when any string of `no_decay` occurs
    in its name. Parameters with requires_grad=False (frozen) are left out, as in timm's
    helper of the same purpose. Both groups carry `param_names`.
    """
    if isinstance(no_decay, str):
        no_decay = (no_decay,)
    no_decay = tuple(no_decay)
    named = model.named_parameters() if hasattr(model, "named_parameters") else model
    decay: list[tuple[str, Tensor]] = []
    exempt: list[tuple[str, Tensor]] = []
    for item in named:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Tensor)):
            raise TypeError(
                "param_groups_weight_decay expects a Module or (name, Tensor) pairs, got "
                f"{type(item).__name__}"
            )
        name, p = item
        if not p.requires_grad:
            continue
        if p.data.ndim <= 1 or any(token in name for token in no_decay):
            exempt.append((name, p))
        else:
            decay.append((name, p))
    return [
        {"params": [p for _, p in decay], "param_names": [n for n, _ in decay],
         "weight_decay": weight_decay},
        {"params": [p for _, p in exempt], "param_names": [n for n, _ in exempt],
         "weight_decay": 0.0},
    ]  # fmt: skip
