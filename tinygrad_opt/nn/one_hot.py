"""`one_hot` as torch.nn.functional.one_hot: class indices to int64 rows of 0/1."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """An int64 tensor of shape (*tensor.shape, num_classes) with 1 at each index;
    num_classes=-1 takes max + 1. Errors as torch's (as ValueError): a negative class, a
    class >= num_classes, or -1 on an empty tensor. Deviation: any integer dtype is taken,
    where torch wants int64. Not differentiable (integer output)."""
    idx = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(
            f"one_hot: expected a tensor of integer class indices, got dtype {idx.dtype}"
        )
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"one_hot: num_classes must be an int, got {type(num_classes).__name__}")
    if num_classes < -1:
        raise ValueError(f"one_hot: num_classes must be -1 or >= 0, got {num_classes}")
    if idx.size and idx.min() < 0:
        raise ValueError("one_hot: Class values must be non-negative.")
    if num_classes == -1:
        if not idx.size:
            raise ValueError("one_hot: Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    elif idx.size and idx.max() >= num_classes:
        raise ValueError(
            f"one_hot: Class values must be smaller than num_classes (got class "
            f"{int(idx.max())} for num_classes={num_classes})."
        )
    out = np.zeros((*idx.shape, int(num_classes)), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.intp), 1, axis=-1)
    return Tensor(out)
