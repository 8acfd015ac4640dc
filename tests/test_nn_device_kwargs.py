"""Every module that takes PyTorch's `dtype=` also takes its `device=`: the CPU is accepted
(as a string or tg.device), any other device refused before anything is built; and
Embedding's `_weight` / `_freeze`."""

import inspect

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn


def module_classes_with_dtype():
    for name in dir(nn):
        cls = getattr(nn, name)
        if isinstance(cls, type) and issubclass(cls, nn.Module):
            params = inspect.signature(cls.__init__).parameters
            if "dtype" in params:
                yield name, params


def test_every_module_with_dtype_takes_device_just_before_it():
    names = []
    for name, params in module_classes_with_dtype():
        order = list(params)
        assert "device" in params, name
        assert order.index("device") == order.index("dtype") - 1, name  # torch's order
        names.append(name)
    assert {"Linear", "Conv2d", "LSTM", "Embedding", "LayerNorm", "Transformer"} <= set(names)


@pytest.mark.parametrize(
    "build",
    [
        lambda device: nn.Linear(3, 2, device=device),
        lambda device: nn.Conv2d(1, 2, 3, device=device),
        lambda device: nn.LSTM(3, 4, device=device),
        lambda device: nn.BatchNorm2d(3, device=device),
        lambda device: nn.MultiheadAttention(8, 2, device=device),
        lambda device: nn.Embedding(5, 2, device=device),
    ],
)
def test_cpu_is_accepted_and_other_devices_refused(build):
    for device in ("cpu", tg.device("cpu"), None):
        module = build(device)
        assert all(p.data.dtype == np.float32 for p in module.parameters())
    with pytest.raises(ValueError, match="CPU only; got device 'cuda'"):
        build("cuda")


def test_embedding_weight_and_freeze():
    table = np.arange(6, dtype=np.float32).reshape(3, 2)
    e = nn.Embedding(3, 2, padding_idx=0, _weight=tg.Tensor(table), _freeze=True)
    np.testing.assert_array_equal(e.weight.data, table)  # the padding row kept as given
    assert not e.weight.requires_grad
    with pytest.raises(ValueError, match=r"_weight must have shape \(3, 4\)"):
        nn.Embedding(3, 4, _weight=table)


def test_pytorch_import_paths_of_distributed_sampler_and_data_parallel():
    from tinygrad_opt.utils.data.distributed import DistributedSampler

    from tinygrad_opt.nn.parallel import DataParallel

    assert DataParallel is nn.DataParallel and DistributedSampler is tg.data.DistributedSampler
    sampler = DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False)
    assert list(sampler) == [1, 3, 0]  # padded by repeating from the start, every 2nd index
