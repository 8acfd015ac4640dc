"""PyTorch's Tensor predicates and complex-number no-ops for real tensors: is_nonzero,
is_same_size, equal, is_complex, is_signed, is_cpu, is_cuda, get_device, is_inference,
retains_grad, real/imag, conj/resolve_conj/resolve_neg, is_conj/is_neg, and the transposes
mT/mH/H, adjoint(), angle() and isreal().

There are only real CPU tensors here, so is_complex, is_cuda, is_conj and is_neg are always
False, get_device() is -1 (torch's answer for CPU), conj() and its relatives return the
tensor itself, and imag raises, as torch for real tensors. is_inference() is False: this
project's inference_mode does not mark tensors. Bad shapes raise ValueError where
PyTorch raises RuntimeError.
"""

from __future__ import annotations

import numpy as np

from ..default_dtype import default_float
from ..tensor import Tensor
from . import movement


def is_nonzero(x: Tensor) -> bool:
    """The truth value of a one-element tensor; any other size raises, as torch."""
    if x.data.size != 1:
        raise ValueError(
            f"is_nonzero: needs a tensor with exactly one element, got shape {x.data.shape}"
        )
    return bool(x.data.reshape(()))


def is_same_size(x: Tensor, other: Tensor) -> bool:
    """Whether both tensors have the same shape."""
    return x.data.shape == other.data.shape


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002 - torch's name
    """True if both have the same shape and elements (NaN is never equal; dtypes may
    differ), as torch.equal."""
    a, b = input.data, other.data
    return a.shape == b.shape and bool(np.array_equal(a, b))


def is_complex(x: Tensor) -> bool:
    """Always False: tensors here are real."""
    return False


def is_signed(x: Tensor) -> bool:
    """Whether the dtype holds negative numbers (floats and signed integers; not bool or
    unsigned integers)."""
    return x.data.dtype.kind in "fi"


def is_cpu(x: Tensor) -> bool:
    """Always True: tensors live in CPU memory."""
    return True


def is_cuda(x: Tensor) -> bool:
    """Always False."""
    return False


def get_device(x: Tensor) -> int:
    """-1, torch's device index for CPU tensors."""
    return -1


def is_inference(x: Tensor) -> bool:
    """False: inference_mode here does not mark the tensors it creates."""
    return False


def retains_grad(x: Tensor) -> bool:
    """Whether a non-leaf keeps its `.grad` after backward (set by retain_grad()); always
    False for a leaf, as torch."""
    return bool(x._retains_grad) and not x.is_leaf


def real(x: Tensor) -> Tensor:
    """The real part of a real tensor: the tensor itself, as torch."""
    return x


def imag(x: Tensor) -> Tensor:
    """Refused, as torch: real tensors have no imaginary part."""
    raise TypeError("imag: not defined for real tensors (there are no complex tensors here)")


def conj(x: Tensor) -> Tensor:
    """The tensor itself: conjugation does nothing to real numbers (also resolve_conj and
    resolve_neg)."""
    return x


def is_conj(x: Tensor) -> bool:
    """False: no tensor here carries a lazy conjugation (nor a lazy negation: is_neg)."""
    return False


def matrix_transpose(x: Tensor) -> Tensor:
    """x.mT (and x.mH for real tensors): the last two dimensions swapped; needs >= 2."""
    if x.data.ndim < 2:
        raise ValueError(
            f"mT: needs a matrix or a batch of matrices, got {x.data.ndim} dimensions"
        )
    return movement.transpose(x, -2, -1)


def adjoint_matrix(x: Tensor) -> Tensor:
    """x.H: the conjugate transpose of a matrix (0-d or 2-d, as torch; use mH for batches)."""
    if x.data.ndim not in (0, 2):
        raise ValueError(
            f"H: needs a matrix (2 dimensions), got {x.data.ndim}; use mH for batches"
        )
    return x if x.data.ndim == 0 else movement.transpose(x, 0, 1)


def angle(x: Tensor) -> Tensor:
    """The argument of a real number: pi for negative values, 0 otherwise (-0.0 included),
    NaN kept; integer input gives the default float dtype. Its gradient is zero, as torch's
    for real input."""
    a = x.data
    dtype = a.dtype if a.dtype.kind == "f" else default_float()
    out = np.where(a < 0, np.pi, 0.0).astype(dtype)
    if a.dtype.kind == "f":
        out[np.isnan(a)] = np.nan
        return Tensor.make(out, (x,), lambda g: (np.zeros_like(a),))
    return Tensor(out)


def isreal(x: Tensor) -> Tensor:
    """All True: every element of a real tensor is real (torch.isreal)."""
    return Tensor(np.ones(x.data.shape, dtype=np.bool_))


def adjoint(x: Tensor) -> Tensor:
    """x.adjoint(): the last two dimensions swapped (no conjugation on real tensors); needs a
    matrix or a batch of matrices, as torch."""
    if x.data.ndim < 2:
        raise ValueError(
            f"adjoint: needs a matrix or a batch of matrices, got {x.data.ndim} dimensions"
        )
    return movement.transpose(x, -2, -1)
