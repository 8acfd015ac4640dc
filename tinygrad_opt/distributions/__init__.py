"""`tinygrad_opt.distributions`: probability distributions as torch.distributions, for
VAEs, policy gradients and probabilistic models.

Each family is a file: sample / rsample (reparameterised, gradients reach the parameters)
draw from the package generator (`tinygrad_opt.manual_seed` repeats them), and log_prob,
entropy, cdf and the moments are Tensor expressions, differentiable in the parameters.
Arguments are validated by default, as torch (see distribution.py); `kl_divergence` and
`register_kl` are in kl.py.
"""

from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform

__all__ = [
    "Bernoulli",
    "Beta",
    "Categorical",
    "Distribution",
    "Exponential",
    "Gamma",
    "Independent",
    "Laplace",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]
