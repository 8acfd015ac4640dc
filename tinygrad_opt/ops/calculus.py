"""Numerical calculus on sampled values: `gradient` (torch.gradient, the derivative estimate
by finite differences) and `cumulative_trapezoid` (the running trapezoid rule).

Both are linear in the sampled values and built from slices, products and sums, so their
gradients come from those ops.

gradient, along a dimension with sample points x (or a constant spacing h), with
hl = x[i] - x[i-1] and hr = x[i+1] - x[i] (second-order accurate, as numpy.gradient):
    interior: (hl^2 f[i+1] - hr^2 f[i-1] + (hr^2 - hl^2) f[i]) / (hl hr (hl + hr))
    edges, edge_order=1: one-sided first differences;
    edges, edge_order=2: one-sided second-order differences over three points.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..default_dtype import default_float
from ..tensor import Tensor
from .axes import normalize_axis
from .join import cat
from .reduce import cumsum
from .scan import sample_steps


def _floating(y: Tensor) -> Tensor:
    return y if y.data.dtype.kind == "f" else y.to(default_float())


def _coefficients(h: np.ndarray, edge_order: int) -> tuple[np.ndarray, ...]:
    """Weights of f[i-1], f[i], f[i+1] at the interior points and of the three points used at
    each edge, from the n - 1 steps h."""
    hl, hr = h[:-1], h[1:]
    interior = (-hr / (hl * (hl + hr)), (hr - hl) / (hl * hr), hl / (hr * (hl + hr)))
    if edge_order == 1:
        first = (-1.0 / h[0], 1.0 / h[0], 0.0)
        last = (0.0, -1.0 / h[-1], 1.0 / h[-1])
    else:
        d1, d2 = h[0], h[1]
        first = (-(2 * d1 + d2) / (d1 * (d1 + d2)), (d1 + d2) / (d1 * d2), -d1 / (d2 * (d1 + d2)))
        d1, d2 = h[-2], h[-1]
        last = (d2 / (d1 * (d1 + d2)), -(d1 + d2) / (d1 * d2), (2 * d2 + d1) / (d2 * (d1 + d2)))
    return interior, first, last


def _gradient_along(f: Tensor, ax: int, h: np.ndarray, edge_order: int) -> Tensor:
    n = f.data.shape[ax]
    head = (slice(None),) * ax
    shape = (-1,) + (1,) * (f.data.ndim - ax - 1)
    dtype = f.data.dtype
    interior, first, last = _coefficients(h, edge_order)

    def part(start: int, stop: int):
        return f[head + (slice(start, stop),)]

    def weigh(t: Tensor, w) -> Tensor:
        return t * np.asarray(w, dtype=dtype).reshape(shape)

    middle = weigh(part(0, n - 2), interior[0]) + weigh(part(1, n - 1), interior[1]) \
        + weigh(part(2, n), interior[2])
    # edge_order 1 uses two points: the first two weights at the start, the last two at the end
    count = edge_order + 1
    ends = []
    for used, start in ((first[:count], 0), (last[3 - count:], n - count)):
        total = None
        for k in range(count):
            term = part(start + k, start + k + 1) * dtype.type(used[k])
            total = term if total is None else total + term
        ends.append(total)
    return cat([ends[0], middle, ends[1]], dim=ax)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1  # noqa: A002
             ) -> tuple[Tensor, ...]:
    """torch.gradient: the derivative of the sampled `input` along each of `dim` (default:
    every dimension), one tensor per dimension. `spacing`: a number (the step of every
    dimension), a list of numbers (one step per dimension) or a list of 1-D tensors (the
    sample coordinates, one per dimension). Each dimension needs edge_order + 1 points."""
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    f = _floating(input)
    ndim = f.data.ndim
    if ndim == 0:
        raise ValueError("gradient: input must have at least one dimension")
    if dim is None:
        dims = list(range(ndim))
    elif isinstance(dim, (int, np.integer)):
        dims = [normalize_axis("gradient", int(dim), ndim)]
    else:
        dims = [normalize_axis("gradient", int(d), ndim) for d in dim]
    if len(set(dims)) != len(dims):
        raise ValueError(f"gradient: dim holds a dimension twice: {dim!r}")
    if isinstance(spacing, (numbers.Real, Tensor)) and not (
        isinstance(spacing, Tensor) and spacing.data.ndim
    ):
        spacings = [float(spacing.item() if isinstance(spacing, Tensor) else spacing)] * len(dims)
    else:
        spacings = list(spacing)
        if len(spacings) != len(dims):
            raise ValueError(
                f"gradient: spacing has {len(spacings)} entries but {len(dims)} dimension(s) "
                "are differentiated; give one per dimension"
            )
    results = []
    for ax, step in zip(dims, spacings):
        n = f.data.shape[ax]
        if n < edge_order + 1:
            raise ValueError(
                f"gradient: dimension {ax} has {n} points; edge_order={edge_order} needs at "
                f"least {edge_order + 1}"
            )
        if isinstance(step, Tensor) and step.data.ndim == 1:
            coords = step.data.astype(np.float64)
            if coords.shape[0] != n:
                raise ValueError(
                    f"gradient: the coordinates for dimension {ax} have {coords.shape[0]} "
                    f"points, expected {n}"
                )
            h = np.diff(coords)
        else:
            value = step.item() if isinstance(step, Tensor) else step
            h = np.full(n - 1, float(value))
        if np.any(h == 0):
            raise ValueError(f"gradient: spacing along dimension {ax} must be non-zero")
        results.append(_gradient_along(f, ax, h, edge_order))
    return tuple(results)


def cumulative_trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoid rule along `dim` (one value fewer than y has there): entry i is
    the integral from the first sample to sample i + 1, with sample points x (1-D, or of
    y's shape) or a constant spacing dx (default 1)."""
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid: pass x or dx, not both")
    y = _floating(y)
    if y.data.ndim == 0:
        raise ValueError("cumulative_trapezoid: y must have at least one dimension")
    ax = normalize_axis("cumulative_trapezoid", dim, y.data.ndim)
    head = (slice(None),) * ax
    halves = (y[head + (slice(1, None),)] + y[head + (slice(None, -1),)]) * 0.5
    if x is None:
        return cumsum(halves * (1.0 if dx is None else dx), dim=ax)
    return cumsum(halves * sample_steps("cumulative_trapezoid", x, y, ax, dim), dim=ax)
