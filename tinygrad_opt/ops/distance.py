"""Pairwise p-norm distances between two sets of row vectors (torch.cdist), computed from
the broadcast differences, with PyTorch's gradient (0 where a distance is 0)."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .arithmetic import operands

_COMPUTE_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


def cdist(
    x1: Tensor, x2, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"
) -> Tensor:
    """out[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p for x1 (*, P, M), x2 (*, R, M)
    (batch dimensions broadcast). p = 0 counts differing coordinates, p = inf takes the
    largest |difference|. `compute_mode` is accepted and checked; the differences are always
    formed directly (PyTorch's matrix-product shortcut trades accuracy for speed)."""
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(
            f"cdist: compute_mode must be one of {_COMPUTE_MODES}, got {compute_mode!r}"
        )
    if p < 0:
        raise ValueError(f"cdist: p must be non-negative, got {p}")
    a, b, x2 = operands("cdist", x1, x2)
    if a.dtype.kind != "f":
        raise TypeError(f"cdist: needs floating-point tensors, got {a.dtype}")
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"cdist: expects x1 (*, P, M) and x2 (*, R, M) with equal M, got {a.shape} and "
            f"{b.shape}"
        )
    d = a[..., :, None, :] - b[..., None, :, :]
    magnitude = np.abs(d)
    p = float(p)
    if p == 0:
        out = np.count_nonzero(d, axis=-1).astype(a.dtype)
    elif p == np.inf:
        out = np.max(magnitude, axis=-1) if d.shape[-1] else np.zeros(d.shape[:-1], a.dtype)
    else:
        out = np.sum(magnitude**p, axis=-1) ** (1 / p)
    out = out.astype(a.dtype, copy=False)
    need = (x1.requires_grad, x2.requires_grad)

    def backward(g):
        kept = out[..., None]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == 0:
                local = np.zeros_like(d)
            elif p == np.inf:
                local = np.sign(d) * (magnitude == kept)
            elif p == 1:
                local = np.sign(d)
            else:
                local = np.sign(d) * (magnitude / kept) ** (p - 1)
        local = np.where((kept == 0) | ~np.isfinite(local), 0, local)
        gd = g[..., None] * local
        return (np.sum(gd, axis=-2) if need[0] else None,
                -np.sum(gd, axis=-3) if need[1] else None)

    return Tensor.make(out, (x1, x2), backward)
