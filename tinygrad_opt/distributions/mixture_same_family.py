"""A mixture of components of one family, weighted by a Categorical, as
torch.distributions.MixtureSameFamily."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .categorical import Categorical
from .distribution import Distribution


class MixtureSameFamily(Distribution):
    """p(x) = sum_k pi_k p_k(x): `mixture_distribution` a Categorical over the K components,
    `component_distribution` a family whose rightmost batch dimension has size K. log_prob
    is a logsumexp over components; mean and variance by the laws of total expectation and
    variance; cdf the weighted component cdfs. No rsample (the choice of component is
    discrete), as torch."""

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution,
                 validate_args=None) -> None:
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("MixtureSameFamily: mixture_distribution must be a Categorical, "
                             f"got {type(mixture_distribution).__name__}")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("MixtureSameFamily: component_distribution must be a "
                             f"Distribution, got {type(component_distribution).__name__}")
        mix_batch = tuple(mixture_distribution.batch_shape)
        comp_batch = tuple(component_distribution.batch_shape)
        if not comp_batch:
            raise ValueError("MixtureSameFamily: component_distribution needs a batch "
                             "dimension of size K (the components) on the right")
        ok = len(mix_batch) <= len(comp_batch) - 1 and all(
            a == b or 1 in (a, b) for a, b in zip(mix_batch[::-1], comp_batch[-2::-1]))
        if not ok:
            raise ValueError(
                f"MixtureSameFamily: mixture_distribution batch_shape {mix_batch} does not "
                f"match component_distribution batch_shape {comp_batch} without its last "
                "dimension"
            )
        k = mixture_distribution._num_events
        if k != comp_batch[-1]:
            raise ValueError(
                f"MixtureSameFamily: mixture_distribution has {k} components but "
                f"component_distribution's last batch dimension has {comp_batch[-1]}"
            )
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._num_component = k
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(comp_batch[:-1], component_distribution.event_shape, validate_args)

    @property
    def mixture_distribution(self) -> Categorical:
        return self._mixture_distribution

    @property
    def component_distribution(self) -> Distribution:
        return self._component_distribution

    @property
    def support(self):
        return self._component_distribution.support

    def expand(self, batch_shape, _instance=None) -> MixtureSameFamily:
        shape = self._checked_batch_shape(batch_shape)
        comp = self._component_distribution.expand(shape + (self._num_component,))
        mix = self._mixture_distribution.expand(shape)
        return MixtureSameFamily(mix, comp, validate_args=self._validate_args)

    def _weights(self) -> Tensor:
        """Mixture probabilities with one trailing axis per event dimension."""
        probs = self._mixture_distribution.probs
        for _ in range(self._event_ndims):
            probs = probs.unsqueeze(-1)
        return probs

    def _component_axis(self) -> int:
        return -1 - self._event_ndims

    @property
    def mean(self) -> Tensor:
        return (self._weights() * self._component_distribution.mean).sum(self._component_axis())

    @property
    def variance(self) -> Tensor:
        axis = self._component_axis()
        w = self._weights()
        comp = self._component_distribution
        mean = (w * comp.mean).sum(axis)
        gap = comp.mean - mean.unsqueeze(axis)
        return (w * comp.variance).sum(axis) + (w * gap * gap).sum(axis)

    def _pad(self, x: Tensor) -> Tensor:
        return x.unsqueeze(self._component_axis())

    def cdf(self, value) -> Tensor:
        value = self._maybe_validate(value)
        cdf_x = self._component_distribution.cdf(self._pad(value))
        return (cdf_x * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        log_prob_x = self._component_distribution.log_prob(self._pad(value))
        log_mix = self._mixture_distribution.logits.log_softmax(-1)
        return (log_prob_x + log_mix).logsumexp(-1)

    def sample(self, sample_shape=()) -> Tensor:
        index = self._mixture_distribution.sample(sample_shape).data
        comp = self._component_distribution.sample(sample_shape).data
        axis = comp.ndim - 1 - self._event_ndims
        index = index.reshape(index.shape + (1,) * (self._event_ndims + 1))
        index = np.broadcast_to(index, comp.shape[:axis] + (1,) + comp.shape[axis + 1:])
        return Tensor(np.take_along_axis(comp, index, axis=axis).squeeze(axis))
