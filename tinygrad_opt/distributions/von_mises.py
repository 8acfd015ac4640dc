"""The von Mises distribution on the circle, as torch.distributions.VonMises."""

from __future__ import annotations

import math

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_params

# Abramowitz & Stegun 9.8.1-9.8.4: polynomials in t = x / 3.75 for I0(x), I1(x) / x
# (x < 3.75) and in 1 / t for sqrt(x) e^-x I_n(x) (x >= 3.75); relative error ~1e-7.
_SMALL = {0: [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813],
          1: [0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411]}
_LARGE = {0: [0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706,
              0.02635537, -0.01647633, 0.00392377],
          1: [0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967,
              -0.02895312, 0.01787654, -0.00420059]}


def _polyval(coefs: list, x: Tensor) -> Tensor:
    result = x * 0 + coefs[-1]
    for c in reversed(coefs[:-1]):
        result = result * x + c
    return result


def _log_bessel_i(x: Tensor, order: int) -> Tensor:
    """log I_order(x) for x > 0 (order 0 or 1), differentiable, without overflow."""
    small_mask = x.data < 3.75
    xs = x.masked_fill(Tensor(~small_mask), 1.0)  # each branch sees inputs valid for it
    xl = x.masked_fill(Tensor(small_mask), 3.75)
    t = xs / 3.75
    small = _polyval(_SMALL[order], t * t).log()
    if order == 1:
        small = small + xs.log()
    large = xl - 0.5 * xl.log() + _polyval(_LARGE[order], 3.75 / xl).log()
    return small.masked_fill(Tensor(~small_mask), 0.0) + large.masked_fill(Tensor(small_mask), 0.0)


class VonMises(Distribution):
    """Density exp(k cos(x - loc)) / (2 pi I0(k)), k = concentration, on [-pi, pi) (the
    support is declared as the reals, as torch). I0 and I1 use the Abramowitz & Stegun
    polynomials, as torch. Sampling is Best & Fisher's (1979) rejection method, vectorised:
    each round redraws only the rejected entries, in float64, from the package generator;
    there is no rsample (as torch)."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None) -> None:
        self.loc, self.concentration = broadcast_params("VonMises", loc=loc,
                                                        concentration=concentration)
        super().__init__(self.loc.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> VonMises:
        shape = self._checked_batch_shape(batch_shape)
        return VonMises(self.loc.expand(*shape), self.concentration.expand(*shape),
                        validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        """The circular mean, loc."""
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        """The circular variance 1 - I1(k) / I0(k)."""
        k = self.concentration
        return 1 - (_log_bessel_i(k, 1) - _log_bessel_i(k, 0)).exp()

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        k = self.concentration
        return k * (value - self.loc).cos() - math.log(2 * math.pi) - _log_bessel_i(k, 0)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dtype = np.result_type(self.loc.data.dtype, self.concentration.data.dtype)
        k = np.broadcast_to(self.concentration.data.astype(np.float64), shape)
        loc = np.broadcast_to(self.loc.data.astype(np.float64), shape)
        tau = 1 + np.sqrt(1 + 4 * k * k)
        rho = (tau - np.sqrt(2 * tau)) / (2 * k)
        # the envelope parameter; 1/k + k is its expansion where rho's formula cancels (to
        # rho = 0 below k ~ 1e-8: np.where evaluates both sides, so that 1/0 is silenced)
        with np.errstate(divide="ignore"):
            r = np.where(k < 1e-5, 1 / k + k, (1 + rho * rho) / (2 * rho))
        theta = np.zeros(shape)
        todo = np.ones(shape, dtype=bool)
        rng = generator()
        while todo.any():  # each round accepts a fixed fraction (> 0.65) of the rest
            n = int(todo.sum())
            u1, u2, u3 = rng.random((3, n))
            rk, kk = r[todo], k[todo]
            z = np.cos(np.pi * u1)
            f = (1 + rk * z) / (rk + z)
            c = kk * (rk - f)
            with np.errstate(divide="ignore"):
                accept = (c * (2 - c) - u2 > 0) | (np.log(c / u2) + 1 - c >= 0)
            angle = np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1, 1))
            idx = np.flatnonzero(todo)[accept]
            theta.flat[idx] = angle[accept]
            todo.flat[idx] = False
        out = np.mod(theta + loc + np.pi, 2 * np.pi) - np.pi
        return Tensor(out.astype(dtype))
