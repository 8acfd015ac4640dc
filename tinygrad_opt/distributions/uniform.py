"""The continuous uniform distribution on [low, high), as torch.distributions.Uniform."""

from __future__ import annotations

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_params


class Uniform(Distribution):
    """U(low, high), low < high checked when validating. rsample is low + u (high - low).
    As torch, log_prob is -inf at `high` itself (the support check admits it) and `mode`
    is NaN (every point of the interval is a mode)."""

    arg_constraints = {"low": constraints.dependent, "high": constraints.dependent}
    has_rsample = True

    def __init__(self, low, high, validate_args=None) -> None:
        self.low, self.high = broadcast_params("Uniform", low=low, high=high)
        super().__init__(self.low.shape, (), validate_args)
        if self._validate_args and not np.all(self.low.data < self.high.data):
            bad = ~(self.low.data < self.high.data)
            raise ValueError(
                f"Uniform: parameter low must be less than high, but found low "
                f"{self.low.data[bad]} and high {self.high.data[bad]}"
            )

    @property
    def support(self):
        return constraints.interval(self.low.data, self.high.data)

    def expand(self, batch_shape, _instance=None) -> Uniform:
        shape = self._checked_batch_shape(batch_shape)
        return Uniform(self.low.expand(*shape), self.high.expand(*shape),
                       validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return (self.low + self.high) / 2

    @property
    def mode(self) -> Tensor:
        return Tensor(np.full(self.high.shape, np.nan, self.high.data.dtype))

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self) -> Tensor:
        width = self.high - self.low
        return width * width / 12

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dtype = np.result_type(self.low.data.dtype, self.high.data.dtype)
        u = Tensor(generator().random(shape, dtype=dtype))
        return self.low + u * (self.high - self.low)

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        inside = (self.low.data <= value.data) & (value.data < self.high.data)
        dtype = np.result_type(value.data.dtype, self.low.data.dtype)
        outside = Tensor(np.where(inside, 0.0, -np.inf).astype(dtype))
        return outside - (self.high - self.low).log()

    def cdf(self, value) -> Tensor:
        value = self._maybe_validate(value)
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value) -> Tensor:
        return self.low + value * (self.high - self.low)

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()
