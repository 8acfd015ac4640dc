"""The Kumaraswamy distribution on (0, 1), as torch.distributions.Kumaraswamy."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import constraints
from .gumbel import EULER_GAMMA
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .uniform import Uniform
from .utils import broadcast_params


def _moment(a: Tensor, b: Tensor, n: int) -> Tensor:
    """E[x^n] = b B(1 + n/a, b)."""
    arg = 1 + n / a
    return b * (arg.lgamma() + b.lgamma() - (arg + b).lgamma()).exp()


class Kumaraswamy(TransformedDistribution):
    """Density a b x^(a-1) (1 - x^a)^(b-1), a = concentration1, b = concentration0; a draw
    is (1 - u^(1/b))^(1/a), u ~ U(0, 1), built from transforms as torch. Deviation: torch's
    `mode` is NaN for every b > 1; here it is ((a - 1) / (a b - 1))^(1/a) when a >= 1 and
    b >= 1 (not both 1), and NaN otherwise."""

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None) -> None:
        self.concentration1, self.concentration0 = broadcast_params(
            "Kumaraswamy", concentration1=concentration1, concentration0=concentration0)
        dtype = self.concentration0.data.dtype
        shape = self.concentration0.shape
        base = Uniform(Tensor(np.zeros(shape, dtype)), Tensor(np.ones(shape, dtype)),
                       validate_args=False)
        transforms = [PowerTransform(self.concentration0.reciprocal()),
                      AffineTransform(1.0, -1.0),
                      PowerTransform(self.concentration1.reciprocal())]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Kumaraswamy:
        shape = self._checked_batch_shape(batch_shape)
        return Kumaraswamy(self.concentration1.expand(*shape), self.concentration0.expand(*shape),
                           validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return _moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        no_interior = (a.data < 1) | (b.data < 1) | ((a.data == 1) & (b.data == 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            mode = ((a - 1) / (a * b - 1)) ** a.reciprocal()
        return mode.masked_fill(Tensor(np.asarray(no_interior)), float("nan"))

    @property
    def variance(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        mean = _moment(a, b, 1)
        return _moment(a, b, 2) - mean * mean

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        # harmonic number H_b = digamma(b + 1) + Euler's gamma
        harmonic = (b + 1).digamma() + EULER_GAMMA
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic - a.log() - b.log()
