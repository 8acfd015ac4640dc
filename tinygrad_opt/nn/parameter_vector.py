"""`parameters_to_vector` and `vector_to_parameters` (torch.nn.utils): all parameters as one
flat vector and back."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..ops.join import cat
from ..tensor import Tensor, mark_changed


def _tensors(parameters, who: str) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    params = list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{who}: expected Tensors (e.g. model.parameters()), got "
                            f"{type(p).__name__}")  # fmt: skip
    return params


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated in order, as one 1-D Tensor (differentiable:
    its gradient flows back to each parameter)."""
    params = _tensors(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    return cat([p.reshape(-1) for p in params], 0)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D `vec` into the parameters' arrays, in place (so
    optimizer views stay valid). Deviation: a `vec` whose length is not the parameters' total
    size is a ValueError (torch fills what it can and leaves the rest), checked before any
    parameter changes."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, got "
                        f"{type(vec).__name__}")  # fmt: skip
    if vec.data.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {vec.data.shape}")
    params = _tensors(parameters, "vector_to_parameters")
    total = sum(p.data.size for p in params)
    if vec.data.size != total:
        raise ValueError(
            f"vector_to_parameters: vec has {vec.data.size} elements but the parameters hold "
            f"{total}"
        )
    start = 0
    for p in params:
        stop = start + p.data.size
        np.copyto(p.data, vec.data[start:stop].reshape(p.data.shape), casting="same_kind")
        mark_changed(p)
        start = stop
