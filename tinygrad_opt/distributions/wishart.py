"""The Wishart distribution over positive-definite matrices, as torch.distributions.Wishart."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..ops.cholesky import solve_triangular
from ..ops.select import where
from ..random import generator
from ..tensor import Tensor
from . import constraints
from .chi2 import Chi2
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .matrix_parameter import MATRIX_NAMES, given_matrix, keep_matrix
from .utils import as_param

_LOG_2 = math.log(2.0)


def _mvdigamma(x: Tensor, p: int) -> Tensor:
    """The multivariate digamma sum_{i<p} digamma(x - i/2), the derivative of mvlgamma."""
    offsets = Tensor(np.arange(p, dtype=x.data.dtype) / 2)
    return (x.unsqueeze(-1) - offsets).digamma().sum(dim=-1)


class Wishart(ExponentialFamily):
    """W(df, V) over p x p positive-definite X: density
    |X|^((df-p-1)/2) exp(-tr(V^-1 X) / 2) / (2^(df p/2) |V|^(df/2) Gamma_p(df/2)), df > p - 1.
    Give exactly one of `covariance_matrix` (V), `precision_matrix` (V^-1) or `scale_tril`
    (L, V = L L^T); df and the matrix's batch dimensions broadcast. rsample is Bartlett's
    decomposition X = L A A^T L^T, A lower triangular with sqrt(chi2(df - i)) on the
    diagonal (kept above the dtype's eps, as torch) and standard normals below it, so
    gradients reach L and, through the chi-squared draws' implicit reparameterisation, df.
    A draw that is not positive definite (likely for p - 1 < df < p, which warns at
    construction) is redrawn up to `max_try_correction` times (default 10, as torch),
    warning "Singular sample detected."; one still singular after that is returned.
    mode is (df - p - 1) V, NaN where df <= p + 1 (as torch). An exponential family:
    eta = (-V^-1 / 2, (df - p - 1) / 2).
    Deviations from torch: passing two matrices raises ValueError (torch: AssertionError);
    torch's first singularity test is inverted (it redraws the positive-definite samples
    once, which leaves the distribution unchanged); here only singular draws are redrawn."""

    support = constraints.positive_definite
    has_rsample = True

    @property
    def arg_constraints(self) -> dict:
        p = self.event_shape[-1]
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(p - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None) -> None:
        name, matrix = given_matrix("Wishart", covariance_matrix, precision_matrix, scale_tril)
        df_dtype = df.data.dtype if isinstance(df, Tensor) and df.data.dtype.kind == "f" else None
        matrix = as_param("Wishart", name, matrix, np.float64 if df_dtype == np.float64 else None)
        if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2]:
            raise ValueError(f"Wishart: {name} must be square matrices with optional leading "
                             f"batch dimensions (*, p, p), got shape {matrix.shape}")
        df = as_param("Wishart", "df", df, matrix.data.dtype)
        try:
            batch = np.broadcast_shapes(df.shape, matrix.shape[:-2])
        except ValueError:
            raise ValueError(f"Wishart: the batch shapes of df {df.shape} and {name} "
                             f"{matrix.shape} do not broadcast") from None
        p = matrix.shape[-1]
        if np.any(df.data <= p - 1):
            raise ValueError(f"Wishart: df must be greater than p - 1 = {p - 1} (the matrices "
                             f"are {p}x{p}), got {df.data}")
        if np.any(df.data < p):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur "
                          "for ndim - 1 < df < ndim.", stacklevel=2)
        self.df = df if df.shape == batch else df.expand(*batch)
        super().__init__(batch, (p, p), validate_args)  # checks df
        keep_matrix(self, name, matrix, batch)

    def expand(self, batch_shape, _instance=None) -> Wishart:
        shape = self._checked_batch_shape(batch_shape)
        p = self.event_shape[-1]
        new = object.__new__(Wishart)
        new.df = self.df.expand(*shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in MATRIX_NAMES:
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(*shape, p, p)
        Distribution.__init__(new, shape, (p, p), validate_args=False)
        new._validate_args = self._validate_args
        return new

    def __getattr__(self, name: str):
        # the two matrices not given are derived from L on first use (torch's lazy properties)
        low = self.__dict__.get("_unbroadcasted_scale_tril")
        if low is None or name not in MATRIX_NAMES:
            raise AttributeError(f"'Wishart' object has no attribute {name!r}")
        if name == "scale_tril":
            value = low
        elif name == "covariance_matrix":
            value = low @ low.transpose(-1, -2)
        else:
            value = (low @ low.transpose(-1, -2)).inverse()
        p = self.event_shape[-1]
        if value.shape[:-2] != self.batch_shape:
            value = value.expand(*self.batch_shape, p, p)
        self.__dict__[name] = value
        return value

    def _df_matrix(self) -> Tensor:
        return self.df.unsqueeze(-1).unsqueeze(-1)

    def _half_log_det(self) -> Tensor:
        """log |L| = log|V| / 2."""
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(dim=-1)

    @property
    def mean(self) -> Tensor:
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        p = self.event_shape[-1]
        factor = self.df - (p + 1)
        factor = factor.masked_fill(Tensor(factor.data <= 0), math.nan)
        return factor.unsqueeze(-1).unsqueeze(-1) * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        """Var X_ij = df (V_ij^2 + V_ii V_jj)."""
        v = self.covariance_matrix
        diag = v.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (v * v + diag.unsqueeze(-1) * diag.unsqueeze(-2))

    def _bartlett(self, sample_shape: tuple) -> Tensor:
        p = self.event_shape[-1]
        dtype = self._unbroadcasted_scale_tril.data.dtype
        chi2 = Chi2(self.df.unsqueeze(-1) - Tensor(np.arange(p, dtype=dtype)),
                    validate_args=False)
        diag = chi2.rsample(sample_shape).sqrt().clamp(min=float(np.finfo(dtype).eps))
        shape = tuple(sample_shape) + tuple(self.batch_shape) + (p, p)
        below = np.tril(generator().standard_normal(shape, dtype=dtype), -1)
        factor = self._unbroadcasted_scale_tril @ (diag.diag_embed() + Tensor(below))
        return factor @ factor.transpose(-1, -2)

    def rsample(self, sample_shape=(), max_try_correction=None) -> Tensor:
        if max_try_correction is None:
            max_try_correction = 10
        if not isinstance(max_try_correction, int) or max_try_correction < 0:
            raise ValueError("Wishart.rsample: max_try_correction must be an int >= 0, got "
                             f"{max_try_correction!r}")
        shape = tuple(self._extended_shape(sample_shape))[:-2]
        sample = self._bartlett(shape[: len(shape) - len(self.batch_shape)])
        singular = ~self.support.check(sample.data)
        if singular.any():
            warnings.warn("Singular sample detected.", stacklevel=2)
        for _ in range(max_try_correction):
            if not singular.any():
                break
            fresh = self._bartlett(shape[: len(shape) - len(self.batch_shape)])
            sample = where(Tensor(singular[..., None, None]), fresh, sample)
            singular = singular & ~self.support.check(fresh.data)
        return sample

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        p = self.event_shape[-1]
        nu = self.df
        low = self._unbroadcasted_scale_tril
        # tr(V^-1 X) by two triangular solves: V^-1 X = L^-T (L^-1 X)
        solved = solve_triangular(low.transpose(-1, -2), solve_triangular(low, value, upper=False),
                                  upper=True)
        trace = solved.diagonal(dim1=-2, dim2=-1).sum(dim=-1)
        return (0.5 * (nu - p - 1) * value.slogdet().logabsdet - 0.5 * trace
                - nu * (0.5 * p * _LOG_2 + self._half_log_det()) - (0.5 * nu).mvlgamma(p))

    def entropy(self) -> Tensor:
        p = self.event_shape[-1]
        nu = self.df
        h = ((p + 1) * (0.5 * p * _LOG_2 + self._half_log_det()) + (0.5 * nu).mvlgamma(p)
             - 0.5 * (nu - p - 1) * _mvdigamma(0.5 * nu, p) + 0.5 * nu * p)
        return h if h.shape == self.batch_shape else h.expand(*self.batch_shape)

    # exponential-family form: eta = (-V^-1 / 2, (df - p - 1) / 2), T(X) = (X, log|X|), h = 1,
    # A = -(df / 2) log|-eta1| + log Gamma_p(df / 2) with df / 2 = eta2 + (p + 1) / 2
    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        p = self.event_shape[-1]
        return -0.5 * self.precision_matrix, 0.5 * (self.df - p - 1)

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        p = self.event_shape[-1]
        half_df = y + 0.5 * (p + 1)
        return -half_df * (-x).slogdet().logabsdet + half_df.mvlgamma(p)

    @property
    def _mean_carrier_measure(self) -> float:
        return 0.0
