"""The Pareto (type I) distribution with `scale` and shape `alpha`, as
torch.distributions.Pareto."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import constraints
from .exponential import Exponential
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, ExpTransform
from .utils import broadcast_params


class Pareto(TransformedDistribution):
    """Density alpha scale^alpha / x^(alpha + 1) on x >= scale: scale exp(e), e ~ Exp(alpha)
    (torch's construction). Mean is +inf for alpha <= 1, variance +inf for alpha <= 2."""

    arg_constraints = {"scale": constraints.positive, "alpha": constraints.positive}

    def __init__(self, scale, alpha, validate_args=None) -> None:
        self.scale, self.alpha = broadcast_params("Pareto", scale=scale, alpha=alpha)
        base = Exponential(self.alpha, validate_args=False)
        super().__init__(base, [ExpTransform(), AffineTransform(0, self.scale)],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> Pareto:
        shape = self._checked_batch_shape(batch_shape)
        return Pareto(self.scale.expand(*shape), self.alpha.expand(*shape),
                      validate_args=self._validate_args)

    @property
    def support(self):
        return constraints.greater_than_eq(self.scale.data)

    @property
    def mean(self) -> Tensor:
        a = self.alpha.clamp(min=1)  # a = 1 divides by zero: +inf, as the true mean
        with np.errstate(divide="ignore"):
            return a * self.scale / (a - 1)

    @property
    def mode(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        a = self.alpha.clamp(min=2)
        with np.errstate(divide="ignore"):
            return self.scale * self.scale * a / ((a - 1) * (a - 1) * (a - 2))

    def entropy(self) -> Tensor:
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())
