"""`nn.utils.parametrize`, as torch.nn.utils.parametrize: a tensor of a module computed from
other tensors by small modules (`register_parametrization`), e.g. a weight kept symmetric.

After `register_parametrization(module, "weight", P())`, `module.weight` is
`P()(original)` recomputed on every access (a graph, so gradients reach the original),
`module.parametrizations.weight` is a `ParametrizationList` holding `P()` and the original,
and state_dict keys are `parametrizations.weight.original` (or `original0`, `original1`, ...
when the first parametrization's `right_inverse` returns a sequence). Assigning a Tensor to
`module.weight` stores `right_inverse(value)` into the original(s), in place.

How: as PyTorch, the module's class is swapped for a subclass made for it
(`ParametrizedLinear`) that holds a property per parametrized name; `Module.__getattr__` is
only reached for names the class lacks, so the property wins over the registries.
Deviations from PyTorch: assigning a value whose right_inverse has another shape than the
original raises ValueError (PyTorch's `set_` silently reshapes the original, which breaks the
module); assigning a non-Tensor raises TypeError; an assignment inside `cached()` drops the
cached value instead of leaving it stale; a failed registration leaves the module unchanged
(PyTorch may already have written right_inverse's result into the original).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from ...grad_mode import no_grad
from ...tensor import Tensor
from ..containers import ModuleDict, ModuleList
from ..module import Module, Parameter

# cached(): nesting depth and the values computed while it is > 0, keyed by
# (id(module), tensor name)
_CACHE: dict = {"depth": 0, "values": {}}


@contextmanager
def cached() -> Iterator[None]:
    """Inside the block each parametrized tensor is computed once, on first access, and
    reused (e.g. a weight used at every step of an RNN); the values are dropped on exit."""
    _CACHE["depth"] += 1
    try:
        yield
    finally:
        _CACHE["depth"] -= 1
        if not _CACHE["depth"]:
            _CACHE["values"].clear()


def _set_data(target: Tensor, value: np.ndarray) -> None:
    # in place, so an optimizer's view of the original keeps seeing it (see module.py)
    if target.data.shape == value.shape:
        np.copyto(target.data, value)
    else:  # only at an `unsafe` registration: the original takes right_inverse's shape
        target.data = np.array(value, dtype=target.data.dtype, copy=True)


def _check_result(what: str, result, like: Tensor, unsafe: bool) -> None:
    """A parametrization's output must be a Tensor of the original's dtype and shape."""
    if not isinstance(result, Tensor):
        raise ValueError(f"{what} must return a tensor. Got {type(result).__name__}.")
    if unsafe:
        return
    if result.dtype != like.dtype:
        raise ValueError(
            f"Registering a parametrization may not change the dtype of the tensor, unless "
            f"the `unsafe` flag is enabled: {like.dtype} became {result.dtype}"
        )
    if tuple(result.shape) != tuple(like.shape):
        raise ValueError(
            f"Registering a parametrization may not change the shape of the tensor, unless "
            f"the `unsafe` flag is enabled: {tuple(like.shape)} became {tuple(result.shape)}"
        )


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the tensor's original(s):
    `original`, or `original0`, `original1`, ... when the first parametrization's
    `right_inverse` returns a sequence (`is_tensor`, `ntensors`). An original that was a
    Parameter stays one (the same object when `is_tensor`); a buffer stays a buffer."""

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():
            new = original
            for module in reversed(list(self)):
                inverse = getattr(module, "right_inverse", None)
                if inverse is not None:
                    try:
                        new = inverse(new)
                    except NotImplementedError:  # taken as the identity, as PyTorch
                        pass
        if isinstance(new, Tensor):
            if new.dtype != original.dtype:
                raise ValueError(
                    f"When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                    f"original.dtype: {original.dtype}\nright_inverse(original).dtype: "
                    f"{new.dtype}"
                )
            candidates = [new]
        elif isinstance(new, Sequence) and not isinstance(new, str):
            candidates = list(new)
            for i, tensor in enumerate(candidates):
                if not isinstance(tensor, Tensor):
                    raise ValueError(
                        f"'right_inverse' must return a Tensor or a Sequence of tensors; "
                        f"element {i} is a {type(tensor).__name__}"
                    )
        else:
            raise ValueError(
                "'right_inverse' must return a Tensor or a Sequence of tensors (list, "
                f"tuple...). Got {type(new).__name__}"
            )
        if not unsafe:  # checked before anything is stored, so a failure changes nothing
            with no_grad():
                _check_result("A parametrization", self._evaluate(candidates), original, False)
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = len(candidates)
        if self.is_tensor:
            _set_data(original, new.data)
            self._register("original", original)
            return
        for i, tensor in enumerate(candidates):
            data = np.array(tensor.data, copy=True)
            if isinstance(original, Parameter):
                value: Tensor = Parameter(data, requires_grad=original.requires_grad)
            else:
                value = Tensor(data, requires_grad=original.requires_grad)
            self._register(f"original{i}", value)

    def _register(self, name: str, tensor: Tensor) -> None:
        if isinstance(tensor, Parameter):
            self.register_parameter(name, tensor)
        else:
            self.register_buffer(name, tensor)

    def _originals(self) -> list[Tensor]:
        if self.is_tensor:
            return [self.original]
        return [getattr(self, f"original{i}") for i in range(self.ntensors)]

    def _evaluate(self, originals: list[Tensor]):
        modules = list(self)
        x = modules[0](*originals)
        for module in modules[1:]:
            x = module(x)
        return x

    def forward(self):
        """The parametrized tensor, computed from the original(s)."""
        return self._evaluate(self._originals())

    def right_inverse(self, value: Tensor) -> None:
        """Store the originals that give `value`: every parametrization's right_inverse,
        last to first, copied into the original(s) in place."""
        with no_grad():
            for module in reversed(list(self)):
                inverse = getattr(module, "right_inverse", None)
                if inverse is None:
                    raise RuntimeError(
                        f"parametrization {type(module).__name__} does not implement "
                        "right_inverse."
                    )
                value = inverse(value)
        originals = self._originals()
        if self.is_tensor:
            values = [value]
        elif isinstance(value, Sequence) and len(value) == self.ntensors:
            values = list(value)
        else:
            raise ValueError(
                f"'right_inverse' must return a sequence of {self.ntensors} tensors, got "
                f"{type(value).__name__}"
                + (f" of length {len(value)}" if isinstance(value, Sequence) else "")
            )
        for i, (original, new) in enumerate(zip(originals, values)):
            name = "original" if self.is_tensor else f"original{i}"
            if not isinstance(new, Tensor):
                raise ValueError(
                    f"`right_inverse` should return a tensor for {name}. Got "
                    f"{type(new).__name__}"
                )
            if new.dtype != original.dtype:
                raise ValueError(
                    f"The tensor returned by `right_inverse` has dtype {new.dtype} while "
                    f"`{name}` has dtype {original.dtype}"
                )
            if tuple(new.shape) != tuple(original.shape):
                raise ValueError(
                    f"The tensor returned by `right_inverse` has shape {tuple(new.shape)} "
                    f"while `{name}` has shape {tuple(original.shape)}"
                )
        for original, new in zip(originals, values):
            _set_data(original, new.data)


def _inject_new_class(module: Module) -> None:
    """Give `module` a class of its own, `Parametrized<Class>`, to hold the properties."""
    cls = type(module)

    def __setattr__(self, name, value):
        if isinstance(value, Parameter) and is_parametrized(self, name):
            # as PyTorch: a Parameter would otherwise hide behind the property
            raise KeyError(
                f"attribute '{name}' already exists: it is parametrized; assign a Tensor to "
                "set it through right_inverse, or call remove_parametrizations first"
            )
        cls.__setattr__(self, name, value)

    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {"__setattr__": __setattr__})


def _inject_property(module: Module, tensor_name: str) -> None:
    def get_parametrized(self):
        parametrization = self.parametrizations[tensor_name]
        if not _CACHE["depth"]:
            return parametrization()
        key = (id(self), tensor_name)
        value = _CACHE["values"].get(key)
        if value is None:
            value = _CACHE["values"][key] = parametrization()
        return value

    def set_original(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"cannot assign {type(value).__name__} to the parametrized '{tensor_name}' "
                "(a Tensor expected)"
            )
        self.parametrizations[tensor_name].right_inverse(value)
        _CACHE["values"].pop((id(self), tensor_name), None)

    setattr(type(module), tensor_name, property(get_parametrized, set_original))


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make `module.<tensor_name>` be `parametrization(original)`; returns the module.

    The tensor must be a parameter or buffer of `module`, or already parametrized (then the
    new parametrization is applied after the others). Unless `unsafe`, the parametrization
    (and its `right_inverse`, if any) must keep the tensor's dtype and shape. A
    `right_inverse(value)` method, if the parametrization has one, gives the original(s)
    from a value: at registration (so the tensor keeps its value) and on assignment.
    """
    if not isinstance(module, Module):
        raise TypeError(f"register_parametrization: module must be a Module, got "
                        f"{type(module).__name__}")  # fmt: skip
    if not isinstance(parametrization, Module):
        raise TypeError(
            f"register_parametrization: parametrization must be a Module, got "
            f"{type(parametrization).__name__}"
        )
    if is_parametrized(module, tensor_name):
        if not unsafe:
            with no_grad():
                current = getattr(module, tensor_name)
                result = parametrization(current)
                _check_result("A parametrization", result, current, False)
                inverse = getattr(parametrization, "right_inverse", None)
                if inverse is not None:
                    try:
                        back = inverse(result)
                    except NotImplementedError:
                        pass
                    else:
                        _check_result("parametrization.right_inverse", back, current, False)
        parametrizations = module.parametrizations[tensor_name]
        parametrizations.append(parametrization)
        parametrizations.unsafe = parametrizations.unsafe or unsafe
        return module
    if tensor_name in module._parameters or tensor_name in module._buffers:
        original = getattr(module, tensor_name)
        if original is None:
            raise ValueError(
                f"Module '{module}' has '{tensor_name}' set to None; there is nothing to "
                "parametrize"
            )
        parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = parametrizations
        return module
    raise ValueError(
        f"Module '{module}' does not have a parameter, a buffer, or a parametrized element "
        f"with name '{tensor_name}'"
    )


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """True if `module` has any parametrization, or one on `tensor_name` when given."""
    parametrizations = getattr(module, "parametrizations", None)
    if not isinstance(parametrizations, ModuleDict):
        return False
    if tensor_name is None:
        return len(parametrizations) > 0
    return tensor_name in parametrizations


def remove_parametrizations(
    module: Module, tensor_name: str, leave_parametrized: bool = True
) -> Module:
    """Undo `register_parametrization` on `tensor_name`; returns the module.

    `leave_parametrized=True` keeps the current value (written into the original, which
    becomes the parameter or buffer again, the same object when there was one original);
    False restores the original itself, which needs a single original.
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            _set_data(original, np.asarray(value.data, dtype=original.data.dtype))
    elif leave_parametrized:
        value = getattr(module, tensor_name)
        data = np.array(value.data, copy=True)
        original = Parameter(data) if value.requires_grad else Tensor(data)
    else:
        raise ValueError(
            "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
            "parametrized in terms of a sequence of tensors."
        )
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(original, Parameter):
        module.register_parameter(tensor_name, original)
    else:
        module.register_buffer(tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    _CACHE["values"].pop((id(module), tensor_name), None)
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class before `register_parametrization` swapped it."""
    if is_parametrized(module):
        return type(module).__bases__[0]
    return type(module)
