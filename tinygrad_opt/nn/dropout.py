"""`Dropout` and `Dropout2d`: zero each element (Dropout2d: each channel) with probability
p in training and scale the rest by 1 / (1 - p) (inverted dropout, as PyTorch); identity in
eval. Random draws come from
`tinygrad_opt.random.generator()`, so `manual_seed` makes masks repeat."""

from __future__ import annotations

import numbers

import numpy as np

from ..random import generator
from ..tensor import Tensor
from ._layout import flat_view, float_data
from .module import Module


def _check_p(p: float, who: str) -> float:
    # numbers.Real takes numpy scalars too (np.float32(0.1)), as PyTorch does
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{who}: dropout probability has to be between 0 and 1, but got {p!r}")
    return float(p)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout; returns the input itself when not training or p == 0. `inplace` is
    accepted and ignored."""
    p = _check_p(p, "dropout")
    x = float_data(input, "dropout")
    if not training or p == 0.0:
        return input
    # The mask follows x's memory order (e.g. channels-last after a conv) so the multiply
    # walks both arrays contiguously.
    uniform = np.empty_like(x)
    generator().random(out=flat_view(uniform), dtype=uniform.dtype)
    mask = (uniform >= p) * x.dtype.type(1.0 / (1.0 - p)) if p < 1.0 else np.zeros_like(x)

    def backward(g):
        return (g * mask,)

    return Tensor.make(x * mask, (input,), backward)


class Dropout(Module):
    """Dropout(p=0.5) as torch.nn.Dropout (inplace is accepted and ignored)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = _check_p(p, "Dropout")
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Channel dropout: zero whole channels of (N, C, H, W) or (C, H, W) input with
    probability p and scale the rest by 1 / (1 - p); the input itself when not training or
    p == 0. Deviation: torch 2.x still reads 3-D input as (N, C, L) (with a warning that
    this will change); here it is (C, H, W), as torch documents. Other ranks are a
    ValueError (torch warns that they will be). `inplace` is accepted and ignored."""
    p = _check_p(p, "dropout2d")
    x = float_data(input, "dropout2d")
    if x.ndim not in (3, 4):
        raise ValueError(
            f"dropout2d: expected input of shape (N, C, H, W) or (C, H, W), got {x.shape}; "
            "use dropout for other shapes"
        )
    if not training or p == 0.0:
        return input
    # one draw per channel, broadcast over H and W
    channels = x.shape[:-2] + (1, 1)
    uniform = generator().random(channels, dtype=x.dtype)
    mask = (uniform >= p) * x.dtype.type(1.0 / (1.0 - p)) if p < 1.0 else np.zeros_like(uniform)

    def backward(g):
        return (g * mask,)

    return Tensor.make(x * mask, (input,), backward)


class Dropout2d(Module):
    """Dropout2d(p=0.5) as torch.nn.Dropout2d: whole channels of (N, C, H, W) or (C, H, W)
    input (see dropout2d for 3-D input); `inplace` is accepted and ignored."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = _check_p(p, "Dropout2d")
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return dropout2d(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
