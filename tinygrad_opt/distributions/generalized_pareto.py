"""The generalized Pareto distribution, as torch.distributions.GeneralizedPareto."""

from __future__ import annotations

import math

import numpy as np

from ..ops.select import where
from ..random import generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_params


def _finite(z: Tensor) -> Tensor:
    """z with 0 where it is infinite, for the xi terms of the xi = 0 branches (there for the
    gradient in xi): xi z^2 would be 0 * inf = NaN at z = inf, where the limit is the
    leading term alone (icdf(1) = inf, cdf(inf) = 1)."""
    infinite = ~np.isfinite(z.data)
    return z.masked_fill(Tensor(infinite), 0.0) if infinite.any() else z


def _log1p_ratio(xi: Tensor, z: Tensor) -> Tensor:
    """log(1 + xi z) / xi, and its limit z at xi = 0, written there as z - xi z^2 / 2 so the
    derivative in xi is also the limit's (-z^2 / 2)."""
    zero = Tensor(np.broadcast_to(xi.data == 0, np.broadcast_shapes(xi.shape, z.shape)).copy())
    safe = xi.masked_fill(Tensor(xi.data == 0), 1.0)
    zf = _finite(z)
    return where(zero, z - 0.5 * xi * zf * zf, (safe * z).log1p() / safe)


def _expm1_ratio(xi: Tensor, t: Tensor) -> Tensor:
    """(exp(xi t) - 1) / xi, and its limit t at xi = 0 (as t + xi t^2 / 2 there)."""
    zero = Tensor(np.broadcast_to(xi.data == 0, np.broadcast_shapes(xi.shape, t.shape)).copy())
    safe = xi.masked_fill(Tensor(xi.data == 0), 1.0)
    tf = _finite(t)
    return where(zero, t + 0.5 * xi * tf * tf, (safe * t).expm1() / safe)


class GeneralizedPareto(Distribution):
    """GPD(loc, scale, xi = concentration): survival function (1 + xi z)^(-1/xi) with
    z = (x - loc) / scale (exp(-z) at xi = 0), so the density is
    (1 + xi z)^(-1/xi - 1) / scale. Support [loc, inf) for xi >= 0 and
    [loc, loc - scale / xi] for xi < 0. xi = 0 (the exponential) is its own branch whose
    derivative in xi is the limit's, so gradients are right there too. rsample is the icdf
    of a uniform draw, loc + scale ((1 - u)^(-xi) - 1) / xi. Mean loc + scale / (1 - xi)
    (xi < 1), variance scale^2 / ((1 - xi)^2 (1 - 2 xi)) (xi < 1/2), entropy
    log(scale) + xi + 1.
    Deviations from torch: the mean (xi >= 1) and variance (xi >= 1/2) are +inf where they
    diverge (torch: NaN); the mode is the upper end loc - scale / xi for xi < -1, where the
    density grows without bound there (torch: loc); with validation off, log_prob is -inf
    and cdf 0 or 1 outside the support (torch evaluates the formula there)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None) -> None:
        self.loc, self.scale, self.concentration = broadcast_params(
            "GeneralizedPareto", loc=loc, scale=scale, concentration=concentration)
        super().__init__(self.loc.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> GeneralizedPareto:
        shape = self._checked_batch_shape(batch_shape)
        return GeneralizedPareto(self.loc.expand(*shape), self.scale.expand(*shape),
                                 self.concentration.expand(*shape),
                                 validate_args=self._validate_args)

    def _upper(self) -> np.ndarray:
        xi = self.concentration.data
        with np.errstate(divide="ignore"):
            return np.where(xi < 0, self.loc.data - self.scale.data / np.minimum(xi, -0.0),
                            np.inf)

    @property
    def support(self):
        return constraints.interval(self.loc.data, self._upper())

    def _z(self, value: Tensor) -> Tensor:
        return (value - self.loc) / self.scale

    def _below_above(self, z: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Where z lies below the support and where above it (xi < 0 only)."""
        xi = self.concentration.data
        with np.errstate(invalid="ignore"):
            return np.asarray(z.data < 0), np.asarray((xi < 0) & (xi * z.data < -1))

    @staticmethod
    def _fill(mask: np.ndarray, value: float, x: Tensor) -> Tensor:
        if not mask.any():
            return x
        return where(Tensor(np.broadcast_to(mask, x.shape).copy()),
                     Tensor(np.asarray(value, x.data.dtype)), x)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = generator().random(shape, dtype=self.loc.data.dtype)
        return self.icdf(Tensor(u))

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        z = self._z(value)
        xi = self.concentration
        zero = xi.data == 0
        safe = xi.masked_fill(Tensor(zero), 1.0)
        # -(1/xi + 1) log(1 + xi z): the factored form keeps the upper end finite or +-inf
        coef, log_gap = safe.reciprocal() + 1, (safe * z).log1p()
        with np.errstate(invalid="ignore"):
            # the uniform case xi = -1 at its upper end: 0 * -inf is 0
            nan_end = np.asarray((coef.data == 0) & (log_gap.data == -np.inf))
            closed = -self._fill(nan_end, 0.0, coef * log_gap)
        zf = _finite(z)
        series = -z - xi * (zf - 0.5 * zf * zf)
        shape = np.broadcast_shapes(xi.shape, z.shape)
        body = where(Tensor(np.broadcast_to(zero, shape).copy()), series, closed)
        below, above = self._below_above(z)
        return self._fill(below | above, -math.inf, body - self.scale.log())

    def log_survival_function(self, value) -> Tensor:
        value = self._maybe_validate(value)
        z = self._z(value)
        below, above = self._below_above(z)
        result = -_log1p_ratio(self.concentration, z.clamp(min=0))
        return self._fill(above, -math.inf, self._fill(below, 0.0, result))

    def log_cdf(self, value) -> Tensor:
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value) -> Tensor:
        return -self.log_survival_function(value).expm1()

    def icdf(self, value) -> Tensor:
        if not isinstance(value, Tensor):
            value = Tensor(np.asarray(value, dtype=self.loc.data.dtype))
        t = -(-value).log1p()
        return self.loc + self.scale * _expm1_ratio(self.concentration, t)

    @property
    def mean(self) -> Tensor:
        xi = self.concentration
        finite = xi.data < 1
        safe = xi.masked_fill(Tensor(~finite), 0.0)
        return self._fill(~finite, math.inf, self.loc + self.scale / (1 - safe))

    @property
    def variance(self) -> Tensor:
        xi = self.concentration
        finite = xi.data < 0.5
        safe = xi.masked_fill(Tensor(~finite), 0.0)
        var = self.scale * self.scale / ((1 - safe) ** 2 * (1 - 2 * safe))
        return self._fill(~finite, math.inf, var)

    @property
    def mode(self) -> Tensor:
        xi = self.concentration
        steep = xi.data < -1
        safe = xi.masked_fill(Tensor(~steep), -1.0)
        return where(Tensor(steep), self.loc - self.scale / safe, self.loc)

    def entropy(self) -> Tensor:
        return self.scale.log() + self.concentration + 1
