"""Pairwise p-norm distances between two sets of row vectors (torch.cdist), with PyTorch's
gradient (0 where a distance is 0): from the broadcast differences (P x R x M memory), or
for p = 2 on more than 25 rows, as PyTorch, from matrix products (P x R memory)."""

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
    largest |difference|. `compute_mode` as PyTorch's: for p = 2, the default uses
    sqrt(|x1_i|^2 + |x2_j|^2 - 2 x1_i . x2_j) when P > 25 or R > 25 (memory P x R instead of
    P x R x M, less accurate for close points), 'use_mm_for_euclid_dist' always, and
    'donot_use_mm_for_euclid_dist' never."""
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
    p = float(p)
    if p == 2 and (
        compute_mode == "use_mm_for_euclid_dist"
        or (compute_mode == _COMPUTE_MODES[0] and (a.shape[-2] > 25 or b.shape[-2] > 25))
    ):
        return _euclidean_by_products(x1, x2, a, b)
    d = a[..., :, None, :] - b[..., None, :, :]
    magnitude = np.abs(d)
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


def _euclidean_by_products(x1: Tensor, x2: Tensor, a: np.ndarray, b: np.ndarray) -> Tensor:
    """cdist for p = 2 from |a_i|^2 + |b_j|^2 - 2 a_i . b_j (clamped at 0), never forming the
    differences; the gradient (a_i - b_j) g / d summed over j is expanded the same way."""
    bt = np.swapaxes(b, -1, -2)
    squared = (a * a).sum(-1)[..., :, None] + (b * b).sum(-1)[..., None, :] - 2 * (a @ bt)
    out = np.sqrt(np.maximum(squared, 0)).astype(a.dtype, copy=False)
    need = (x1.requires_grad, x2.requires_grad)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(out == 0, 0, g / out)
        ga = ratio.sum(-1)[..., None] * a - ratio @ b if need[0] else None
        gb = ratio.sum(-2)[..., None] * b - np.swapaxes(ratio, -1, -2) @ a if need[1] else None
        return ga, gb

    return Tensor.make(out, (x1, x2), backward)
