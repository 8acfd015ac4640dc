"""The containers `Sequential`, `ModuleList`, `ModuleDict`, `ParameterList`,
`ParameterDict` and the deprecated `Container`, as PyTorch's: children (or parameters)
registered under their keys, "0", "1", ... for the lists, which deleting or inserting
renumbers so a key stays a position.

`Sequential.forward` runs a Linear or Conv2d followed by a ReLU as one node (see
`Module._takes_relu`).
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping

import numpy as np

from ..tensor import Tensor
from .module import Module, Parameter


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


class Container(Module):
    """torch's deprecated Container(**kwargs): a Module whose keyword arguments become its
    child modules (in the given order); warns, as torch, to use Module instead."""

    def __init__(self, **kwargs) -> None:
        super().__init__()
        warnings.warn("nn.Container is deprecated. All of its functionality is now "
                      "implemented in nn.Module. Subclass that instead.", FutureWarning,
                      stacklevel=2)
        for name, module in kwargs.items():
            self.add_module(name, module)
