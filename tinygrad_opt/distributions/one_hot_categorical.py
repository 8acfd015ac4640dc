"""The categorical distribution over one-hot vectors, as
torch.distributions.OneHotCategorical."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .utils import ViaCategorical


class OneHotCategorical(ViaCategorical, Distribution):
    """A Categorical whose values are one-hot vectors of length K (event_shape (K,));
    samples have probs' dtype. Same `probs`/`logits` arguments as Categorical."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        super().__init__(self._categorical.batch_shape,
                         (self._categorical._num_events,), validate_args)

    def expand(self, batch_shape, _instance=None) -> OneHotCategorical:
        shape = self._checked_batch_shape(batch_shape)
        new = object.__new__(OneHotCategorical)
        new._categorical = self._categorical.expand(shape)
        Distribution.__init__(new, shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        p = self.probs.data
        return Tensor(np.eye(p.shape[-1], dtype=p.dtype)[p.argmax(-1)])

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        index = self._categorical.sample(sample_shape).data
        return Tensor(np.eye(self.event_shape[0], dtype=self.probs.data.dtype)[index])

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        return self._categorical.log_prob(Tensor(value.data.argmax(-1)))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        k = self.event_shape[0]
        n = len(self.batch_shape)
        values = np.eye(k, dtype=self.probs.data.dtype).reshape((k,) + (1,) * n + (k,))
        if expand:
            values = np.broadcast_to(values, (k,) + self.batch_shape + (k,)).copy()
        return Tensor(values)
