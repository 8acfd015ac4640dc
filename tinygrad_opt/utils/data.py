"""`torch.utils.data` spelling of `tinygrad_opt.data` (the same objects), plus
`StackDataset`, `default_collate`, `default_convert` and `get_worker_info`."""

from ..collate import default_collate, default_convert, get_worker_info
from ..data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)
from ..stack_dataset import StackDataset

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "random_split",
    "StackDataset",
    "default_collate",
    "default_convert",
    "get_worker_info",
]
