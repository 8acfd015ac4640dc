"""`functional_call` (torch.nn.utils.stateless, torch.func): run a module with some of its
parameters and buffers replaced by given tensors, for that call only.

The given tensors are swapped into the modules' registries (not copied), so gradients flow
back to them; the originals are put back afterwards, also when the forward raises.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from ...tensor import Tensor
from ..module import Module


def _tensor_slots(module: Module) -> dict[str, tuple[Module, str, str]]:
    """Every "path.name" of a parameter or buffer -> (owner, registry, name), shared
    modules and tensors listed under each of their names (tied weights have several)."""
    slots: dict[str, tuple[Module, str, str]] = {}
    stack = [("", module)]
    while stack:
        prefix, mod = stack.pop()
        for store in ("_parameters", "_buffers"):
            for name, value in getattr(mod, store).items():
                if value is not None:
                    slots[prefix + name] = (mod, store, name)
        for name, child in reversed(mod._modules.items()):
            if child is not None:
                stack.append((f"{prefix}{name}.", child))
    return slots


def _owner(module: Module, key: str) -> tuple[Module, str]:
    *path, name = key.split(".")
    for part in path:
        child = module._modules.get(part) if isinstance(module, Module) else None
        if child is None:
            raise AttributeError(f"functional_call: {key!r}: the module has no submodule {part!r}")
        module = child
    return module, name


@contextlib.contextmanager
def _reparametrize(module: Module, values: Mapping[str, Any], tie_weights: bool, strict: bool):
    for key, value in values.items():
        if not isinstance(key, str):
            raise TypeError(f"functional_call: keys must be strings, got {key!r}")
        if not isinstance(value, Tensor):
            raise TypeError(f"functional_call: the value for {key!r} must be a Tensor, got "
                            f"{type(value).__name__}")
    slots = _tensor_slots(module)
    values = dict(values)
    if tie_weights:  # a tensor registered under several names takes the value given for one
        names_of: dict[int, list[str]] = {}
        for key, (mod, store, name) in slots.items():
            names_of.setdefault(id(getattr(mod, store)[name]), []).append(key)
        for names in names_of.values():
            given = [n for n in names if n in values]
            # the same tensor given under several tied names is no conflict (as PyTorch)
            if len({id(values[n]) for n in given}) > 1:
                raise ValueError(f"functional_call got multiple values for keys {given}, which "
                                 "are tied. Consider using tie_weights=False")
            if given:
                for n in names:
                    values[n] = values[given[0]]
    if strict:
        missing = [k for k in slots if k not in values]
        unexpected = [k for k in values if k not in slots]
        if missing or unexpected:
            lines = [f"Error(s) in reparametrizing for {type(module).__name__}:"]
            if unexpected:
                lines.append("Unexpected key(s): " + ", ".join(repr(k) for k in unexpected) + ".")
            if missing:
                lines.append("Missing key(s): " + ", ".join(repr(k) for k in missing) + ".")
            raise RuntimeError("\n\t".join(lines))
    targets = []
    for key, value in values.items():
        if key in slots:
            targets.append((slots[key], value))
        else:  # not a parameter or buffer: a plain attribute, as PyTorch
            owner, name = _owner(module, key)
            targets.append(((owner, None, name), value))
    restore: list = []
    try:
        for (mod, store, name), value in targets:
            if store is None:
                restore.append((mod, None, name, mod.__dict__.get(name, _MISSING)))
                object.__setattr__(mod, name, value)
            else:
                registry = getattr(mod, store)
                restore.append((mod, registry, name, registry[name]))
                registry[name] = value
        yield
    finally:
        for mod, registry, name, old in reversed(restore):
            if registry is not None:
                registry[name] = old
            elif old is _MISSING:
                mod.__dict__.pop(name, None)
            else:
                object.__setattr__(mod, name, old)


_MISSING = object()


def _call(module, values, args, kwargs, tie_weights, strict):
    if not isinstance(module, Module):
        raise TypeError(f"functional_call: module must be an nn.Module, got "
                        f"{type(module).__name__}")
    if not isinstance(values, Mapping):
        raise TypeError("functional_call: parameters_and_buffers must be a dict of name -> "
                        f"Tensor, got {type(values).__name__}")
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    if kwargs is None:
        kwargs = {}
    with _reparametrize(module, values, tie_weights, strict):
        return module(*args, **kwargs)


def functional_call(
    module: Module,
    parameters_and_buffers: Mapping[str, Tensor],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
):
    """module(*args, **kwargs) with the named parameters and buffers replaced, as
    torch.nn.utils.stateless.functional_call.

    Keys are state_dict-style names ("0.weight"); a non-tuple `args` is the single argument.
    `tie_weights=True`: a tensor registered under several names is replaced everywhere by the
    value given for one of them (two different values for tied names raise ValueError).
    `strict=True`: the keys must be exactly the module's parameters and buffers (else RuntimeError).
    A key naming no parameter or buffer sets a plain attribute for the call, as PyTorch."""
    return _call(module, parameters_and_buffers, args, kwargs, tie_weights, strict)
