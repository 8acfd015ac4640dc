"""PyTorch's `*_with_indices` functional forms of the max poolings: the same arguments as
max_pool1d/2d/3d and adaptive_max_pool1d/2d/3d, always returning
(output, int64 indices). return_indices is accepted and ignored, as in PyTorch."""

from __future__ import annotations

from ..tensor import Tensor
from .adaptive_pooling1d import adaptive_max_pool1d
from .pooling import adaptive_max_pool2d, max_pool2d
from .pooling1d import max_pool1d
from .pooling3d import adaptive_max_pool3d, max_pool3d


def max_pool1d_with_indices(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """max_pool1d with return_indices=True."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """max_pool2d with return_indices=True."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> tuple[Tensor, Tensor]:
    """max_pool3d with return_indices=True."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(
    input: Tensor, output_size, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """adaptive_max_pool1d with return_indices=True."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(
    input: Tensor, output_size, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """adaptive_max_pool2d with return_indices=True."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(
    input: Tensor, output_size, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """adaptive_max_pool3d with return_indices=True."""
    return adaptive_max_pool3d(input, output_size, True)
