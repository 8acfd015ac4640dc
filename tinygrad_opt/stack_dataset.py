"""`StackDataset` (torch.utils.data): several datasets of one length read side by side."""

from __future__ import annotations

from typing import Any

from .dataset import Dataset


class StackDataset(Dataset):
    """`StackDataset(*datasets)` gives tuples, `StackDataset(**datasets)` dicts: sample i is
    (d1[i], d2[i], ...) or {name: d[i]}. The datasets must have the same length and only one
    of the two forms may be used (ValueError otherwise, as PyTorch). Collate the dicts with
    `collate_fn=default_collate`."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or ``dict``- (via ``kwargs``) like "
                "input/output, but both types are given."
            )
        datasets = args or tuple(kwargs.values())
        if not datasets:
            raise ValueError("StackDataset: give at least one dataset")
        for d in datasets:
            if not hasattr(d, "__len__") or not hasattr(d, "__getitem__"):
                raise TypeError(f"StackDataset: expected map-style datasets (with __len__ and "
                                f"__getitem__), got {type(d).__name__}")
        lengths = {len(d) for d in datasets}
        if len(lengths) != 1:
            raise ValueError(f"Size mismatch between datasets: lengths {sorted(lengths)}")
        self._length = lengths.pop()
        self.datasets: tuple[Dataset, ...] | dict[str, Dataset] = args or dict(kwargs)

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> Any:
        if isinstance(self.datasets, dict):
            return {name: d[index] for name, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)
