"""nn.utils.convert_conv2d/3d_weight_memory_format: the module comes back unchanged (memory
formats do not exist here) once the format is checked; the format constants."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.nn.utils import (
    convert_conv2d_weight_memory_format,
    convert_conv3d_weight_memory_format,
)


def test_returns_the_same_module_with_the_same_weights():
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Conv2d(3, 1, 1))
    before = {k: v.copy() for k, v in model.state_dict().items()}
    for fmt in (tg.channels_last, tg.contiguous_format, "channels_last"):
        assert convert_conv2d_weight_memory_format(model, fmt) is model
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    conv3 = nn.Conv3d(1, 1, 1)
    assert convert_conv3d_weight_memory_format(conv3, tg.channels_last_3d) is conv3
    assert convert_conv3d_weight_memory_format(conv3, tg.contiguous_format) is conv3


def test_the_format_is_checked():
    conv = nn.Conv2d(1, 1, 1)
    with pytest.raises(ValueError, match="channels_last_3d"):
        convert_conv2d_weight_memory_format(conv, tg.channels_last_3d)
    with pytest.raises(ValueError, match="preserve_format"):
        convert_conv2d_weight_memory_format(conv, tg.preserve_format)
    with pytest.raises(ValueError, match="channels_last"):
        convert_conv3d_weight_memory_format(nn.Conv3d(1, 1, 1), tg.channels_last)
    with pytest.raises(ValueError, match="unknown memory format"):
        convert_conv2d_weight_memory_format(conv, "nhwc")
    with pytest.raises(TypeError, match="memory_format"):
        convert_conv2d_weight_memory_format(conv, 4)
    with pytest.raises(TypeError, match="nn.Module"):
        convert_conv2d_weight_memory_format("conv", tg.channels_last)


def test_format_constants_are_singletons():
    assert copy.deepcopy(tg.channels_last) is tg.channels_last
    assert isinstance(tg.channels_last, tg.memory_format)
    assert repr(tg.channels_last) == "tinygrad_opt.channels_last"
