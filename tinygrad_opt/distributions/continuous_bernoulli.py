"""The continuous Bernoulli distribution on [0, 1], as
torch.distributions.ContinuousBernoulli."""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from ..ops.select import where
from ..random import generator
from ..tensor import Tensor
from . import constraints
from .exp_family import ExponentialFamily
from .utils import ProbsOrLogits, broadcast_params, clamp_probs, logits_to_probs, softplus


class ContinuousBernoulli(ProbsOrLogits, ExponentialFamily):
    """Loaiza-Ganem & Cunningham (2019): density C(p) p^x (1 - p)^(1-x) on [0, 1], with
    C(p) = 2 atanh(1 - 2p) / (1 - 2p) (2 at p = 1/2). Near p = 1/2 (lims, default
    (0.499, 0.501)) the closed forms cancel, so C, the mean and the variance use their
    Taylor expansions there, as torch; probs (given, or derived from logits) are clamped to
    [eps, 1 - eps] after validation, as torch. rsample is the icdf of a uniform draw.
    Deviation: the closed forms are evaluated in float64 and cast back, since in float32
    they cancel just outside lims (PyTorch's float32 variance at p = 0.499 is negative)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501),
                 validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("ContinuousBernoulli: give either probs or logits, but not both")
        if probs is not None:
            (self.probs,) = broadcast_params("ContinuousBernoulli", probs=probs)
            shape = self.probs.shape
        else:
            (self.logits,) = broadcast_params("ContinuousBernoulli", logits=logits)
            shape = self.logits.shape
        self._given = ("probs",) if probs is not None else ("logits",)
        self._lims = tuple(lims)
        super().__init__(shape, (), validate_args)
        if probs is not None:
            # validated above on the given values, then kept away from 0 and 1
            self.probs = clamp_probs(self.probs)

    @cached_property
    def probs(self) -> Tensor:
        # from logits, clamped too (as torch): sigmoid(l) rounds to 1 for l > ~37 in float64,
        # where log(1 - p) and so log_prob, mean, cdf, icdf and entropy became inf or NaN
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def expand(self, batch_shape, _instance=None) -> ContinuousBernoulli:
        shape = self._checked_batch_shape(batch_shape)
        key = self._given[0]
        return ContinuousBernoulli(**{key: self.param.expand(*shape)}, lims=self._lims,
                                   validate_args=self._validate_args)

    def _outside(self) -> np.ndarray:
        p = self.probs.data
        return np.asarray((p <= self._lims[0]) | (p > self._lims[1]))

    def _cut_probs(self) -> Tensor:
        """probs outside the unstable region, lims[0] inside it (a safe stand-in), in float64:
        the closed forms cancel near 1/2 (in float32 the variance at p = 0.49 is 1% off, at
        0.499 several times off; PyTorch, computing in float32, too)."""
        p = self.probs.masked_fill(Tensor(~self._outside()), self._lims[0])
        return p.astype(np.float64)

    def _select(self, closed: Tensor, taylor: Tensor) -> Tensor:
        """closed (float64, from _cut_probs) outside the unstable region, else taylor; in the
        dtype the parameters and taylor's operands give."""
        dtype = np.result_type(self.probs.data.dtype, taylor.data.dtype)
        return where(Tensor(self._outside()), closed.astype(dtype), taylor)

    def _cont_bern_log_norm(self) -> Tensor:
        """log C(p), the density's normalising constant."""
        p = self._cut_probs()
        below = p.data <= 0.5
        low_half = p.masked_fill(Tensor(~below), 0.0)
        high_half = p.masked_fill(Tensor(p.data < 0.5), 1.0)
        # log|1 - 2p| on each side of 1/2, each written where its argument is safe
        log_gap = (-2.0 * low_half).log1p().masked_fill(Tensor(~below), 0.0) + \
            (2.0 * high_half - 1.0).log().masked_fill(Tensor(below), 0.0)
        closed = ((-p).log1p() - p.log()).abs().log() - log_gap
        x = (self.probs - 0.5) ** 2
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return self._select(closed, taylor)

    @property
    def mean(self) -> Tensor:
        p = self._cut_probs()
        closed = p / (2.0 * p - 1.0) + 1.0 / ((-p).log1p() - p.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x * x) * x
        return self._select(closed, taylor)

    @property
    def variance(self) -> Tensor:
        p = self._cut_probs()
        log_ratio = (-p).log1p() - p.log()
        closed = p * (p - 1.0) / ((1.0 - 2.0 * p) ** 2) + 1.0 / (log_ratio * log_ratio)
        x = (self.probs - 0.5) ** 2
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return self._select(closed, taylor)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = Tensor(generator().random(shape).astype(self.probs.data.dtype))
        return self.icdf(u)

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        # -BCE with logits (x l - softplus(l)) plus log C
        return value * self.logits - softplus(self.logits) + self._cont_bern_log_norm()

    def cdf(self, value) -> Tensor:
        value = self._maybe_validate(value)
        p = self._cut_probs()
        closed = (p ** value * (1.0 - p) ** (1.0 - value) + p - 1.0) / (2.0 * p - 1.0)
        result = self._select(closed, value)
        zero = Tensor(np.zeros((), result.data.dtype))
        result = where(Tensor(np.asarray(value.data <= 0)), zero, result)
        return where(Tensor(np.asarray(value.data >= 1)), zero + 1, result)

    def icdf(self, value) -> Tensor:
        if not isinstance(value, Tensor):  # a float or array of quantiles, in the probs' dtype
            value = Tensor(np.asarray(value, dtype=self.probs.data.dtype))
        p = self._cut_probs()
        closed = (((-p) + value * (2.0 * p - 1.0)).log1p() - (-p).log1p()) / (
            p.log() - (-p).log1p())
        return self._select(closed, value)

    def entropy(self) -> Tensor:
        log_q = (-self.probs).log1p()
        log_p = self.probs.log()
        return self.mean * (log_q - log_p) - self._cont_bern_log_norm() - log_q

    # exponential-family form: eta = logits, T(x) = x, h = 1, A(l) = log((e^l - 1) / l), with
    # its Taylor series l/2 + l^2/24 - l^4/2880 for |l| < 1e-2 (the closed form cancels there;
    # the next term, l^6/181440, is below 1e-17)
    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.logits,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        small = Tensor(np.abs(x.data) < 1e-2)
        safe = x.masked_fill(small, 1.0)  # the closed form at a point where it is finite
        positive = Tensor(safe.data > 0)
        # log|e^l - 1| without overflow: l + log(1 - e^-l) for l > 0, log(1 - e^l) below; each
        # branch sees only its own sign, so the other's gradient stays finite (0, not NaN)
        pos, neg = safe.masked_fill(~positive, 1.0), safe.masked_fill(positive, -1.0)
        log_gap = where(positive, pos + (-(-pos).expm1()).log(), (-neg.expm1()).log())
        closed = log_gap - safe.abs().log()
        x2 = x * x
        taylor = 0.5 * x + x2 / 24.0 - x2 * x2 / 2880.0
        return where(small, taylor, closed)

    @property
    def _mean_carrier_measure(self) -> float:
        return 0.0
