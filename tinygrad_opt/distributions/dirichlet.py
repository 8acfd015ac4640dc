"""The Dirichlet distribution on the simplex, as torch.distributions.Dirichlet."""

from __future__ import annotations

import numpy as np

from ..random import generator
from ..tensor import Tensor
from . import constraints
from .exp_family import ExponentialFamily
from .gamma_sampler import standard_gamma
from .utils import as_param


class Dirichlet(ExponentialFamily):
    """Density Gamma(a0) / prod Gamma(a_k) prod x_k^(a_k - 1), a = concentration along the
    last dimension (event_shape (K,)), a0 = sum a. rsample normalises independent
    Gamma(a_k, 1) draws, with gradients through each draw's implicit reparameterisation
    (gamma_sampler.py) and the normalisation; torch differentiates the normalised draw with
    its own Dirichlet rule. Both are exact derivatives of a sampler of the same
    distribution, so expectations of gradients agree, single draws do not."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None) -> None:
        self.concentration = as_param("Dirichlet", "concentration", concentration)
        if self.concentration.ndim < 1:
            raise ValueError(
                "Dirichlet: concentration must be at least one-dimensional (categories along "
                f"the last dimension), got shape {self.concentration.shape}"
            )
        shape = self.concentration.shape
        super().__init__(shape[:-1], shape[-1:], validate_args)

    def expand(self, batch_shape, _instance=None) -> Dirichlet:
        shape = self._checked_batch_shape(batch_shape) + tuple(self.event_shape)
        return Dirichlet(self.concentration.expand(*shape), validate_args=self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(dim=-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        """(a - 1)+ normalised; where every a_k < 1 the density peaks at the vertices: the
        one-hot of the largest a_k (torch takes the argmax of a row of NaN there, which is
        always the first category)."""
        a = self.concentration.data
        excess = np.maximum(a - 1, 0)
        with np.errstate(invalid="ignore"):
            mode = excess / excess.sum(-1, keepdims=True)
        vertex = np.eye(a.shape[-1], dtype=a.dtype)[a.argmax(-1)]
        return Tensor(np.where(np.all(a < 1, axis=-1, keepdims=True), vertex, mode))

    @property
    def variance(self) -> Tensor:
        a = self.concentration
        a0 = a.sum(dim=-1, keepdim=True)
        return a * (a0 - a) / (a0 * a0 * (a0 + 1))

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        g = standard_gamma(self.concentration, shape, generator())
        # gamma draws below the dtype's smallest normal number are raised to it (as
        # Gamma.rsample), so the sum is never 0
        tiny = np.finfo(g.data.dtype).tiny
        g = g + Tensor(np.where(g.data < tiny, tiny - g.data, 0).astype(g.data.dtype))
        return g / g.sum(dim=-1, keepdim=True)

    def log_prob(self, value) -> Tensor:
        value = self._maybe_validate(value)
        a = self.concentration
        return ((a - 1).xlogy(value).sum(dim=-1) + a.sum(dim=-1).lgamma()
                - a.lgamma().sum(dim=-1))

    def entropy(self) -> Tensor:
        a = self.concentration
        k = a.shape[-1]
        a0 = a.sum(dim=-1)
        return (a.lgamma().sum(dim=-1) - a0.lgamma() - (k - a0) * a0.digamma()
                - ((a - 1) * a.digamma()).sum(dim=-1))

    # exponential-family form: eta = a, T(x) = log x, h = 1 / prod x_k, A = sum lgamma(a_k) -
    # lgamma(a0). torch has no carrier measure for Dirichlet; E[log h] = -sum E[log x_k]
    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.concentration,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return x.lgamma().sum(dim=-1) - x.sum(dim=-1).lgamma()

    @property
    def _mean_carrier_measure(self) -> Tensor:
        a = self.concentration
        return a.shape[-1] * a.sum(dim=-1).digamma() - a.digamma().sum(dim=-1)
