"""Module hooks, as torch.nn.Module's: forward pre-hooks, forward hooks, full backward
pre-hooks and full backward hooks, per module (`Module.register_*`) and global
(`register_module_*`, which run on every module, before its own hooks).

`Module.__call__` checks one counter, `COUNT[0]`: the number of global hooks plus the number
of live modules holding hooks. While it is 0 a call is `forward(...)` and nothing else;
otherwise `call_with_hooks` runs (at once a plain call if only other modules have hooks). A
module that dies with hooks still registered stops counting (a weak reference), and a copy
(`copy.deepcopy`) of a hooked module counts too; handles copied with it act on the copy
(as torch), and a copied global handle on a copy of the table, so it removes nothing.
Hooks must come from the `register_` functions: an entry written straight into
`module._forward_hooks` is not seen.

Backward hooks put identity nodes around the module: the tensor outputs that require grad
become children of one hub node, so the backward pre-hooks see every output's gradient at
once (`grad_output`, None for outputs that received none) and may replace them; the
positional Tensor inputs that require grad pass through a second hub, where the full
backward hooks see `grad_input` and may replace it before it reaches the inputs. As torch:
if no input requires grad, the full backward hooks run at the outputs with every grad_input
entry None (and a warning); otherwise a Tensor input that needs no grad, or that received
none, gets zeros; non-Tensor arguments get None; keyword arguments are not seen. Outputs
other than a Tensor or a tuple (a list, a dict) get no backward hooks, as torch.

Deviations from PyTorch: registering a non-callable hook raises TypeError (torch accepts it
and fails at the call); a backward hook returning something other than a tuple or list of
the right length raises RuntimeError naming the hook.
"""

from __future__ import annotations

import copy
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from ..grad_mode import GRAD_MODE
from ..ops.utility import RemovableHandle
from ..tensor import Tensor

# each module's hook tables, created by Module.__init__ (PyTorch's attribute names)
TABLES = (
    "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs",
    "_forward_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called",
    "_backward_pre_hooks",
    "_backward_hooks",
)
# the tables that hold hooks (the others hold flags keyed by the same handle ids)
_HOOK_TABLES = ("_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks", "_backward_hooks")

_global_forward_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_forward_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_forward_hooks_with_kwargs: dict[int, bool] = {}
_global_forward_hooks_always_called: dict[int, bool] = {}
_global_backward_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_backward_hooks: OrderedDict[int, Callable] = OrderedDict()
_GLOBAL_TABLES = {  # by the name of the per-module table they stand beside
    "_forward_pre_hooks": _global_forward_pre_hooks,
    "_forward_hooks": _global_forward_hooks,
    "_forward_hooks_with_kwargs": _global_forward_hooks_with_kwargs,
    "_forward_hooks_always_called": _global_forward_hooks_always_called,
    "_backward_pre_hooks": _global_backward_pre_hooks,
    "_backward_hooks": _global_backward_hooks,
}

# id(module) -> weak reference, for every live module that holds at least one hook
_hooked: dict[int, weakref.ref] = {}
COUNT = [0]  # global hooks + len(_hooked), read by Module.__call__ on every call


def _track(module: Any) -> None:
    key = id(module)
    if key not in _hooked:
        _hooked[key] = weakref.ref(module, lambda _ref, key=key: _untrack(key))
        COUNT[0] += 1


def _untrack(key: int) -> None:
    if _hooked.pop(key, None) is not None:
        COUNT[0] -= 1


def has_own_hooks(module: Any) -> bool:
    d = module.__dict__
    return any(d.get(name) for name in _HOOK_TABLES)


def has_hooks(module: Any) -> bool:
    """True if calling `module` would run any hook (its own or a global one)."""
    return bool(COUNT[0]) and (COUNT[0] != len(_hooked) or id(module) in _hooked)


def recount(module: Any) -> None:
    """Count a module whose hook tables arrived without registration (a copy)."""
    if has_own_hooks(module):
        _track(module)


class ModuleHookHandle(RemovableHandle):
    """The project's RemovableHandle, also dropping the hook's flags and keeping the count."""

    def __init__(self, hooks: dict, flags: tuple[dict, ...], owner: Any = None) -> None:
        super().__init__(hooks)
        self._flags = flags
        self._owner = None if owner is None else weakref.ref(owner)

    def remove(self) -> None:
        if self._hooks.pop(self.id, _MISSING) is _MISSING:
            return
        for flags in self._flags:
            flags.pop(self.id, None)
        if self._owner is None:
            # a deep copy of a global handle holds a copy of the table (as torch): removing
            # from that copy must not uncount the hook that still runs
            if any(self._hooks is table for table in _GLOBAL_TABLES.values()):
                COUNT[0] -= 1
            return
        module = self._owner()
        if module is None or not any(module.__dict__.get(n) is self._hooks for n in TABLES):
            return
        if not has_own_hooks(module):
            _untrack(id(module))

    def __deepcopy__(self, memo: dict) -> ModuleHookHandle:
        # copied along with its module, the handle acts on the copy's tables (as torch) and
        # must uncount the copy, not the original, when its last hook goes
        new = object.__new__(type(self))
        memo[id(self)] = new
        new.id = self.id
        new._hooks = copy.deepcopy(self._hooks, memo)
        new._flags = copy.deepcopy(self._flags, memo)
        owner = None if self._owner is None else self._owner()
        new._owner = None if owner is None else weakref.ref(memo.get(id(owner), owner))
        return new

    # pickling (a module holding its handle, an uninitialised lazy module): the weak
    # reference travels as the module itself, which the pickle already holds
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_owner"] = None if self._owner is None else self._owner()
        return state

    def __setstate__(self, state: dict) -> None:
        owner = state.pop("_owner")
        self.__dict__.update(state)
        self._owner = None if owner is None else weakref.ref(owner)


_MISSING = object()


def _check(hook: Any, where: str, **flags: Any) -> None:
    if not callable(hook):
        raise TypeError(f"{where}: hook must be callable, got {hook!r}")
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise TypeError(f"{where}: {name} must be a bool, got {value!r}")


def add(
    module: Any, table: str, hook: Any, where: str, prepend: bool = False,
    with_kwargs: bool = False, always_call: bool = False,
) -> ModuleHookHandle:
    """Register `hook` in `module`'s `table` (module None: the global table of that name)."""
    _check(hook, where, prepend=prepend, with_kwargs=with_kwargs, always_call=always_call)
    if module is None:
        tables = _GLOBAL_TABLES
    else:
        tables = module.__dict__
        for name in TABLES:  # missing only in a module built without Module.__init__
            tables.setdefault(name, OrderedDict())
    hooks = tables[table]
    kwargs_flags = tables.get(table + "_with_kwargs")
    always_flags = tables.get(table + "_always_called")
    flags = tuple(f for f in (kwargs_flags, always_flags) if f is not None)
    handle = ModuleHookHandle(hooks, flags, module)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    if with_kwargs:
        kwargs_flags[handle.id] = True
    if always_call:
        always_flags[handle.id] = True
    if module is None:
        COUNT[0] += 1
    else:
        _track(module)
    return handle


# ---------------------------------------------------------------------------- global forms
def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """Run `hook(module, args)` before every module's forward (before its own pre-hooks);
    a non-None result replaces args (a non-tuple becomes a 1-tuple)."""
    return add(None, "_forward_pre_hooks", hook, "register_module_forward_pre_hook")


def register_module_forward_hook(
    hook: Callable, *, with_kwargs: bool = False, always_call: bool = False
) -> RemovableHandle:
    """Run `hook(module, args, output)` (with_kwargs: `hook(module, args, kwargs, output)`)
    after every module's forward, before its own hooks; a non-None result replaces the
    output. always_call: also run, with output None, when forward raises."""
    return add(
        None, "_forward_hooks", hook, "register_module_forward_hook",
        with_kwargs=with_kwargs, always_call=always_call,
    )


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """Run `hook(module, grad_output)` in every module's backward, before its own."""
    return add(None, "_backward_pre_hooks", hook, "register_module_full_backward_pre_hook")


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """Run `hook(module, grad_input, grad_output)` in every module's backward, before its
    own."""
    return add(None, "_backward_hooks", hook, "register_module_full_backward_hook")


# ---------------------------------------------------------------------------- the call
def call_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """Module.__call__ once some hook exists somewhere: hooks around `module.forward`."""
    if COUNT[0] == len(_hooked) and id(module) not in _hooked:  # hooks elsewhere only
        return module.forward(*args, **kwargs)
    d = module.__dict__
    empty: dict = {}
    own_fwd = d.get("_forward_hooks", empty)
    fwd_kwargs = d.get("_forward_hooks_with_kwargs", empty)
    always = d.get("_forward_hooks_always_called", empty)
    called: set[int] = set()
    result = hub = None
    try:  # as torch, always_call hooks also run when a pre-hook raises
        args, kwargs, hub = _before_forward(module, d, args, kwargs)
        result = module.forward(*args, **kwargs)
        # snapshots: a hook may remove itself (or others) while they run
        for hook_id, hook in (*_global_forward_hooks.items(), *own_fwd.items()):
            called.add(hook_id)
            result = _run_forward_hook(module, hook_id, hook, args, kwargs, result, fwd_kwargs)
    except Exception:
        for hook_id, hook in (*_global_forward_hooks.items(), *own_fwd.items()):
            if hook_id in called or not (
                hook_id in always or hook_id in _global_forward_hooks_always_called
            ):
                continue
            try:
                result = _run_forward_hook(
                    module, hook_id, hook, args, kwargs, result, fwd_kwargs
                )
            except Exception as error:  # the forward's error is the one to raise
                warnings.warn(
                    "forward hook with always_call=True raised an exception that was "
                    f"silenced as another error was raised in forward: {error}",
                    stacklevel=2,
                )
        raise
    if hub is not None:
        result = hub.wrap_outputs(result)
    return result


def _before_forward(module, d: dict, args: tuple, kwargs: dict):
    """Run the forward pre-hooks, then put the backward hub on the inputs if needed."""
    empty: dict = {}
    pre_kwargs = d.get("_forward_pre_hooks_with_kwargs", empty)
    # snapshots: a hook may remove itself (or others) while they run
    own_pre = d.get("_forward_pre_hooks", empty)
    for hook_id, hook in (*_global_forward_pre_hooks.items(), *own_pre.items()):
        if hook_id in pre_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        "forward pre-hook must return None or a tuple of (new_args, "
                        f"new_kwargs), but got {result!r}."
                    )
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    backward_pre = (*_global_backward_pre_hooks.values(),
                    *d.get("_backward_pre_hooks", empty).values())
    backward = (*_global_backward_hooks.values(), *d.get("_backward_hooks", empty).values())
    hub = None
    if (backward_pre or backward) and GRAD_MODE.enabled:
        hub = _BackwardHub(module, backward_pre, backward)
        args = hub.wrap_inputs(args)
    return args, kwargs, hub


def _run_forward_hook(module, hook_id, hook, args, kwargs, result, fwd_kwargs):
    if hook_id in fwd_kwargs or hook_id in _global_forward_hooks_with_kwargs:
        new = hook(module, args, kwargs, result)
    else:
        new = hook(module, args, result)
    return result if new is None else new


# ---------------------------------------------------------------------------- backward
_TOKEN = np.zeros((), dtype=np.float32)  # the hubs' value and the gradient sent to them
_TOKEN.flags.writeable = False


class _BackwardHub:
    """The identity nodes of one call with backward hooks (see the module docstring)."""

    def __init__(self, module: Any, pre_hooks: tuple, hooks: tuple) -> None:
        self.module = module
        self.pre_hooks = pre_hooks
        self.hooks = hooks
        self.args: tuple = ()
        self.wrapped: list[int] = []  # positions of the inputs routed through the hub
        self.input_slots: list = []
        self.grad_output: tuple = ()
        self.outputs_wrapped = False

    # ------------------------------------------------------------------ inputs
    def wrap_inputs(self, args: tuple) -> tuple:
        self.args = args
        self.wrapped = [
            i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad
        ]
        if not self.wrapped or not self.hooks:
            return args
        self.input_slots = [None] * len(args)
        hub = Tensor.make(_TOKEN, tuple(args[i] for i in self.wrapped), self._input_backward)
        new = list(args)
        for i in self.wrapped:
            new[i] = Tensor.make(args[i].data, (hub,), self._store(self.input_slots, i))
        return tuple(new)

    def _input_backward(self, _g):
        grad_input = tuple(
            Tensor(g, dtype=g.dtype) if g is not None
            else Tensor(np.zeros_like(a.data)) if isinstance(a, Tensor) else None
            for a, g in zip(self.args, self.input_slots)
        )
        self.input_slots[:] = [None] * len(self.args)  # a retained graph's next backward
        if not self.outputs_wrapped:  # a list or dict output: no hooks, as torch
            return tuple(_array(grad_input[i]) for i in self.wrapped)
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                grad_input = _replacement(hook, result, grad_input, "grad_input")
        return tuple(_array(grad_input[i]) for i in self.wrapped)

    # ------------------------------------------------------------------ outputs
    def wrap_outputs(self, result: Any):
        if isinstance(result, Tensor):
            outputs, single = (result,), True
        elif isinstance(result, tuple):
            outputs, single = result, False
        else:
            return result  # torch sets no backward hooks on lists and dicts either
        live = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]
        if not live:
            return result
        slots: list = [None] * len(outputs)
        hub = Tensor.make(
            _TOKEN, tuple(outputs[i] for i in live),
            lambda _g: self._output_backward(slots, live),
        )
        new = list(outputs)
        for i in live:
            new[i] = Tensor.make(outputs[i].data, (hub,), self._store(slots, i))
        self.outputs_wrapped = True
        if single:
            return new[0]
        return tuple(new) if type(result) is tuple else type(result)(*new)  # a namedtuple

    def _output_backward(self, slots: list, live: list[int]):
        grad_output = tuple(None if g is None else Tensor(g, dtype=g.dtype) for g in slots)
        slots[:] = [None] * len(slots)
        for hook in self.pre_hooks:
            result = hook(self.module, grad_output)
            if result is not None:
                grad_output = _replacement(hook, result, grad_output, "grad_output")
        self.grad_output = grad_output
        if not self.wrapped and self.hooks:
            # nothing upstream will reach the input hub: run the hooks now, as torch
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to "
                "module outputs since no inputs require gradients.",
                stacklevel=2,
            )
            grad_input = (None,) * len(self.args)
            for hook in self.hooks:
                result = hook(self.module, grad_input, grad_output)
                if result is not None and any(r is not None for r in result):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
        return tuple(_array(grad_output[i]) for i in live)

    @staticmethod
    def _store(slots: list, i: int):
        def backward(g):
            slots[i] = g
            return (_TOKEN,)

        return backward


def _array(grad):
    return None if grad is None else grad.data


def _replacement(hook, result, current: tuple, what: str) -> tuple:
    """A hook's returned gradients, checked against the ones it replaces."""
    name = getattr(hook, "__name__", repr(hook))
    if not isinstance(result, (tuple, list)):
        raise RuntimeError(
            f"backward hook {name!r} returned {type(result).__name__}; expected None or a "
            f"tuple of {len(current)} {what} entries (Tensors or None)"
        )
    if len(result) != len(current):
        raise RuntimeError(
            f"Backward hook returned an invalid number of {what}, got {len(result)}, but "
            f"expected {len(current)}"
        )
    out = []
    for new, old in zip(result, current):
        if new is None or old is None:
            out.append(None if old is None else new)
            continue
        array = np.asarray(new.data if isinstance(new, Tensor) else new)
        if array.shape != old.shape:
            raise RuntimeError(
                f"backward hook {name!r} returned a {what} entry of shape {array.shape}; it "
                f"must keep the shape {tuple(old.shape)}"
            )
        out.append(Tensor(array.astype(old.data.dtype, copy=False)))
    return tuple(out)
