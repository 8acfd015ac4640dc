"""PyTorch's memory-layout queries, answered from the numpy array: stride, storage_offset,
is_contiguous, data_ptr, element_size / itemsize, nbytes, nelement, is_floating_point.

Strides and offsets count elements, as torch; they describe the numpy array, so a
flipped view has negative strides here (torch's flip copies, so its strides never are).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .axes import normalize_axis


def stride(x: Tensor, dim: int | None = None):
    """The step in elements between neighbours along each dimension (a tuple), or along `dim`."""
    a = x.data
    steps = tuple(s // a.itemsize for s in a.strides)
    if dim is None:
        return steps
    return steps[normalize_axis("stride", dim, a.ndim)]


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def storage_offset(x: Tensor) -> int:
    """Elements from the start of the memory x is a view of (its base array) to x's first."""
    a = x.data
    base = a
    while isinstance(base.base, np.ndarray):
        base = base.base
    return (_address(a) - _address(base)) // a.itemsize


def is_contiguous(x: Tensor, memory_format=None) -> bool:
    """Whether the elements lie in row-major order without gaps (C-contiguous)."""
    del memory_format
    return bool(x.data.flags.c_contiguous)


def data_ptr(x: Tensor) -> int:
    """The address of the first element."""
    return _address(x.data)


def element_size(x: Tensor) -> int:
    """Bytes per element."""
    return x.data.itemsize


def nbytes(x: Tensor) -> int:
    """Bytes of all elements (numel * element_size)."""
    return x.data.nbytes


def nelement(x: Tensor) -> int:
    """The number of elements (numel)."""
    return int(x.data.size)


def is_floating_point(x: Tensor) -> bool:
    """Whether the dtype is a floating type."""
    return x.data.dtype.kind == "f"
