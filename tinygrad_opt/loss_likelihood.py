"""Negative log-likelihood losses of count and real-valued targets, with
torch.nn.functional's names, arguments and defaults: `poisson_nll_loss`,
`gaussian_nll_loss`, and the classes `PoissonNLLLoss`, `GaussianNLLLoss`.

Both are composed of Tensor ops (autograd gives the gradients of input, target and var).
Deviation from PyTorch: the deprecated `size_average` / `reduce` arguments are not taken
(pass `reduction=` by keyword).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .loss import _check_reduction, _Loss
from .loss_margin import _broadcast, _float_tensor, _operand, _reduce
from .ops import where
from .tensor import Tensor


def _real(value, who: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be a real number, got {value!r}")
    return float(value)


def poisson_nll_loss(
    input: Tensor,
    target,
    log_input: bool = True,
    full: bool = False,
    eps: float = 1e-8,
    reduction: str = "mean",
) -> Tensor:
    """Poisson negative log-likelihood of target counts t given the rate.

    log_input=True: input is log(rate), loss = exp(input) - t input; False: input is the
    rate, loss = input - t log(input + eps). full adds Stirling's approximation of log(t!),
    t log t - t + log(2 pi t) / 2, where t > 1 (0 elsewhere). Input and target broadcast,
    as PyTorch. Deviation: a target that requires grad gets 0 where t <= 1 under full=True
    (the term is 0 there), where PyTorch gives NaN at t = 0.
    """
    who = "poisson_nll_loss"
    x = _float_tensor(input, who, "input")
    t = _operand(target, x.data, who, "target")
    _check_reduction(reduction, who)
    eps = _real(eps, who, "eps")
    _broadcast(who, input=x.shape, target=t.shape)
    values = x.exp() - t * x if log_input else x - t * (x + eps).log()
    if full:
        counted = t.data > 1
        # t = 2 where the term is dropped keeps log() away from 0 and negative values, so
        # neither the value nor the target's gradient there picks up a NaN
        safe = where(counted, t, 2.0)
        stirling = safe * safe.log() - safe + 0.5 * (safe * (2 * math.pi)).log()
        values = values + where(counted, stirling, 0.0)
    return _reduce(values, reduction)


def _clamp_min_straight_through(var: Tensor, eps: float) -> Tensor:
    """max(var, eps) whose gradient passes unchanged everywhere: PyTorch clamps var in
    place under no_grad, so its gradient is d/dvar at the clamped value, clamped or not."""
    return Tensor.make(np.maximum(var.data, var.data.dtype.type(eps)), (var,), lambda g: (g,))


def _var_tensor(var, x: Tensor, who: str) -> Tensor:
    """var as a Tensor shaped to broadcast against the input, by PyTorch's rules."""
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{who}: var has negative entry/entries (var={var})")
        return Tensor(np.full(x.shape, var, dtype=x.data.dtype))
    v = _operand(var, x.data, who, "var")
    if v.data.size and (v.data < 0).any():
        raise ValueError(
            f"{who}: var has negative entry/entries (smallest {v.data.min()}); variances "
            "must be >= 0"
        )
    if v.shape == x.shape:
        return v
    if v.shape == x.shape[:-1]:  # one variance per row: homoscedastic over the last dim
        return v.unsqueeze(-1)
    differ = [(n, m) for n, m in zip(x.shape, v.shape) if n != m]
    if v.ndim == x.ndim and sum(m for _, m in differ) == 1:
        return v  # a single size-1 dimension of var broadcasts
    raise ValueError(
        f"{who}: var of shape {v.shape} is of incorrect size for input of shape {x.shape}; "
        "expected the input's shape, the input's shape without its last dimension, or the "
        "input's shape with one dimension of size 1"
    )


def gaussian_nll_loss(
    input: Tensor,
    target,
    var,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Gaussian negative log-likelihood: (log(max(var, eps)) + (input - target)^2 /
    max(var, eps)) / 2, plus log(2 pi) / 2 when full.

    var (a Tensor or a number >= 0) has the input's shape, or that shape without its last
    dimension (one variance per row), or with one dimension of size 1, as PyTorch; negative
    entries raise ValueError. The clamp at eps changes values only: var's gradient is taken
    at the clamped value, as PyTorch. Input and target broadcast.
    """
    who = "gaussian_nll_loss"
    x = _float_tensor(input, who, "input")
    t = _operand(target, x.data, who, "target")
    eps = _real(eps, who, "eps")
    v = _clamp_min_straight_through(_var_tensor(var, x, who), eps)
    _check_reduction(reduction, who)
    _broadcast(who, input=x.shape, target=t.shape, var=v.shape)
    diff = x - t
    values = 0.5 * (v.log() + diff * diff / v)
    if full:
        values = values + 0.5 * math.log(2 * math.pi)
    return _reduce(values, reduction)


class PoissonNLLLoss(_Loss):
    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        eps: float = 1e-8,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input: Tensor, target) -> Tensor:
        return poisson_nll_loss(
            log_input, target, self.log_input, self.full, self.eps, self.reduction
        )


class GaussianNLLLoss(_Loss):
    """GaussianNLLLoss(*, full=False, eps=1e-6, reduction='mean'); forward(input, target,
    var)."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Tensor, target, var) -> Tensor:
        return gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)
