"""`normalize` and `cosine_similarity` as in torch.nn.functional, each one graph node;
`pairwise_distance`, and the modules `PairwiseDistance` and `CosineSimilarity`.

Both divide by a norm clamped at `eps`; they differ, as in torch, in what the gradient sees
below the clamp: `normalize` clamps with clamp_min (no gradient through a clamped norm),
`cosine_similarity` clamps the value only and lets the gradient flow through the norm.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..ops.axes import normalize_axis
from ..tensor import Tensor, unbroadcast
from ._layout import float_data
from .module import Module


def _norm_and_grad(
    x: np.ndarray, p: float, axis: int, share_ties: bool = True
) -> tuple[np.ndarray, object]:
    """||x||_p along `axis` (kept), and a function giving d||x||_p / dx (0 where the norm
    is 0, as torch's norm backward). p = inf: tied largest entries share the gradient
    (torch's norm), or with share_ties=False each gets all of it (torch's pdist, cdist)."""
    a = np.abs(x)
    if p == math.inf:
        n = a.max(axis=axis, keepdims=True)

        def dnorm():
            # the largest entries share the gradient equally, as torch's inf-norm backward
            at_max = a == n
            if not share_ties:
                return np.sign(x) * at_max
            return np.sign(x) * at_max / at_max.sum(axis=axis, keepdims=True)

    elif p == 0:
        # the count of nonzero entries: piecewise constant, so no gradient
        n = (x != 0).sum(axis=axis, keepdims=True).astype(x.dtype)

        def dnorm():
            return np.zeros_like(x)

    elif p == 2:
        n = np.sqrt((x * x).sum(axis=axis, keepdims=True))

        def dnorm():
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(n == 0, 0, x / n)

    elif p == 1:
        n = a.sum(axis=axis, keepdims=True)

        def dnorm():
            return np.sign(x)

    else:
        n = (a**p).sum(axis=axis, keepdims=True) ** (1 / p)

        def dnorm():
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(n == 0, 0, np.sign(x) * (a / n) ** (p - 1))

    return n, dnorm


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None
) -> Tensor:
    """x / max(||x||_p, eps) along `dim` (torch.nn.functional.normalize). p is >= 0 or inf
    (p = 0 counts nonzero entries); torch also takes p < 0, here a ValueError. `out` must be
    None."""
    x = float_data(input, "normalize")
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not p >= 0:
        raise ValueError(f"normalize: p must be a number >= 0 or inf, got {p!r}")
    axis = normalize_axis("normalize", dim, x.ndim)
    n, dnorm = _norm_and_grad(x, p, axis)
    d = np.maximum(n, x.dtype.type(eps)).astype(x.dtype, copy=False)
    y = x / d

    def backward(g):
        # clamp_min passes the gradient where n >= eps, as torch's
        dd = -(g * x).sum(axis=axis, keepdims=True) / (d * d) * (n >= eps)
        return (g / d + dd * dnorm(),)

    return Tensor.make(y, (input,), backward)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along `dim`, after broadcasting
    x1 and x2 (torch.nn.functional.cosine_similarity). Each input is divided by its own norm
    first, so the result stays in [-1, 1]; as torch, the clamp changes values only, and the
    gradient still flows through the norms."""
    a = float_data(x1, "cosine_similarity")
    b = float_data(x2, "cosine_similarity")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"cosine_similarity: x1 of shape {a.shape} and x2 of shape {b.shape} do not "
            "broadcast"
        ) from None
    dtype = np.result_type(a, b)
    a = np.broadcast_to(a, shape).astype(dtype, copy=False)
    b = np.broadcast_to(b, shape).astype(dtype, copy=False)
    axis = normalize_axis("cosine_similarity", dim, len(shape))
    n1, dn1 = _norm_and_grad(a, 2, axis)
    n2, dn2 = _norm_and_grad(b, 2, axis)
    c1 = np.maximum(n1, dtype.type(eps))
    c2 = np.maximum(n2, dtype.type(eps))
    u, v = a / c1, b / c2
    s = (u * v).sum(axis=axis, keepdims=True)

    def backward(g):
        g = np.expand_dims(g, axis)
        g1 = g * (v - s * dn1()) / c1
        g2 = g * (u - s * dn2()) / c2
        return (unbroadcast(g1, x1.data.shape), unbroadcast(g2, x2.data.shape))

    return Tensor.make(np.squeeze(s, axis), (x1, x2), backward)


def _last_axis_norm(d: Tensor, p: float, keepdim: bool, share_ties: bool = True) -> Tensor:
    """||d||_p over the last axis (a 0-d d counts as one entry), one graph node."""
    x = d.data.reshape(1) if d.data.ndim == 0 else d.data
    with np.errstate(divide="ignore"):  # 0 ** p for p < 0 is inf, and the norm then 0
        n, dnorm = _norm_and_grad(x, p, -1, share_ties)
    out = n if keepdim else np.squeeze(n, -1)
    if d.data.ndim == 0:
        out = out.reshape(())

    def backward(g):
        g = np.reshape(g, n.shape)  # the kept axis back, whether keepdim or not
        return ((g * dnorm()).reshape(d.data.shape),)

    return Tensor.make(out, (d,), backward)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p over the last dimension, after broadcasting x1 and x2
    (torch.nn.functional.pairwise_distance). As torch, eps is added to the difference, so
    equal vectors of length D are eps D^(1/p) apart, and any p works (0 counts nonzero
    entries, inf is the max norm, negative p the harmonic-like mean). Deviations: p = -inf
    and NaN are refused (ValueError), and integer inputs are refused (TypeError)."""
    a = float_data(x1, "pairwise_distance")
    b = float_data(x2, "pairwise_distance")
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or math.isnan(p) or p == -math.inf:
        raise ValueError(f"pairwise_distance: p must be a real number or inf, got {p!r}")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"pairwise_distance: x1 of shape {a.shape} and x2 of shape {b.shape} do not "
            "broadcast"
        ) from None
    return _last_axis_norm(x1 - x2 + eps, p, keepdim)


class PairwiseDistance(Module):
    """PairwiseDistance(p=2.0, eps=1e-6, keepdim=False): `pairwise_distance` as a module;
    as torch, p is kept in the attribute `norm`."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

    def extra_repr(self) -> str:
        return f"p={self.norm}, eps={self.eps}, keepdim={self.keepdim}"


class CosineSimilarity(Module):
    """CosineSimilarity(dim=1, eps=1e-8): `cosine_similarity` as a module."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, eps={self.eps}"


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """||x_i - x_j||_p for every pair of rows i < j of an (N, M) input, in row-major order
    of (i, j): N (N - 1) / 2 values, as torch.nn.functional.pdist (no eps, unlike
    pairwise_distance; the gradient at equal rows is 0; for p = inf every entry tied for
    the largest gets the whole gradient, as torch's pdist and cdist, where
    pairwise_distance shares it). p must be >= 0 (inf allowed)."""
    x = float_data(input, "pdist")
    if x.ndim != 2:
        raise ValueError(f"pdist: expected a 2-D (N, M) input, got shape {x.shape}")
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or math.isnan(p) or p < 0:
        raise ValueError(f"pdist: p must be a non-negative number or inf, got {p!r}")
    i, j = np.triu_indices(x.shape[0], 1)
    return _last_axis_norm(input[i] - input[j], p, False, share_ties=False)
