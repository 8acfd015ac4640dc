"""`Module` and `Parameter`, with PyTorch's naming and state_dict (the containers are in
containers.py).

A Module registers what is assigned to it: a `Parameter` becomes a parameter, a `Module` a
child, and `register_buffer` adds saved non-trainable state (running statistics). Keys of
`state_dict()` are dotted attribute paths as in PyTorch (`"0.weight"`, `"features.1.bias"`).

Loading copies values INTO the existing arrays (`np.copyto`), never rebinding `p.data`:
an optimizer may hold each parameter as a view into one flat buffer, and must keep seeing
the loaded values.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from .. import sparse_rows
from ..default_dtype import default_float
from ..devices import check_cpu, names_device
from ..ops.utility import RemovableHandle
from ..tensor import Tensor
from . import module_hooks as _hooks
from .module_hooks import COUNT as _HOOKS_IN_USE
from .module_hooks import (  # noqa: F401  (PyTorch's home of the global forms)
    register_module_forward_hook,
    register_module_forward_pre_hook,
    register_module_full_backward_hook,
    register_module_full_backward_pre_hook,
)


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable; requires grad unless told otherwise.

    `Parameter(data, requires_grad=True)`: floating data only (float32 unless float64 is given).
    """

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=default_float())
        super().__init__(data, requires_grad=False)
        if self.data.dtype.kind != "f":
            raise TypeError(
                f"Parameter: data must be floating point, got {self.data.dtype}; "
                "keep integer state in a buffer instead"
            )
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A Tensor that a Module registers as a buffer when assigned to it (torch.nn.Buffer,
    torch 2.5+): `Buffer(data=None, *, persistent=True)`; a non-persistent buffer is left out
    of state_dict. Any dtype; never requires grad. Deviation: torch hands back a plain
    Tensor marked as a buffer, here the object is this Tensor subclass."""

    def __init__(self, data=None, *, persistent: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=default_float())
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data)
        self.persistent = bool(persistent)


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` returns, as in PyTorch."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (
            f"IncompatibleKeys(missing_keys={self.missing_keys!r}, "
            f"unexpected_keys={self.unexpected_keys!r})"
        )

    __str__ = __repr__


class Module:
    """Base class of every layer and model: subclasses set attributes in `__init__` and
    implement `forward`. Calling the module calls `forward`."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        for name in _hooks.TABLES:  # handle ids -> hooks or flags (module_hooks.py)
            object.__setattr__(self, name, OrderedDict())

    # ------------------------------------------------------------------ registration
    def _check_initialised(self, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"cannot assign '{name}' before Module.__init__() is called; call "
                "super().__init__() first in your module's __init__"
            )

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            self._check_initialised(name)
            self._discard(name, keep=self._parameters)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._check_initialised(name)
            self._discard(name, keep=self._modules)
            self._modules[name] = value
        elif isinstance(value, Buffer):
            self._check_initialised(name)
            for store, kind in ((self._parameters, "parameter"), (self._modules, "child module")):
                if name in store:  # as torch: a Buffer does not replace these
                    raise TypeError(
                        f"cannot assign Buffer to {kind} '{name}' (delete it first)"
                    )
            self._discard(name, keep=self._buffers)
            self._buffers[name] = value
            if not value.persistent:
                self._non_persistent.add(name)
        elif "_parameters" in self.__dict__ and name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} to parameter '{name}' "
                    "(nn.Parameter or None expected)"
                )
            self._parameters[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                value = Tensor(np.asarray(value))
            self._buffers[name] = value
        elif "_modules" in self.__dict__ and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} to child module '{name}' "
                    "(nn.Module or None expected)"
                )
            self._modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _discard(self, name: str, keep: OrderedDict | None = None) -> None:
        # `keep` is the store about to receive `name`: leaving its entry there keeps a
        # reassigned parameter, buffer or child in its place (parameter and state_dict
        # order, ModuleList order), as PyTorch does.
        for store in (self._parameters, self._buffers, self._modules):
            if store is not keep:
                store.pop(name, None)
        self.__dict__.pop(name, None)
        self._non_persistent.discard(name)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: look in the registries.
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def _check_name(self, kind: str, name, store: OrderedDict) -> None:
        """PyTorch's rules (and its KeyError) for a registered name: a non-empty str without
        "." (which would make state_dict keys ambiguous), not already another attribute."""
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if not name:
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name not in store and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter('{name}'): expected a Parameter or None")
        self._check_initialised(name)
        self._check_name("parameter", name, self._parameters)
        self._discard(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add non-trainable state (saved in state_dict unless persistent=False)."""
        self._check_initialised(name)
        self._check_name("buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(np.asarray(tensor))
        self._discard(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module('{name}'): {type(module).__name__} is not a Module")
        self._check_initialised(name)
        self._check_name("module", name, self._modules)
        self._discard(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    # ------------------------------------------------------------------ forward
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args, **kwargs):
        if _HOOKS_IN_USE[0]:  # any hook anywhere (module_hooks.py): one check when none
            return _hooks.call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Run `hook(module, args)` before each forward (with_kwargs: `hook(module, args,
        kwargs)`); a non-None result replaces args (a non-tuple becomes a 1-tuple), or with
        with_kwargs must be `(new_args, new_kwargs)`. prepend: run before the others."""
        return _hooks.add(
            self, "_forward_pre_hooks", hook, "register_forward_pre_hook",
            prepend=prepend, with_kwargs=with_kwargs,
        )

    def register_forward_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """Run `hook(module, args, output)` after each forward (with_kwargs: `hook(module,
        args, kwargs, output)`); a non-None result replaces the output. always_call: run
        also when forward or a pre-hook raises (output None), before the error propagates."""
        return _hooks.add(
            self, "_forward_hooks", hook, "register_forward_hook",
            prepend=prepend, with_kwargs=with_kwargs, always_call=always_call,
        )

    def register_full_backward_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Run `hook(module, grad_output)` when the gradients of the module's outputs are
        known; a non-None result (a tuple like grad_output) replaces them."""
        return _hooks.add(
            self, "_backward_pre_hooks", hook, "register_full_backward_pre_hook", prepend
        )

    def register_full_backward_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Run `hook(module, grad_input, grad_output)` when the gradients of the module's
        positional Tensor inputs are known; a non-None result (a tuple like grad_input)
        replaces them. See module_hooks.py for the None and zero entries."""
        return _hooks.add(self, "_backward_hooks", hook, "register_full_backward_hook", prepend)

    def __setstate__(self, state: dict) -> None:
        # copy.copy / deepcopy: the copy's hook tables run too, so they must be counted
        self.__dict__.update(state)
        _hooks.recount(self)

    def _takes_relu(self, following: Module) -> bool:
        """True if this layer can apply the ReLU module `following` to its own output
        (`_forward_relu`); Sequential then runs the two as one graph node."""
        return False

    def _forward_relu(self, x):
        raise NotImplementedError(f"{type(self).__name__} cannot take a following ReLU")

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, memo: set | None = None, prefix: str = ""
    ) -> Iterator[tuple[str, Module]]:
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, store: str, prefix: str, recurse: bool):
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs, each shared parameter once, in registration order."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call `fn` on every submodule (children first) and on self, as PyTorch."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode): mode must be a bool, got {type(mode).__name__}")
        object.__setattr__(self, "training", mode)
        # each child's own train() runs, so a subclass that overrides it (e.g. to keep its
        # batch norms frozen) is obeyed, as in PyTorch
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def to(self, *args, dtype=None, device=None) -> Module:
        """Cast floating parameters and buffers to `dtype` (float32 or float64), as
        `module.to(torch.float64)`. Rebinds the arrays, so build the optimizer afterwards.
        A device ("cpu", the only one) is accepted and changes nothing, as
        `model.to(device)` in PyTorch code; `to("cpu", dtype)` casts."""
        for arg in args:
            if names_device(arg):
                device = arg
            else:
                dtype = arg
        check_cpu("Module.to", device)
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to: expected a floating dtype, got {dtype}")
        for module in self.modules():
            for tensor in list(module._parameters.values()) + list(module._buffers.values()):
                if tensor is not None and tensor.data.dtype.kind == "f":
                    tensor.data = tensor.data.astype(dtype)
                    if tensor.grad is not None:
                        tensor.grad = tensor.grad.astype(dtype)
        return self

    def cpu(self) -> Module:
        """The module itself: its arrays already live in CPU memory."""
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    def zero_grad(self, set_to_none: bool = True) -> None:
        sparse_rows.clear(self.parameters(), set_to_none)
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad[...] = 0

    # ------------------------------------------------------------------ state
    def _state_items(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """Every saved (key, tensor) pair, in PyTorch's order (own params, buffers, children).

        Unlike named_modules(), a child registered under two names is saved under both, as
        PyTorch's state_dict does, so its checkpoints load here and ours there."""
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, param
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent:
                yield prefix + name, buf
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_items(f"{prefix}{name}.")

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Copies of every parameter and persistent buffer as numpy arrays, keyed by path."""
        return OrderedDict((key, np.array(t.data, copy=True)) for key, t in self._state_items())

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values from `state_dict` into this module's arrays in place.

        Every problem is checked before anything is written, so a failed load changes
        nothing: the RuntimeError names all missing, unexpected and wrongly-shaped keys.
        With strict=False, missing and unexpected keys are allowed (and returned), but a
        shape mismatch is still an error, as in PyTorch.
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(
                f"load_state_dict expects a mapping of names to arrays, got "
                f"{type(state_dict).__name__}"
            )
        # lazy modules (nn/lazy.py) first give their placeholders the loaded shapes
        undo = [
            action
            for name, m in self.named_modules()
            if hasattr(m, "_materialize_for_load")
            for action in m._materialize_for_load(f"{name}." if name else "", state_dict)
        ]
        own = OrderedDict(self._state_items())
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        problems: list[str] = []
        sources: dict[str, np.ndarray] = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value.data if isinstance(value, Tensor) else np.asarray(value)
            if array.dtype.kind not in "fiub":
                problems.append(f'value for "{key}" has unsupported dtype {array.dtype}')
            elif array.shape != target.data.shape:
                problems.append(
                    f'size mismatch for "{key}": copying a param with shape {array.shape} '
                    f"from checkpoint, the shape in current model is {target.data.shape}"
                )
            else:
                sources[key] = array
        if strict and missing:
            problems.insert(
                0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing)
            )
        if strict and unexpected:
            problems.insert(
                1 if strict and missing else 0,
                "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected),
            )
        if problems:
            for action in undo:
                action()
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(problems)
            )
        for key, array in sources.items():
            np.copyto(own[key].data, array, casting="unsafe")
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_repr}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"


def is_plain(module, cls: type) -> bool:
    """`module` is exactly a `cls` running cls's own forward: no subclass, no forward set
    on the instance and no hooks to run, any of which fusing it with a neighbour would
    bypass."""
    return (
        type(module) is cls and "forward" not in module.__dict__
        and not _hooks.has_hooks(module)
    )
