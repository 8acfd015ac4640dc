"""`torch.utils.data` spelling of `tinygrad_opt.data` (the same objects)."""

import sys as _sys
import types as _types

from ..data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

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
    "DistributedSampler",
]

# `from torch.utils.data.distributed import DistributedSampler` ports as
# `from tinygrad_opt.utils.data.distributed import DistributedSampler`
distributed = _types.ModuleType(__name__ + ".distributed", "torch.utils.data.distributed")
distributed.DistributedSampler = DistributedSampler
_sys.modules[distributed.__name__] = distributed
