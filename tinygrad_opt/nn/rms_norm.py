"""`RMSNorm` and `F.rms_norm` (Zhang & Sennrich, 2019), as PyTorch.

y = x / sqrt(mean(x^2) + eps) * weight, the mean taken over the trailing `normalized_shape`
axes; no centring and no bias. eps=None means the machine epsilon of the input's dtype
(torch.finfo(dtype).eps), as PyTorch. weight starts at ones. One graph node, numpy over
(rows, size) so every reduction is a contiguous row. Deviation: bad shapes raise ValueError
(PyTorch: RuntimeError), and the module refuses non-positive sizes when built.
"""

from __future__ import annotations

import numpy as np

from ..default_dtype import default_float
from ..devices import check_cpu
from ..tensor import Tensor
from ._layout import float_data
from .module import Module, Parameter


def _shape_tuple(normalized_shape, who: str) -> tuple[int, ...]:
    if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape, bool):
        return (int(normalized_shape),)
    if not isinstance(normalized_shape, (tuple, list)) or any(
        isinstance(d, bool) or not isinstance(d, (int, np.integer)) for d in normalized_shape
    ):
        raise TypeError(f"{who}: normalized_shape must be an int or a sequence of ints, got "
                        f"{normalized_shape!r}")  # fmt: skip
    return tuple(int(d) for d in normalized_shape)


def rms_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """Root-mean-square normalisation over the trailing `normalized_shape` axes, as
    torch.nn.functional.rms_norm; eps=None is the machine epsilon of input's dtype."""
    who = "rms_norm"
    x = float_data(input, who)
    shape = _shape_tuple(normalized_shape, who)
    if not shape:
        raise ValueError(f"{who}: expected normalized_shape with at least one entry, got ()")
    if len(shape) > x.ndim or x.shape[x.ndim - len(shape) :] != shape:
        raise ValueError(
            f"{who}: expected input of shape (*, {', '.join(map(str, shape))}), got {x.shape}"
        )
    if weight is not None and tuple(weight.shape) != shape:
        raise ValueError(
            f"{who}: expected weight of shape {shape} (normalized_shape), got {tuple(weight.shape)}"
        )
    if eps is None:
        eps = float(np.finfo(x.dtype).eps)
    size = int(np.prod(shape))
    x2 = x.reshape(-1, size)
    mean_square = np.einsum("ij,ij->i", x2, x2)[:, None] / max(size, 1)  # size 0: empty out
    inv_rms = (1.0 / np.sqrt(mean_square + eps)).astype(x.dtype, copy=False)
    xhat = x2 * inv_rms
    gamma = weight.data.reshape(-1) if weight is not None else None
    out = xhat * gamma if gamma is not None else xhat

    def backward(g: np.ndarray):
        g2 = g.reshape(-1, size)
        gw = None
        if weight is not None and weight.requires_grad:
            gw = (g2 * xhat).sum(axis=0).reshape(shape)
        gx = None
        if input.requires_grad:
            gxhat = g2 * gamma if gamma is not None else g2
            # d xhat_j / d x_i = inv_rms * (delta_ij - xhat_i xhat_j / size)
            projection = np.einsum("ij,ij->i", gxhat, xhat)[:, None] / size
            gx = ((gxhat - xhat * projection) * inv_rms).reshape(x.shape)
        return (gx, gw) if weight is not None else (gx,)

    parents = (input,) if weight is None else (input, weight)
    return Tensor.make(out.reshape(x.shape), parents, backward)


class RMSNorm(Module):
    """RMS norm over the trailing `normalized_shape` axes, as torch.nn.RMSNorm: `weight`
    (ones) when elementwise_affine, no bias; eps=None is the input dtype's machine epsilon."""

    def __init__(
        self,
        normalized_shape,
        eps: float | None = None,
        elementwise_affine: bool = True,
        *,
        device=None,
        dtype=None,
    ) -> None:
        check_cpu("RMSNorm", device)
        super().__init__()
        shape = _shape_tuple(normalized_shape, "RMSNorm")
        if not shape or any(d < 1 for d in shape):
            raise ValueError(
                f"RMSNorm: normalized_shape must be positive ints, got {normalized_shape!r}"
            )
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        weight = Parameter(np.ones(shape, dtype=default_float(dtype)))
        self.register_parameter("weight", weight if elementwise_affine else None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            self.weight.data[...] = 1.0

    def forward(self, x: Tensor) -> Tensor:
        n = len(self.normalized_shape)
        if x.ndim < n or tuple(x.shape[x.ndim - n :]) != self.normalized_shape:
            raise ValueError(
                "RMSNorm: expected input of shape "
                f"(*, {', '.join(map(str, self.normalized_shape))}), got {tuple(x.shape)}"
            )
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
