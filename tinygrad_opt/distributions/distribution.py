"""`Distribution`, the base of every family, as torch.distributions.Distribution.

Shapes: a sample has shape `sample_shape + batch_shape + event_shape`; `log_prob` returns
`sample_shape + batch_shape`. Validation is on by default (torch's default is `__debug__`,
True unless Python runs with -O): parameters are checked against `arg_constraints` when a
distribution is built, and the values given to `log_prob`/`cdf` against the shapes and
`support`. `Distribution.set_default_validate_args(False)` turns it off for every new
distribution; `validate_args=` overrides per instance. A failed check raises ValueError
naming the argument. Draws come from the package generator (`tinygrad_opt.manual_seed`).
"""

from __future__ import annotations

import numpy as np

from ..grad_mode import no_grad
from ..size import Size
from ..tensor import Tensor
from . import constraints
from .utils import sample_shape_tuple, value_tensor


class Distribution:
    """Base class: subclasses set `arg_constraints`, `support`, `has_rsample` and implement
    `rsample` or `sample`, `log_prob`, `entropy` and the moments they have."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = True
    arg_constraints: dict = {}
    support = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Validate the arguments of every distribution built from now on (True) or not."""
        if value not in (True, False):
            raise ValueError(
                f"set_default_validate_args: value must be True or False, got {value!r}"
            )
        Distribution._validate_args = bool(value)

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None) -> None:
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            if validate_args not in (True, False):
                raise TypeError(f"validate_args must be True, False or None, got {validate_args!r}")
            self._validate_args = bool(validate_args)
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                # a lazily computed parameter (probs from logits) was not given: skip it
                if constraints.is_dependent(constraint) or name not in self.__dict__:
                    continue
                self._check_param(name, getattr(self, name), constraint)

    def _check_param(self, name: str, value: Tensor, constraint) -> None:
        data = value.data
        valid = constraint.check(data)
        if not np.all(valid):
            bad = data[~valid] if valid.shape == data.shape else data
            raise ValueError(
                f"{type(self).__name__}: parameter {name} (Tensor of shape {data.shape}) must "
                f"satisfy the constraint {constraint!r}, but found invalid values: {bad}"
            )

    # ------------------------------------------------------------------------ shapes
    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> Size:
        shape = sample_shape_tuple(type(self).__name__, sample_shape)
        return Size(shape + self._batch_shape + self._event_shape)

    def _checked_batch_shape(self, batch_shape) -> tuple[int, ...]:
        """`expand`'s target, which the current batch shape must broadcast to."""
        shape = sample_shape_tuple(f"{type(self).__name__}.expand", batch_shape)
        ok = len(shape) >= len(self._batch_shape) and all(
            old in (1, new) for old, new in zip(self._batch_shape[::-1], shape[::-1])
        )
        if not ok:
            raise ValueError(
                f"{type(self).__name__}.expand: batch_shape {tuple(self._batch_shape)} cannot "
                f"expand to {shape} (only size-1 dimensions can grow; new ones go in front)"
            )
        return shape

    def expand(self, batch_shape, _instance=None) -> Distribution:
        """A distribution of the same family with parameters broadcast to `batch_shape`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement expand")

    # ---------------------------------------------------------------------- sampling
    def sample(self, sample_shape=()) -> Tensor:
        """A draw outside the graph, of shape sample_shape + batch_shape + event_shape."""
        with no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape=()) -> Tensor:
        """A reparameterised draw: gradients flow to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sampler (rsample)")

    def sample_n(self, n: int) -> Tensor:
        return self.sample((n,))

    # ------------------------------------------------------------------ probabilities
    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def cdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement enumerate_support")

    # ----------------------------------------------------------------------- moments
    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    # -------------------------------------------------------------------- validation
    def _validate_sample(self, value) -> Tensor:
        """Check a value's shape against batch_shape + event_shape and its support."""
        owner = type(self).__name__
        value = value_tensor(owner, value)
        shape = value.data.shape
        n_event = len(self._event_shape)
        if shape[len(shape) - n_event:] != self._event_shape or len(shape) < n_event:
            raise ValueError(
                f"{owner}: the right-most size of value {shape} must match event_shape "
                f"{tuple(self._event_shape)}"
            )
        full = tuple(self._batch_shape) + tuple(self._event_shape)
        if not all(a == b or 1 in (a, b) for a, b in zip(shape[::-1], full[::-1])):
            raise ValueError(
                f"{owner}: value of shape {shape} does not broadcast with batch_shape + "
                f"event_shape {full}"
            )
        support = self.support
        if support is not None and not constraints.is_dependent(support):
            valid = support.check(value.data)
            if not np.all(valid):
                raise ValueError(
                    f"{owner}: value argument (Tensor of shape {shape}) must be within the "
                    f"support {support!r}, but found invalid values: {value.data}"
                )
        return value

    def _maybe_validate(self, value) -> Tensor:
        if self._validate_args:
            return self._validate_sample(value)
        return value if isinstance(value, Tensor) else Tensor(value)

    def __repr__(self) -> str:
        parts = []
        for name in getattr(self, "_given", self.arg_constraints):
            if name in self.__dict__:
                value = self.__dict__[name].data
                parts.append(f"{name}: {value.item() if value.size == 1 else value.shape}")
        return f"{type(self).__name__}({', '.join(parts)})"
