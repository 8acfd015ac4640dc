"""`ExponentialFamily`, the base of the families with density
p(x) = h(x) exp(<eta, T(x)> - A(eta)), as torch.distributions.ExponentialFamily.

A subclass gives `_natural_params` (the tuple eta), `_log_normalizer(*eta)` (A, a Tensor
expression of the batch shape) and `_mean_carrier_measure` (E[log h(x)]). Then
H = -E[log h] + A(eta) - <eta, grad A(eta)>, since grad A(eta) = E[T(x)]; the gradient is
one backward pass of our autograd. kl.py uses the same gradient for the Bregman divergence
KL(p || q) = A(eta_q) - A(eta_p) - <eta_q - eta_p, grad A(eta_p)> between two members of
one family. Beyond torch, Beta and Dirichlet also give their carrier measure (h = 1 / prod x),
so their generic entropy works (torch's raises NotImplementedError); Poisson has none, as
torch.
"""

from __future__ import annotations

import numpy as np

from ..autograd import grad
from ..grad_mode import enable_grad
from ..tensor import Tensor
from .distribution import Distribution


def inner_over_batch(a: Tensor, b: Tensor, batch_ndim: int) -> Tensor:
    """sum(a * b) over every dimension after the first `batch_ndim` (a natural parameter
    may be a scalar, a vector or a matrix per batch element)."""
    prod = a * b
    extra = tuple(range(batch_ndim, prod.ndim))
    return prod.sum(dim=extra) if extra else prod


def log_normalizer_and_grad(dist: ExponentialFamily) -> tuple[list[Tensor], Tensor, list]:
    """The natural parameters as detached leaves, A at them and grad A (numpy-backed
    Tensors, outside any graph): only a first derivative, so the results do not carry
    gradients to the parameters (torch detaches them too)."""
    leaves = [Tensor(np.array(eta.data), requires_grad=True) for eta in dist._natural_params]
    with enable_grad():
        log_norm = dist._log_normalizer(*leaves)
        grads = grad(log_norm.sum(), leaves, allow_unused=True, materialize_grads=True)
    return [leaf.detach() for leaf in leaves], log_norm.detach(), list(grads)


class ExponentialFamily(Distribution):
    """Base for exponential families: subclasses implement `_natural_params`,
    `_log_normalizer` and `_mean_carrier_measure`; `entropy` comes from them (the families
    here keep their closed forms, as torch). The generic entropy is not differentiable in
    the parameters (torch's detaches them as well)."""

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        raise NotImplementedError(f"{type(self).__name__} does not implement _natural_params")

    def _log_normalizer(self, *natural_params) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement _log_normalizer")

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError(
            f"{type(self).__name__} does not implement _mean_carrier_measure")

    def entropy(self) -> Tensor:
        carrier = self._mean_carrier_measure
        etas, log_norm, grads = log_normalizer_and_grad(self)
        batch_ndim = len(self.batch_shape)
        result = log_norm - carrier
        for eta, g in zip(etas, grads):
            result = result - inner_over_batch(eta, g, batch_ndim)
        shape = tuple(self.batch_shape)
        return result if tuple(result.shape) == shape else result.expand(*shape)
