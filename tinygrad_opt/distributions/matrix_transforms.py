"""Transforms onto matrix spaces, as torch.distributions.transforms:
`CorrCholeskyTransform` (vectors to Cholesky factors of correlation matrices) and
`PositiveDefiniteTransform` (square matrices to positive-definite ones). Also importable
from transforms.py.
"""

from __future__ import annotations

import math

import numpy as np

from ..ops.cholesky import cholesky
from ..tensor import Tensor
from . import constraints
from .transforms import LowerCholeskyTransform, Transform
from .utils import softplus


def _side(n: int) -> int:
    """D with D (D - 1) / 2 == n; ValueError when n is not such a triangular number."""
    d = round(math.sqrt(0.25 + 2 * n) + 0.5)
    if d * (d - 1) // 2 != n:
        raise ValueError(f"CorrCholeskyTransform: the last dimension {n} is not D(D-1)/2 for "
                         "any D (the number of entries below the diagonal of a D x D matrix)")
    return d


def _strict_lower_from_vector(x: Tensor, d: int) -> Tensor:
    """The entries of x placed below the diagonal of D x D matrices, row by row (the order
    of numpy's and torch's tril_indices), zeros elsewhere."""
    n = d * (d - 1) // 2
    rows, cols = np.tril_indices(d, -1)
    index = np.full((d, d), n)  # n points at the zero appended to x
    index[rows, cols] = np.arange(n)
    padded = x.pad((0, 1))
    return padded[..., index.reshape(-1)].reshape(*x.shape[:-1], d, d)


def _excluded_cumsum(x: Tensor) -> Tensor:
    """sum_{k<j} x_k along the last dimension."""
    return x.cumsum(-1) - x


class CorrCholeskyTransform(Transform):
    """R^(D(D-1)/2) to the Cholesky factors of D x D correlation matrices (LKJ's
    parameterisation, Lewandowski, Kurowicka & Joe 2009): r = tanh(x), clamped to
    [-1 + eps, 1 - eps] (as torch) and laid out below the diagonal row by row, then each
    row stick-broken to unit length: L_ij = r_ij sqrt(1 - sum_{k<j} L_ik^2) for j < i and
    L_ii = sqrt(1 - sum_{k<i} L_ik^2). Bijective; log|det J| is
    sum log(1 - tanh^2 x) + sum_{j<i} log(1 - sum_{k<j} L_ik^2) / 2."""

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def __eq__(self, other) -> bool:
        return isinstance(other, CorrCholeskyTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        d = _side(x.shape[-1])
        eps = float(np.finfo(x.data.dtype).eps)
        r = _strict_lower_from_vector(x.tanh().clamp(min=-1 + eps, max=1 - eps), d)
        # 1 - sum_{k<j} L_ik^2 = prod_{k<j} (1 - r_ik^2): an excluded cumulative sum of logs
        log_rest = (-(r * r)).log1p()
        eye = Tensor(np.eye(d, dtype=x.data.dtype))
        return (r + eye) * (0.5 * _excluded_cumsum(log_rest)).exp()

    def _inverse(self, y):
        if y.ndim < 2 or y.shape[-1] != y.shape[-2]:
            raise ValueError("CorrCholeskyTransform: the inverse takes square matrices "
                             f"(*, D, D), got shape {y.shape}")
        rows, cols = np.tril_indices(y.shape[-1], -1)
        rest = 1 - _excluded_cumsum(y * y)
        r = y[..., rows, cols] / rest[..., rows, cols].sqrt()
        return r.atanh()

    def log_abs_det_jacobian(self, x, y):
        rows, cols = np.tril_indices(y.shape[-1], -1)
        rest = 1 - _excluded_cumsum(y * y)
        stick = 0.5 * rest[..., rows, cols].log().sum(dim=-1)
        # log(1 - tanh^2 x) = 2 (log 2 - x - softplus(-2x)), stable for large |x|
        tanh = 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))
        return stick + tanh.sum(dim=-1)

    def forward_shape(self, shape) -> tuple:
        if len(shape) < 1:
            raise ValueError("CorrCholeskyTransform: the shape needs a last dimension")
        d = _side(shape[-1])
        return tuple(shape[:-1]) + (d, d)

    def inverse_shape(self, shape) -> tuple:
        if len(shape) < 2 or shape[-1] != shape[-2]:
            raise ValueError("CorrCholeskyTransform: the inverse takes square matrices "
                             f"(*, D, D), got shape {tuple(shape)}")
        d = shape[-1]
        return tuple(shape[:-2]) + (d * (d - 1) // 2,)


class PositiveDefiniteTransform(Transform):
    """Square matrices to positive-definite ones: L = LowerCholeskyTransform()(x) (strict
    lower part kept, diagonal exponentiated), y = L L^T; the inverse factors y and takes
    the diagonal's log. Not bijective (the upper part of x is dropped), so no log|det J|,
    as torch."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def __eq__(self, other) -> bool:
        return isinstance(other, PositiveDefiniteTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        low = LowerCholeskyTransform()(x)
        return low @ low.transpose(-1, -2)

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(cholesky(y))
