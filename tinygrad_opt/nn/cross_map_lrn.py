"""`CrossMapLRN2d(size, alpha=1e-4, beta=0.75, k=1)`: torch's legacy cross-channel local
response norm (Lua torch's SpatialCrossMapLRN) of (N, C, H, W) input:
b_c = a_c / (k + alpha / size * s_c) ** beta, s_c a running sum of squares over channels.

s_0 sums channels [0, pre) with pre = (size - 1) // 2 + 1; each next s_c adds channel
c + pre - 1 (while it exists) and removes channel c - pre once c > pre, exactly as torch's
forward (so channel 0 stays in every s_c with c >= pre, which makes the windows differ from
LocalResponseNorm's; the numbers match torch's). Deviation: the gradient is the exact one of
this forward (torch's hand-written backward does not match its forward; it fails gradcheck),
and a non-4-D input raises ValueError as torch's. One graph node; the sums are one
(C, C) 0/1 matrix product.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._layout import float_data
from .local_response_norm import _check_size
from .module import Module


def _window_matrix(channels: int, size: int, dtype) -> np.ndarray:
    """w[c, d] = 1 where torch's running sum s_c holds channel d (built by its recurrence)."""
    pre = (size - 1) // 2 + 1
    w = np.zeros((channels, channels), dtype=dtype)
    w[0, : min(pre, channels)] = 1
    for c in range(1, channels):  # over channels of a small matrix, not over elements
        w[c] = w[c - 1]
        if c < channels - pre + 1:
            w[c, c + pre - 1] += 1
        if c > pre:
            w[c, c - pre] -= 1
    return w


def cross_map_lrn2d(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                    k: float = 1.0) -> Tensor:
    """The CrossMapLRN2d forward (see the module docstring)."""
    size = _check_size(size, "CrossMapLRN2d")
    x = float_data(input, "CrossMapLRN2d")
    if x.ndim != 4:
        raise ValueError(f"CrossMapLRN2d: expected 4-D input (N, C, H, W), got {x.ndim}-D")
    w = _window_matrix(x.shape[1], size, x.dtype)
    scale = k + (alpha / size) * np.einsum("cd,ndhw->nchw", w, x * x)
    factor = scale ** -beta
    out = x * factor

    def backward(g: np.ndarray):
        # d out_c / d x_d = factor_c [c == d] - 2 beta alpha / size * x_c x_d w[c, d] / scale_c
        inner = g * out / scale
        return (g * factor - (2 * beta * alpha / size) * x
                * np.einsum("cd,nchw->ndhw", w, inner),)

    return Tensor.make(out, (input,), backward)


class CrossMapLRN2d(Module):
    """CrossMapLRN2d(size, alpha=1e-4, beta=0.75, k=1) as torch.nn.CrossMapLRN2d."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size = _check_size(size, "CrossMapLRN2d")
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return cross_map_lrn2d(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
