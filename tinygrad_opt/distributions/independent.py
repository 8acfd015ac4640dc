"""Reinterpret batch dimensions of a distribution as event dimensions, as
torch.distributions.Independent (a diagonal Gaussian over vectors, for instance)."""

from __future__ import annotations

from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import sum_rightmost


class Independent(Distribution):
    """The rightmost `reinterpreted_batch_ndims` batch dimensions of `base_distribution`
    become event dimensions: log_prob and entropy sum over them."""

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args=None) -> None:
        if not isinstance(base_distribution, Distribution):
            raise TypeError(
                f"Independent: base_distribution must be a Distribution, got "
                f"{type(base_distribution).__name__}"
            )
        n = reinterpreted_batch_ndims
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(
                f"Independent: reinterpreted_batch_ndims must be a non-negative int, got {n!r}"
            )
        batch = base_distribution.batch_shape
        if n > len(batch):
            raise ValueError(
                f"Independent: reinterpreted_batch_ndims ({n}) must be at most the number of "
                f"batch dimensions of base_distribution ({len(batch)}, batch_shape {tuple(batch)})"
            )
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = n
        split = len(batch) - n
        super().__init__(batch[:split], batch[split:] + base_distribution.event_shape,
                         validate_args)

    @property
    def has_rsample(self) -> bool:
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self) -> bool:
        return self.reinterpreted_batch_ndims == 0 and self.base_dist.has_enumerate_support

    @property
    def support(self):
        base = self.base_dist.support
        if self.reinterpreted_batch_ndims == 0 or base is None:
            return base
        return constraints.independent(base, self.reinterpreted_batch_ndims)

    def expand(self, batch_shape, _instance=None) -> Independent:
        shape = self._checked_batch_shape(batch_shape)
        event = self.event_shape[: self.reinterpreted_batch_ndims]
        base = self.base_dist.expand(shape + event)
        return Independent(base, self.reinterpreted_batch_ndims,
                           validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def mode(self) -> Tensor:
        return self.base_dist.mode

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def sample(self, sample_shape=()) -> Tensor:
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value) -> Tensor:
        return sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self) -> Tensor:
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        if self.reinterpreted_batch_ndims > 0:
            raise NotImplementedError("Independent: enumeration over cartesian products is not "
                                      "implemented")
        return self.base_dist.enumerate_support(expand=expand)

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"
