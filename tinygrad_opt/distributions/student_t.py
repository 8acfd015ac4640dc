"""Student's t distribution with `df` degrees of freedom, location `loc` and scale
`scale`, as torch.distributions.StudentT."""

from __future__ import annotations

import math

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .gamma_sampler import standard_gamma
from .utils import broadcast_params


class StudentT(Distribution):
    """Density Gamma((df+1)/2) / (Gamma(df/2) sqrt(df pi) scale) (1 + y^2/df)^(-(df+1)/2),
    y = (x - loc) / scale. rsample is loc + scale eps / sqrt(c / df), eps ~ N(0, 1),
    c ~ Chi2(df) = 2 Gamma(df / 2, 1); gradients reach df through the implicit gamma
    gradient (gamma_sampler.py). mean is NaN for df <= 1; variance is +inf for
    1 < df <= 2 and NaN for df <= 1, as torch."""

    arg_constraints = {
        "df": constraints.positive,
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None) -> None:
        self.df, self.loc, self.scale = broadcast_params("StudentT", df=df, loc=loc, scale=scale)
        super().__init__(self.df.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> StudentT:
        shape = self._checked_batch_shape(batch_shape)
        return StudentT(self.df.expand(*shape), self.loc.expand(*shape),
                        self.scale.expand(*shape), validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc.masked_fill(Tensor(self.df.data <= 1), np.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        df = self.df.data
        # df <= 2 would divide by zero or a negative number: fill those from the masks
        safe_df = self.df.masked_fill(Tensor(df <= 2), 3.0)
        var = self.scale * self.scale * safe_df / (safe_df - 2)
        return var.masked_fill(Tensor(df <= 2), np.inf).masked_fill(Tensor(df <= 1), np.nan)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dtype = self.df.data.dtype
        eps = Tensor(generator().standard_normal(shape, dtype=dtype))
        chi2 = 2 * standard_gamma(0.5 * self.df, shape, generator())
        return self.loc + self.scale * eps * (chi2 / self.df).rsqrt()

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        df = self.df
        y = (value - self.loc) / self.scale
        log_norm = (self.scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi)
                    + (0.5 * df).lgamma() - (0.5 * (df + 1)).lgamma())
        return -0.5 * (df + 1) * (y * y / df).log1p() - log_norm

    def entropy(self) -> Tensor:
        df = self.df
        log_beta = (0.5 * df).lgamma() + 0.5 * math.log(math.pi) - (0.5 * (df + 1)).lgamma()
        return (self.scale.log() + 0.5 * (df + 1) * ((0.5 * (df + 1)).digamma()
                - (0.5 * df).digamma()) + 0.5 * df.log() + log_beta)
