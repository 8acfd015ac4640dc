"""The half-Cauchy distribution, |X| for X ~ Cauchy(0, scale), as
torch.distributions.HalfCauchy."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .cauchy import Cauchy
from .half_normal import _Folded


class HalfCauchy(_Folded):
    """|X|, X ~ Cauchy(0, scale): mean and variance +inf, mode 0, as torch."""

    _base = Cauchy

    @property
    def mean(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.inf, self.scale.data.dtype))

    @property
    def variance(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.inf, self.scale.data.dtype))
