"""`DataParallel` as torch.nn.DataParallel behaves on a machine without GPUs: a wrapper whose
forward calls the wrapped module directly.

The wrapped module is the child `module`, so state_dict keys carry the `module.` prefix
exactly as in PyTorch: a checkpoint saved from a DataParallel model loads into this wrapper,
and `wrapper.module.state_dict()` gives the bare keys. device_ids, output_device and dim are
accepted and checked but change nothing (there is one device, the CPU); as PyTorch without
CUDA, `device_ids` is then the empty list.
"""

from __future__ import annotations

import numbers

from .module import Module


class DataParallel(Module):
    """DataParallel(module, device_ids=None, output_device=None, dim=0): forward(*inputs,
    **kwargs) is module(*inputs, **kwargs). Deviation: a `module` that is not an nn.Module is
    a TypeError (PyTorch accepts it until forward)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: module must be an nn.Module, got "
                            f"{type(module).__name__}")
        if device_ids is not None and isinstance(device_ids, (str, bytes)):
            raise TypeError(f"DataParallel: device_ids must be a sequence of ints or devices, "
                            f"got {device_ids!r}")
        if device_ids is not None:
            list(device_ids)  # a non-iterable is a TypeError, as PyTorch's
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"DataParallel: dim must be an int, got {dim!r}")
        del output_device  # one device: nothing to gather onto
        self.module = module
        self.device_ids = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
