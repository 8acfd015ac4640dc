"""The multivariate normal with a low-rank-plus-diagonal covariance, as
torch.distributions.LowRankMultivariateNormal."""

from __future__ import annotations

import math

import numpy as np

from ..ops.cholesky import cholesky, solve_triangular
from ..random import generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import as_param


class LowRankMultivariateNormal(Distribution):
    """N(loc, W W^T + diag(D)), W = cov_factor (n x r), D = cov_diag. Everything goes
    through the r x r capacitance C = I + W^T D^-1 W: the Woodbury identity for the
    Mahalanobis term and the matrix determinant lemma, log|Sigma| = log|C| + sum log D.
    rsample is loc + W e1 + sqrt(D) e2 with e1 ~ N(0, I_r), e2 ~ N(0, I_n)."""

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None) -> None:
        name = "LowRankMultivariateNormal"
        loc = as_param(name, "loc", loc)
        cov_factor = as_param(name, "cov_factor", cov_factor)
        cov_diag = as_param(name, "cov_diag", cov_diag)
        if loc.ndim < 1:
            raise ValueError(f"{name}: loc must be at least one-dimensional, got a scalar")
        if cov_factor.ndim < 2:
            raise ValueError(f"{name}: cov_factor must be at least two-dimensional, with "
                             "shape (..., n, rank)")
        if cov_diag.ndim < 1:
            raise ValueError(f"{name}: cov_diag must be at least one-dimensional")
        n = loc.shape[-1]
        if cov_factor.shape[-2] != n or cov_diag.shape[-1] != n:
            raise ValueError(
                f"{name}: the event size of loc ({n}) must match cov_factor {cov_factor.shape} "
                f"(second-to-last) and cov_diag {cov_diag.shape} (last)"
            )
        try:
            batch = np.broadcast_shapes(loc.shape[:-1], cov_factor.shape[:-2],
                                        cov_diag.shape[:-1])
        except ValueError:
            raise ValueError(f"{name}: the batch shapes of loc {loc.shape}, cov_factor "
                             f"{cov_factor.shape} and cov_diag {cov_diag.shape} do not "
                             "broadcast") from None
        self.loc = loc.expand(*(batch + (n,)))
        self.cov_factor = cov_factor.expand(*(batch + cov_factor.shape[-2:]))
        self.cov_diag = cov_diag.expand(*(batch + (n,)))
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        super().__init__(batch, (n,), validate_args)
        self._capacitance_tril = self._capacitance_cholesky(cov_factor, cov_diag)

    @staticmethod
    def _capacitance_cholesky(w: Tensor, d: Tensor) -> Tensor:
        wt_dinv = w.transpose(-1, -2) / d.unsqueeze(-2)
        rank = w.shape[-1]
        eye = Tensor(np.eye(rank, dtype=w.data.dtype))
        return cholesky(eye + wt_dinv @ w)

    def expand(self, batch_shape, _instance=None) -> LowRankMultivariateNormal:
        shape = self._checked_batch_shape(batch_shape)
        n, rank = self.cov_factor.shape[-2:]
        return LowRankMultivariateNormal(
            self.loc.expand(*(shape + (n,))), self.cov_factor.expand(*(shape + (n, rank))),
            self.cov_diag.expand(*(shape + (n,))), validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        w = self._unbroadcasted_cov_factor
        var = (w * w).sum(-1) + self._unbroadcasted_cov_diag
        shape = tuple(self.batch_shape) + tuple(self.event_shape)
        return var if var.shape == shape else var.expand(*shape)

    @property
    def covariance_matrix(self) -> Tensor:
        w = self._unbroadcasted_cov_factor
        cov = w @ w.transpose(-1, -2) + self._unbroadcasted_cov_diag.diag_embed()
        n = self.event_shape[0]
        shape = tuple(self.batch_shape) + (n, n)
        return cov if cov.shape == shape else cov.expand(*shape)

    @property
    def scale_tril(self) -> Tensor:
        return cholesky(self.covariance_matrix)

    @property
    def precision_matrix(self) -> Tensor:
        """Woodbury: D^-1 - D^-1 W C^-1 W^T D^-1."""
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        a = solve_triangular(self._capacitance_tril, w.transpose(-1, -2) / d.unsqueeze(-2),
                             upper=False)
        prec = (1 / d).diag_embed() - a.transpose(-1, -2) @ a
        n = self.event_shape[0]
        shape = tuple(self.batch_shape) + (n, n)
        return prec if prec.shape == shape else prec.expand(*shape)

    def _log_det(self) -> Tensor:
        """log |Sigma| = 2 sum log diag(chol C) + sum log D."""
        cap = self._capacitance_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return 2 * cap + self._unbroadcasted_cov_diag.log().sum(-1)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        rank = self.cov_factor.shape[-1]
        dtype = self.loc.data.dtype
        rng = generator()
        eps_w = Tensor(rng.standard_normal(shape[:-1] + (rank,)).astype(dtype))
        eps_d = Tensor(rng.standard_normal(shape).astype(dtype))
        w = self._unbroadcasted_cov_factor
        return (self.loc + (w @ eps_w.unsqueeze(-1)).squeeze(-1)
                + self._unbroadcasted_cov_diag.sqrt() * eps_d)

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        diff = value - self.loc
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        # Woodbury: x^T D^-1 x - |L_C^-1 W^T D^-1 x|^2
        wt_dinv_x = (w.transpose(-1, -2) @ (diff / d).unsqueeze(-1))
        solved = solve_triangular(self._capacitance_tril, wt_dinv_x, upper=False)
        maha = (diff * diff / d).sum(-1) - (solved * solved).sum(dim=(-2, -1))
        n = self.event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + self._log_det() + maha)

    def entropy(self) -> Tensor:
        n = self.event_shape[0]
        h = 0.5 * (n * (1.0 + math.log(2 * math.pi)) + self._log_det())
        shape = tuple(self.batch_shape)
        return h if h.shape == shape else h.expand(*shape)
