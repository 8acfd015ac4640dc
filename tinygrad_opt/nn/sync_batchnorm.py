"""`SyncBatchNorm` in one process: torch.nn.SyncBatchNorm's arguments, parameters, buffers and
state_dict keys; its statistics are those of the local batch, which is what torch's gives
when the process group has one member (there is no distributed backend here). It takes
(N, C, *) input of any rank >= 2, as torch's.

Deviation: `process_group` is accepted and kept but must be None (a real group needs the
distributed package, which does not exist here: ValueError).
"""

from __future__ import annotations

from ..devices import check_cpu
from .instance_norm import _InstanceNorm
from .module import Module
from .normalization import _BatchNorm


class SyncBatchNorm(_BatchNorm):
    """SyncBatchNorm(num_features, eps=1e-5, momentum=0.1, affine=True,
    track_running_stats=True, process_group=None, device=None, dtype=None, *, bias=True)."""

    _expected_dims = tuple(range(2, 65))  # any rank >= 2 (numpy stops at 64)
    _shape_text = "(N, {0}, *)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device=None, dtype=None, *, bias: bool = True) -> None:
        check_cpu("SyncBatchNorm", device)
        if process_group is not None:
            raise ValueError(
                "SyncBatchNorm: process_group must be None (one process; no distributed "
                f"backend here), got {process_group!r}"
            )
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias=bias,
                         dtype=dtype)
        self.process_group = process_group

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """Replace every BatchNorm*d in `module` (itself included) by a SyncBatchNorm that
        shares its parameters and buffers; returns the converted module, as torch's. Instance
        norms are kept (torch's are no BatchNorm)."""
        converted = module
        if isinstance(module, _BatchNorm) and not isinstance(module, (_InstanceNorm, cls)):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group,
                            dtype=_dtype_of(module), bias=_has_bias(module))
            for store, source in ((converted._parameters, module._parameters),
                                  (converted._buffers, module._buffers)):
                for name in store:
                    store[name] = source.get(name)
            converted.training = module.training
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted


def _dtype_of(module: _BatchNorm):
    tensors = [t for t in (*module._parameters.values(), *module._buffers.values())
               if t is not None and t.data.dtype.kind == "f"]
    return tensors[0].data.dtype if tensors else None


def _has_bias(module: _BatchNorm) -> bool:
    return not module.affine or module._parameters.get("bias") is not None
