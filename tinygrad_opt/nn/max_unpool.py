"""`MaxUnpool1d/2d/3d` and `F.max_unpool1d/2d/3d`, as PyTorch.

The partial inverse of max pooling: each input value is written at the flat position its
index names ((id * H + ih) * W + iw, ih * W + iw, or the position in L, as max pooling's
return_indices gives) in an otherwise zero output plane. The default output size per axis is
(in - 1) * stride - 2 * padding + kernel_size; output_size (the spatial sizes, optionally
preceded by N and C) picks another size strictly between default - stride and
default + stride. The backward gathers the output gradient at the indices. One numpy
scatter and one gather per call. Repeated indices (from overlapping pooling windows) keep
the first value but every input gets the gradient at its index, as PyTorch's CPU kernel
does (so there the gradient is not that of the forward). Deviation: invalid indices or
shapes raise ValueError and non-integer indices TypeError (PyTorch: RuntimeError).
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from ._layout import float_data
from .module import Module
from .pool_geometry import check_rank, pool_sizes


def _unpool_sizes(kernel_size, stride, padding, dims: int, who: str):
    """kernel_size, stride (default kernel_size) and padding as `dims`-tuples, checked."""
    kernel = pool_sizes(kernel_size, dims, "kernel_size", who)
    steps = kernel if stride is None else pool_sizes(stride, dims, "stride", who)
    pads = pool_sizes(padding, dims, "padding", who)
    if min(*kernel, *steps) < 1 or min(pads) < 0:
        raise ValueError(
            f"{who}: kernel_size and stride must be >= 1 and padding >= 0, got kernel_size="
            f"{kernel_size}, stride={stride}, padding={padding}"
        )
    return kernel, steps, pads


def _output_size(input_shape, output_size, kernel, stride, padding, who: str):
    """The spatial output size: PyTorch's default, or output_size checked against it."""
    dims = len(kernel)
    spatial = input_shape[-dims:]
    default = tuple(
        (s - 1) * st - 2 * p + k for s, k, st, p in zip(spatial, kernel, stride, padding)
    )
    if output_size is None:
        return default
    if not isinstance(output_size, (tuple, list)) or len(output_size) not in (dims, dims + 2):
        raise TypeError(
            f"{who}: output_size must be a sequence of {dims} or {dims + 2} ints, got "
            f"{output_size!r}"
        )
    sizes = tuple(int(v) for v in output_size[-dims:])
    for axis, (size, base, st) in enumerate(zip(sizes, default, stride)):
        if not base - st < size < base + st:
            raise ValueError(
                f"{who}: invalid output_size {tuple(output_size)}: dim {axis} must be between "
                f"{base - st} and {base + st} (exclusive), got {size}"
            )
    return sizes


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, dims: int, who):
    x = float_data(input, who)
    kernel, stride, padding = _unpool_sizes(kernel_size, stride, padding, dims, who)
    check_rank(x, dims, who)
    if not isinstance(indices, Tensor) or indices.data.dtype.kind not in "iu":
        got = indices.data.dtype if isinstance(indices, Tensor) else type(indices).__name__
        raise TypeError(f"{who}: expected integer (int64) indices Tensor, got {got}")
    if tuple(indices.shape) != x.shape:
        raise ValueError(
            f"{who}: expected indices of the input's shape {x.shape}, got {tuple(indices.shape)}"
        )
    out_spatial = _output_size(x.shape, output_size, kernel, stride, padding, who)
    plane = math.prod(out_spatial)
    rows, per_row = math.prod(x.shape[:-dims]), math.prod(x.shape[-dims:])
    flat_index = indices.data.reshape(rows, per_row).astype(np.int64, copy=False)
    invalid = (flat_index < 0) | (flat_index >= plane)
    if invalid.any():
        bad = flat_index[invalid][-1]  # the last bad one, the one PyTorch names
        raise ValueError(
            f"{who}: found an invalid max index {bad}: indices must lie in [0, {plane}) for "
            f"output planes of size {'x'.join(map(str, out_spatial))}"
        )
    out = np.zeros((rows, plane), dtype=x.dtype)
    # repeated indices (overlapping pooling windows) keep the FIRST value, as PyTorch's CPU
    # kernel; numpy does not promise which write of a repeated index survives, so scatter
    # only the first occurrence of each (row, index) pair
    targets = (np.arange(rows)[:, None] * plane + flat_index).reshape(-1)
    targets, first = np.unique(targets, return_index=True)
    out.reshape(-1)[targets] = x.reshape(-1)[first]  # x in C order, as targets
    out_shape = (*x.shape[:-dims], *out_spatial)

    def backward(g: np.ndarray):
        return (np.take_along_axis(g.reshape(rows, plane), flat_index, axis=1).reshape(x.shape),)

    return Tensor.make(out.reshape(out_shape), (input,), backward)


def max_unpool1d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """Scatter (N, C, L) or (C, L) input to positions `indices` (from max_pool1d's
    return_indices) of zero signals of length (L - 1) * stride - 2 * padding + kernel_size
    or output_size; stride defaults to kernel_size."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1,
                       "max_unpool1d")  # fmt: skip


def max_unpool2d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """Scatter (N, C, H, W) or (C, H, W) input to flat positions `indices` (from
    max_pool2d's return_indices) of zero planes of the default size or output_size;
    stride defaults to kernel_size."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2,
                       "max_unpool2d")  # fmt: skip


def max_unpool3d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """Scatter (N, C, D, H, W) or (C, D, H, W) input to flat positions `indices` (from
    max_pool3d's return_indices) of zero volumes of the default size or output_size;
    stride defaults to kernel_size."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3,
                       "max_unpool3d")  # fmt: skip


class _MaxUnpoolNd(Module):
    """kernel_size, stride (default kernel_size) and padding stored as tuples, as PyTorch."""

    _dims = 2
    _functional = staticmethod(max_unpool2d)

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = _unpool_sizes(
            kernel_size, stride, padding, self._dims, type(self).__name__
        )

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return self._functional(input, indices, self.kernel_size, self.stride, self.padding,
                                output_size)  # fmt: skip

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """MaxUnpool1d(kernel_size, stride=None, padding=0) as torch.nn.MaxUnpool1d; forward
    takes (input, indices, output_size=None)."""

    _dims = 1
    _functional = staticmethod(max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """MaxUnpool2d(kernel_size, stride=None, padding=0) as torch.nn.MaxUnpool2d; forward
    takes (input, indices, output_size=None)."""


class MaxUnpool3d(_MaxUnpoolNd):
    """MaxUnpool3d(kernel_size, stride=None, padding=0) as torch.nn.MaxUnpool3d; forward
    takes (input, indices, output_size=None)."""

    _dims = 3
    _functional = staticmethod(max_unpool3d)
