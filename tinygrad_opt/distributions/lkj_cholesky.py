"""The LKJ distribution over Cholesky factors of correlation matrices, as
torch.distributions.LKJCholesky."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_params


class LKJCholesky(Distribution):
    """LKJ(eta = concentration) (Lewandowski, Kurowicka & Joe 2009) on the lower Cholesky
    factor L of a dim x dim correlation matrix C = L L^T, where p(C) is proportional to
    det(C)^(eta - 1). Row k (k = 1 .. dim-1) of L holds w = L[k, :k] in the unit ball and
    L_kk = sqrt(1 - |w|^2); in these coordinates the density is
    prod_k L_kk^(2 (eta - 1) + dim - 1 - k) Gamma(eta + (dim-1)/2) / (pi^(k/2) Gamma(b_k)),
    b_k = eta + (dim - 1 - k) / 2. sample is the onion method in this form: |w|^2 ~
    Beta(k/2, b_k) with w's direction uniform on the sphere, drawn for every row at once
    by numpy's seeded samplers. No rsample, mean or variance (as torch)."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args=None) -> None:
        if not isinstance(dim, numbers.Integral) or isinstance(dim, bool) or dim < 2:
            raise ValueError(f"LKJCholesky: dim must be an integer >= 2, got {dim!r}")
        self.dim = int(dim)
        (self.concentration,) = broadcast_params("LKJCholesky", concentration=concentration)
        super().__init__(self.concentration.shape, (self.dim, self.dim), validate_args)

    def expand(self, batch_shape, _instance=None) -> LKJCholesky:
        shape = self._checked_batch_shape(batch_shape)
        return LKJCholesky(self.dim, self.concentration.expand(*shape),
                           validate_args=self._validate_args)

    def _row_beta(self) -> Tensor:
        """b_k = eta + (dim - 1 - k) / 2 for k = 1 .. dim-1, along a new last dimension."""
        k = np.arange(1, self.dim, dtype=self.concentration.data.dtype)
        return self.concentration.unsqueeze(-1) + Tensor((self.dim - 1 - k) / 2)

    def sample(self, sample_shape=()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))[:-2]
        dtype = self.concentration.data.dtype
        d, rng = self.dim, generator()
        k = np.arange(1, d, dtype=np.float64)
        b = self._row_beta().data.astype(np.float64)
        radius2 = rng.beta(np.broadcast_to(k / 2, shape + (d - 1,)),
                           np.broadcast_to(b, shape + (d - 1,)))
        radius2 = np.concatenate([np.zeros(shape + (1,)), radius2], axis=-1)
        # uniform directions: normalised Gaussians on the strict lower part of each row
        z = np.tril(rng.standard_normal(shape + (d, d)), -1)
        norms = np.linalg.norm(z, axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(norms > 0, z / norms, 0.0) * np.sqrt(radius2)[..., None]
        # keep the diagonal positive when a draw of |w|^2 rounds to 1
        diag = np.sqrt(np.maximum(1 - radius2, np.finfo(dtype).tiny))
        return Tensor((w + diag[..., None] * np.eye(d)).astype(dtype))

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        d = self.dim
        eta = self.concentration
        k = np.arange(1, d, dtype=eta.data.dtype)
        log_diag = value.diagonal(dim1=-2, dim2=-1)[..., 1:].log()
        order = 2 * (eta.unsqueeze(-1) - 1) + Tensor(d - 1 - k)
        unnormalised = (order * log_diag).sum(dim=-1)
        log_norm = ((d - 1) * (eta + 0.5 * (d - 1)).lgamma()
                    - self._row_beta().lgamma().sum(dim=-1) - d * (d - 1) / 4 * math.log(math.pi))
        return unnormalised + log_norm
