"""A base distribution pushed through transforms, as
torch.distributions.TransformedDistribution."""

from __future__ import annotations

from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .independent import Independent
from .transforms import ComposeTransform, Transform
from .utils import sum_rightmost


class TransformedDistribution(Distribution):
    """y = t_n(... t_1(x)), x ~ base_distribution. log_prob is the change of variables:
    log p(y) = log p_base(x) - sum log|det dt_i/dx_i|, walking the transforms backwards.
    When the first transform's domain has more event dimensions than the base, the base
    is wrapped in `Independent` (and expanded to the shape the transforms need), as torch.
    cdf/icdf go through the base's and need monotone elementwise transforms (their `sign`):
    a decreasing composition flips the cdf to 1 - F."""

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, transforms,
                 validate_args=None) -> None:
        if not isinstance(base_distribution, Distribution):
            raise TypeError("TransformedDistribution: base_distribution must be a Distribution, "
                            f"got {type(base_distribution).__name__}")
        if isinstance(transforms, Transform):
            self.transforms = [transforms]
        elif isinstance(transforms, list) and all(isinstance(t, Transform) for t in transforms):
            self.transforms = list(transforms)
        else:
            raise ValueError(
                f"TransformedDistribution: transforms must be a Transform or a list of "
                f"Transforms, but was {transforms!r}"
            )
        base_shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        base_event_dim = len(base_distribution.event_shape)
        transform = ComposeTransform(self.transforms)
        domain_event_dim = transform.domain.event_dim
        if len(base_shape) < domain_event_dim:
            raise ValueError(
                f"TransformedDistribution: base_distribution needs at least {domain_event_dim} "
                f"dimensions (the transforms' domain event_dim), but has shape {base_shape}"
            )
        forward_shape = transform.forward_shape(base_shape)
        expanded_base_shape = transform.inverse_shape(forward_shape)
        if base_shape != expanded_base_shape:
            base_batch = expanded_base_shape[: len(expanded_base_shape) - base_event_dim]
            base_distribution = base_distribution.expand(base_batch)
        reinterpreted = domain_event_dim - base_event_dim
        if reinterpreted > 0:
            base_distribution = Independent(base_distribution, reinterpreted)
        self.base_dist = base_distribution
        event_dim = transform.codomain.event_dim + max(base_event_dim - domain_event_dim, 0)
        cut = len(forward_shape) - event_dim
        super().__init__(forward_shape[:cut], forward_shape[cut:], validate_args)

    def expand(self, batch_shape, _instance=None) -> TransformedDistribution:
        shape = self._checked_batch_shape(batch_shape) + tuple(self.event_shape)
        for t in reversed(self.transforms):
            shape = t.inverse_shape(shape)
        base_batch = shape[: len(shape) - len(self.base_dist.event_shape)]
        return TransformedDistribution(self.base_dist.expand(base_batch), self.transforms,
                                       validate_args=self._validate_args)

    @property
    def has_rsample(self) -> bool:
        return self.base_dist.has_rsample

    @property
    def support(self):
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        if len(self.event_shape) > support.event_dim:
            support = constraints.independent(support, len(self.event_shape) - support.event_dim)
        return support

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            x = self.base_dist.sample(sample_shape)
            for t in self.transforms:
                x = t(x)
            return x.detach()

    def rsample(self, sample_shape=()) -> Tensor:
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        event_dim = len(self.event_shape)
        log_prob = None
        y = value
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            term = sum_rightmost(t.log_abs_det_jacobian(x, y), event_dim - t.domain.event_dim)
            log_prob = -term if log_prob is None else log_prob - term
            y = x
        base_event_dim = len(self.base_dist.event_shape)
        base = sum_rightmost(self.base_dist.log_prob(y), event_dim - base_event_dim)
        return base if log_prob is None else log_prob + base

    def _monotonize_cdf(self, value: Tensor) -> Tensor:
        """F_base(x) is the transformed cdf when the composition increases, 1 - F otherwise."""
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value) -> Tensor:
        value = self._maybe_validate(value)
        for t in reversed(self.transforms):
            value = t.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value) -> Tensor:
        value = self.base_dist.icdf(self._monotonize_cdf(value))
        for t in self.transforms:
            value = t(value)
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


__all__ = ["TransformedDistribution"]
