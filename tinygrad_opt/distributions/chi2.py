"""The chi-squared distribution with `df` degrees of freedom, as torch.distributions.Chi2."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import broadcast_params


class Chi2(Gamma):
    """Gamma(df / 2, rate 1/2), a Gamma subclass as in torch, so Gamma's log_prob, rsample
    (gradients reach df), entropy and KL rules apply. `df` is the tensor given (torch
    recomputes it as 2 concentration; the values agree)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None) -> None:
        (self.df,) = broadcast_params("Chi2", df=df)
        self.concentration = 0.5 * self.df
        self.rate = Tensor(np.full(self.df.shape, 0.5, self.df.data.dtype))
        Distribution.__init__(self, self.df.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> Chi2:
        shape = self._checked_batch_shape(batch_shape)
        return Chi2(self.df.expand(*shape), validate_args=self._validate_args)
