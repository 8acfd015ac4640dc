"""PyTorch's `*_with_indices` functional forms of the max poolings: the same arguments as
max_pool1d/2d/3d and adaptive_max_pool1d/2d/3d, always returning
(output, int64 indices). return_indices is accepted and ignored, as in PyTorch."""

from __future__ import annotations

import inspect

from .adaptive_pooling1d import adaptive_max_pool1d
from .pooling import adaptive_max_pool2d, max_pool2d
from .pooling1d import max_pool1d
from .pooling3d import adaptive_max_pool3d, max_pool3d


def with_indices(pool):
    """`pool` with return_indices=True whatever the caller passes for it, named
    `<pool>_with_indices` and showing pool's signature (help, inspect.signature)."""
    signature = inspect.signature(pool)
    position = list(signature.parameters).index("return_indices")

    def pool_with_indices(*args, **kwargs):
        if len(args) > position:
            args = (*args[:position], True, *args[position + 1 :])
        else:
            kwargs["return_indices"] = True
        return pool(*args, **kwargs)

    pool_with_indices.__name__ = pool_with_indices.__qualname__ = f"{pool.__name__}_with_indices"
    pool_with_indices.__doc__ = f"{pool.__name__} with return_indices=True."
    pool_with_indices.__signature__ = signature.replace(return_annotation="tuple[Tensor, Tensor]")
    return pool_with_indices


max_pool1d_with_indices = with_indices(max_pool1d)
max_pool2d_with_indices = with_indices(max_pool2d)
max_pool3d_with_indices = with_indices(max_pool3d)
adaptive_max_pool1d_with_indices = with_indices(adaptive_max_pool1d)
adaptive_max_pool2d_with_indices = with_indices(adaptive_max_pool2d)
adaptive_max_pool3d_with_indices = with_indices(adaptive_max_pool3d)
