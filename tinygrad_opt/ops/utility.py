"""PyTorch's Tensor conveniences: `to type type_as clone numel dim tolist cpu contiguous`,
`new_zeros new_ones new_full new_empty new_tensor`, the in-place fills `zero_ fill_`, the
in-place updates `add_ sub_ mul_ div_ copy_`, `register_hook`, and the `device` type.

Deviations from PyTorch, all because tensors are CPU numpy arrays:
- `cpu()` and `contiguous()` return the tensor itself; `to()` accepts the device "cpu" only.
- `type()` with no argument returns the numpy dtype name (`'float32'`), not PyTorch's
  `'torch.FloatTensor'`; `type(dtype)` casts and also accepts PyTorch's type names.
- `zero_()`, `fill_()` and the in-place updates are refused on any tensor that requires grad
  while grad mode is on (PyTorch records them on non-leaves; here ops have saved the array
  for backward), and so are updates by an operand that requires grad: inside `no_grad()`,
  `p.add_(p.grad, alpha=-lr)` works as in PyTorch.
- `device(...)` is a `str` ("cpu"), so everything that takes "cpu" takes it too; other
  device types can be named, as in PyTorch, but `to()` refuses them.
- A hook receives the gradient as a Tensor without graph (PyTorch: the same, as a Tensor).
"""

from __future__ import annotations

import itertools

import numpy as np

from ..devices import check_cpu, device, names_device
from ..grad_mode import GRAD_MODE
from ..tensor import Tensor, mark_changed
from . import arithmetic
from .cast import astype
from .movement import _sizes

# PyTorch's legacy type names, so that a ported `x.type("torch.DoubleTensor")` casts.
_TORCH_TYPE_NAMES = {
    "torch.FloatTensor": np.float32,
    "torch.DoubleTensor": np.float64,
    "torch.HalfTensor": np.float16,
    "torch.LongTensor": np.int64,
    "torch.IntTensor": np.int32,
    "torch.ShortTensor": np.int16,
    "torch.CharTensor": np.int8,
    "torch.ByteTensor": np.uint8,
    "torch.BoolTensor": np.bool_,
}


def _tensor_dtype(op: str, dtype) -> np.dtype:
    """`dtype` as a numpy dtype a Tensor can hold (float, int, uint or bool)."""
    try:
        target = np.dtype(_TORCH_TYPE_NAMES.get(dtype, dtype) if isinstance(dtype, str) else dtype)
    except TypeError:
        raise TypeError(
            f"{op}: expected a dtype such as np.float32 or tg.int64, got {dtype!r}"
        ) from None
    if target.kind not in "fiub":
        raise TypeError(f"{op}: unsupported dtype {target}; expected float, int or bool")
    return target


def _clone_backward(g):
    return (g,)


def clone(x: Tensor) -> Tensor:
    """A copy of the data that stays in the graph (the gradient passes through unchanged)."""
    return Tensor.make(x.data.copy(), (x,), _clone_backward)


def to(x: Tensor, *args, dtype=None, device=None, non_blocking: bool = False, copy: bool = False):
    """`to(dtype)`, `to(other)` (other's dtype), `to("cpu")`, `to("cpu", dtype)`, as torch:
    returns `x` itself when nothing changes unless `copy=True`; a cast between floating
    dtypes is differentiable. `non_blocking` is accepted and ignored."""
    del non_blocking  # nothing runs asynchronously on the CPU
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.data.dtype
        elif names_device(arg):
            device = arg
        else:
            dtype = arg
    check_cpu("to", device)
    out = x if dtype is None else astype(x, _tensor_dtype("to", dtype))
    return clone(out) if copy and out is x else out


def type(x: Tensor, dtype=None, non_blocking: bool = False):  # noqa: A001 - torch's name
    """No argument: the numpy dtype name (e.g. `'float32'`; PyTorch gives
    `'torch.FloatTensor'`, meaningless here). With a dtype (numpy, `tg.float64`, a name such as
    `'float64'` or PyTorch's `'torch.DoubleTensor'`): the tensor cast to it, as `to(dtype)`."""
    del non_blocking
    if dtype is None:
        return str(x.data.dtype)
    return astype(x, _tensor_dtype("type", dtype))


def type_as(x: Tensor, other: Tensor) -> Tensor:
    """`x` cast to `other`'s dtype (differentiable between floating dtypes)."""
    return astype(x, other.data.dtype)


def numel(x: Tensor) -> int:
    return int(x.data.size)


def dim(x: Tensor) -> int:
    return x.data.ndim


def tolist(x: Tensor):
    """Nested Python lists of Python numbers (a plain number for a 0-d tensor), as torch."""
    return x.data.tolist()


def cpu(x: Tensor) -> Tensor:
    """The tensor itself: the data already lives in CPU memory."""
    return x


def contiguous(x: Tensor, memory_format=None) -> Tensor:
    """The tensor itself: numpy handles any memory layout, so no copy is needed."""
    del memory_format
    return x


# ------------------------------------------------------------------------------- new_*
def _new(op: str, x: Tensor, make, size, dtype, requires_grad: bool) -> Tensor:
    target = x.data.dtype if dtype is None else _tensor_dtype(op, dtype)
    data = make(_sizes(op, size), dtype=target)
    return Tensor(data, requires_grad=requires_grad, dtype=target)


def new_zeros(x: Tensor, *size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Zeros of the given size (`new_zeros(2, 3)` or `new_zeros((2, 3))`), with x's dtype
    unless `dtype` is given; likewise new_ones and new_empty."""
    return _new("new_zeros", x, np.zeros, size, dtype, requires_grad)


def new_ones(x: Tensor, *size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new("new_ones", x, np.ones, size, dtype, requires_grad)


def new_empty(x: Tensor, *size, dtype=None, requires_grad: bool = False) -> Tensor:
    """As new_zeros: the memory is always initialised here (PyTorch leaves it undefined)."""
    return new_zeros(x, *size, dtype=dtype, requires_grad=requires_grad)


def new_full(x: Tensor, size, fill_value, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """`fill_value` everywhere, with x's dtype unless `dtype` is given (2.5 in an int64
    tensor's new_full gives 2, as torch)."""
    target = x.data.dtype if dtype is None else _tensor_dtype("new_full", dtype)
    data = np.full(_sizes("new_full", (size,)), fill_value, dtype=target)
    return Tensor(data, requires_grad=requires_grad, dtype=target)


def new_tensor(x: Tensor, data, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """A copy of `data` (a leaf, no graph) with x's dtype unless `dtype` is given, as torch."""
    if isinstance(data, Tensor):
        data = data.data
    target = x.data.dtype if dtype is None else _tensor_dtype("new_tensor", dtype)
    data = np.array(data, dtype=target, copy=True)
    return Tensor(data, requires_grad=requires_grad, dtype=target)


# ---------------------------------------------------------------------- in-place fills
# in-place ops whose result does not depend on x: the way out is a new tensor, not x.op()
_FILLS = frozenset(("zero_", "fill_", "copy_", "uniform_", "normal_", "random_", "exponential_",
                    "geometric_", "bernoulli_", "cauchy_", "log_normal_"))


def _check_in_place(op: str, x: Tensor) -> None:
    if x.requires_grad and GRAD_MODE.enabled:
        if x.is_leaf or op in _FILLS:
            kind = "a leaf tensor" if x.is_leaf else "a tensor computed by ops"
            raise RuntimeError(
                f"{op}: {kind} that requires grad cannot be changed in place; do it inside "
                "no_grad() or build a new tensor with zeros_like()/full_like()"
            )
        # PyTorch records an in-place op on a non-leaf; here the graph cannot be rewired, so
        # the message names the out-of-place rewrite that ports such code (x.div_(255) ->
        # x = x.div(255), as fast_neural_style's normalize_batch)
        raise RuntimeError(
            f"{op}: a tensor computed by ops that requires grad cannot be changed in place "
            f"here (PyTorch records it); keep the out-of-place result instead: "
            f"x = x.{op[:-1]}(...) for x.{op}(...)"
        )


def zero_(x: Tensor) -> Tensor:
    """Set every element to 0 in x's array (views and detach() see it); returns x."""
    _check_in_place("zero_", x)
    x.data[...] = 0
    mark_changed(x)
    return x


def fill_(x: Tensor, value) -> Tensor:
    """Set every element to `value` (a number or one-element tensor) in x's array; returns
    x. Converted to x's dtype as torch (1.5 in an integer tensor stores 1)."""
    _check_in_place("fill_", x)
    if isinstance(value, Tensor):
        if value.data.size != 1:
            raise ValueError(
                "fill_: the value must be a number or a one-element tensor, "
                f"got shape {value.shape}"
            )
        value = value.data.reshape(())
    x.data[...] = value
    mark_changed(x)
    return x


_CPU = device("cpu")


def tensor_device(x: Tensor) -> device:
    """`x.device`: the CPU, the only device (so `zeros(n, device=x.device)` ports)."""
    return _CPU


def is_tensor(obj) -> bool:
    """True if `obj` is a Tensor (torch.is_tensor)."""
    return isinstance(obj, Tensor)


# -------------------------------------------------------------------- in-place updates
def _in_place_update(op: str, fn):
    """`x.add_(y)` etc.: `fn(x, y)` written into x's array (so views, detach() and an
    optimizer's buffers see it); returns x. Only outside the graph (see the docstring)."""
    rule = arithmetic.in_place(op, fn)

    def method(x: Tensor, other) -> Tensor:
        _check_in_place(op, x)
        if isinstance(other, Tensor) and other.requires_grad and GRAD_MODE.enabled:
            raise RuntimeError(
                f"{op}: the operand requires grad, so the update would have to be recorded; "
                "do it inside no_grad() or write x = x + y"
            )
        return rule(x, other)

    method.__name__ = op
    return method


_add_in_place = _in_place_update("add_", arithmetic.add)
_sub_in_place = _in_place_update("sub_", arithmetic.sub)
mul_ = _in_place_update("mul_", arithmetic.mul)
div_ = _in_place_update("div_", arithmetic.div)


def add_(x: Tensor, other, *, alpha=1) -> Tensor:
    """x += alpha * other, in place (PyTorch's `add_`); returns x."""
    return _add_in_place(x, other if alpha == 1 else other * alpha)


def sub_(x: Tensor, other, *, alpha=1) -> Tensor:
    """x -= alpha * other, in place (PyTorch's `sub_`); returns x."""
    return _sub_in_place(x, other if alpha == 1 else other * alpha)


def copy_(x: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy `src` (a Tensor, array or number broadcastable to x's shape) into x's array,
    cast to x's dtype as PyTorch (a float copied into an integer tensor is truncated)."""
    del non_blocking
    _check_in_place("copy_", x)
    if isinstance(src, Tensor):
        src = src.data
    np.copyto(x.data, np.broadcast_to(np.asarray(src), x.data.shape), casting="unsafe")
    mark_changed(x)
    return x


# ---------------------------------------------------------------------------- hooks
class RemovableHandle:
    """Returned by `register_hook`; `remove()` unregisters the hook (as torch's handle)."""

    _ids = itertools.count()

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def register_hook(x: Tensor, hook) -> RemovableHandle:
    """Call `hook(grad)` whenever backward computes the gradient of `x` (a leaf or not),
    once per backward with the summed gradient; a non-None return value (Tensor or array of
    the same shape) replaces the gradient: what a leaf accumulates into `.grad`, what a
    non-leaf passes on to its inputs and keeps in `.grad` after `retain_grad()`, as torch."""
    if not x.requires_grad:
        raise RuntimeError(
            "register_hook: cannot register a hook on a tensor that does not require grad"
        )
    if not callable(hook):
        raise TypeError(f"register_hook: expected a callable, got {hook!r}")
    if x._hooks is None:
        x._hooks = {}
    handle = RemovableHandle(x._hooks)
    x._hooks[handle.id] = hook
    return handle
