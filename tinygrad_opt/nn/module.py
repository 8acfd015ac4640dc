"""`Module`, `Parameter` and the containers `Sequential`, `ModuleList`, `ModuleDict`,
`ParameterList`, `ParameterDict`, with PyTorch's naming and state_dict.

A Module registers what is assigned to it: a `Parameter` becomes a parameter, a `Module` a
child, and `register_buffer` adds saved non-trainable state (running statistics). Keys of
`state_dict()` are dotted attribute paths as in PyTorch (`"0.weight"`, `"features.1.bias"`).

Loading copies values INTO the existing arrays (`np.copyto`), never rebinding `p.data`:
an optimizer may hold each parameter as a view into one flat buffer, and must keep seeing
the loaded values.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable; requires grad unless told otherwise.

    `Parameter(data, requires_grad=True)`: floating data only (float32 unless float64 is given).
    """

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
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
        return self.forward(*args, **kwargs)

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
            if isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps"):
                device = arg
            else:
                dtype = arg
        if device is not None and str(device).split(":")[0] != "cpu":
            raise ValueError(f"Module.to: tinygrad_opt runs on the CPU only; got device {device!r}")
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
    """`module` is exactly a `cls` running cls's own forward: no subclass and no forward set
    on the instance, either of which fusing it with a neighbour would bypass."""
    return type(module) is cls and "forward" not in module.__dict__


class Sequential(Module):
    """Modules applied in order; `Sequential(m0, m1, ...)` or `Sequential(OrderedDict)`."""

    def __init__(self, *modules) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, module in modules[0].items():
                self.add_module(str(name), module)
        else:
            for index, module in enumerate(modules):
                if not isinstance(module, Module):
                    raise TypeError(
                        f"Sequential: argument {index} is {type(module).__name__}, "
                        "expected a Module"
                    )
                self.add_module(str(index), module)

    def forward(self, x):
        # A Linear or Conv2d followed by a ReLU runs as one node that applies max(y, 0) to
        # its fresh output in place (a blocked convolution, in its kernel while the rows
        # are in cache): the same values and gradients, without ReLU's pass over memory.
        modules = list(self._modules.values())
        i = 0
        while i < len(modules):
            module = modules[i]
            if i + 1 < len(modules) and module._takes_relu(modules[i + 1]):
                x = module._forward_relu(x)
                i += 2
            else:
                x = module(x)
                i += 1
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[_checked_index(index, len(items), "Sequential")][1]

    def __setitem__(self, index: int, module: Module) -> None:
        keys = list(self._modules)
        self.add_module(keys[_checked_index(index, len(keys), "Sequential")], module)

    def __delitem__(self, index) -> None:
        _delete_children(self, index, "Sequential")

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        _insert_child(self, index, module, "Sequential")
        return self

    def pop(self, index=-1):
        module = self[index]
        del self[index]
        return module


class ModuleList(Module):
    """A list of modules registered as children (keys "0", "1", ...); it has no forward."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index):
        values = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(values[index])
        return values[_checked_index(index, len(values), "ModuleList")]

    def __setitem__(self, index: int, module: Module) -> None:
        index = _checked_index(index, len(self._modules), "ModuleList")
        self.add_module(str(index), module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def __delitem__(self, index) -> None:
        _delete_children(self, index, "ModuleList")

    def insert(self, index: int, module: Module) -> None:
        _insert_child(self, index, module, "ModuleList")

    def pop(self, index=-1) -> Module:
        module = self[index]
        del self[index]
        return module

    def __repr__(self) -> str:
        # PyTorch folds a run of identical entries into one line: "(0-2): 3 x Linear(...)"
        runs: list[list] = []  # [first index, last index, repr]
        for index, module in enumerate(self):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        if not runs:
            return f"{type(self).__name__}()"
        lines = [
            (f"({a}): " if a == b else f"({a}-{b}): {b - a + 1} x ") + text.replace("\n", "\n  ")
            for a, b, text in runs
        ]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _key_value_pairs(items, owner: str) -> Iterator[tuple]:
    """(key, value) pairs of a mapping (in its order) or of an iterable of pairs, with
    PyTorch's errors for anything else."""
    if isinstance(items, (Mapping, ModuleDict, ParameterDict)):
        yield from items.items()
        return
    if not isinstance(items, Iterable):
        raise TypeError(
            f"{owner}.update should be called with an iterable of key/value pairs, but got "
            f"{type(items).__name__}"
        )
    for index, pair in enumerate(items):
        if not isinstance(pair, Iterable):
            raise TypeError(
                f"{owner} update sequence element #{index} should be Iterable; is "
                f"{type(pair).__name__}"
            )
        pair = tuple(pair)
        if len(pair) != 2:
            raise ValueError(
                f"{owner} update sequence element #{index} has length {len(pair)}; 2 is required"
            )
        yield pair


class ModuleDict(Module):
    """An ordered dict of modules registered as children under their keys (state_dict keys
    "key.weight", ...); it has no forward. Keys follow add_module's rules (str, no ".")."""

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules: Mapping[str, Module] | Iterable) -> None:
        """Add or overwrite entries from a mapping or an iterable of (key, module) pairs,
        keeping their order."""
        for key, module in _key_value_pairs(modules, "ModuleDict"):
            self[key] = module


def _as_parameter(value):
    # as torch: a plain Tensor becomes a Parameter (sharing its array) that requires grad
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value.data)
    return value


class ParameterList(Module):
    """A list of parameters registered under "0", "1", ... (so they appear in
    named_parameters and state_dict as "0", "1", or "name.0" inside a model). A plain Tensor
    stored in it becomes a Parameter, as in torch."""

    def __init__(self, values: Iterable | None = None) -> None:
        super().__init__()
        object.__setattr__(self, "_size", 0)
        if values is not None:
            self.extend(values)

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ParameterList([self[i] for i in range(len(self))[index]])
        return getattr(self, str(_checked_index(index, len(self), "ParameterList")))

    def __setitem__(self, index: int, value) -> None:
        index = _checked_index(index, len(self), "ParameterList")
        setattr(self, str(index), _as_parameter(value))

    def __iter__(self) -> Iterator:
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values: Iterable) -> ParameterList:
        return self.extend(values)

    def append(self, value) -> ParameterList:
        object.__setattr__(self, "_size", self._size + 1)
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable) -> ParameterList:
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(
                "ParameterList.extend should be called with an iterable, but got "
                f"{type(values).__name__}"
            )
        for value in values:
            self.append(value)
        return self

    def __repr__(self) -> str:
        return _entries_repr(self, enumerate(self))


class ParameterDict(Module):
    """An ordered dict of parameters registered under their keys (str, no "."). A plain
    Tensor stored in it becomes a Parameter; update() from a plain dict adds its items in
    sorted key order, from an OrderedDict, ParameterDict or pairs in their order, as torch."""

    def __init__(self, parameters: Mapping | Iterable | None = None) -> None:
        super().__init__()
        object.__setattr__(self, "_keys", OrderedDict())
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value) -> None:
        if not isinstance(key, str):
            raise TypeError(
                "Index given to ParameterDict cannot be used as a key as it is not a string "
                f"(type is '{type(key).__name__}')"
            )
        value = _as_parameter(value)
        if isinstance(value, Parameter) or value is None:
            self.register_parameter(key, value)
        else:
            setattr(self, key, value)
        self._keys[key] = None

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __contains__(self, key) -> bool:
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def values(self):
        return [self[k] for k in self._keys]

    def items(self):
        return [(k, self[k]) for k in self._keys]

    def get(self, key: str, default=None):
        return self[key] if key in self else default

    def setdefault(self, key: str, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str):
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def update(self, parameters: Mapping | Iterable) -> None:
        if isinstance(parameters, Mapping) and not isinstance(parameters, OrderedDict):
            parameters = sorted(parameters.items())
        for key, value in _key_value_pairs(parameters, "ParametersDict"):
            self[key] = value

    def __repr__(self) -> str:
        return _entries_repr(self, self.items())


def _entries_repr(container: Module, entries) -> str:
    # torch's one line per entry: "(0): Parameter containing: [float32 of size 3x4]"
    lines = [
        f"({key}): Parameter containing: [{value.data.dtype} of size "
        f"{'x'.join(map(str, value.shape))}]"
        if isinstance(value, Tensor)
        else f"({key}): Object of type: {type(value).__name__}"
        for key, value in entries
    ]
    body = "".join("\n  " + line for line in lines)
    return f"{type(container).__name__}({body}\n)" if lines else f"{type(container).__name__}()"


def _renumbered(container: Module, modules: list[Module]) -> None:
    """Make `modules` the container's children under the keys "0", "1", ...: as PyTorch,
    deleting or inserting renumbers them, so a key stays a position."""
    container._modules.clear()
    for i, module in enumerate(modules):
        container._modules[str(i)] = module


def _delete_children(container: Module, index, owner: str) -> None:
    """del container[index] for an int or a slice, then renumber (see `_renumbered`)."""
    modules = list(container._modules.values())
    if isinstance(index, slice):
        del modules[index]
    else:
        del modules[_checked_index(index, len(modules), owner)]
    _renumbered(container, modules)


def _insert_child(container: Module, index, module: Module, owner: str) -> None:
    """container.insert(index, module) with list.insert's meaning of index, as PyTorch."""
    if not isinstance(module, Module):
        raise TypeError(f"{owner}.insert: {type(module).__name__} is not a Module")
    modules = list(container._modules.values())
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
        raise TypeError(f"{owner} indices must be integers, not {type(index).__name__}")
    if not -len(modules) <= index <= len(modules):
        raise IndexError(f"{owner}.insert: index {index} is out of range for length "
                         f"{len(modules)}")
    modules.insert(int(index), module)
    _renumbered(container, modules)


def _checked_index(index, length: int, owner: str) -> int:
    if isinstance(index, slice):  # the callers that take slices handle them first
        raise TypeError(f"{owner} item assignment takes an integer index, not a slice")
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
        raise TypeError(f"{owner} indices must be integers or slices, not {type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"{owner} index {index} is out of range for length {length}")
    return int(index) % length
