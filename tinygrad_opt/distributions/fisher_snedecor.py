"""The F distribution with `df1` and `df2` degrees of freedom, as
torch.distributions.FisherSnedecor."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import broadcast_params


class FisherSnedecor(Distribution):
    """x = (X1 / df1) / (X2 / df2) for chi-squared X1, X2: rsample is a ratio of Gamma(df/2,
    df/2) draws (so gradients reach both df through the implicit gamma gradients), both
    kept at least the dtype's smallest normal number, as torch. Mean is NaN for df2 <= 2,
    variance NaN for df2 <= 4, mode NaN for df1 <= 2 (as torch). No entropy (as torch)."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None) -> None:
        self.df1, self.df2 = broadcast_params("FisherSnedecor", df1=df1, df2=df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1 * 0.5, validate_args=False)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2 * 0.5, validate_args=False)
        super().__init__(self.df1.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> FisherSnedecor:
        shape = self._checked_batch_shape(batch_shape)
        return FisherSnedecor(self.df1.expand(*shape), self.df2.expand(*shape),
                              validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        df2 = self.df2
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = df2 / (df2 - 2)
        return mean.masked_fill(Tensor(df2.data <= 2), float("nan"))

    @property
    def mode(self) -> Tensor:
        ratio = (self.df1 - 2) / self.df1
        return (ratio * self.df2 / (self.df2 + 2)).masked_fill(Tensor(ratio.data <= 0),
                                                               float("nan"))

    @property
    def variance(self) -> Tensor:
        df1, df2 = self.df1, self.df2
        with np.errstate(divide="ignore", invalid="ignore"):
            var = (2 * df2 * df2 * (df1 + df2 - 2)
                   / (df1 * (df2 - 2) * (df2 - 2) * (df2 - 4)))
        return var.masked_fill(Tensor(df2.data <= 4), float("nan"))

    def rsample(self, sample_shape=()) -> Tensor:
        x1 = self._gamma1.rsample(sample_shape)
        x2 = self._gamma2.rsample(sample_shape)
        tiny = float(np.finfo(x1.data.dtype).tiny)
        return (x1 / x2.clamp(min=tiny)).clamp(min=tiny)

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        h1, h2 = self.df1 * 0.5, self.df2 * 0.5
        norm = (h1 + h2).lgamma() - h1.lgamma() - h2.lgamma()
        return (norm + h1 * self.df1.log() + h2 * self.df2.log() + (h1 - 1) * value.log()
                - (h1 + h2) * (self.df2 + self.df1 * value).log())
