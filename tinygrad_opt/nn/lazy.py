"""Lazy modules (`LazyLinear`, `LazyConv1d/2d/3d`, `LazyConvTranspose1d/2d/3d`,
`LazyBatchNorm1d/2d/3d`, `LazyInstanceNorm1d/2d/3d`), as torch.nn's: the input size (in_features,
in_channels or num_features) is read from the first input; until then the weights are
`UninitializedParameter`s and the running statistics `UninitializedBuffer`s. The first call
builds the regular layer's parameters (PyTorch's initialisation) in those same objects, then
the module becomes its `cls_to_become` (`LazyLinear` -> `Linear`, ...). As torch, this runs
as the module's first forward pre-hook: after the global pre-hooks and prepended ones.

Deviations from PyTorch:
- An optimizer cannot be built on uninitialised parameters (ValueError): its state is
  allocated when it is built (flat buffers), so run one batch first. torch allows it.
- `state_dict()` of an uninitialised module has torch's keys, with empty arrays where
  torch puts the placeholder objects. `load_state_dict` on the lazy module itself (or a
  model holding it) materialises the placeholders with the loaded shapes, as torch; the
  first call then checks that the input fits those shapes.
- The input size is read on the first call even when there is nothing to materialise
  (torch leaves it 0, e.g. for LazyInstanceNorm2d(affine=False, track_running_stats=False)).
"""

from __future__ import annotations

import numpy as np

from ..default_dtype import default_float
from ..devices import check_cpu
from ..tensor import Tensor
from .conv import Conv2d
from .conv1d import Conv1d, ConvTranspose1d
from .conv3d import Conv3d, ConvTranspose3d
from .conv_transpose import ConvTranspose2d
from .instance_norm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear
from .module import Module, Parameter
from .module_hooks import TABLES as HOOK_TABLES
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d

_SHAPE_ERROR = (
    "Can't access the shape of an uninitialized parameter or buffer; call the lazy module "
    "on an input (or load a state_dict into it) first"
)


class UninitializedParameter(Parameter):
    """A Parameter without data yet (torch.nn.UninitializedParameter(requires_grad=True,
    device=None, dtype=None)); `materialize(shape)` turns it into a Parameter in place."""

    cls_to_become = Parameter
    _is_uninitialized = True

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        check_cpu("UninitializedParameter", device)
        super().__init__(np.empty(0, dtype=default_float(dtype)), requires_grad)

    @property
    def shape(self):
        raise RuntimeError(_SHAPE_ERROR)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give it uninitialised data of `shape` and make it a Parameter."""
        self.data = np.empty(tuple(shape), dtype=self.data.dtype if dtype is None else dtype)
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return "<UninitializedParameter>"


class UninitializedBuffer(Tensor):
    """A buffer without data yet (torch.nn.UninitializedBuffer(requires_grad=False,
    device=None, dtype=None, persistent=True)); `materialize(shape)` makes it a Tensor."""

    __slots__ = ()  # the layout of Tensor, so materialize can switch the class
    cls_to_become = Tensor
    _is_uninitialized = True

    def __init__(
        self, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True
    ) -> None:
        check_cpu("UninitializedBuffer", device)
        super().__init__(np.empty(0, dtype=default_float(dtype)), requires_grad)

    @property
    def shape(self):
        raise RuntimeError(_SHAPE_ERROR)

    def materialize(self, shape, device=None, dtype=None) -> None:
        self.data = np.empty(tuple(shape), dtype=self.data.dtype if dtype is None else dtype)
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return "<UninitializedBuffer>"


def _uninitialized(t) -> bool:
    return getattr(type(t), "_is_uninitialized", False)


# the Module's own bookkeeping, never copied from the template layer
_REGISTRIES = ("training", "_parameters", "_buffers", "_modules", "_non_persistent")


class LazyModuleMixin(Module):
    """Shared by the lazy layers. A subclass names `cls_to_become`, the attribute holding
    the input size (`_size_name`, 0 until the first call) and `_input_size(x)`."""

    cls_to_become: type = Module
    _size_name = ""

    def _lazy_init(self, probe_size: int, **kwargs) -> None:
        """Build a template of the regular layer (which validates every argument now),
        take its attributes, and put placeholders where parameters and running statistics
        depend on the input size (a 0-d buffer such as num_batches_tracked stays real)."""
        Module.__init__(self)
        check_cpu(type(self).__name__, kwargs.pop("device", None))
        template = self.cls_to_become(probe_size, **kwargs)
        self._copy_attributes(template)
        object.__setattr__(self, "_lazy_kwargs", kwargs)
        for name, p in template._parameters.items():
            placeholder = None if p is None else UninitializedParameter(dtype=p.data.dtype)
            self.register_parameter(name, placeholder)
        for name, b in template._buffers.items():
            if b is not None and b.data.ndim > 0:
                b = UninitializedBuffer(dtype=b.data.dtype)
            self.register_buffer(name, b, persistent=name not in template._non_persistent)
        object.__setattr__(self, self._size_name, 0)
        # a forward pre-hook, as torch: registered first, it reads the input after the
        # global pre-hooks and before the module's own (unless they were prepended); a
        # plain function, not a bound method, so no reference cycle keeps a dropped module
        handle = self.register_forward_pre_hook(_infer_parameters, with_kwargs=True)
        object.__setattr__(self, "_initialize_hook", handle)

    def _copy_attributes(self, template: Module) -> None:
        for key, value in template.__dict__.items():
            if key not in _REGISTRIES and key not in HOOK_TABLES:
                self.__dict__.setdefault(key, value)

    def has_uninitialized_params(self) -> bool:
        stores = (self._parameters.values(), self._buffers.values())
        return any(_uninitialized(t) for store in stores for t in store)

    def _input_size(self, x: np.ndarray) -> int:
        raise NotImplementedError

    def initialize_parameters(self, input) -> None:
        """Read the input size from `input`, build the regular layer for it and move its
        initialised parameters and buffers into the placeholders; then become the regular
        class. A placeholder already materialised (by load_state_dict) keeps its values but
        must have the shape the input asks for."""
        x = input.data if isinstance(input, Tensor) else np.asarray(input)
        size = self._input_size(x)
        real = self.cls_to_become(size, **self._lazy_kwargs)
        for store, real_store in ((self._parameters, real._parameters),
                                  (self._buffers, real._buffers)):
            for name, t in store.items():
                made = real_store.get(name)  # None too for one the user registered
                if t is None or made is None:
                    continue
                if _uninitialized(t):
                    # the placeholder's dtype wins, so .double() before the call sticks
                    t.materialize(made.data.shape)
                    t.data = made.data.astype(t.data.dtype, copy=False)
                elif t.data.shape != made.data.shape:
                    raise ValueError(
                        f"{type(self).__name__}: the input asks for {self._size_name}={size}, "
                        f"so '{name}' should have shape {made.data.shape}, but it was loaded "
                        f"with shape {t.data.shape}"
                    )
        # the regular layer's own attributes (its size, anything it derived from it)
        self.__dict__.pop("_lazy_kwargs", None)
        for key, value in real.__dict__.items():
            if key not in _REGISTRIES and key not in HOOK_TABLES:
                self.__dict__[key] = value
        self.__class__ = self.cls_to_become
        handle = self.__dict__.pop("_initialize_hook", None)
        if handle is not None:
            handle.remove()

    def _materialize_for_load(self, prefix: str, state_dict) -> list:
        """Give each placeholder named in `state_dict` the loaded shape (the values are then
        copied by load_state_dict); returns the undo actions for a failed load."""
        undo = []
        for store in (self._parameters, self._buffers):
            for name, t in store.items():
                value = state_dict.get(prefix + name) if hasattr(state_dict, "get") else None
                if value is None or not _uninitialized(t):
                    continue
                shape = np.shape(value.data if isinstance(value, Tensor) else value)
                old_class, old_data = type(t), t.data
                t.materialize(shape)
                undo.append(lambda t=t, c=old_class, d=old_data: _restore(t, c, d))
        return undo

    def extra_repr(self) -> str:
        return self.cls_to_become.extra_repr(self)


def _infer_parameters(module: LazyModuleMixin, args: tuple, kwargs: dict) -> None:
    """The lazy module's forward pre-hook: materialise from the first input."""
    if not args:
        raise TypeError(f"{type(module).__name__}: expected the input as the first argument")
    module.initialize_parameters(args[0])


def _restore(t: Tensor, cls: type, data: np.ndarray) -> None:
    t.data = data
    t.__class__ = cls


def _check_rank(x: np.ndarray, ranks: tuple[int, ...], layout: str, who: str) -> None:
    if x.ndim not in ranks:
        raise ValueError(f"{who}: expected input of shape {layout}, got shape {x.shape}")


class LazyLinear(LazyModuleMixin, Linear):
    """LazyLinear(out_features, bias=True, device=None, dtype=None): Linear whose
    in_features is the size of the first input's last dimension."""

    cls_to_become = Linear
    _size_name = "in_features"

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        self._lazy_init(1, out_features=out_features, bias=bias, device=device, dtype=dtype)

    def _input_size(self, x: np.ndarray) -> int:
        if x.ndim == 0:
            raise ValueError("LazyLinear: expected input of shape (*, in_features), got 0-d input")
        return x.shape[-1]


class _LazyConv(LazyModuleMixin):
    _size_name = "in_channels"
    _spatial = 1

    def __init__(self, out_channels: int, kernel_size, **kwargs) -> None:
        groups = kwargs.get("groups", 1)
        probe = groups if isinstance(groups, int) and groups > 0 else 1
        self._lazy_init(probe, out_channels=out_channels, kernel_size=kernel_size, **kwargs)

    def _input_size(self, x: np.ndarray) -> int:
        s = self._spatial
        layout = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)",
                  3: "(N, C, D, H, W) or (C, D, H, W)"}[s]
        _check_rank(x, (s + 1, s + 2), layout, type(self).__name__)
        return x.shape[-s - 1]


class _LazyConvolution(_LazyConv):
    """The positional arguments of LazyConv1d/2d/3d (torch's order, without in_channels)."""

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        super().__init__(out_channels, kernel_size, stride=stride, padding=padding,
                         dilation=dilation, groups=groups, bias=bias,
                         padding_mode=padding_mode, device=device, dtype=dtype)


class _LazyConvTransposed(_LazyConv):
    """The positional arguments of LazyConvTranspose1d/2d/3d (torch's order, without
    in_channels)."""

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(out_channels, kernel_size, stride=stride, padding=padding,
                         output_padding=output_padding, groups=groups, bias=bias,
                         dilation=dilation, padding_mode=padding_mode, device=device,
                         dtype=dtype)


class LazyConv1d(_LazyConvolution, Conv1d):
    """LazyConv1d(out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode='zeros', device=None, dtype=None): Conv1d with in_channels read
    from the first input; in_channels must then be divisible by groups."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvolution, Conv2d):
    """LazyConv2d(out_channels, kernel_size, ...): Conv2d's arguments without in_channels."""

    cls_to_become = Conv2d
    _spatial = 2


class LazyConvTranspose1d(_LazyConvTransposed, ConvTranspose1d):
    """LazyConvTranspose1d(out_channels, kernel_size, stride=1, padding=0, output_padding=0,
    groups=1, bias=True, dilation=1, padding_mode='zeros', device=None, dtype=None)."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTransposed, ConvTranspose2d):
    """LazyConvTranspose2d(out_channels, kernel_size, ...): ConvTranspose2d's arguments
    without in_channels."""

    cls_to_become = ConvTranspose2d
    _spatial = 2


class LazyConv3d(_LazyConvolution, Conv3d):
    """LazyConv3d(out_channels, kernel_size, ...): Conv3d's arguments without in_channels."""

    cls_to_become = Conv3d
    _spatial = 3


class LazyConvTranspose3d(_LazyConvTransposed, ConvTranspose3d):
    """LazyConvTranspose3d(out_channels, kernel_size, ...): ConvTranspose3d's arguments
    without in_channels."""

    cls_to_become = ConvTranspose3d
    _spatial = 3


class _LazyNorm(LazyModuleMixin):
    """The lazy batch and instance norms; note the lazy instance norms default to
    affine=True and track_running_stats=True, as torch's (InstanceNorm1d/2d default to
    False)."""

    _size_name = "num_features"
    _ranks: tuple[int, ...] = ()
    _layout = ""
    _channel_axis = 1

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True) -> None:
        self._lazy_init(1, eps=eps, momentum=momentum, affine=affine,
                        track_running_stats=track_running_stats, bias=bias, device=device,
                        dtype=dtype)

    def _input_size(self, x: np.ndarray) -> int:
        _check_rank(x, self._ranks, self._layout, type(self).__name__)
        return x.shape[self._channel_axis]


class LazyBatchNorm1d(_LazyNorm, BatchNorm1d):
    """LazyBatchNorm1d(eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
    device=None, dtype=None, *, bias=True): BatchNorm1d with num_features read from the
    first (N, C) or (N, C, L) input."""

    cls_to_become = BatchNorm1d
    _ranks = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class LazyBatchNorm2d(_LazyNorm, BatchNorm2d):
    """LazyBatchNorm2d(...): BatchNorm2d with num_features read from an (N, C, H, W) input."""

    cls_to_become = BatchNorm2d
    _ranks = (4,)
    _layout = "(N, C, H, W)"


class LazyInstanceNorm1d(_LazyNorm, InstanceNorm1d):
    """LazyInstanceNorm1d(...): InstanceNorm1d with num_features read from an (N, C, L) or
    (C, L) input."""

    cls_to_become = InstanceNorm1d
    _ranks = (2, 3)
    _layout = "(N, C, L) or (C, L)"
    _channel_axis = -2


class LazyInstanceNorm2d(_LazyNorm, InstanceNorm2d):
    """LazyInstanceNorm2d(...): InstanceNorm2d with num_features read from an (N, C, H, W)
    or (C, H, W) input."""

    cls_to_become = InstanceNorm2d
    _ranks = (3, 4)
    _layout = "(N, C, H, W) or (C, H, W)"
    _channel_axis = -3


class LazyBatchNorm3d(_LazyNorm, BatchNorm3d):
    """LazyBatchNorm3d(...): BatchNorm3d with num_features read from an (N, C, D, H, W)
    input."""

    cls_to_become = BatchNorm3d
    _ranks = (5,)
    _layout = "(N, C, D, H, W)"


class LazyInstanceNorm3d(_LazyNorm, InstanceNorm3d):
    """LazyInstanceNorm3d(...): InstanceNorm3d with num_features read from an
    (N, C, D, H, W) or (C, D, H, W) input."""

    cls_to_become = InstanceNorm3d
    _ranks = (4, 5)
    _layout = "(N, C, D, H, W) or (C, D, H, W)"
    _channel_axis = -4
