"""torch.nn.utils.convert_conv2d_weight_memory_format / convert_conv3d_weight_memory_format.

PyTorch re-lays the weights of a module's (transposed) convolutions out in memory (NHWC for
fast kernels); numpy arrays here have no memory-format tag and the convolution kernels pick
their own layout, so both return the module unchanged after checking the format: as
PyTorch, conv2d takes channels_last or contiguous_format and conv3d channels_last_3d or
contiguous_format. Deviation: the format is checked even when the module holds no
convolution (PyTorch only checks it on the weights it converts).
"""

from __future__ import annotations

from ...memory_formats import format_name
from ..module import Module


def _convert(module, memory_format, who: str, allowed: tuple[str, ...]):
    if not isinstance(module, Module):
        raise TypeError(f"{who}: module must be an nn.Module, got {type(module).__name__}")
    name = format_name(memory_format, who)
    if name not in allowed:
        raise ValueError(f"{who}: memory_format must be one of {allowed}, got {name!r}")
    return module


def convert_conv2d_weight_memory_format(module: Module, memory_format) -> Module:
    """The module itself (memory formats do not exist here); memory_format must be
    channels_last or contiguous_format."""
    return _convert(module, memory_format, "convert_conv2d_weight_memory_format",
                    ("channels_last", "contiguous_format"))


def convert_conv3d_weight_memory_format(module: Module, memory_format) -> Module:
    """The module itself (memory formats do not exist here); memory_format must be
    channels_last_3d or contiguous_format."""
    return _convert(module, memory_format, "convert_conv3d_weight_memory_format",
                    ("channels_last_3d", "contiguous_format"))
