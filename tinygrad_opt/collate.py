"""`default_collate`, `default_convert` and `get_worker_info` of torch.utils.data.

`default_collate(batch)` turns a list of samples into a batch keeping the samples' structure:
Tensors and numpy arrays are stacked into one Tensor (batch first), numbers become a 1-D
Tensor, strings stay a list, dicts/namedtuples/sequences are collated field by field (a
tuple of fields becomes a list, as PyTorch). The DataLoader's own collation (`data.py`)
gathers array datasets in one fancy index and yields tuples of Tensors; pass
`collate_fn=default_collate` for nested samples (dicts, StackDataset).
Deviation: Python floats become float32 (PyTorch: float64), as everywhere in this package.
"""

from __future__ import annotations

import collections.abc as abc
from typing import Any

import numpy as np

from .ops.join import stack
from .tensor import Tensor


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _numeric_array(x: np.ndarray) -> bool:
    return x.dtype.kind in "biufc"  # not strings or objects, which PyTorch leaves alone


def default_convert(data: Any) -> Any:
    """Numpy arrays and numpy scalars (numeric ones) become Tensors, inside dicts, lists,
    tuples (which become lists, as PyTorch) and namedtuples; everything else is returned
    unchanged. What a DataLoader with `batch_size=None` applies to each sample."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
        return Tensor(array, dtype=array.dtype) if _numeric_array(array) else data
    if isinstance(data, abc.Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        try:
            return type(data)(converted)
        except TypeError:  # a mapping type that cannot be built from a dict
            return converted
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(d) for d in data]
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data


def default_collate(batch: Any) -> Any:
    """Collate a list of samples into a batch (module docstring), as
    torch.utils.data.default_collate: Tensors and numeric arrays are stacked (their dtype
    kept), Python ints give int64 and Python floats float32 (PyTorch: float64), bools bool.
    Sequences in one batch must have equal lengths (RuntimeError otherwise, as PyTorch)."""
    if not isinstance(batch, abc.Sequence) or isinstance(batch, (str, bytes)) or not batch:
        raise TypeError(f"default_collate: expected a non-empty list of samples, got {batch!r}")
    elem = batch[0]
    if isinstance(elem, Tensor):
        arrays = [_field_array(x, Tensor) for x in batch]
        if any(x.requires_grad for x in batch):  # keep the graph, as torch.stack
            _check_shapes(arrays)
            return stack(batch)
        return Tensor(_stack(arrays), dtype=np.result_type(*arrays))
    if isinstance(elem, (np.ndarray, np.generic)) and _numeric_array(np.asarray(elem)):
        arrays = [np.asarray(_field_array(x, (np.ndarray, np.generic))) for x in batch]
        return Tensor(_stack(arrays), dtype=np.result_type(*arrays))
    if isinstance(elem, (bool, int, float)) and not isinstance(elem, np.generic):
        kinds = {type(x) for x in batch}
        if not kinds <= {bool, int, float}:
            raise TypeError(f"default_collate: a batch of numbers also holds {kinds}")
        if float in kinds:
            return Tensor(np.asarray(batch, dtype=np.float32))
        dtype = np.bool_ if kinds == {bool} else np.int64
        return Tensor(np.asarray(batch, dtype=dtype), dtype=dtype)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(field)) for field in zip(*batch)]
        if isinstance(elem, tuple):
            return fields
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__}"
    )


def _field_array(x: Any, kind) -> np.ndarray:
    if not isinstance(x, kind):
        raise TypeError(f"default_collate: a batch mixes {type(x).__name__} with the first "
                        "sample's type; every sample must have the same structure")
    return x.data if isinstance(x, Tensor) else x


def _check_shapes(arrays: list[np.ndarray]) -> None:
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but "
                           f"got shapes {sorted(shapes)}")


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    _check_shapes(arrays)
    return np.stack(arrays)


def get_worker_info() -> None:
    """None, as torch.utils.data.get_worker_info in the main process: this DataLoader builds
    every batch in the calling process (no worker processes)."""
    return None
