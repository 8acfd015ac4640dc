"""The multivariate normal distribution, as torch.distributions.MultivariateNormal."""

from __future__ import annotations

import math

import numpy as np

from ..ops.cholesky import solve_triangular
from ..random import generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .matrix_parameter import given_matrix, keep_matrix
from .utils import as_param


def _batch_mahalanobis(scale_tril: Tensor, diff: Tensor) -> Tensor:
    """|L^-1 diff|^2 over the last dimension; batch dimensions broadcast."""
    solved = solve_triangular(scale_tril, diff.unsqueeze(-1), upper=False)
    return (solved * solved).sum(dim=(-2, -1))


def _half_log_det(scale_tril: Tensor) -> Tensor:
    """log |det L| = sum log diag(L), half the log-determinant of the covariance."""
    return scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(dim=-1)


class MultivariateNormal(Distribution):
    """N(loc, Sigma) over vectors of length n (event_shape (n,)); give exactly one of
    `covariance_matrix` (Sigma), `precision_matrix` (Sigma^-1) or `scale_tril` (the lower
    Cholesky factor L, Sigma = L L^T). Everything runs on L: rsample is loc + L eps,
    log_prob solves with L. The matrix and loc's batch dimensions broadcast.
    Deviations from torch: a loc whose last size differs from the matrix raises ValueError
    at construction (torch fails later); the precision matrix is turned into L through its
    inverse (torch flips and factors it, which is more accurate for ill-conditioned ones)."""

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None) -> None:
        name, matrix = given_matrix("MultivariateNormal", covariance_matrix, precision_matrix,
                                    scale_tril)  # fmt: skip
        loc = as_param("MultivariateNormal", "loc", loc)
        if loc.ndim < 1:
            raise ValueError("MultivariateNormal: loc must be at least one-dimensional, got a "
                             "scalar")
        dtype = np.float64 if loc.dtype == np.float64 else None
        matrix = as_param("MultivariateNormal", name, matrix, dtype)
        if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2]:
            raise ValueError(
                f"MultivariateNormal: {name} must be square matrices with optional leading "
                f"batch dimensions (*, n, n), got shape {matrix.shape}"
            )
        n = loc.shape[-1]
        if matrix.shape[-1] != n:
            raise ValueError(
                f"MultivariateNormal: loc has {n} entries (shape {loc.shape}) but {name} is "
                f"{matrix.shape[-1]}x{matrix.shape[-1]}"
            )
        try:
            batch = np.broadcast_shapes(loc.shape[:-1], matrix.shape[:-2])
        except ValueError:
            raise ValueError(
                f"MultivariateNormal: batch shapes of loc {loc.shape} and {name} "
                f"{matrix.shape} do not broadcast"
            ) from None
        self.loc = loc if loc.shape == batch + (n,) else loc.expand(*batch, n)
        super().__init__(batch, (n,), validate_args)  # checks loc
        keep_matrix(self, name, matrix, batch)

    def expand(self, batch_shape, _instance=None) -> MultivariateNormal:
        shape = self._checked_batch_shape(batch_shape)
        n = self.event_shape[0]
        new = object.__new__(MultivariateNormal)
        new.loc = self.loc.expand(*shape, n)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(*shape, n, n)
        Distribution.__init__(new, shape, (n,), validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _expand_matrix(self, m: Tensor) -> Tensor:
        n = self.event_shape[0]
        return m if m.shape[:-2] == self.batch_shape else m.expand(*self.batch_shape, n, n)

    def __getattr__(self, name: str):
        # the two matrices not given are derived from L on first use
        low = self.__dict__.get("_unbroadcasted_scale_tril")
        if low is None:
            raise AttributeError(f"'MultivariateNormal' object has no attribute {name!r}")
        if name == "scale_tril":
            value = self._expand_matrix(low)
        elif name == "covariance_matrix":
            value = self._expand_matrix(low @ low.transpose(-1, -2))
        elif name == "precision_matrix":
            value = self._expand_matrix((low @ low.transpose(-1, -2)).inverse())
        else:
            raise AttributeError(f"'MultivariateNormal' object has no attribute {name!r}")
        self.__dict__[name] = value
        return value

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        low = self._unbroadcasted_scale_tril
        return (low * low).sum(dim=-1).expand(*self.batch_shape, *self.event_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = generator().standard_normal(shape, dtype=self.loc.data.dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ Tensor(eps).unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        n = self.event_shape[0]
        m = _batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        half_log_det = _half_log_det(self._unbroadcasted_scale_tril)
        return -0.5 * (n * math.log(2 * math.pi) + m) - half_log_det

    def entropy(self) -> Tensor:
        n = self.event_shape[0]
        h = 0.5 * n * (1.0 + math.log(2 * math.pi)) + _half_log_det(self._unbroadcasted_scale_tril)
        return h if h.shape == self.batch_shape else h.expand(*self.batch_shape)
