"""The logistic-normal distribution on the simplex, as torch.distributions.LogisticNormal."""

from __future__ import annotations

from ..tensor import Tensor
from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import StickBreakingTransform
from .utils import broadcast_params


class LogisticNormal(TransformedDistribution):
    """StickBreakingTransform of Normal(loc, scale) over K - 1 coordinates, a point of the
    K-simplex (torch's construction; scalar parameters give K = 2). `loc` and `scale` are
    the base Normal's."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        loc, scale = broadcast_params("LogisticNormal", loc=loc, scale=scale)
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand((1,))
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> LogisticNormal:
        shape = self._checked_batch_shape(batch_shape) + (self.base_dist.event_shape[0],)
        return LogisticNormal(self.loc.expand(*shape), self.scale.expand(*shape),
                              validate_args=self._validate_args)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.base_dist.scale
