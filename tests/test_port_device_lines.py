"""The device-selection and data-import lines of PyTorch's examples run unchanged with
`import tinygrad_opt as torch`: there is no GPU, so every availability query is False and
the chosen device is the CPU; `torch.utils.data` holds the package's data classes."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_opt as torch
from tinygrad_opt import data


def test_examples_device_selection_picks_the_cpu():
    use_cuda = torch.cuda.is_available()
    use_mps = torch.backends.mps.is_available()
    if use_cuda:
        device = torch.device("cuda")
    elif use_mps:
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    assert (use_cuda, use_mps, device) == (False, False, "cpu")
    assert torch.cuda.device_count() == 0 and torch.accelerator.device_count() == 0
    assert not torch.accelerator.is_available() and torch.accelerator.current_accelerator() is None
    assert not torch.backends.mps.is_built() and not torch.backends.cudnn.is_available()
    x = torch.ones(2).to(device)
    assert x.numpy().tolist() == [1.0, 1.0]


def test_cuda_seeding_leaves_the_cpu_stream_alone():
    torch.manual_seed(3)
    first = torch.randn(4).numpy()
    torch.manual_seed(3)
    torch.cuda.manual_seed(99)
    torch.cuda.manual_seed_all(99)
    np.testing.assert_array_equal(torch.randn(4).numpy(), first)
    with pytest.raises(TypeError, match="cuda.manual_seed expects an int seed, got float"):
        torch.cuda.manual_seed(1.5)


def test_cudnn_flags_are_settable_with_pytorchs_defaults():
    cudnn = torch.backends.cudnn
    assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic) == (True, False, False)
    cudnn.deterministic = True
    try:
        assert torch.backends.cudnn.deterministic is True
    finally:
        cudnn.deterministic = False


def test_torch_utils_data_spellings_are_the_package_classes():
    from tinygrad_opt.utils.data import DataLoader, Dataset, TensorDataset

    assert DataLoader is data.DataLoader and Dataset is data.Dataset
    assert TensorDataset is data.TensorDataset
    from tinygrad_opt.utils import data as utils_data

    for name in utils_data.__all__:  # every torch.utils.data name here is the package's own
        assert getattr(utils_data, name) is getattr(data, name), name
    assert torch.utils.data.DataLoader is data.DataLoader
    xs = np.arange(10.0).reshape(5, 2)
    ys = np.arange(5)
    batches = list(torch.utils.data.DataLoader(TensorDataset(xs, ys), batch_size=2))
    assert [b[1].numpy().tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    np.testing.assert_array_equal(batches[2][0].numpy(), xs[4:])
